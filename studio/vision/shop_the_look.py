"""Shop the look: one photo in, boxes on the buyable items with their five likeliest products out.

This is the entry point the GUI, the CLI and the video tracker call. It runs, in order:

1. barcodes / QR codes → exact SKU/GTIN hits (score 1.0, why "barcode");
2. people → outfit zones from pose keypoints (hat, top, bottom, shoes, bag) for every person;
3. COCO objects from the detector (handbag, cup, chair …);
4. catalog-driven search: textured product photos found directly in the scene by keypoint
   voting + RANSAC, their box projected from the homography (why "exact match");
5. the user's box, if any — always a valid query;

then matches every proposal that has no exact hit against the index (embedding shortlist, colour
re-rank, keypoint verification: `matcher`), merges duplicates (IoU), drops the (proposal, product)
pairs the user rejected before, and sorts by usefulness. It works on a copy of the image at most
1080 px on the long side (boxes are normalized, so the scale does not leak out).

The detector and pose stages come from `studio.vision.objects` / `studio.vision.pose`; when their
model files are not installed those stages are skipped (the rest still works) and the reason is
sent through `progress`.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled, StudioError
from studio.core.progress import CancelToken, ProgressFn
from studio.vision import barcodes, features
from studio.vision.index import ProductIndex, is_cancelled
from studio.vision.matcher import CropQuery, match_crops
from studio.vision.proposals import (
    KIND_BARCODE,
    KIND_OBJECT,
    KIND_OUTFIT,
    KIND_PRODUCT,
    KIND_QR,
    KIND_USER,
    WHY_EXACT,
    Box,
    Match,
    Proposal,
    clamp_box,
    iou,
)

WORK_SIDE = 1080
MERGE_IOU = 0.6
MAX_MATCHES = 5
_PAD = 0.04  # crops are padded by this share of the box size (a little context helps the embedding)
_STEPS = 6
_NOT_BUYABLE = {"person", "dining table", "bed", "toilet", "sink", "refrigerator", "oven"}
# Which proposal wins a merge (lower first): exact hits over detections over zones.
_KIND_RANK = {KIND_USER: 0, KIND_BARCODE: 1, KIND_QR: 1, KIND_PRODUCT: 2, KIND_OBJECT: 3, KIND_OUTFIT: 4}


def proposal_key(p: Proposal) -> str:
    """A stable key for a proposal, to remember rejections: kind, category and the box on a 5 % grid."""
    grid = ",".join(str(round(v * 20)) for v in p.box)
    return f"{p.kind}:{p.category}:{grid}"


def work_image(image: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """The image at most `side` px on its long side, RGB uint8 contiguous."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    h, w = arr.shape[:2]
    scale = side / max(h, w)
    if scale < 1:
        arr = cv2.resize(
            arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    return np.ascontiguousarray(arr)


def crop_box(rgb: np.ndarray, box: Box, pad: float = _PAD) -> np.ndarray:
    """The pixels of a normalized box (padded a little), at least 8×8."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    px, py = (x1 - x0) * pad, (y1 - y0) * pad
    a = int(max(0, min(w - 8, (x0 - px) * w)))
    b = int(max(0, min(h - 8, (y0 - py) * h)))
    c = int(min(w, max(a + 8, (x1 + px) * w)))
    d = int(min(h, max(b + 8, (y1 + py) * h)))
    return np.ascontiguousarray(rgb[b:d, a:c])


def _people(rgb: np.ndarray, note: Callable[[str], None]) -> list[Proposal]:
    try:
        from studio.vision import pose
    except ImportError:
        return []
    try:
        out: list[Proposal] = []
        h, w = rgb.shape[:2]
        for number, person in enumerate(pose.detect_people(rgb), start=1):
            out.extend(pose.outfit_zones(person, (w, h), index=number))
        return out
    except StudioError as exc:
        note(f"people skipped: {exc.what}")
        return []


def _objects(rgb: np.ndarray, note: Callable[[str], None]) -> list[Proposal]:
    try:
        from studio.vision import objects
    except ImportError:
        return []
    try:
        return [p for p in objects.detect_objects(rgb) if p.category not in _NOT_BUYABLE]
    except StudioError as exc:
        note(f"objects skipped: {exc.what}")
        return []


def scene_keypoints(rgb: np.ndarray) -> features.Keypoints:
    return features.extract_tiled(features.to_grey(rgb), features.SCENE_FEATURES)


def keypoints_in(
    scene: features.Keypoints, box: Box, size: tuple[int, int], pad: float = _PAD
) -> features.Keypoints:
    """The scene keypoints inside a normalized box (padded), in scene pixels."""
    w, h = size
    x0, y0, x1, y1 = box
    px, py = (x1 - x0) * pad, (y1 - y0) * pad
    xy = scene.xy
    keep = (
        (xy[:, 0] >= (x0 - px) * w) & (xy[:, 0] <= (x1 + px) * w)
        & (xy[:, 1] >= (y0 - py) * h) & (xy[:, 1] <= (y1 + py) * h)
    )  # fmt: skip
    return features.Keypoints(xy[keep], scene.desc[keep])


def catalog_search(
    rgb: np.ndarray, index: ProductIndex, scene: features.Keypoints | None = None
) -> list[Proposal]:
    """Textured catalog products found directly in the scene (KIND_PRODUCT, verified)."""
    data = index.data()
    if not data.keypoints:
        return []
    pool, rows = data.pool()
    if scene is None:
        scene = scene_keypoints(rgb)
    h, w = rgb.shape[:2]
    out: list[Proposal] = []
    for found in pool.search(scene):
        row = rows[found.item]
        x0, y0 = found.quad.min(axis=0)
        x1, y1 = found.quad.max(axis=0)
        box = clamp_box((x0 / w, y0 / h, x1 / w, y1 / h))
        if (box[2] - box[0]) * (box[3] - box[1]) < 1e-4:
            continue
        ver = found.verification
        score = 0.8 + 0.2 * ver.score
        match = Match(data.product_ids[row], round(score, 4), WHY_EXACT, data.variant_ids[row])
        reason = f"catalog photo found ({ver.inliers} matching points)"
        out.append(Proposal(box, KIND_PRODUCT, reason, round(ver.score, 4), data.categories[row], (match,)))
    return out


def _merge_matches(a: tuple[Match, ...], b: tuple[Match, ...]) -> list[Match]:
    best: dict[str, Match] = {}
    for m in (*a, *b):
        if m.product_id not in best or m.score > best[m.product_id].score:
            best[m.product_id] = m
    return sorted(best.values(), key=lambda m: -m.score)


def merge_duplicates(proposals: list[Proposal]) -> list[Proposal]:
    """Merge proposals on the same spot (IoU ≥ MERGE_IOU): the stronger kind keeps its box, matches unite.

    The user's box is never merged away (it is what they asked about), nor merged into.
    """
    ordered = sorted(proposals, key=lambda p: (_KIND_RANK.get(p.kind, 9), -p.score))
    kept: list[Proposal] = []
    for p in ordered:
        for i, q in enumerate(kept):
            if KIND_USER in (p.kind, q.kind) or iou(p.box, q.box) < MERGE_IOU:
                continue
            if p.kind in (KIND_BARCODE, KIND_QR) and q.kind in (KIND_BARCODE, KIND_QR):
                continue  # two codes side by side are two products
            kept[i] = q.with_matches(_merge_matches(q.matches, p.matches))
            break
        else:
            kept.append(p)
    return kept


def _usefulness(p: Proposal) -> tuple[int, float]:
    if p.kind == KIND_USER:
        return (0, 0.0)
    if not p.matches:
        return (2, -p.score)
    return (1, -(p.matches[0].score * (0.5 + 0.5 * p.score)))


def analyze(
    image: np.ndarray,
    *,
    catalog: CatalogStore,
    index: ProductIndex | None,
    user_box: Box | None = None,
    rejected: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | CancelToken | None = None,
) -> list[Proposal]:
    """Proposals for one photo (RGB uint8, displayed orientation), each with ≤ 5 matches, most useful first.

    `rejected` holds (proposal_key, product_id) pairs the user dismissed: those matches are
    dropped (a proposal left without matches stays, so the user can still search it by hand).
    Raises `Cancelled` when `cancel` (a callable or a `CancelToken`) turns true between stages.
    """
    step = 0
    notes: list[str] = []

    def tick(message: str) -> None:
        nonlocal step
        if is_cancelled(cancel):
            raise Cancelled()
        if progress is not None:
            progress(step, _STEPS, message)
        step += 1

    def note(message: str) -> None:
        notes.append(message)
        if progress is not None:
            progress(step, _STEPS, message)

    rgb = work_image(image)
    tick("reading barcodes and QR codes")
    proposals = barcodes.detect_codes(rgb, catalog)
    tick("finding people")
    proposals += _people(rgb, note)
    tick("finding objects")
    proposals += _objects(rgb, note)
    tick("searching the catalog photos")
    scene: features.Keypoints | None = None
    if index is not None and index.data().keypoints:
        scene = scene_keypoints(rgb)
        proposals += catalog_search(rgb, index, scene)
    if user_box is not None:
        proposals.append(Proposal(clamp_box(user_box), KIND_USER, "your box", 1.0, ""))
    tick("matching products")
    if index is not None:
        need = [i for i, p in enumerate(proposals) if p.kind in (KIND_OUTFIT, KIND_OBJECT, KIND_USER)]
        data = index.data()
        if need and len(data):
            size = (rgb.shape[1], rgb.shape[0])
            queries = [
                CropQuery(
                    crop_box(rgb, proposals[i].box),
                    proposals[i].category,
                    None if scene is None else keypoints_in(scene, proposals[i].box, size),
                )
                for i in need
            ]
            for i, found in zip(
                need, match_crops(data, index.embedder, queries, k=MAX_MATCHES * 2), strict=True
            ):
                # Rejected pairs are dropped before the list is cut to five, so the next candidate moves up.
                key = proposal_key(proposals[i])
                kept = [m for m in found if (key, m.product_id) not in rejected]
                proposals[i] = proposals[i].with_matches(_merge_matches(proposals[i].matches, tuple(kept)))
    merged = merge_duplicates(proposals)
    out: list[Proposal] = []
    for p in merged:
        key = proposal_key(p)
        kept = [m for m in p.matches if (key, m.product_id) not in rejected]
        out.append(p.with_matches(kept[:MAX_MATCHES]))
    out.sort(key=_usefulness)
    tick(f"{len(out)} suggestions")
    return out
