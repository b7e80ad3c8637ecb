"""Crop for sizes and New size dialogs over a real workspace with a real tagged JPEG.

Why these tests drive the mouse: the promise is "drag the crop, see which tag falls out, by name",
so the drag goes through the view's real mouse events, and the stored focus is then checked
against the export job itself (not only the dialog's own arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from studio.core.model import Tag, new_id
from studio.core.workspace import Workspace
from studio.jobs.export_batch import export_batch
from studio.render.fit import FOCUS_KEY, focus_for, plan_fit, remap_tags, user_focus
from studio.render.presets import EXTRA_KEY, all_presets
from studio.ui import commands
from studio.ui.crop_dialog import CropDialog
from studio.ui.document import Document
from studio.ui.preset_dialog import PresetDialog

STORY = "instagram-story"  # 9:16: from a 640×480 photo it keeps 42 % of the width


@pytest.fixture
def doc(qtbot, sample_workspace: Path) -> Iterator[Document]:
    d = Document(Workspace.open(sample_workspace))
    yield d
    d.close()


def _product_id(doc: Document, title: str) -> str:
    return next(p.id for p in doc.catalog.all() if p.title == title)


@pytest.fixture
def look(doc: Document) -> str:
    """look.jpg (640×480) with a mug in the middle and a tote near the right edge, as one step."""
    media = next(m for m in doc.project.media if m.name.startswith("look") or m.path.endswith("look.jpg"))
    tags = [
        Tag(id=new_id("tag"), product_id=_product_id(doc, "Ceramic mug"), x=0.5, y=0.5),
        Tag(id=new_id("tag"), product_id=_product_id(doc, "Canvas tote"), x=0.9, y=0.5),
    ]
    commands.add_tags(doc, media.id, tags)
    doc.undo_stack.clear()  # the tests count their own undo steps
    return media.id


def _dialog(qtbot, doc: Document, media_id: str, preset: str = STORY) -> CropDialog:
    dialog = CropDialog(doc, media_id, preset=preset)
    qtbot.addWidget(dialog)
    dialog.resize(900, 640)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _drag(qtbot, dialog: CropDialog, dx_fraction: float) -> None:
    """Grab the crop in its middle and drag it by `dx_fraction` of the photo's width."""
    view = dialog.view
    start = view.frame_rect().center().toPoint()
    end = start + QPoint(round(dx_fraction * view.image_rect().width()), 0)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    mid = (start + end) / 2
    qtbot.mouseMove(view, mid)
    qtbot.mouseMove(view, end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)


def _listed_outside(dialog: CropDialog) -> list[str]:
    items = (dialog.tag_list.item(i).text() for i in range(dialog.tag_list.count()))
    return [t[2:] for t in items if t.startswith("✗ ")]


def test_drag_moves_the_crop_and_names_the_tag_it_cuts(qtbot, doc: Document, look: str) -> None:
    dialog = _dialog(qtbot, doc, look)
    assert dialog.preset.name == STORY
    assert dialog.view.pixmap is not None and not dialog.view.pixmap.isNull()  # the photo is shown
    assert _listed_outside(dialog) == []  # automatic focus keeps both tags
    before = dialog.focus()

    _drag(qtbot, dialog, -0.25)

    after = dialog.focus()
    assert after[0] < before[0] - 0.15
    assert dialog.outside_titles() == ["Canvas tote"]
    assert _listed_outside(dialog) == ["Canvas tote"]
    assert "Canvas tote" in dialog.note.text()
    assert doc.project.extra.get(FOCUS_KEY) is None  # nothing stored before OK
    assert doc.undo_stack.count() == 0


def test_crop_is_clamped_to_the_image(qtbot, doc: Document, look: str) -> None:
    dialog = _dialog(qtbot, doc, look)
    _drag(qtbot, dialog, -2.0)
    crop = dialog.plan().crop
    assert crop.x0 == pytest.approx(0.0)
    assert dialog.focus()[0] == pytest.approx((crop.x1 - crop.x0) / 2)  # the crop's own centre


def test_ok_stores_one_undo_step_and_the_export_uses_it(
    qtbot, doc: Document, look: str, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, doc, look)
    _drag(qtbot, dialog, -0.25)
    moved = dialog.focus()
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    assert doc.undo_stack.count() == 1
    stored = user_focus(doc.project, look, STORY)
    assert stored == pytest.approx(moved, abs=1e-5)
    tags = doc.media(look).tags
    assert focus_for(doc.project, look, STORY, tags) == pytest.approx(moved, abs=1e-5)
    media = doc.media(look)
    plan = plan_fit((media.width, media.height), all_presets(doc.project)[STORY], stored)
    assert [t.x for t in remap_tags(tags, plan).outside] == [0.9]

    # The real export job, on the same snapshot the GUI hands it, reports the tote by name.
    manifest = export_batch(
        doc.workspace.root,
        doc.project,
        doc.workspace.catalog_path,
        [all_presets(doc.project)[STORY]],
        ["clean"],
        tmp_path / "out",
        only="tagged",
        workers=1,
    )
    outside = [o for item in manifest.items for o in item.outside]
    assert [o.get("title") for o in outside] == ["Canvas tote"], outside

    doc.undo_stack.undo()
    assert user_focus(doc.project, look, STORY) is None
    assert doc.project.extra.get(FOCUS_KEY) is None
    doc.undo_stack.redo()
    assert user_focus(doc.project, look, STORY) == pytest.approx(moved, abs=1e-5)


