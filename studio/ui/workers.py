"""The one bridge between slow jobs and the GUI thread.

`WorkerBridge.submit(fn, ...)` runs a plain job function (`fn(*args, progress=, cancel=)`) on a
`QThreadPool` and delivers progress, result and error back on the GUI thread through queued
signals. Progress is coalesced to ~20 updates/s so a 100,000-row import cannot flood the event
loop. Tests install an immediate bridge (`immediate=True`) that runs jobs synchronously.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.core.errors import Cancelled, StudioError
from studio.core.progress import CancelToken

MIN_PROGRESS_INTERVAL = 0.05  # seconds: at most ~20 progress signals per second per job


class JobSignals(QObject):
    progress = Signal(int, int, str)
    result = Signal(object)
    error = Signal(object)  # a StudioError (or a wrapped unexpected exception)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    """One submitted job: its signals, its cancel token, and the function it runs."""

    def __init__(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], label: str
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the bridge keeps a reference until `finished`
        self.fn, self.args, self.kwargs, self.label = fn, args, kwargs, label
        self.signals = JobSignals()
        self.cancel_token = CancelToken()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last_emit >= MIN_PROGRESS_INTERVAL or (total and done >= total):
            self._last_emit = now
            self.signals.progress.emit(done, total, message)

    def run(self) -> None:
        try:
            value = self.fn(*self.args, progress=self._progress, cancel=self.cancel_token, **self.kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except StudioError as exc:
            self.signals.error.emit(exc)
        except Exception as exc:  # an unexpected bug: reported, never kills the GUI
            wrapped = StudioError(
                f"unexpected error in '{self.label}': {type(exc).__name__}: {exc}",
                hint="please report this with the log file",
            )
            wrapped.__cause__ = exc
            wrapped.details = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.error.emit(wrapped)
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class WorkerBridge(QObject):
    """Owns the thread pool and the list of running jobs (so the status bar can show them)."""

    jobs_changed = Signal()

    def __init__(
        self, parent: QObject | None = None, *, immediate: bool = False, max_threads: int = 2
    ) -> None:
        super().__init__(parent)
        self.immediate = immediate
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        # Worker threads live as long as the bridge: the stores (catalog, product index, insights)
        # keep one SQLite connection per thread, and threads that expired after 30 s idle would
        # leave theirs open until the workspace closes (a slow file-handle leak over a long day).
        self.pool.setExpiryTimeout(-1)
        self.running: list[Job] = []

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        label: str = "",
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[StudioError], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> Job:
        job = Job(fn, args, kwargs, label or getattr(fn, "__name__", "job"))
        if on_result:
            job.signals.result.connect(on_result)
        if on_error:
            job.signals.error.connect(on_error)
        if on_progress:
            job.signals.progress.connect(on_progress)
        if on_cancelled:
            job.signals.cancelled.connect(on_cancelled)
        job.signals.finished.connect(lambda: self._finished(job))
        self.running.append(job)
        self.jobs_changed.emit()
        if self.immediate:
            job.run()
        else:
            self.pool.start(job)
        return job

    def _finished(self, job: Job) -> None:
        if job in self.running:
            self.running.remove(job)
            self.jobs_changed.emit()

    def cancel_all(self) -> None:
        for job in list(self.running):
            job.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every job is done (used on quit and by tests)."""
        return self.pool.waitForDone(msecs)
