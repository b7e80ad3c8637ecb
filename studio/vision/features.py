"""Keypoint matching with geometric verification: "is *this* printed product in the picture, and where?".

Why ORB: it is the fastest of OpenCV's free detectors (a 1080 px scene in ~30 ms on one core),
binary (32-byte descriptors, Hamming distance, so a 1k-product pool stays a few MB) and
rotation-invariant with an 8-level scale pyramid, which covers a product shown 3–4× smaller in a
scene than in its packshot. Matches pass Lowe's ratio test, then a RANSAC homography; the inlier
count and ratio are the evidence. A planar, printed product (box, book, poster, label, patterned
print) verifies with dozens of inliers; a plain one has no keypoints to speak of, which
`texture_score` measures so the matcher does not waste time (or produce false "exact" matches)
on it.

Catalog-driven search (`FeaturePool`): every textured product's descriptors are pooled into
hash tables (built once per index generation); each scene keypoint votes for the product images
sharing a descriptor substring with it, and only the few most-voted candidates get the (cheap)
pairwise match + RANSAC. This keeps a 1k-product search at tens of milliseconds instead
of matching the scene against every product.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

PRODUCT_FEATURES = 400  # keypoints kept per product photo
PRODUCT_SIDE = 400  # product photos are described at this long side
SCENE_FEATURES = 3500
RATIO = 0.8
MIN_INLIERS = 12
FAST_THRESHOLD = 20  # ORB's default; 10 found no more products on the benchmark and cost ~25 % time
COARSE_INLIERS = 7
TEXTURED_MIN_KEYPOINTS = 60
TEXTURED_MIN_COVERAGE = 0.3
_GRID = 4

_local = threading.local()


def _orb(n: int) -> cv2.ORB:
    """One ORB detector per thread and size (OpenCV algorithm objects are not re-entrant)."""
    cache: dict[int, cv2.ORB] | None = getattr(_local, "orb", None)
    if cache is None:
        cache = _local.orb = {}
    if n not in cache:
        cache[n] = cv2.ORB_create(
            nfeatures=n,
            scaleFactor=1.2,
            nlevels=8,
            edgeThreshold=15,
            patchSize=31,
            fastThreshold=FAST_THRESHOLD,
        )
    return cache[n]


def to_grey(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


@dataclass(frozen=True, slots=True)
class Keypoints:
    """Keypoint positions (N×2 float32, pixels of the described image) and ORB descriptors (N×32 uint8)."""

    xy: np.ndarray
    desc: np.ndarray

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @staticmethod
    def empty() -> Keypoints:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))


def extract(grey: np.ndarray, max_features: int, mask: np.ndarray | None = None) -> Keypoints:
    """ORB keypoints of a grey image (optionally only inside `mask`)."""
    kps, desc = _orb(max_features).detectAndCompute(grey, mask)
    if desc is None or not kps:
        return Keypoints.empty()
    xy = np.array([k.pt for k in kps], np.float32)
    return Keypoints(xy, np.ascontiguousarray(desc, np.uint8))


def extract_tiled(grey: np.ndarray, max_features: int, tiles: tuple[int, int] = (4, 3)) -> Keypoints:
    """ORB keypoints spread over a grid of tiles (each tile keeps its own strongest ones).

    Why: ORB keeps the globally strongest corners, so a busy background (foliage, gravel, a
    patterned rug) takes most of a scene's keypoints and a product on a calmer part gets a few dozen;
    per-tile budgets keep every part of the photo described. Tiles overlap by a patch margin so
    keypoints near tile borders still get full descriptors.
    """
    h, w = grey.shape[:2]
    tx, ty = tiles
    per_tile = max(50, max_features // (tx * ty))
    margin = 32
    xy_parts: list[np.ndarray] = []
    desc_parts: list[np.ndarray] = []
    for j in range(ty):
        for i in range(tx):
            x0, x1 = i * w // tx, (i + 1) * w // tx
            y0, y1 = j * h // ty, (j + 1) * h // ty
            a, b = max(0, x0 - margin), max(0, y0 - margin)
            kp = extract(grey[b : min(h, y1 + margin), a : min(w, x1 + margin)], per_tile)
            if not len(kp):
                continue
            xy = kp.xy + np.array([a, b], np.float32)
            inside = (xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)
            xy_parts.append(xy[inside])
            desc_parts.append(kp.desc[inside])
    if not xy_parts:
        return Keypoints.empty()
    return Keypoints(np.concatenate(xy_parts), np.ascontiguousarray(np.concatenate(desc_parts)))


def texture_score(
    kp: Keypoints, shape: tuple[int, ...], region: tuple[int, int, int, int] | None = None
) -> float:
    """0..1: how much of the product is covered by distinctive keypoints (≥ 0.5 means "textured").

    Half from the count (saturating at 2× the minimum), half from the share of a 4×4 grid over the
    product region that holds at least two keypoints: many keypoints all on one logo edge are
    less reliable than keypoints spread over a printed surface.
    """
    if len(kp) == 0:
        return 0.0
    x0, y0, x1, y1 = region if region is not None else (0, 0, shape[1], shape[0])
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    gx = np.clip(((kp.xy[:, 0] - x0) / w * _GRID).astype(int), 0, _GRID - 1)
    gy = np.clip(((kp.xy[:, 1] - y0) / h * _GRID).astype(int), 0, _GRID - 1)
    counts = np.bincount(gy * _GRID + gx, minlength=_GRID * _GRID)
    coverage = float((counts >= 2).mean())
    count_part = min(1.0, len(kp) / (2 * TEXTURED_MIN_KEYPOINTS))
    cov_part = min(1.0, coverage / (2 * TEXTURED_MIN_COVERAGE))
    if len(kp) < TEXTURED_MIN_KEYPOINTS or coverage < TEXTURED_MIN_COVERAGE:
        return 0.49 * min(count_part, cov_part)
    return 0.5 + 0.25 * count_part + 0.25 * cov_part - 0.25 * (count_part < 1) - 0.25 * (cov_part < 1)


def ratio_matches(query: np.ndarray, train: np.ndarray, ratio: float = RATIO) -> np.ndarray:
    """Pairs (M×2 int: query index, train index) passing Lowe's ratio test (Hamming brute force)."""
    if len(query) < 2 or len(train) < 2:
        return np.zeros((0, 2), np.int32)
    bf = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = [
        (m.queryIdx, m.trainIdx)
        for mm in bf.knnMatch(query, train, k=2)
        if len(mm) == 2 and (m := mm[0]).distance < ratio * mm[1].distance and m.distance < 80
    ]
    return np.array(pairs, np.int32).reshape(-1, 2)


