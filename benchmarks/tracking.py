"""Tracking benchmark: does a tag stay on a moving product, and does it end when the product leaves?

Builds a synthetic clip it can regenerate (a product patch moving over a busy background on a curved
path, growing a little, then leaving the frame to the right), tracks the product from the first
frame with studio.vision.tracking, and prints, for a textured and a textureless product:

* the share of frames (while the product is at least half visible) where the tracked box has
  IoU ≥ 0.5 with the truth — raw per-frame boxes and the boxes the user gets from the keyframes;
* when the track ended versus when the product left (frames);
* milliseconds per frame and the number of keyframes emitted.

Run: `.venv/bin/python benchmarks/tracking.py [--frames 90] [--size 640x360] [--video]`
(`--video` encodes the clip to MP4 and tracks through the real decoder). Target: ≥ 90 % of frames.
The generator is also used by tests/unit/test_vision_tracking.py.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core.keyframes import interpolate
from studio.vision.proposals import Box, iou
from studio.vision.tracking import TrackResult, TrackSettings, track, track_in_video, visible_share


@dataclass(slots=True)
class SyntheticClip:
    frames: list[np.ndarray]  # RGB uint8
    truth: list[Box]  # normalized, unclamped (may stick out of the frame)
    fps: float
    product: np.ndarray  # the "catalog photo" of the product (RGB, on white)

    def times(self) -> list[float]:
        return [i / self.fps for i in range(len(self.frames))]

    def left_at(self) -> float:
        """First time the product is less than half visible (when its tag should end)."""
        for i, box in enumerate(self.truth):
            if visible_share(box) < 0.5:
                return i / self.fps
        return len(self.frames) / self.fps


def _background(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A busy but smooth scene: gradient, soft blobs and thin lines (features on purpose)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([80 + 60 * xx / w, 90 + 50 * yy / h, 110 + 30 * np.sin(xx / 37.0)], axis=-1)
    img = img.astype(np.uint8).copy()
    for _ in range(14):
        c = tuple(int(v) for v in rng.integers(40, 200, 3))
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(10, 45)), c, -1)
    for _ in range(10):
        c = tuple(int(v) for v in rng.integers(30, 220, 3))
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(img, p1, p2, c, 2)
    return cv2.GaussianBlur(img, (3, 3), 0)


def product_patch(size: tuple[int, int] = (120, 150), *, textured: bool = True, seed: int = 7) -> np.ndarray:
    """A product 'photo': a printed box with shapes and text, or a plain coloured one (textureless)."""
    w, h = size
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (200, 60, 40), np.uint8)
    if textured:
        for _ in range(18):
            c = tuple(int(v) for v in rng.integers(0, 255, 3))
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.rectangle(img, (x, y), (x + int(rng.integers(6, 30)), y + int(rng.integers(6, 30))), c, -1)
        for i, word in enumerate(("ACME", "TEA", "No.7")):
            cv2.putText(img, word, (6, 30 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), (20, 20, 20), 3)
    return img


def make_clip(
    *,
    frames: int = 90,
    size: tuple[int, int] = (640, 360),
    fps: float = 25.0,
    textured: bool = True,
    seed: int = 3,
) -> SyntheticClip:
    """The product moves on a curve for ~70 % of the clip, growing 15 %, then exits to the right."""
    w, h = size
    rng = np.random.default_rng(seed)
    background = _background(w, h, rng)
    product = product_patch(textured=textured)
    ph0, pw0 = product.shape[:2]
    base_scale = 0.55 * h / ph0  # the product is about half the frame's height
    stay = int(frames * 0.7)
    out: list[np.ndarray] = []
    truth: list[Box] = []
    for i in range(frames):
        if i < stay:
            u = i / max(1, stay - 1)
            cx = w * (0.25 + 0.45 * u)
            cy = h * (0.5 + 0.12 * math.sin(u * 2 * math.pi))
        else:
            u = (i - stay + 1) / max(1, frames - stay)
            cx = w * (0.70 + 0.75 * u)  # leaves the frame well before the last frame
            cy = h * 0.5
        scale = base_scale * (1.0 + 0.15 * min(1.0, i / max(1, stay)))
        pw, ph = pw0 * scale, ph0 * scale
        x0, y0 = cx - pw / 2, cy - ph / 2
        frame = background.copy()
        matrix = np.float32([[scale, 0, x0], [0, scale, y0]])
        warped = cv2.warpAffine(product, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpAffine(
            np.full((ph0, pw0), 255, np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0
        )
        frame[mask > 0] = warped[mask > 0]
        noise = rng.normal(0, 3, frame.shape)
        frame = np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        out.append(frame)
        truth.append((x0 / w, y0 / h, (x0 + pw) / w, (y0 + ph) / h))
    photo = np.full((ph0 + 40, pw0 + 40, 3), 255, np.uint8)
    photo[20 : 20 + ph0, 20 : 20 + pw0] = product
    return SyntheticClip(frames=out, truth=truth, fps=fps, product=photo)


def encode(clip: SyntheticClip, path: Path) -> Path:
    """Write the clip as MP4 (MPEG-4 part 2, always in PyAV's wheel) for a through-the-decoder run."""
    import av

    h, w = clip.frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=Fraction(clip.fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.bit_rate = 4_000_000
        for n, frame in enumerate(clip.frames):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = n, Fraction(1, 1) / Fraction(clip.fps).limit_denominator(1000)
            out.mux(stream.encode(vf))
        out.mux(stream.encode(None))
    return path


@dataclass(slots=True)
class Score:
    share_raw: float  # frames (product ≥ half visible) with IoU ≥ 0.5, raw tracker boxes
    share_keyframes: float  # same, with the box the user sees (keyframe interpolation)
    end_error_frames: float | None  # track end − product left, in frames (None: never ended)
    frames_scored: int
    keyframes: int


def score(clip: SyntheticClip, result: TrackResult) -> Score:
    times = clip.times()
    first = clip.truth[0]
    fx, fy = (first[0] + first[2]) / 2, (first[1] + first[3]) / 2
    left = clip.left_at()
    raw_hits = key_hits = scored = 0
    by_t = {round(s.t, 6): s.box for s in result.steps}
    for t, truth in zip(times, clip.truth, strict=True):
        if t >= left:
            break
        scored += 1
        box = by_t.get(round(t, 6))
        if box is not None and iou(box, truth) >= 0.5:
            raw_hits += 1
        alive = result.end is None or t < result.end
        point = interpolate(result.keyframes, t)
        if alive and point is not None:
            # the user's box: the first box moved with the anchor (keyframes.box_at)
            dx, dy = point[0] - fx, point[1] - fy
            shown = (first[0] + dx, first[1] + dy, first[2] + dx, first[3] + dy)
            if iou(shown, truth) >= 0.5:
                key_hits += 1
    end_error = None if result.end is None else (result.end - left) * clip.fps
    return Score(
        raw_hits / max(1, scored), key_hits / max(1, scored), end_error, scored, len(result.keyframes)
    )


def track_clip(
    clip: SyntheticClip, *, use_photo: bool = True, settings: TrackSettings | None = None
) -> TrackResult:
    return track(
        zip(clip.times(), clip.frames, strict=True),
        clip.truth[0],
        product_image=clip.product if use_photo else None,
        settings=settings,
    )


def track_benchmark(
    frames: int = 90, size: tuple[int, int] = (640, 360), video: bool = False
) -> dict[str, Score]:
    """Run the benchmark and print its figures; returns the scores by case (for shop_the_look's bench)."""
    results: dict[str, Score] = {}
    for name, textured in (("textured", True), ("textureless", False)):
        clip = make_clip(frames=frames, size=size, textured=textured)
        started = time.perf_counter()
        if video:
            with tempfile.TemporaryDirectory() as tmp:
                path = encode(clip, Path(tmp) / "clip.mp4")
                started = time.perf_counter()
                result = track_in_video(path, clip.truth[0], product_image=clip.product)
        else:
            result = track_clip(clip)
        elapsed = time.perf_counter() - started
        s = score(clip, result)
        results[name] = s
        end = "never" if s.end_error_frames is None else f"{s.end_error_frames:+.0f} frames"
        print(
            f"{name:<12} IoU≥0.5 on {s.share_raw:6.1%} of frames (raw), "
            f"{s.share_keyframes:6.1%} (keyframes); "
            f"end vs. exit: {end}; {1000 * elapsed / len(result.steps):5.1f} ms/frame; "
            f"{s.keyframes} keyframes for {s.frames_scored} visible frames"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--video", action="store_true", help="encode to MP4 and track through the decoder")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    print(f"Tracking benchmark: {args.frames} frames at {w}×{h}{' (through MP4)' if args.video else ''}")
    track_benchmark(args.frames, (w, h), args.video)


if __name__ == "__main__":
    main()
