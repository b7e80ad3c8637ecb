"""COCO objects with NanoDet-m (416×416): the buyable things in a photo, and the people for the pose step.

Why NanoDet: it is the only permissively licensed (Apache-2.0) general object detector available from a
package registry here (see assets/models/manifest.json); it is small (7.6 MB) and fast (~30–60 ms on
2 CPU cores). It is weak on small objects, so its proposals are one source among several (barcodes,
pose zones, catalog search, the user's own box).

Pre/post-processing follows the upstream NanoDet-m (GFL head) recipe, not the TF.js demo code:
  - plain resize to 416×416 (the model was trained with keep_ratio=False), BGR, mean/std normalized —
    with the TF.js demo's /255 scaling the model sees the wrong colours and fires "toilet" everywhere;
  - three levels (strides 8, 16, 32), each cell centred at (i + 0.5) × stride;
  - class scores are already sigmoid outputs; box sides are "distribution focal" outputs: for each of
    left, top, right, bottom a softmax over 11 bins whose expectation × stride is the distance;
  - class-wise NMS (IoU 0.6), at most 100 boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.errors import InputError
from studio.vision import models
from studio.vision.proposals import KIND_OBJECT, Box, Proposal, clamp_box

INPUT_SIZE = 416
STRIDES = (8, 16, 32)
REG_MAX = 10
NMS_IOU = 0.6
MAX_DETECTIONS = 100
_MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
_STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)

COCO_LABELS: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

# Classes a shopper could buy from a brand's photo. Left out: people, vehicles, animals, street
# furniture, loose food (nobody tags a banana) and "toilet" (NanoDet's most frequent false positive).
SHOPPABLE: frozenset[str] = frozenset({
    "bicycle", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
    "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "chair", "couch", "potted plant",
    "bed", "dining table", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave",
    "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
})  # fmt: skip
PERSON = "person"


@dataclass(frozen=True, slots=True)
class Detection:
    """One raw detector box (any COCO class), normalized x0, y0, x1, y1."""

    box: Box
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class SceneObjects:
    """One detector pass, split: buyable objects as proposals, people for the pose step."""

    proposals: list[Proposal]
    persons: list[Detection]


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 8:
        raise InputError(
            f"cannot run detection on an image array of shape {arr.shape}",
            hint="pass an RGB H×W×3 uint8 array of at least 8×8 pixels",
        )
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 H×W×3 -> 1×3×416×416 float32 (BGR, NanoDet mean/std)."""
    arr = _check_rgb(rgb)
    resized = models.resize_for_model(arr, (INPUT_SIZE, INPUT_SIZE))
    bgr = resized[:, :, ::-1].astype(np.float32)
    x = (bgr - _MEAN_BGR) / _STD_BGR
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def decode(outputs: dict[str, np.ndarray], min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw head outputs -> (boxes N×4 in 416-pixel units, scores N, class ids N), before NMS."""
    all_boxes, all_scores, all_classes = [], [], []
    bins = np.arange(REG_MAX + 1, dtype=np.float32)
    for stride in STRIDES:
        cls = outputs[f"cls_{stride}"].reshape(-1, len(COCO_LABELS))
        reg = outputs[f"reg_{stride}"].reshape(-1, 4, REG_MAX + 1)
        cells, classes = np.nonzero(cls >= min_score)
        if cells.size == 0:
            continue
        n = INPUT_SIZE // stride
        cx = (cells % n + 0.5) * stride
        cy = (cells // n + 0.5) * stride
        dist = (_softmax(reg[cells], axis=2) * bins).sum(axis=2) * stride  # left, top, right, bottom
        boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1)
        all_boxes.append(boxes)
        all_scores.append(cls[cells, classes])
        all_classes.append(classes)
    if not all_boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    return np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_classes)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; returns kept indices, best first."""
    order = np.argsort(-scores)
    x0, y0, x1, y1 = boxes.T
    areas = np.maximum(0, x1 - x0) * np.maximum(0, y1 - y0)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iw = np.maximum(0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        ih = np.maximum(0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = iw * ih
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_threshold]
    return keep


def detect(rgb: np.ndarray, *, min_score: float = 0.35, models_folder: Path | None = None) -> list[Detection]:
    """All COCO detections above `min_score`, class-wise NMS, best first."""
    x = preprocess(rgb)
    sess = models.session(models.NANODET, models_folder)
    names = [o.name for o in sess.get_outputs()]
    outputs = dict(zip(names, sess.run(None, {"input": x})))
    boxes, scores, classes = decode(outputs, min_score)
    if scores.size == 0:
        return []
    kept: list[int] = []
    for cls_id in np.unique(classes):
        idx = np.nonzero(classes == cls_id)[0]
        kept.extend(int(idx[k]) for k in nms(boxes[idx], scores[idx], NMS_IOU))
    kept.sort(key=lambda i: -float(scores[i]))
    result: list[Detection] = []
    for i in kept[:MAX_DETECTIONS]:
        bx = clamp_box(tuple(float(v) / INPUT_SIZE for v in boxes[i]))  # type: ignore[arg-type]
        if bx[2] - bx[0] <= 0.005 or bx[3] - bx[1] <= 0.005:
            continue
        result.append(Detection(box=bx, label=COCO_LABELS[int(classes[i])], score=float(scores[i])))
    return result


def detect_scene(
    rgb: np.ndarray,
    *,
    min_score: float = 0.35,
    person_min_score: float = 0.35,
    models_folder: Path | None = None,
) -> SceneObjects:
    """One detector pass: shoppable objects as proposals, and person boxes for the pose step."""
    dets = detect(rgb, min_score=min(min_score, person_min_score), models_folder=models_folder)
    proposals = [
        Proposal(
            box=d.box,
            kind=KIND_OBJECT,
            reason=f"detector: {d.label} {d.score:.0%}",
            score=d.score,
            category=d.label,
        )
        for d in dets
        if d.label in SHOPPABLE and d.score >= min_score
    ]
    persons = [d for d in dets if d.label == PERSON and d.score >= person_min_score]
    return SceneObjects(proposals=proposals, persons=persons)


def detect_objects(rgb: np.ndarray, *, min_score: float = 0.35) -> list[Proposal]:
    """Proposals (kind=object, category=COCO label, normalized box) for the buyable COCO classes."""
    return detect_scene(rgb, min_score=min_score).proposals
