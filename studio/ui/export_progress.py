"""Progress of a batch export: one row per media × size, with its status, and a Cancel button.

The status-bar bar says *how far*; this dialog says *what*: which photo is being written, which
one failed and why, which were unchanged since the last run. It is non-modal (the user keeps
working while a long export runs) and holds no export logic: it is fed by the callbacks
`wire()` returns for `WorkerBridge.submit(export_batch, ..., **dialog.wire(...))`.

Threads: `export_batch(on_item=)` runs in the worker thread. The callback `wire()` hands it only
emits a queued signal of a small relay object, so widgets are touched on the GUI thread only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from studio.render.manifest import ItemRecord

#: Row statuses, in the order the summary line lists them (queued/exporting are transient).
STATUS_TEXT: dict[str, str] = {
    "queued": "Queued",
    "exporting": "Exporting…",
    "done": "Done",
    "unchanged": "Skipped (unchanged)",
    "skipped": "Skipped (nothing to make)",
    "problem": "Problem",
    "cancelled": "Cancelled",
}
FINAL = frozenset({"done", "unchanged", "skipped", "problem", "cancelled"})
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Media", "Size", "Status", "Details")
TICK_MS = 500  # elapsed-time refresh


def preset_statuses(record: ItemRecord, presets: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Row status and message per preset from one item's record (`export_batch(on_item=)`).

    The batch works per media (one decode for all sizes), but a user thinks per file: a problem
    tied to one preset (unwritable folder, too big for that platform) only marks that row; one
    tied to no preset (corrupt source) marks them all.
    """
    status = record.status
    if status in ("pending", "exporting"):
        row = "queued" if status == "pending" else "exporting"
        return {p: (row, "") for p in presets}
    if status in ("unchanged", "skipped"):
        why = "same inputs as the last export" if status == "unchanged" else "no output of this kind applies"
        return {p: (status, why) for p in presets}
    result: dict[str, tuple[str, str]] = {}
    for preset in presets:
        problems = [p for p in record.problems if p.get("preset") in (None, preset)]
        outputs = [o for o in record.outputs if o.preset == preset]
        if problems:
            result[preset] = ("problem", "\n".join(_problem_text(p) for p in problems))
        elif status == "cancelled":
            result[preset] = ("cancelled", "stopped before this size was finished")
        elif status == "failed" or not outputs:
            result[preset] = ("problem", "nothing was written") if status == "failed" else ("skipped", "")
        elif all(o.status == "unchanged" for o in outputs):
            result[preset] = ("unchanged", "same inputs as the last export")
        else:
            written = sum(1 for o in outputs if o.status == "written")
            result[preset] = ("done", f"{written} file(s) written")
    return result


def _problem_text(problem: dict[str, Any]) -> str:
    text = str(problem.get("message") or "unknown problem")
    if problem.get("kind"):
        text = f"{text} ({problem['kind']})"
    return f"{text} — {problem['hint']}" if problem.get("hint") else text


def summary_text(counts: dict[str, int]) -> str:
    """ "38 exported, 4 unchanged, 1 problem": exported always, the other statuses when present."""
    parts = [f"{counts.get('done', 0)} exported"]
    for key, word in (("unchanged", "unchanged"), ("skipped", "skipped"), ("cancelled", "cancelled")):
        if counts.get(key):
            parts.append(f"{counts[key]} {word}")
    problems = counts.get("problem", 0)
    if problems:
        parts.append(f"{problems} problem{'s' if problems != 1 else ''}")
    return ", ".join(parts)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class _ItemRelay(QObject):
    """Carries item records from the worker thread to the GUI thread (queued connection).

    Parentless on purpose: the worker's callback keeps it alive even if the dialog is gone."""

    item = Signal(object)


