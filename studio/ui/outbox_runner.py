"""Keeps the outbox moving while the studio runs: due jobs are published in the background.

Why a runner and not a thread of its own: `studio.jobs.publish.run_outbox` already claims, drives and
records every due job (exactly once, resumable); the GUI only has to call it now and then. A QTimer
(every ~30 s, and at once through `kick()` after a publish is enqueued) checks — with one fast SQLite
query on the GUI thread — whether anything is due, and if so submits one `run_outbox` call through
the WorkerBridge. Only one run is active at a time; a kick during a run is remembered and checked
again when it ends. Nothing here touches the keyring unless something is actually due, so opening a
workspace without an outbox costs nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from studio.core.errors import StudioError
from studio.publish.outbox import OUTBOX_NAME, Outbox, UnknownJob
from studio.ui.workers import Job as WorkerJob
from studio.ui.workers import WorkerBridge

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 30_000
RegistryFn = Callable[[], tuple[Any, Any]]  # -> (AccountRegistry | None, SecretsUnavailable | None)
RunFn = Callable[..., Any]  # run_outbox(ws, *, registry, progress, cancel) -> OutboxSummary


def _default_registry() -> tuple[Any, Any]:
    from studio.ui.accounts_dialog import open_registry

    return open_registry()


def _default_run(ws: Path, **kwargs: Any) -> Any:
    from studio.jobs.publish import run_outbox

    return run_outbox(ws, **kwargs)


class OutboxRunner(QObject):
    """Submits `run_outbox` for one workspace whenever something is due and no run is active."""

    jobsChanged = Signal()
    published = Signal(str, str, str)  # post id, platform, permalink
    needsReconnect = Signal(str)  # account name
    unavailable = Signal(str)  # secrets cannot be read: said once, then the runner stays idle
    failed = Signal(str)  # a run ended with an error (shown in the status bar, not a modal box)

    def __init__(
        self,
        root: Path | str,
        bridge: WorkerBridge,
        *,
        registry_fn: RegistryFn | None = None,
        run_fn: RunFn | None = None,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.bridge = bridge
        self.registry_fn = registry_fn or _default_registry
        self.run_fn = run_fn or _default_run
        self.clock = clock
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.kick)
        self._outbox: Outbox | None = None
        self._registry: Any = None
        self._reported_unavailable = False
        self._job: WorkerJob | None = None
        self._again = False
        self._stopped = False

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the periodic check and look once right away (jobs may already be due)."""
        if self._stopped:
            return
        self.timer.start()
        QTimer.singleShot(0, self.kick)

    def stop(self, wait_ms: int = 10_000) -> bool:
        """Stop for good: no new runs, cancel the active one and wait for it (True if it ended)."""
        self._stopped = True
        self.timer.stop()
        ended = True
        if self._job is not None:
            self._job.cancel()
            ended = self.bridge.wait(wait_ms)
        self._job = None
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None
        return ended

    @property
    def active(self) -> bool:
        """A run_outbox call is in flight."""
        return self._job is not None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def outbox(self) -> Outbox | None:
        """The workspace's outbox for GUI-thread reads; None while no job was ever enqueued."""
        if self._stopped:
            return None
        if self._outbox is None and (self.root / OUTBOX_NAME).exists():
            self._outbox = Outbox.open(self.root, clock=self.clock)
        return self._outbox

    # --- running --------------------------------------------------------------------------------

    def due_count(self) -> int:
        box = self.outbox()
        return len(box.next_due(self.clock())) if box is not None else 0

    def kick(self) -> bool:
        """Look now; submit a run if something is due. True if a run was submitted."""
        if self._stopped:
            return False
        if self._job is not None:
            self._again = True  # checked again when the active run ends
            return False
        try:
            due = self.due_count()
            if not due:  # a run also deletes the bucket files of stopped jobs
                box = self.outbox()
                due = len(box.stranded_uploads(self.clock())) if box is not None else 0
        except Exception as exc:  # a locked/damaged outbox must not break the timer
            log.warning("outbox check failed: %s", exc)
            return False
        if not due:
            return False
        registry = self._get_registry()
        if registry is None:
            return False
        self._again = False
        self._job = self.bridge.submit(
            self.run_fn,
            self.root,
            registry=registry,
            label="Publishing (outbox)",
            on_result=self._finished,
            on_error=self._errored,
            on_cancelled=lambda: self._finished(None),
        )
        self.jobsChanged.emit()  # due jobs turn "running"
        return True

    def _get_registry(self) -> Any:
        if self._registry is None:
            registry, problem = self.registry_fn()
            if registry is None:
                if not self._reported_unavailable:
                    self._reported_unavailable = True
                    text = problem.message() if isinstance(problem, StudioError) else str(problem or "")
                    self.unavailable.emit(text or "Account secrets are not available")
                return None
            self._registry = registry
        return self._registry

    def _errored(self, error: StudioError) -> None:
        self.failed.emit(error.message().splitlines()[0] if error.message() else "Publishing failed")
        self._finished(None)

    def _finished(self, summary: Any) -> None:
        self._job = None
        if self._stopped:
            return
        if summary is not None:
            self._report(summary)
        self.jobsChanged.emit()
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.kick)

    def _report(self, summary: Any) -> None:
        box = self.outbox()
        for job_id, links in dict(getattr(summary, "permalinks", {}) or {}).items():
            try:
                job = box.get(job_id) if box is not None else None
            except UnknownJob:
                job = None
            post_id, platform = (job.post_id, job.platform) if job is not None else ("", "")
            for link in links or [""]:
                self.published.emit(post_id, platform, link)
        seen: set[str] = set()
        for text in dict(getattr(summary, "reconnect", {}) or {}).values():
            account = str(text).removeprefix("Reconnect ").strip()
            if account and account not in seen:
                seen.add(account)
                self.needsReconnect.emit(account)
