"""Pure geometry: normalized <-> pixel coordinates, clamping, and fitting into a target frame.

Tags are stored normalized (0..1) so that everything here is small, total functions that are
easy to property-test. The render issue builds crop/letterbox remapping on `fit_crop`/`remap`.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]


def clamp01(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def clamp_point(x: float, y: float) -> tuple[float, float]:
    """A tag anchor can never sit outside the image."""
    return clamp01(x), clamp01(y)


def normalize_box(box: Box) -> Box:
    """Order corners (x0<=x1, y0<=y1) and clamp into the image."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((clamp01(x0), clamp01(x1)))
    y0, y1 = sorted((clamp01(y0), clamp01(y1)))
    return (x0, y0, x1, y1)


def to_pixels(x: float, y: float, width: int, height: int) -> tuple[float, float]:
    return x * width, y * height


def to_normalized(px: float, py: float, width: int, height: int) -> tuple[float, float]:
    if width <= 0 or height <= 0:
        raise ValueError("image size must be positive")
    return px / width, py / height


@dataclass(frozen=True, slots=True)
class Crop:
    """A crop window in normalized source coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float


def fit_crop(src_w: int, src_h: int, dst_w: int, dst_h: int, focus: tuple[float, float] = (0.5, 0.5)) -> Crop:
    """The largest window of the source with the target's aspect ratio, centred on `focus`
    (normalized) as far as the image edges allow."""
    if min(src_w, src_h, dst_w, dst_h) <= 0:
        raise ValueError("sizes must be positive")
    src_ratio, dst_ratio = src_w / src_h, dst_w / dst_h
    if src_ratio > dst_ratio:  # too wide: crop width
        w, h = dst_ratio / src_ratio, 1.0
    else:
        w, h = 1.0, src_ratio / dst_ratio
    cx = min(max(focus[0], w / 2), 1 - w / 2)
    cy = min(max(focus[1], h / 2), 1 - h / 2)
    return Crop(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def remap(x: float, y: float, crop: Crop) -> tuple[float, float] | None:
    """Map a normalized source point into the crop's normalized space; None if it falls outside."""
    w, h = crop.x1 - crop.x0, crop.y1 - crop.y0
    nx, ny = (x - crop.x0) / w, (y - crop.y0) / h
    eps = 1e-9
    if nx < -eps or ny < -eps or nx > 1 + eps or ny > 1 + eps:
        return None
    return clamp01(nx), clamp01(ny)


def translate_box_inside(box: Box, dx: float, dy: float) -> Box:
    """Move a box by (dx, dy) but stop at the image edges, keeping its size (a drag past the edge
    slides the box along it instead of squashing it)."""
    x0, y0, x1, y1 = normalize_box(box)
    dx = max(-x0, min(dx, 1.0 - x1))
    dy = max(-y0, min(dy, 1.0 - y1))
    return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