@dataclass(frozen=True, slots=True)
class Verification:
    """RANSAC result: `homography` maps product-photo pixels to query pixels."""

    inliers: int
    ratio: float
    homography: np.ndarray | None

    @property
    def ok(self) -> bool:
        return self.homography is not None and self.inliers >= MIN_INLIERS

    @property
    def score(self) -> float:
        """0..1 confidence from the inlier count (saturating at 60) and the inlier ratio."""
        if not self.ok:
            return 0.0
        return float(min(1.0, 0.6 * min(1.0, self.inliers / 60) + 0.4 * min(1.0, self.ratio * 1.5)))


_NO = Verification(0, 0.0, None)


def _plausible(h: np.ndarray, region: tuple[int, int, int, int]) -> bool:
    """A homography of a rigid product: convex, not degenerate, not wildly perspective."""
    quad = project_region(h, region)
    if quad is None:
        return False
    area = cv2.contourArea(quad.astype(np.float32))
    x0, y0, x1, y1 = region
    src_area = max(1.0, float((x1 - x0) * (y1 - y0)))
    if area < 1e-4 * src_area * 0 + 64 or not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return False
    sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    return bool(
        sides.min() > 0
        and sides.max() / sides.min() < 8 * max(1.0, (x1 - x0) / max(1, y1 - y0), (y1 - y0) / max(1, x1 - x0))
    )


def project_region(h: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray | None:
    x0, y0, x1, y1 = region
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32).reshape(-1, 1, 2)
    try:
        out = cv2.perspectiveTransform(corners, h)
    except cv2.error:
        return None
    quad = out.reshape(-1, 2)
    return quad if np.isfinite(quad).all() else None


