"""NanoDet objects: decoding, NMS, and real detections on sample photos (tests/data/vision/README.md)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.errors import InputError
from studio.vision import objects
from studio.vision.proposals import KIND_OBJECT, iou

DATA = Path(__file__).resolve().parents[1] / "data" / "vision"
# Hand-made boxes (normalized x0, y0, x1, y1), drawn on the photos.
COFFEE_CUP = (0.29, 0.03, 0.70, 0.68)  # the cup with its handle, without the saucer
ASTRONAUT = (0.03, 0.03, 0.72, 1.0)


def _rgb(name: str) -> np.ndarray:
    return np.ascontiguousarray(cv2.imread(str(DATA / name))[:, :, ::-1])


def test_cup_found_in_coffee_photo() -> None:
    proposals = objects.detect_objects(_rgb("coffee.jpg"))
    cups = [p for p in proposals if p.category == "cup"]
    assert cups, proposals
    best = max(cups, key=lambda p: iou(p.box, COFFEE_CUP))
    assert iou(best.box, COFFEE_CUP) >= 0.5
    assert best.kind == KIND_OBJECT and "cup" in best.reason and 0.35 <= best.score <= 1
    for p in proposals:
        assert all(0.0 <= v <= 1.0 for v in p.box) and p.box[0] < p.box[2] and p.box[1] < p.box[3]
        assert p.category in objects.SHOPPABLE


def test_strongest_detection_in_coffee_photo_is_the_cup() -> None:
    """Guards the preprocessing: with the TF.js demo's RGB/255 input the top class is "toilet"."""
    dets = objects.detect(_rgb("coffee.jpg"), min_score=0.2)
    assert dets[0].label == "cup"


def test_person_goes_to_the_pose_step_not_to_proposals() -> None:
    scene = objects.detect_scene(_rgb("astronaut.jpg"))
    assert all(p.category != "person" for p in scene.proposals)
    assert scene.persons and iou(scene.persons[0].box, ASTRONAUT) >= 0.6


def test_large_photo_gives_same_boxes_as_small() -> None:
    rgb = _rgb("coffee.jpg")
    big = cv2.resize(rgb, (1620, 1080), interpolation=cv2.INTER_CUBIC)
    small_cup = max((p for p in objects.detect_objects(rgb) if p.category == "cup"), key=lambda p: p.score)
    big_cup = max((p for p in objects.detect_objects(big) if p.category == "cup"), key=lambda p: p.score)
    assert iou(small_cup.box, big_cup.box) > 0.8


def test_plain_image_has_no_objects() -> None:
    grey = np.full((300, 400, 3), 128, np.uint8)
    assert objects.detect_objects(grey) == []


def test_bad_array_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="shape"):
        objects.detect_objects(np.zeros((4, 4, 3), np.uint8))


def test_distribution_focal_decode() -> None:
    outs = {}
    for s in objects.STRIDES:
        n = (objects.INPUT_SIZE // s) ** 2
        outs[f"cls_{s}"] = np.zeros((1, n, 80), np.float32)
        outs[f"reg_{s}"] = np.full((1, n, 44), -20.0, np.float32)
    # stride 16, cell (row 3, col 5): centre (88, 56); left=2 bins, top=1, right=half 3/half 4, bottom=0
    cell = 3 * 26 + 5
    outs["cls_16"][0, cell, 41] = 0.9
    reg = outs["reg_16"][0, cell].reshape(4, 11)
    reg[0, 2] = 20.0
    reg[1, 1] = 20.0
    reg[2, 3] = reg[2, 4] = 20.0
    reg[3, 0] = 20.0
    boxes, scores, classes = objects.decode(outs, 0.5)
    assert classes.tolist() == [41] and scores.tolist() == pytest.approx([0.9])
    assert boxes[0] == pytest.approx([88 - 32, 56 - 16, 88 + 56, 56 + 0], abs=1e-3)


def test_nms_keeps_best_of_overlapping() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.5, 0.9, 0.4], np.float32)
    assert objects.nms(boxes, scores, 0.6) == [1, 2]
