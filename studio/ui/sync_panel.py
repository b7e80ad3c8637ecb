"""The Catalog sync panel: one tab per platform (Meta, Pinterest) with the last sync, its counts, the
per-product problems, progress and Cancel.

Why the panel holds no logic: the sync is `studio.jobs.catalog_sync.run_sync`, run through the one
worker bridge (`WorkerBridge.submit`, progress coalesced, cancel token); what the platforms hold and
what is wrong is read back from `sync.sqlite` (`SyncState`) — a few small SELECTs, fine on the GUI
thread. Deletions are never sent from a plain "Sync": the run lists them, and "Delete N items…" asks
for confirmation (`confirm_fn`, a QMessageBox by default; tests inject an answer) before a run with
`confirm_deletes=True`.

Double-clicking a problem emits `productActivated(product_id)`; the main window selects that product
in the catalog panel.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.sync_state import RunInfo, SyncProblem, SyncState
from studio.jobs.catalog_sync import META_ACCOUNT_PLATFORMS, run_sync
from studio.ui.workers import Job, WorkerBridge

PLATFORM_TITLES = {"meta": "Meta (Facebook & Instagram)", "pinterest": "Pinterest"}
PROBLEM_COLUMNS = ("Product", "Variant", "Field", "Problem", "Fix", "Found by")
SHOWN_PROBLEMS = 500

RegistryFn = Callable[[], Any]
ConfirmFn = Callable[[QWidget, str, str], bool]
SyncFn = Callable[..., Any]


def _default_registry() -> Any:
    from studio.publish.accounts import AccountRegistry
    from studio.publish.secrets import SecretStore

    return AccountRegistry(SecretStore.open(passphrase=os.environ.get("STUDIO_SECRETS_PASSPHRASE") or None))


def _ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    return answer == QMessageBox.StandardButton.Yes


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def counts_text(counts: dict[str, Any]) -> str:
    """ "sent 5 · unchanged 90 · errors 1 · blocked 2 · to delete 3" from a run's counts."""
    parts = [
        f"sent {counts.get('sent', 0):,}",
        f"unchanged {counts.get('unchanged', 0):,}",
        f"errors {counts.get('errors', 0):,}",
        f"blocked {counts.get('blocked', 0):,}",
    ]
    if counts.get("deleted"):
        parts.append(f"deleted {counts['deleted']:,}")
    if counts.get("deletions_total") and not counts.get("deleted"):
        parts.append(f"to delete {counts['deletions_total']:,}")
    if counts.get("pending"):
        parts.append(f"still processing {counts['pending']}")
    return " · ".join(parts)


