"""Help → Keyboard shortcuts: a searchable table generated from the action registry.

Nothing here lists a key by hand: rows come from `studio.ui.actions.shortcut_rows`, the same
table the QActions are built from, so the help can never disagree with the keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.ui.actions import ACTIONS, ActionSpec, shortcut_rows


class ShortcutsDialog(QDialog):
    """Menu | Action | Keys, filterable by typing (e.g. "paste" or "ctrl")."""

    def __init__(self, parent: QWidget | None = None, specs: Iterable[ActionSpec] = ACTIONS) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 620)
        self.rows = shortcut_rows(specs)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter actions or keys…")
        self.filter.setClearButtonEnabled(True)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._apply_filter)

    def visible_rows(self) -> list[tuple[str, str, str]]:
        return [self.rows[r] for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for r, row in enumerate(self.rows):
            self.table.setRowHidden(r, bool(needle) and not any(needle in cell.casefold() for cell in row))
