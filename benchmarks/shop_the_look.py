"""Benchmark: shop the look on a regenerable 1,000-product catalog and composed scenes.

Run with the project's interpreter:  .venv/bin/python benchmarks/shop_the_look.py [--products N] [--scenes N]

The evaluation set is generated (seeded, so every run builds the same one):
  * a catalog of N products, half *textured* (printed boxes, books, posters: text, shapes, logos on a
    coloured ground) and half *textureless* (plain mugs, bottles, bags, shirts… in one colour with soft
    shading), each one packshot on white saved as a JPEG the index reads as a local file;
  * scenes (1440×1080) of 1–3 catalog products pasted on real sample photos (scikit-image's bundled
    images when installed — `pip install .[bench]` — else generated gradients and noise), scaled,
    rotated ±25°, relit (gain, colour cast, gradient), partly occluded (up to ~25 %) and noised, with
    their true boxes.

It prints (targets for a 2-core machine in brackets):
  * catalog indexing products/s [≥ 50/s];
  * per-photo time of `shop_the_look.analyze` at 1080 px, p50/p95 [< 300 ms on a 1k catalog];
  * end-to-end top-1/top-5: the proposal overlapping the true box (IoU ≥ 0.5) lists the product
    first / among its five — textured and textureless separately [textured top-5 ≥ 0.9, top-1 ≥ 0.8];
  * query-at-the-true-box top-1/top-5 (the user's box as the query: matching alone, no detection);
  * proposal recall (a proposal with IoU ≥ 0.5 to the true box), textured and textureless.
Tracking figures come from benchmarks/tracking.py (`--tracking` runs it after this one).
A script, not a test: it prints figures and never asserts on timings.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.core.catalog_store import CatalogStore  # noqa: E402
from studio.core.model import Product  # noqa: E402
from studio.vision import shop_the_look  # noqa: E402
from studio.vision.index import ProductIndex  # noqa: E402
from studio.vision.proposals import Box, iou  # noqa: E402

SIDE = 400
_WORDS_TEXT = (
    "ORGANIC COFFEE TEA CLASSIC FRESH NATURAL BLEND ROAST ORIGINAL PREMIUM DARK MILD LEMON BERRY MINT "
    "SPICE HONEY OCEAN FOREST URBAN NORDIC SOLAR LUNA TERRA AURORA VELVET COTTON LINEN WOOL SILK "
    "NO. EDITION VOL 12 250g 500ml 1kg LIMITED STUDIO CRAFT"
)
WORDS = _WORDS_TEXT.split()
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_PLAIN,
)  # fmt: skip
TEXTURED_TYPES = ("Book", "Poster", "Tea box", "Notebook", "Puzzle box", "Cereal box")
PLAIN_TYPES = ("Mug", "Bottle", "Tote bag", "T-shirt", "Cushion", "Vase", "Cap", "Sneaker")


def _colour(rng: random.Random, lo: int = 30, hi: int = 230) -> tuple[int, int, int]:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


def textured_product(rng: random.Random) -> np.ndarray:
    """A printed rectangular product (box, book, poster) on white: RGB SIDE×SIDE."""
    img = np.full((SIDE, SIDE, 3), 255, np.uint8)
    aspect = rng.uniform(0.6, 1.5)
    w = int(SIDE * 0.86 * min(1.0, aspect))
    h = int(SIDE * 0.86 * min(1.0, 1 / aspect))
    x0, y0 = (SIDE - w) // 2, (SIDE - h) // 2
    ground = _colour(rng, 60, 240)
    cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), ground, -1)
    art = img[y0 : y0 + h, x0 : x0 + w]
    for _ in range(rng.randint(6, 14)):
        c = _colour(rng, 0, 255)
        kind = rng.random()
        px, py = rng.randint(0, w), rng.randint(0, h)
        if kind < 0.3:
            cv2.circle(art, (px, py), rng.randint(6, max(8, w // 5)), c, rng.choice((-1, 2, 4)))
        elif kind < 0.55:
            cv2.rectangle(art, (px, py), (px + rng.randint(10, w // 2), py + rng.randint(10, h // 3)), c, -1)
        elif kind < 0.75:
            pts = np.array(
                [(rng.randint(0, w), rng.randint(0, h)) for _ in range(rng.randint(3, 6))], np.int32
            )
            cv2.fillPoly(art, [pts], c)
        else:
            cv2.line(art, (px, py), (rng.randint(0, w), rng.randint(0, h)), c, rng.randint(2, 6))
    for _ in range(rng.randint(3, 6)):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        scale = rng.uniform(0.6, 1.6)
        cv2.putText(
            art, text, (rng.randint(0, max(1, w // 3)), rng.randint(20, max(21, h - 5))), rng.choice(FONTS),
            scale, _colour(rng, 0, 255), rng.randint(1, 3), cv2.LINE_AA,
        )  # fmt: skip
    return img


def plain_product(rng: random.Random, kind: str) -> np.ndarray:
    """A one-colour product silhouette with soft shading on white: RGB SIDE×SIDE."""
    mask = np.zeros((SIDE, SIDE), np.uint8)
    s = SIDE
    if kind in ("Mug", "Vase", "Bottle"):
        bw = rng.randint(int(s * 0.3), int(s * 0.5))
        bh = rng.randint(int(s * 0.45), int(s * 0.8))
        x0, y0 = (s - bw) // 2, (s - bh) // 2 + 10
        cv2.rectangle(mask, (x0, y0), (x0 + bw, y0 + bh), 255, -1)
        if kind == "Mug":
            cv2.ellipse(
                mask, (x0 + bw, y0 + bh // 2), (bw // 4, bh // 4), 0, -90, 90, 255, rng.randint(10, 20)
            )
        elif kind == "Bottle":
            cv2.rectangle(mask, (s // 2 - bw // 6, y0 - bh // 4), (s // 2 + bw // 6, y0), 255, -1)
        else:
            cv2.ellipse(mask, (s // 2, y0 + bh // 2), (bw // 2 + 20, bh // 3), 0, 0, 360, 255, -1)
    elif kind in ("T-shirt",):
        pts = np.array(
            [(0.3, 0.15), (0.42, 0.12), (0.58, 0.12), (0.7, 0.15), (0.92, 0.32), (0.8, 0.42), (0.72, 0.35),
             (0.72, 0.88), (0.28, 0.88), (0.28, 0.35), (0.2, 0.42), (0.08, 0.32)]
        )  # fmt: skip
        cv2.fillPoly(mask, [(pts * s).astype(np.int32)], 255)
    elif kind == "Tote bag":
        cv2.rectangle(mask, (int(s * 0.2), int(s * 0.35)), (int(s * 0.8), int(s * 0.9)), 255, -1)
        cv2.ellipse(mask, (s // 2, int(s * 0.35)), (int(s * 0.18), int(s * 0.2)), 0, 180, 360, 255, 12)
    elif kind == "Cap":
        cv2.ellipse(mask, (s // 2, int(s * 0.6)), (int(s * 0.3), int(s * 0.3)), 0, 180, 360, 255, -1)
        cv2.ellipse(mask, (int(s * 0.62), int(s * 0.6)), (int(s * 0.32), int(s * 0.06)), 0, 0, 360, 255, -1)
    elif kind == "Sneaker":
        pts = np.array([(0.1, 0.7), (0.12, 0.45), (0.4, 0.4), (0.6, 0.5), (0.9, 0.58), (0.92, 0.72)])
        cv2.fillPoly(mask, [(pts * s).astype(np.int32)], 255)
    else:  # Cushion
        r = rng.randint(int(s * 0.3), int(s * 0.42))
        cv2.rectangle(mask, (s // 2 - r, s // 2 - r), (s // 2 + r, s // 2 + r), 255, -1)
        mask = cv2.GaussianBlur(mask, (31, 31), 0)
        mask = np.where(mask > 128, 255, 0).astype(np.uint8)
    base = np.array(_colour(rng, 20, 225), np.float32)
    shade = np.linspace(1.1, 0.8, SIDE, dtype=np.float32)[None, :, None]
    body = np.clip(base[None, None, :] * shade, 0, 255)
    img = np.full((SIDE, SIDE, 3), 255, np.float32)
    img = np.where(mask[:, :, None] > 0, body, img)
    return img.astype(np.uint8)


@dataclass(slots=True)
class Item:
    product_id: str
    textured: bool
    image: np.ndarray


def make_catalog(folder: Path, n: int, seed: int = 7) -> tuple[list[Product], dict[str, Item]]:
    """N products (half textured) with one JPEG each under `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    products: list[Product] = []
    items: dict[str, Item] = {}
    for i in range(n):
        textured = i % 2 == 0
        ptype = rng.choice(TEXTURED_TYPES if textured else PLAIN_TYPES)
        img = textured_product(rng) if textured else plain_product(rng, ptype)
        pid = f"p{i:05d}"
        path = folder / f"{pid}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        products.append(
            Product(id=pid, title=f"{ptype} {i}", price=Decimal("10.00"), currency="USD", product_type=ptype,
                    images=[str(path)], sku=f"SKU-{i:05d}")
        )  # fmt: skip
        items[pid] = Item(pid, textured, img)
    return products, items


def backgrounds(rng: random.Random) -> list[np.ndarray]:
    """Real sample photos (scikit-image, if installed) and generated ones, as 1440×1080 RGB."""
    out: list[np.ndarray] = []
    try:
        import skimage.data as data

        for name in ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field",
                     "retina", "brick", "grass", "gravel", "camera"):  # fmt: skip
            arr = getattr(data, name)()
            if arr.ndim == 2:
                arr = np.repeat(arr[:, :, None], 3, axis=2)
            out.append(cv2.resize(arr[:, :, :3], (1440, 1080), interpolation=cv2.INTER_CUBIC))
    except ImportError:
        pass
    for _ in range(4):
        a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
        t = np.linspace(0, 1, 1440, dtype=np.float32)[None, :, None]
        grad = a * (1 - t) + b * t
        noise = np.random.default_rng(rng.randint(0, 999)).normal(0, 12, (1080, 1440, 3))
        out.append(np.clip(grad + noise, 0, 255).astype(np.uint8))
    return out


def _paste(scene: np.ndarray, item: np.ndarray, rng: random.Random, long_side: int) -> Box | None:
    """Paste a packshot (white removed) scaled/rotated/relit/occluded; return its true box (normalized)."""
    from studio.vision.colour import product_mask

    mask = product_mask(item)
    x, y, w, h = cv2.boundingRect(mask)
    obj, m = item[y : y + h, x : x + w].astype(np.float32), mask[y : y + h, x : x + w]
    scale = long_side / max(w, h)
    obj = cv2.resize(obj, (max(2, int(w * scale)), max(2, int(h * scale))), interpolation=cv2.INTER_AREA)
    m = cv2.resize(m, (obj.shape[1], obj.shape[0]), interpolation=cv2.INTER_NEAREST)
    # relight: gain, colour cast, a gradient
    gain = rng.uniform(0.7, 1.25)
    cast = np.array([rng.uniform(0.9, 1.1) for _ in range(3)], np.float32)
    grad = np.linspace(rng.uniform(0.85, 1.0), rng.uniform(1.0, 1.15), obj.shape[1], dtype=np.float32)
    obj = np.clip(obj * gain * cast[None, None, :] * grad[None, :, None], 0, 255)
    # rotate
    angle = rng.uniform(-25, 25)
    oh, ow = obj.shape[:2]
    rot = cv2.getRotationMatrix2D((ow / 2, oh / 2), angle, 1.0)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    nw, nh = int(oh * sin + ow * cos) + 2, int(oh * cos + ow * sin) + 2
    rot[0, 2] += nw / 2 - ow / 2
    rot[1, 2] += nh / 2 - oh / 2
    obj = cv2.warpAffine(obj, rot, (nw, nh), flags=cv2.INTER_LINEAR)
    m = cv2.warpAffine(m, rot, (nw, nh), flags=cv2.INTER_NEAREST)
    sh, sw = scene.shape[:2]
    if nw >= sw or nh >= sh:
        return None
    px, py = rng.randint(0, sw - nw), rng.randint(0, sh - nh)
    region = scene[py : py + nh, px : px + nw]
    sel = m > 0
    region[sel] = obj[sel].astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(m)
    box = ((px + bx) / sw, (py + by) / sh, (px + bx + bw) / sw, (py + by + bh) / sh)
    # occlude up to ~25 % with a random block (a hand, another object)
    if rng.random() < 0.6:
        ow_, oh_ = int(bw * rng.uniform(0.2, 0.5)), int(bh * rng.uniform(0.2, 0.5))
        ox = px + bx + rng.choice((0, bw - ow_))
        oy = py + by + rng.randint(0, max(0, bh - oh_))
        cv2.rectangle(scene, (ox, oy), (ox + ow_, oy + oh_), _colour(rng), -1)
    return box


def make_scene(
    rng: random.Random, bgs: list[np.ndarray], items: list[Item]
) -> tuple[np.ndarray, list[tuple[Item, Box]]]:
    scene = rng.choice(bgs).copy()
    truths: list[tuple[Item, Box]] = []
    for item in items:
        for _attempt in range(10):
            long_side = rng.randint(220, 480)
            trial = scene.copy()
            box = _paste(trial, item.image, rng, long_side)
            if box is None or any(iou(box, b) > 0.05 for _i, b in truths):
                continue
            scene = trial
            truths.append((item, box))
            break
    noise = np.random.default_rng(rng.randint(0, 10**6)).normal(0, 4, scene.shape)
    scene = np.clip(scene.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    _ok, jpg = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(jpg, cv2.IMREAD_UNCHANGED), truths


#: Hand-made boxes on scikit-image's bundled sample photos (normalized x0, y0, x1, y1): what a
#: marketer would tag. Only detection is measured on them (their items are not in the catalog).
REAL_BOXES: dict[str, list[tuple[str, Box]]] = {
    "coffee": [("espresso cup", (0.28, 0.045, 0.685, 0.76))],
    "astronaut": [("suit (top)", (0.04, 0.29, 0.71, 1.0)), ("helmet", (0.54, 0.67, 1.0, 1.0))],
}


def real_photo_recall(catalog: CatalogStore, index: ProductIndex) -> None:
    try:
        import skimage.data as data
    except ImportError:
        print("real sample photos: skipped (pip install -e .[bench] for scikit-image)")
        return
    found = total = 0
    details = []
    for name, boxes in REAL_BOXES.items():
        proposals = shop_the_look.analyze(getattr(data, name)(), catalog=catalog, index=index)
        for label, box in boxes:
            total += 1
            best = max((iou(p.box, box) for p in proposals), default=0.0)
            found += best >= 0.5
            details.append(f"{name}/{label} IoU {best:.2f}")
    print(f"real sample photos: proposal recall {found}/{total} (IoU ≥ 0.5): " + ", ".join(details))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--scenes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tracking", action="store_true", help="also run benchmarks/tracking.py")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="stl-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        products, items = make_catalog(root / "catalog", args.products, args.seed)
        print(f"generated {len(products)} products in {time.perf_counter() - t0:.1f} s")
        catalog = CatalogStore(root / "catalog.sqlite")
        catalog.upsert(products, "bench")
        index = ProductIndex.open(root / "cache", root=root)
        report = index.update(catalog)
        print(
            f"indexing: {report.indexed} products ({report.images} images) in {report.seconds:.2f} s = "
            f"{report.products_per_second:.0f} products/s [target ≥ 50/s]; embedder {report.embedder}; "
            f"{len(index.data().keypoints)} textured photos keep keypoints; {len(report.failed)} failed"
        )
        again = index.update(catalog)
        print(f"re-index (nothing changed): {again.unchanged} skipped in {again.seconds:.2f} s")
        t0 = time.perf_counter()
        index.data().pool()
        warm = (time.perf_counter() - t0) * 1000
        print(f"first search warm-up (load arrays + hash the keypoint pool): {warm:.0f} ms")

        bgs = backgrounds(rng)
        all_items = list(items.values())
        times: list[float] = []
        stats = {
            k: {"n": 0, "recall": 0, "top1": 0, "top5": 0, "q1": 0, "q5": 0}
            for k in ("textured", "textureless")
        }
        for _s in range(args.scenes):
            picks = rng.sample(all_items, rng.randint(1, 3))
            scene, truths = make_scene(rng, bgs, picks)
            t0 = time.perf_counter()
            proposals = shop_the_look.analyze(scene, catalog=catalog, index=index)
            times.append(time.perf_counter() - t0)
            for item, box in truths:
                st = stats["textured" if item.textured else "textureless"]
                st["n"] += 1
                overlapping = [p for p in proposals if iou(p.box, box) >= 0.5]
                if overlapping:
                    st["recall"] += 1
                    best = max(overlapping, key=lambda p: iou(p.box, box))
                    ids = [m.product_id for m in best.matches]
                    st["top1"] += ids[:1] == [item.product_id]
                    st["top5"] += item.product_id in ids[:5]
                queried = shop_the_look.analyze(scene, catalog=catalog, index=index, user_box=box)
                user = next(p for p in queried if p.kind == "user")
                ids = [m.product_id for m in user.matches]
                st["q1"] += ids[:1] == [item.product_id]
                st["q5"] += item.product_id in ids[:5]
        ms = [t * 1000 for t in times]
        print(
            f"per photo (1440×1080 → analyzed at ≤1080 px, {args.products} products): "
            f"p50 {_pct(ms, 0.5):.0f} ms, p95 {_pct(ms, 0.95):.0f} ms [target < 300 ms]"
        )
        for name, st in stats.items():
            n = max(1, st["n"])
            print(
                f"{name:12s} n={st['n']:3d}  proposal recall {st['recall'] / n:.2f}  "
                f"end-to-end top-1 {st['top1'] / n:.2f} top-5 {st['top5'] / n:.2f}  "
                f"query-at-true-box top-1 {st['q1'] / n:.2f} top-5 {st['q5'] / n:.2f}"
            )
        print("targets: textured top-5 ≥ 0.9, top-1 ≥ 0.8")
        real_photo_recall(catalog, index)
        index.close()
        catalog.close()
    if args.tracking:
        script = ROOT / "benchmarks" / "tracking.py"
        if script.exists():
            return subprocess.call([sys.executable, str(script)])
        print("tracking: benchmarks/tracking.py not found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
