"""Qt-free geometry of tag editing: group moves, box resizing, rubber-band hits, keyframe-aware writes.

The canvas only turns mouse positions into normalized deltas and calls these; keeping the rules here
(pure functions over `Tag`) lets them be unit-tested without a display and keeps the GUI thin.
All coordinates are normalized 0..1 of the displayed image.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from studio.core.geometry import clamp01, normalize_box
from studio.core.keyframes import box_at, frame_tolerance, position_at, visible_at, with_keyframe
from studio.core.model import Tag

Box = tuple[float, float, float, float]

#: Resize handles, clockwise from the top-left corner. Each says which box edges it moves:
#: (moves x0, moves y0, moves x1, moves y1).
HANDLES: tuple[str, ...] = ("nw", "n", "ne", "e", "se", "s", "sw", "w")
_HANDLE_EDGES: dict[str, tuple[bool, bool, bool, bool]] = {
    "nw": (True, True, False, False),
    "n": (False, True, False, False),
    "ne": (False, True, True, False),
    "e": (False, False, True, False),
    "se": (False, False, True, True),
    "s": (False, False, False, True),
    "sw": (True, False, False, True),
    "w": (True, False, False, False),
}

#: A resized box never gets thinner than this (normalized), so it keeps handles to grab.
MIN_BOX = 1e-3


def handle_point(box: Box, handle: str) -> tuple[float, float]:
    """Where a handle sits on a box (corners and edge midpoints)."""
    x0, y0, x1, y1 = box
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    return {
        "nw": (x0, y0),
        "n": (mx, y0),
        "ne": (x1, y0),
        "e": (x1, my),
        "se": (x1, y1),
        "s": (mx, y1),
        "sw": (x0, y1),
        "w": (x0, my),
    }[handle]


def geometry_at(tag: Tag, t: float | None) -> tuple[tuple[float, float], Box | None]:
    """Anchor and box as displayed: at time `t` for a video (keyframes), the base position otherwise."""
    if t is None:
        return (tag.x, tag.y), tag.box
    return position_at(tag, t), box_at(tag, t)


def shown_at(tag: Tag, t: float | None) -> bool:
    return True if t is None else visible_at(tag, t)


def group_delta(
    geoms: Iterable[tuple[tuple[float, float], Box | None]], dx: float, dy: float
) -> tuple[float, float]:
    """Clamp a drag delta so that every dragged tag (anchor and box) stays inside the image.

    The whole selection stops together at the edge, keeping its formation, rather than tags
    piling up against the border one by one.
    """
    lo_x, hi_x, lo_y, hi_y = -1.0, 1.0, -1.0, 1.0
    for (x, y), box in geoms:
        xs = [x] if box is None else [x, box[0], box[2]]
        ys = [y] if box is None else [y, box[1], box[3]]
        lo_x, hi_x = max(lo_x, -min(xs)), min(hi_x, 1.0 - max(xs))
        lo_y, hi_y = max(lo_y, -min(ys)), min(hi_y, 1.0 - max(ys))
    dx = min(max(dx, lo_x), hi_x) if lo_x <= hi_x else 0.0
    dy = min(max(dy, lo_y), hi_y) if lo_y <= hi_y else 0.0
    return dx, dy


def translated(
    anchor: tuple[float, float], box: Box | None, dx: float, dy: float
) -> tuple[tuple[float, float], Box | None]:
    x, y = anchor
    new_box = None if box is None else (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
    return (clamp01(x + dx), clamp01(y + dy)), new_box


def resized(
    anchor: tuple[float, float], box: Box, handle: str, px: float, py: float
) -> tuple[tuple[float, float], Box]:
    """Drag `handle` of `box` to (px, py), clamped inside the image.

    Dragging an edge past the opposite one flips the box (it is re-ordered). The anchor keeps its
    relative place in the box (a centred anchor stays centred).
    """
    if handle not in _HANDLE_EDGES:
        raise ValueError(f"unknown handle {handle!r}")
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    u = (anchor[0] - x0) / w if w > 0 else 0.5
    v = (anchor[1] - y0) / h if h > 0 else 0.5
    mx0, my0, mx1, my1 = _HANDLE_EDGES[handle]
    px, py = clamp01(px), clamp01(py)
    nx0, ny0, nx1, ny1 = (px if mx0 else x0), (py if my0 else y0), (px if mx1 else x1), (py if my1 else y1)
    nx0, ny0, nx1, ny1 = normalize_box((nx0, ny0, nx1, ny1))
    if nx1 - nx0 < MIN_BOX:
        nx0, nx1 = _widen(nx0, nx1)
    if ny1 - ny0 < MIN_BOX:
        ny0, ny1 = _widen(ny0, ny1)
    u, v = min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0)
    new_anchor = (nx0 + (nx1 - nx0) * u, ny0 + (ny1 - ny0) * v)
    return new_anchor, (nx0, ny0, nx1, ny1)


def _widen(lo: float, hi: float) -> tuple[float, float]:
    mid = min(max((lo + hi) / 2, MIN_BOX / 2), 1.0 - MIN_BOX / 2)
    return mid - MIN_BOX / 2, mid + MIN_BOX / 2


def box_from_drag(p0: tuple[float, float], p1: tuple[float, float]) -> Box:
    """The box a drag from p0 to p1 draws (any direction), clamped inside the image."""
    return normalize_box((p0[0], p0[1], p1[0], p1[1]))


def band_hits(geoms: Sequence[tuple[str, tuple[float, float], Box | None]], band: Box) -> list[str]:
    """Ids whose anchor lies inside the rubber band, or whose whole box does."""
    bx0, by0, bx1, by1 = normalize_box(band)

    def inside(x: float, y: float) -> bool:
        return bx0 <= x <= bx1 and by0 <= y <= by1

    hits = []
    for tag_id, (x, y), box in geoms:
        if inside(x, y) or (box is not None and inside(box[0], box[1]) and inside(box[2], box[3])):
            hits.append(tag_id)
    return hits


def with_geometry(
    tag: Tag,
    anchor: tuple[float, float],
    box: Box | None,
    *,
    t: float | None = None,
    fps: float | None = None,
) -> Tag:
    """A copy of `tag` displayed at `anchor`/`box` (what the user dragged it to).

    On a video (t given) a tag that follows keyframes gets a keyframe at `t` (the base position
    would be ignored by the interpolation, so writing only it would look like the drag did nothing).
    Its base anchor and box move along: `box_at` draws the box shifted by (position - base anchor),
    so base = displayed keeps the dragged box exactly where it was dropped, and always inside 0..1.
    Other tags just change their base position.
    """
    x, y = clamp01(anchor[0]), clamp01(anchor[1])
    if t is None or not tag.keyframes:
        return replace(tag, x=x, y=y, box=box)
    keyframes = with_keyframe(tag.keyframes, t, x, y, tolerance=frame_tolerance(fps))
    return replace(tag, x=x, y=y, box=box, keyframes=keyframes)


def with_keyframe_here(tag: Tag, t: float, fps: float | None) -> Tag:
    """K on a video: pin the tag's current displayed position as a keyframe at `t`.

    A tag without keyframes gets one at its base position, so it starts following keyframes from here.
    """
    x, y = position_at(tag, t)
    return replace(tag, keyframes=with_keyframe(tag.keyframes, t, x, y, tolerance=frame_tolerance(fps)))
