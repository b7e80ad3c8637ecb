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


# --- export: letterbox frames and remapping through crop + frame ---------------------------------

FULL: Box = (0.0, 0.0, 1.0, 1.0)


def letterbox(src_w: int, src_h: int, dst_w: int, dst_h: int) -> Box:
    """Where the whole source lands in a target frame (normalized target coords), centred, aspect
    kept: the bars are the rest. Nothing of the photo is lost, unlike `fit_crop`."""
    if min(src_w, src_h, dst_w, dst_h) <= 0:
        raise ValueError("sizes must be positive")
    src_ratio, dst_ratio = src_w / src_h, dst_w / dst_h
    if src_ratio > dst_ratio:  # wider: full width, bars top and bottom
        w, h = 1.0, dst_ratio / src_ratio
    else:
        w, h = src_ratio / dst_ratio, 1.0
    x0, y0 = (1.0 - w) / 2, (1.0 - h) / 2
    return (x0, y0, x0 + w, y0 + h)


def into_frame(x: float, y: float, frame: Box) -> tuple[float, float]:
    """A point normalized to the crop's own space, placed into `frame` of the output."""
    return frame[0] + x * (frame[2] - frame[0]), frame[1] + y * (frame[3] - frame[1])


def remap_point(x: float, y: float, crop: Crop, frame: Box = FULL) -> tuple[float, float] | None:
    """Source point -> output point through a crop then a frame (letterbox); None if cropped away."""
    inside = remap(x, y, crop)
    return None if inside is None else into_frame(*inside, frame)


def remap_box(box: Box, crop: Crop, frame: Box = FULL) -> Box | None:
    """Source box -> output box, clipped to the crop; None when no part of it is visible."""
    x0, y0, x1, y1 = normalize_box(box)
    ix0, iy0 = max(x0, crop.x0), max(y0, crop.y0)
    ix1, iy1 = min(x1, crop.x1), min(y1, crop.y1)
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    w, h = crop.x1 - crop.x0, crop.y1 - crop.y0
    a = into_frame(clamp01((ix0 - crop.x0) / w), clamp01((iy0 - crop.y0) / h), frame)
    b = into_frame(clamp01((ix1 - crop.x0) / w), clamp01((iy1 - crop.y0) / h), frame)
    return (a[0], a[1], b[0], b[1])


def bounds_center(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centre of the bounding box of points (the default crop focus); image centre when empty."""
    if not points:
        return (0.5, 0.5)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return clamp01((min(xs) + max(xs)) / 2), clamp01((min(ys) + max(ys)) / 2)