class PlatformSyncPage(QWidget):
    """One platform: account and catalog choice, Dry run / Sync now / Cancel, counts and problems."""

    productActivated = Signal(str)

    def __init__(self, platform: str, panel: SyncPanel) -> None:
        super().__init__(panel)
        self.platform = platform
        self.panel = panel
        self.job: Job | None = None
        self._completed = False
        self.last_report: Any = None

        self.account_box = QComboBox()
        self.account_box.setObjectName(f"sync.{platform}.account")
        self.catalog_edit = QLineEdit()
        self.catalog_edit.setObjectName(f"sync.{platform}.catalog")
        self.catalog_edit.setPlaceholderText(
            "Commerce catalog id (empty: the Instagram account's catalog)"
            if platform == "meta"
            else "catalog id (empty: your default catalog)"
        )
        form = QFormLayout()
        form.addRow("Account", self.account_box)
        form.addRow("Catalog", self.catalog_edit)

        self.last_label = QLabel("Never synced.")
        self.last_label.setObjectName(f"sync.{platform}.last")
        self.counts_label = QLabel("")
        self.counts_label.setObjectName(f"sync.{platform}.counts")
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)

        self.dry_button = QPushButton("Dry run")
        self.dry_button.setToolTip("Compare and list what would be sent or deleted; send nothing")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setToolTip("Send new and changed products (deletions are only listed)")
        self.delete_button = QPushButton("Delete items…")
        self.delete_button.setToolTip("Delete the items that left the studio's catalog (asks first)")
        self.delete_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.dry_button.clicked.connect(lambda: self.start(dry_run=True))
        self.sync_button.clicked.connect(lambda: self.start())
        self.delete_button.clicked.connect(self.confirm_and_delete)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        for b in (self.dry_button, self.sync_button, self.delete_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.problems = QTableWidget(0, len(PROBLEM_COLUMNS))
        self.problems.setObjectName(f"sync.{platform}.problems")
        self.problems.setHorizontalHeaderLabels(list(PROBLEM_COLUMNS))
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.verticalHeader().setVisible(False)
        self.problems.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.itemDoubleClicked.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.last_label)
        layout.addWidget(self.counts_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.problems, 1)

    # --- accounts --------------------------------------------------------------------------------

    def set_accounts(self, accounts: list[Any]) -> None:
        keep = self.account_box.currentData()
        self.account_box.clear()
        wanted = META_ACCOUNT_PLATFORMS if self.platform == "meta" else ("pinterest",)
        for acc in accounts:
            if acc.platform in wanted:
                self.account_box.addItem(f"{acc.name} ({acc.platform})", acc.name)
        if keep is not None:
            index = self.account_box.findData(keep)
            if index >= 0:
                self.account_box.setCurrentIndex(index)
        self._update_buttons()

    # --- running -----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, *, dry_run: bool = False, confirm_deletes: bool = False) -> Job | None:
        root = self.panel.workspace
        if root is None or self.running:
            return None
        try:
            registry = self.panel.registry()
        except StudioError as exc:
            self.status_label.setText(exc.message())
            return None
        self.status_label.setText("Dry run…" if dry_run else "Syncing…")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._completed = False
        job = self.panel.bridge.submit(
            self.panel.sync_fn,
            root,
            self.platform,
            label=f"Catalog sync ({self.platform})",
            registry=registry,
            account=self.account_box.currentData(),
            catalog_id=self.catalog_edit.text().strip() or None,
            dry_run=dry_run,
            confirm_deletes=confirm_deletes,
            on_result=self._done,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
            **self.panel.sync_kwargs,
        )
        # An immediate bridge (tests) has already delivered the result inside submit().
        self.job = None if self._completed else job
        self._update_buttons()
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status_label.setText("Cancelling after the current batch…")

    def confirm_and_delete(self) -> None:
        report = self.last_report
        total = getattr(report, "deletions_total", 0) if report is not None else 0
        if not total:
            return
        shown = ", ".join(report.deletions[:10]) + (" …" if total > 10 else "")
        text = (
            f"Delete {total:,} item(s) from the {PLATFORM_TITLES[self.platform]} catalog? They are no longer "
            f"in the studio's catalog: {shown}"
        )
        if self.panel.confirm_fn(self, "Delete catalog items", text):
            self.start(confirm_deletes=True)

    def _progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.status_label.setText(message)

    def _done(self, report: Any) -> None:
        self._finished()
        self.last_report = report
        verb = "Dry run: would send" if report.dry_run else "Sent"
        text = f"{verb} {report.sent:,} item(s)."
        if report.deletions_total and not report.deleted:
            text += (
                f" {report.deletions_total:,} item(s) left the catalog: use “Delete items…” to remove them."
            )
        self.status_label.setText(text)
        self.panel.syncFinished.emit(self.platform, report)
        self.refresh(report)

    def _failed(self, error: StudioError) -> None:
        self._finished()
        self.status_label.setText(f"Sync failed: {error.message()}")
        self.refresh()

    def _cancelled(self) -> None:
        self._finished()
        self.status_label.setText("Cancelled. Batches already sent are collected by the next sync.")
        self.refresh()

    def _finished(self) -> None:
        self._completed = True
        self.job = None
        self.progress.setVisible(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self.running and self.panel.workspace is not None
        self.dry_button.setEnabled(idle)
        self.sync_button.setEnabled(idle)
        self.cancel_button.setEnabled(self.running)
        total = getattr(self.last_report, "deletions_total", 0) if self.last_report is not None else 0
        pending = total and not getattr(self.last_report, "deleted", 0)
        self.delete_button.setEnabled(bool(idle and pending))
        self.delete_button.setText(f"Delete {total:,} items…" if pending else "Delete items…")

    # --- showing the state ---------------------------------------------------------------------------

    def refresh(self, report: Any = None) -> None:
        """Last run, counts and problems of this platform's most recently synced catalog."""
        root = self.panel.workspace
        run: RunInfo | None = None
        problems: list[SyncProblem] = []
        if root is not None and (Path(root) / "sync.sqlite").exists():
            with SyncState.for_workspace(root) as state:
                scopes = [s for s in state.scopes() if s.startswith(self.platform + ":")]
                if report is not None and report.scope in scopes:
                    scopes = [report.scope]
                runs = [
                    r for r in (state.last_run(s, include_dry_runs=True) for s in scopes) if r is not None
                ]
                if runs:
                    run = max(runs, key=lambda r: r.started_at)
                    problems = state.problems(run.scope, limit=SHOWN_PROBLEMS)
        if report is not None and report.dry_run:
            problems = list(report.problems[:SHOWN_PROBLEMS])
        if run is None:
            self.last_label.setText("Never synced.")
            self.counts_label.setText("")
        else:
            kind = "Dry run" if run.dry_run else "Last sync"
            where = run.scope.split(":", 1)[1]
            self.last_label.setText(
                f"{kind}: {_when(run.finished_at or run.started_at)} — {run.state} ({where})"
            )
            self.counts_label.setText(counts_text(run.counts))
        self._fill(problems)
        self._update_buttons()

    def _fill(self, problems: list[SyncProblem]) -> None:
        table = self.problems
        table.setRowCount(len(problems))
        for row, p in enumerate(problems):
            values = (
                p.product_id,
                p.variant_id or "",
                p.field or "",
                p.message,
                p.fix or "",
                ("studio" if p.source == "local" else PLATFORM_TITLES[self.platform].split(" ")[0])
                + (" (warning)" if p.severity != "error" else ""),
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, p.product_id)
                if col in (3, 4) and value:
                    item.setToolTip(value)
                table.setItem(row, col, item)

    def _activated(self, item: QTableWidgetItem) -> None:
        product_id = item.data(Qt.ItemDataRole.UserRole)
        if product_id:
            self.productActivated.emit(str(product_id))


class SyncPanel(QWidget):
    """Tabs Meta / Pinterest. `set_workspace(root)` when a workspace opens (None when it closes)."""

    productActivated = Signal(str)
    syncFinished = Signal(str, object)  # platform, SyncReport

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        bridge: WorkerBridge | None = None,
        registry_fn: RegistryFn = _default_registry,
        sync_fn: SyncFn = run_sync,
        confirm_fn: ConfirmFn = _ask,
        sync_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge or WorkerBridge(self)
        self.registry_fn = registry_fn
        self.sync_fn = sync_fn
        self.confirm_fn = confirm_fn
        self.sync_kwargs = dict(sync_kwargs or {})  # tests: session_kwargs / engine_kwargs
        self.workspace: Path | None = None
        self._registry: Any = None
        self.pages = {p: PlatformSyncPage(p, self) for p in ("meta", "pinterest")}
        self.tabs = QTabWidget()
        for platform, page in self.pages.items():
            page.productActivated.connect(self.productActivated)
            self.tabs.addTab(page, PLATFORM_TITLES[platform])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def page(self, platform: str) -> PlatformSyncPage:
        return self.pages[platform]

    def registry(self) -> Any:
        if self._registry is None:
            self._registry = self.registry_fn()
        return self._registry

    def set_workspace(self, root: Path | str | None) -> None:
        self.workspace = Path(root) if root is not None else None
        self.refresh_accounts()
        for page in self.pages.values():
            page.last_report = None
            page.refresh()

    def refresh_accounts(self) -> None:
        try:
            accounts = list(self.registry().list())
        except StudioError as exc:
            accounts = []
            for page in self.pages.values():
                page.status_label.setText(exc.message())
        for page in self.pages.values():
            page.set_accounts(accounts)

    def cancel_all(self) -> None:
        for page in self.pages.values():
            page.cancel()

    @property
    def running(self) -> bool:
        return any(p.running for p in self.pages.values())
