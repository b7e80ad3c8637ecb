"""Which catalog products does this crop show? Score by looks and colour, then verify.

1. Score every indexed product image by appearance embedding (cosine similarity) and colour (the
   embedding is nearly colour-blind, and catalogs are full of one shape in many colours), nudged
   by the category prior (a "shoe" zone prefers products typed as shoes, but a mistyped catalog
   still matches on looks); a product's score is its best image.
2. Verify textured candidates with keypoints + RANSAC: a geometrically consistent match is an
   "exact match" and outranks any look-alike.

Scores: look-alikes are scaled into 0..0.8 and verified matches into 0.8..1.0, so "accept above
0.8" means "accept what was verified" and the ranking across both kinds stays consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.vision import colour, features
from studio.vision.index import EmbedFn, IndexData, category_prior
from studio.vision.proposals import WHY_EXACT, WHY_SIMILAR, Match

SHORTLIST = 40  # best-scoring product images considered per crop (×2: several images per product)
CENTRAL = 0.5  # share of the crop (each side) whose colour is compared: mostly the item, little background
VERIFY_VOTED = 3  # textured candidates (by descriptor votes, catalog-wide) verified per crop
VERIFY_SIMILAR = 2  # and the most similar-looking textured candidates
W_EMBED, W_COLOUR, W_PRIOR = 0.45, 0.45, 0.10
SIMILAR_MAX = 0.8
CROP_SIDE = 640  # crops are described at most this large (keypoints)


@dataclass(slots=True)
class CropQuery:
    """One query: an RGB crop (the proposal box), the proposal's category, and optionally the
    keypoints inside the box (any pixel frame; the pipeline passes the scene's, so a crop is not
    described twice). Without them they are extracted from the crop when the index has textured
    products."""

    crop: np.ndarray
    category: str = ""
    keypoints: features.Keypoints | None = None


def _prior_vector(data: IndexData, category: str) -> np.ndarray:
    cache: dict[str, float] = {}
    out = np.empty(len(data), np.float32)
    for i, cat in enumerate(data.categories):
        if cat not in cache:
            cache[cat] = category_prior(category, cat)
        out[i] = cache[cat]
    return out


def _crop_keypoints(crop: np.ndarray) -> features.Keypoints:
    import cv2

    h, w = crop.shape[:2]
    grey = features.to_grey(crop)
    scale = CROP_SIDE / max(h, w)
    if scale < 1:
        grey = cv2.resize(
            grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    kp = features.extract(grey, 1500)
    if scale < 1 and len(kp):
        kp = features.Keypoints(kp.xy / scale, kp.desc)
    return kp


def match_crops(
    data: IndexData, embedder: EmbedFn, queries: list[CropQuery], *, k: int = 10
) -> list[list[Match]]:
    """The best `k` products for each query, best first (one Match per product)."""
    if not queries:
        return []
    if len(data) == 0:
        return [[] for _ in queries]
    embs = embedder.embed([q.crop for q in queries])
    sims_all = data.embeddings @ embs.T  # N×Q
    results: list[list[Match]] = []
    for qi, query in enumerate(queries):
        sims = np.clip(sims_all[:, qi], 0.0, 1.0)
        prior = _prior_vector(data, query.category)
        # Scoring every indexed image is one N×D product plus an N×C one (a few ms for 10k images),
        # so there is no embedding-only shortlist: on plain products the embedding alone ranks the
        # right one in its top 5 a fifth of the time, colour is what separates them.
        col = colour.similarity(data.colours, colour.descriptor(colour.central(query.crop, CENTRAL)))
        combined = W_EMBED * sims + W_COLOUR * col + W_PRIOR * prior
        order = np.argsort(-combined)[: SHORTLIST * 2]
        cand = order
        best: dict[str, tuple[float, str, str | None]] = {}
        for r in order:
            pid = data.product_ids[int(r)]
            s = float(combined[int(r)]) * SIMILAR_MAX
            if pid not in best or s > best[pid][0]:
                best[pid] = (s, WHY_SIMILAR, data.variant_ids[int(r)])
        combined = combined[cand]
        # Verify textured candidates: those whose descriptors the crop's keypoints vote for (found
        # catalog-wide, so a product the embedding missed is still found), then the most similar.
        if data.keypoints:
            kp = query.keypoints if query.keypoints is not None else _crop_keypoints(query.crop)
            if len(kp) >= features.MIN_INLIERS:
                for r in _verify_rows(data, kp, cand, combined):
                    ver = features.verify(data.keypoints[r], kp, data.regions[r])
                    if ver.ok:
                        pid = data.product_ids[r]
                        s = SIMILAR_MAX + (1 - SIMILAR_MAX) * ver.score
                        old = best.get(pid)
                        if old is None or old[1] != WHY_EXACT or s > old[0]:
                            best[pid] = (s, WHY_EXACT, data.variant_ids[r])
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        results.append([Match(pid, round(s, 4), why, vid) for pid, (s, why, vid) in ranked])
    return results


def _verify_rows(
    data: IndexData, kp: features.Keypoints, cand: np.ndarray, combined: np.ndarray
) -> list[int]:
    """Index rows worth a keypoint verification for this crop, most promising first."""
    pool, pool_rows = data.pool()
    votes = pool.votes(kp)
    rows = [pool_rows[int(i)] for i in np.argsort(-votes)[:VERIFY_VOTED] if votes[i] >= 6]
    similar = [int(cand[j]) for j in np.argsort(-combined) if int(cand[j]) in data.keypoints]
    for r in similar[:VERIFY_SIMILAR]:
        if r not in rows:
            rows.append(r)
    return rows
