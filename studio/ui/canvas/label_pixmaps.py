"""Price labels on the canvas, painted by the same Pillow painter as the exports.

The canvas never draws labels with QPainter: it asks `studio.render.labels.place_label` for the
label at the tag's *on-screen* anchor inside the *on-screen* image (so the flip-to-stay-inside
decision is the one the user sees), and shows the returned RGBA image as a pixmap. At 100 % zoom
on a 1x screen the numbers passed are exactly those `burn_labels` uses at scale 1, which is what
makes the label on screen the label in the exported file (tests/ui/test_label_parity.py).

Conversions PIL -> QPixmap are cached by everything that determines the pixels, because zooming
re-places every label and most of them come back identical.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import astuple, dataclass

from PIL import Image
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPixmap

from studio.core.model import LabelStyle
from studio.render import labels
from studio.render.labels import LabelContent
from studio.ui.qimage import pil_to_qimage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backdrop:
    """The picture under the labels, for the painter's contrast choice.

    `image` is the screen-sized preview the loader keeps (luminance is a mean: the preview gives
    the same answer as the full decode at a fraction of the memory); `scale` maps original image
    pixels to preview pixels.
    """

    image: Image.Image
    scale: float


@dataclass(frozen=True, slots=True)
class PlacedLabel:
    """A label ready for the scene: its pixmap and where its top-left goes, relative to the anchor."""

    pixmap: QPixmap
    offset: QPointF  # logical screen pixels from the tag's anchor to the pixmap's top-left
    direction: str


def label_luminance(
    box: tuple[int, int, int, int], backdrop: Backdrop | None, to_image: float
) -> float | None:
    """Mean luminance under a label at `box` (left, top, width, height in the painter's pixels).

    `to_image` converts the painter's pixel space (the on-screen image) to original image pixels;
    at 100 % on a 1x screen with a full-size backdrop this is exactly the box `burn_labels` measures.
    """
    if backdrop is None:
        return None
    k = to_image * backdrop.scale
    x0, y0, w, h = box
    bw, bh = backdrop.image.size
    region = (
        max(0, min(bw - 1, int(x0 * k))),
        max(0, min(bh - 1, int(y0 * k))),
        max(1, min(bw, round((x0 + w) * k))),
        max(1, min(bh, round((y0 + h) * k))),
    )
    if region[2] <= region[0] or region[3] <= region[1]:
        return None
    return labels.backdrop_luminance(backdrop.image, region)


class LabelPixmaps:
    """Places labels through the shared painter and caches the resulting pixmaps."""

    def __init__(self, capacity: int = 512) -> None:
        self._cache: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._offsets: dict[tuple[object, ...], tuple[int, int, int, int]] = {}
        self._capacity = capacity
        self._warned = False

    def clear(self) -> None:
        self._cache.clear()
        self._offsets.clear()

    def place(
        self,
        content: LabelContent,
        style: LabelStyle,
        preset: str,
        anchor: tuple[float, float],
        image_size: tuple[float, float],
        *,
        zoom: float,
        dpr: float,
        backdrop: Backdrop | None,
    ) -> PlacedLabel | None:
        """Place one label for a tag whose anchor is `anchor` (original image pixels).

        The label lives in device pixels: anchor and image size are multiplied by zoom x dpr and
        the painter's scale is the dpr, so at any zoom the label has the same on-screen size and
        stays inside the visible image. None (and one log line) if the painter fails, so a label
        problem never takes the editor down.
        """
        k = zoom * dpr
        anchor_px = (anchor[0] * k, anchor[1] * k)
        size_px = (max(1, round(image_size[0] * k)), max(1, round(image_size[1] * k)))
        # Placement does not depend on colours, and away from the edges a label keeps the same
        # offset from its (floored) anchor pixel at every zoom. So: guess the box from the last
        # placement, measure the backdrop there and paint once; if the painter put it elsewhere
        # (a flip near an edge), measure the real box and paint again. Always exact, usually 1 paint.
        ax = min(max(math.floor(anchor_px[0]), 0), size_px[0] - 1)
        ay = min(max(math.floor(anchor_px[1]), 0), size_px[1] - 1)
        shape_key = (content, astuple(style), preset, dpr)
        try:
            guess = self._offsets.get(shape_key) if backdrop is not None else None
            lum = None
            if guess is not None:
                dx, dy, w, h = guess
                lum = label_luminance((ax + dx, ay + dy, w, h), backdrop, 1.0 / k)
            rendered, (left, top) = labels.place_label(
                content, style, preset, anchor_px, size_px, scale=dpr, backdrop_luminance=lum
            )
            box = (left, top, *rendered.image.size)
            if guess is None or box != (ax + guess[0], ay + guess[1], guess[2], guess[3]):
                real = label_luminance(box, backdrop, 1.0 / k)
                if real != lum:
                    lum = real
                    rendered, (left, top) = labels.place_label(
                        content, style, preset, anchor_px, size_px, scale=dpr, backdrop_luminance=lum
                    )
            self._offsets[shape_key] = (left - ax, top - ay, *rendered.image.size)
        except Exception as exc:  # the painter is another module: degrade to "no label", loudly once
            if not self._warned:
                log.warning(
                    "label painter failed: %s", exc, exc_info=not isinstance(exc, NotImplementedError)
                )
                self._warned = True
            return None
        key = (content, astuple(style), preset, rendered.direction, dpr, lum, rendered.image.size)
        pixmap = self._cache.get(key)
        if pixmap is None:
            pixmap = QPixmap.fromImage(pil_to_qimage(rendered.image))
            pixmap.setDevicePixelRatio(dpr)
            self._cache[key] = pixmap
            if len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        offset = QPointF(left / dpr - anchor_px[0] / dpr, top / dpr - anchor_px[1] / dpr)
        return PlacedLabel(pixmap, offset, rendered.direction)
