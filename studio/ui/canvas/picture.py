"""The photo on the canvas: a screen-sized preview, and the full decode only where it is needed.

Why not one QGraphicsPixmapItem: a 24-megapixel pixmap is resampled on *every* repaint, so at
"fit" zoom each tag drag would rescale 96 MB of pixels (~100 ms a frame), and turning the decoded
QImage into a QPixmap is itself a 50–70 ms copy on the GUI thread. This item keeps the preview as
a pixmap (cheap to draw when the screen shows fewer pixels than it has) and the full decode as a
QImage that is only ever sampled in the exposed rectangle, and only when the zoom asks for more
detail than the preview holds. Coordinates are the original image's pixels, whatever is loaded.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget


class PictureItem(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self._size = (1.0, 1.0)
        self._preview = QPixmap()
        self._full = QImage()
        self._smooth = True
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    # --- content ----------------------------------------------------------------------------

    def set_size(self, width: float, height: float) -> None:
        """The original image size in pixels: the item's extent in scene coordinates."""
        self.prepareGeometryChange()
        self._size = (max(1.0, width), max(1.0, height))

    def clear(self) -> None:
        self._preview = QPixmap()
        self._full = QImage()
        self.update()

    def set_preview(self, pixmap: QPixmap) -> None:
        """A screen-sized picture (or a video frame): replaces everything shown."""
        self._preview = pixmap
        self._full = QImage()
        self.update()

    def set_full(self, image: QImage) -> None:
        """The full-resolution decode, drawn only in exposed areas when zoomed past the preview."""
        self._full = image
        self.update()

    def is_empty(self) -> bool:
        return self._preview.isNull() and self._full.isNull()

    def has_full(self) -> bool:
        return not self._full.isNull()

    def set_smooth(self, smooth: bool) -> None:
        self._smooth = smooth
        self.update()

    # --- QGraphicsItem ------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, 0.0, *self._size)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        bounds = self.boundingRect()
        exposed = option.exposedRect.intersected(bounds)  # type: ignore[attr-defined]
        if exposed.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
        screen_px_per_image_px = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        w, h = self._size
        use_full = not self._full.isNull() and (
            self._preview.isNull() or screen_px_per_image_px * w > self._preview.width() * 1.05
        )
        if use_full:
            sx, sy = self._full.width() / w, self._full.height() / h
            source = QRectF(exposed.x() * sx, exposed.y() * sy, exposed.width() * sx, exposed.height() * sy)
            painter.drawImage(exposed, self._full, source)
        elif not self._preview.isNull():
            sx, sy = self._preview.width() / w, self._preview.height() / h
            source = QRectF(exposed.x() * sx, exposed.y() * sy, exposed.width() * sx, exposed.height() * sy)
            painter.drawPixmap(exposed, self._preview, source)
