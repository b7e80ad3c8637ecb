"""Following an accepted tag through a video: keyframes the user can correct, and an honest end.

Why this shape: a tag on a video is a few keyframes (studio/core/keyframes.py interpolates between
them), not a box per frame — the user corrects a keyframe on the timeline, never 300 boxes. So the
tracker follows the item frame by frame but only *emits* a keyframe every `every` frames, then drops
the ones a straight line through their neighbours already explains.

Per frame, the cheapest reliable cue wins:

1. **Feature re-detection** (ORB + RANSAC homography) against the product photo when it is textured,
   and against the item's own first-frame crop: a printed, rigid product is found again exactly, so
   the box cannot drift. The homography found on the first frame maps the accepted box into the
   photo's coordinates once; afterwards every frame's box is that same region projected back.
2. **Pose zones** for worn items (a top, trousers, shoes): the caller passes `zone_fn`, which
   recomputes the garment zone from the pose keypoints of the frame (studio/vision/pose.py), so the
   box follows the person's body rather than a blurry patch of fabric.
3. **CSRT** (OpenCV's discriminative correlation tracker) as the fallback for plain items.

Every answer passes a confidence check — enough of the box inside the frame, and a colour histogram
still close to the item's first appearance. A few failing frames in a row *end* the track: the tag's
time range stops where the item was last seen instead of drifting onto the background, because a
tag floating over nothing is worse for a shopper than a tag that disappears.

Everything works on a down-scaled copy of each frame (`max_side`, 640 px): tracking accuracy in
normalized coordinates barely changes, and the cost per frame drops ~4× on 1080p. No Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from studio.core.errors import Cancelled
from studio.core.model import Keyframe
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.vision.proposals import Box, clamp_box

#: Recomputes a worn item's zone on one frame (RGB, work resolution) near the last box, or None.
ZoneFn = Callable[[np.ndarray, Box], Box | None]

#: Box size (long side, px) the correlation trackers work at; larger boxes are tracked on a smaller frame.
CORRELATION_BOX_PX = 80

METHOD_FEATURES = "features"
METHOD_POSE = "pose"
METHOD_CSRT = "csrt"
METHOD_LOST = "lost"

END_LEFT = "left the frame"
END_LOST = "lost (the item no longer looks like itself)"
END_CLIP = "end of clip"
END_LIMIT = "end of the range"


@dataclass(frozen=True, slots=True)
class TrackSettings:
    """Knobs of the tracker; the defaults are tuned on the synthetic benchmark (benchmarks/tracking.py)."""

    every: int = 5  # emit a keyframe every N frames
    max_side: int = 640  # work resolution
    min_visible: float = 0.5  # share of the box that must lie inside the frame
    min_similarity: float = 0.45  # colour-histogram similarity to the first appearance (0..1)
    patience: int = 3  # consecutive failing frames before the track ends
    min_inliers: int = 10  # RANSAC inliers for a feature re-detection to count
    min_template_keypoints: int = 25  # fewer: the product photo is "textureless", skip features
    pose_every: int = 3  # recompute pose zones every N frames (MoveNet costs ~50 ms; CSRT bridges the gap)
    simplify_tolerance: float = 0.004  # drop keyframes a straight line explains within this (normalized)


@dataclass(frozen=True, slots=True)
class TrackStep:
    """What the tracker decided on one frame (kept for tests, benchmarks and debugging)."""

    t: float
    box: Box | None  # normalized; None when the frame failed the confidence check
    method: str
    confidence: float


@dataclass(slots=True)
class TrackResult:
    """Keyframes of the anchor, and where the tag's time range should end."""

    keyframes: list[Keyframe]
    start: float
    end: float | None  # first time the item is gone; None = still there at the last frame
    reason: str  # why tracking stopped (END_*)
    steps: list[TrackStep] = field(default_factory=list)
    #: With backward tracking: the earliest time the item was seen (None = from the clip's start).
    first_seen: float | None = 0.0

    def box_at_step(self, t: float) -> Box | None:
        """The raw tracked box of the frame at time `t` (None if lost or not tracked)."""
        for step in self.steps:
            if abs(step.t - t) < 1e-6:
                return step.box
        return None


# --- small geometry helpers --------------------------------------------------------------------


