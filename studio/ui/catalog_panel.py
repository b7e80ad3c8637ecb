"""The catalog panel: a live-searchable product list with thumbnails and locale-formatted prices.

It shows products and says which one the user wants (`productActivated`); placing a tag with
that product is the controller's job (through commands), so this panel never edits anything.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import Product
from studio.core.money import format_money
from studio.ui.document import Document

ICON = 32
MAX_LISTED = 500  # an empty search lists this many; typing narrows the list through the FTS index
PRODUCT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ["Product", "SKU", "Price", "Was", "Variants"]
COL_TITLE, COL_SKU, COL_PRICE, COL_WAS, COL_VARIANTS = range(5)


class _ProductTable(QTableWidget):
    """Enter on a row activates it, like a double-click (keyboard first)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.item(self.currentRow(), COL_TITLE) if self.currentRow() >= 0 else None
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            self.itemActivated.emit(item)
            return
        super().keyPressEvent(event)


class CatalogPanel(QWidget):
    """Search box + product table; double-click/Enter emits `productActivated(product_id)`."""

    productActivated = Signal(str)

    def __init__(self, thumbs: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs  # a ProductThumbs (icon(product), updated(product_id)) or None
        self.doc: Document | None = None
        self.header = QLabel("Catalog")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search products by title, SKU or barcode…")
        self.search.setClearButtonEnabled(True)
        self.table = _ProductTable(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setIconSize(QSize(ICON, ICON))
        self.table.verticalHeader().setDefaultSectionSize(ICON + 6)
        self.table.setToolTip("Double-click (or Enter) to tag the open photo with this product")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        for col in (COL_SKU, COL_PRICE, COL_WAS, COL_VARIANTS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._activate_first)
        self.table.itemActivated.connect(self._activated)
        if thumbs is not None:
            thumbs.updated.connect(self._icon_updated)

    # --- public -----------------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.catalogChanged.disconnect(self.refresh)
        self.doc = doc
        if doc is not None:
            doc.catalogChanged.connect(self.refresh)
        self.refresh()

    def products(self) -> list[Product]:
        """What the current search lists (the store's ranking for a query, catalog order otherwise)."""
        if self.doc is None:
            return []
        query = self.search.text().strip()
        store = self.doc.catalog
        return store.search(query, limit=200) if query else list(store.all(limit=MAX_LISTED))

    def product_id_at(self, row: int) -> str:
        item = self.table.item(row, COL_TITLE)
        return str(item.data(PRODUCT_ID_ROLE)) if item is not None else ""

    def product_ids(self) -> list[str]:
        return [self.product_id_at(r) for r in range(self.table.rowCount())]

    def refresh(self) -> None:
        self._search_timer.stop()
        self.table.setRowCount(0)
        doc = self.doc
        if doc is None:
            self.header.setText("Catalog")
            return
        products = self.products()
        self.header.setText(f"Catalog — {doc.catalog.count()} products")
        self.table.setRowCount(len(products))
        for row, p in enumerate(products):
            self._fill_row(row, p, doc.locale)

    # --- internals --------------------------------------------------------------------------

    def _fill_row(self, row: int, p: Product, locale: str) -> None:
        title = QTableWidgetItem(p.title)
        title.setData(PRODUCT_ID_ROLE, p.id)
        title.setToolTip(f"{p.title}\n{p.brand}".strip())
        if self.thumbs is not None:
            title.setIcon(self.thumbs.icon(p))
        price = QTableWidgetItem(format_money(p.price, p.currency, locale))
        was = QTableWidgetItem("")
        if p.on_sale and p.compare_at is not None:
            was.setText(format_money(p.compare_at, p.currency, locale))
            struck = QFont(was.font())
            struck.setStrikeOut(True)
            was.setFont(struck)
            was.setForeground(self.palette().placeholderText())
            bold = QFont(price.font())
            bold.setBold(True)
            price.setFont(bold)
        variants = QTableWidgetItem(str(len(p.variants)))
        for col, cell in enumerate((title, QTableWidgetItem(p.sku), price, was, variants)):
            if col in (COL_PRICE, COL_WAS, COL_VARIANTS):
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, cell)

    def _activated(self, item: QTableWidgetItem) -> None:
        product_id = self.product_id_at(item.row())
        if product_id:
            self.productActivated.emit(product_id)

    def _activate_first(self) -> None:
        """Enter in the search box tags with the best match (type, Enter: done)."""
        if self.table.rowCount():
            self.table.selectRow(0)
            if self.product_id_at(0):
                self.productActivated.emit(self.product_id_at(0))

    def _icon_updated(self, product_id: str) -> None:
        if self.doc is None or self.thumbs is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, COL_TITLE)
            if item is not None and item.data(PRODUCT_ID_ROLE) == product_id:
                product = self.doc.product(product_id)
                if product is not None:
                    item.setIcon(self.thumbs.icon(product))