def verify(
    product: Keypoints, query: Keypoints, region: tuple[int, int, int, int], pairs: np.ndarray | None = None
) -> Verification:
    """Match `product` keypoints into `query` (ratio test unless `pairs` given) and fit a homography."""
    if pairs is None:
        pairs = ratio_matches(product.desc, query.desc)
    if len(pairs) < MIN_INLIERS:
        return _NO
    src = product.xy[pairs[:, 0]].reshape(-1, 1, 2)
    dst = query.xy[pairs[:, 1]].reshape(-1, 1, 2)
    h, mask = cv2.findHomography(src, dst, cv2.RANSAC, 6.0, maxIters=500, confidence=0.99)
    if h is None or mask is None:
        return _NO
    inliers = int(mask.sum())
    if inliers < MIN_INLIERS or not _plausible(h, region):
        return _NO
    return Verification(inliers, inliers / len(pairs), h)


@dataclass(frozen=True, slots=True)
class Found:
    """A pooled item found in a scene: its row, the verification and the projected quad (pixels)."""

    item: int
    verification: Verification
    quad: np.ndarray


class FeaturePool:
    """All textured product photos' descriptors, hashed for catalog-driven search.

    Why not FLANN's LSH: on a 2-core machine its Python binding needed ~0.3–1 s per 1080 px scene
    against a few hundred thousand pooled descriptors. Multi-index hashing in numpy does the voting
    job in a few ms: each 256-bit ORB descriptor is cut into `CHUNKS` 24-bit substrings, one sorted
    table per substring position. A true match (Hamming distance ~20–40 of 256) shares at least one
    exact substring with probability ~0.4; colliding pairs are then checked by their full Hamming
    distance, so a product seen in the scene collects tens of votes against a few for the rest.
    Buckets holding very common substrings (flat, low-contrast patches) are ignored like stop words.
    """

    CHUNKS = 10
    MAX_BUCKET = 64
    MAX_DISTANCE = 40  # a vote
    LOOSE_DISTANCE = 64  # a pair for the coarse homography

    def __init__(self, items: list[Keypoints], regions: list[tuple[int, int, int, int]]) -> None:
        self.items = items
        self.regions = regions
        self.owner = np.concatenate(
            [np.full(len(k), i, np.int32) for i, k in enumerate(items)] or [np.zeros(0, np.int32)]
        )
        self._desc = np.concatenate([k.desc for k in items]) if items else np.zeros((0, 32), np.uint8)
        self._xy = np.concatenate([k.xy for k in items]) if items else np.zeros((0, 2), np.float32)
        self._tables: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: sorted keys, descriptor rows
        for c in range(self.CHUNKS):
            keys = _chunk_keys(self._desc, c)
            order = np.argsort(keys, kind="stable")
            self._tables.append((keys[order], order))

    def __len__(self) -> int:
        return len(self.items)

    def votes(self, scene: Keypoints) -> np.ndarray:
        """Per pool item, how many scene keypoints have a close descriptor (Hamming < MAX_DISTANCE) in it."""
        q, rows, dist = self.pairs(scene)
        owner = self.owner[rows[dist < self.MAX_DISTANCE]]
        unique = np.unique(q[dist < self.MAX_DISTANCE] * len(self.items) + owner)  # one vote per keypoint
        return np.bincount(unique % max(1, len(self.items)), minlength=len(self.items))

    def pairs(self, scene: Keypoints) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unique (scene keypoint, pooled descriptor row, Hamming distance) with distance < LOOSE_DISTANCE.

        Candidate pairs come from exact substring collisions; their full distance is then checked,
        because ORB substrings are far from uniformly distributed (flat patches, text edges) and a
        collision alone is weak evidence.
        """
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32))
        if not self.items or len(scene) == 0:
            return none
        q_parts: list[np.ndarray] = []
        t_parts: list[np.ndarray] = []
        q_ids = np.arange(len(scene), dtype=np.int64)
        for c, (keys, rows) in enumerate(self._tables):
            qk = _chunk_keys(scene.desc, c)
            lo = np.searchsorted(keys, qk, side="left")
            size = np.searchsorted(keys, qk, side="right") - lo
            use = (size > 0) & (size <= self.MAX_BUCKET)
            if not use.any():
                continue
            lo, size, qi = lo[use], size[use], q_ids[use]
            starts = np.repeat(lo - np.cumsum(size) + size, size) + np.arange(int(size.sum()))
            q_parts.append(np.repeat(qi, size))
            t_parts.append(rows[starts])
        if not q_parts:
            return none
        n_rows = len(self._desc)
        unique = np.unique(np.concatenate(q_parts) * n_rows + np.concatenate(t_parts))
        q_all, t_all = unique // n_rows, unique % n_rows
        dist = _POPCOUNT[np.bitwise_xor(scene.desc[q_all], self._desc[t_all])].sum(axis=1, dtype=np.int32)
        keep = dist < self.LOOSE_DISTANCE
        return q_all[keep], t_all[keep], dist[keep]

    def search(self, scene: Keypoints, *, max_candidates: int = 16, min_votes: int = 4) -> list[Found]:
        """Products of the pool visible in the scene, best first (each verified by RANSAC).

        Per candidate (most votes first): a coarse homography from the hashed pairs alone (cheap;
        most wrong candidates die here), then the real verification — a ratio-test match of the
        product against only the scene keypoints inside the coarse quad (brute-force matching is
        the expensive step, and a product covers a small part of the scene).
        """
        if len(scene) < MIN_INLIERS or not self.items:
            return []
        q, rows, dist = self.pairs(scene)
        owner = self.owner[rows]
        close = dist < self.MAX_DISTANCE
        n = len(self.items)
        pairs = np.unique(q[close] * n + owner[close])
        votes = np.bincount(pairs % n, minlength=n)
        candidates = [int(i) for i in np.argsort(-votes)[:max_candidates] if votes[i] >= min_votes]
        found: list[Found] = []
        for item in candidates:
            sel = owner == item
            src = (self._xy[rows[sel]]).reshape(-1, 1, 2)
            dst = scene.xy[q[sel]].reshape(-1, 1, 2)
            if len(src) < 6:
                continue
            # A similarity (2-point samples) is enough to find where the product is, and RANSAC on
            # it needs far fewer iterations than a homography on mostly-wrong pairs.
            a0, mask = cv2.estimateAffinePartial2D(
                src, dst, method=cv2.RANSAC, ransacReprojThreshold=6.0, maxIters=200, confidence=0.98
            )
            if a0 is None or mask is None or int(mask.sum()) < COARSE_INLIERS:
                continue
            scale = float(np.hypot(a0[0, 0], a0[1, 0]))
            if not 0.12 <= scale <= 3.0:  # a 400 px packshot shown 50…1200 px large in a 1080 px scene
                continue
            quad0 = project_region(np.vstack([a0, [0.0, 0.0, 1.0]]), self.regions[item])
            if quad0 is None:
                continue
            near = _window(scene, quad0)
            ver = verify(self.items[item], near, self.regions[item])
            if ver.ok and ver.homography is not None:
                quad = project_region(ver.homography, self.regions[item])
                if quad is not None:
                    found.append(Found(item, ver, quad))
        found.sort(key=lambda f: -f.verification.inliers)
        return found


def _window(scene: Keypoints, quad: np.ndarray) -> Keypoints:
    """The scene keypoints inside the bounding box of `quad`, enlarged by 15 %."""
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    gx, gy = 0.15 * (x1 - x0) + 8, 0.15 * (y1 - y0) + 8
    xy = scene.xy
    keep = (xy[:, 0] >= x0 - gx) & (xy[:, 0] <= x1 + gx) & (xy[:, 1] >= y0 - gy) & (xy[:, 1] <= y1 + gy)
    return Keypoints(xy[keep], scene.desc[keep])


def _chunk_keys(desc: np.ndarray, chunk: int) -> np.ndarray:
    """The 24-bit substring number `chunk` of every descriptor, as int64."""
    b = desc[:, 3 * chunk : 3 * chunk + 3].astype(np.int64)
    return (b[:, 0] << 16) | (b[:, 1] << 8) | b[:, 2]


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)
