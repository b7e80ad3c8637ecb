"""Where a video tag is at a time: keyframe interpolation, visibility and range rules.

Pure functions over `Tag`/`Keyframe` so the canvas, the timeline, the renderer and the exporters
all agree on one answer for "where is this tag at t" (a renderer that interpolated differently
from the editor would draw labels where the user did not put them).

Conventions:

* Times are seconds from the start of the clip; coordinates are normalized 0..1.
* Before the first keyframe and after the last one the tag *holds* that keyframe's position;
  between two keyframes it moves linearly. A tag without keyframes stays at `(tag.x, tag.y)`.
* A tag is visible on `[start, end)`: the out point is exclusive, like an editor's out point, so
  a tag ending at 2.0 s is not drawn on the frame that starts at 2.0 s. `None` means open.
* `tag.box` is drawn around the anchor `(tag.x, tag.y)`; when keyframes move the anchor the box
  moves by the same delta, keeping its size.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from studio.core.model import Keyframe, Tag

Box = tuple[float, float, float, float]


def _sorted(keyframes: Iterable[Keyframe]) -> list[Keyframe]:
    return sorted(keyframes, key=lambda k: k.t)


def interpolate(keyframes: Sequence[Keyframe], t: float) -> tuple[float, float] | None:
    """Position at `t` from keyframes (any order); None when there are none.

    Holds before the first and after the last keyframe; linear in between.
    """
    if not keyframes:
        return None
    frames = keyframes if _is_sorted(keyframes) else _sorted(keyframes)
    first, last = frames[0], frames[-1]
    if t <= first.t:
        return first.x, first.y
    if t >= last.t:
        return last.x, last.y
    i = bisect_right([k.t for k in frames], t)
    a, b = frames[i - 1], frames[i]
    span = b.t - a.t
    if span <= 0:  # two keyframes at the same time: the later one wins
        return b.x, b.y
    u = (t - a.t) / span
    return a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u


def _is_sorted(keyframes: Sequence[Keyframe]) -> bool:
    return all(keyframes[i].t <= keyframes[i + 1].t for i in range(len(keyframes) - 1))


def position_at(tag: Tag, t: float) -> tuple[float, float]:
    """The tag's anchor at time `t` (see the module docstring for the hold/linear rule)."""
    point = interpolate(tag.keyframes, t)
    return point if point is not None else (tag.x, tag.y)


def box_at(tag: Tag, t: float) -> Box | None:
    """The tag's box at `t`: moved with the anchor, same size, shifted back inside 0..1.

    A box larger than the frame on one axis is clamped to 0..1 on that axis.
    """
    if tag.box is None:
        return None
    x, y = position_at(tag, t)
    dx, dy = x - tag.x, y - tag.y
    x0, y0, x1, y1 = tag.box
    nx0, nx1 = _shift_inside(x0 + dx, x1 + dx)
    ny0, ny1 = _shift_inside(y0 + dy, y1 + dy)
    return nx0, ny0, nx1, ny1


def _shift_inside(lo: float, hi: float) -> tuple[float, float]:
    if lo > hi:
        lo, hi = hi, lo
    size = hi - lo
    if size >= 1.0:
        return 0.0, 1.0
    if lo < 0.0:
        return 0.0, size
    if hi > 1.0:
        return 1.0 - size, 1.0
    return lo, hi


def visible_at(tag: Tag, t: float) -> bool:
    """Whether the tag is shown at `t`: `start <= t < end`, either side open when None."""
    if tag.start is not None and t < tag.start:
        return False
    return not (tag.end is not None and t >= tag.end)


def with_keyframe(
    keyframes: Iterable[Keyframe], t: float, x: float, y: float, *, tolerance: float
) -> list[Keyframe]:
    """A new time-sorted list with a keyframe at `t`.

    Every keyframe within `tolerance` of `t` is replaced (pass half a frame: dragging a tag on the
    frame that already has a keyframe must move that keyframe, not add a twin a millisecond away).
    The input is not modified, so undo commands can keep the old list.
    """
    kept = [Keyframe(k.t, k.x, k.y) for k in keyframes if abs(k.t - t) > tolerance]
    kept.append(Keyframe(float(t), float(x), float(y)))
    return _sorted(kept)


def without_keyframe(keyframes: Iterable[Keyframe], t: float, *, tolerance: float) -> list[Keyframe]:
    """A new time-sorted list without the keyframes within `tolerance` of `t`."""
    return _sorted(Keyframe(k.t, k.x, k.y) for k in keyframes if abs(k.t - t) > tolerance)


def clamp_range(
    start: float | None, end: float | None, duration: float, min_len: float
) -> tuple[float, float]:
    """A valid visibility range inside `[0, duration]`, at least `min_len` long.

    Reversed ends are swapped (dragging an in point past the out point), `None` ends mean the clip's
    ends, and a too-short range grows its end first, then its start when it hits the clip's end.
    `min_len` larger than the clip gives the whole clip.
    """
    duration = max(0.0, float(duration)) if math.isfinite(duration) else 0.0
    lo = 0.0 if start is None or not math.isfinite(start) else float(start)
    hi = duration if end is None or not math.isfinite(end) else float(end)
    if lo > hi:
        lo, hi = hi, lo
    lo = min(max(lo, 0.0), duration)
    hi = min(max(hi, 0.0), duration)
    need = min(max(0.0, min_len), duration)
    if hi - lo < need:
        hi = min(duration, lo + need)
        lo = max(0.0, hi - need)
    return lo, hi


def frame_tolerance(fps: float | None) -> float:
    """Half a frame in seconds: the tolerance for "the same frame" in keyframe edits."""
    return 0.5 / fps if fps and fps > 0 else 0.02


def snap_to_frame(t: float, fps: float | None) -> float:
    """`t` rounded to the nearest frame start, so edits land exactly on frames."""
    if not fps or fps <= 0:
        return t
    return round(t * fps) / fps
