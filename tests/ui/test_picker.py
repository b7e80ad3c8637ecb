"""The type-ahead product picker on a real workspace catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt

from studio.core.workspace import Workspace
from studio.ui.document import Document
from studio.ui.picker import ProductPicker, no_match_text, popup_geometry, price_texts


@pytest.fixture
def doc(sample_workspace: Path) -> Iterator[Document]:
    document = Document(Workspace.open(sample_workspace))
    yield document
    document.close()


@pytest.fixture
def picker(qtbot, doc: Document) -> ProductPicker:
    widget = ProductPicker()
    qtbot.addWidget(widget)
    widget.open_at(QPoint(100, 100), doc)
    return widget


def _ids_by_title(doc: Document) -> dict[str, str]:
    return {p.title: p.id for p in doc.catalog.all()}


def test_empty_query_lists_the_catalog(picker: ProductPicker, doc: Document) -> None:
    assert picker.isVisible()
    assert [pid for pid, _v in picker.rows()] == [p.id for p in doc.catalog.all()]
    assert picker.current() == picker.rows()[0]
    assert not picker.grab().isNull()  # the row painter runs (an exception in it fails the test)


def test_typing_searches_at_once_and_enter_chooses(qtbot, picker: ProductPicker, doc: Document) -> None:
    shirt = _ids_by_title(doc)["Chemise en lin Été"]
    qtbot.keyClicks(picker.search, "chemise ete")
    assert picker.rows()[0] == (shirt, None)
    with qtbot.waitSignal(picker.chosen) as signal:
        qtbot.keyClick(picker.search, Qt.Key.Key_Down)
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert signal.args == [shirt, None]
    assert not picker.isVisible()


def test_down_moves_to_the_next_product(qtbot, picker: ProductPicker, doc: Document) -> None:
    second = picker.rows()[1]
    with qtbot.waitSignal(picker.chosen) as signal:
        qtbot.keyClick(picker.search, Qt.Key.Key_Down)
        qtbot.keyClick(picker.search, Qt.Key.Key_Enter)
    assert signal.args == [second[0], None]


def test_right_expands_variants_and_enter_picks_one(qtbot, picker: ProductPicker, doc: Document) -> None:
    shirt = doc.catalog.get(_ids_by_title(doc)["Chemise en lin Été"])
    assert shirt is not None and len(shirt.variants) == 2
    qtbot.keyClicks(picker.search, "chemise")
    rows_before = len(picker.rows())
    qtbot.keyClick(picker.search, Qt.Key.Key_Right)
    assert picker.is_expanded(shirt.id)
    assert picker.rows()[:3] == [
        (shirt.id, None),
        (shirt.id, shirt.variants[0].id),
        (shirt.id, shirt.variants[1].id),
    ]
    assert len(picker.rows()) == rows_before + 2
    assert not picker.grab().isNull()  # variant rows paint too
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    assert picker.current() == (shirt.id, shirt.variants[1].id)
    qtbot.keyClick(picker.search, Qt.Key.Key_Left)  # collapse, back on the product
    assert len(picker.rows()) == rows_before and not picker.is_expanded(shirt.id)
    assert picker.current() == (shirt.id, None)
    qtbot.keyClick(picker.search, Qt.Key.Key_Right)
    qtbot.keyClick(picker.search, Qt.Key.Key_Right)  # second Right steps into the variants
    with qtbot.waitSignal(picker.chosen) as signal:
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert signal.args == [shirt.id, shirt.variants[0].id]


def test_products_without_real_variants_do_not_expand(qtbot, picker: ProductPicker, doc: Document) -> None:
    qtbot.keyClicks(picker.search, "mug")
    mug = picker.rows()[0]
    qtbot.keyClick(picker.search, Qt.Key.Key_Right)
    assert picker.rows() == [mug]


def test_escape_dismisses(qtbot, picker: ProductPicker) -> None:
    with qtbot.waitSignal(picker.dismissed):
        qtbot.keyClick(picker.search, Qt.Key.Key_Escape)
    assert not picker.isVisible()


def test_no_match_shows_the_empty_state(qtbot, picker: ProductPicker) -> None:
    qtbot.keyClicks(picker.search, "xyz")
    assert picker.rows() == []
    assert picker.empty.isVisible() and not picker.list.isVisible()
    assert picker.empty.text() == no_match_text("xyz")
    assert "File → Import catalog…" in picker.empty.text()


def test_mouse_click_chooses_and_chevron_expands(qtbot, picker: ProductPicker, doc: Document) -> None:
    qtbot.keyClicks(picker.search, "chemise")
    shirt = picker.rows()[0][0]
    rect = picker.list.visualItemRect(picker.list.item(0))
    qtbot.mouseClick(
        picker.list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(picker.list.viewport().width() - 8, rect.center().y()),
    )
    assert picker.is_expanded(shirt)
    variant_rect = picker.list.visualItemRect(picker.list.item(2))
    with qtbot.waitSignal(picker.chosen) as signal:
        qtbot.mouseClick(picker.list.viewport(), Qt.MouseButton.LeftButton, pos=variant_rect.center())
    assert signal.args == [shirt, picker_variant(doc, shirt, 1)]


def picker_variant(doc: Document, product_id: str, index: int) -> str:
    product = doc.catalog.get(product_id)
    assert product is not None
    return product.variants[index].id


def test_prices_follow_the_document_locale(doc: Document) -> None:
    shirt = doc.catalog.get(_ids_by_title(doc)["Chemise en lin Été"])
    assert shirt is not None
    assert price_texts(shirt, None, doc.locale) == ("89,00\u00a0€", "110,00\u00a0€")
    mug = doc.catalog.get(_ids_by_title(doc)["Ceramic mug"])
    assert mug is not None and price_texts(mug, None, "en_US") == ("€24.50", None)


def test_popup_stays_on_screen() -> None:
    screen = QRect(0, 0, 1000, 800)
    size = QSize(400, 300)
    assert popup_geometry(QPoint(100, 100), size, screen) == QRect(100, 100, 400, 300)
    assert popup_geometry(QPoint(100, 700), size, screen) == QRect(100, 400, 400, 300)  # flipped above
    assert popup_geometry(QPoint(900, 100), size, screen).right() == 999  # shifted left
    assert popup_geometry(QPoint(10, 10), QSize(2000, 2000), screen) == screen


# --- product thumbnails (placeholder at once, the real crop off-thread) ------------------------------


def test_product_thumbs_placeholder_then_tagged_crop(qtbot, doc: Document) -> None:
    from studio.core.model import Tag
    from studio.ui import commands
    from studio.ui.product_thumbs import ProductThumbs, initials
    from studio.ui.workers import WorkerBridge

    bridge = WorkerBridge(immediate=False)
    thumbs = ProductThumbs(bridge)
    thumbs.set_document(doc)
    shirt = doc.catalog.get(_ids_by_title(doc)["Chemise en lin Été"])
    mug = doc.catalog.get(_ids_by_title(doc)["Ceramic mug"])
    assert shirt is not None and mug is not None
    assert initials(shirt.title) == "CE"
    look = next(m for m in doc.project.media if m.path.endswith("look.jpg"))
    commands.add_tags(
        doc, look.id, [Tag(id="t1", product_id=shirt.id, x=0.5, y=0.5, box=(0.2, 0.2, 0.6, 0.7))]
    )
    with qtbot.waitSignal(thumbs.updated, timeout=10000) as signal:
        first = thumbs.pixmap(shirt)  # returns at once
        assert not first.isNull() and not thumbs.has_real(shirt.id)
    assert signal.args == [shirt.id]
    real = thumbs.pixmap(shirt)
    assert thumbs.has_real(shirt.id) and real.width() == 64
    tan = real.toImage().pixelColor(32, 32)
    assert (tan.red(), tan.green(), tan.blue()) == pytest.approx((210, 180, 140), abs=12)  # look.jpg is tan
    # an untagged product without a local image keeps its placeholder (asked once, no updated)
    assert not thumbs.icon(mug).isNull()
    assert bridge.wait(10000)
    assert not thumbs.has_real(mug.id)
    # the picker paints the real thumbnail rows
    picker = ProductPicker(thumbs)
    qtbot.addWidget(picker)
    picker.open_at(QPoint(0, 0), doc, "chemise")
    assert picker.thumbnail(shirt).cacheKey() == real.cacheKey()
    assert not picker.grab().isNull()
    assert bridge.wait(10000)