def _to_px(box: Box, w: int, h: int) -> tuple[int, int, int, int]:
    """Normalized box -> OpenCV (x, y, w, h) in pixels, at least 2×2."""
    x0, y0, x1, y1 = box
    px, py = round(x0 * w), round(y0 * h)
    pw, ph = max(2, round((x1 - x0) * w)), max(2, round((y1 - y0) * h))
    return px, py, pw, ph


def _from_px(rect: tuple[float, float, float, float], w: int, h: int) -> Box:
    x, y, bw, bh = rect
    return (x / w, y / h, (x + bw) / w, (y + bh) / h)


def visible_share(box: Box) -> float:
    """How much of a (possibly out-of-frame) box lies inside the image, 0..1."""
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    if area <= 0:
        return 0.0
    c = clamp_box(box)
    return max(0.0, c[2] - c[0]) * max(0.0, c[3] - c[1]) / area


def _work_frame(frame: np.ndarray, max_side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return frame
    return cv2.resize(
        frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )


def _gray(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _crop(frame: np.ndarray, box: Box) -> np.ndarray | None:
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = clamp_box(box)
    a, b = int(x0 * w), int(y0 * h)
    c, d = max(a + 1, math.ceil(x1 * w)), max(b + 1, math.ceil(y1 * h))
    crop = frame[b:d, a:c]
    return crop if crop.size else None


def _histogram(img: np.ndarray) -> np.ndarray:
    """Hue–saturation histogram (plus a value channel for greys), normalized: the item's colours."""
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [12, 6, 4], [0, 180, 0, 256, 0, 256])
    cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)
    return hist


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    """1 − Bhattacharyya distance of two histograms: 1 identical, 0 nothing in common."""
    return float(1.0 - cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def _orb() -> cv2.ORB:
    # Small patches and a low FAST threshold: products are often only 60–150 px at work resolution.
    return cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=600, scaleFactor=1.2, nlevels=6, edgeThreshold=15, patchSize=15, fastThreshold=12
    )


# --- feature re-detection ----------------------------------------------------------------------


