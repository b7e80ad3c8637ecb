"""The Outbox dock: what is queued, scheduled, running, failed — and what went out (History).

Why the panel calls the Outbox directly: Retry / Cancel / Publish now / Skip are single SQLite
updates (well under 5 ms), so they run on the GUI thread; the slow part — actually publishing — is
the OutboxRunner's, and the panel emits `changed` after every action so the window can `kick()` it.
The panel never decides what a state means; the Outbox API does (e.g. `retry` only works on
failed/cancelled jobs, `skip` only on queued ones).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.publish.outbox import CANCELLED, FAILED, QUEUED, RUNNING, HistoryEntry, Job, Outbox

JOB_COLUMNS = ("Post", "Platform", "Account", "State", "Scheduled", "Attempts", "Last error")
HISTORY_COLUMNS = ("Published", "Post", "Platform", "Account", "Native tags", "Permalink")
CAPTION_CHARS = 40

OutboxFn = Callable[[], Outbox | None]
CaptionFn = Callable[[str], str]


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def _short(text: str, n: int = CAPTION_CHARS) -> str:
    line = " ".join(text.split())
    return line if len(line) <= n else line[: n - 1].rstrip() + "…"


class OutboxPanel(QWidget):
    """Jobs table + History table with Retry / Cancel / Publish now / Skip on the selected job."""

    changed = Signal()  # the user changed a job: the runner should look again
    linkOpened = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.open_url = open_url
        self.clock = clock
        self._outbox_fn: OutboxFn = lambda: None
        self._caption_fn: CaptionFn = lambda post_id: ""
        self._jobs: list[Job] = []
        self._missed: set[str] = set()

        self.jobs_table = self._table(JOB_COLUMNS)
        self.jobs_table.setObjectName("outbox.jobs")
        self.jobs_table.itemSelectionChanged.connect(self._update_buttons)
        self.history_table = self._table(HISTORY_COLUMNS)
        self.history_table.setObjectName("outbox.history")
        self.empty_label = QLabel("Nothing queued. Publish a post (Post → Publish…) to see it here.")
        self.empty_label.setWordWrap(True)

        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Queue a failed or cancelled job again; finished steps are not redone")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop a job that is not published yet")
        self.publish_now_button = QPushButton("Publish now")
        self.publish_now_button.setToolTip("Publish a scheduled job now instead of at its time")
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Do not publish a schedule that was missed while the studio was closed")
        self.retry_button.clicked.connect(lambda: self._act("retry"))
        self.cancel_button.clicked.connect(lambda: self._act("cancel"))
        self.publish_now_button.clicked.connect(lambda: self._act("publish_now"))
        self.skip_button.clicked.connect(lambda: self._act("skip"))

        buttons = QHBoxLayout()
        for b in (self.retry_button, self.cancel_button, self.publish_now_button, self.skip_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        jobs_page = QWidget()
        jl = QVBoxLayout(jobs_page)
        jl.setContentsMargins(0, 0, 0, 0)
        jl.addWidget(self.empty_label)
        jl.addWidget(self.jobs_table, 1)
        jl.addLayout(buttons)
        self.tabs = QTabWidget()
        self.tabs.addTab(jobs_page, "Queue")
        self.tabs.addTab(self.history_table, "History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.refresh()

    @staticmethod
    def _table(columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    # --- data -----------------------------------------------------------------------------------

    def set_source(self, outbox_fn: OutboxFn | None, caption_fn: CaptionFn | None = None) -> None:
        """Where jobs come from (None: no workspace) and how a post id becomes a caption start."""
        self._outbox_fn = outbox_fn or (lambda: None)
        self._caption_fn = caption_fn or (lambda post_id: "")
        self.refresh()

    def outbox(self) -> Outbox | None:
        return self._outbox_fn()

    def _post_text(self, post_id: str) -> str:
        caption = _short(self._caption_fn(post_id))
        return caption or post_id

    def refresh(self) -> None:
        """Reload both tables from the outbox, keeping the selected job selected."""
        keep = self.selected_job_id()
        box = self.outbox()
        self._jobs = box.jobs() if box is not None else []
        self._missed = {j.id for j in box.missed(self.clock())} if box is not None else set()
        history = box.history() if box is not None else []
        self._fill_jobs(keep)
        self._fill_history(history)
        self.empty_label.setVisible(not self._jobs)
        self._update_buttons()

    def _fill_jobs(self, keep: str | None) -> None:
        table = self.jobs_table
        table.blockSignals(True)
        table.setRowCount(len(self._jobs))
        for row, job in enumerate(self._jobs):
            state = "missed" if job.id in self._missed else job.state
            if job.state == QUEUED and job.retry_at:
                state = f"retry at {_when(job.retry_at)}"
            values = (
                self._post_text(job.post_id),
                job.platform,
                job.account,
                state,
                _when(job.scheduled_at),
                str(job.attempts),
                job.last_error or "",
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, job.id)
                if col == len(values) - 1 and value:
                    item.setToolTip(value)
                table.setItem(row, col, item)
            if job.id == keep:
                table.selectRow(row)
        table.blockSignals(False)

    def _fill_history(self, history: list[HistoryEntry]) -> None:
        table = self.history_table
        table.setRowCount(len(history))
        for row, entry in enumerate(history):
            values = (
                _when(entry.completed_at),
                self._post_text(entry.post_id),
                entry.platform,
                entry.account,
                str(len(entry.native_products)),
            )
            natives = ", ".join(entry.native_products)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, entry.job_id)
                if col == 4:
                    item.setToolTip(natives or "No product tagged natively (fallback used)")
                table.setItem(row, col, item)
            links = " ".join(
                f"<a href='{html.escape(u, quote=True)}'>{html.escape(u)}</a>" for u in entry.permalinks
            )
            label = QLabel(links or "—")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
            label.linkActivated.connect(self.open_permalink)
            table.setCellWidget(row, 5, label)

    def open_permalink(self, url: str) -> None:
        """Open a published post in the system browser."""
        self.open_url(QUrl(url))
        self.linkOpened.emit(url)

    # --- actions --------------------------------------------------------------------------------

    def selected_job_id(self) -> str | None:
        items = self.jobs_table.selectedItems() if hasattr(self, "jobs_table") else []
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select_job(self, job_id: str) -> bool:
        for row, job in enumerate(self._jobs):
            if job.id == job_id:
                self.jobs_table.selectRow(row)
                return True
        return False

    def selected_job(self) -> Job | None:
        jid = self.selected_job_id()
        return next((j for j in self._jobs if j.id == jid), None)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        state = job.state if job is not None else ""
        missed = job is not None and job.id in self._missed
        scheduled = job is not None and state == QUEUED and job.scheduled_at is not None and job.attempts == 0
        self.retry_button.setEnabled(state in (FAILED, CANCELLED))
        self.cancel_button.setEnabled(state in (QUEUED, RUNNING, FAILED))
        self.publish_now_button.setEnabled(scheduled)
        self.skip_button.setEnabled(missed)

    def _act(self, name: str) -> bool:
        box = self.outbox()
        jid = self.selected_job_id()
        if box is None or jid is None:
            return False
        ok = bool(getattr(box, name)(jid))
        self.refresh()
        if ok:
            self.changed.emit()
        return ok
