"""The tagging canvas: a zoomable photo (or video frame) on which tags are placed, moved and resized.

How it is built, and why:

* Scene coordinates are ORIGINAL image pixels (media.width x media.height, orientation applied).
  The picture is one pixmap item scaled so that a preview, the full decode or a video frame all
  cover the same scene rectangle: swapping them never moves a tag.
* The model is the truth. Gestures preview on the items while the mouse moves and become exactly
  one command at release (studio/ui/commands.py); the Document then announces `tagsChanged` and
  `_sync_tags` re-reads the media's tags by id. Undo/redo therefore needs no code here.
* The view does its own hit-testing in viewport pixels (handles > markers > labels > box edges >
  inside a selected box), so grabbing works the same at every zoom and an unselected box does not
  swallow clicks meant to place a point tag on something inside it.
* Labels come from the shared Pillow painter (label_pixmaps.py), placed in screen space.
* The scene rect has a viewport-sized margin around the image, so zooming around the cursor can
  keep the point under it fixed even at the image's edges; scroll bars are hidden (pan with space-
  or middle-drag), which also keeps the viewport size stable for "fit".
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, field

from PySide6.QtCore import (
    QEvent,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QRubberBand,
    QWidget,
)

from studio.core.geometry import clamp_point, translate_box_inside
from studio.core.model import MediaKind, Tag, new_id
from studio.core.tag_geometry import (
    HANDLES,
    Box,
    band_hits,
    box_from_drag,
    geometry_at,
    group_delta,
    handle_point,
    resized,
    shown_at,
    translated,
    with_geometry,
    with_keyframe_here,
)
from studio.jobs.add_media import resolve_media_path
from studio.render import label_styles, labels
from studio.ui import commands
from studio.ui.canvas.image_loader import ImageLoader
from studio.ui.canvas.items import BOX_MARKER_RADIUS, HANDLE_SIZE, MARKER_RADIUS, TagItem
from studio.ui.canvas.label_pixmaps import LabelPixmaps
from studio.ui.canvas.picture import PictureItem
from studio.ui.document import Document
from studio.ui.workers import WorkerBridge

log = logging.getLogger(__name__)

MIN_ZOOM = 0.01
MAX_ZOOM = 32.0
ZOOM_STEP = 1.25
DRAG_THRESHOLD = 4  # screen px before a press becomes a drag
EDGE_SLACK = 8  # screen px outside the image where a click still places a (clamped) tag
FIT_PADDING = 16  # screen px around the fitted image
EDGE_HIT = 5  # screen px around a box outline that grabs it
WHEEL_SETTLE_MS = 80  # labels are re-placed this long after the last wheel notch
LIVE_LABELS = 8  # up to this many dragged tags re-place their labels on every mouse move
CRISP_ZOOM = 2.0  # from this zoom on, show pixels unsmoothed (placing on a pixel needs to see it)

# Keys the canvas keeps for itself while it has focus, even if a window action uses them (they
# mean something about the tags under the user's eyes). Space is kept only on photos: on a video
# the window's Play/Pause owns it and panning is a middle-button drag. K, Ctrl+A and the Ctrl zoom
# keys are left to window actions when there are any (they call the same public methods); the
# canvas handles them itself only when nobody else does.
_OWN_KEYS = {
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Delete,
    Qt.Key.Key_Backspace,
    Qt.Key.Key_Return,
    Qt.Key.Key_Enter,
    Qt.Key.Key_Escape,
    Qt.Key.Key_F,
}

Geometry = tuple[tuple[float, float], Box | None]


@dataclass(slots=True)
class _Drag:
    """One mouse gesture in progress."""

    kind: str  # "move" | "resize" | "create" | "band" | "pan"
    start_view: QPointF
    start_norm: tuple[float, float]
    ids: list[str] = field(default_factory=list)
    origin: dict[str, Geometry] = field(default_factory=dict)  # displayed geometry at the press
    handle: str = ""
    moved: bool = False
    additive: bool = False
    click_select: str | None = None  # a press on an already-selected tag: select only it if no drag
    last_view: QPointF = field(default_factory=QPointF)
    current: dict[str, Geometry] = field(default_factory=dict)
    button: Qt.MouseButton = Qt.MouseButton.LeftButton  # the button whose release ends the gesture


class TagCanvas(QGraphicsView):
    """The photo/video-frame editor where tags are placed. See the module docstring."""

    selectionChanged = Signal(list)  # selected tag ids
    pickerRequested = Signal(str, QPoint)  # tag id, global position next to the tag
    zoomChanged = Signal(float)  # 1.0 = 100 %
    imageReady = Signal(str)  # media id: the first (preview) picture is on screen

    def __init__(self, bridge: WorkerBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setBackgroundBrush(QColor("#1e1e22"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)

        self.bridge = bridge
        self._loader = ImageLoader(bridge, self)
        self._loader.previewReady.connect(self._on_preview)
        self._loader.fullReady.connect(self._on_full)
        self._loader.failed.connect(self._on_failed)
        self._labels = LabelPixmaps()

        self._doc: Document | None = None
        self._media_id: str | None = None
        self._size = (1.0, 1.0)  # scene size = original image size
        self._is_video = False
        self._fps: float | None = None
        self._time = 0.0
        self._frame_shown = False
        self._image_ready_sent = False
        self._message = ""

        self._placeholder = QGraphicsRectItem()
        self._placeholder.setBrush(QBrush(QColor("#2b2b30")))
        self._placeholder.setPen(QPen(Qt.PenStyle.NoPen))
        self._placeholder.setZValue(-2)
        self._scene.addItem(self._placeholder)
        self._image = PictureItem()
        self._image.setZValue(-1)
        self._image.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._scene.addItem(self._image)
        self._create_preview = QGraphicsRectItem()
        pen = QPen(QColor("#2f80ed"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._create_preview.setPen(pen)
        self._create_preview.setBrush(QBrush(QColor(47, 128, 237, 40)))
        self._create_preview.setZValue(1e6)
        self._create_preview.setVisible(False)
        self._scene.addItem(self._create_preview)
        self._rubber = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())

        self._items: dict[str, TagItem] = {}
        self._tags: dict[str, Tag] = {}
        self._order: list[str] = []
        self._selected: list[str] = []
        self._tool = "tag"
        self._zoom = 1.0
        self._fitted = True
        self._drag: _Drag | None = None
        self._space = False
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(WHEEL_SETTLE_MS)
        self._relayout_timer.timeout.connect(self._relayout_labels)
        self._update_cursor(None)

    # =============================================================================================
    # public API
    # =============================================================================================

    def set_document(self, doc: Document | None) -> None:
        """Show tags of `doc` (None: nothing). The canvas follows the document's signals."""
        if self._doc is not None:
            for signal, slot in self._doc_connections():
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
        self._doc = doc
        if doc is not None:
            for signal, slot in self._doc_connections():
                signal.connect(slot)
        self._labels.clear()
        self.show_media(None)

    def _doc_connections(self) -> list[tuple[SignalInstance, Callable[..., None]]]:
        assert self._doc is not None
        return [
            (self._doc.tagsChanged, self._on_tags_changed),
            (self._doc.mediaChanged, self._on_media_changed),
            (self._doc.styleChanged, self._on_style_changed),
        ]

    def show_media(self, media_id: str | None) -> None:
        """Show one media (its preview at once, full resolution later) fitted in the view.

        Showing the media already on screen again keeps zoom, selection and picture (the library
        re-emits its current item often); a media whose file was missing is retried.
        """
        if media_id is not None and media_id == self._media_id and not self._message:
            self._sync_tags()
            return
        self._cancel_drag()
        self._loader.cancel()
        media = None
        if media_id is not None and self._doc is not None:
            media = self._doc.project.media_by_id(media_id)
        self._media_id = media.id if media is not None else None
        self._image.clear()
        self._frame_shown = False
        self._image_ready_sent = False
        self._message = ""
        self._clear_items()
        if media is None or self._doc is None:
            self._placeholder.setVisible(False)
            self.setSceneRect(QRectF(0, 0, 1, 1))
            self._set_selection([])
            self.viewport().update()
            return
        self._size = (float(max(1, media.width)), float(max(1, media.height)))
        self._image.set_size(*self._size)
        self._is_video = media.kind is MediaKind.VIDEO
        self._fps = media.fps
        self._time = 0.0
        self._placeholder.setRect(QRectF(0, 0, *self._size))
        self._placeholder.setVisible(True)
        self._set_selection([])
        self._sync_tags()
        self.fit()
        self._loader.load(media, resolve_media_path(self._doc.workspace.root, media))

    def current_media_id(self) -> str | None:
        return self._media_id

    def set_time(self, t: float) -> None:
        """Video playhead moved: show the tags visible at `t` where their keyframes put them."""
        if not self._is_video or self._media_id is None:
            return
        self._time = max(0.0, float(t))
        for tag_id in self._order:
            self._update_item(tag_id)
        visible = [i for i in self._selected if self._items[i].isVisible()]
        self._set_selection(visible)

    def set_frame(self, image: QImage) -> None:
        """Video: show this decoded frame instead of the poster (same scene size, nothing moves)."""
        if self._media_id is None or image.isNull():
            return
        self._frame_shown = True
        self._message = ""
        self._show_picture(QPixmap.fromImage(image))
        if not self._image_ready_sent:
            self._image_ready_sent = True
            self.imageReady.emit(self._media_id)

    def selected_tag_ids(self) -> list[str]:
        return list(self._selected)

    def select_tags(self, ids: Iterable[str]) -> None:
        self._set_selection(list(ids))

    def select_all(self) -> None:
        self._set_selection([i for i in self._order if self._items[i].isVisible()])

    def delete_selected(self) -> None:
        if self._doc is not None and self._media_id is not None and self._selected:
            commands.remove_tags(self._doc, self._media_id, self._selected)

    def copy_selected(self) -> list[Tag]:
        """Deep copies of the selected tags (model values, not the on-screen preview), in tag order."""
        return [copy.deepcopy(self._tags[i]) for i in self._order if i in self._selected]

    def zoom(self) -> float:
        return self._zoom

    def zoom_in(self) -> None:
        self._set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self._zoom / ZOOM_STEP)

    def fit(self) -> None:
        """Whole image in view, centred (also the state after show_media and on resize until zoomed)."""
        vw, vh = self.viewport().width(), self.viewport().height()
        w, h = self._size
        z = min(max(1.0, vw - 2 * FIT_PADDING) / w, max(1.0, vh - 2 * FIT_PADDING) / h)
        self._set_zoom(z, fitted=True)
        self.centerOn(QPointF(w / 2, h / 2))

    def actual_size(self) -> None:
        self._set_zoom(1.0)

    def set_tool(self, tool: str) -> None:
        """ "tag": click places a point tag, drag a box; "select": drag on empty space is a rubber band."""
        if tool not in ("tag", "select"):
            raise ValueError(f"unknown tool {tool!r}")
        self._tool = tool
        self._update_cursor(None)

    def tool(self) -> str:
        return self._tool

    def add_keyframe_at_playhead(self) -> None:
        """Video: pin the selected tags' current positions as keyframes at the playhead (one command)."""
        if not self._is_video or self._doc is None or self._media_id is None or not self._selected:
            return
        t, fps = self._time, self._fps
        commands.edit_tags(
            self._doc,
            self._media_id,
            self._selected,
            lambda tag: with_keyframe_here(tag, t, fps),
            "Add keyframe",
        )

    # --- for tests and the window ---------------------------------------------------------------

    def message(self) -> str:
        """The text shown instead of the picture (missing file, unreadable media); "" when fine."""
        return self._message

    def tag_item(self, tag_id: str) -> TagItem | None:
        return self._items.get(tag_id)

    def map_from_image(self, x: float, y: float) -> QPointF:
        """Viewport position (float) of a normalized image point."""
        return self._from_scene(QPointF(x * self._size[0], y * self._size[1]))

    def picture_scene_rect(self) -> QRectF:
        """Where the shown picture (preview, full decode or frame) lies in the scene: always the
        original image's pixels, whatever resolution is loaded. Empty before the first picture."""
        if self._image.is_empty():
            return QRectF()
        return self._image.sceneBoundingRect()

    def image_viewport_rect(self) -> QRectF:
        return self.viewportTransform().mapRect(QRectF(0, 0, *self._size))

    def label_viewport_rect(self, tag_id: str) -> QRectF:
        """Where a tag's label is on screen (viewport pixels); empty if it has none."""
        item = self._items.get(tag_id)
        if item is None or item.label.placed is None:
            return QRectF()
        return item.label.deviceTransform(self.viewportTransform()).mapRect(item.label.pixmap_rect())

    # =============================================================================================
    # model -> scene
    # =============================================================================================

    def _on_tags_changed(self, media_id: str) -> None:
        if media_id == self._media_id:
            if self._drag is not None and self._drag.kind in ("move", "resize"):
                self._drag = None  # the model moved under the gesture: it wins
            self._sync_tags()

    def _on_media_changed(self) -> None:
        if self._media_id is None or self._doc is None:
            return
        media = self._doc.project.media_by_id(self._media_id)
        if media is None:
            self.show_media(None)
        elif self._message:  # relinked? try again
            self.show_media(media.id)

    def _on_style_changed(self) -> None:
        self._labels.clear()
        for item in self._items.values():
            item.label_key = None
        self._relayout_labels()

    def _clear_items(self) -> None:
        for item in self._items.values():
            self._scene.removeItem(item)
        self._items.clear()
        self._tags.clear()
        self._order.clear()

    def _sync_tags(self) -> None:
        """Re-read the current media's tags by id: add, update or drop items; keep selection by id."""
        if self._doc is None or self._media_id is None:
            return
        media = self._doc.project.media_by_id(self._media_id)
        tags = list(media.tags) if media is not None else []
        ids = {t.id for t in tags}
        for tag_id in [i for i in self._items if i not in ids]:
            self._scene.removeItem(self._items.pop(tag_id))
            self._tags.pop(tag_id, None)
        self._order = [t.id for t in tags]
        for z, tag in enumerate(tags):
            self._tags[tag.id] = tag
            item = self._items.get(tag.id)
            if item is None:
                item = TagItem(tag.id)
                self._items[tag.id] = item
                self._scene.addItem(item)
            item.setZValue(10 + z)
            self._update_item(tag.id)
        self._set_selection(
            [i for i in self._selected if i in ids and self._items[i].isVisible()], force=True
        )

    def _time_or_none(self) -> float | None:
        return self._time if self._is_video else None

    def _displayed(self, tag_id: str) -> Geometry:
        return geometry_at(self._tags[tag_id], self._time_or_none())

    def _update_item(self, tag_id: str, geometry: Geometry | None = None) -> None:
        """Put an item where the model (or a gesture preview, `geometry`) says, and re-place its label."""
        tag = self._tags[tag_id]
        item = self._items[tag_id]
        item.setVisible(shown_at(tag, self._time_or_none()))
        (x, y), box = geometry if geometry is not None else self._displayed(tag_id)
        w, h = self._size
        anchor = QPointF(x * w, y * h)
        rect = (
            None if box is None else QRectF(QPointF(box[0] * w, box[1] * h), QPointF(box[2] * w, box[3] * h))
        )
        item.set_geometry(anchor, rect)
        if item.isVisible():
            self._place_label(item, tag, (x * w, y * h))

    def _relayout_labels(self) -> None:
        for tag_id in self._order:
            item = self._items[tag_id]
            if item.isVisible():
                pos = item.pos()
                self._place_label(item, self._tags[tag_id], (pos.x(), pos.y()))

    def _place_label(self, item: TagItem, tag: Tag, anchor: tuple[float, float]) -> None:
        """Ask the shared painter for this tag's label at the current zoom (skipped when unchanged)."""
        doc = self._doc
        if doc is None:
            return
        try:
            content = labels.label_content(doc.product(tag.product_id), doc.variant(tag), tag, doc.locale)
            preset = label_styles.resolve_preset(tag.style, doc.label_style.preset)
        except Exception as exc:  # painter not available: tags stay editable without labels
            log.debug("no label for %s: %s", tag.id, exc)
            item.label.set_placed(None)
            return
        dpr = self.devicePixelRatioF()
        backdrop = self._loader.backdrop
        key = (content, preset, astuple(doc.label_style), anchor, self._zoom, dpr, id(backdrop), self._size)
        if key == item.label_key:
            return
        placed = self._labels.place(
            content, doc.label_style, preset, anchor, self._size, zoom=self._zoom, dpr=dpr, backdrop=backdrop
        )
        item.label.set_placed(placed)
        item.label_key = key

    # =============================================================================================
    # picture
    # =============================================================================================

    def _on_preview(self, media_id: str, image: QImage) -> None:
        if media_id != self._media_id or self._frame_shown:
            return
        self._message = ""
        self._show_picture(QPixmap.fromImage(image))
        for item in self._items.values():
            item.label_key = None  # the backdrop arrived: labels may pick other colours
        self._relayout_labels()
        if not self._image_ready_sent:
            self._image_ready_sent = True
            self.imageReady.emit(media_id)

    def _on_full(self, media_id: str, image: QImage) -> None:
        if media_id == self._media_id and not self._frame_shown:
            self._image.set_full(image)  # drawn from the QImage where exposed: no 96 MB pixmap copy

    def _on_failed(self, media_id: str, message: str) -> None:
        if media_id != self._media_id:
            return
        self._message = message
        self._placeholder.setVisible(True)
        self.viewport().update()

    def _show_picture(self, pixmap: QPixmap) -> None:
        """Swap the picture; the item is scaled so it covers exactly the original image's pixels."""
        self._image.set_preview(pixmap)
        self._placeholder.setVisible(False)
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        if not self._message:
            return
        painter.save()
        painter.resetTransform()
        area = QRectF(self.viewport().rect()).adjusted(40, 40, -40, -40)
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF(), 11.0))
        painter.setFont(font)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        text_rect = painter.boundingRect(area, flags, self._message).adjusted(-16, -12, 16, 12)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(text_rect, 8, 8)
        painter.setPen(QColor("#f0f0f0"))
        painter.drawText(area, flags, self._message)
        painter.restore()

    # =============================================================================================
    # zoom and coordinates
    # =============================================================================================

    def _to_scene(self, p: QPointF) -> QPointF:
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(p)

    def _from_scene(self, p: QPointF) -> QPointF:
        return self.viewportTransform().map(p)

    def _norm(self, view_pos: QPointF) -> tuple[float, float]:
        s = self._to_scene(view_pos)
        return s.x() / self._size[0], s.y() / self._size[1]

    def _set_zoom(
        self, z: float, anchor: QPointF | None = None, *, fitted: bool = False, relayout: bool = True
    ) -> None:
        """Zoom so that the image point under `anchor` (viewport px; default: the centre) stays put."""
        z = min(max(z, MIN_ZOOM), MAX_ZOOM)
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        scene_point = self._to_scene(anchor)
        self.setTransform(QTransform.fromScale(z, z))
        self._zoom = z
        self._update_scene_rect()
        moved = self._from_scene(scene_point) - anchor
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(moved.x()))
        v.setValue(v.value() + round(moved.y()))
        self._fitted = fitted
        self._image.set_smooth(z < CRISP_ZOOM)
        if relayout:
            self._relayout_timer.stop()
            self._relayout_labels()
        self.zoomChanged.emit(z)

    def _update_scene_rect(self) -> None:
        """Image rect plus a viewport-sized margin (whole scene pixels, so 100 % stays pixel-aligned)."""
        w, h = self._size
        mx = math.ceil(self.viewport().width() / self._zoom)
        my = math.ceil(self.viewport().height() / self._zoom)
        self.setSceneRect(QRectF(-mx, -my, w + 2 * mx, h + 2 * my))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        else:
            centre = self._to_scene(QPointF(event.oldSize().width() / 2, event.oldSize().height() / 2))
            self._update_scene_rect()
            if event.oldSize().isValid():
                self.centerOn(centre)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            delta = event.pixelDelta().y()
        if not delta or self._media_id is None:
            event.ignore()
            return
        # A wheel spin is many small steps: labels keep their pixmaps (pinned, same screen size) and
        # are re-placed once the wheel rests, instead of being repainted on every notch.
        self._set_zoom(self._zoom * 2 ** (delta / 360.0), event.position(), relayout=False)
        self._relayout_timer.start()
        event.accept()

    # =============================================================================================
    # hit testing
    # =============================================================================================

    def _hit(self, pos: QPointF) -> tuple[str, str, str] | None:
        """(tag id, "handle" | "marker" | "label" | "box", handle name) under a viewport position."""
        order = [i for i in reversed(self._order) if self._items[i].isVisible()]
        grab = HANDLE_SIZE / 2 + 2
        for tag_id in order:
            item = self._items[tag_id]
            box = item.box_rect()
            if item.selected and box is not None:
                corners: Box = (box.left(), box.top(), box.right(), box.bottom())
                for name in HANDLES:
                    p = self._from_scene(QPointF(*handle_point(corners, name)))
                    if abs(p.x() - pos.x()) <= grab and abs(p.y() - pos.y()) <= grab:
                        return tag_id, "handle", name
        for tag_id in order:
            item = self._items[tag_id]
            radius = (BOX_MARKER_RADIUS if item.has_box else MARKER_RADIUS) + 3
            p = self._from_scene(item.pos())
            if math.hypot(p.x() - pos.x(), p.y() - pos.y()) <= radius:
                return tag_id, "marker", ""
        for tag_id in order:
            if self.label_viewport_rect(tag_id).contains(pos):
                return tag_id, "label", ""
        for tag_id in order:
            item = self._items[tag_id]
            box = item.box_rect()
            if box is None:
                continue
            r = self.viewportTransform().mapRect(box)
            outer = r.adjusted(-EDGE_HIT, -EDGE_HIT, EDGE_HIT, EDGE_HIT)
            inner = r.adjusted(EDGE_HIT, EDGE_HIT, -EDGE_HIT, -EDGE_HIT)
            if outer.contains(pos) and (item.selected or inner.isEmpty() or not inner.contains(pos)):
                return tag_id, "box", ""
        return None

    def _inside_image(self, pos: QPointF, slack: float = EDGE_SLACK) -> bool:
        return self.image_viewport_rect().adjusted(-slack, -slack, slack, slack).contains(pos)

    # =============================================================================================
    # mouse
    # =============================================================================================

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._drag = _Drag("pan", pos, (0.0, 0.0), last_view=pos, button=button)
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button != Qt.MouseButton.LeftButton or self._media_id is None or self._doc is None:
            return
        mods = event.modifiers()
        toggle = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
        norm = self._norm(pos)
        hit = self._hit(pos)
        if hit is not None:
            tag_id, role, handle = hit
            if role == "handle":
                self._drag = _Drag("resize", pos, norm, ids=[tag_id], handle=handle)
            elif toggle:
                sel = list(self._selected)
                sel.remove(tag_id) if tag_id in sel else sel.append(tag_id)
                self._set_selection(sel)
                return
            else:
                click_select = None
                if tag_id not in self._selected:
                    self._set_selection([tag_id])
                elif len(self._selected) > 1:
                    click_select = tag_id
                self._drag = _Drag("move", pos, norm, ids=list(self._selected), click_select=click_select)
            self._drag.origin = {i: self._displayed(i) for i in self._drag.ids}
            return
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        additive = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if self._tool == "tag" and not shift and self._inside_image(pos):
            self._drag = _Drag("create", pos, clamp_point(*norm))
        else:
            self._drag = _Drag("band", pos, norm, additive=additive)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            self._update_cursor(self._hit(pos))
            return
        if drag.kind == "pan":
            d = pos - drag.last_view
            drag.last_view = pos
            hbar, vbar = self.horizontalScrollBar(), self.verticalScrollBar()
            hbar.setValue(hbar.value() - round(d.x()))
            vbar.setValue(vbar.value() - round(d.y()))
            self._fitted = False
            return
        if not drag.moved:
            if (pos - drag.start_view).manhattanLength() < DRAG_THRESHOLD:
                return
            drag.moved = True
        norm = self._norm(pos)
        if drag.kind == "move":
            dx, dy = group_delta(
                drag.origin.values(), norm[0] - drag.start_norm[0], norm[1] - drag.start_norm[1]
            )
            drag.current = {i: translated(a, b, dx, dy) for i, (a, b) in drag.origin.items()}
            for tag_id, geometry in drag.current.items():
                self._preview(tag_id, geometry)
        elif drag.kind == "resize":
            tag_id = drag.ids[0]
            anchor, box = drag.origin[tag_id]
            if box is not None:
                drag.current = {tag_id: resized(anchor, box, drag.handle, *norm)}
                self._preview(tag_id, drag.current[tag_id])
        elif drag.kind == "create":
            box = box_from_drag(drag.start_norm, norm)
            w, h = self._size
            self._create_preview.setRect(
                QRectF(QPointF(box[0] * w, box[1] * h), QPointF(box[2] * w, box[3] * h))
            )
            self._create_preview.setVisible(True)
        elif drag.kind == "band":
            self._rubber.setGeometry(QRect(drag.start_view.toPoint(), pos.toPoint()).normalized())
            self._rubber.show()

    def _preview(self, tag_id: str, geometry: Geometry) -> None:
        """Show a tag where the gesture has it, without touching the model (label follows as a child)."""
        (x, y), box = geometry
        w, h = self._size
        rect = (
            None if box is None else QRectF(QPointF(box[0] * w, box[1] * h), QPointF(box[2] * w, box[3] * h))
        )
        item = self._items[tag_id]
        item.set_geometry(QPointF(x * w, y * h), rect)
        if self._drag is not None and len(self._drag.ids) <= LIVE_LABELS:
            self._place_label(item, self._tags[tag_id], (x * w, y * h))  # flips live near the edges

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag = self._drag
        if drag is None:
            return
        if event.button() != drag.button:
            return  # another button let go during the gesture: it goes on
        self._drag = None
        pos = event.position()
        if drag.kind == "pan":
            self._update_cursor(self._hit(pos))
            return
        if drag.kind in ("move", "resize"):
            if drag.moved and drag.current:
                self._commit_geometry(drag.current, "Move tag" if drag.kind == "move" else "Resize tag")
            elif drag.click_select is not None:
                self._set_selection([drag.click_select])
        elif drag.kind == "create":
            self._create_preview.setVisible(False)
            self._create_tag(drag, self._norm(pos))
        elif drag.kind == "band":
            self._rubber.hide()
            if drag.moved:
                a, b = drag.start_norm, self._norm(pos)
                geoms = [(i, *self._displayed(i)) for i in self._order if self._items[i].isVisible()]
                hits = band_hits(geoms, (a[0], a[1], b[0], b[1]))
                self._set_selection([*self._selected, *hits] if drag.additive else hits)
            elif not drag.additive:
                self._set_selection([])
        self._update_cursor(self._hit(pos))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        hit = self._hit(event.position())
        if hit is not None:
            self._set_selection([hit[0]])
            self._request_picker(hit[0])

    def _commit_geometry(self, current: dict[str, Geometry], text: str) -> None:
        if self._doc is None or self._media_id is None:
            return
        t = self._time_or_none()
        positions = {
            i: with_geometry(self._tags[i], anchor, box, t=t, fps=self._fps)
            for i, (anchor, box) in current.items()
        }
        if not commands.move_tags(self._doc, self._media_id, positions, text):
            self._sync_tags()  # nothing changed in the model: drop the preview

    def _create_tag(self, drag: _Drag, end: tuple[float, float]) -> None:
        doc, media_id = self._doc, self._media_id
        if doc is None or media_id is None:
            return
        box = box_from_drag(drag.start_norm, end) if drag.moved else None
        w, h = self._size
        if box is not None and (
            (box[2] - box[0]) * w * self._zoom < 3 or (box[3] - box[1]) * h * self._zoom < 3
        ):
            box = None  # a drag along an edge (or a tiny one) is a click
        if box is None:
            x, y = drag.start_norm
        else:
            x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        tag = Tag(id=new_id("tag"), product_id="", x=x, y=y, box=box, style=doc.label_style.preset)
        added = commands.add_tags(doc, media_id, [tag], "Add tag" if box is None else "Add box tag")
        if added:
            self._set_selection([added[0].id])
            self._request_picker(added[0].id)

    def _cancel_drag(self) -> None:
        drag, self._drag = self._drag, None
        self._rubber.hide()
        self._create_preview.setVisible(False)
        if drag is not None and drag.kind in ("move", "resize") and drag.moved:
            for tag_id in drag.ids:
                if tag_id in self._items:
                    self._update_item(tag_id)

    def _update_cursor(self, hit: tuple[str, str, str] | None) -> None:
        shapes = {
            "nw": Qt.CursorShape.SizeFDiagCursor,
            "se": Qt.CursorShape.SizeFDiagCursor,
            "ne": Qt.CursorShape.SizeBDiagCursor,
            "sw": Qt.CursorShape.SizeBDiagCursor,
            "n": Qt.CursorShape.SizeVerCursor,
            "s": Qt.CursorShape.SizeVerCursor,
            "e": Qt.CursorShape.SizeHorCursor,
            "w": Qt.CursorShape.SizeHorCursor,
        }
        if self._space:
            shape = Qt.CursorShape.OpenHandCursor
        elif hit is not None:
            shape = shapes[hit[2]] if hit[1] == "handle" else Qt.CursorShape.SizeAllCursor
        else:
            shape = Qt.CursorShape.CrossCursor if self._tool == "tag" else Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(shape)

    # =============================================================================================
    # selection, picker, keyboard
    # =============================================================================================

    def _set_selection(self, ids: list[str], *, force: bool = False) -> None:
        clean: list[str] = []
        for i in ids:
            if i in self._items and i not in clean:
                clean.append(i)
        changed = clean != self._selected
        self._selected = clean
        for tag_id, item in self._items.items():
            want = tag_id in clean
            if item.selected != want or force:
                item.set_selected_look(want)
        if changed:
            self.selectionChanged.emit(list(clean))

    def _request_picker(self, tag_id: str) -> None:
        """Ask the window to open the product picker beside the tag (global screen coordinates)."""
        item = self._items.get(tag_id)
        if item is None:
            return
        box = item.box_rect()
        if box is not None:
            p = self._from_scene(QPointF(box.right(), item.pos().y())) + QPointF(12, 0)
        else:
            p = self._from_scene(item.pos()) + QPointF(MARKER_RADIUS + 12, 0)
        self.pickerRequested.emit(tag_id, self.viewport().mapToGlobal(p.toPoint()))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DevicePixelRatioChange:  # moved to a screen with another scale
            for item in self._items.values():
                item.label_key = None
            self._relayout_labels()
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier)
            pan_key = event.key() == Qt.Key.Key_Space and not self._is_video and self._media_id is not None
            if plain and (event.key() in _OWN_KEYS or pan_key):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_Space and not ctrl and not self._is_video:
            if not event.isAutoRepeat():
                self._space = True
                self._update_cursor(None)
            return
        arrows = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key in arrows and not ctrl:
            sx, sy = arrows[key]
            self._nudge(sx * (10 if shift else 1), sy * (10 if shift else 1))
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not ctrl:
            self.delete_selected()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not ctrl:
            if len(self._selected) == 1:
                self._request_picker(self._selected[0])
        elif key == Qt.Key.Key_Escape:
            if self._drag is not None:
                self._cancel_drag()
            else:
                self._set_selection([])
        elif key == Qt.Key.Key_K and not ctrl:
            self.add_keyframe_at_playhead()
        elif (key == Qt.Key.Key_F and not ctrl) or (key == Qt.Key.Key_0 and ctrl):
            self.fit()
        elif key == Qt.Key.Key_1 and ctrl:
            self.actual_size()
        elif key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus) and ctrl:
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore) and ctrl:
            self.zoom_out()
        elif key == Qt.Key.Key_A and ctrl:
            self.select_all()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._update_cursor(None)
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: object) -> None:
        self._space = False
        super().focusOutEvent(event)  # type: ignore[arg-type]

    def _nudge(self, screen_dx: int, screen_dy: int) -> None:
        """Arrow keys: move the selection by screen pixels (merged into one undo step per selection)."""
        doc, media_id = self._doc, self._media_id
        if doc is None or media_id is None or not self._selected:
            return
        dx = screen_dx / self._zoom / self._size[0]
        dy = screen_dy / self._zoom / self._size[1]
        t = self._time_or_none()
        if t is None or not any(self._tags[i].keyframes for i in self._selected):
            commands.nudge_tags(doc, media_id, self._selected, dx, dy)
            return
        fps = self._fps

        def shift(tag: Tag) -> Tag:
            (x, y), box = geometry_at(tag, t)
            if box is not None:
                moved = translate_box_inside(box, dx, dy)
                return with_geometry(tag, (x + moved[0] - box[0], y + moved[1] - box[1]), moved, t=t, fps=fps)
            return with_geometry(tag, (x + dx, y + dy), None, t=t, fps=fps)

        commands.edit_tags(doc, media_id, self._selected, shift, "Nudge", merge_id=commands.MERGE_NUDGE)

    def sizeHint(self) -> QSize:
        return QSize(800, 600)