class _FeatureModel:
    """A textured reference (product photo or first-frame crop) and where the tag's box lies in it."""

    def __init__(self, image: np.ndarray, settings: TrackSettings) -> None:
        gray = _gray(image)
        scale = min(1.0, 400 / max(gray.shape[:2]))
        if scale < 1.0:
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        self.size = (gray.shape[1], gray.shape[0])
        self.orb = _orb()
        self.kp, self.desc = self.orb.detectAndCompute(gray, None)
        self.settings = settings
        self.box_corners: np.ndarray | None = None  # the tag's box in reference pixels (4×1×2)
        self.matcher = cv2.BFMatcher(cv2.NORM_HAMMING)

    @property
    def textured(self) -> bool:
        return self.desc is not None and len(self.kp) >= self.settings.min_template_keypoints

    def locate(self, gray: np.ndarray, region: Box | None) -> tuple[np.ndarray, int] | None:
        """Homography reference -> frame pixels and its inlier count, searching `region` (normalized)."""
        if not self.textured:
            return None
        h, w = gray.shape[:2]
        ox = oy = 0
        search = gray
        if region is not None:
            x0, y0, x1, y1 = clamp_box(region)
            ox, oy = int(x0 * w), int(y0 * h)
            search = gray[oy : max(oy + 1, int(y1 * h)), ox : max(ox + 1, int(x1 * w))]
            if search.shape[0] < 16 or search.shape[1] < 16:
                return None
        kp, desc = self.orb.detectAndCompute(search, None)
        if desc is None or len(kp) < self.settings.min_inliers:
            return None
        pairs = self.matcher.knnMatch(self.desc, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
        if len(good) < self.settings.min_inliers:
            return None
        src = np.array([self.kp[m.queryIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
        dst = np.array(
            [(kp[m.trainIdx].pt[0] + ox, kp[m.trainIdx].pt[1] + oy) for m in good], dtype=np.float32
        ).reshape(-1, 1, 2)
        homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
        if homography is None or mask is None:
            return None
        inliers = int(mask.sum())
        if inliers < self.settings.min_inliers:
            return None
        return homography, inliers

    def anchor_box(self, homography: np.ndarray, box_px: np.ndarray) -> bool:
        """Remember where `box_px` (frame corners, 4×1×2) lies in the reference; False if degenerate."""
        try:
            inverse = np.linalg.inv(homography)
        except np.linalg.LinAlgError:
            return False
        self.box_corners = cv2.perspectiveTransform(box_px, inverse)
        return True

    def project(self, homography: np.ndarray, w: int, h: int) -> Box | None:
        """The tag's box in the frame (normalized) through `homography`; None if implausible."""
        if self.box_corners is None:
            return None
        quad = cv2.perspectiveTransform(self.box_corners, homography).reshape(-1, 2)
        if not np.isfinite(quad).all() or not cv2.isContourConvex(quad.astype(np.float32)):
            return None
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        return (float(x0 / w), float(y0 / h), float(x1 / w), float(y1 / h))


def _corners(box: Box, w: int, h: int) -> np.ndarray:
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32).reshape(-1, 1, 2)


def _expand(box: Box, factor: float) -> Box:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * factor / 2, (box[3] - box[1]) * factor / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def _plausible(new: Box, last: Box) -> bool:
    """A re-detected box must be about the size of the last one (a 4× jump is a false match)."""
    a_new = (new[2] - new[0]) * (new[3] - new[1])
    a_last = (last[2] - last[0]) * (last[3] - last[1])
    return a_last > 0 and 0.33 < a_new / a_last < 3.0


def create_csrt() -> cv2.Tracker:
    """OpenCV's CSRT tracker (main namespace in 4.5.1+, `cv2.legacy` in some contrib builds)."""
    params = cv2.TrackerCSRT_Params()  # type: ignore[attr-defined]
    # One scale: the size comes from the confident cues (features, pose); CSRT's own scale search
    # shrinks the box onto a corner of plain items, which drags the centre off the item too.
    params.number_of_scales = 1
    params.template_size = 100  # (default 200) the box is already ~80 px here: half the cost, same result
    if hasattr(cv2, "TrackerCSRT_create"):
        return cv2.TrackerCSRT_create(params)
    return cv2.legacy.TrackerCSRT_create(params)  # type: ignore[attr-defined]  # pragma: no cover


# --- the tracker -------------------------------------------------------------------------------


class BoxTracker:
    """Follows one box from frame to frame (see the module docstring for the order of cues)."""

    def __init__(
        self,
        first_frame: np.ndarray,
        box: Box,
        *,
        product_image: np.ndarray | None = None,
        zone_fn: ZoneFn | None = None,
        settings: TrackSettings | None = None,
    ) -> None:
        self.settings = settings or TrackSettings()
        frame = _work_frame(np.ascontiguousarray(first_frame), self.settings.max_side)
        h, w = frame.shape[:2]
        self.box: Box = box
        self.zone_fn = zone_fn
        crop = _crop(frame, box)
        self.reference_hist = _histogram(crop) if crop is not None else None
        gray = _gray(frame)
        self.models: list[_FeatureModel] = []
        corners = _corners(box, w, h)
        if product_image is not None:
            model = _FeatureModel(product_image, self.settings)
            # The product photo counts only if it is found in the first frame, roughly on the box.
            found = model.locate(gray, _expand(box, 1.6)) if model.textured else None
            if found is not None and model.anchor_box(found[0], corners):
                self.models.append(model)
        # The item's own first appearance: what it looks like in *this* video.
        pad = _expand(box, 1.3)
        own = _crop(frame, pad)
        if own is not None:
            model = _FeatureModel(own, self.settings)
            if model.textured:
                px0, py0 = int(clamp_box(pad)[0] * w), int(clamp_box(pad)[1] * h)  # as _crop cuts
                sx, sy = model.size[0] / own.shape[1], model.size[1] / own.shape[0]
                shift = np.array([[sx, 0, -px0 * sx], [0, sy, -py0 * sy], [0, 0, 1]], dtype=np.float32)
                # frame -> reference is `shift`; so reference -> frame is its inverse
                if model.anchor_box(np.linalg.inv(shift), corners):
                    self.models.append(model)
        # CSRT runs only when the cheaper, exact cues fail: it is (re)started lazily on the last frame
        # where the item was known, so a textured product pays for ORB alone (~10 ms, not ~80 ms).
        self.csrt: list[cv2.Tracker] | None = None
        self._csrt_scale = 1.0
        self._last_frame = frame
        self._frames = 0
        self.failures = 0

    @property
    def uses_features(self) -> bool:
        return bool(self.models)

    def _csrt_step(self, frame: np.ndarray) -> Box | None:
        """CSRT and KCF side by side; the box whose colours still match the item wins.

        Why two: on compressed video CSRT sometimes sticks to the background around a plain item
        (its segmentation learns the static surroundings), while KCF keeps following; on sharp frames
        CSRT is the more precise. Running both costs a few ms and the histogram check arbitrates.
        """
        if self.csrt is None:
            known = clamp_box(self.box)
            if known[2] - known[0] < 0.005 or known[3] - known[1] < 0.005:
                return None
            # Correlation trackers cost grows with the box's pixels: run them where the box is ~80 px.
            lh, lw = self._last_frame.shape[:2]
            side = max((known[2] - known[0]) * lw, (known[3] - known[1]) * lh)
            self._csrt_scale = min(1.0, CORRELATION_BOX_PX / max(1.0, side))
            small = self._small(self._last_frame)
            self.csrt = [create_csrt(), cv2.TrackerKCF_create()]  # type: ignore[attr-defined]
            for tracker in self.csrt:
                tracker.init(small, _to_px(known, small.shape[1], small.shape[0]))
        small = self._small(frame)
        h, w = small.shape[:2]
        best: Box | None = None
        best_score = -1.0
        for tracker in self.csrt:
            ok, rect = tracker.update(small)
            if not ok:
                continue
            x, y, rw, rh = (float(v) for v in rect)
            found = _from_px((x, y, rw, rh), w, h)
            # Trust the centre and keep the last confident size: scale searches collapse on plain items.
            cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
            hw, hh = (self.box[2] - self.box[0]) / 2, (self.box[3] - self.box[1]) / 2
            candidate = (cx - hw, cy - hh, cx + hw, cy + hh)
            crop = _crop(frame, candidate)
            if crop is None:
                continue
            score = (
                _similarity(self.reference_hist, _histogram(crop)) if self.reference_hist is not None else 0.0
            )
            if score > best_score:
                best, best_score = candidate, score
        return best

    def _small(self, frame: np.ndarray) -> np.ndarray:
        if self._csrt_scale >= 1.0:
            return frame
        h, w = frame.shape[:2]
        size = (max(8, round(w * self._csrt_scale)), max(8, round(h * self._csrt_scale)))
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)

    def update(self, frame_rgb: np.ndarray) -> TrackStep:
        """Track into the next frame; `box` None in the returned step means this frame failed."""
        frame = _work_frame(np.ascontiguousarray(frame_rgb), self.settings.max_side)
        h, w = frame.shape[:2]
        gray = _gray(frame)
        box: Box | None = None
        method = METHOD_LOST
        confidence = 0.0
        search = _expand(self.box, 2.2)
        for model in self.models:
            found = model.locate(gray, search)
            if found is None:
                continue
            candidate = model.project(found[0], w, h)
            if candidate is not None and _plausible(candidate, self.box):
                box, method = candidate, METHOD_FEATURES
                confidence = min(1.0, found[1] / (3 * self.settings.min_inliers))
                break
        self._frames += 1
        if box is None and self.zone_fn is not None and self._frames % max(1, self.settings.pose_every) == 0:
            zone = self.zone_fn(frame, self.box)
            if zone is not None and _plausible(zone, self.box):
                box, method, confidence = zone, METHOD_POSE, 0.7
        if box is None:
            box = self._csrt_step(frame)
            if box is not None:
                method, confidence = METHOD_CSRT, 0.5
        else:
            self.csrt = None  # restart from this exact box when it is needed again
        if box is not None and not self._confident(frame, box, method):
            box, method, confidence = None, METHOD_LOST, 0.0
        if box is None:
            self.failures += 1
        else:
            self.failures = 0
            self.box = box
            self._last_frame = frame
        return TrackStep(t=0.0, box=box, method=method, confidence=confidence)

    def _confident(self, frame: np.ndarray, box: Box, method: str) -> bool:
        if visible_share(box) < self.settings.min_visible:
            return False
        if method == METHOD_FEATURES or self.reference_hist is None:
            return True  # a geometry-verified match is its own proof
        crop = _crop(frame, box)
        if crop is None:
            return False
        return _similarity(self.reference_hist, _histogram(crop)) >= self.settings.min_similarity

    @property
    def lost(self) -> bool:
        return self.failures >= self.settings.patience


# --- keyframes ---------------------------------------------------------------------------------


def _anchor(box: Box, rel: tuple[float, float]) -> tuple[float, float]:
    x = box[0] + (box[2] - box[0]) * rel[0]
    y = box[1] + (box[3] - box[1]) * rel[1]
    return min(1.0, max(0.0, x)), min(1.0, max(0.0, y))


def simplify_keyframes(keyframes: list[Keyframe], tolerance: float) -> list[Keyframe]:
    """Drop keyframes that a straight line between their kept neighbours explains within `tolerance`.

    Fewer keyframes are easier to correct on the timeline and interpolate to the same motion.
    """
    if len(keyframes) <= 2 or tolerance <= 0:
        return list(keyframes)
    kept = [keyframes[0]]
    for i in range(1, len(keyframes) - 1):
        a, b, c = kept[-1], keyframes[i], keyframes[i + 1]
        span = c.t - a.t
        u = (b.t - a.t) / span if span > 0 else 0.0
        ex, ey = a.x + (c.x - a.x) * u, a.y + (c.y - a.y) * u
        if abs(ex - b.x) > tolerance or abs(ey - b.y) > tolerance:
            kept.append(b)
    kept.append(keyframes[-1])
    return kept


def track(
    frames: Iterable[tuple[float, np.ndarray]],
    box: Box,
    *,
    anchor: tuple[float, float] | None = None,
    product_image: np.ndarray | None = None,
    zone_fn: ZoneFn | None = None,
    settings: TrackSettings | None = None,
    total: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> TrackResult:
    """Track `box` (normalized, on the first frame) through `frames` ((time, RGB uint8 array) pairs).

    `anchor` is the tag's point (normalized, default: the box centre); keyframes move it with the box.
    The first frame starts the track; it ends at the first frame of a run of `patience` failures.
    """
    settings = settings or TrackSettings()
    box = clamp_box(box)
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw <= 0 or bh <= 0:
        raise ValueError("the box to track has no area")
    ax, ay = anchor if anchor is not None else ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    rel = ((ax - box[0]) / bw, (ay - box[1]) / bh)
    it: Iterator[tuple[float, np.ndarray]] = iter(frames)
    try:
        t0, first = next(it)
    except StopIteration:
        raise ValueError("no frames to track") from None
    tracker = BoxTracker(first, box, product_image=product_image, zone_fn=zone_fn, settings=settings)
    steps = [TrackStep(t0, box, METHOD_FEATURES if tracker.uses_features else METHOD_CSRT, 1.0)]
    keyframes = [Keyframe(float(t0), *_anchor(box, rel))]
    last_good: TrackStep = steps[0]
    fail_start: float | None = None
    end: float | None = None
    reason = END_CLIP
    for n, (t, frame) in enumerate(it, start=1):
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        step = tracker.update(frame)
        step = TrackStep(float(t), step.box, step.method, step.confidence)
        steps.append(step)
        if step.box is None:
            if fail_start is None:
                fail_start = float(t)
            if tracker.lost:
                end = fail_start
                reason = (
                    END_LEFT if visible_share(tracker.box) < 0.999 or _near_edge(tracker.box) else END_LOST
                )
                break
        else:
            fail_start = None
            last_good = step
            if n % settings.every == 0:
                keyframes.append(Keyframe(step.t, *_anchor(step.box, rel)))
        progress(n, total, "Tracking")
    progress(total, total, "Tracked")
    if last_good.box is not None and keyframes[-1].t != last_good.t:  # (backward: times decrease)
        keyframes.append(Keyframe(last_good.t, *_anchor(last_good.box, rel)))
    keyframes = simplify_keyframes(keyframes, settings.simplify_tolerance)
    return TrackResult(
        keyframes=keyframes, start=float(t0), end=end, reason=reason, steps=steps, first_seen=float(t0)
    )


def _near_edge(box: Box, margin: float = 0.03) -> bool:
    return box[0] < margin or box[1] < margin or box[2] > 1 - margin or box[3] > 1 - margin


# --- videos ------------------------------------------------------------------------------------


def video_frames(
    path: str | Path, start: float, end: float | None = None, *, max_side: int = 640
) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB array) of every frame from `start` to `end` (None: the clip's end), decoded once.

    Sequential reads through one `FrameSource`, so the decoder never seeks after the first frame.
    """
    from studio.media.frames import FrameSource

    with FrameSource(path, cache_bytes=0) as source:
        first = source.frame_index(start)
        last = source.frame_count - 1 if end is None else source.frame_index(end)
        for index in range(first, last + 1):
            image = source.frame(index, max_side=max_side)
            yield source.time_of(index), np.asarray(image.convert("RGB"))


def video_frames_backward(
    path: str | Path, start: float, *, max_side: int = 640, chunk: int = 24
) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB array) from the frame at `start` back to the clip's first frame, newest first.

    Decoders only go forward, so frames are decoded in chunks of `chunk` (one seek each) and handed
    out in reverse: memory stays bounded (~chunk frames) whatever the clip's length.
    """
    from studio.media.frames import FrameSource

    with FrameSource(path, cache_bytes=0) as source:
        hi = source.frame_index(start)
        while hi >= 0:
            lo = max(0, hi - chunk + 1)
            frames = [
                (source.time_of(i), np.asarray(source.frame(i, max_side=max_side).convert("RGB")))
                for i in range(lo, hi + 1)
            ]
            yield from reversed(frames)
            hi = lo - 1


def _join(backward: TrackResult, forward: TrackResult) -> TrackResult:
    """One result from a backward and a forward track that both start on the same frame."""
    back = sorted(backward.keyframes, key=lambda k: k.t)
    keyframes = [k for k in back if k.t < forward.start] + list(forward.keyframes)
    seen = [st.t for st in backward.steps if st.box is not None]
    first_seen = None if backward.end is None else min(seen, default=forward.start)
    steps = sorted(backward.steps[1:], key=lambda st: st.t) + list(forward.steps)
    return TrackResult(
        keyframes=keyframes,
        start=forward.start,
        end=forward.end,
        reason=forward.reason,
        steps=steps,
        first_seen=first_seen,
    )


def track_in_video(
    path: str | Path,
    box: Box,
    *,
    start: float = 0.0,
    end: float | None = None,
    anchor: tuple[float, float] | None = None,
    product_image: np.ndarray | None = None,
    zone_fn: ZoneFn | None = None,
    settings: TrackSettings | None = None,
    backward: bool = False,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> TrackResult:
    """Track a box from `start` seconds of a video file (see `track`). Frames are read lazily.

    With `backward`, the item is also followed from `start` towards the beginning, so a tag accepted
    mid-clip starts where the item first appears (`first_seen`; None = from the clip's start).
    """
    from studio.media.frames import FrameSource

    settings = settings or TrackSettings()
    with FrameSource(path, cache_bytes=0) as source:
        first = source.frame_index(start)
        ahead = source.frame_count - 1 - first  # frames after the first
        duration = source.duration
    behind = first if backward else 0
    total = ahead + behind

    def forward_progress(done: int, _total: int, message: str) -> None:
        progress(behind + done, total, message)

    back: TrackResult | None = None
    if behind:
        back = track(
            video_frames_backward(path, start, max_side=settings.max_side),
            box,
            anchor=anchor,
            product_image=product_image,
            zone_fn=zone_fn,
            settings=settings,
            total=total,
            progress=lambda d, _t, m: progress(min(d, behind), total, "Tracking back"),
            cancel=cancel,
        )
    result = track(
        video_frames(path, start, end, max_side=settings.max_side),
        box,
        anchor=anchor,
        product_image=product_image,
        zone_fn=zone_fn,
        settings=settings,
        total=ahead,
        progress=forward_progress,
        cancel=cancel,
    )
    if result.end is None and end is not None and end < duration:
        result.reason = END_LIMIT
    if back is not None:
        result = _join(back, result)
    elif backward:
        result.first_seen = None  # tracked from the clip's first frame
    return result
