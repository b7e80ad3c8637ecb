"""People and their outfit zones: MoveNet MultiPose Lightning keypoints -> hat/top/bottom/shoe/bag boxes.

Why pose instead of a clothing detector: no permissively licensed fashion detector is available from
a registry, but a pose model is, and garments sit at predictable places relative to the skeleton:
the top between shoulders and hips, the bottom from hips to ankles, shoes at the ankles, a bag hangs
from a wrist or sits at the hip. The zones are queries for the catalog matcher, not final answers; a
zone is only proposed when the keypoints that define it were actually seen (score ≥ 0.3), so a
head-and-shoulders portrait yields a hat and a top zone but no shoes.

MoveNet MultiPose takes an int32 RGB image whose sides are multiples of 32 (256 on the long side is
what it was tuned for) and returns up to 6 people, each 17 keypoints (y, x, score) plus a box and a
score, all normalized to the input. The photo is resized keeping its aspect ratio and padded at the
bottom/right, so the coordinates are mapped back through that padding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.errors import InputError
from studio.vision import models
from studio.vision.proposals import KIND_OUTFIT, Box, Proposal, clamp_box

KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
_INDEX = {name: i for i, name in enumerate(KEYPOINTS)}
INPUT_LONG_SIDE = 256
MIN_PERSON_SCORE = 0.25
MIN_KEYPOINT_SCORE = 0.3
MIN_ZONE_SIDE = 0.01  # normalized; smaller zones are noise

OUTFIT_CATEGORIES = ("hat", "top", "bottom", "shoe", "bag")


@dataclass(frozen=True, slots=True)
class Person:
    """One person: box and 17 keypoints (x, y, score), all normalized to the image (0..1)."""

    box: Box
    score: float
    keypoints: tuple[tuple[float, float, float], ...]

    def point(self, name: str) -> tuple[float, float, float]:
        return self.keypoints[_INDEX[name]]

    def visible(self, name: str, min_score: float = MIN_KEYPOINT_SCORE) -> bool:
        x, y, s = self.point(name)
        return s >= min_score and -0.02 <= x <= 1.02 and -0.02 <= y <= 1.02


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 8:
        raise InputError(
            f"cannot run pose detection on an image array of shape {arr.shape}",
            hint="pass an RGB H×W×3 uint8 array of at least 8×8 pixels",
        )
    return arr[:, :, :3]


def preprocess(rgb: np.ndarray, long_side: int = INPUT_LONG_SIDE) -> tuple[np.ndarray, float, float]:
    """RGB -> 1×H×W×3 int32 padded to multiples of 32, and the share of the input the photo fills (x, y)."""
    arr = _check_rgb(rgb)
    h, w = arr.shape[:2]
    scale = long_side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    pw, ph = math.ceil(nw / 32) * 32, math.ceil(nh / 32) * 32
    resized = models.resize_for_model(arr, (nw, nh))
    canvas = np.zeros((ph, pw, 3), dtype=np.int32)
    canvas[:nh, :nw] = resized
    return canvas[None], nw / pw, nh / ph


def detect_people(
    rgb: np.ndarray,
    *,
    min_score: float = MIN_PERSON_SCORE,
    long_side: int = INPUT_LONG_SIDE,
    models_folder: Path | None = None,
) -> list[Person]:
    """Up to 6 people with keypoints, best first (normalized to the photo)."""
    x, fx, fy = preprocess(rgb, long_side)
    sess = models.session(models.MOVENET, models_folder)
    out = np.asarray(sess.run(None, {"input": x})[0])[0]  # 6×56
    people: list[Person] = []
    for row in out:
        score = float(row[55])
        if score < min_score:
            continue
        kps = row[:51].reshape(17, 3)
        keypoints = tuple((float(kx) / fx, float(ky) / fy, float(ks)) for ky, kx, ks in kps)
        ymin, xmin, ymax, xmax = (float(v) for v in row[51:55])
        box = clamp_box((xmin / fx, ymin / fy, xmax / fx, ymax / fy))
        people.append(Person(box=box, score=score, keypoints=keypoints))
    people.sort(key=lambda p: -p.score)
    return people


# ------------------------------------------------------------------------------------------ zones


def _px(person: Person, name: str, w: int, h: int) -> np.ndarray:
    x, y, _ = person.point(name)
    return np.array([x * w, y * h], dtype=np.float64)


def _box(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> Box | None:
    box = clamp_box((float(x0) / w, float(y0) / h, float(x1) / w, float(y1) / h))
    if box[2] - box[0] < MIN_ZONE_SIDE or box[3] - box[1] < MIN_ZONE_SIDE:
        return None
    return box


def _centered(center: np.ndarray, half_w: float, half_h: float, w: int, h: int) -> Box | None:
    return _box(center[0] - half_w, center[1] - half_h, center[0] + half_w, center[1] + half_h, w, h)


def _scale(person: Person, w: int, h: int) -> float | None:
    """A body-size yardstick in pixels: shoulder width, else hip width, else head width × 2.5."""
    pairs = (
        ("left_shoulder", "right_shoulder", 1.0),
        ("left_hip", "right_hip", 1.3),
        ("left_ear", "right_ear", 2.5),
        ("left_eye", "right_eye", 5.0),
    )
    for a, b, factor in pairs:
        if person.visible(a) and person.visible(b):
            d = float(np.linalg.norm(_px(person, a, w, h) - _px(person, b, w, h))) * factor
            if d > 2:
                return d
    return None


def outfit_zones(person: Person, image_size: tuple[int, int], *, index: int = 1) -> list[Proposal]:
    """Outfit zones (kind=outfit) of one person; `image_size` is the photo's (width, height) in pixels.

    Only zones whose defining keypoints are visible are returned: hat (head), top (shoulders), bottom
    (hips + knees), each shoe (ankle), bag (a hanging wrist, else the hip). `index` numbers the person
    in the reason text ("person 2: top").
    """
    w, h = int(image_size[0]), int(image_size[1])
    if w <= 0 or h <= 0:
        raise InputError(f"image size {image_size} is not a positive (width, height)")
    vis = person.visible
    unit = _scale(person, w, h)
    if unit is None:
        return []
    zones: list[tuple[str, str, Box | None, list[str]]] = []

    def conf(names: list[str]) -> float:
        return float(min(person.point(n)[2] for n in names)) * person.score**0.5

    # Hat / head: centred on the visible face points, a square about 0.55 shoulder widths wide,
    # extended upwards (hats sit above the eyes).
    head = [n for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear") if vis(n)]
    if len(head) >= 2:
        c = np.mean([_px(person, n, w, h) for n in head], axis=0)
        hw = 0.38 * unit
        zones.append(
            ("hat", "head/hat", _box(c[0] - hw, c[1] - 1.3 * hw, c[0] + hw, c[1] + 0.6 * hw, w, h), head)
        )

    # Top: shoulders to hips (or ~1.4 shoulder widths below the shoulders when hips are hidden).
    shoulders = [n for n in ("left_shoulder", "right_shoulder") if vis(n)]
    if len(shoulders) == 2:
        pts = [_px(person, n, w, h) for n in shoulders]
        arms = [_px(person, n, w, h) for n in ("left_elbow", "right_elbow") if vis(n)]
        hips = [_px(person, n, w, h) for n in ("left_hip", "right_hip") if vis(n)]
        top_y = min(p[1] for p in pts) - 0.15 * unit
        bottom_y = max(p[1] for p in hips) + 0.1 * unit if hips else max(p[1] for p in pts) + 1.4 * unit
        xs = [p[0] for p in pts + arms + hips]
        margin = (0.12 if len(arms) == 2 else 0.3) * unit  # sleeves reach past unseen elbows
        zones.append(
            ("top", "top", _box(min(xs) - margin, top_y, max(xs) + margin, bottom_y, w, h), shoulders)
        )

    # Bottom: hips to ankles (or knees + a bit, for shorts/cropped shots); needs hips and knees.
    hips_n = [n for n in ("left_hip", "right_hip") if vis(n)]
    knees_n = [n for n in ("left_knee", "right_knee") if vis(n)]
    if hips_n and knees_n:
        ankles_n = [n for n in ("left_ankle", "right_ankle") if vis(n)]
        pts = [_px(person, n, w, h) for n in hips_n + knees_n + ankles_n]
        hip_y = min(_px(person, n, w, h)[1] for n in hips_n)
        if ankles_n:
            low = max(_px(person, n, w, h)[1] for n in ankles_n) + 0.05 * unit
        else:
            low = max(_px(person, n, w, h)[1] for n in knees_n) + 0.35 * unit
        xs = [p[0] for p in pts]
        zones.append(
            (
                "bottom",
                "bottom",
                _box(min(xs) - 0.2 * unit, hip_y - 0.15 * unit, max(xs) + 0.2 * unit, low, w, h),
                hips_n + knees_n,
            )
        )

    # Shoes: one per visible ankle, pushed a little along the shin (the foot is below the ankle).
    for side in ("left", "right"):
        ankle, knee = f"{side}_ankle", f"{side}_knee"
        if not vis(ankle):
            continue
        a = _px(person, ankle, w, h)
        if vis(knee):
            shin = a - _px(person, knee, w, h)
            length = max(float(np.linalg.norm(shin)), 0.5 * unit)
            c = a + shin / max(float(np.linalg.norm(shin)), 1e-6) * 0.12 * length
            half = 0.32 * length
        else:
            c, half = a + np.array([0.0, 0.1 * unit]), 0.3 * unit
        zones.append(("shoe", f"{side} shoe", _centered(c, half, half * 0.8, w, h), [ankle]))

    # Bag: below a wrist that hangs down (handbag, tote); where no wrist is seen, at the hip
    # (cross-body bags, belt bags).
    for side in ("left", "right"):
        wrist, elbow, hip = f"{side}_wrist", f"{side}_elbow", f"{side}_hip"
        if vis(wrist) and vis(elbow):
            wr, el = _px(person, wrist, w, h), _px(person, elbow, w, h)
            if wr[1] > el[1]:  # hanging, not raised
                c = wr + np.array([0.0, 0.3 * unit])
                zones.append(
                    (
                        "bag",
                        f"bag at the {side} wrist",
                        _centered(c, 0.4 * unit, 0.45 * unit, w, h),
                        [wrist, elbow],
                    )
                )
        elif vis(hip) and not vis(wrist):
            c = _px(person, hip, w, h)
            zones.append(
                ("bag", f"bag at the {side} hip", _centered(c, 0.4 * unit, 0.35 * unit, w, h), [hip])
            )

    proposals: list[Proposal] = []
    for category, label, box, names in zones:
        if box is None:
            continue
        proposals.append(
            Proposal(
                box=box,
                kind=KIND_OUTFIT,
                reason=f"person {index}: {label}",
                score=round(conf(names), 4),
                category=category,
            )
        )
    return proposals


def detect_outfits(rgb: np.ndarray, *, min_score: float = MIN_PERSON_SCORE) -> list[Proposal]:
    """Every person's outfit zones in one list (people in order of confidence)."""
    h, w = np.asarray(rgb).shape[:2]
    zones: list[Proposal] = []
    for i, person in enumerate(detect_people(rgb, min_score=min_score), start=1):
        zones.extend(outfit_zones(person, (w, h), index=i))
    return zones