def test_cancel_changes_nothing(qtbot, doc: Document, look: str) -> None:
    dialog = _dialog(qtbot, doc, look)
    _drag(qtbot, dialog, -0.25)
    dialog.reject()
    assert doc.project.extra.get(FOCUS_KEY) is None
    assert doc.undo_stack.count() == 0


def test_reset_to_automatic_removes_the_override(qtbot, doc: Document, look: str) -> None:
    commands.set_extra(doc, FOCUS_KEY, {look: {STORY: [0.3, 0.5]}}, "Move crop")
    dialog = _dialog(qtbot, doc, look)
    assert dialog.outside_titles() == ["Canvas tote"]
    assert dialog.reset_button.isEnabled()
    dialog.reset_button.click()
    assert dialog.outside_titles() == []
    assert not dialog.reset_button.isEnabled()
    dialog.accept()
    assert user_focus(doc.project, look, STORY) is None
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert user_focus(doc.project, look, STORY) == (0.3, 0.5)


def test_letterbox_preset_has_nothing_to_move(qtbot, doc: Document, look: str) -> None:
    dialog = _dialog(qtbot, doc, look, preset="facebook-link")
    assert dialog.view.letterbox
    assert "nothing" in dialog.note.text() or "no crop to move" in dialog.note.text()
    _drag(qtbot, dialog, -0.25)
    assert dialog.overrides["facebook-link"] is None
    assert not dialog.reset_button.isEnabled()
    dialog.accept()
    assert doc.undo_stack.count() == 0


# --- New size -------------------------------------------------------------------------------------


def _preset_dialog(qtbot, doc: Document, name: str, w: int, h: int) -> PresetDialog:
    dialog = PresetDialog(doc)
    qtbot.addWidget(dialog)
    dialog.name.setText(name)
    dialog.title_edit.setText("Shop banner")
    dialog.width_box.setValue(w)
    dialog.height_box.setValue(h)
    dialog.fit.setCurrentText("letterbox")
    dialog.fill.setCurrentIndex(dialog.fill.findData("solid"))
    dialog.fill_colour.setText("#112233")
    dialog.format.setCurrentText("png")
    dialog.max_mb.setValue(2.5)
    return dialog


def test_new_preset_is_listed_and_undo_removes_it(qtbot, doc: Document) -> None:
    dialog = _preset_dialog(qtbot, doc, "shop-banner", 1600, 500)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    preset = all_presets(doc.project)["shop-banner"]
    assert (preset.width, preset.height, preset.fit, preset.fill, preset.format) == (
        1600,
        500,
        "letterbox",
        "#112233",
        "png",
    )
    assert preset.max_bytes == 2_500_000 and not preset.builtin
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert "shop-banner" not in all_presets(doc.project)
    assert not doc.project.extra.get(EXTRA_KEY)


@pytest.mark.parametrize(("w", "h"), [(0, 500), (1600, 0), (9000, 500)])
def test_invalid_sizes_are_refused(qtbot, doc: Document, w: int, h: int) -> None:
    dialog = _preset_dialog(qtbot, doc, "shop-banner", w, h)
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "out of range" in dialog.error.text()
    assert doc.undo_stack.count() == 0
    assert "shop-banner" not in all_presets(doc.project)


def test_duplicate_and_builtin_names(qtbot, doc: Document) -> None:
    _preset_dialog(qtbot, doc, "shop-banner", 1600, 500).accept()
    again = _preset_dialog(qtbot, doc, "shop-banner", 800, 800)
    again.accept()
    assert "already has" in again.error.text()
    assert all_presets(doc.project)["shop-banner"].width == 1600

    asked: list[str] = []
    override = _preset_dialog(qtbot, doc, "instagram-square", 1440, 1440)
    override.confirm_override = lambda p: asked.append(p.name) or False  # type: ignore[method-assign]
    override.accept()
    assert asked == ["instagram-square"]
    assert all_presets(doc.project)["instagram-square"].width == 1080
    override.confirm_override = lambda p: True  # type: ignore[method-assign]
    override.accept()
    assert all_presets(doc.project)["instagram-square"].width == 1440
    doc.undo_stack.undo()
    assert all_presets(doc.project)["instagram-square"].builtin


def test_export_dialog_new_size_button_lists_it_checked(qtbot, doc: Document) -> None:
    from studio.ui.main_window import ExportDialog

    export = ExportDialog(doc)
    qtbot.addWidget(export)

    def fill_and_accept(dialog: PresetDialog) -> bool:
        dialog.name.setText("square-small")
        dialog.width_box.setValue(600)
        dialog.height_box.setValue(600)
        dialog.accept()
        return dialog.result() == dialog.DialogCode.Accepted

    export.run_preset_dialog = fill_and_accept  # type: ignore[method-assign]
    export.new_preset_button.click()
    chosen = [p.name for p in export.chosen_presets()]
    assert "square-small" in chosen and "instagram-portrait" in chosen
    assert doc.undo_stack.count() == 1


def test_window_action_opens_the_dialog_on_the_open_photo(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    shown: list[CropDialog] = []
    win.run_dialog = lambda dialog: shown.append(dialog) or False  # type: ignore[method-assign]
    by_name = {Path(m.path).name: m for m in win.doc.project.media}
    win.library.select_media([by_name["look.jpg"].id])
    action = win.action_map["file.crop_sizes"]
    assert action.isEnabled()
    action.trigger()
    assert [d.media.id for d in shown] == [by_name["look.jpg"].id]
    win.library.select_media([by_name["clip.mp4"].id])
    action.trigger()
    assert len(shown) == 1
    assert any("photos" in e for e in win.dialogs.errors)
