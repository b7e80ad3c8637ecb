"""PIL → QImage, in one place: the canvas, labels, video frames and the crop dialog all need it.

The QImage owns a copy of the pixels (the PIL buffer may be freed or reused as soon as this
returns), so it is safe to build in a worker thread and hand to the GUI thread. RGB stays 24-bit
(a photo or frame has no alpha; a third less memory than RGBA); everything else keeps its alpha
as straight RGBA, like Pillow's.
"""

from __future__ import annotations

from PIL import Image
from PySide6.QtGui import QImage


def pil_to_qimage(image: Image.Image) -> QImage:
    if image.mode == "RGB":
        data = image.tobytes("raw", "RGB")
        return QImage(data, image.width, image.height, image.width * 3, QImage.Format.Format_RGB888).copy()
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    data = rgba.tobytes("raw", "RGBA")
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()
