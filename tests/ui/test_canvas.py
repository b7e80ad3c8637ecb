"""The tagging canvas with real widgets over a real workspace (catalog + JPEGs), offscreen.

Gestures are driven through the viewport with QTest mouse/key events, and results are read back
from the model (normalized tag coordinates) and from the undo stack, so each test checks what a
user's gesture does to the project, not how the canvas happens to store it.
"""

from __future__ import annotations

import gc
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from studio.core.model import Keyframe, Media, MediaKind, Tag
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.import_catalog import import_catalog
from studio.ui import commands
from studio.ui.canvas import TagCanvas
from studio.ui.canvas.image_loader import ImageLoader
from studio.ui.document import Document
from studio.ui.workers import WorkerBridge

CSV = (
    "Title,URL handle,Vendor,Status,SKU,Option1 name,Option1 value,Price,Compare-at price\n"
    "Chemise en lin Été,chemise-lin,Maison,active,CH-S,Size,S,89.00,110.00\n"
    "Ceramic mug,mug,Maison,active,MUG-1,Title,Default Title,24.50,\n"
)
W, H = 640, 480
L, R, U, D = Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down
LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def photo(size: tuple[int, int]) -> Image.Image:
    """A textured photo (two gradients + light blocks) so offsets and blur would show in pixel checks."""
    w, _h = size
    ramp = Image.linear_gradient("L")
    red = ramp.rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize(size)
    green = ramp.resize(size)
    img = Image.merge("RGB", (red, green, Image.new("L", size, 128)))
    draw = ImageDraw.Draw(img)
    for i in range(0, w, 80):
        draw.rectangle([i, 0, i + 30, 30], fill=(240, 240, 240))
    return img


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The photos, drawn and encoded once for the whole file."""
    folder = tmp_path_factory.mktemp("canvas_sources")
    photo((W, H)).save(folder / "look.jpg", quality=92)
    photo((2600, 1800)).save(folder / "big.jpg", quality=80)
    return folder


@pytest.fixture
def workspace(tmp_path: Path, sources: Path) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", locale="fr_FR", store_url="https://shop.example.com") as ws:
        (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
        import_catalog(tmp_path / "c.csv", ws.catalog, currency="EUR", store_url=ws.project.store_url)
        media = root / "media"
        media.mkdir()
        for name in ("look.jpg", "big.jpg"):
            shutil.copyfile(sources / name, media / name)
        add_media([media], ws.project, root)
        ws.save()
    opened = Workspace.open(root)
    yield opened
    opened.close()


def media_named(ws: Workspace, name: str) -> Media:
    return next(m for m in ws.project.media if m.name == name)


@pytest.fixture
def bridge() -> WorkerBridge:
    return WorkerBridge(immediate=True)


@pytest.fixture
def doc(workspace: Workspace) -> Iterator[Document]:
    document = Document(workspace)
    yield document
    # Undo commands reference the document: a reference cycle through Qt objects. Break it and
    # collect here, on the GUI thread, instead of letting a later collection run in some worker
    # thread of another test and destroy QObjects there.
    document.undo_stack.clear()
    gc.collect()


@pytest.fixture
def view(qtbot, bridge: WorkerBridge, doc: Document, workspace: Workspace) -> TagCanvas:
    canvas = TagCanvas(bridge)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_document(doc)
    canvas.show_media(media_named(workspace, "look.jpg").id)
    return canvas


def tags(view: TagCanvas, doc: Document) -> list[Tag]:
    media_id = view.current_media_id()
    assert media_id is not None
    return doc.media(media_id).tags


def vp(view: TagCanvas, x: float, y: float) -> QPoint:
    """Viewport pixel of a normalized image point."""
    return view.map_from_image(x, y).toPoint()


def drag(qtbot, view: TagCanvas, a: QPoint, b: QPoint, mods=NOMOD, steps: int = 5) -> None:
    widget = view.viewport()
    qtbot.mousePress(widget, LEFT, mods, a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(widget, a + (b - a) * (i / steps))
    qtbot.mouseRelease(widget, LEFT, mods, b)


def add(doc: Document, view: TagCanvas, *new: Tag) -> None:
    media_id = view.current_media_id()
    assert media_id is not None
    commands.add_tags(doc, media_id, new)


def norm_of(view: TagCanvas, p: QPoint) -> tuple[float, float]:
    s = view.mapToScene(p)
    return s.x() / W, s.y() / H


def px_tol(view: TagCanvas) -> float:
    """One screen pixel, in normalized units of the width (the precision a click can have)."""
    return 1.0 / view.zoom() / W


# --- placing ---------------------------------------------------------------------------------------


def test_starts_fitted_and_click_places_a_point_tag_at_the_clicked_pixel(qtbot, view, doc) -> None:
    rect = view.image_viewport_rect()
    assert rect.width() <= view.viewport().width() and rect.height() <= view.viewport().height()
    assert rect.width() > view.viewport().width() * 0.8 or rect.height() > view.viewport().height() * 0.8
    picked: list[tuple[str, QPoint]] = []
    view.pickerRequested.connect(lambda tag_id, pos: picked.append((tag_id, pos)))
    p = vp(view, 0.3, 0.6)
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, p)
    [tag] = tags(view, doc)
    ex, ey = norm_of(view, p)
    assert tag.box is None
    assert tag.x == pytest.approx(ex, abs=1e-9) and tag.y == pytest.approx(ey, abs=1e-9)
    assert abs(tag.x - 0.3) <= px_tol(view) and abs(tag.y - 0.6) <= px_tol(view) * W / H
    assert view.selected_tag_ids() == [tag.id]
    assert picked and picked[0][0] == tag.id
    # the picker opens next to the tag, in global coordinates
    assert (picked[0][1] - view.viewport().mapToGlobal(p)).manhattanLength() < 40
    assert doc.undo_stack.count() == 1


def test_drag_places_a_box_tag_anchored_at_its_centre(qtbot, view, doc) -> None:
    a, b = vp(view, 0.2, 0.2), vp(view, 0.5, 0.6)
    drag(qtbot, view, a, b)
    [tag] = tags(view, doc)
    (ax, ay), (bx, by) = norm_of(view, a), norm_of(view, b)
    assert tag.box == pytest.approx((ax, ay, bx, by))
    assert (tag.x, tag.y) == pytest.approx(((ax + bx) / 2, (ay + by) / 2))
    assert doc.undo_stack.count() == 1


def test_clicks_and_drags_outside_the_image_keep_tags_inside(qtbot, view, doc) -> None:
    rect = view.image_viewport_rect()
    # just outside the right edge: still a placement, clamped onto the edge
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, QPoint(int(rect.right()) + 4, int(rect.center().y())))
    # far outside: no tag at all
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, QPoint(2, 2))
    # a box dragged from inside to far past the bottom-left corner
    drag(qtbot, view, vp(view, 0.3, 0.5), QPoint(int(rect.left()) - 200, int(rect.bottom()) + 200))
    made = tags(view, doc)
    assert len(made) == 2
    assert made[0].x == 1.0
    assert made[1].box is not None and made[1].box[0] == 0.0 and made[1].box[3] == 1.0
    # dragging a tag far past the top edge stops it at the edge
    drag(qtbot, view, vp(view, made[0].x, made[0].y), QPoint(int(rect.center().x()), -300))
    moved = tags(view, doc)[0]
    assert moved.y == 0.0 and 0.0 <= moved.x <= 1.0
    for t in tags(view, doc):
        assert 0.0 <= t.x <= 1.0 and 0.0 <= t.y <= 1.0
        if t.box:
            assert all(0.0 <= v <= 1.0 for v in t.box)


# --- moving, resizing, nudging, deleting -------------------------------------------------------------


def test_dragging_a_tag_is_one_command_and_undo_redo_are_exact(qtbot, view, doc) -> None:
    add(doc, view, Tag("t1", "", 0.25, 0.25), Tag("t2", "", 0.7, 0.7, box=(0.6, 0.6, 0.8, 0.8)))
    before = [(t.x, t.y, t.box) for t in tags(view, doc)]
    count = doc.undo_stack.count()
    view.select_tags(["t1", "t2"])
    drag(qtbot, view, vp(view, 0.25, 0.25), vp(view, 0.35, 0.2), steps=12)
    assert doc.undo_stack.count() == count + 1  # one command for the whole gesture
    after = [(t.x, t.y, t.box) for t in tags(view, doc)]
    assert after[0][0] > 0.3 and after[1][2] is not None and after[1][2][0] > 0.65  # both moved together
    dx = after[0][0] - before[0][0]
    assert after[1][0] - before[1][0] == pytest.approx(dx)
    doc.undo_stack.undo()
    assert [(t.x, t.y, t.box) for t in tags(view, doc)] == before
    assert view.selected_tag_ids() == ["t1", "t2"]  # selection kept by id
    doc.undo_stack.redo()
    assert [(t.x, t.y, t.box) for t in tags(view, doc)] == after
    item = view.tag_item("t1")
    assert item is not None and item.pos().x() == pytest.approx(after[0][0] * W)


def test_click_on_a_tag_selects_and_ctrl_click_toggles(qtbot, view, doc) -> None:
    add(doc, view, Tag("a", "", 0.2, 0.2), Tag("b", "", 0.6, 0.6))
    seen: list[list[str]] = []
    view.selectionChanged.connect(seen.append)
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, vp(view, 0.2, 0.2))
    assert view.selected_tag_ids() == ["a"]
    qtbot.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.ControlModifier, vp(view, 0.6, 0.6))
    assert view.selected_tag_ids() == ["a", "b"]
    qtbot.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.ShiftModifier, vp(view, 0.2, 0.2))
    assert view.selected_tag_ids() == ["b"]
    assert seen[-1] == ["b"]
    assert len(tags(view, doc)) == 2  # selecting never placed a tag


def test_handle_resize_changes_only_that_edge_in_one_command(qtbot, view, doc) -> None:
    add(doc, view, Tag("bx", "", 0.5, 0.5, box=(0.4, 0.4, 0.6, 0.6)))
    view.select_tags(["bx"])
    count = doc.undo_stack.count()
    target = vp(view, 0.8, 0.55)
    drag(qtbot, view, vp(view, 0.6, 0.5), target)  # the east handle
    [t] = tags(view, doc)
    assert doc.undo_stack.count() == count + 1
    assert t.box is not None
    assert (
        t.box[0] == pytest.approx(0.4) and t.box[1] == pytest.approx(0.4) and t.box[3] == pytest.approx(0.6)
    )
    assert t.box[2] == pytest.approx(norm_of(view, target)[0])
    assert t.x == pytest.approx((t.box[0] + t.box[2]) / 2)  # a centred anchor stays centred
    # the south-west corner past the image corner clamps
    drag(qtbot, view, vp(view, 0.4, 0.6), QPoint(-50, 2000))
    [t] = tags(view, doc)
    assert t.box is not None and t.box[0] == 0.0 and t.box[3] == 1.0


def test_arrow_nudges_by_screen_pixels_and_merge_into_one_undo_step(qtbot, view, doc) -> None:
    add(doc, view, Tag("n", "", 0.5, 0.5))
    view.select_tags(["n"])
    view.setFocus()
    count = doc.undo_stack.count()
    step = 1.0 / view.zoom()  # image pixels per screen pixel
    qtbot.keyClick(view, R)
    qtbot.keyClick(view, R)
    qtbot.keyClick(view, D, Qt.KeyboardModifier.ShiftModifier)
    [t] = tags(view, doc)
    assert t.x * W == pytest.approx(0.5 * W + 2 * step)
    assert t.y * H == pytest.approx(0.5 * H + 10 * step)
    assert doc.undo_stack.count() == count + 1  # merged
    doc.undo_stack.undo()
    assert (tags(view, doc)[0].x, tags(view, doc)[0].y) == (0.5, 0.5)


def test_delete_removes_selected_and_undo_brings_them_back(qtbot, view, doc) -> None:
    add(doc, view, Tag("d1", "", 0.2, 0.2), Tag("d2", "", 0.4, 0.4), Tag("d3", "", 0.6, 0.6))
    view.select_tags(["d1", "d3"])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [t.id for t in tags(view, doc)] == ["d2"]
    assert view.selected_tag_ids() == []
    assert view.tag_item("d1") is None
    doc.undo_stack.undo()
    assert [t.id for t in tags(view, doc)] == ["d1", "d2", "d3"]
    assert view.tag_item("d1") is not None
    view.select_tags(["d2"])
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert [t.id for t in tags(view, doc)] == ["d1", "d3"]


def test_shift_drag_rubber_band_selects_two_of_three(qtbot, view, doc) -> None:
    add(doc, view, Tag("r1", "", 0.2, 0.2), Tag("r2", "", 0.3, 0.35), Tag("r3", "", 0.8, 0.8))
    drag(qtbot, view, vp(view, 0.1, 0.1), vp(view, 0.5, 0.5), Qt.KeyboardModifier.ShiftModifier)
    assert sorted(view.selected_tag_ids()) == ["r1", "r2"]
    assert len(tags(view, doc)) == 3  # the band placed nothing
    # select tool: a plain drag on empty space is a band too
    view.set_tool("select")
    drag(qtbot, view, vp(view, 0.7, 0.7), vp(view, 0.9, 0.9))
    assert view.selected_tag_ids() == ["r3"]
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, vp(view, 0.5, 0.9))
    assert view.selected_tag_ids() == [] and len(tags(view, doc)) == 3


def test_double_click_and_enter_request_the_picker(qtbot, view, doc) -> None:
    add(doc, view, Tag("p", "", 0.5, 0.5))
    picked: list[str] = []
    view.pickerRequested.connect(lambda tag_id, pos: picked.append(tag_id))
    qtbot.mouseDClick(view.viewport(), LEFT, NOMOD, vp(view, 0.5, 0.5))
    assert picked == ["p"]
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert picked == ["p", "p"]
    assert len(tags(view, doc)) == 1


def test_copy_selected_returns_deep_copies(view, doc) -> None:
    add(doc, view, Tag("c", "", 0.5, 0.5, box=(0.4, 0.4, 0.6, 0.6)))
    view.select_all()
    [copied] = view.copy_selected()
    copied.x = 0.9
    assert tags(view, doc)[0].x == 0.5


# --- zoom and labels -------------------------------------------------------------------------------


def wheel(view: TagCanvas, pos: QPoint, delta: int) -> None:
    event = QWheelEvent(
        QPointF(pos),
        QPointF(view.viewport().mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        NOMOD,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_wheel_zoom_keeps_the_image_point_under_the_cursor(view) -> None:
    zooms: list[float] = []
    view.zoomChanged.connect(zooms.append)
    for cursor, delta in [(QPoint(200, 150), 120), (QPoint(650, 420), 240), (QPoint(30, 560), -120)]:
        before = view.mapToScene(cursor)
        start = view.zoom()
        wheel(view, cursor, delta)
        assert view.zoom() != start
        after = view.viewportTransform().map(before)
        assert abs(after.x() - cursor.x()) <= 1.0 and abs(after.y() - cursor.y()) <= 1.0
    assert len(zooms) == 3 and zooms[1] > zooms[0]


def test_zoom_commands_and_fit(view, qtbot) -> None:
    fitted = view.zoom()
    view.actual_size()
    assert view.zoom() == 1.0
    view.zoom_in()
    assert view.zoom() == pytest.approx(1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(0.8)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.zoom() == pytest.approx(fitted)
    qtbot.keyClick(view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == 1.0


def test_labels_keep_their_screen_size_and_markers_their_place(view, doc, workspace) -> None:
    product = next(iter(workspace.catalog.all()))
    add(doc, view, Tag("l", product.id, 0.4, 0.4))
    view.actual_size()
    first = view.label_viewport_rect("l")
    assert not first.isEmpty()
    view.zoom_in()
    view.zoom_in()
    second = view.label_viewport_rect("l")
    assert (second.width(), second.height()) == (first.width(), first.height())
    anchor = view.map_from_image(0.4, 0.4)
    assert second.left() <= anchor.x() <= second.right()  # still pinned on its tag


def test_label_near_the_right_edge_stays_inside_the_image_on_screen(qtbot, view, doc, workspace) -> None:
    product = next(p for p in workspace.catalog.all() if p.compare_at)  # the widest label
    add(doc, view, Tag("edge", product.id, 0.995, 0.5), Tag("corner", product.id, 0.99, 0.99))
    for zoom_step in (None, "in"):
        if zoom_step:
            view.zoom_in()
        image = view.image_viewport_rect()
        for tag_id in ("edge", "corner"):
            label = view.label_viewport_rect(tag_id)
            assert not label.isEmpty()
            assert image.adjusted(-1, -1, 1, 1).contains(label), (tag_id, label, image)
    # wheel zoom re-places labels once the wheel rests
    wheel(view, vp(view, 0.9, 0.5), 360)

    def inside() -> bool:
        image = view.image_viewport_rect().adjusted(-1, -1, 1, 1)
        return all(image.contains(view.label_viewport_rect(t)) for t in ("edge", "corner"))

    qtbot.waitUntil(inside, timeout=3000)


def test_missing_product_still_shows_a_label(view, doc) -> None:
    add(doc, view, Tag("gone", "prod_does_not_exist", 0.5, 0.5))
    assert not view.label_viewport_rect("gone").isEmpty()


# --- model follows / loading ------------------------------------------------------------------------


def test_scene_follows_model_changes_made_elsewhere(view, doc, workspace) -> None:
    add(doc, view, Tag("m1", "", 0.2, 0.2), Tag("m2", "", 0.8, 0.8))
    view.select_tags(["m1", "m2"])
    item = view.tag_item("m1")
    media_id = view.current_media_id()
    assert media_id is not None
    commands.edit_tags(doc, media_id, ["m1"], lambda t: Tag(t.id, t.product_id, 0.5, 0.5), "edit")
    assert view.tag_item("m1") is item  # updated in place, not rebuilt
    assert item is not None and item.pos() == QPointF(0.5 * W, 0.5 * H)
    commands.remove_tags(doc, media_id, ["m2"])
    assert view.selected_tag_ids() == ["m1"]
    other = media_named(workspace, "big.jpg")
    commands.add_tags(doc, other.id, [Tag("elsewhere", "", 0.5, 0.5)])
    assert view.tag_item("elsewhere") is None


def test_big_photo_shows_a_preview_then_the_full_decode_in_the_same_scene_rect(
    qtbot, bridge, doc, workspace
) -> None:
    canvas = TagCanvas(bridge)
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    canvas.show()
    canvas.set_document(doc)
    canvas._loader.preview_max_side = 512  # small preview so the upgrade is visible in a test
    big = media_named(workspace, "big.jpg")
    ready: list[str] = []
    canvas.imageReady.connect(ready.append)
    sizes: list[tuple[int, int]] = []
    canvas._loader.previewReady.connect(lambda _m, img: sizes.append((img.width(), img.height())))
    at_preview: list[tuple[QRectF, QRectF]] = []
    canvas._loader.previewReady.connect(
        lambda _m, _i: at_preview.append((canvas.picture_scene_rect(), canvas.image_viewport_rect()))
    )
    canvas._loader.fullReady.connect(lambda _m, img: sizes.append((img.width(), img.height())))
    canvas.show_media(big.id)
    assert ready == [big.id]
    assert sizes == [(512, 354), (2600, 1800)]
    rect = canvas.picture_scene_rect()
    assert (rect.width(), rect.height()) == pytest.approx((2600, 1800))
    assert at_preview == [(rect, canvas.image_viewport_rect())]  # the swap moved nothing
    assert canvas.message() == ""


def test_threaded_loading_and_stale_results_are_ignored(qtbot, doc, workspace) -> None:
    bridge = WorkerBridge(max_threads=2)
    canvas = TagCanvas(bridge)
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    canvas.show()
    canvas.set_document(doc)
    big, look = media_named(workspace, "big.jpg"), media_named(workspace, "look.jpg")
    ready: list[str] = []
    canvas.imageReady.connect(ready.append)
    canvas.show_media(big.id)
    canvas.show_media(look.id)  # before big's preview can arrive
    qtbot.waitUntil(lambda: ready == [look.id], timeout=10000)
    assert bridge.wait(10000)
    qtbot.wait(20)  # let queued results of cancelled jobs arrive (they must be ignored)
    assert ready == [look.id]
    rect = canvas.picture_scene_rect()
    assert (rect.width(), rect.height()) == pytest.approx((W, H))


def test_missing_file_shows_a_message_not_a_crash(qtbot, view, doc, workspace) -> None:
    look = media_named(workspace, "look.jpg")
    (workspace.root / look.path).unlink()
    view.show_media(None)
    view.show_media(look.id)
    assert "not found" in view.message()
    view.grab()  # painting the message works
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, vp(view, 0.5, 0.5))  # still taggable
    assert len(tags(view, doc)) == 1


def test_loader_ignores_results_after_cancel(qtbot, bridge, workspace) -> None:
    loader = ImageLoader(bridge)
    got: list[str] = []
    loader.previewReady.connect(lambda m, _i: got.append(m))
    look = media_named(workspace, "look.jpg")
    loader.load(look, workspace.root / look.path)
    assert got == [look.id] and loader.backdrop is not None
    loader.cancel()
    assert loader.backdrop is None


# --- video -------------------------------------------------------------------------------------------


def make_video_media(doc: Document, workspace: Workspace) -> Media:
    """A video media entry over the photo file (the canvas only needs its kind, size, fps and tags)."""
    look = media_named(workspace, "look.jpg")
    video = Media(
        "vid", "media/missing.mp4", "h", MediaKind.VIDEO, W, H, name="clip.mp4", duration=4.0, fps=25.0
    )
    video.tags = [
        Tag("kf", "", 0.2, 0.2, keyframes=[Keyframe(0.0, 0.2, 0.2), Keyframe(2.0, 0.6, 0.2)]),
        Tag("late", "", 0.5, 0.8, start=3.0),
        Tag("still", "", 0.8, 0.5),
    ]
    doc.project.media.append(video)
    del look
    return video


def test_video_tags_follow_time_and_drags_write_keyframes(qtbot, view, doc, workspace) -> None:
    video = make_video_media(doc, workspace)
    view.show_media(video.id)
    frame = photo((W, H)).convert("RGBA")
    from studio.ui.canvas.label_pixmaps import pil_to_qimage

    view.set_frame(pil_to_qimage(frame))
    view.set_time(1.0)
    kf, late = view.tag_item("kf"), view.tag_item("late")
    assert kf is not None and late is not None
    assert kf.pos().x() == pytest.approx(0.4 * W)  # interpolated half way
    assert not late.isVisible()
    view.set_time(3.5)
    assert late.isVisible() and kf.pos().x() == pytest.approx(0.6 * W)
    # drag the keyframed tag at t=1.0: a keyframe appears at 1.0, the others stay
    view.set_time(1.0)
    a, b = vp(view, 0.4, 0.2), vp(view, 0.4, 0.5)
    drag(qtbot, view, a, b)
    t = next(t for t in doc.media(video.id).tags if t.id == "kf")
    assert [k.t for k in t.keyframes] == [0.0, 1.0, 2.0]
    assert t.keyframes[1].y == pytest.approx(0.2 + norm_of(view, b)[1] - norm_of(view, a)[1])
    assert t.keyframes[0].y == 0.2 and t.keyframes[2].y == 0.2
    # K pins the untouched tag where it is now
    view.select_tags(["still"])
    view.set_time(2.5)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_K)
    still = next(t for t in doc.media(video.id).tags if t.id == "still")
    assert [(k.t, k.x, k.y) for k in still.keyframes] == [(2.5, 0.8, 0.5)]
    doc.undo_stack.undo()
    assert next(t for t in doc.media(video.id).tags if t.id == "still").keyframes == []


def test_video_poster_frame_is_decoded_in_a_job(qtbot, bridge, doc, workspace, tmp_path) -> None:
    import av

    path = workspace.root / "media" / "clip.mp4"
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(10):
            frame = av.VideoFrame.from_image(photo((160, 120)))
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    report = add_media([path], workspace.project, workspace.root)
    [video] = report.added
    canvas = TagCanvas(bridge)
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    canvas.set_document(doc)
    ready: list[str] = []
    canvas.imageReady.connect(ready.append)
    canvas.show_media(video.id)
    assert ready == [video.id] and canvas.message() == ""
    rect = canvas.picture_scene_rect()
    assert (rect.width(), rect.height()) == pytest.approx((160, 120))


# --- navigation and small gestures -------------------------------------------------------------------


def test_middle_drag_pans_and_space_drag_too(qtbot, view, doc) -> None:
    view.actual_size()
    zoom = view.zoom()
    before = view.map_from_image(0.5, 0.5)
    widget = view.viewport()
    qtbot.mousePress(widget, Qt.MouseButton.MiddleButton, NOMOD, QPoint(300, 300))
    qtbot.mouseMove(widget, QPoint(340, 280))
    qtbot.mouseRelease(widget, Qt.MouseButton.MiddleButton, NOMOD, QPoint(340, 280))
    after = view.map_from_image(0.5, 0.5)
    assert (after - before) == QPointF(40, -20) and view.zoom() == zoom
    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, QPoint(300, 300), QPoint(280, 300))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.map_from_image(0.5, 0.5) - after == QPointF(-20, 0)
    assert tags(view, doc) == []  # panning placed nothing


def test_click_inside_an_unselected_box_places_a_tag_but_inside_a_selected_one_moves_it(
    qtbot, view, doc
) -> None:
    add(doc, view, Tag("big", "", 0.5, 0.5, box=(0.1, 0.1, 0.9, 0.9)))
    qtbot.mouseClick(view.viewport(), LEFT, NOMOD, vp(view, 0.3, 0.7))
    assert len(tags(view, doc)) == 2  # a product inside the outfit's box can still be tagged
    view.select_tags(["big"])
    drag(qtbot, view, vp(view, 0.7, 0.3), vp(view, 0.75, 0.3))
    assert len(tags(view, doc)) == 2
    moved = next(t for t in tags(view, doc) if t.id == "big")
    assert moved.box is not None and moved.box[0] > 0.12


def test_escape_cancels_a_drag_without_a_command(qtbot, view, doc) -> None:
    add(doc, view, Tag("e", "", 0.5, 0.5))
    count = doc.undo_stack.count()
    widget = view.viewport()
    a, b = vp(view, 0.5, 0.5), vp(view, 0.7, 0.7)
    qtbot.mousePress(widget, LEFT, NOMOD, a)
    qtbot.mouseMove(widget, b)
    item = view.tag_item("e")
    assert item is not None and item.pos().x() > 0.6 * W  # the preview follows the mouse
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.mouseRelease(widget, LEFT, NOMOD, b)
    assert doc.undo_stack.count() == count
    assert item.pos() == QPointF(0.5 * W, 0.5 * H)
    assert (tags(view, doc)[0].x, tags(view, doc)[0].y) == (0.5, 0.5)


def test_showing_the_same_media_again_keeps_zoom_and_selection(view, doc) -> None:
    add(doc, view, Tag("s", "", 0.5, 0.5))
    view.select_tags(["s"])
    view.zoom_in()
    zoom = view.zoom()
    view.show_media(view.current_media_id())
    assert view.zoom() == zoom and view.selected_tag_ids() == ["s"]
    view.show_media(None)
    assert view.current_media_id() is None and view.tag_item("s") is None


def test_canvas_keys_win_over_window_shortcuts_but_space_plays_videos(qtbot, bridge, doc, workspace) -> None:
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    canvas = TagCanvas(bridge)
    window.setCentralWidget(canvas)
    fired: list[str] = []
    for key in ("Delete", "Space"):
        action = QAction(key, window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False, k=key: fired.append(k))
        window.addAction(action)
    window.resize(640, 480)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    canvas.set_document(doc)
    look = media_named(workspace, "look.jpg")
    canvas.show_media(look.id)
    commands.add_tags(doc, look.id, [Tag("k", "", 0.5, 0.5)])
    canvas.select_tags(["k"])
    canvas.setFocus()
    qtbot.keyClick(window.menuBar(), Qt.Key.Key_Space)  # shortcuts do work in this window
    assert fired == ["Space"]
    fired.clear()
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert doc.media(look.id).tags == [] and fired == []  # the canvas deleted the tag itself
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert fired == []  # a photo: space is the pan key
    video = make_video_media(doc, workspace)
    canvas.show_media(video.id)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert fired == ["Space"]  # a video: the window's Play/Pause gets it


def test_zoomed_in_big_photo_is_drawn_from_the_full_decode_not_the_preview(qtbot, bridge, doc, workspace):
    """At 100 % the block edges of big.jpg are sharp (full decode); from the 512 px preview they blur."""
    canvas = TagCanvas(bridge)
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    canvas.show()
    canvas.set_document(doc)
    canvas._loader.preview_max_side = 512
    canvas.show_media(media_named(workspace, "big.jpg").id)
    canvas.actual_size()
    canvas.centerOn(400, 15)

    def sharpest_step() -> int:
        canvas.viewport().repaint()
        img = canvas.viewport().grab().toImage()
        y = canvas.mapFromScene(QPointF(400, 15)).y()
        row = [img.pixelColor(x, y).lightness() for x in range(img.width())]
        return max(abs(a - b) for a, b in itertools.pairwise(row))

    assert canvas._image.has_full()
    sharp = sharpest_step()
    canvas._image.set_full(QImage())  # as if the full decode had not arrived yet: preview only
    blurred = sharpest_step()
    assert sharp > 60 and blurred < sharp * 0.6, (sharp, blurred)
