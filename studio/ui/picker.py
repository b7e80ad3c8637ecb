"""The product picker: a type-ahead popup that opens where the tag is.

Tagging is the studio's most repeated gesture, so the picker is keyboard first: the search box
keeps the focus while arrows, PageUp/PageDown, Enter, Esc, Right (show variants) and Left (hide
them) drive the list. The catalog search is ~3 ms (FTS5), so it runs on every keystroke with no
debounce: results follow the typing. The picker only *says* what was chosen (`chosen`), the main
window turns that into an undo command.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import Product, Variant
from studio.core.money import format_money
from studio.ui.document import Document
from studio.ui.product_thumbs import ProductThumbs, placeholder_pixmap

SEARCH_LIMIT = 50
POPUP_SIZE = QSize(460, 400)
PRODUCT_ROW_H = 52
VARIANT_ROW_H = 34
THUMB = 40
CHEVRON_W = 28
VARIANT_INDENT = 36
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

EMPTY_CATALOG = "The catalog is empty — import a catalog (File → Import catalog…)"


def no_match_text(query: str) -> str:
    return f"No products match '{query}' — import a catalog (File → Import catalog…)"


def real_variants(product: Product) -> list[Variant]:
    """Variants worth choosing: a lone Shopify 'Default Title' variant is the product itself."""
    if len(product.variants) == 1:
        v = product.variants[0]
        if v.title in ("", "Default Title") and set(v.options.values()) <= {"Default Title"}:
            return []
    return list(product.variants)


def price_texts(product: Product, variant: Variant | None, locale: str) -> tuple[str, str | None]:
    """(price, struck compare-at or None) formatted for the locale; a variant's own price wins."""
    price, compare = product.price, product.compare_at
    if variant is not None and variant.price is not None:
        price, compare = variant.price, variant.compare_at
    elif variant is not None and variant.compare_at is not None:
        compare = variant.compare_at
    shown = format_money(price, product.currency, locale)
    if compare is not None and compare > price:
        return shown, format_money(compare, product.currency, locale)
    return shown, None


def variant_text(variant: Variant) -> str:
    return variant.title or " / ".join(variant.options.values()) or variant.sku or variant.id


def options_text(variant: Variant) -> str:
    return " · ".join(f"{k}: {v}" for k, v in variant.options.items() if v)


def popup_geometry(anchor: QPoint, size: QSize, available: QRect) -> QRect:
    """Where the popup goes: below-right of the anchor, flipped above if there is no room below,
    shifted left to stay on screen, and never larger than the screen."""
    w = min(size.width(), available.width())
    h = min(size.height(), available.height())
    x = min(anchor.x(), available.right() + 1 - w)
    x = max(x, available.left())
    y = anchor.y()
    if y + h > available.bottom() + 1:
        y = anchor.y() - h  # flip above the tag
    y = max(min(y, available.bottom() + 1 - h), available.top())
    return QRect(x, y, w, h)


@dataclass(frozen=True, slots=True)
class PickerRow:
    """One list row: a product, or one of its variants (shown indented under it)."""

    product: Product
    variant: Variant | None = None

    @property
    def ids(self) -> tuple[str, str | None]:
        return self.product.id, self.variant.id if self.variant is not None else None


