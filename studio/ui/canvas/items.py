"""Scene items of the tagging canvas: one `TagItem` per tag, owning its marker, handles and label.

Scene coordinates are original image pixels, so a tag item sits at its anchor and its box is a
rectangle in image pixels (drawn with a cosmetic pen: always the same line width on screen). The
marker, the resize handles and the label are children flagged `ItemIgnoresTransformations`: they
keep their on-screen size at every zoom, which is what makes a 40-megapixel photo at 12 % and a
collar at 800 % equally easy to grab.

Items hold no editing logic; the view hit-tests and turns gestures into commands. They only know
how to look (normal/selected) and where they are.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.core.tag_geometry import HANDLES, Box, handle_point
from studio.ui.canvas.label_pixmaps import PlacedLabel

ACCENT = QColor("#2f80ed")
INK = QColor(20, 20, 24)
HALO = QColor(255, 255, 255)
MARKER_RADIUS = 7.0  # screen px, point tags
BOX_MARKER_RADIUS = 4.0  # screen px, the anchor dot of box tags
HANDLE_SIZE = 9.0  # screen px
SELECTION_PAD = 3.0  # screen px around a selected label


class MarkerItem(QGraphicsItem):
    """The anchor: a ringed dot for point tags, a small dot at the box's anchor for box tags."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.radius = MARKER_RADIUS
        self.selected = False

    def boundingRect(self) -> QRectF:
        r = self.radius + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.radius
        fill = ACCENT if self.selected else HALO
        painter.setPen(QPen(INK, 1.5))
        painter.setBrush(QBrush(fill))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if r >= MARKER_RADIUS:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(HALO if self.selected else INK))
            painter.drawEllipse(QPointF(0, 0), r * 0.38, r * 0.38)


class HandleItem(QGraphicsItem):
    """One of the 8 resize handles of a selected box (a square of constant screen size)."""

    def __init__(self, parent: QGraphicsItem, name: str) -> None:
        super().__init__(parent)
        self.name = name
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        s = HANDLE_SIZE / 2 + 1
        return QRectF(-s, -s, 2 * s, 2 * s)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        s = HANDLE_SIZE / 2
        painter.setPen(QPen(ACCENT, 1.5))
        painter.setBrush(QBrush(HALO))
        painter.drawRect(QRectF(-s, -s, 2 * s, 2 * s))


class LabelItem(QGraphicsItem):
    """The painter's label pixmap, pinned so its anchor pixel sits on the tag's anchor.

    Painted on whole device pixels (the view's translation can be fractional): a label drawn at
    x.5 would be resampled and look softer than the exported one.
    """

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.placed: PlacedLabel | None = None
        self.selected = False

    def set_placed(self, placed: PlacedLabel | None) -> None:
        self.prepareGeometryChange()
        self.placed = placed
        self.update()

    def pixmap_rect(self) -> QRectF:
        """The label's rectangle in item (= screen pixel) coordinates; empty without a label."""
        if self.placed is None:
            return QRectF()
        size = self.placed.pixmap.deviceIndependentSize()
        return QRectF(self.placed.offset, size)

    def boundingRect(self) -> QRectF:
        rect = self.pixmap_rect()
        if rect.isEmpty():
            return QRectF()
        pad = SELECTION_PAD + 2
        return rect.adjusted(-pad, -pad, pad, pad)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self.placed is None:
            return
        rect = self.pixmap_rect()
        t = painter.worldTransform()
        if not t.isScaling() and not t.isRotating():
            dpr = self.placed.pixmap.devicePixelRatio()  # rendered for this screen's ratio
            top_left = t.map(rect.topLeft())
            snapped = QPointF(round(top_left.x() * dpr) / dpr, round(top_left.y() * dpr) / dpr)
            painter.save()
            painter.setWorldTransform(QTransform())
            painter.drawPixmap(snapped, self.placed.pixmap)
            painter.restore()
        else:  # a rotated/sheared device transform (never used by the canvas): plain drawing
            painter.drawPixmap(rect.topLeft(), self.placed.pixmap)
        if self.selected:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(ACCENT, 2.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            pad = SELECTION_PAD
            painter.drawRoundedRect(rect.adjusted(-pad, -pad, pad, pad), 4, 4)


class TagItem(QGraphicsItem):
    """A tag on the canvas: positioned at its anchor (image pixels), optional box around it."""

    def __init__(self, tag_id: str) -> None:
        super().__init__()
        self.tag_id = tag_id
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._box = QRectF()  # relative to the anchor, image pixels; empty = point tag
        self.has_box = False
        self.selected = False
        self.label = LabelItem(self)
        self.label.setZValue(1)
        self.marker = MarkerItem(self)
        self.marker.setZValue(2)
        self.handles = {name: HandleItem(self, name) for name in HANDLES}
        for h in self.handles.values():
            h.setZValue(3)
            h.setVisible(False)
        self.label_key: object = None  # what the current label was placed for (skip identical re-places)

    # --- geometry -------------------------------------------------------------------------------

    def set_geometry(self, anchor: QPointF, box: QRectF | None) -> None:
        """Anchor and box in scene (image pixel) coordinates."""
        self.prepareGeometryChange()
        self.setPos(anchor)
        self.has_box = box is not None
        self._box = QRectF() if box is None else box.translated(-anchor)
        self.marker.radius = BOX_MARKER_RADIUS if self.has_box else MARKER_RADIUS
        self.marker.update()
        if self.has_box:
            b = self._box
            corners: Box = (b.left(), b.top(), b.right(), b.bottom())
            for name, h in self.handles.items():
                h.setPos(QPointF(*handle_point(corners, name)))
        self._update_handles()
        self.update()

    def box_rect(self) -> QRectF | None:
        """The box in scene coordinates (None for a point tag)."""
        return self._box.translated(self.pos()) if self.has_box else None

    def set_selected_look(self, selected: bool) -> None:
        self.selected = selected
        self.marker.selected = selected
        self.label.selected = selected
        self.marker.update()
        self.label.update()
        self._update_handles()
        self.update()

    def _update_handles(self) -> None:
        for h in self.handles.values():
            h.setVisible(self.has_box and self.selected)

    # --- painting -------------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        if not self.has_box:
            return QRectF()
        return self._box.adjusted(-1, -1, 1, 1)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        if self.has_box:
            path.addRect(self._box)
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self.has_box:
            return
        halo = QPen(QColor(0, 0, 0, 150) if not self.selected else HALO, 3.5)
        halo.setCosmetic(True)
        line = QPen(ACCENT if self.selected else HALO, 2.0 if self.selected else 1.5)
        line.setCosmetic(True)
        if not self.selected:
            line.setStyle(Qt.PenStyle.DashLine)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(halo)
        painter.drawRect(self._box)
        painter.setPen(line)
        painter.drawRect(self._box)
