"""MoveNet people and outfit zones: on a real portrait (tests/data/vision/astronaut.jpg) and on a
hand-built full-body skeleton (the zone geometry itself)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.errors import InputError
from studio.vision import pose
from studio.vision.proposals import KIND_OUTFIT, iou

DATA = Path(__file__).resolve().parents[1] / "data" / "vision"
# Hand-made boxes on the 512×512 astronaut photo (normalized x0, y0, x1, y1).
FACE = (0.33, 0.06, 0.56, 0.31)  # hair to chin
SUIT_TORSO = (0.05, 0.40, 0.72, 1.0)


def _astronaut() -> np.ndarray:
    return np.ascontiguousarray(cv2.imread(str(DATA / "astronaut.jpg"))[:, :, ::-1])


def test_portrait_gives_head_and_top_only() -> None:
    rgb = _astronaut()
    people = pose.detect_people(rgb)
    assert len(people) == 1
    person = people[0]
    assert len(person.keypoints) == 17
    nose = person.point("nose")
    assert FACE[0] < nose[0] < FACE[2] and FACE[1] < nose[1] < FACE[3] and nose[2] > 0.3
    assert not person.visible("left_ankle") and not person.visible("right_knee")

    zones = pose.outfit_zones(person, (rgb.shape[1], rgb.shape[0]))
    by_cat = {z.category: z for z in zones}
    assert set(by_cat) == {"hat", "top"}  # legs and feet are out of the frame
    assert all(z.kind == KIND_OUTFIT and z.reason.startswith("person 1: ") for z in zones)
    hat = by_cat["hat"].box
    assert iou(hat, FACE) >= 0.5
    assert iou(by_cat["top"].box, SUIT_TORSO) >= 0.5
    assert hat[3] < by_cat["top"].box[3]


def test_landscape_padding_maps_back() -> None:
    """The same portrait on a wide canvas: keypoints must land on the face, not shifted by padding."""
    rgb = _astronaut()
    canvas = np.full((512, 1024, 3), 40, np.uint8)
    canvas[:, 512:] = rgb
    people = pose.detect_people(canvas)
    assert people
    x, y, _ = people[0].point("nose")
    assert 0.5 + FACE[0] / 2 < x < 0.5 + FACE[2] / 2 and FACE[1] < y < FACE[3]


def test_preprocess_pads_to_multiples_of_32_and_reports_the_filled_share() -> None:
    x, fx, fy = pose.preprocess(np.zeros((1024, 600, 3), np.uint8))
    assert x.shape == (1, 256, 160, 3) and x.dtype == np.int32
    assert fx == pytest.approx(150 / 160) and fy == 1.0


def _skeleton(scores: float = 0.9, **overrides: float) -> pose.Person:
    # A standing person in a 1000×1000 photo, facing the camera (their left is image right).
    pts = {
        "nose": (0.50, 0.10), "left_eye": (0.52, 0.08), "right_eye": (0.48, 0.08),
        "left_ear": (0.54, 0.09), "right_ear": (0.46, 0.09),
        "left_shoulder": (0.60, 0.20), "right_shoulder": (0.40, 0.20),
        "left_elbow": (0.63, 0.33), "right_elbow": (0.37, 0.33),
        "left_wrist": (0.64, 0.45), "right_wrist": (0.36, 0.45),
        "left_hip": (0.56, 0.48), "right_hip": (0.44, 0.48),
        "left_knee": (0.56, 0.68), "right_knee": (0.44, 0.68),
        "left_ankle": (0.56, 0.88), "right_ankle": (0.44, 0.88),
    }  # fmt: skip
    kps = tuple((x, y, overrides.get(name, scores)) for name, (x, y) in ((n, pts[n]) for n in pose.KEYPOINTS))
    return pose.Person(box=(0.3, 0.0, 0.7, 0.95), score=0.8, keypoints=kps)


def test_full_body_zones_are_where_garments_are() -> None:
    zones = pose.outfit_zones(_skeleton(), (1000, 1000), index=2)
    cats = [z.category for z in zones]
    assert cats.count("shoe") == 2 and cats.count("bag") == 2
    assert {"hat", "top", "bottom"} <= set(cats)
    z = {z.reason: z.box for z in zones}
    top, bottom = z["person 2: top"], z["person 2: bottom"]
    assert top[1] < 0.2 < 0.48 < top[3] < bottom[3]  # top covers shoulders..hips, bottom goes lower
    assert bottom[1] < 0.48 < 0.88 < bottom[3]
    for side, x in (("left", 0.56), ("right", 0.44)):
        shoe = z[f"person 2: {side} shoe"]
        assert shoe[0] < x < shoe[2] and shoe[1] < 0.88 < shoe[3] and shoe[1] > 0.68
        bag = z[f"person 2: bag at the {side} wrist"]
        assert bag[1] < 0.45 + 0.05 and bag[3] > 0.5
    assert all(0 <= v <= 1 for zone in zones for v in zone.box)


def test_unseen_keypoints_give_no_zone() -> None:
    person = _skeleton(left_ankle=0.05, right_ankle=0.1, left_wrist=0.1, right_wrist=0.1)
    zones = pose.outfit_zones(person, (1000, 1000))
    cats = [z.category for z in zones]
    assert "shoe" not in cats
    assert [z.reason for z in zones if z.category == "bag"] == [
        "person 1: bag at the left hip",
        "person 1: bag at the right hip",
    ]
    nobody = _skeleton(scores=0.05)
    assert pose.outfit_zones(nobody, (1000, 1000)) == []


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(InputError):
        pose.outfit_zones(_skeleton(), (0, 100))
    with pytest.raises(InputError, match="shape"):
        pose.detect_people(np.zeros((4, 4, 3), np.uint8))
