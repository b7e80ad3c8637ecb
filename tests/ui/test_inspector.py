"""The inspector emits intents (never edits the model) and re-reads the model after commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.core.model import Keyframe, Tag, new_id
from studio.core.post_rules import new_post
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.ui import commands
from studio.ui.document import Document
from studio.ui.inspector import Inspector


def _tiny_video(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(20):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (n * 10, 0, 0)))
            frame.pts, frame.time_base = n, Fraction(1, 10)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.fixture
def doc(sample_workspace: Path) -> Iterator[Document]:
    ws = Workspace.open(sample_workspace)
    report = add_media([_tiny_video(sample_workspace / "media" / "clip.mp4")], ws.project, ws.root)
    assert report.added
    document = Document(ws)
    yield document
    document.close()


def _by_name(doc: Document, name: str) -> str:
    return next(m.id for m in doc.project.media if m.name == name or m.path.endswith(name))


def _product(doc: Document, title: str):  # type: ignore[no-untyped-def]
    return next(p for p in doc.catalog.all() if p.title == title)


@pytest.fixture
def tagged(doc: Document) -> tuple[str, list[Tag]]:
    """look.jpg with a shirt tag and a mug tag, placed through the undo commands."""
    mid = _by_name(doc, "look.jpg")
    shirt, mug = _product(doc, "Chemise en lin Été"), _product(doc, "Ceramic mug")
    tags = [
        Tag(id=new_id("tag"), product_id=shirt.id, x=0.25, y=0.4),
        Tag(id=new_id("tag"), product_id=mug.id, x=0.7, y=0.6, style="callout"),
    ]
    commands.add_tags(doc, mid, tags)
    return mid, tags


@pytest.fixture
def inspector(qtbot, doc: Document) -> Inspector:
    widget = Inspector()
    qtbot.addWidget(widget)
    widget.set_document(doc)
    widget.show()
    return widget


def _wire(inspector: Inspector, doc: Document, media_id: str) -> None:
    """What the main window does: each intent becomes one undo command."""
    inspector.labelTextEdited.connect(
        lambda ids, text: commands.edit_tags(doc, media_id, ids, lambda t: replace(t, label=text), "Label")
    )
    inspector.variantChosen.connect(
        lambda tid, vid: commands.edit_tags(
            doc, media_id, [tid], lambda t: replace(t, variant_id=vid), "Variant"
        )
    )


def test_media_info_without_a_tag(qtbot, inspector: Inspector, doc: Document, tagged) -> None:
    mid, _tags = tagged
    inspector.show_selection(mid, [])
    assert inspector.stack.currentWidget() is inspector.media_page
    f = inspector.media_fields
    assert f["name"].text() == "look.jpg"
    assert f["kind"].text() == "Photo"
    assert f["size"].text() == "640 × 480 px"
    assert f["path"].text() == str(doc.workspace.root / "media" / "look.jpg")
    assert f["tags"].text() == "2"
    assert f["posts"].text() == "not in any post"
    assert not f["codec"].isVisible()
    commands.set_posts(doc, [new_post([mid]), new_post([mid, _by_name(doc, "mug.png")])], "New posts")
    assert f["posts"].text() == "in 2 posts"  # re-read on postsChanged


def test_video_media_info(inspector: Inspector, doc: Document) -> None:
    inspector.show_selection(_by_name(doc, "clip.mp4"), [])
    f = inspector.media_fields
    assert f["kind"].text() == "Video"
    assert f["duration"].text() == "0:02.0"
    assert f["fps"].text() == "10 fps"
    assert f["codec"].text() == "mpeg4" and f["codec"].isVisible()
    assert f["audio"].text() == "no"


def test_single_tag_fields_and_change_button(qtbot, inspector: Inspector, doc: Document, tagged) -> None:
    mid, tags = tagged
    inspector.show_selection(mid, [tags[0].id])
    assert inspector.stack.currentWidget() is inspector.tag_page
    assert inspector.product_title.text() == "Chemise en lin Été"
    assert "89,00" in inspector.product_price.text() and "<s>110,00" in inspector.product_price.text()
    assert inspector.label_edit.placeholderText() == "89,00\u00a0€"
    assert (inspector.x_spin.value(), inspector.y_spin.value()) == (25.0, 40.0)
    assert inspector.variant_combo.count() == 3  # product + S + M
    assert not inspector.video_box.isVisible()
    with qtbot.waitSignal(inspector.pickRequested) as signal:
        qtbot.mouseClick(inspector.change_button, Qt.MouseButton.LeftButton)
    assert signal.args == [tags[0].id]


def test_variant_combo_emits_and_model_is_reread(qtbot, inspector: Inspector, doc: Document, tagged) -> None:
    mid, tags = tagged
    shirt = _product(doc, "Chemise en lin Été")
    _wire(inspector, doc, mid)
    inspector.show_selection(mid, [tags[0].id])
    inspector.variant_combo.setFocus()
    with qtbot.waitSignal(inspector.variantChosen) as signal:
        qtbot.keyClick(inspector.variant_combo, Qt.Key.Key_Down)
    assert signal.args == [tags[0].id, shirt.variants[0].id]
    assert doc.tag(mid, tags[0].id).variant_id == shirt.variants[0].id
    doc.undo_stack.undo()
    assert inspector.variant_combo.currentIndex() == 0  # the inspector followed the undo


def test_label_text_commits_on_enter_only(qtbot, inspector: Inspector, doc: Document, tagged) -> None:
    mid, tags = tagged
    _wire(inspector, doc, mid)
    inspector.show_selection(mid, [tags[0].id])
    emitted: list[tuple[list[str], object]] = []
    inspector.labelTextEdited.connect(lambda ids, text: emitted.append((ids, text)))
    inspector.label_edit.setFocus()
    qtbot.keyClicks(inspector.label_edit, "Summer sale")
    assert emitted == []  # not per keystroke
    qtbot.keyClick(inspector.label_edit, Qt.Key.Key_Return)
    assert emitted == [([tags[0].id], "Summer sale")]
    assert doc.tag(mid, tags[0].id).label == "Summer sale"
    inspector.label_edit.clear()
    qtbot.keyClick(inspector.label_edit, Qt.Key.Key_Return)
    assert emitted[-1] == ([tags[0].id], None)  # empty = back to the generated text
    assert len(emitted) == 2


def test_typed_label_goes_to_the_tag_it_was_typed_for(qtbot, inspector: Inspector, tagged) -> None:
    mid, tags = tagged
    inspector.show_selection(mid, [tags[0].id])
    emitted: list[tuple[list[str], object]] = []
    inspector.labelTextEdited.connect(lambda ids, text: emitted.append((ids, text)))
    inspector.label_edit.setFocus()
    qtbot.keyClicks(inspector.label_edit, "New in")
    inspector.show_selection(mid, [tags[1].id])  # the canvas selection changed before focus-out
    assert emitted == [([tags[0].id], "New in")]
    assert inspector.label_edit.text() == ""  # the mug tag has no override


def test_style_and_position_intents(qtbot, inspector: Inspector, tagged) -> None:
    mid, tags = tagged
    inspector.show_selection(mid, [tags[0].id])
    inspector.style_combo.setFocus()
    with qtbot.waitSignal(inspector.styleChosen) as signal:
        qtbot.keyClick(inspector.style_combo, Qt.Key.Key_Down)
    assert signal.args == [[tags[0].id], "pointer"]
    spin = inspector.x_spin
    spin.setFocus()
    spin.lineEdit().selectAll()
    with qtbot.waitSignal(inspector.positionEdited) as signal:
        qtbot.keyClicks(spin.lineEdit(), "33.3")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    tag_id, x, y = signal.args
    assert tag_id == tags[0].id and x == pytest.approx(0.333) and y == pytest.approx(0.4)


def test_several_tags_share_a_style(qtbot, inspector: Inspector, tagged) -> None:
    mid, tags = tagged
    inspector.show_selection(mid, [t.id for t in tags])
    assert inspector.stack.currentWidget() is inspector.multi_page
    assert inspector.multi_count.text() == "2 tags selected"
    assert inspector.multi_style_combo.currentData() == "__mixed__"
    index = inspector.multi_style_combo.findData("minimal")
    with qtbot.waitSignal(inspector.styleChosen) as signal:
        inspector.multi_style_combo.setCurrentIndex(index)
        inspector.multi_style_combo.activated.emit(index)  # what a click in the open list does
    assert signal.args == [[t.id for t in tags], "minimal"]


def test_video_tag_time_range(qtbot, inspector: Inspector, doc: Document) -> None:
    vid = _by_name(doc, "clip.mp4")
    tag = Tag(
        id=new_id("tag"), product_id=_product(doc, "Canvas tote").id, x=0.5, y=0.5, start=0.5,
        keyframes=[Keyframe(0.5, 0.5, 0.5), Keyframe(1.0, 0.6, 0.5)],
    )  # fmt: skip
    commands.add_tags(doc, vid, [tag])
    inspector.show_selection(vid, [tag.id])
    assert inspector.video_box.isVisible()
    assert inspector.keyframes_label.text() == "2"
    assert inspector.start_spin.value() == 0.5
    assert inspector.end_spin.text() == "clip end"
    end = inspector.end_spin
    end.setFocus()
    end.lineEdit().selectAll()
    with qtbot.waitSignal(inspector.timeRangeEdited) as signal:
        qtbot.keyClicks(end.lineEdit(), "1.5")
        qtbot.keyClick(end, Qt.Key.Key_Return)
    assert signal.args == [tag.id, 0.5, 1.5]


def test_removed_tag_falls_back_to_media_info(inspector: Inspector, doc: Document, tagged) -> None:
    mid, tags = tagged
    inspector.show_selection(mid, [tags[0].id])
    commands.remove_tags(doc, mid, [tags[0].id])
    assert inspector.stack.currentWidget() is inspector.media_page
    assert inspector.media_fields["tags"].text() == "1"


# --- the workspace label style dialog (it edits what the inspector's style combo picks from) ---------


def test_style_dialog_returns_the_changed_style(
    qtbot, monkeypatch: pytest.MonkeyPatch, doc: Document
) -> None:
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog, QDialog

    from studio.core.model import LabelStyle
    from studio.ui.style_dialog import LabelStyleDialog

    dialog = LabelStyleDialog(doc.label_style, locale=doc.locale, currency=doc.project.currency)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.result_style() == LabelStyle()
    before = dialog.previews["pill"].pixmap().toImage()
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#c62828")))
    qtbot.mouseClick(dialog.background_button, Qt.MouseButton.LeftButton)
    assert dialog.background_button.text() == "#C62828"
    assert dialog.previews["pill"].pixmap().toImage() != before  # repainted by the real painter
    dialog.preset_combo.setFocus()
    qtbot.keyClick(dialog.preset_combo, Qt.Key.Key_Down)  # Pill -> Tag with pointer
    dialog.font_combo.setFocus()
    qtbot.keyClick(dialog.font_combo, Qt.Key.Key_End)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_style() == LabelStyle(
        preset="pointer", background="#C62828", foreground="#FFFFFF", font_family="DejaVu Serif Bold"
    )
    assert doc.label_style == LabelStyle()  # the dialog never touches the document


def test_style_dialog_defaults_button(qtbot, doc: Document) -> None:
    from studio.core.model import LabelStyle
    from studio.ui.style_dialog import LabelStyleDialog, sample_content

    custom = LabelStyle(
        preset="minimal", background="#000000", foreground="#FFEE00", font_family="Comic Sans"
    )
    dialog = LabelStyleDialog(custom, locale="fr_FR", currency="EUR")
    qtbot.addWidget(dialog)
    assert "not bundled" in dialog.font_combo.currentText()
    assert dialog.result_style() == custom
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    assert dialog.result_style() == LabelStyle()
    content = sample_content("fr_FR", "EUR")
    assert (content.price, content.compare_at) == ("89,00\u00a0€", "110,00\u00a0€")
    assert all(not label.pixmap().isNull() for label in dialog.previews.values())