class _RowDelegate(QStyledItemDelegate):
    """Paints a row: thumbnail, title, SKU / variant count, price with struck compare-at, chevron."""

    def __init__(self, picker: ProductPicker) -> None:
        super().__init__(picker)
        self.picker = picker

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        row: PickerRow = index.data(ROW_ROLE)
        return QSize(POPUP_SIZE.width() - 20, VARIANT_ROW_H if row and row.variant else PRODUCT_ROW_H)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        row: PickerRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        painter.save()
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        if selected:
            painter.fillRect(rect, palette.highlight())
        text_color = palette.highlightedText().color() if selected else palette.text().color()
        dim = palette.placeholderText().color() if not selected else text_color
        base_font = QFont(option.font)
        price, compare = price_texts(row.product, row.variant, self.picker.money_locale)
        right = rect.right() - CHEVRON_W
        # price column (right-aligned), compare-at struck below/left of it
        bold = QFont(base_font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        price_w = QFontMetrics(bold).horizontalAdvance(price)
        top_line = QRect(rect.left(), rect.top() + 4, rect.width(), rect.height() // 2 - 2)
        bottom_line = QRect(
            rect.left(), rect.top() + rect.height() // 2, rect.width(), rect.height() // 2 - 4
        )
        if row.variant is None:
            painter.drawText(
                QRect(right - price_w - 4, top_line.top(), price_w + 4, top_line.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                price,
            )
        else:
            painter.drawText(
                QRect(right - price_w - 4, rect.top(), price_w + 4, rect.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                price,
            )
        compare_w = 0
        if compare:
            struck = QFont(base_font)
            struck.setStrikeOut(True)
            painter.setFont(struck)
            painter.setPen(dim)
            compare_w = QFontMetrics(struck).horizontalAdvance(compare)
            if row.variant is None:  # under the price
                target = QRect(right - compare_w - 4, bottom_line.top(), compare_w + 4, bottom_line.height())
            else:  # left of the price
                target = QRect(right - price_w - compare_w - 14, rect.top(), compare_w + 4, rect.height())
            painter.drawText(target, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, compare)
        if row.variant is None:
            pix = self.picker.thumbnail(row.product)
            thumb_rect = QRect(rect.left() + 6, rect.top() + (rect.height() - THUMB) // 2, THUMB, THUMB)
            painter.drawPixmap(thumb_rect, pix)
            text_left = thumb_rect.right() + 10
            text_w = max(10, right - max(price_w, compare_w) - 12 - text_left)
            painter.setFont(bold)
            painter.setPen(text_color)
            title = QFontMetrics(bold).elidedText(row.product.title, Qt.TextElideMode.ElideRight, text_w)
            painter.drawText(
                QRect(text_left, top_line.top(), text_w, top_line.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                title,
            )
            painter.setFont(base_font)
            painter.setPen(dim)
            details = QFontMetrics(base_font).elidedText(
                self.picker.details_text(row.product), Qt.TextElideMode.ElideRight, text_w
            )
            painter.drawText(
                QRect(text_left, bottom_line.top(), text_w, bottom_line.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                details,
            )
            if real_variants(row.product):
                painter.setFont(bold)
                painter.setPen(text_color)
                chevron = "▾" if self.picker.is_expanded(row.product.id) else "▸"
                painter.drawText(
                    QRect(right, rect.top(), CHEVRON_W, rect.height()), Qt.AlignmentFlag.AlignCenter, chevron
                )
        else:
            text_left = rect.left() + VARIANT_INDENT
            text_w = max(10, right - price_w - compare_w - 24 - text_left)
            label = variant_text(row.variant)
            extra = [options_text(row.variant)] if " / ".join(row.variant.options.values()) != label else []
            extra += [row.variant.sku] if row.variant.sku else []
            painter.setFont(bold)
            painter.setPen(text_color)
            label = QFontMetrics(bold).elidedText(label, Qt.TextElideMode.ElideRight, text_w)
            painter.drawText(
                QRect(text_left, rect.top(), text_w, rect.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            used = QFontMetrics(bold).horizontalAdvance(label) + 12
            if extra and used < text_w:
                painter.setFont(base_font)
                painter.setPen(dim)
                painter.drawText(
                    QRect(text_left + used, rect.top(), text_w - used, rect.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    QFontMetrics(base_font).elidedText(
                        " · ".join(e for e in extra if e), Qt.TextElideMode.ElideRight, text_w - used
                    ),
                )
        painter.restore()


class ProductPicker(QFrame):
    """Type-ahead product chooser shown as a popup at a tag (see module doc)."""

    chosen = Signal(str, object)  # product id, variant id or None
    dismissed = Signal()

    def __init__(self, thumbs: ProductThumbs | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("productPicker")
        self.thumbs = thumbs
        self.doc: Document | None = None
        self.money_locale = "en_US"
        self._products: list[Product] = []
        self._expanded: set[str] = set()
        self._placeholders: dict[str, QPixmap] = {}
        self._finished = True

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search products by title, SKU, barcode…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setItemDelegate(_RowDelegate(self))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the search box
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("pickerEmpty")
        self.hint = QLabel("↑↓ move · → variants · Enter assign · Esc close", self)
        self.hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.hint)
        self.resize(POPUP_SIZE)

        self.search.textChanged.connect(self._run_search)
        self.search.installEventFilter(self)
        self.list.viewport().installEventFilter(self)
        if thumbs is not None:
            thumbs.updated.connect(lambda _pid: self.list.viewport().update())

    # --- public API -------------------------------------------------------------------------

    def open_at(self, global_pos: QPoint, doc: Document, initial_query: str = "") -> None:
        """Show the popup at a screen point (the tag), searching `initial_query` at once."""
        self.doc = doc
        self.money_locale = doc.locale
        self._expanded.clear()
        self._finished = False
        self.search.blockSignals(True)
        self.search.setText(initial_query)
        self.search.blockSignals(False)
        self._run_search()
        screen = QGuiApplication.screenAt(global_pos) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else QRect(0, 0, 1920, 1080)
        self.setGeometry(popup_geometry(global_pos, POPUP_SIZE, available))
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)
        self.search.selectAll()

    def rows(self) -> list[tuple[str, str | None]]:
        """(product id, variant id or None) of every visible row, top to bottom."""
        return [self._row(i).ids for i in range(self.list.count())]

    def current(self) -> tuple[str, str | None] | None:
        row = self._current_row()
        return row.ids if row is not None else None

    def is_expanded(self, product_id: str) -> bool:
        return product_id in self._expanded

    def set_expanded(self, product_id: str, expanded: bool) -> None:
        """Show or hide a product's variant rows, keeping the current row on the product."""
        if expanded == (product_id in self._expanded):
            return
        (self._expanded.add if expanded else self._expanded.discard)(product_id)
        self._rebuild(keep=(product_id, None))

    def choose_current(self) -> None:
        row = self._current_row()
        if row is not None:
            self._choose(row)

    def dismiss(self) -> None:
        self.hide()  # hideEvent emits `dismissed`

    def details_text(self, product: Product) -> str:
        parts = []
        sku = product.sku or next((v.sku for v in product.variants if v.sku), "")
        if sku:
            parts.append(sku)
        n = len(real_variants(product))
        if n:
            parts.append(f"{n} variant" + ("s" if n != 1 else ""))
        if product.brand:
            parts.append(product.brand)
        return " · ".join(parts)

    def thumbnail(self, product: Product) -> QPixmap:
        if self.thumbs is not None:
            return self.thumbs.pixmap(product)
        pix = self._placeholders.get(product.id)
        if pix is None:
            pix = self._placeholders[product.id] = placeholder_pixmap(product.id, product.title, THUMB)
        return pix

    # --- search and rows --------------------------------------------------------------------

    def _run_search(self, _text: str = "") -> None:
        if self.doc is None:
            return
        query = self.search.text().strip()
        catalog = self.doc.catalog
        self._products = catalog.search(query, SEARCH_LIMIT) if query else list(catalog.all(SEARCH_LIMIT))
        self._rebuild(keep=None)
        if not self._products:
            self.empty.setText(no_match_text(query) if query else EMPTY_CATALOG)
        self.empty.setVisible(not self._products)
        self.list.setVisible(bool(self._products))

    def _rebuild(self, keep: tuple[str, str | None] | None) -> None:
        self.list.clear()
        current = 0
        for product in self._products:
            self._add(PickerRow(product))
            if product.id in self._expanded:
                for variant in real_variants(product):
                    self._add(PickerRow(product, variant))
        if keep is not None:
            current = next((i for i, ids in enumerate(self.rows()) if ids == keep), 0)
        if self.list.count():
            self.list.setCurrentRow(current)

    def _add(self, row: PickerRow) -> None:
        price, compare = price_texts(row.product, row.variant, self.money_locale)
        name = row.product.title if row.variant is None else f"  {variant_text(row.variant)}"
        item = QListWidgetItem(f"{name} — {price}" + (f" (was {compare})" if compare else ""))
        item.setData(ROW_ROLE, row)
        self.list.addItem(item)

    def _row(self, index: int) -> PickerRow:
        row: PickerRow = self.list.item(index).data(ROW_ROLE)
        return row

    def _current_row(self) -> PickerRow | None:
        index = self.list.currentRow()
        return self._row(index) if 0 <= index < self.list.count() else None

    def _move(self, delta: int) -> None:
        if not self.list.count():
            return
        index = max(0, min(self.list.count() - 1, self.list.currentRow() + delta))
        self.list.setCurrentRow(index)
        self.list.scrollToItem(self.list.item(index))

    def _page(self) -> int:
        return max(1, self.list.viewport().height() // PRODUCT_ROW_H)

    def _choose(self, row: PickerRow) -> None:
        product_id, variant_id = row.ids
        self._finished = True
        self.hide()
        self.chosen.emit(product_id, variant_id)

    # --- keyboard and mouse -----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            return self._key(event)  # type: ignore[arg-type]
        if watched is self.list.viewport() and event.type() == QEvent.Type.MouseButtonRelease:
            return self._click(event)  # type: ignore[arg-type]
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        row = self._current_row()
        if key == Qt.Key.Key_Down:
            self._move(1)
        elif key == Qt.Key.Key_Up:
            self._move(-1)
        elif key == Qt.Key.Key_PageDown:
            self._move(self._page())
        elif key == Qt.Key.Key_PageUp:
            self._move(-self._page())
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.choose_current()
        elif key == Qt.Key.Key_Escape:
            self.dismiss()
        elif (
            key == Qt.Key.Key_Right and row is not None and row.variant is None and real_variants(row.product)
        ):
            if self.search.cursorPosition() < len(self.search.text()):
                return False  # still editing the query: move the text cursor
            if row.product.id in self._expanded:
                self._move(1)  # already open: step into the first variant
            else:
                self.set_expanded(row.product.id, True)
        elif (
            key == Qt.Key.Key_Left
            and row is not None
            and (row.variant is not None or row.product.id in self._expanded)
        ):
            self.set_expanded(row.product.id, False)
        else:
            return False
        return True

    def _click(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        pos = event.position().toPoint()
        item = self.list.itemAt(pos)
        if item is None:
            return False
        row: PickerRow = item.data(ROW_ROLE)
        self.list.setCurrentItem(item)
        on_chevron = pos.x() >= self.list.viewport().width() - CHEVRON_W
        if row.variant is None and real_variants(row.product) and on_chevron:
            self.set_expanded(row.product.id, not self.is_expanded(row.product.id))
        else:
            self._choose(row)
        return True

    def hideEvent(self, event: QHideEvent) -> None:
        """Closing any other way than choosing (Esc, click outside) is a dismissal."""
        super().hideEvent(event)
        if not self._finished:
            self._finished = True
            self.dismissed.emit()
