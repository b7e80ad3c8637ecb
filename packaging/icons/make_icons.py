"""Regenerate the app icons from `shoppable-studio.svg` (the one source drawing).

Why a script: desktops want the icon at fixed pixel sizes (freedesktop hicolor 16…512, Windows
.ico with 16…256 inside, macOS .icns), and hand-exported PNGs drift from the drawing. Each size is
rendered straight from the vector (not downscaled from a big PNG), so small sizes stay crisp.

Run from anywhere: `.venv/bin/python packaging/icons/make_icons.py` (uses QtSvg offscreen and Pillow).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "shoppable-studio.svg"
NAME = "shoppable-studio"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # the .ico format stops at 256
ICNS_SIZES = (16, 32, 64, 128, 256, 512)


def render_png(size: int) -> bytes:
    """The SVG rendered at size×size, antialiased, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image

    pngs: dict[int, bytes] = {}
    for size in SIZES:
        pngs[size] = render_png(size)
        out = HERE / f"{NAME}-{size}.png"
        out.write_bytes(pngs[size])
        print(f"wrote {out.relative_to(HERE.parent.parent)}")
    images = {size: Image.open(io.BytesIO(data)).convert("RGBA") for size, data in pngs.items()}
    ico = HERE / f"{NAME}.ico"
    images[256].save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    print(f"wrote {ico.relative_to(HERE.parent.parent)}")
    icns = HERE / f"{NAME}.icns"
    images[512].save(icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 512])
    rel = icns.relative_to(HERE.parent.parent)
    print(f"wrote {rel} (on a Mac, `iconutil` from an .iconset is the native way)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
