"""Tracking an accepted tag through generated clips: it stays on the item and ends when the item goes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.tracking import encode, make_clip, score, track_clip
from studio.core.errors import Cancelled
from studio.core.model import Keyframe
from studio.core.progress import CancelToken
from studio.vision.proposals import iou
from studio.vision.tracking import (
    END_LEFT,
    METHOD_FEATURES,
    METHOD_POSE,
    TrackSettings,
    simplify_keyframes,
    track,
    track_in_video,
    visible_share,
)

SIZE = (320, 180)  # small frames keep the file fast; the benchmark runs 640×360


def test_textured_product_is_followed_and_the_track_ends_when_it_leaves() -> None:
    clip = make_clip(frames=60, size=SIZE, textured=True)
    result = track_clip(clip)
    s = score(clip, result)
    assert s.share_raw >= 0.9, s
    assert s.share_keyframes >= 0.9, s  # what the user sees: the first box moved by the keyframes
    assert result.end is not None and result.reason == END_LEFT
    assert s.end_error_frames is not None and 0 <= s.end_error_frames <= 4, s
    assert sum(st.method == METHOD_FEATURES for st in result.steps) > 0.8 * s.frames_scored
    # keyframes: sorted, inside the image, fewer than one per sampled frame, none after the end
    times = [k.t for k in result.keyframes]
    assert times == sorted(times) and times[0] == 0.0
    assert all(0 <= k.x <= 1 and 0 <= k.y <= 1 for k in result.keyframes)
    assert 2 <= len(result.keyframes) < 60 / 5
    assert times[-1] < result.end


def test_plain_product_is_followed_by_the_correlation_trackers() -> None:
    clip = make_clip(frames=40, size=SIZE, textured=False)
    result = track(zip(clip.times(), clip.frames, strict=True), clip.truth[0])
    s = score(clip, result)
    assert s.share_raw >= 0.9, s
    assert result.end is not None and s.end_error_frames is not None and 0 <= s.end_error_frames <= 5


def test_through_a_real_video_file(tmp_path: Path) -> None:
    clip = make_clip(frames=50, size=SIZE, textured=True)
    path = encode(clip, tmp_path / "moving.mp4")
    seen: list[tuple[int, int]] = []
    result = track_in_video(
        path, clip.truth[0], product_image=clip.product, progress=lambda d, t, m: seen.append((d, t))
    )
    s = score(clip, result)
    assert s.share_raw >= 0.9, s
    assert result.end is not None and abs(result.end - clip.left_at()) <= 4 / clip.fps
    assert seen and seen[-1][1] == 49  # frames after the first one


def test_tracking_backward_finds_where_the_item_entered(tmp_path: Path) -> None:
    """Accepted mid-clip: the range starts where the item came in, not where the user pressed Enter."""
    clip = make_clip(frames=50, size=SIZE, textured=True)
    clip.frames.reverse()  # the product enters from the right, then wanders
    clip.truth.reverse()
    path = encode(clip, tmp_path / "enters.mp4")
    at = 40
    result = track_in_video(
        path, clip.truth[at], start=at / clip.fps, product_image=clip.product, backward=True
    )
    entered = next(i for i, box in enumerate(clip.truth) if visible_share(box) >= 0.5)
    assert result.first_seen is not None
    assert abs(result.first_seen * clip.fps - entered) <= 3
    assert result.end is None  # still there at the last frame
    times = [k.t for k in result.keyframes]
    assert times == sorted(times) and times[0] == pytest.approx(result.first_seen)
    hits = [
        iou(st.box, clip.truth[round(st.t * clip.fps)]) >= 0.5
        for st in result.steps
        if st.box is not None and st.t >= result.first_seen
    ]
    assert len(hits) >= 50 - entered - 1 and sum(hits) >= 0.9 * len(hits)


def test_a_vanished_item_ends_the_range_instead_of_drifting() -> None:
    """The item is cut away (scene change): the tag ends there; it does not glue to the background."""
    clip = make_clip(frames=40, size=SIZE, textured=False)
    empty = make_clip(frames=40, size=SIZE, textured=False)
    # the same background without the product: repaint the product's box from a frame where it has left
    background = empty.frames[-1]
    frames = clip.frames[:15] + [background.copy() for _ in range(25)]
    result = track(zip(clip.times()[:40], frames, strict=True), clip.truth[0])
    assert result.end is not None
    assert 15 / clip.fps <= result.end <= 17 / clip.fps
    assert all(k.t < result.end for k in result.keyframes)


def test_pose_zones_steer_worn_items() -> None:
    clip = make_clip(frames=30, size=SIZE, textured=False)
    truth = dict(enumerate(clip.truth))
    calls: list[int] = []

    def zone(frame: np.ndarray, last: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        calls.append(1)
        return truth[len(calls)]  # the pose module's zone for this frame

    result = track(
        zip(clip.times(), clip.frames, strict=True),
        clip.truth[0],
        zone_fn=zone,
        settings=TrackSettings(pose_every=1),
    )
    pose_steps = [st for st in result.steps[1:] if st.method == METHOD_POSE]
    assert calls and pose_steps
    for st, t in zip(result.steps[1:20], clip.truth[1:20], strict=True):  # visible frames
        assert st.box is not None and iou(st.box, t) > 0.95
    # by default the (costly) pose model runs on every third frame only, CSRT bridges the others
    seen: list[int] = []

    def counting(frame: np.ndarray, last: tuple[float, float, float, float]) -> None:
        seen.append(1)
        return None

    track(zip(clip.times()[:13], clip.frames[:13], strict=True), clip.truth[0], zone_fn=counting)
    assert len(seen) == 4


def test_cancel_stops_tracking() -> None:
    clip = make_clip(frames=10, size=SIZE)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        track(zip(clip.times(), clip.frames, strict=True), clip.truth[0], cancel=token)


def test_bad_inputs_are_refused() -> None:
    clip = make_clip(frames=3, size=SIZE)
    with pytest.raises(ValueError):
        track(zip(clip.times(), clip.frames, strict=True), (0.5, 0.5, 0.5, 0.7))
    with pytest.raises(ValueError):
        track(iter(()), (0.1, 0.1, 0.3, 0.3))


def test_simplify_keeps_turns_and_drops_straight_runs() -> None:
    line = [Keyframe(t / 10, 0.1 + t * 0.01, 0.5) for t in range(11)]
    assert [k.t for k in simplify_keyframes(line, 0.004)] == [0.0, 1.0]
    turn = [*line, Keyframe(1.1, 0.2, 0.6), Keyframe(1.2, 0.2, 0.7)]
    kept = simplify_keyframes(turn, 0.004)
    assert [k.t for k in kept] == [0.0, 1.0, 1.2]
    assert simplify_keyframes(turn, 0) == turn


def test_keyframe_sampling_follows_settings() -> None:
    clip = make_clip(frames=30, size=SIZE)
    sparse = track_clip(clip, settings=TrackSettings(every=10, simplify_tolerance=0))
    dense = track_clip(clip, settings=TrackSettings(every=2, simplify_tolerance=0))
    assert len(dense.keyframes) > len(sparse.keyframes) >= 2