class ExportProgressDialog(QDialog):
    """Per-item export status with overall progress, elapsed time, rate, Cancel/Close, Open folder."""

    def __init__(
        self,
        items: Sequence[tuple[str, str]],
        presets: Sequence[str],
        out_dir: str | Path,
        parent: QWidget | None = None,
    ) -> None:
        """`items`: (media id, display name) in export order; `presets`: preset names."""
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setModal(False)
        self.out_dir = Path(out_dir)
        self.presets = list(presets)
        self.job: Any = None  # the bridge's Job: only `.cancel()` is used
        self.running = True
        self._cancel_requested = False
        self._started = time.monotonic()
        self._ended: float | None = None
        self._rows: dict[tuple[str, str], int] = {}

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for media_id, name in items:
            for preset in self.presets:
                self._add_row((media_id, preset), name, preset)

        self.bar = QProgressBar()
        self.bar.setRange(0, max(1, len(self._rows)))
        self.bar.setValue(0)
        self.message = QLabel("Preparing…")
        self.timing = QLabel("")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open folder")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.open_folder)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.timing, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.resize(720, 420)

        self._relay = _ItemRelay()
        self._relay.item.connect(self.apply_record, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()

    # --- wiring -----------------------------------------------------------------------------

    def wire(
        self,
        *,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments for `bridge.submit(export_batch, ...)`: `on_item` (thread-safe) and
        the bridge's callbacks, each feeding this dialog first and then the caller's own.

        Passing them to `submit` (rather than connecting after it) means no early signal of a
        fast export is missed. The callbacks check the dialog still exists, since the window
        that owns it may be closed while the job winds down."""
        relay = self._relay

        def on_item(record: ItemRecord) -> None:  # worker thread: emit only
            relay.item.emit(record)

        def progress(done: int, total: int, message: str) -> None:
            if isValid(self):
                self.show_progress(done, total, message)
            if on_progress:
                on_progress(done, total, message)

        def result(manifest: Any) -> None:
            if isValid(self):
                self.show_result(manifest)
            if on_result:
                on_result(manifest)

        def error(exc: Any) -> None:
            if isValid(self):
                self.show_error(exc)
            if on_error:
                on_error(exc)

        def cancelled() -> None:
            if isValid(self):
                self.show_cancelled()
            if on_cancelled:
                on_cancelled()

        return {
            "on_item": on_item,
            "on_progress": progress,
            "on_result": result,
            "on_error": error,
            "on_cancelled": cancelled,
        }

    def attach(self, job: Any) -> None:
        """The submitted job, so Cancel can stop it."""
        self.job = job
        if self._cancel_requested:
            job.cancel()

    # --- state ------------------------------------------------------------------------------

    def _add_row(self, key: tuple[str, str], name: str, preset: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(preset))
        self.table.setItem(row, 2, QTableWidgetItem())
        self.table.setItem(row, 3, QTableWidgetItem())
        self._rows[key] = row
        self._set_row(row, "queued", "")
        return row

    def _cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.table.item(row, col)
        assert item is not None  # every cell is made in `_add_row`
        return item

    def _set_row(self, row: int, status: str, message: str) -> None:
        status_item, details = self._cell(row, 2), self._cell(row, 3)
        status_item.setText(STATUS_TEXT[status])
        status_item.setData(STATUS_ROLE, status)
        details.setText(message.splitlines()[0] if message else "")
        tip = message if status == "problem" else ""
        status_item.setToolTip(tip)
        details.setToolTip(message)

    def row_status(self, row: int) -> str:
        return str(self._cell(row, 2).data(STATUS_ROLE))

    def status_of(self, media_id: str, preset: str) -> str:
        return self.row_status(self._rows[(media_id, preset)])

    def details_of(self, media_id: str, preset: str) -> str:
        return self._cell(self._rows[(media_id, preset)], 3).toolTip()

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in range(self.table.rowCount()):
            status = self.row_status(row)
            counts[status] = counts.get(status, 0) + 1
        return counts

    def apply_record(self, record: ItemRecord) -> None:
        """One item's news (GUI thread). A late "exporting" never hides a final status."""
        if not isValid(self):
            return
        for preset, (status, message) in preset_statuses(record, self.presets).items():
            row = self._rows.get((record.media_id, preset))
            if row is None:
                continue
            if status in ("queued", "exporting") and self.row_status(row) in FINAL:
                continue
            self._set_row(row, status, message)
            if status == "exporting":
                self.table.scrollToItem(self._cell(row, 0))
        self._update_bar()

    def _update_bar(self) -> None:
        counts = self.counts()
        self.bar.setValue(sum(n for s, n in counts.items() if s in FINAL))

    def show_progress(self, done: int, total: int, message: str) -> None:
        if self.running and message:
            self.message.setText(f"{message} ({done}/{total} media)" if total else message)

    def _tick(self) -> None:
        end = self._ended if self._ended is not None else time.monotonic()
        elapsed = max(0.0, end - self._started)
        counts = self.counts()
        worked = counts.get("done", 0) + counts.get("problem", 0)  # rows that took real work
        text = f"Elapsed {_clock(elapsed)}"
        if worked and elapsed > 0.5:
            rate = worked / elapsed
            text += f" · {rate:.1f} items/s"
            left = counts.get("queued", 0) + counts.get("exporting", 0)
            if self.running and left:
                text += f" · about {_clock(left / rate)} left"
        self.timing.setText(text)

    # --- the end ----------------------------------------------------------------------------

    def _finish(self, headline: str) -> None:
        self.running = False
        self._ended = time.monotonic()
        self._timer.stop()
        self._tick()
        self._update_bar()
        self.message.setText(headline)
        self.summary.setText(summary_text(self.counts()))
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.open_button.setVisible(self.out_dir.is_dir())

    def _close_open_rows(self, status: str, message: str) -> None:
        for row in range(self.table.rowCount()):
            if self.row_status(row) not in FINAL:
                self._set_row(row, status, message)

    def show_result(self, manifest: Any) -> None:
        """The manifest is the truth: every row is set from it, whatever signals came before."""
        for record in manifest.items:
            self.apply_record(record)
        for problem in manifest.problems:  # datasets and kits: not tied to one media
            preset = str(problem.get("preset") or "")
            row = self._add_row((f"extra:{self.table.rowCount()}", preset), "— (dataset/kit)", preset)
            self._set_row(row, "problem", _problem_text(problem))
        self._close_open_rows("cancelled", "not exported")
        self.bar.setRange(0, max(1, self.table.rowCount()))
        self._finish(f"Finished: {self.out_dir}")

    def show_cancelled(self) -> None:
        self._close_open_rows("cancelled", "stopped before it was exported")
        self._finish("Cancelled: finished files were kept, no partial file was left")

    def show_error(self, exc: Any) -> None:
        text = exc.message() if hasattr(exc, "message") else str(exc)
        self._close_open_rows("problem", text)
        self._finish(f"Export failed: {text}")

    def cancel(self) -> None:
        """Ask the job to stop; the rows settle when it reports back (current items finish or
        roll back their temp file first)."""
        if not self.running or self._cancel_requested:
            return
        self._cancel_requested = True
        if self.job is not None:
            self.job.cancel()
        self.cancel_button.setText("Cancelling…")
        self.cancel_button.setEnabled(False)
        self.message.setText("Cancelling: stopping after the current file…")

    def _cancel_or_close(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.accept()

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.out_dir)))

    def reject(self) -> None:
        """Escape while running means Cancel; the dialog stays to show how it ended."""
        if self.running:
            self.cancel()
        else:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self.cancel()
            event.ignore()
        else:
            super().closeEvent(event)


__all__ = ["STATUS_TEXT", "ExportProgressDialog", "preset_statuses", "summary_text"]
