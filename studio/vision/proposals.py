"""The shared vocabulary of shop-the-look: a proposal (a box where something buyable is) and its matches.

Why one small module: detectors (barcodes, pose zones, COCO objects, catalog-driven search, a user's
box), the matcher, the tracker, the CLI and the GUI all exchange these two types, so they live apart
from any of them. Boxes are normalized (0..1) from the top-left of the displayed (rotation-applied)
image, as x0, y0, x1, y1 — the same convention as `Tag.box`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

Box = tuple[float, float, float, float]

# Proposal kinds (what was found), in the order detection runs.
KIND_BARCODE = "barcode"  # EAN/UPC: an exact GTIN hit
KIND_QR = "qr"  # QR code whose text names a SKU/GTIN/product URL
KIND_OUTFIT = "outfit"  # a zone derived from pose keypoints (category: hat, top, bottom, shoe, bag)
KIND_OBJECT = "object"  # a COCO object from the detector (category: its label, e.g. "handbag")
KIND_PRODUCT = "product"  # a catalog product photo found directly in the scene (feature matching)
KIND_USER = "user"  # a box the user drew: always a valid query

# Why a match was suggested (shown to the user).
WHY_BARCODE = "barcode"
WHY_EXACT = "exact match"  # verified by feature matching (geometry-consistent keypoints)
WHY_SIMILAR = "similar look"  # embedding + colour similarity only


@dataclass(frozen=True, slots=True)
class Match:
    """One catalog product suggested for a proposal; `score` is 0..1, higher is better."""

    product_id: str
    score: float
    why: str = WHY_SIMILAR
    variant_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "variant_id": self.variant_id,
            "score": round(self.score, 4),
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """A region that probably shows something a shopper could buy, with its best matches (≤ 5)."""

    box: Box
    kind: str
    reason: str  # human-readable: "EAN 4006381333931", "person 1: top", "detector: handbag 62 %"
    score: float = 1.0  # detection confidence 0..1 (not the match score)
    category: str = ""  # matching prior: "top", "bottom", "shoe", "bag", "hat", or a COCO label
    matches: tuple[Match, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def with_matches(self, matches: list[Match] | tuple[Match, ...]) -> Proposal:
        ranked = tuple(sorted(matches, key=lambda m: -m.score)[:5])
        return replace(self, matches=ranked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [round(v, 4) for v in self.box],
            "kind": self.kind,
            "category": self.category,
            "reason": self.reason,
            "score": round(self.score, 4),
            "matches": [m.to_dict() for m in self.matches],
        }


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either is empty)."""
    ix0, iy0 = max(a[0], b[0]), max(a[1], b[1])
    ix1, iy1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix1 - ix0) * max(0.0, iy1 - iy0)
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def clamp_box(box: Box) -> Box:
    """Clamp a box into the image (0..1) and order its corners."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((min(1.0, max(0.0, x0)), min(1.0, max(0.0, x1))))
    y0, y1 = sorted((min(1.0, max(0.0, y0)), min(1.0, max(0.0, y1))))
    return (x0, y0, x1, y1)
