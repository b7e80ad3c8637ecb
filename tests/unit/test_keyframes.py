"""Keyframe interpolation, visibility and range rules (pure; no Qt, no files)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.keyframes import (
    box_at,
    clamp_range,
    frame_tolerance,
    position_at,
    snap_to_frame,
    visible_at,
    with_keyframe,
    without_keyframe,
)
from studio.core.model import Keyframe, Tag


def tag(**kw: object) -> Tag:
    base: dict[str, object] = {"id": "tag_1", "product_id": "p1", "x": 0.5, "y": 0.5}
    base.update(kw)
    return Tag(**base)  # type: ignore[arg-type]


def test_no_keyframes_is_the_static_anchor():
    t = tag(x=0.2, y=0.7)
    assert position_at(t, 0.0) == (0.2, 0.7)
    assert position_at(t, 99.0) == (0.2, 0.7)


def test_hold_before_first_and_after_last_and_linear_between():
    t = tag(keyframes=[Keyframe(1.0, 0.1, 0.2), Keyframe(3.0, 0.5, 0.6)])
    assert position_at(t, 0.0) == (0.1, 0.2)
    assert position_at(t, 1.0) == (0.1, 0.2)
    assert position_at(t, 2.0) == pytest.approx((0.3, 0.4))
    assert position_at(t, 2.5) == pytest.approx((0.4, 0.5))
    assert position_at(t, 3.0) == (0.5, 0.6)
    assert position_at(t, 10.0) == (0.5, 0.6)


def test_unsorted_keyframes_are_read_in_time_order():
    t = tag(keyframes=[Keyframe(3.0, 0.5, 0.6), Keyframe(1.0, 0.1, 0.2)])
    assert position_at(t, 2.0) == pytest.approx((0.3, 0.4))


def test_box_follows_the_anchor_and_stays_inside():
    t = tag(x=0.5, y=0.5, box=(0.4, 0.4, 0.6, 0.6), keyframes=[Keyframe(0, 0.5, 0.5), Keyframe(1, 0.7, 0.5)])
    assert box_at(t, 0.0) == pytest.approx((0.4, 0.4, 0.6, 0.6))
    assert box_at(t, 1.0) == pytest.approx((0.6, 0.4, 0.8, 0.6))
    t.keyframes = [Keyframe(0, 0.98, 0.02)]
    x0, y0, x1, y1 = box_at(t, 0.0)  # type: ignore[misc]
    assert (x1, y0) == pytest.approx((1.0, 0.0))
    assert (x1 - x0, y1 - y0) == pytest.approx((0.2, 0.2))  # same size
    assert box_at(tag(), 0.0) is None
    assert box_at(tag(box=(-0.2, 0.1, 1.3, 0.3)), 0.0) == pytest.approx((0.0, 0.1, 1.0, 0.3))


def test_visible_range_is_half_open():
    t = tag(start=1.0, end=2.0)
    assert not visible_at(t, 0.99)
    assert visible_at(t, 1.0)
    assert visible_at(t, 1.99)
    assert not visible_at(t, 2.0)
    assert visible_at(tag(), -5.0) and visible_at(tag(), 1e9)
    assert visible_at(tag(start=None, end=2.0), 0.0)
    assert visible_at(tag(start=1.0, end=None), 50.0)


def test_with_keyframe_replaces_within_tolerance_and_copies():
    half = frame_tolerance(25)
    old = [Keyframe(0.0, 0.1, 0.1), Keyframe(1.0, 0.2, 0.2)]
    new = with_keyframe(old, 1.0 + half / 2, 0.9, 0.9, tolerance=half)
    assert [(k.t, k.x) for k in new] == [(0.0, 0.1), (1.0 + half / 2, 0.9)]
    assert [(k.t, k.x) for k in old] == [(0.0, 0.1), (1.0, 0.2)]  # input untouched
    added = with_keyframe(old, 0.5, 0.3, 0.3, tolerance=half)
    assert [k.t for k in added] == [0.0, 0.5, 1.0]
    assert [k.t for k in without_keyframe(added, 0.5 + half / 2, tolerance=half)] == [0.0, 1.0]
    assert without_keyframe(added, 0.7, tolerance=half) == added


def test_clamp_range():
    assert clamp_range(1.0, 2.0, 5.0, 0.1) == (1.0, 2.0)
    assert clamp_range(None, None, 5.0, 0.1) == (0.0, 5.0)
    assert clamp_range(3.0, 1.0, 5.0, 0.1) == (1.0, 3.0)  # swapped
    assert clamp_range(-1.0, 9.0, 5.0, 0.1) == (0.0, 5.0)
    assert clamp_range(2.0, 2.0, 5.0, 0.5) == (2.0, 2.5)  # grows the end
    assert clamp_range(5.0, 5.0, 5.0, 0.5) == (4.5, 5.0)  # ...or the start at the clip's end
    assert clamp_range(1.0, 1.0, 0.2, 0.5) == (0.0, 0.2)  # min_len longer than the clip


def test_snap_to_frame():
    assert snap_to_frame(0.123, 10) == pytest.approx(0.1)
    assert snap_to_frame(0.16, 10) == pytest.approx(0.2)
    assert snap_to_frame(0.123, None) == 0.123


# --- properties ----------------------------------------------------------------------------------

coord = st.floats(0.0, 1.0, allow_nan=False)
times = st.lists(st.floats(0.0, 100.0, allow_nan=False), min_size=1, max_size=8, unique=True)


@settings(max_examples=200, deadline=None)
@given(times, st.data())
def test_interpolated_point_lies_between_its_neighbours(ts, data):
    frames = [Keyframe(t, data.draw(coord), data.draw(coord)) for t in ts]
    t = data.draw(st.floats(-10.0, 110.0, allow_nan=False))
    x, y = position_at(tag(keyframes=frames), t)
    ordered = sorted(frames, key=lambda k: k.t)
    before = [k for k in ordered if k.t <= t] or ordered[:1]
    after = [k for k in ordered if k.t >= t] or ordered[-1:]
    a, b = before[-1], after[0]
    eps = 1e-9
    assert min(a.x, b.x) - eps <= x <= max(a.x, b.x) + eps
    assert min(a.y, b.y) - eps <= y <= max(a.y, b.y) + eps
    if any(k.t == t for k in ordered):  # on a keyframe, exactly that keyframe
        k = next(k for k in ordered if k.t == t)
        assert (x, y) == pytest.approx((k.x, k.y))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=10, unique=True), st.randoms(), st.data())
def test_insertion_order_does_not_matter(frame_numbers, rnd: random.Random, data):
    fps = 25.0
    points = {n: (data.draw(coord), data.draw(coord)) for n in frame_numbers}
    order = list(frame_numbers)
    rnd.shuffle(order)
    results = []
    for sequence in (frame_numbers, order):
        frames: list[Keyframe] = []
        for n in sequence:
            frames = with_keyframe(frames, n / fps, *points[n], tolerance=frame_tolerance(fps))
        results.append(frames)
    assert results[0] == results[1]
    assert [k.t for k in results[0]] == sorted(k.t for k in results[0])


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.floats(-5, 15, allow_nan=False)),
    st.one_of(st.none(), st.floats(-5, 15, allow_nan=False)),
    st.floats(0.0, 10.0, allow_nan=False),
    st.floats(0.0, 2.0, allow_nan=False),
)
def test_clamp_range_is_always_valid(start, end, duration, min_len):
    lo, hi = clamp_range(start, end, duration, min_len)
    assert 0.0 <= lo <= hi <= duration
    assert hi - lo >= min(min_len, duration) - 1e-9
