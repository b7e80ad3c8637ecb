"""Pure rules of tag editing: group moves stop together at the edges, resizes stay inside and keep
the anchor's place, rubber bands pick what they enclose, video drags write keyframes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core.keyframes import box_at, position_at
from studio.core.model import Keyframe, Tag
from studio.core.tag_geometry import (
    HANDLES,
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

unit = st.floats(0.0, 1.0)
delta = st.floats(-3.0, 3.0)


def _box(a: float, b: float, c: float, d: float) -> tuple[float, float, float, float]:
    return (min(a, c), min(b, d), max(a, c), max(b, d))


@given(st.lists(st.tuples(unit, unit, st.booleans(), unit, unit), min_size=1, max_size=5), delta, delta)
def test_group_moves_never_leave_the_image_and_keep_formation(raw, dx: float, dy: float) -> None:
    geoms = []
    for x, y, has_box, bx, by in raw:
        box = _box(x, y, bx, by) if has_box else None
        geoms.append(((x, y), box))
    cdx, cdy = group_delta(geoms, dx, dy)
    assert abs(cdx) <= abs(dx) + 1e-12 and abs(cdy) <= abs(dy) + 1e-12
    for anchor, box in geoms:
        (nx, ny), nbox = translated(anchor, box, cdx, cdy)
        assert 0.0 <= nx <= 1.0 and 0.0 <= ny <= 1.0
        assert nx == pytest.approx(anchor[0] + cdx) and ny == pytest.approx(anchor[1] + cdy)
        if nbox is not None:
            assert all(-1e-12 <= v <= 1.0 + 1e-12 for v in nbox)


def test_group_delta_stops_at_the_first_edge_hit() -> None:
    geoms = [((0.9, 0.5), None), ((0.5, 0.5), (0.4, 0.4, 0.6, 0.6))]
    assert group_delta(geoms, 0.5, 0.0) == pytest.approx((0.1, 0.0))
    assert group_delta(geoms, -0.5, -0.7) == pytest.approx((-0.4, -0.4))


@given(st.sampled_from(HANDLES), unit, unit, unit, unit, st.floats(-1, 2), st.floats(-1, 2))
def test_resize_stays_inside_and_ordered(handle: str, a: float, b: float, c: float, d: float, px, py) -> None:
    box = _box(a, b, c, d)
    anchor = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    (ax, ay), (x0, y0, x1, y1) = resized(anchor, box, handle, px, py)
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert x0 - 1e-9 <= ax <= x1 + 1e-9 and y0 - 1e-9 <= ay <= y1 + 1e-9


def test_resize_moves_only_the_grabbed_edges_and_keeps_the_anchor_relative() -> None:
    box = (0.2, 0.2, 0.6, 0.4)
    anchor, new = resized((0.3, 0.3), box, "e", 0.8, 0.99)
    assert new == pytest.approx((0.2, 0.2, 0.8, 0.4))
    assert anchor == pytest.approx((0.35, 0.3))  # 1/4 across, still 1/4 across
    _, new = resized((0.4, 0.3), box, "nw", -0.5, 0.1)
    assert new == pytest.approx((0.0, 0.1, 0.6, 0.4))
    _, flipped = resized((0.4, 0.3), box, "w", 0.9, 0.0)  # dragged past the east edge
    assert flipped == pytest.approx((0.6, 0.2, 0.9, 0.4))
    with pytest.raises(ValueError):
        resized((0.4, 0.3), box, "middle", 0.5, 0.5)


def test_handle_points() -> None:
    box = (0.0, 0.0, 1.0, 0.5)
    assert handle_point(box, "nw") == (0.0, 0.0)
    assert handle_point(box, "s") == (0.5, 0.5)
    assert handle_point(box, "e") == (1.0, 0.25)


def test_box_from_drag_any_direction_and_clamped() -> None:
    assert box_from_drag((0.8, 0.9), (0.2, -0.5)) == (0.2, 0.0, 0.8, 0.9)


def test_band_hits_anchor_inside_or_whole_box_inside() -> None:
    geoms = [
        ("point_in", (0.2, 0.2), None),
        ("point_out", (0.7, 0.2), None),
        ("box_anchor_in", (0.3, 0.3), (0.1, 0.1, 0.9, 0.9)),
        ("box_inside", (0.6, 0.6), (0.45, 0.45, 0.48, 0.48)),
        ("box_partly", (0.6, 0.6), (0.45, 0.55, 0.7, 0.7)),
    ]
    assert band_hits(geoms, (0.5, 0.5, 0.1, 0.1)) == ["point_in", "box_anchor_in", "box_inside"]


def test_geometry_at_uses_keyframes_only_for_video() -> None:
    tag = Tag(
        "t", "", 0.1, 0.1, box=(0.0, 0.0, 0.2, 0.2), keyframes=[Keyframe(0, 0.1, 0.1), Keyframe(2, 0.5, 0.1)]
    )
    assert geometry_at(tag, None) == ((0.1, 0.1), (0.0, 0.0, 0.2, 0.2))
    (x, y), box = geometry_at(tag, 1.0)
    assert (x, y) == pytest.approx((0.3, 0.1)) and box == pytest.approx((0.2, 0.0, 0.4, 0.2))
    late = Tag("l", "", 0.5, 0.5, start=2.0, end=3.0)
    assert (
        shown_at(late, None) and not shown_at(late, 1.0) and shown_at(late, 2.0) and not shown_at(late, 3.0)
    )


def test_with_geometry_on_a_photo_moves_the_base() -> None:
    tag = Tag("t", "", 0.1, 0.1)
    moved = with_geometry(tag, (0.4, 1.3), None)
    assert (moved.x, moved.y) == (0.4, 1.0) and tag.x == 0.1


def test_with_geometry_on_video_writes_a_keyframe_and_keeps_the_dropped_box() -> None:
    tag = Tag(
        "t", "", 0.1, 0.1, box=(0.0, 0.0, 0.2, 0.2), keyframes=[Keyframe(0, 0.1, 0.1), Keyframe(2, 0.5, 0.1)]
    )
    moved = with_geometry(tag, (0.3, 0.6), (0.2, 0.5, 0.4, 0.7), t=1.0, fps=25)
    assert [(k.t, k.x, k.y) for k in moved.keyframes] == [(0, 0.1, 0.1), (1.0, 0.3, 0.6), (2, 0.5, 0.1)]
    assert position_at(moved, 1.0) == (0.3, 0.6)
    assert box_at(moved, 1.0) == pytest.approx((0.2, 0.5, 0.4, 0.7))
    assert tag.keyframes[0].t == 0 and len(tag.keyframes) == 2  # input untouched
    # same frame again: the keyframe is replaced, not duplicated
    again = with_geometry(moved, (0.35, 0.6), None, t=1.01, fps=25)
    assert [k.t for k in again.keyframes] == [0, 1.01, 2]
    # a video tag without keyframes just moves
    plain = with_geometry(Tag("p", "", 0.1, 0.1), (0.2, 0.2), None, t=1.0, fps=25)
    assert plain.keyframes == [] and (plain.x, plain.y) == (0.2, 0.2)


def test_with_keyframe_here_pins_the_current_position() -> None:
    tag = Tag("t", "", 0.1, 0.1, keyframes=[Keyframe(0, 0.0, 0.0), Keyframe(2, 1.0, 0.0)])
    pinned = with_keyframe_here(tag, 0.5, 25)
    assert [(k.t, k.x) for k in pinned.keyframes] == [(0, 0.0), (0.5, 0.25), (2, 1.0)]
    first = with_keyframe_here(Tag("s", "", 0.3, 0.4), 1.5, None)
    assert [(k.t, k.x, k.y) for k in first.keyframes] == [(1.5, 0.3, 0.4)]
