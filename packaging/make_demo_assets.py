"""Generate the bundled demo workspace source in ``assets/demo/`` (catalog, photos, video, tags).

Everything here is our own procedural work: no downloads, no third-party images, fonts or sounds.
Randomness is seeded, so rerunning the script rewrites byte-identical files (given the same Pillow,
numpy and PyAV builds); ``LICENSES.md`` records the seed and the CC0 dedication.

    .venv/bin/pip install numpy          # generator-only dependency, not needed by the studio
    .venv/bin/python packaging/make_demo_assets.py [--only SCENE ...] [--preview DIR]

Rendering model: each product is drawn into its own premultiplied RGBA ``Layer`` with analytic
shading (cylinders, surfaces of revolution, height-field "inflated" fabric), then composited onto a
float RGB canvas after its soft shadows. A final pass adds bloom, a warm grade, a vignette and film
grain. Each scene records where it drew each product, so ``demo.json`` tags are computed, not guessed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SEED = 20240611
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "demo"
BRAND = "Oda & Lune"
STORE_URL = "https://shop.example.com"
CDN = "https://cdn.example.com/demo"

F32 = np.float32
Color = Sequence[float]


def _norm(v: Sequence[float]) -> np.ndarray:
    a = np.asarray(v, F32)
    return a / np.linalg.norm(a)


# Key light: a window to the upper left, slightly in front of the subject (x right, y down, z to camera).
LIGHT = _norm((-0.55, -0.6, 0.58))
HALF = _norm(LIGHT + np.asarray((0.0, 0.0, 1.0), F32))


# --------------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------------

# Shopify's current product export header, verbatim.
HEADER_LINE = (
    "Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,"
    "Barcode,Option1 name,Option1 value,Option1 Linked To,Option2 name,Option2 value,Option2 Linked To,"
    "Option3 name,Option3 value,Option3 Linked To,Price,Compare-at price,Cost per item,Charge tax,Tax code,"
    "Unit price total measure,Unit price total measure unit,Unit price base measure,"
    "Unit price base measure unit,Inventory tracker,Inventory quantity,Continue selling when out of stock,"
    "Weight value (grams),Weight unit for display,Requires shipping,Fulfillment service,Product image URL,"
    "Image position,Image alt text,Variant image URL,Gift card,SEO title,SEO description,"
    "Color (product.metafields.shopify.color-pattern),Google Shopping / Google product category,"
    "Google Shopping / Gender,Google Shopping / Age group,"
    "Google Shopping / Manufacturer part number (MPN),Google Shopping / Ad group name,"
    "Google Shopping / Ads labels,Google Shopping / Condition,Google Shopping / Custom product,"
    "Google Shopping / Custom label 0,Google Shopping / Custom label 1,Google Shopping / Custom label 2,"
    "Google Shopping / Custom label 3,Google Shopping / Custom label 4"
)
HEADER = HEADER_LINE.split(",")


@dataclass
class Product:
    """One catalog product; ``variants`` is the cartesian product of ``options`` in order."""

    handle: str
    title: str
    kind: str  # Shopify "Type"
    category: str  # Shopify Standard Product Taxonomy path
    tags: str
    description: str
    sku: str
    price: str | dict[str, str]  # one price, or per first-option value
    grams: int
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    compare_at: str = ""
    apparel: bool = False


PRODUCTS: list[Product] = [
    Product(
        "chemise-en-lin-ete",
        "Chemise en lin Été",
        "Shirts",
        "Apparel & Accessories > Clothing > Clothing Tops > Shirts",
        "linen, summer, apparel, new-in",
        "<p>A relaxed camp-collar shirt in washed European linen that softens with every wear.</p>"
        "<ul><li>100% linen, garment-washed</li><li>Corozo buttons</li><li>Relaxed fit</li></ul>",
        "OL-CHE",
        "89.00",
        240,
        [("Color", ["Sky blue", "Sand"]), ("Size", ["S", "M", "L"])],
        apparel=True,
    ),
    Product(
        "stoneware-mug",
        "陶器マグカップ",
        "Mugs",
        "Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs",
        "ceramics, kitchen, gift",
        "<p>Wheel-thrown stoneware mug with a satin glaze and a raw clay foot. Holds 320 ml.</p>"
        "<p>Dishwasher and microwave safe.</p>",
        "OL-MUG",
        "24.00",
        380,
        [("Color", ["Sage", "Sand", "Charcoal"])],
    ),
    Product(
        "canvas-tote-bag",
        "Canvas Tote Bag",
        "Bags",
        "Apparel & Accessories > Handbags, Wallets & Cases > Handbags > Tote Handbags",
        "bags, cotton, sale",
        "<p>Heavy 16 oz organic cotton canvas tote with an inside pocket and long handles.</p>",
        "OL-TOT",
        "29.00",
        320,
        [("Color", ["Natural", "Black"])],
        compare_at="39.00",
    ),
    Product(
        "everyday-leather-sneakers",
        "Everyday Leather Sneakers",
        "Sneakers",
        "Apparel & Accessories > Shoes > Sneakers",
        "shoes, leather, apparel",
        "<p>Clean low-top sneakers in full-grain leather on a stitched natural rubber cupsole.</p>",
        "OL-SNK",
        "129.00",
        880,
        [("Size", ["38", "39", "40", "41", "42"])],
        apparel=True,
    ),
    Product(
        "round-sunglasses",
        "Round Sunglasses",
        "Sunglasses",
        "Apparel & Accessories > Clothing Accessories > Sunglasses",
        "accessories, summer, sale",
        "<p>Hand-polished acetate frames with polarised UV400 lenses. Comes with a linen pouch.</p>",
        "OL-SUN",
        "75.00",
        60,
        [("Frame", ["Tortoise", "Black"])],
        compare_at="95.00",
        apparel=True,
    ),
    Product(
        "terracotta-plant-pot",
        "Terracotta Plant Pot",
        "Planters",
        "Home & Garden > Lawn & Garden > Gardening > Pots & Planters",
        "home, plants, terracotta",
        "<p>Unglazed terracotta pot with a drainage hole and a deep rim. Plant not included.</p>",
        "OL-POT",
        {"Small": "18.00", "Medium": "26.00", "Large": "34.00"},
        900,
        [("Size", ["Small", "Medium", "Large"])],
    ),
    Product(
        "merino-wool-scarf",
        "Merino Wool Scarf",
        "Scarves",
        "Apparel & Accessories > Clothing Accessories > Scarves & Shawls",
        "knitwear, winter, sale",
        "<p>Rib-knit extra-fine merino scarf, 180 × 30 cm, with a short fringe.</p>",
        "OL-SCF",
        "49.00",
        210,
        [("Color", ["Rust", "Oatmeal", "Forest"])],
        compare_at="69.00",
        apparel=True,
    ),
    Product(
        "fig-cedar-candle",
        "Fig & Cedar Soy Candle",
        "Candles",
        "Home & Garden > Decor > Home Fragrances > Candles",
        "home, fragrance, gift",
        "<p>Hand-poured soy wax in a reusable ceramic vessel. Notes of green fig, cedar and musk.</p>",
        "OL-CDL",
        {"200 g": "28.00", "400 g": "42.00"},
        450,
        [("Size", ["200 g", "400 g"])],
    ),
    Product(
        "stoneware-bud-vase",
        "Stoneware Bud Vase",
        "Vases",
        "Home & Garden > Decor > Vases",
        "ceramics, home, decor",
        "<p>A small round-bellied vase with a reactive glaze; every piece is slightly different.</p>",
        "OL-VAS",
        "39.00",
        520,
    ),
    Product(
        "washed-cotton-cap",
        "Washed Cotton Cap",
        "Hats",
        "Apparel & Accessories > Clothing Accessories > Hats > Baseball Caps",
        "accessories, cotton, sale",
        "<p>Six-panel cap in garment-washed cotton twill with an adjustable brass buckle.</p>",
        "OL-CAP",
        "24.00",
        90,
        [("Color", ["Sand", "Navy", "Olive"])],
        compare_at="32.00",
        apparel=True,
    ),
    Product(
        "minimal-leather-watch",
        "Minimal Leather Watch",
        "Watches",
        "Apparel & Accessories > Jewelry > Watches",
        "accessories, leather, gift",
        "<p>38 mm brushed steel case, sapphire crystal and a vegetable-tanned leather strap.</p>",
        "OL-WAT",
        "149.00",
        70,
        [("Strap", ["Tan", "Black"])],
        apparel=True,
    ),
    Product(
        "linen-notebook-a5",
        "Linen Notebook A5",
        "Notebooks",
        "Office Supplies > General Office Supplies > Paper Products > Notebooks & Notepads",
        "stationery, linen, gift",
        "<p>Lay-flat A5 notebook with a linen-bound cover, 192 pages of 100 g/m² paper.</p>",
        "OL-NBK",
        "16.00",
        330,
        [("Paper", ["Dotted", "Lined", "Plain"])],
    ),
    Product(
        "oak-serving-board",
        "Oak Serving Board",
        "Serving boards",
        "Home & Garden > Kitchen & Dining > Kitchen Tools & Utensils > Cutting Boards",
        "kitchen, wood, home",
        "<p>Solid European oak board with a carved handle, finished with food-safe oil.</p>",
        "OL-BRD",
        "45.00",
        1100,
    ),
    Product(
        "striped-linen-tea-towel",
        "Striped Linen Tea Towel",
        "Kitchen towels",
        "Home & Garden > Linens & Bedding > Towels > Kitchen Towels",
        "kitchen, linen, home",
        "<p>Absorbent stonewashed linen tea towel with a woven stripe and a hanging loop.</p>",
        "OL-TWL",
        "14.00",
        90,
        [("Color", ["Blue stripe", "Rust stripe"])],
    ),
    Product(
        "linen-cushion-cover",
        "Linen Cushion Cover",
        "Cushions",
        "Home & Garden > Linens & Bedding > Bedding > Pillowcases & Shams",
        "home, linen, living",
        "<p>Washed linen cover with a hidden zip. Insert not included.</p>",
        "OL-CSH",
        {"45 × 45 cm": "38.00", "50 × 50 cm": "44.00"},
        200,
        [("Size", ["45 × 45 cm", "50 × 50 cm"]), ("Color", ["Oat", "Terracotta"])],
    ),
]


def _ean13(n: int) -> str:
    """A valid EAN-13 in the 200–299 'in-store' prefix range, so it can never clash with a real GTIN."""
    body = f"2{n:011d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _slug(text: str) -> str:
    """SKU part from an option value: '45 × 45 cm' -> '45X45CM', 'Sky blue' -> 'SKY-BLUE'."""
    text = text.upper().replace(" × ", "X").replace(" G", "G").replace(" CM", "CM")
    return re.sub(r"[^A-Z0-9]+", "-", text).strip("-")


def write_catalog(path: Path, rng: np.random.Generator) -> None:
    """Write the Shopify product CSV (current export dialect: a row per variant, product fields on row 1)."""
    col = {name: i for i, name in enumerate(HEADER)}
    rows: list[list[str]] = []
    serial = 4100
    for p in PRODUCTS:
        options = p.options or [("Title", ["Default Title"])]
        combos: list[tuple[str, ...]] = [()]
        for _, values in options:
            combos = [(*c, v) for c in combos for v in values]
        for i, combo in enumerate(combos):
            row = [""] * len(HEADER)
            first = i == 0
            price = p.price[combo[0]] if isinstance(p.price, dict) else p.price
            row[col["URL handle"]] = p.handle
            if first:
                seo_desc = re.sub(r"<[^>]+>", " ", p.description)
                row[col["Title"]] = p.title
                row[col["Description"]] = p.description
                row[col["Vendor"]] = BRAND
                row[col["Product category"]] = p.category
                row[col["Type"]] = p.kind
                row[col["Tags"]] = p.tags
                row[col["Published on online store"]] = "TRUE"
                row[col["Status"]] = "active"
                row[col["Product image URL"]] = f"{CDN}/{p.handle}.jpg"
                row[col["Image position"]] = "1"
                row[col["Image alt text"]] = f"{p.title} by {BRAND}"
                row[col["Gift card"]] = "FALSE"
                row[col["SEO title"]] = f"{p.title} | {BRAND}"
                row[col["SEO description"]] = " ".join(seo_desc.split())[:160]
                row[col["Google Shopping / Google product category"]] = p.category
                if p.apparel:
                    row[col["Google Shopping / Gender"]] = "unisex"
                    row[col["Google Shopping / Age group"]] = "adult"
                row[col["Google Shopping / Condition"]] = "new"
                row[col["Google Shopping / Custom product"]] = "FALSE"
            for k, (name, _) in enumerate(options):
                if first:
                    row[col[f"Option{k + 1} name"]] = name
                row[col[f"Option{k + 1} value"]] = combo[k]
            suffix = "-".join(_slug(v) for v in combo if v != "Default Title")
            row[col["SKU"]] = f"{p.sku}-{suffix}" if suffix else p.sku
            row[col["Barcode"]] = _ean13(serial)
            serial += 1
            row[col["Price"]] = price
            row[col["Compare-at price"]] = p.compare_at
            row[col["Cost per item"]] = f"{float(price) * 0.38:.2f}"
            row[col["Charge tax"]] = "TRUE"
            row[col["Inventory tracker"]] = "shopify"
            row[col["Inventory quantity"]] = str(int(rng.integers(0, 60)))
            row[col["Continue selling when out of stock"]] = "DENY"
            row[col["Weight value (grams)"]] = str(p.grams)
            row[col["Weight unit for display"]] = "g" if p.grams < 1000 else "kg"
            row[col["Requires shipping"]] = "TRUE"
            row[col["Fulfillment service"]] = "manual"
            rows.append(row)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Raster toolkit: noise, blur, masks, shading, layers
# --------------------------------------------------------------------------------------------------


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def aa(sdf: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage from a signed distance in pixels (negative inside)."""
    return np.clip(0.5 - sdf, 0.0, 1.0)


def ellipse_sdf(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, a: float, b: float) -> np.ndarray:
    """Approximate signed pixel distance to an axis-aligned ellipse (first-order, exact on the axes)."""
    ex, ey = (xx - cx) / a, (yy - cy) / b
    e = np.sqrt(ex * ex + ey * ey) + 1e-6
    gx, gy = ex / (a * e), ey / (b * e)
    return (e - 1.0) / (np.sqrt(gx * gx + gy * gy) + 1e-6)


def round_rect_sdf(
    xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, hw: float, hh: float, r: float
) -> np.ndarray:
    qx = np.abs(xx - cx) - (hw - r)
    qy = np.abs(yy - cy) - (hh - r)
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _box_blur_axis(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    if r < 1:
        return a
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
    n = a.shape[axis]
    hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return ((hi - lo) / (2 * r + 1)).astype(F32)


def shift(a: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Translate a 2-D array by whole pixels, filling with zeros (no wrap-around)."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    out[yd, xd] = a[ys, xs]
    return out


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (three box passes per axis) of a 2-D or HxWxC array; any radius in linear time."""
    if sigma < 0.3:
        return a.astype(F32)
    r = max(1, round((math.sqrt(4 * sigma * sigma + 1) - 1) / 2))
    out = a.astype(F32)
    for _ in range(3):
        out = _box_blur_axis(out, r, 0)
        out = _box_blur_axis(out, r, 1)
    return out


def value_noise(
    rng: np.random.Generator,
    h: int,
    w: int,
    cell_y: float,
    cell_x: float | None = None,
    octaves: int = 1,
    gain: float = 0.5,
) -> np.ndarray:
    """Smooth fractal noise in about [-1, 1]: random lattices upsampled bicubically, summed by octave."""
    cell_x = cell_y if cell_x is None else cell_x
    out = np.zeros((h, w), F32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        gh, gw = int(h / cell_y) + 4, int(w / cell_x) + 4
        grid = rng.random((gh, gw), dtype=F32) * 2 - 1
        up = Image.fromarray(grid).resize(
            (max(1, round(gw * cell_x)), max(1, round(gh * cell_y))), Image.BICUBIC
        )
        arr = np.asarray(up, F32)
        oy, ox = int(cell_y), int(cell_x)
        out += amp * arr[oy : oy + h, ox : ox + w]
        total += amp
        amp *= gain
        cell_y, cell_x = max(cell_y / 2, 1.0), max(cell_x / 2, 1.0)
    return out / total * 1.6


def poly_mask(w: int, h: int, polys: Sequence[Sequence[tuple[float, float]]], ss: int = 4) -> np.ndarray:
    """Anti-aliased coverage of polygons (4x supersampled with Pillow)."""
    im = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(im)
    for p in polys:
        d.polygon([(x * ss, y * ss) for x, y in p], fill=255)
    return np.asarray(im.reduce(ss), F32) / 255.0


def line_mask(
    w: int,
    h: int,
    lines: Sequence[Sequence[tuple[float, float]]],
    width: float,
    ss: int = 4,
    dash: float = 0.0,
) -> np.ndarray:
    """Anti-aliased coverage of polylines; ``dash`` > 0 draws stitch-like dashes of that length."""
    im = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(im)
    lw = max(1, round(width * ss))
    for pts in lines:
        pts = [(x * ss, y * ss) for x, y in pts]
        if dash <= 0:
            d.line(pts, fill=255, width=lw, joint="curve")
            continue
        run, on = 0.0, True
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            seg = math.hypot(x1 - x0, y1 - y0)
            t = 0.0
            while t < seg:
                step = min(dash * ss - run, seg - t)
                if on:
                    a, b = t / seg, (t + step) / seg
                    d.line(
                        [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)],
                        fill=255,
                        width=lw,
                    )
                t += step
                run += step
                if run >= dash * ss - 1e-6:
                    run, on = 0.0, not on
    return np.asarray(im.reduce(ss), F32) / 255.0


def catmull_rom(
    points: Sequence[tuple[float, float]], n: int = 12, closed: bool = False
) -> list[tuple[float, float]]:
    """A smooth curve through ``points`` (Catmull-Rom, ``n`` samples per segment)."""
    p = [np.asarray(q, F32) for q in points]
    if closed:
        p = [p[-1], *p, p[0], p[1]]
    else:
        p = [p[0], *p, p[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        for k in range(n):
            t = k / n
            q = 0.5 * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
            out.append((float(q[0]), float(q[1])))
    if not closed:
        out.append((float(p[-2][0]), float(p[-2][1])))
    return out


def shade(
    base: np.ndarray | Color,
    nx: np.ndarray,
    ny: np.ndarray,
    nz: np.ndarray,
    amb: float = 0.42,
    dif: float = 0.68,
    spec: float = 0.0,
    shin: float = 24.0,
) -> np.ndarray:
    """Lambert + Blinn-Phong under the key light; ``base`` is a colour or an HxWx3 albedo."""
    d = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0, 1)
    out = np.asarray(base, F32) * (amb + dif * d)[..., None]
    if spec:
        s = np.clip(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0, 1) ** shin
        out = out + spec * s[..., None]
    return out


def height_normals(hmap: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit normals of a height field (pixels); ``strength`` scales the relief."""
    gy, gx = np.gradient(hmap * strength)
    n = np.sqrt(gx * gx + gy * gy + 1.0)
    return -gx / n, -gy / n, 1.0 / n


def mix(a: Color | np.ndarray, b: Color | np.ndarray, t: np.ndarray | float) -> np.ndarray:
    a, b = np.asarray(a, F32), np.asarray(b, F32)
    t = np.asarray(t, F32)
    if t.ndim >= 2:
        t = t[..., None]
    return a + (b - a) * t


class Layer:
    """A premultiplied RGBA drawing surface with pixel-centre coordinate grids ``xx``, ``yy``."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = int(w), int(h)
        self.rgb = np.zeros((self.h, self.w, 3), F32)
        self.a = np.zeros((self.h, self.w), F32)
        yy, xx = np.mgrid[0 : self.h, 0 : self.w].astype(F32)
        self.xx, self.yy = xx + 0.5, yy + 0.5

    def fill(self, mask: np.ndarray, color: Color | np.ndarray) -> None:
        """Paint ``color`` (a colour or an HxWx3 array) over the layer with coverage ``mask``."""
        m = np.clip(mask, 0, 1).astype(F32)
        self.rgb = self.rgb * (1 - m[..., None]) + np.asarray(color, F32) * m[..., None]
        self.a = self.a * (1 - m) + m

    def multiply(self, mask: np.ndarray, factor: float | Color) -> None:
        """Darken (or tint) what is already painted, where ``mask`` is set."""
        f = np.asarray(factor, F32)
        self.rgb = self.rgb * (1 - mask[..., None] * (1 - f))

    def over(self, other: Layer, dx: int = 0, dy: int = 0) -> None:
        """Composite another layer onto this one at an offset."""
        _composite(self.rgb, self.a, other.rgb, other.a, dx, dy)


def _composite(
    dst_rgb: np.ndarray, dst_a: np.ndarray | None, rgb: np.ndarray, a: np.ndarray, x: int, y: int
) -> None:
    h, w = a.shape
    H, W = dst_rgb.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 >= x1 or y0 >= y1:
        return
    sa = a[y0 - y : y1 - y, x0 - x : x1 - x]
    sr = rgb[y0 - y : y1 - y, x0 - x : x1 - x]
    dst_rgb[y0:y1, x0:x1] = dst_rgb[y0:y1, x0:x1] * (1 - sa[..., None]) + sr
    if dst_a is not None:
        dst_a[y0:y1, x0:x1] = dst_a[y0:y1, x0:x1] * (1 - sa) + sa


def speckle(rng: np.random.Generator, h: int, w: int, density: float, size: float) -> np.ndarray:
    """Sparse soft dots (iron specks in stoneware, slubs, dust): 0..1."""
    dots = (rng.random((h, w), dtype=F32) < density).astype(F32)
    return np.clip(blur(dots, size) * (2 * math.pi * size * size), 0, 1)


def linen_texture(rng: np.random.Generator, h: int, w: int, pitch: float) -> np.ndarray:
    """Woven linen: irregular horizontal and vertical threads with slubs, about [-1, 1]."""
    weft = value_noise(rng, h, w, pitch, pitch * 14)
    warp = value_noise(rng, h, w, pitch * 14, pitch)
    slub = np.clip(value_noise(rng, h, w, pitch, pitch * 40) - 0.55, 0, 1) * 2.5
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    weave = np.sin(xx * math.pi / pitch) * np.sin(yy * math.pi / pitch)
    return 0.45 * weft + 0.45 * warp + 0.25 * weave + 0.6 * slub


def canvas_texture(rng: np.random.Generator, h: int, w: int, pitch: float) -> np.ndarray:
    """Tighter, more regular cotton canvas weave, about [-1, 1]."""
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    weave = np.sin(xx * math.pi / pitch) * np.sin(yy * math.pi / pitch)
    return (
        0.5 * weave
        + 0.35 * value_noise(rng, h, w, pitch, pitch * 8)
        + 0.2 * value_noise(rng, h, w, pitch * 8)
    )


def wood_texture(
    rng: np.random.Generator, h: int, w: int, spacing: float, light: Color, dark: Color, along_x: bool = True
) -> np.ndarray:
    """Oak-like plank: warped growth rings and fine fibres, returned as an HxWx3 colour field."""
    if not along_x:
        return wood_texture(rng, w, h, spacing, light, dark, True).transpose(1, 0, 2)
    yy = np.mgrid[0:h, 0:w][0].astype(F32)
    warp = value_noise(rng, h, w, spacing * 3, spacing * 18, octaves=2) * spacing * 1.6
    rings = np.sin((yy + warp) / spacing * 2 * math.pi)
    rings = np.abs(rings) ** 0.6
    fibres = value_noise(rng, h, w, 1.5, 60.0)
    flecks = np.clip(value_noise(rng, h, w, 2.0, 14.0) - 0.6, 0, 1) * 2
    t = np.clip(0.55 * rings + 0.2 * fibres + 0.25 * value_noise(rng, h, w, spacing * 6, spacing * 30), -1, 1)
    col = mix(light, dark, (t + 1) / 2)
    return col * (1 - 0.12 * flecks[..., None])


# --------------------------------------------------------------------------------------------------
# Scene: canvas, shadows, placement records, finishing
# --------------------------------------------------------------------------------------------------


@dataclass
class Placement:
    """Where a product was drawn, in scene pixels: tag point and bounding box."""

    handle: str
    x: float
    y: float
    box: tuple[float, float, float, float]


class Scene:
    """A float RGB canvas plus everything placed on it."""

    def __init__(self, w: int, h: int, seed: int) -> None:
        self.w, self.h = w, h
        self.img = np.zeros((h, w, 3), F32)
        self.rng = np.random.default_rng(seed)
        self.placed: dict[str, Placement] = {}
        self.glow = np.zeros((h, w, 3), F32)  # additive light (flames), added before finishing

    # -- shadows ------------------------------------------------------------------------------------
    def _region_mask(self, layer: Layer, x: int, y: int, margin: int) -> tuple[np.ndarray, int, int]:
        """The layer's alpha pasted into a canvas-clipped region ``margin`` px larger on every side."""
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(self.w, x + layer.w + margin), min(self.h, y + layer.h + margin)
        sub = np.zeros((y1 - y0, x1 - x0, 1), F32)
        _composite(sub, None, layer.a[..., None], layer.a, x - x0, y - y0)
        return sub[..., 0], x0, y0

    def darken(self, mask: np.ndarray, x0: int, y0: int, strength: float) -> None:
        """Multiply the canvas down by ``strength * mask`` (shadows, occlusion)."""
        h, w = mask.shape
        region = self.img[y0 : y0 + h, x0 : x0 + w]
        region *= 1 - np.clip(mask * strength, 0, 1)[..., None] * np.asarray((0.97, 1.0, 1.0), F32)

    def drop_shadow(
        self,
        layer: Layer,
        x: int,
        y: int,
        dx: float,
        dy: float,
        sigma: float,
        strength: float,
        sigma_contact: float = 0.0,
        contact: float = 0.0,
        clip_y: float | None = None,
    ) -> None:
        """Flat-lay shadow: the silhouette offset away from the light, blurred (plus a tight contact one)."""
        margin = int(3 * sigma + abs(dx) + abs(dy)) + 4
        m, x0, y0 = self._region_mask(layer, x, y, margin)
        shifted = blur(shift(m, round(dx), round(dy)), sigma)
        if clip_y is not None:
            rows = np.arange(shifted.shape[0], dtype=F32)[:, None] + y0
            shifted = shifted * smoothstep(clip_y + 2, clip_y - 2, rows)
        self.darken(shifted, x0, y0, strength)
        if contact:
            self.darken(blur(m, max(sigma_contact, 1.0)), x0, y0, contact)

    def cast_shadow(
        self,
        layer: Layer,
        x: int,
        y: int,
        base_y: float,
        lean: float,
        drop: float,
        sigma: float,
        strength: float,
        contact: tuple[float, float, float, float] | None = None,
    ) -> None:
        """Shadow of an upright object on a horizontal surface.

        The silhouette is projected onto the ground: a point ``h`` pixels above ``base_y`` lands
        ``h * lean`` to the right and ``h * drop`` lower. ``contact`` = (cx, cy, rx, ry) adds the dark
        ambient-occlusion ellipse where the object meets the surface.
        """
        margin = int(layer.h * abs(lean) + 4 * sigma) + 8
        m, x0, y0 = self._region_mask(layer, x, y, margin)
        by = base_y - y0
        im = Image.fromarray(m)
        sy = -drop if drop else -1e-3
        coeffs = (1.0, lean / sy, -lean * by / sy, 0.0, 1.0 / sy, by * (1 - 1 / sy))
        proj = np.asarray(im.transform(im.size, Image.AFFINE, coeffs, Image.BILINEAR), F32)
        # fade the shadow with distance from the base, as real penumbrae widen and weaken
        yy = np.arange(proj.shape[0], dtype=F32)[:, None]
        fade = np.clip(1 - (yy - by) / max(1.0, layer.h * drop * 1.3), 0.35, 1) if drop > 0 else 1.0
        proj = blur(proj * fade, sigma)
        self.darken(proj, x0, y0, strength)
        if contact:
            cx, cy, rx, ry = contact
            hh, ww = m.shape
            yy2, xx2 = np.mgrid[0:hh, 0:ww].astype(F32)
            e = ((xx2 + x0 - cx) / rx) ** 2 + ((yy2 + y0 - cy) / ry) ** 2
            ao = np.clip(1 - e, 0, 1) ** 0.5
            self.darken(blur(ao, ry * 0.35), x0, y0, 0.7)

    def stand(
        self,
        st: Standing,
        X: float,
        Y: float,
        handle: str | None = None,
        lean: float = 0.55,
        drop: float = 0.08,
        soft: float = 1.0,
        strength: float = 0.36,
        wall: tuple[float, float, float, float, float] | None = None,
    ) -> tuple[int, int]:
        """Put an upright product with its footprint centred at (X, Y), shadows first.

        ``wall`` = (dx, dy, sigma, strength, wall_bottom_y) also throws the silhouette onto a wall behind.
        """
        x, y = round(X - st.base[0]), round(Y - st.base[1])
        rx, ry = st.foot
        if wall:
            dx, dy, sig, stren, wy = wall
            self.drop_shadow(st.layer, x, y, dx, dy, sig, stren, clip_y=wy)
        self.cast_shadow(
            st.layer,
            x,
            y,
            Y,
            lean,
            drop,
            rx * 0.16 * soft,
            strength,
            contact=(X + rx * 0.15, Y + ry * 0.15, rx * 1.25, ry * 1.9),
        )
        self.put(st.layer, x, y)
        if handle:
            self.record(handle, st.body, x, y)
        return x, y

    def lay(
        self,
        layer: Layer,
        cx: float,
        cy: float,
        lift: float,
        handle: str | None = None,
        strength: float = 0.38,
    ) -> tuple[int, int]:
        """Put a flat-lay item centred at (cx, cy); ``lift`` (px) is how far above the surface it stands."""
        x, y = round(cx - layer.w / 2), round(cy - layer.h / 2)
        self.drop_shadow(
            layer, x, y, lift * 0.55, lift * 0.8, lift * 0.9 + 2, strength, sigma_contact=2.5, contact=0.35
        )
        self.put(layer, x, y)
        if handle:
            self.record(handle, layer.a, x, y)
        return x, y

    # -- compositing ---------------------------------------------------------------------------------
    def put(self, layer: Layer, x: float, y: float) -> tuple[int, int]:
        xi, yi = round(x), round(y)
        _composite(self.img, None, layer.rgb, layer.a, xi, yi)
        return xi, yi

    def record(
        self, handle: str, mask: np.ndarray, x: int, y: int, point: tuple[float, float] | None = None
    ) -> None:
        """Remember where ``handle`` was drawn: bbox of ``mask`` (layer-local) > 0.5, point = bbox centre."""
        ys, xs = np.nonzero(mask > 0.5)
        box = (
            max(0.0, float(xs.min() + x)),
            max(0.0, float(ys.min() + y)),
            min(float(self.w), float(xs.max() + 1 + x)),
            min(float(self.h), float(ys.max() + 1 + y)),
        )
        px, py = point if point else ((box[0] + box[2]) / 2 - x, (box[1] + box[3]) / 2 - y)
        self.placed[handle] = Placement(handle, px + x, py + y, box)

    def add_glow(self, cx: float, cy: float, radius: float, color: Color, strength: float) -> None:
        """Additive warm light around a flame (a pair of Gaussians: tight core and wide halo)."""
        yy, xx = np.mgrid[0 : self.h, 0 : self.w].astype(F32)
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        g = 0.6 * np.exp(-d2 / (2 * (radius * 0.25) ** 2)) + 0.4 * np.exp(-d2 / (2 * radius**2))
        self.glow += strength * g[..., None] * np.asarray(color, F32)

    # -- finishing -----------------------------------------------------------------------------------
    def finish(
        self, warmth: float = 1.0, vignette: float = 0.32, grain: float = 0.014, bloom: float = 0.5
    ) -> Image.Image:
        return finish(self.img + self.glow, self.rng, warmth, vignette, grain, bloom)


def finish(
    img: np.ndarray,
    rng: np.random.Generator,
    warmth: float = 1.0,
    vignette: float = 0.32,
    grain: float = 0.014,
    bloom: float = 0.5,
) -> Image.Image:
    """Photographic finish: bloom, gentle S-curve, warm grade, vignette, luminance film grain."""
    h, w = img.shape[:2]
    lum = img @ np.asarray((0.2126, 0.7152, 0.0722), F32)
    if bloom:
        hi = np.clip(lum - 0.78, 0, None)
        img = img + bloom * blur(hi, max(h, w) * 0.012)[..., None] * np.asarray((1.0, 0.88, 0.72), F32)
    # soft shoulder so highlights roll off instead of clipping
    img = np.where(img > 0.8, 0.8 + 0.2 * np.tanh((img - 0.8) / 0.2), img)
    # S-curve around the midtones
    img = np.clip(img, 0, 1)
    img = img + 0.35 * (img - 0.5) * img * (1 - img)
    # warm grade: lift the shadows towards brown, cool nothing, pull blue down a touch
    lum = img @ np.asarray((0.2126, 0.7152, 0.0722), F32)
    lift = (1 - lum)[..., None] ** 2 * np.asarray((0.035, 0.022, 0.008), F32)
    img = img * np.asarray((1.0 + 0.03 * warmth, 1.0 + 0.005 * warmth, 1.0 - 0.05 * warmth), F32) + lift
    # vignette
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    rr = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    img = img * (1 - vignette * np.clip(rr / 2, 0, 1) ** 1.4)[..., None]
    # film grain: luminance noise, slightly clumped, stronger in the midtones
    if grain:
        g = blur(rng.standard_normal((h, w), dtype=F32), 0.55) * 1.7
        lum = img @ np.asarray((0.2126, 0.7152, 0.0722), F32)
        img = img + (grain * g * (0.5 + 2 * lum * (1 - lum)))[..., None]
    return Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))


def to_table(layer: Layer, quad: Sequence[tuple[float, float]], ox: int, oy: int, w: int, h: int) -> Layer:
    """Map a flat (top-view) layer onto a quadrilateral of the table in perspective.

    ``quad`` lists the destination corners (TL, TR, BR, BL) in scene pixels; the result is a layer of
    size ``w`` x ``h`` whose top-left sits at scene (``ox``, ``oy``).
    """
    src = [(0, 0), (layer.w, 0), (layer.w, layer.h), (0, layer.h)]
    rows, rhs = [], []
    for (X, Y), (u, v) in zip(quad, src):
        X, Y = X - ox, Y - oy
        rows.append([X, Y, 1, 0, 0, 0, -u * X, -u * Y])
        rhs.append(u)
        rows.append([0, 0, 0, X, Y, 1, -v * X, -v * Y])
        rhs.append(v)
    coeffs = tuple(
        float(c) for c in np.linalg.solve(np.asarray(rows, np.float64), np.asarray(rhs, np.float64))
    )
    out = Layer(w, h)
    chans = [layer.rgb[..., 0], layer.rgb[..., 1], layer.rgb[..., 2], layer.a]
    res = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(c)).transform(
                (w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC
            ),
            F32,
        )
        for c in chans
    ]
    out.rgb = np.clip(np.stack(res[:3], axis=-1), 0, None)
    out.a = np.clip(res[3], 0, 1)
    return out


def extrude_down(layer: Layer, depth: int, color: Color | np.ndarray, darken: float = 0.0) -> Layer:
    """Give a flat piece (board, book) visible thickness: its silhouette swept ``depth`` px downward."""
    out = Layer(layer.w, layer.h + depth)
    edge = np.zeros((out.h, out.w), F32)
    for d in range(1, depth + 1):
        edge[d : d + layer.h] = np.maximum(edge[d : d + layer.h], layer.a)
    shade_y = np.clip((out.yy - out.yy.min()) / out.h, 0, 1)
    col = np.asarray(color, F32) * (1 - darken * shade_y)[..., None]
    out.fill(edge, col)
    out.rgb[: layer.h] = out.rgb[: layer.h] * (1 - layer.a[..., None]) + layer.rgb
    out.a[: layer.h] = out.a[: layer.h] * (1 - layer.a) + layer.a
    return out


def rotate_layer(layer: Layer, degrees: float) -> Layer:
    """Rotate a layer counter-clockwise about its centre, growing it to fit."""
    chans = [layer.rgb[..., 0], layer.rgb[..., 1], layer.rgb[..., 2], layer.a]
    res = [
        np.asarray(Image.fromarray(np.ascontiguousarray(c)).rotate(degrees, Image.BICUBIC, expand=True), F32)
        for c in chans
    ]
    out = Layer(res[0].shape[1], res[0].shape[0])
    out.rgb = np.clip(np.stack(res[:3], axis=-1), 0, None)
    out.a = np.clip(res[3], 0, 1)
    return out


def text_image(text: str, size: float, spacing: float = 0.0) -> np.ndarray:
    """Coverage of ``text`` set in Pillow's bundled default font (no system fonts, so reproducible)."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=max(6.0, size))
    if spacing:
        widths = [font.getlength(c) for c in text]
        total = int(sum(widths) + spacing * size * (len(text) - 1)) + 4
        im = Image.new("L", (total, int(size * 1.5) + 4), 0)
        d = ImageDraw.Draw(im)
        x = 2.0
        for c, cw in zip(text, widths):
            d.text((x, 2), c, font=font, fill=255)
            x += cw + spacing * size
    else:
        x1 = font.getbbox(text)[2]
        im = Image.new("L", (x1 + 4, int(size * 1.5) + 4), 0)
        ImageDraw.Draw(im).text((2, 2), text, font=font, fill=255)
    arr = np.asarray(im, F32) / 255.0
    ys, xs = np.nonzero(arr > 0.02)
    return arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def stamp(dst: np.ndarray, src: np.ndarray, cx: float, cy: float) -> None:
    """Max-paste a small coverage image centred at (cx, cy) into a 2-D mask."""
    h, w = src.shape
    x, y = round(cx - w / 2), round(cy - h / 2)
    H, W = dst.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 < x1 and y0 < y1:
        dst[y0:y1, x0:x1] = np.maximum(dst[y0:y1, x0:x1], src[y0 - y : y1 - y, x0 - x : x1 - x])


def crescent(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    """The brand mark: a crescent moon (a disc minus an offset disc)."""
    outer = aa(np.hypot(xx - cx, yy - cy) - r)
    inner = aa(np.hypot(xx - cx - 0.38 * r, yy - cy + 0.22 * r) - 0.82 * r)
    return np.clip(outer - inner, 0, 1)


@dataclass
class Standing:
    """A product drawn upright in three-quarter view: its layer and where it touches the ground."""

    layer: Layer
    base: tuple[float, float]  # layer-local centre of the footprint
    foot: tuple[float, float]  # footprint ellipse radii (rx, ry)
    body: np.ndarray  # mask of the product proper (tag box), excluding props such as stems
    flame: tuple[float, float] | None = None  # layer-local wick tip, for candles


def _revolve(
    L: Layer, cx: float, top: float, prof_y: np.ndarray, prof_r: np.ndarray, k: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Silhouette and normals of a surface of revolution seen slightly from above.

    ``prof_r`` is the radius at depth ``prof_y`` below ``top`` (pixels). Each horizontal slice is an
    ellipse of aspect ``k``; the front surface of the slice at depth d shows at y = top + d + k*r(d)*s.
    Returns (mask, u, nx, ny, nz, depth) with ``u`` the position across the body in -1..1.
    """
    slope = np.gradient(prof_r, prof_y)
    y0 = L.yy - top
    d = y0.copy()
    for _ in range(10):  # damped fixed-point solve for the slice depth seen at each pixel
        r = np.interp(np.clip(d, 0, prof_y[-1]), prof_y, prof_r)
        u = np.clip((L.xx - cx) / np.maximum(r, 1e-3), -1.5, 1.5)
        s = np.sqrt(np.clip(1 - u * u, 0, 1))
        d = 0.5 * d + 0.5 * (y0 - k * r * s)
    r = np.interp(np.clip(d, 0, prof_y[-1]), prof_y, prof_r)
    u = np.clip((L.xx - cx) / np.maximum(r, 1e-3), -1.5, 1.5)
    s = np.sqrt(np.clip(1 - u * u, 0, 1))
    mask = aa(np.abs(L.xx - cx) - r) * aa(-d) * aa(d - prof_y[-1])
    dr = np.interp(np.clip(d, 0, prof_y[-1]), prof_y, slope)
    nx, ny, nz = u, -dr, s
    n = np.sqrt(nx * nx + ny * ny + nz * nz) + 1e-6
    return mask, u, nx / n, ny / n, nz / n, d


def window_stripe(
    u: np.ndarray, yy: np.ndarray, y0: float, y1: float, at: float = -0.5, width: float = 0.1
) -> np.ndarray:
    """The soft vertical reflection of a window on a glossy cylinder."""
    return (
        np.exp(-(((u - at) / width) ** 2))
        * smoothstep(y0, y0 + (y1 - y0) * 0.25, yy)
        * (1 - smoothstep(y1 - (y1 - y0) * 0.3, y1, yy))
    )


def draw_mug(
    rng: np.random.Generator, r: float, height: float, glaze: Color, k: float = 0.28, coffee: bool = True
) -> Standing:
    """Stoneware mug in three-quarter view: glossy glazed cylinder, raw clay foot, loop handle, coffee."""
    pad = int(r * 0.12) + 6
    L = Layer(2 * r + 0.62 * r + 2 * pad, height + 2 * k * r + 2 * pad)
    xx, yy = L.xx, L.yy
    cx, top = pad + r, pad + k * r
    base = top + height
    g = np.asarray(glaze, F32)
    clay = np.asarray((0.80, 0.69, 0.56), F32)

    # handle: an elliptical tube, drawn first so the body hides its inner half
    hx, hy, ha, hb = cx + r * 0.97, top + height * 0.47, r * 0.40, height * 0.28
    ex, ey = (xx - hx) / ha, (yy - hy) / hb
    rho = np.sqrt(ex * ex + ey * ey) + 1e-6
    radial = (rho - 1) * (ha + hb) / 2
    tube = r * 0.085
    v = np.clip(radial / tube, -1, 1)
    hmask = aa(np.abs(radial) - tube) * (xx > cx + r * 0.5)
    L.fill(
        hmask, shade(g, ex / rho * v, ey / rho * v, np.sqrt(1 - v * v), amb=0.36, dif=0.62, spec=0.5, shin=40)
    )

    # body
    u = (xx - cx) / r
    s = np.sqrt(np.clip(1 - u * u, 0, 1))
    body = aa(np.abs(xx - cx) - r) * aa(top + k * r * s - yy) * aa(yy - (base + k * r * s))
    h, w = L.h, L.w
    spots = speckle(rng, h, w, 0.0015, 0.6)
    pooling = value_noise(rng, h, w, height * 0.2, r * 0.35, octaves=2) * 0.04
    alb = g * (1 + pooling)[..., None] * (1 - 0.5 * spots)[..., None]
    foot_line = base - 0.085 * height + k * r * s + value_noise(rng, h, w, 8, r * 0.5) * height * 0.004
    foot = smoothstep(-1.0, 1.0, yy - foot_line)
    alb = mix(alb, clay * (1 - 0.35 * spots)[..., None], foot)
    col = shade(alb, u, np.zeros_like(u), s, amb=0.36, dif=0.72)
    gloss = 1 - foot
    hl = np.clip(u * HALF[0] + s * HALF[2], 0, 1) ** 60
    stripe = window_stripe(u, yy, top, base)
    col = col + ((0.35 * hl + 0.2 * stripe) * gloss)[..., None]
    col = col * (0.78 + 0.22 * s)[..., None]
    col = col * (1 - 0.18 * smoothstep(base - 0.25 * height, base + k * r, yy))[..., None]  # table occlusion
    L.fill(body, col)

    # opening: rim, inner wall, coffee
    L.fill(aa(ellipse_sdf(xx, yy, cx, top, r, k * r)), mix(g * 1.08, clay, 0.45))
    inner = aa(ellipse_sdf(xx, yy, cx, top + k * r * 0.03, r * 0.9, k * r * 0.86))
    wall = g * (0.28 + 0.42 * smoothstep(-0.7, 0.8, u))[..., None]
    L.fill(inner, wall)
    if coffee:
        depth = height * 0.16
        cs = ellipse_sdf(xx, yy, cx, top + depth, r * 0.9, k * r * 0.9)
        liquid = mix((0.17, 0.09, 0.05), (0.30, 0.17, 0.09), smoothstep(-1, 1, u))
        crema = np.exp(-(((cs + 2.5) / 2.5) ** 2))
        liquid = liquid + (0.35 * crema)[..., None] * np.asarray((0.6, 0.42, 0.26), F32)
        refl = aa(ellipse_sdf(xx, yy, cx - 0.35 * r, top + depth - 0.3 * k * r, 0.28 * r, 0.12 * k * r) - 3)
        liquid = liquid + (0.25 * blur(refl, 3))[..., None]
        L.fill(aa(cs) * inner, liquid)
    return Standing(L, (cx, base), (r, k * r), body)


def draw_vase(
    rng: np.random.Generator,
    height: float,
    width: float,
    glaze: Color,
    glaze2: Color,
    k: float = 0.26,
    stems: int = 3,
) -> Standing:
    """Round-bellied bud vase with a reactive two-tone glaze and a few olive sprigs."""
    R = width / 2
    stem_h = height * 1.1 if stems else 0
    pad = int(R * 0.2) + 6
    L = Layer(width * 2.2 + 2 * pad, height + stem_h + 2 * k * R + 2 * pad)
    cx, top = L.w / 2, pad + stem_h + k * R * 0.3
    base = top + height
    # olive sprigs first: the vase body hides their lower ends
    if stems:
        draw_sprigs(rng, L, cx, top + height * 0.1, stem_h + height * 0.1, stems, spread=width * 0.9)
    ctrl = [
        (0.0, 0.30),
        (0.05, 0.24),
        (0.14, 0.19),
        (0.30, 0.30),
        (0.52, 0.78),
        (0.72, 1.0),
        (0.90, 0.88),
        (1.0, 0.62),
    ]
    curve = catmull_rom([(t * height, f * R) for t, f in ctrl], n=30)
    py = np.asarray([p[0] for p in curve], F32)
    pr = np.asarray([p[1] for p in curve], F32)
    mask, u, nx, ny, nz, _ = _revolve(L, cx, top, py, pr, k)
    h, w = L.h, L.w
    # dipped glaze: the upper part in ``glaze2`` with a dripping edge, breaking lighter on the belly
    drips = value_noise(rng, h, w, height * 0.3, R * 0.09, octaves=2)
    edge = (L.yy - top) / height - 0.5 - 0.1 * np.clip(drips, -0.4, 1.0)
    t = smoothstep(-0.02, 0.02, edge)
    pool = value_noise(rng, h, w, R * 0.4, octaves=3) * 0.05
    alb = (
        mix(glaze2, glaze, t) * (1 + pool)[..., None] * (1 - 0.5 * speckle(rng, h, w, 0.002, 0.6))[..., None]
    )
    col = shade(alb, nx, ny, nz, amb=0.36, dif=0.72)
    col = col + (0.18 * np.clip(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0, 1) ** 30)[..., None]
    col = col + (0.1 * window_stripe(u, L.yy, top + height * 0.2, base, -0.5, 0.12))[..., None]
    col = col * (0.8 + 0.2 * nz)[..., None]
    L.fill(mask, col)
    lip = aa(ellipse_sdf(L.xx, L.yy, cx, top, pr[0], k * pr[0]))
    L.fill(lip, mix(glaze, (0.78, 0.66, 0.54), 0.5))
    L.fill(aa(ellipse_sdf(L.xx, L.yy, cx, top + 1, pr[0] * 0.66, k * pr[0] * 0.62)), (0.09, 0.07, 0.05))
    return Standing(L, (cx, base), (pr[-1], k * pr[-1]), np.clip(mask + lip, 0, 1))


def leaf_layer_fill(
    L: Layer,
    cx: float,
    cy: float,
    length: float,
    width: float,
    angle: float,
    color: Color,
    rng: np.random.Generator,
    midrib: bool = True,
    round_tip: bool = False,
) -> None:
    """One leaf (pointed or round) at an angle, shaded across its midrib, drawn within its bounding box."""
    rad = length * 0.6 + 2
    x0, x1 = max(0, int(cx - rad)), min(L.w, int(cx + rad) + 2)
    y0, y1 = max(0, int(cy - rad)), min(L.h, int(cy + rad) + 2)
    if x0 >= x1 or y0 >= y1:
        return
    xx, yy = L.xx[y0:y1, x0:x1], L.yy[y0:y1, x0:x1]
    ca, sa = math.cos(angle), math.sin(angle)
    a = ((xx - cx) * ca + (yy - cy) * sa) / (length / 2)  # along the leaf, -1..1
    b = (-(xx - cx) * sa + (yy - cy) * ca) / (width / 2)  # across
    if round_tip:
        prof = np.sqrt(np.clip(1 - a * a, 0, 1))
    else:
        prof = np.sqrt(np.clip(1 - a * a, 0, 1)) * (1 - 0.35 * np.clip(a, 0, 1)) ** 1.2
    edge = np.maximum((np.abs(b) - prof) * width / 2, (np.abs(a) - 1) * length / 2)
    m = aa(edge)
    c = np.asarray(color, F32) * (1 + 0.08 * rng.standard_normal())
    side = np.sign(b) * np.clip(np.abs(b), 0, 1)
    lit = 0.8 + 0.25 * (-side * (ca * LIGHT[1] - sa * LIGHT[0]) * 2) + 0.15 * (1 - np.abs(b))
    col = c * lit[..., None]
    if midrib:
        rib = np.exp(-(((b * width / 2) / max(0.6, width * 0.03)) ** 2)) * (np.abs(a) < 0.95)
        col = col * (1 + 0.25 * rib)[..., None]
    sub = Layer(x1 - x0, y1 - y0)
    sub.fill(m, col)
    L.over(sub, x0, y0)


def draw_sprigs(
    rng: np.random.Generator, L: Layer, x: float, y: float, length: float, n: int, spread: float
) -> None:
    """Olive sprigs: thin curved stems with narrow grey-green leaves in alternate pairs."""
    for i in range(n):
        lean = (i - (n - 1) / 2) / max(1, n - 1) * 2
        tip = (x + lean * spread * 0.6 + rng.uniform(-0.1, 0.1) * spread, y - length * rng.uniform(0.8, 1.0))
        mid = (x + lean * spread * 0.15, y - length * 0.5)
        pts = catmull_rom([(x, y), mid, tip], n=24)
        L.fill(line_mask(L.w, L.h, [pts], max(1.5, length * 0.008)), (0.42, 0.36, 0.26))
        for j in range(6, len(pts) - 1, 5):
            (px, py), (qx, qy) = pts[j], pts[j + 1]
            ang = math.atan2(qy - py, qx - px)
            for sgn in (-1, 1):
                la = ang + sgn * rng.uniform(0.5, 0.9)
                ll = length * rng.uniform(0.11, 0.16)
                lx, ly = px + math.cos(la) * ll * 0.5, py + math.sin(la) * ll * 0.5
                green = (0.50, 0.56, 0.44) if rng.random() < 0.6 else (0.40, 0.47, 0.36)
                leaf_layer_fill(L, lx, ly, ll, ll * 0.24, la, green, rng)


def draw_candle(
    rng: np.random.Generator,
    r: float,
    height: float,
    vessel: Color,
    k: float = 0.28,
    label: str = "FIG & CEDAR",
) -> Standing:
    """Soy candle in a matte ceramic tumbler with a wrapped kraft label; the flame is drawn separately."""
    pad = int(r * 0.12) + 6
    L = Layer(2 * r + 2 * pad, height + 2 * k * r + 2 * pad + r * 0.2)
    cx, top = L.w / 2, pad + k * r + r * 0.2
    base = top + height
    xx, yy = L.xx, L.yy
    u = (xx - cx) / r
    s = np.sqrt(np.clip(1 - u * u, 0, 1))
    body = aa(np.abs(xx - cx) - r) * aa(top + k * r * s - yy) * aa(yy - (base + k * r * s))
    h, w = L.h, L.w
    alb = np.asarray(vessel, F32) * (1 + 0.03 * value_noise(rng, h, w, r * 0.3, octaves=2))[..., None]
    alb = alb * (1 - 0.4 * speckle(rng, h, w, 0.001, 0.6))[..., None]
    # kraft label wrapped around the cylinder: texture sampled through arcsin(u)
    band0, band1 = top + height * 0.34, top + height * 0.72
    yb = yy - k * r * s
    on_label = smoothstep(band0 - 0.6, band0 + 0.6, yb) * (1 - smoothstep(band1 - 0.6, band1 + 0.6, yb))
    lu = np.arcsin(np.clip(u, -1, 1)) / (math.pi / 2)
    on_label = on_label * (1 - smoothstep(0.62, 0.64, np.abs(lu)))
    kraft = np.asarray((0.79, 0.66, 0.48), F32) * (1 + 0.05 * value_noise(rng, h, w, 2.5, 9))[..., None]
    tw, th = 600, int(600 * (band1 - band0) / (r * 1.26 * math.pi / 2))
    tex = np.zeros((th, tw), F32)
    mark = text_image("ODA & LUNE", th * 0.17, spacing=0.25)
    stamp(tex, mark, tw / 2, th * 0.32)
    sub = text_image(label, th * 0.11, spacing=0.3)
    stamp(tex, sub, tw / 2, th * 0.62)
    stamp(
        tex,
        text_image("SOY WAX  ·  200 G" if height < r * 2.2 else "SOY WAX  ·  400 G", th * 0.07, 0.2),
        tw / 2,
        th * 0.82,
    )
    ty = np.clip((yb - band0) / (band1 - band0) * th, 0, th - 1).astype(np.int32)
    tx = np.clip((lu / 0.63 + 1) / 2 * tw, 0, tw - 1).astype(np.int32)
    ink = tex[ty, tx] * on_label
    alb = mix(alb, kraft, on_label)
    alb = mix(alb, (0.16, 0.13, 0.10), ink * 0.9)
    col = shade(alb, u, np.zeros_like(u), s, amb=0.38, dif=0.66)
    col = col + (0.08 * np.clip(u * HALF[0] + s * HALF[2], 0, 1) ** 12)[..., None]
    col = col * (0.8 + 0.2 * s)[..., None]
    L.fill(body, col)
    # rim, wax pool, wick
    L.fill(aa(ellipse_sdf(xx, yy, cx, top, r, k * r)), np.asarray(vessel, F32) * 1.05)
    inner = aa(ellipse_sdf(xx, yy, cx, top + 1, r * 0.9, k * r * 0.88))
    L.fill(inner, np.asarray(vessel, F32) * (0.35 + 0.35 * smoothstep(-0.8, 0.8, u))[..., None])
    depth = height * 0.08
    wax_sd = ellipse_sdf(xx, yy, cx, top + depth, r * 0.9, k * r * 0.9)
    pool = aa(ellipse_sdf(xx, yy, cx, top + depth, r * 0.35, k * r * 0.35) + 2)
    wax = mix((0.90, 0.84, 0.72), (0.98, 0.86, 0.62), blur(pool, 4))
    L.fill(aa(wax_sd) * inner, wax * (0.85 + 0.15 * smoothstep(-1, 1, u))[..., None])
    wick_top = top + depth - r * 0.16
    L.fill(
        line_mask(w, h, [[(cx, top + depth), (cx + r * 0.015, wick_top)]], max(1.5, r * 0.03)),
        (0.08, 0.06, 0.05),
    )
    return Standing(L, (cx, base), (r, k * r), body, flame=(cx + r * 0.015, wick_top))


def draw_flame(fh: float, sway: float = 0.0, stretch: float = 1.0) -> tuple[Layer, tuple[float, float]]:
    """An emissive candle flame ``fh`` px tall; returns the layer and the layer-local wick point."""
    fw = fh * 0.2
    L = Layer(fw * 6 + 8, fh * 1.7 + 8)
    bx, by = L.w / 2, L.h - fh * 0.15 - 4
    t = (by - L.yy) / (fh * stretch)
    off = sway * fw * np.clip(t, 0, 1) ** 2
    half = fw * np.clip(t, 0, 1) ** 0.5 * np.clip(1 - t, 0, 1) ** 0.9 * 1.9 + 1e-3
    d = np.abs(L.xx - bx - off) / half
    inside = smoothstep(1.0, 0.55, d) * smoothstep(-0.02, 0.08, t) * (t < 1)
    core = smoothstep(0.75, 0.2, d) * smoothstep(0.05, 0.2, t) * (1 - smoothstep(0.45, 0.8, t))
    blue = smoothstep(0.15, 0.02, t) * smoothstep(1.0, 0.4, d)
    col = mix((1.0, 0.55, 0.16), (1.25, 1.12, 0.9), core)
    col = mix(col, (0.35, 0.42, 0.9), blue * 0.6)
    alpha = np.clip(inside * (0.55 + 0.45 * core) * (1 - 0.5 * blue), 0, 1)
    L.fill(blur(alpha, fh * 0.02), col)
    return L, (bx, by + fh * 0.06)


def draw_pot(
    rng: np.random.Generator, r: float, height: float, k: float = 0.26, plant: bool = True, leaves: int = 22
) -> Standing:
    """Terracotta pot with a rolled rim, dark soil and a Pilea (round coin leaves on thin stems)."""
    plant_h = r * 2.1 if plant else 0
    pad = int(r * 0.15) + 6
    L = Layer(r * 4.0 + 2 * pad, height + plant_h + 2 * k * r + 2 * pad)
    cx, top = L.w / 2, pad + plant_h + k * r * 1.1
    base = top + height
    h, w = L.h, L.w
    rim_h = height * 0.2
    py = np.linspace(0, height, 400, dtype=F32)
    pr = np.interp(py, [0, rim_h, rim_h + 0.004 * height, height], [r * 1.06, r * 1.06, r * 0.99, r * 0.78])
    mask, u, nx, ny, nz, depth = _revolve(L, cx, top, py, pr, k)
    terr = np.asarray((0.74, 0.43, 0.30), F32)
    mott = value_noise(rng, h, w, r * 0.25, octaves=3)
    salts = np.clip(value_noise(rng, h, w, r * 0.3, octaves=3) - 0.5, 0, 1) * 0.8
    alb = terr * (1 + 0.06 * mott)[..., None]
    alb = mix(alb, (0.86, 0.78, 0.70), salts * 0.5)
    alb = alb * (1 - 0.3 * speckle(rng, h, w, 0.002, 0.5))[..., None]
    col = shade(alb, nx, ny, nz, amb=0.38, dif=0.7)
    below_rim = np.clip((depth - rim_h) / (height * 0.08), 0, 1)
    col = col * (1 - 0.3 * np.exp(-below_rim * 3) * (depth > rim_h))[..., None]  # the rim's shadow
    col = col * (0.8 + 0.2 * nz)[..., None]
    L.fill(mask, col)
    L.fill(aa(ellipse_sdf(L.xx, L.yy, cx, top, r * 1.06, k * r * 1.06)), terr * 1.1)
    soil_sd = ellipse_sdf(L.xx, L.yy, cx, top + 2, r * 0.93, k * r * 0.9)
    soil = np.asarray((0.20, 0.13, 0.09), F32) * (1 + 0.35 * value_noise(rng, h, w, 2.0))[..., None]
    soil = soil * (0.6 + 0.4 * smoothstep(-0.9, 0.9, u))[..., None]
    L.fill(aa(soil_sd), soil)
    body = np.clip(mask + aa(ellipse_sdf(L.xx, L.yy, cx, top, r * 1.06, k * r * 1.06)), 0, 1)
    if plant:
        draw_pilea(rng, L, cx, top + k * r * 0.2, r, plant_h, leaves)
    return Standing(L, (cx, base), (r * 0.78, k * r * 0.78), body)


def draw_pilea(rng: np.random.Generator, L: Layer, x: float, y: float, r: float, hgt: float, n: int) -> None:
    """Pilea peperomioides: stems fan out from the soil, each ending in a round, glossy leaf."""
    specs = []
    for _ in range(n):
        ang = rng.uniform(-math.pi * 0.92, -math.pi * 0.08)
        reach = rng.uniform(0.45, 1.0)
        lx = x + math.cos(ang) * r * 1.7 * reach
        ly = y + math.sin(ang) * hgt * reach
        specs.append((ly, lx, reach, ang))
    specs.sort()
    for ly, lx, reach, ang in specs:
        mid = (x + (lx - x) * 0.4, y + (ly - y) * 0.6)
        L.fill(
            line_mask(L.w, L.h, [catmull_rom([(x, y), mid, (lx, ly)], n=10)], max(1.5, r * 0.022)),
            (0.42, 0.55, 0.30),
        )
        size = r * rng.uniform(0.34, 0.52) * (0.7 + 0.3 * reach)
        tilt = rng.uniform(0.35, 1.0)
        green = (0.22, 0.42, 0.17) if rng.random() < 0.5 else (0.28, 0.48, 0.20)
        leaf_layer_fill(
            L,
            lx,
            ly,
            size,
            size * tilt,
            ang + rng.uniform(-0.5, 0.5),
            green,
            rng,
            midrib=False,
            round_tip=True,
        )
        # the petiole dot that makes a pilea leaf read as one
        d = aa(np.hypot(L.xx - lx, L.yy - ly) - max(1.2, size * 0.045))
        L.multiply(d, 0.75)


# -- flat-lay (top view) products ------------------------------------------------------------------


def fabric_shade(
    L: Layer,
    mask: np.ndarray,
    albedo: np.ndarray,
    hmap: np.ndarray,
    relief: float,
    amb: float = 0.5,
    dif: float = 0.62,
) -> np.ndarray:
    """Shade cloth from a height field; edges puff up (the blurred mask) so pieces look soft and thick."""
    nx, ny, nz = height_normals(hmap, relief)
    return shade(albedo, nx, ny, nz, amb=amb, dif=dif)


def draw_shirt(rng: np.random.Generator, width: float, color: Color) -> Layer:
    """A folded button-down linen shirt seen from above: collar, placket, buttons, chest pocket."""
    Wd, Ht = width, width * 1.3
    pad = int(width * 0.04)
    L = Layer(Wd + 2 * pad, Ht + 2 * pad)
    xx, yy = L.xx, L.yy
    cx, y0 = L.w / 2, pad + Ht * 0.05
    h, w = L.h, L.w
    body = aa(round_rect_sdf(xx, yy, cx, pad + (Ht * 0.05 + Ht) / 2, Wd / 2, (Ht * 0.95) / 2, Wd * 0.035))
    # shoulders fall away slightly from the collar
    shoulder = poly_mask(
        w,
        h,
        [
            [(pad - 2, y0 - 2), (cx - Wd * 0.2, y0 - 2), (pad - 2, y0 + Ht * 0.045)],
            [(w - pad + 2, y0 - 2), (cx + Wd * 0.2, y0 - 2), (w - pad + 2, y0 + Ht * 0.045)],
        ],
    )
    body = np.clip(body - shoulder, 0, 1)
    base = np.asarray(color, F32)
    tex = linen_texture(rng, h, w, max(2.0, width / 420))
    alb = base * (1 + 0.05 * tex)[..., None]
    # relief: puffy edges, soft wrinkles, and two horizontal fold lines of a shop fold
    hmap = blur(body, width * 0.03) * 10
    hmap += value_noise(rng, h, w, width * 0.18, octaves=3) * 2.2
    hmap += value_noise(rng, h, w, width * 0.04, width * 0.12) * 0.4
    for fy in (0.62, 0.98):
        hmap -= 1.6 * np.exp(-(((yy - y0 - Ht * fy * 0.95) / (width * 0.012)) ** 2))
    col = fabric_shade(L, body, alb, hmap, 1.0)
    L.fill(body, col)
    # neck opening: the inside back of the collar, in shadow
    neck = aa(ellipse_sdf(xx, yy, cx, y0 + Ht * 0.035, Wd * 0.16, Ht * 0.06))
    L.fill(neck, alb * 0.55)
    band = aa(np.abs(ellipse_sdf(xx, yy, cx, y0 + Ht * 0.035, Wd * 0.175, Ht * 0.07)) - Wd * 0.018)
    L.fill(
        band * (yy < y0 + Ht * 0.07), fabric_shade(L, band, alb * 1.02, blur(band, 4) * 8 + hmap * 0.2, 1.0)
    )
    # placket and pocket (stitched, slightly raised)
    pk = aa(np.abs(xx - cx) - Wd * 0.045) * (yy > y0 + Ht * 0.08) * aa(yy - (pad + Ht) + 2)
    ph = hmap + blur(pk, 3) * 3
    L.fill(pk, fabric_shade(L, pk, alb * 1.02, ph, 1.0))
    pocket = aa(round_rect_sdf(xx, yy, cx - Wd * 0.24, y0 + Ht * 0.33, Wd * 0.12, Ht * 0.085, 4))
    pocket = pocket * aa(yy - (y0 + Ht * 0.405 + 0.1 * np.abs(xx - (cx - Wd * 0.24))))
    L.fill(pocket, fabric_shade(L, pocket, alb * 1.01, hmap + blur(pocket, 3) * 3, 1.0))
    stitches = [
        [(cx - Wd * 0.045 + 5, y0 + Ht * 0.09), (cx - Wd * 0.045 + 5, pad + Ht - 6)],
        [(cx + Wd * 0.045 - 5, y0 + Ht * 0.09), (cx + Wd * 0.045 - 5, pad + Ht - 6)],
        [(cx - Wd * 0.36 + 6, y0 + Ht * 0.255), (cx - Wd * 0.12 - 6, y0 + Ht * 0.255)],
    ]
    L.multiply(line_mask(w, h, stitches, max(1.0, width * 0.0018), dash=width * 0.008), 0.8)
    seam = line_mask(w, h, [[(cx - Wd * 0.045, y0 + Ht * 0.08), (cx - Wd * 0.045, pad + Ht)]], width * 0.003)
    L.multiply(blur(seam, 1.5), 0.75)
    # collar points lie over the yoke
    for sgn in (-1, 1):
        pts = [
            (cx + sgn * Wd * 0.02, y0 + Ht * 0.075),
            (cx + sgn * Wd * 0.175, y0 - Ht * 0.005),
            (cx + sgn * Wd * 0.25, y0 + Ht * 0.05),
            (cx + sgn * Wd * 0.09, y0 + Ht * 0.2),
        ]
        cm = poly_mask(w, h, [pts])
        L.multiply(blur(shift(cm, 4, 6), 5) * (1 - cm), 0.7)
        L.fill(cm, fabric_shade(L, cm, alb * 1.03, hmap + blur(cm, 5) * 5, 1.0))
        edge = [
            (pts[1][0] - sgn * 8, pts[1][1] + 7),
            (pts[2][0] - sgn * 8, pts[2][1]),
            (pts[3][0], pts[3][1] - 9),
        ]
        L.multiply(line_mask(w, h, [edge], max(1.0, width * 0.0016), dash=width * 0.007), 0.82)
    # corozo buttons
    br = Wd * 0.018
    for fy in (0.13, 0.29, 0.45, 0.61, 0.77, 0.93):
        bx, by = cx, y0 + Ht * fy
        d = np.hypot(xx - bx, yy - by)
        L.multiply(blur(aa(d - br) * 1.0, 2.5) * (1 - aa(d - br)), 0.75)
        nxb, nyb = (xx - bx) / br, (yy - by) / br
        dome = np.sqrt(np.clip(1 - 0.5 * (nxb**2 + nyb**2), 0, 1))
        L.fill(
            aa(d - br), shade((0.90, 0.86, 0.78), nxb * 0.5, nyb * 0.5, dome, amb=0.55, dif=0.55, spec=0.3)
        )
        for hx in (-0.32, 0.32):
            L.multiply(aa(np.hypot(xx - bx - hx * br, yy - by) - br * 0.16), 0.45)
    return L


def draw_sunglasses(rng: np.random.Generator, R: float, tortoise: bool = True) -> Layer:
    """Round acetate sunglasses lying lens-up, temples folded behind tinted lenses."""
    rim = R * 0.17
    bridge = R * 0.55
    W = 4 * R + bridge + 2 * rim + R * 0.5
    L = Layer(W, 2 * R + 2 * rim + R * 0.5)
    xx, yy = L.xx, L.yy
    cy = L.h / 2
    cxs = (L.w / 2 - bridge / 2 - R, L.w / 2 + bridge / 2 + R)
    h, w = L.h, L.w
    if tortoise:
        blot = value_noise(rng, h, w, R * 0.12, octaves=3)
        acetate = mix((0.30, 0.15, 0.06), (0.72, 0.42, 0.14), smoothstep(0.1, 0.6, blot))
        acetate = mix(acetate, (0.08, 0.04, 0.02), smoothstep(-0.25, -0.6, blot))
    else:
        acetate = np.broadcast_to(np.asarray((0.06, 0.06, 0.065), F32), (h, w, 3))
    # temples, folded: seen through the lenses
    for sgn in (-1, 1):
        hx = cxs[0 if sgn < 0 else 1] + sgn * (R + rim * 0.6)
        tip = (cxs[1 if sgn < 0 else 0] - sgn * R * 0.25, cy - R * 0.28 + sgn * R * 0.08)
        tm = line_mask(w, h, [[(hx, cy - R * 0.45), tip]], rim * 0.7)
        L.fill(tm, acetate * 0.7)
    lens_sd = [np.hypot(xx - c, yy - cy) - R for c in cxs]
    for sd, c in zip(lens_sd, cxs):
        inside = aa(sd)
        grad = smoothstep(cy - R, cy + R, yy)
        tint = mix((0.10, 0.12, 0.08), (0.26, 0.24, 0.16), grad)
        refl = smoothstep(0.25, -0.2, ((xx - c) + (yy - cy)) / R + 0.6) * 0.25
        L.fill(inside * 0.9, tint + refl[..., None])
        streak = np.exp(-(((((xx - c) - (yy - cy)) / R + 0.1) / 0.12) ** 2)) * inside * 0.2
        L.rgb += streak[..., None] * np.asarray((1, 1, 1), F32)
    # frame rings and the keyhole bridge, shaded as glossy tubes
    for sd, c in zip(lens_sd, cxs):
        v = np.clip((sd - rim / 2) / (rim / 2), -1, 1)
        ring = aa(np.abs(sd - rim / 2) - rim / 2)
        dx, dy = (xx - c), (yy - cy)
        dl = np.hypot(dx, dy) + 1e-3
        col = shade(
            acetate, dx / dl * v, dy / dl * v, np.sqrt(1 - v * v), amb=0.45, dif=0.6, spec=0.55, shin=40
        )
        L.fill(ring, col)
    bpts = [
        (cxs[0] + R + rim * 0.3, cy - R * 0.35),
        (L.w / 2, cy - R * 0.55),
        (cxs[1] - R - rim * 0.3, cy - R * 0.35),
    ]
    bm = line_mask(w, h, [catmull_rom(bpts, 16)], rim * 0.8)
    hb = blur(bm, rim * 0.3)
    nx, ny, nz = height_normals(hb, rim * 0.8)
    L.fill(bm, shade(acetate, nx, ny, nz, amb=0.45, dif=0.6, spec=0.55, shin=40))
    # hinges
    for c, sgn in ((cxs[0], -1), (cxs[1], 1)):
        L.fill(
            aa(round_rect_sdf(xx, yy, c + sgn * (R + rim * 0.9), cy - R * 0.45, rim * 0.6, rim * 0.45, 2)),
            (0.78, 0.74, 0.66),
        )
    return L


def draw_cap(rng: np.random.Generator, R: float, color: Color) -> Layer:
    """Six-panel cotton cap from above: domed crown with seams and eyelets, curved brim, crescent mark."""
    pad = int(R * 0.08) + 4
    L = Layer(2 * R + 2 * pad, 2 * R + R * 0.95 + 2 * pad)
    xx, yy = L.xx, L.yy
    cx, cy = L.w / 2, pad + R
    h, w = L.h, L.w
    base = np.asarray(color, F32)
    twill = np.sin((xx + yy) * 2 * math.pi / max(2.5, R / 90)) * 0.5 + value_noise(rng, h, w, 2, 10) * 0.5
    washed = value_noise(rng, h, w, R * 0.25, octaves=3)
    alb = base * (1 + 0.04 * twill + 0.06 * washed)[..., None]
    # brim
    bsd = ellipse_sdf(xx, yy, cx, cy + R * 0.5, R * 0.86, R * 1.35)
    brim = aa(bsd) * (yy > cy)
    bh = blur(brim, R * 0.05) * 6
    L.fill(brim, fabric_shade(L, brim, alb, bh, 1.0, amb=0.55, dif=0.55))
    rows = [
        [
            (cx + R * 0.86 * f * math.cos(t), cy + R * 0.5 + R * 1.35 * f * math.sin(t))
            for t in np.linspace(0.05, math.pi - 0.05, 60)
        ]
        for f in (0.93, 0.86, 0.79, 0.72)
    ]
    L.multiply(line_mask(w, h, rows, max(1.0, R * 0.008), dash=R * 0.03) * brim, 0.82)
    # crown shadow onto the brim
    d = np.hypot(xx - cx, yy - cy)
    L.multiply(blur(aa(d - R), R * 0.06) * (1 - aa(d - R)) * brim, 0.55)
    # crown: a dome, panels meeting at the button
    crown = aa(d - R)
    rho = np.clip(d / R, 0, 1)
    nx, ny = (xx - cx) / R * 0.8, (yy - cy) / R * 0.8
    nz = np.sqrt(np.clip(1 - (0.8 * rho) ** 2, 0, 1))
    ang = np.arctan2(yy - cy, xx - cx)
    panel = np.cos(6 * (ang - math.pi / 2))  # each panel bulges a little between seams
    col = shade(alb * (1 + 0.03 * panel)[..., None], nx, ny, nz, amb=0.5, dif=0.6)
    L.fill(crown, col)
    seams = []
    for i in range(6):
        t = math.pi / 2 + math.pi / 6 + i * math.pi / 3
        seams.append(
            [
                (cx + math.cos(t) * R * 0.06, cy + math.sin(t) * R * 0.06),
                (cx + math.cos(t) * R * 0.99, cy + math.sin(t) * R * 0.99),
            ]
        )
    L.multiply(blur(line_mask(w, h, seams, max(1.5, R * 0.014)), 1.2), 0.6)
    for i in range(6):
        t = math.pi / 2 + math.pi / 6 + i * math.pi / 3
        for off in (-0.035, 0.035):
            pts = [
                (cx + math.cos(t + off / f) * R * f, cy + math.sin(t + off / f) * R * f) for f in (0.15, 0.98)
            ]
            L.multiply(line_mask(w, h, [pts], max(1.0, R * 0.007), dash=R * 0.025), 0.8)
        et = t + math.pi / 6
        ex, ey = cx + math.cos(et) * R * 0.62, cy + math.sin(et) * R * 0.62
        if math.sin(et) < 0.2:
            de = np.hypot(xx - ex, yy - ey)
            L.multiply(aa(np.abs(de - R * 0.03) - R * 0.01), 0.7)
            L.multiply(aa(de - R * 0.018), 0.35)
    db = np.hypot(xx - cx, yy - cy)
    L.fill(
        aa(db - R * 0.07),
        shade(alb, (xx - cx) / R * 6, (yy - cy) / R * 6, np.ones_like(xx), amb=0.5, dif=0.55),
    )
    # embroidered crescent on the front panels
    mark = crescent(xx, yy, cx, cy + R * 0.62, R * 0.13)
    L.fill(mark * 0.95, shade((0.94, 0.91, 0.84), np.zeros_like(xx), -blur(mark, 2) * 0.3, np.ones_like(xx)))
    return L


def draw_watch(rng: np.random.Generator, R: float, strap: Color, steel: Color = (0.80, 0.79, 0.76)) -> Layer:
    """A minimal watch from above: brushed case, cream dial at 10:10, stitched leather strap with buckle."""
    sw = R * 0.52
    L = Layer(R * 2.7, R * 7.2)
    xx, yy = L.xx, L.yy
    cx, cy = L.w / 2, L.h * 0.5
    h, w = L.h, L.w
    leather = (
        np.asarray(strap, F32)
        * (1 + 0.05 * value_noise(rng, h, w, 1.5) + 0.05 * value_noise(rng, h, w, R * 0.4))[..., None]
    )
    top0, bot1 = R * 0.25, L.h - R * 0.2
    straps = aa(round_rect_sdf(xx, yy, cx, (top0 + cy) / 2, sw, (cy - top0) / 2, sw * 0.25))
    straps = np.maximum(
        straps, aa(round_rect_sdf(xx, yy, cx, (cy + bot1) / 2, sw, (bot1 - cy) / 2, sw * 0.98))
    )
    hm = blur(straps, sw * 0.25) * 8
    L.fill(straps, fabric_shade(L, straps, leather, hm, 1.0, amb=0.5, dif=0.6))
    edge = [[(cx + sg * sw * 0.82, top0 + sw * 0.3), (cx + sg * sw * 0.82, bot1 - sw)] for sg in (-1, 1)]
    L.multiply(line_mask(w, h, edge, max(1.0, R * 0.02), dash=R * 0.06) * straps, 1.45)
    for i in range(5):
        hy = cy + R * 2.1 + i * R * 0.33
        dh = np.hypot(xx - cx, yy - hy)
        L.multiply(aa(dh - R * 0.055), 0.3)
    # buckle and keeper near the top end
    bk = np.abs(round_rect_sdf(xx, yy, cx, top0 + R * 0.75, sw * 1.18, R * 0.28, R * 0.08)) - R * 0.05
    L.multiply(blur(aa(bk - 3), 3) * 1.0, 0.7)
    L.fill(
        aa(bk),
        shade(
            steel,
            np.zeros_like(xx),
            np.clip((yy - top0 - R * 0.75) / R, -1, 1) * 0.6,
            np.ones_like(xx),
            amb=0.55,
            dif=0.5,
            spec=0.4,
        ),
    )
    L.fill(aa(np.abs(xx - cx) - R * 0.04) * aa(np.abs(yy - top0 - R * 0.75) - R * 0.33), steel)
    L.fill(
        aa(np.abs(xx - cx) - sw * 1.05) * aa(np.abs(yy - top0 - R * 1.35) - R * 0.07),
        np.asarray(strap, F32) * 0.8,
    )
    # lugs, case, crown
    for sx in (-1, 1):
        for sy in (-1, 1):
            L.fill(
                aa(
                    round_rect_sdf(
                        xx, yy, cx + sx * sw * 0.78, cy + sy * R * 0.95, R * 0.09, R * 0.2, R * 0.05
                    )
                ),
                steel,
            )
    L.fill(
        aa(round_rect_sdf(xx, yy, cx + R * 1.05, cy, R * 0.09, R * 0.13, R * 0.04)),
        np.asarray(steel, F32) * 0.9,
    )
    d = np.hypot(xx - cx, yy - cy)
    ang = np.arctan2(yy - cy, xx - cx)
    brushed = 0.62 + 0.3 * np.cos(ang + 2.3) + 0.06 * np.cos(3 * ang) + 0.04 * value_noise(rng, h, w, 1, 8)
    L.fill(aa(d - R), np.asarray(steel, F32) * brushed[..., None])
    dial_r = R * 0.86
    dial = aa(d - dial_r)
    L.fill(dial, mix((0.96, 0.94, 0.89), (0.86, 0.84, 0.79), smoothstep(0, dial_r, d)))
    marks = []
    for i in range(12):
        t = i * math.pi / 6
        r0 = dial_r * (0.74 if i % 3 == 0 else 0.8)
        marks.append(
            [
                (cx + math.sin(t) * r0, cy - math.cos(t) * r0),
                (cx + math.sin(t) * dial_r * 0.9, cy - math.cos(t) * dial_r * 0.9),
            ]
        )
    L.fill(line_mask(w, h, marks, max(1.5, R * 0.03)), (0.14, 0.14, 0.14))
    stamp_mask = np.zeros((h, w), F32)
    stamp(stamp_mask, text_image("ODA & LUNE", R * 0.1, spacing=0.2), cx, cy - dial_r * 0.42)
    L.fill(stamp_mask, (0.2, 0.2, 0.2))
    for frac, length, width in ((10 + 10 / 60) / 12, 0.5, 0.055), (10 / 60, 0.75, 0.04):
        t = frac * 2 * math.pi
        tip = (cx + math.sin(t) * dial_r * length, cy - math.cos(t) * dial_r * length)
        tail = (cx - math.sin(t) * dial_r * 0.1, cy + math.cos(t) * dial_r * 0.1)
        hand = line_mask(w, h, [[tail, tip]], R * width)
        L.multiply(blur(shift(hand, 3, 4), 2.5) * dial, 0.8)
        L.fill(hand, (0.12, 0.12, 0.13))
    t = 0.62 * 2 * math.pi
    sec = line_mask(
        w,
        h,
        [
            [
                (cx - math.sin(t) * dial_r * 0.18, cy + math.cos(t) * dial_r * 0.18),
                (cx + math.sin(t) * dial_r * 0.82, cy - math.cos(t) * dial_r * 0.82),
            ]
        ],
        max(1.0, R * 0.012),
    )
    L.fill(sec, (0.72, 0.28, 0.12))
    L.fill(aa(d - R * 0.045), (0.2, 0.2, 0.2))
    glare = smoothstep(0.3, -0.4, ((xx - cx) + (yy - cy)) / dial_r) * dial * 0.12
    L.rgb += glare[..., None]
    return L


def draw_notebook(
    rng: np.random.Generator, w: float, h: float, cover: Color, band: Color = (0.15, 0.14, 0.13)
) -> Layer:
    """A closed cloth-bound notebook from above: page edges, elastic band, ribbon, debossed mark."""
    pad = int(w * 0.06)
    L = Layer(w + 2 * pad, h + 2 * pad + w * 0.12)
    xx, yy = L.xx, L.yy
    cx, cy = pad + w / 2, pad + h / 2
    hh, ww = L.h, L.w
    ribbon = aa(np.abs(xx - cx - w * 0.18) - w * 0.018) * (yy > cy) * aa(yy - (cy + h / 2 + w * 0.1))
    L.fill(ribbon, (0.55, 0.22, 0.16))
    pages = aa(round_rect_sdf(xx, yy, cx + w * 0.008, cy + w * 0.008, w / 2 - 2, h / 2 - 2, w * 0.03))
    L.fill(pages, (0.93, 0.90, 0.82) * (1 - 0.08 * (np.sin(xx * 1.7) > 0.6))[..., None])
    cov = aa(round_rect_sdf(xx, yy, cx - w * 0.004, cy - w * 0.004, w / 2 - 4, h / 2 - 4, w * 0.035))
    tex = linen_texture(rng, hh, ww, max(2.0, w / 300))
    alb = np.asarray(cover, F32) * (1 + 0.07 * tex)[..., None]
    hm = blur(cov, w * 0.02) * 5 + value_noise(rng, hh, ww, w * 0.3) * 0.5
    L.fill(cov, fabric_shade(L, cov, alb, hm, 1.0, amb=0.5, dif=0.6))
    mark = crescent(xx, yy, cx, cy + h * 0.3, w * 0.05)
    L.multiply(mark, 0.8)
    L.multiply(blur(shift(mark, 0, -2), 1.0) * (1 - mark), 1.15)
    bx = cx + w * 0.38
    bm = aa(np.abs(xx - bx) - w * 0.02) * aa(np.abs(yy - cy) - h / 2 - 2)
    L.multiply(blur(shift(bm, 5, 0), 3) * (1 - bm), 0.7)
    L.fill(
        bm,
        shade(
            band,
            -(xx - bx) / (w * 0.02) * 0.6,
            np.zeros_like(xx),
            np.sqrt(np.clip(1 - ((xx - bx) / (w * 0.02)) ** 2 * 0.36, 0, 1)),
            amb=0.6,
            dif=0.6,
            spec=0.15,
        ),
    )
    return L


def draw_pencil(length: float, color: Color = (0.22, 0.30, 0.24)) -> Layer:
    """A hexagonal pencil lying flat: faceted body, sharpened cedar cone, graphite, brass ferrule."""
    wd = length * 0.045
    L = Layer(length + 8, wd * 1.4 + 8)
    xx, yy = L.xx, L.yy
    cy = L.h / 2
    x0 = 4.0
    v = (yy - cy) / (wd / 2)
    facet = np.where(np.abs(v) < 0.33, 1.0, np.where(v < 0, 1.12, 0.78))
    body_end = x0 + length * 0.86
    body = aa(np.abs(yy - cy) - wd / 2) * aa(xx - body_end) * aa(x0 + length * 0.08 - xx)
    L.fill(body, np.asarray(color, F32) * facet[..., None])
    fer = aa(np.abs(yy - cy) - wd / 2 * 1.03) * aa(xx - (x0 + length * 0.08)) * aa(x0 + length * 0.01 - xx)
    L.fill(fer, np.asarray((0.78, 0.66, 0.38), F32) * (facet * (0.9 + 0.1 * np.sin(xx * 2)))[..., None])
    eraser = aa(round_rect_sdf(xx, yy, x0 + length * 0.01, cy, length * 0.02, wd / 2, wd * 0.2)) * (
        xx < x0 + length * 0.015
    )
    L.fill(eraser, (0.85, 0.55, 0.5))
    t = np.clip((xx - body_end) / (length * 0.12), 0, 1)
    cone = aa(np.abs(yy - cy) - wd / 2 * (1 - t)) * (xx >= body_end - 0.5) * (t < 1)
    L.fill(cone, mix((0.86, 0.70, 0.52), (0.2, 0.2, 0.22), smoothstep(0.62, 0.7, t)) * facet[..., None])
    return L


# -- upright, front-view products ------------------------------------------------------------------


def draw_tote(
    rng: np.random.Generator, w: float, h: float, color: Color, ink: Color
) -> tuple[Layer, np.ndarray, float]:
    """Canvas tote hanging by both handles from one peg; returns (layer, body mask, peg x)."""
    handle_h = h * 0.55
    pad = int(w * 0.08)
    L = Layer(w + 2 * pad, h + handle_h + 2 * pad)
    xx, yy = L.xx, L.yy
    cx, top = L.w / 2, pad + handle_h
    hh, ww = L.h, L.w
    peg = (cx, pad + w * 0.03)
    base = np.asarray(color, F32)
    tex = canvas_texture(rng, hh, ww, max(2.0, w / 380))
    alb = base * (1 + 0.05 * tex)[..., None]
    # back handle (darker, behind), then the body, then the front handle
    strap = w * 0.075
    for k, shade_f in ((1, 0.72), (0, 1.0)):
        off = w * (0.02 if k else 0.0)
        pts_l = catmull_rom(
            [
                (cx - w * 0.3 + off, top + 4),
                (cx - w * 0.17, top - handle_h * 0.5),
                (peg[0] - strap * 0.3, peg[1] + strap * 0.5),
            ],
            20,
        )
        pts_r = catmull_rom(
            [
                (peg[0] + strap * 0.3, peg[1] + strap * 0.5),
                (cx + w * 0.17, top - handle_h * 0.5),
                (cx + w * 0.3 - off, top + 4),
            ],
            20,
        )
        m = line_mask(ww, hh, [pts_l + pts_r], strap)
        hm = blur(m, strap * 0.3) * 6
        col = fabric_shade(L, m, alb * shade_f, hm, 1.0)
        if k == 1:
            L.fill(m, col)
            continue
        front_handle, front_col = m, col
    # body: slightly trapezoid, bottom sagging, with vertical drape folds pulled from the handles
    bottom = [(cx + w * 0.5 * t, top + h * (0.975 + 0.025 * (1 - t * t))) for t in np.linspace(1, -1, 21)]
    poly = [
        (cx - w * 0.46, top),
        (cx + w * 0.46, top),
        (cx + w * 0.49, top + h * 0.5),
        *bottom,
        (cx - w * 0.49, top + h * 0.5),
    ]
    body = poly_mask(ww, hh, [poly])
    rel = np.clip((yy - top) / h, 0, 1)
    folds = sum(
        np.sin((xx - cx) / w * math.pi * f + ph) * a
        for f, ph, a in ((3.1, 0.4, 1.0), (5.3, 1.7, 0.5), (8.9, 0.2, 0.25))
    )
    pull = np.exp(-(((np.abs(xx - cx) - w * 0.3) / (w * 0.08)) ** 2)) * np.exp(-rel * 5)
    hmap = (
        blur(body, w * 0.04) * 9
        + folds * (1.8 - 1.2 * rel)
        + pull * 4
        + value_noise(rng, hh, ww, w * 0.15, octaves=3) * 1.2
    )
    col = fabric_shade(L, body, alb, hmap, 1.0, amb=0.5, dif=0.6)
    col = col * (1 - 0.25 * smoothstep(0.75, 1.0, rel))[..., None]
    L.fill(body, col)
    hem = [[(cx - w * 0.46 + 8, top + h * f), (cx + w * 0.46 - 8, top + h * f)] for f in (0.03, 0.075)]
    L.multiply(line_mask(ww, hh, hem, max(1.0, w * 0.003), dash=w * 0.012), 0.78)
    L.multiply(
        blur(
            line_mask(ww, hh, [[(cx - w * 0.46, top + h * 0.095), (cx + w * 0.46, top + h * 0.095)]], 2), 1.5
        ),
        0.8,
    )
    # printed mark
    printm = crescent(xx, yy, cx, top + h * 0.45, w * 0.11)
    stamp(printm, text_image("ODA & LUNE", w * 0.065, spacing=0.35), cx, top + h * 0.65)
    stamp(printm, text_image("HOME  &  APPAREL", w * 0.028, spacing=0.4), cx, top + h * 0.72)
    printm *= 0.9 + 0.1 * tex
    L.multiply(printm * 0.9, np.asarray(ink, F32) / base)
    # front handle over the body, with its stitched attachment square
    L.multiply(blur(shift(front_handle, 6, 0), 6) * (1 - front_handle) * body, 0.75)
    L.fill(front_handle, front_col)
    for sx in (-1, 1):
        ax = cx + sx * w * 0.3
        sq = [
            [
                (ax - strap * 0.4, top + h * 0.02),
                (ax + strap * 0.4, top + h * 0.02),
                (ax + strap * 0.4, top + h * 0.09),
                (ax - strap * 0.4, top + h * 0.09),
                (ax - strap * 0.4, top + h * 0.02),
                (ax + strap * 0.4, top + h * 0.09),
            ]
        ]
        am = aa(np.abs(xx - ax) - strap / 2) * aa(np.abs(yy - top - h * 0.05) - h * 0.055)
        L.fill(am, fabric_shade(L, am, alb, blur(am, 4) * 4 + hmap * 0.3, 1.0))
        L.multiply(line_mask(ww, hh, sq, max(1.0, w * 0.003), dash=w * 0.01), 0.75)
    return L, body, peg[0]


def draw_scarf(rng: np.random.Generator, w: float, h: float, color: Color) -> tuple[Layer, float]:
    """A rib-knit scarf folded over a peg: two hanging tails with fringe; returns (layer, peg x)."""
    pad = int(w * 0.2)
    L = Layer(w * 1.6 + 2 * pad, h + 2 * pad + h * 0.08)
    xx, yy = L.xx, L.yy
    peg_x, peg_y = L.w / 2, pad + w * 0.05
    hh, ww = L.h, L.w
    base = np.asarray(color, F32)
    tails = [(-0.2, 0.96, 0.8), (0.2, 0.84, 1.0)]
    for off, length, bright in tails:
        x_top = peg_x + off * w * 0.25
        x_bot = peg_x + off * w

        def cxat(
            y: np.ndarray,
            x_top: float = x_top,
            x_bot: float = x_bot,
            length: float = length,
            off: float = off,
        ) -> np.ndarray:
            t = np.clip((y - peg_y) / (h * length), 0, 1)
            return x_top + (x_bot - x_top) * smoothstep(0, 0.2, t) + np.sin(t * 4 + off * 9) * w * 0.025

        half = w * (0.2 + 0.26 * smoothstep(0, 0.16, np.clip((yy - peg_y) / (h * length), 0, 1)))
        lx = (xx - cxat(yy)) / half
        end_y = peg_y + h * length
        m = aa((np.abs(lx) - 1) * half) * aa(peg_y - yy) * aa(yy - end_y)
        ribs = np.sin(lx * half / max(2.5, w / 60) * math.pi) * 0.5
        stitch = np.sin(yy / max(2.5, w / 75) * math.pi) * 0.25 * (np.abs(ribs) > 0.25)
        drape = np.sin(lx * math.pi * 1.5 + off * 4) * 1.5 * smoothstep(0.1, 0.5, (yy - peg_y) / h)
        hmap = blur(m, w * 0.05) * 8 + ribs * 1.4 + stitch + drape + value_noise(rng, hh, ww, w * 0.3) * 1.0
        alb = base * (1 + 0.05 * value_noise(rng, hh, ww, 2, 2))[..., None] * bright
        L.multiply(blur(shift(m, int(w * 0.05), 0), w * 0.05), 0.8)
        L.fill(m, fabric_shade(L, m, alb, hmap, 1.0, amb=0.5, dif=0.6))
        # fringe
        n = int(w * 0.12)
        strands = []
        for i in range(n):
            fx = float(cxat(np.asarray(end_y))) - w * 0.48 + i * w * 0.96 / (n - 1)
            ln = h * 0.06 * rng.uniform(0.8, 1.15)
            strands.append(
                [
                    (fx, end_y - 3),
                    (fx + rng.uniform(-2, 2), end_y + ln * 0.5),
                    (fx + rng.uniform(-4, 4), end_y + ln),
                ]
            )
        fm = line_mask(ww, hh, strands, max(1.5, w * 0.012))
        L.fill(fm, base * bright * (0.85 + 0.2 * value_noise(rng, hh, ww, 3))[..., None])
    # the fold over the peg
    fold = aa(ellipse_sdf(xx, yy, peg_x, peg_y + w * 0.02, w * 0.2, w * 0.09))
    L.fill(fold, fabric_shade(L, fold, base * 0.95, blur(fold, w * 0.05) * 8, 1.0))
    return L, peg_x


def draw_sneaker(
    rng: np.random.Generator,
    length: float,
    leather: Color,
    accent: Color,
    sole: Color = (0.95, 0.93, 0.88),
    gum: Color = (0.62, 0.42, 0.24),
) -> tuple[Layer, tuple[float, float]]:
    """Low-top leather sneaker, lateral side view (toe to the right).

    Returns the layer and the layer-local ground point under the middle of the sole.
    """
    pad = int(length * 0.04)
    L = Layer(length + 2 * pad, length * 0.46 + 2 * pad)
    xx, yy = L.xx, L.yy
    gy = L.h - pad
    hh, ww = L.h, L.w

    def P(x: float, y: float) -> tuple[float, float]:
        return (pad + x * length, gy - y * length)

    upper_pts = [
        P(0.03, 0.09),
        P(0.008, 0.15),
        P(0.004, 0.24),
        P(0.022, 0.315),
        P(0.06, 0.352),
        P(0.12, 0.356),
        P(0.2, 0.325),
        P(0.27, 0.318),
        P(0.33, 0.35),
        P(0.375, 0.405),
        P(0.41, 0.418),
        P(0.445, 0.4),
        P(0.52, 0.345),
        P(0.62, 0.29),
        P(0.73, 0.25),
        P(0.84, 0.222),
        P(0.915, 0.195),
        P(0.968, 0.155),
        P(0.99, 0.115),
        P(0.978, 0.088),
        P(0.5, 0.075),
        P(0.08, 0.08),
    ]
    upper = poly_mask(ww, hh, [catmull_rom(upper_pts, 10, closed=True)])
    grain = 0.025 * value_noise(rng, hh, ww, 1.5) + 0.03 * value_noise(rng, hh, ww, length * 0.05)
    lea = np.asarray(leather, F32) * (1 + grain)[..., None]
    creases = np.zeros((hh, ww), F32)
    for cxr in (0.69, 0.725, 0.76):
        creases += line_mask(
            ww,
            hh,
            [catmull_rom([P(cxr, 0.25 - (cxr - 0.69) * 0.3), P(cxr + 0.02, 0.19), P(cxr + 0.012, 0.12)], 8)],
            length * 0.004,
        )
    body_h = blur(upper, length * 0.05) ** 0.6 * length * 0.045
    hmap = body_h - blur(creases, 2) * 2.5
    nx, ny, nz = height_normals(hmap, 1.0)
    rel_y = (gy - yy) / length
    turn = 1 - 0.25 * smoothstep(0.28, 0.42, rel_y) - 0.2 * smoothstep(0.9, 1.0, (xx - pad) / length)
    col = shade(lea, nx, ny, nz, amb=0.62, dif=0.55, spec=0.1, shin=16) * turn[..., None]
    L.fill(upper, col)
    # padded collar lining visible at the ankle opening
    collar = line_mask(
        ww,
        hh,
        [
            catmull_rom(
                [
                    P(0.03, 0.318),
                    P(0.07, 0.345),
                    P(0.13, 0.345),
                    P(0.2, 0.315),
                    P(0.27, 0.308),
                    P(0.33, 0.338),
                ],
                8,
            )
        ],
        length * 0.014,
    )
    L.fill(
        collar * upper,
        shade(np.asarray(leather, F32) * 0.9, np.zeros_like(xx), -blur(collar, 3), np.ones_like(xx)),
    )
    # heel tab in the accent colour, following the heel curve
    heel_pts = [
        P(0.035, 0.075),
        P(0.008, 0.15),
        P(0.004, 0.24),
        P(0.022, 0.315),
        P(0.06, 0.352),
        P(0.095, 0.356),
        P(0.075, 0.3),
        P(0.062, 0.2),
        P(0.07, 0.075),
    ]
    heel = poly_mask(ww, hh, [catmull_rom(heel_pts, 8, closed=True)]) * upper
    acc = np.asarray(accent, F32) * (1 + 0.6 * grain)[..., None]
    L.fill(heel, shade(acc, nx, ny, nz, amb=0.5, dif=0.6, spec=0.1) * turn[..., None])
    # panel seams with parallel stitching
    seams = [
        catmull_rom([P(0.095, 0.35), P(0.066, 0.2), P(0.072, 0.08)], 8),
        catmull_rom([P(0.62, 0.29), P(0.655, 0.19), P(0.7, 0.085)], 8),
        catmull_rom([P(0.3, 0.33), P(0.27, 0.2), P(0.24, 0.085)], 8),
        catmull_rom([P(0.335, 0.335), P(0.44, 0.31), P(0.55, 0.26), P(0.655, 0.2)], 8),
    ]
    L.multiply(blur(line_mask(ww, hh, seams, length * 0.003), 1.2) * upper, 0.65)
    stitch = [[(x + length * 0.009, y + length * 0.004) for x, y in seam] for seam in seams]
    L.multiply(line_mask(ww, hh, stitch, max(1.0, length * 0.0018), dash=length * 0.008) * upper, 0.8)
    # eyelets and laces crossing over the throat
    lace_col = np.asarray((0.96, 0.95, 0.92), F32)
    for i in range(6):
        t = i / 5
        ex, ey = P(0.43 + 0.2 * t, 0.365 - 0.095 * t)
        de = np.hypot(xx - ex, yy - ey)
        L.fill(aa(np.abs(de - length * 0.009) - length * 0.003), (0.55, 0.53, 0.5))
        L.fill(aa(de - length * 0.006), (0.1, 0.09, 0.08))
        tx, ty = P(0.448 + 0.2 * t, 0.403 - 0.095 * t)
        lm = line_mask(ww, hh, [[(ex, ey), (tx, ty)]], length * 0.013)
        L.multiply(blur(shift(lm, 3, 4), 3) * upper * (1 - lm), 0.75)
        L.fill(
            lm, shade(lace_col, np.zeros_like(xx), -blur(lm, 2) * 0.5, np.ones_like(xx), amb=0.62, dif=0.45)
        )
    mark = crescent(xx, yy, *P(0.19, 0.21), length * 0.026)
    L.multiply(mark, 0.78)
    # eyestay edge and toe-cap perforations
    L.multiply(
        blur(
            line_mask(
                ww,
                hh,
                [catmull_rom([P(0.36, 0.39), P(0.45, 0.345), P(0.55, 0.29), P(0.66, 0.235)], 8)],
                length * 0.003,
            ),
            1.5,
        )
        * upper,
        0.7,
    )
    perf = np.zeros((hh, ww), F32)
    for a in range(5):
        for b in range(3):
            hx, hy = P(0.8 + a * 0.028 + b * 0.014, 0.13 + b * 0.022 - a * 0.004)
            perf = np.maximum(perf, aa(np.hypot(xx - hx, yy - hy) - length * 0.0035))
    L.multiply(perf * upper, 0.55)

    # cupsole with toe spring: sidewall, stitch line, gum outsole following the bottom contour
    def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> list[tuple[float, float]]:
        return [P(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.linspace(a0, a1, 16)]

    # (P's y grows upwards, so this arc runs from the heel's back edge down round to the ground)
    sole_pts = (
        arc(0.035, 0.035, 0.035, 0.035, math.pi, 1.5 * math.pi)
        + arc(0.8, 0.1, 0.2, 0.1, -0.5 * math.pi, 0.0)
        + [P(0.998, 0.092), P(0.02, 0.094), P(0.0, 0.07)]
    )
    sm = poly_mask(ww, hh, [sole_pts])
    ao = smoothstep(gy - length * 0.13, gy - length * 0.09, yy) * upper * (1 - sm)
    L.multiply(ao, 0.82)
    side = 0.86 + 0.14 * smoothstep(gy, gy - length * 0.08, yy)
    L.fill(sm, np.asarray(sole, F32) * side[..., None])
    L.multiply(blur(line_mask(ww, hh, [[P(0.0, 0.05), P(1.0, 0.05)]], 1.5), 1) * sm, 0.88)
    L.multiply(
        line_mask(ww, hh, [[P(0.02, 0.072), P(0.97, 0.072)]], max(1.0, length * 0.002), dash=length * 0.007)
        * sm,
        0.7,
    )
    L.multiply(blur(line_mask(ww, hh, [[P(0.0, 0.093), P(1.0, 0.093)]], 3), 3) * sm, 0.72)
    band = int(length * 0.016)
    gm = sm * (1 - shift(sm, 0, -band))
    L.fill(gm, gum)
    return L, P(0.5, 0.0)


def draw_board(rng: np.random.Generator, w: float, h: float) -> Layer:
    """Oak serving board with a carved handle and a hanging hole, top view (put in perspective later)."""
    hl = w * 0.22
    L = Layer(w + hl + 8, h + 8)
    xx, yy = L.xx, L.yy
    cy = L.h / 2
    body = aa(round_rect_sdf(xx, yy, 4 + w / 2, cy, w / 2, h / 2, h * 0.1))
    handle = aa(round_rect_sdf(xx, yy, 4 + w + hl / 2 - h * 0.05, cy, hl / 2 + h * 0.05, h * 0.13, h * 0.12))
    hole = aa(np.hypot(xx - (4 + w + hl * 0.72), yy - cy) - h * 0.045)
    shape = np.clip(body + handle, 0, 1) * (1 - hole)
    wood = wood_texture(rng, L.h, L.w, h * 0.045, (0.80, 0.64, 0.45), (0.66, 0.48, 0.31))
    edge = blur(shape, h * 0.03)
    L.fill(shape, wood * (0.86 + 0.14 * edge)[..., None])
    return L


def draw_tea_towel(rng: np.random.Generator, w: float, h: float, stripe: Color) -> Layer:
    """Folded striped linen tea towel (flat, top view)."""
    L = Layer(w + 8, h + 8)
    xx, yy = L.xx, L.yy
    m = aa(round_rect_sdf(xx, yy, L.w / 2, L.h / 2, w / 2, h / 2, 3))
    tex = linen_texture(rng, L.h, L.w, max(2.0, w / 350))
    rel = (yy - 4) / h
    stripes = np.zeros_like(xx)
    for c, wd in ((0.12, 0.05), (0.2, 0.015), (0.8, 0.015), (0.88, 0.05)):
        stripes = np.maximum(stripes, smoothstep(wd + 0.003, wd - 0.003, np.abs(rel - c)))
    alb = mix((0.92, 0.89, 0.82), stripe, stripes * (0.85 + 0.15 * tex)) * (1 + 0.05 * tex)[..., None]
    hm = blur(m, w * 0.02) * 5 + value_noise(rng, L.h, L.w, w * 0.2, octaves=3) * 2.0
    L.fill(m, fabric_shade(L, m, alb, hm, 1.0))
    return L


def draw_fruit(rng: np.random.Generator, r: float, color: Color) -> Standing:
    """A small round fruit (apricot): a sphere with a soft blush and a stem dimple."""
    L = Layer(2 * r + 8, 2 * r + 8)
    xx, yy = L.xx, L.yy
    cx, cy = L.w / 2, L.h / 2
    dx, dy = (xx - cx) / r, (yy - cy) / (r * 0.94)
    d2 = dx * dx + dy * dy
    m = aa((np.sqrt(d2) - 1) * r)
    nz = np.sqrt(np.clip(1 - d2, 0, 1))
    blush = smoothstep(-0.2, 0.8, value_noise(rng, L.h, L.w, r * 0.6, octaves=2))
    alb = mix(color, (0.78, 0.32, 0.12), blush * 0.5)
    col = shade(alb, dx, dy, nz, amb=0.35, dif=0.75, spec=0.12, shin=12)
    L.fill(m, col)
    L.multiply(aa(np.hypot(xx - cx + r * 0.2, yy - cy + r * 0.55) - r * 0.06), 0.6)
    return Standing(L, (cx, cy + r * 0.9), (r * 0.8, r * 0.3), m)


# --------------------------------------------------------------------------------------------------
# Backgrounds
# --------------------------------------------------------------------------------------------------


def plaster(rng: np.random.Generator, h: int, w: int, color: Color, var: float = 0.05) -> np.ndarray:
    """Limewash/plaster wall: broad cloudy mottling plus a fine tooth."""
    n = value_noise(rng, h, w, max(h, w) * 0.12, octaves=5) * var + value_noise(rng, h, w, 2.0) * 0.008
    return np.asarray(color, F32) * (1 + n)[..., None]


def window_light(
    rng: np.random.Generator,
    h: int,
    w: int,
    x: float,
    y: float,
    pane_w: float,
    pane_h: float,
    skew: float,
    softness: float,
    cols: int = 2,
    rows: int = 2,
) -> np.ndarray:
    """A sun patch from a mullioned window: skewed panes, blurred, computed at quarter resolution."""
    q = 4
    hq, wq = h // q + 1, w // q + 1
    polys = []
    gap = pane_w * 0.07
    for i in range(cols):
        for j in range(rows):
            px, py = x + i * (pane_w + gap), y + j * (pane_h + gap)
            polys.append(
                [
                    (px / q, py / q),
                    ((px + pane_w) / q, (py + skew * pane_w) / q),
                    ((px + pane_w + skew * pane_h) / q, (py + pane_h + skew * pane_w) / q),
                    ((px + skew * pane_h) / q, (py + pane_h) / q),
                ]
            )
    m = blur(poly_mask(wq, hq, polys, ss=2), softness / q)
    up = Image.fromarray(m).resize((wq * q, hq * q), Image.BICUBIC)
    return np.clip(np.asarray(up, F32)[:h, :w], 0, 1)


def leaf_shadows(
    rng: np.random.Generator, h: int, w: int, cx: float, cy: float, spread: float, n: int, softness: float
) -> np.ndarray:
    """Dappled shadow of a plant between the light and the surface (blurred leaf silhouettes)."""
    q = 4
    L = Layer(w // q + 1, h // q + 1)
    for _ in range(n):
        lx, ly = rng.normal(cx, spread) / q, rng.normal(cy, spread) / q
        ln = rng.uniform(0.1, 0.22) * spread / q * 2
        leaf_layer_fill(L, lx, ly, ln, ln * 0.35, rng.uniform(0, math.pi), (1, 1, 1), rng, midrib=False)
    m = blur(L.a, softness / q)
    up = Image.fromarray(m).resize((L.w * q, L.h * q), Image.BICUBIC)
    return np.clip(np.asarray(up, F32)[:h, :w], 0, 1)


def studio_sweep(
    h: int, w: int, top: Color, floor: Color, horizon: float, spot: tuple[float, float, float]
) -> np.ndarray:
    """Seamless paper backdrop: wall colour curving into the floor colour, with a soft key-light spot."""
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    t = smoothstep(horizon - 0.18 * h, horizon + 0.12 * h, yy)
    col = mix(top, floor, t)
    sx, sy, sr = spot
    d = np.sqrt((xx - sx) ** 2 + (yy - sy) ** 2) / sr
    return col * (0.78 + 0.32 * np.exp(-d * d))[..., None]


# --------------------------------------------------------------------------------------------------
# Scenes
# --------------------------------------------------------------------------------------------------


def scene_shelf(seed: int) -> Scene:
    """A living-room shelf: bud vase with olive, lit candle, pilea in terracotta, mug, books."""
    W, H = 2400, 1600
    sc = Scene(W, H, seed)
    rng = sc.rng
    wall = plaster(rng, H, W, (0.80, 0.76, 0.70), 0.05)
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    wall *= (0.82 + 0.22 * (1 - xx / W))[..., None]
    sun = window_light(rng, H, W, 180, -150, 520, 640, 0.18, 40)
    wall *= (1 + 0.32 * sun)[..., None] * np.asarray((1.0, 0.97, 0.9), F32) ** sun[..., None]
    sc.img[:] = blur(wall, 2.5)
    # the oak shelf: top surface in perspective, then its front edge
    ys, depth, face = int(H * 0.70), int(H * 0.05), int(H * 0.05)
    oak = wood_texture(rng, depth + face, W, 9, (0.72, 0.55, 0.38), (0.55, 0.38, 0.24))
    under = np.exp(-np.clip(yy - (ys + face), 0, None) / (H * 0.05)) * (yy > ys + face)
    sc.img *= (1 - 0.45 * blur(under.astype(F32), 12))[..., None]
    top_band = oak[:depth] * (0.95 + 0.1 * np.linspace(0, 1, depth, dtype=F32)[:, None, None])
    sc.img[ys - depth : ys] = top_band * (1 + 0.08 * (1 - xx[:depth] / W))[..., None]
    sc.img[ys : ys + face] = oak[depth:] * 0.72
    sc.img[ys : ys + 2] *= 1.25  # the rounded front arris catches the light
    floor_y = ys - depth * 0.35
    # books lying flat at the far left
    books = [((0.33, 0.38, 0.34), 0.020), ((0.80, 0.74, 0.62), 0.016), ((0.55, 0.28, 0.20), 0.018)]
    by = floor_y
    for i, (col, th) in enumerate(books):
        bh = H * th
        bw = W * (0.15 - 0.012 * i)
        bx = W * 0.05 + i * 10
        book = Layer(bw, bh + 2)
        spine = aa(round_rect_sdf(book.xx, book.yy, bw / 2, bh / 2, bw / 2, bh / 2, 3))
        shading = 0.8 + 0.3 * np.sin(np.clip(book.yy / bh, 0, 1) * math.pi)
        book.fill(spine, np.asarray(col, F32) * shading[..., None])
        if i == 1:
            book.multiply(spine * (np.abs(book.xx - bw * 0.8) < 2), 0.6)
        sc.darken(blur(np.pad(book.a, 12), 6), int(bx) - 12, int(by - bh) - 12 + 4, 0.25)
        sc.put(book, bx, by - bh)
        by -= bh
    vase = draw_vase(rng, H * 0.30, H * 0.2, (0.88, 0.86, 0.80), (0.55, 0.60, 0.52))
    wall = (H * 0.07, -H * 0.012, H * 0.014, 0.3, float(ys - depth))
    kw = {"lean": 0.45, "drop": -0.025, "wall": wall, "strength": 0.35}
    sc.stand(vase, W * 0.30, floor_y, "stoneware-bud-vase", **kw)
    candle = draw_candle(rng, H * 0.075, H * 0.19, (0.33, 0.31, 0.29))
    cx, cy = sc.stand(candle, W * 0.47, floor_y + 6, "fig-cedar-candle", **kw)
    flame, wick = draw_flame(H * 0.045)
    assert candle.flame
    fx, fy = cx + candle.flame[0], cy + candle.flame[1]
    sc.put(flame, fx - wick[0], fy - wick[1])
    sc.add_glow(fx, fy - H * 0.02, H * 0.25, (1.0, 0.6, 0.28), 0.22)
    pot = draw_pot(rng, H * 0.10, H * 0.17)
    sc.stand(pot, W * 0.66, floor_y + 4, "terracotta-plant-pot", **kw)
    mug = draw_mug(rng, H * 0.065, H * 0.12, (0.24, 0.24, 0.25), coffee=False)
    sc.stand(mug, W * 0.85, floor_y + 10, "stoneware-mug", **kw)
    return sc


def tablecloth(rng: np.random.Generator, h: int, w: int, color: Color, pitch: float) -> np.ndarray:
    """Oatmeal linen tablecloth from above: weave, slubs and a few broad soft creases."""
    tex = linen_texture(rng, h, w, pitch)
    relief = value_noise(rng, h, w, max(h, w) * 0.15, octaves=3) * 14
    nx, ny, nz = height_normals(relief, 1.0)
    return shade(np.asarray(color, F32) * (1 + 0.028 * tex)[..., None], nx, ny, nz, amb=0.45, dif=0.75)


def scene_flatlay(seed: int) -> Scene:
    """Summer flat-lay on linen: shirt, sunglasses, watch, cap, notebook and pencil, dappled light."""
    W = H = 2000
    sc = Scene(W, H, seed)
    rng = sc.rng
    sc.img[:] = tablecloth(rng, H, W, (0.86, 0.81, 0.73), 2.6)
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    sc.img *= (0.9 + 0.16 * (1 - (xx + yy) / (W + H)))[..., None]
    sprig = Layer(700, 700)
    draw_sprigs(rng, sprig, 640, 660, 700, 2, 300)
    sc.lay(rotate_layer(sprig, 35), 230, 150, 8)
    shirt = rotate_layer(draw_shirt(rng, 820, (0.62, 0.72, 0.80)), 5)
    sc.lay(shirt, 690, 880, 14, "chemise-en-lin-ete")
    nb = rotate_layer(draw_notebook(rng, 520, 700, (0.56, 0.60, 0.50)), -8)
    sc.lay(nb, 330, 1720, 10, "linen-notebook-a5")
    sc.lay(rotate_layer(draw_pencil(560), 68), 700, 1700, 9)
    sg = rotate_layer(draw_sunglasses(rng, 118), -12)
    sc.lay(sg, 1430, 330, 26, "round-sunglasses")
    watch = rotate_layer(draw_watch(rng, 100, (0.60, 0.38, 0.20)), 28)
    sc.lay(watch, 1640, 960, 12, "minimal-leather-watch")
    cap = rotate_layer(draw_cap(rng, 255, (0.80, 0.72, 0.58)), 24)
    sc.lay(cap, 1360, 1560, 34, "washed-cotton-cap")
    # dappled shadow of a plant just out of frame, top right
    sc.darken(leaf_shadows(rng, H, W, W * 0.95, H * 0.1, W * 0.16, 40, 26), 0, 0, 0.22)
    return sc


class Table:
    """A horizontal surface seen in perspective: plane coordinates (px, py) map to image pixels.

    The plane rectangle (0..pw, 0..ph), with py growing towards the camera, maps onto ``quad``
    (far-left, far-right, near-right, near-left) in the image.
    """

    def __init__(self, pw: float, ph: float, quad: Sequence[tuple[float, float]]) -> None:
        self.pw, self.ph, self.quad = pw, ph, list(quad)
        src = [(0, 0), (pw, 0), (pw, ph), (0, ph)]
        rows, rhs = [], []
        for (u, v), (X, Y) in zip(src, quad):
            rows.append([u, v, 1, 0, 0, 0, -X * u, -X * v])
            rhs.append(X)
            rows.append([0, 0, 0, u, v, 1, -Y * u, -Y * v])
            rhs.append(Y)
        c = np.linalg.solve(np.asarray(rows, np.float64), np.asarray(rhs, np.float64))
        self.m = np.append(c, 1.0).reshape(3, 3)

    def at(self, px: float, py: float) -> tuple[float, float]:
        x, y, z = self.m @ np.asarray((px, py, 1.0))
        return float(x / z), float(y / z)

    def scale(self, px: float, py: float) -> float:
        """Image pixels per plane unit around a plane point (horizontal direction)."""
        a, b = self.at(px - 5, py), self.at(px + 5, py)
        return math.hypot(b[0] - a[0], b[1] - a[1]) / 10

    def quad_of(
        self, cx: float, cy: float, w: float, h: float, angle: float = 0.0
    ) -> list[tuple[float, float]]:
        ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        return [self.at(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in corners]

    def surface(self, tex: np.ndarray, top: int, W: int, H: int) -> np.ndarray:
        """Render a plane texture (HxWx3 covering the whole plane) into image rows ``top``..``top + H``."""
        L = Layer(tex.shape[1], tex.shape[0])
        L.rgb, L.a = tex.astype(F32), np.ones(tex.shape[:2], F32)
        return to_table(L, self.quad, 0, top, W, H).rgb

    def lay(
        self,
        sc: Scene,
        layer: Layer,
        cx: float,
        cy: float,
        w: float,
        angle: float = 0.0,
        lift: float = 6.0,
        handle: str | None = None,
        thickness: int = 0,
        edge: Color | None = None,
    ) -> Layer:
        """Lay a flat top-view ``layer`` on the table, ``w`` plane units wide, centred at plane (cx, cy)."""
        h = w * layer.h / layer.w
        quad = self.quad_of(cx, cy, w, h, angle)
        xs, ys = [q[0] for q in quad], [q[1] for q in quad]
        ox, oy = int(min(xs)) - 2, int(min(ys)) - 2
        out = to_table(layer, quad, ox, oy, int(max(xs) - ox) + 4, int(max(ys) - oy) + 4)
        if thickness:
            out = extrude_down(out, thickness, edge or (0.5, 0.4, 0.3), darken=0.3)
        sc.drop_shadow(out, ox, oy, lift * 0.6, lift * 0.5, lift + 2, 0.35, sigma_contact=2.0, contact=0.3)
        sc.put(out, ox, oy)
        if handle:
            sc.record(handle, out.a, ox, oy)
        return out


def steam(sc: Scene, x: float, y: float, height: float, seed: int) -> None:
    """Two or three faint rising wisps of steam above a hot drink."""
    rng = np.random.default_rng(seed)
    x0, y0 = int(x - height * 0.5), int(y - height)
    L = Layer(height, height)
    lines = []
    for i in range(3):
        ph = rng.uniform(0, 6)
        pts = [
            (
                height * 0.5 + (i - 1) * height * 0.08 + math.sin(t * 7 + ph) * height * 0.06 * t,
                height - t * height * 0.95,
            )
            for t in np.linspace(0, 1, 40)
        ]
        lines.append(pts)
    m = blur(line_mask(L.w, L.h, lines, height * 0.03), height * 0.03)
    fade = smoothstep(0, height * 0.5, L.yy) * smoothstep(height, height * 0.85, L.yy)
    sc.img[y0 : y0 + L.h, x0 : x0 + L.w] += (m * fade * 0.16)[..., None]


def scene_breakfast(seed: int) -> Scene:
    """Breakfast on an oak table by the window: mug of coffee, board with apricots, tea towel, notebook."""
    W, H = 2400, 1600
    sc = Scene(W, H, seed)
    rng = sc.rng
    horizon = int(H * 0.36)
    wall = plaster(rng, horizon + 40, W, (0.84, 0.80, 0.74), 0.05)
    sun = window_light(rng, horizon + 40, W, -200, -260, 600, 420, 0.25, 36)
    wall *= (1 + 0.3 * sun)[..., None]
    sc.img[: horizon + 40] = blur(wall, 5)
    table = Table(
        4000, 2000, [(-0.3 * W, horizon), (1.3 * W, horizon), (1.85 * W, H * 1.25), (-0.85 * W, H * 1.25)]
    )
    wood = wood_texture(rng, 2000, 4000, 22, (0.78, 0.62, 0.44), (0.62, 0.45, 0.29))
    for k in range(1, 5):  # plank joints
        wood[k * 400 - 3 : k * 400 + 3] *= 0.6
    sc.img[horizon:] = table.surface(wood, horizon, W, H - horizon)
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    sc.img[horizon - 2 : horizon + 10] *= 0.8  # where table meets wall
    sc.img *= (0.88 + 0.14 * (1 - xx / W))[..., None]
    # the still life, back to front
    board = draw_board(rng, 900, 420)
    table.lay(
        sc,
        board,
        1480,
        640,
        1000,
        -4,
        lift=4,
        thickness=16,
        edge=(0.50, 0.36, 0.22),
        handle="oak-serving-board",
    )
    for bx, by in ((1330, 600), (1450, 690), (1570, 595)):
        fx, fy = table.at(bx, by)
        fr = draw_fruit(rng, 48 * table.scale(bx, by), (0.94, 0.62, 0.28))
        sc.stand(fr, fx, fy - 16, lean=0.4, drop=0.05, strength=0.35)
    ps = table.scale(3000, 330)
    pot = draw_pot(rng, 95 * ps, 150 * ps, leaves=16)
    sc.stand(pot, *table.at(3000, 330), lean=0.45, drop=0.06, strength=0.3)
    towel = draw_tea_towel(rng, 600, 900, (0.28, 0.38, 0.55))
    table.lay(sc, towel, 850, 1250, 620, 10, lift=3)
    nb = rotate_layer(draw_notebook(rng, 520, 700, (0.56, 0.60, 0.50)), 90)
    table.lay(
        sc, nb, 1680, 1480, 760, -7, lift=8, handle="linen-notebook-a5", thickness=10, edge=(0.9, 0.87, 0.8)
    )
    table.lay(sc, draw_pencil(560), 2200, 1560, 560, -68, lift=6)
    ms = table.scale(2450, 1080)
    mug = draw_mug(rng, 150 * ms, 270 * ms, (0.60, 0.66, 0.56), k=0.32)
    mx, my = table.at(2450, 1080)
    ox, oy = sc.stand(mug, mx, my, "stoneware-mug", lean=0.5, drop=0.07, strength=0.45)
    steam(sc, ox + mug.base[0] - 0.2 * 150 * ms, oy + mug.base[1] - 270 * ms - 0.3 * 150 * ms, 420 * ms, seed)
    # morning sun through the window falls across the table and everything on it
    sun2 = window_light(rng, H, W, -500, horizon + 80, 1100, 520, -0.12, 45, cols=2, rows=1)
    sc.img *= (1 + 0.28 * sun2 * (yy > horizon))[..., None] * np.asarray((1.0, 0.97, 0.9), F32) ** (
        sun2 * (yy > horizon)
    )[..., None]
    return sc


def scene_entryway(seed: int) -> Scene:
    """Entryway peg rail: canvas tote and merino scarf hanging, pilea on the oak floor."""
    W, H = 1600, 2400
    sc = Scene(W, H, seed)
    rng = sc.rng
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    wall = plaster(rng, H, W, (0.86, 0.82, 0.76), 0.06)
    wall *= (0.8 + 0.25 * (1 - xx / W) * (1 - 0.3 * yy / H))[..., None]
    sc.img[:] = blur(wall, 2)
    floor_y = int(H * 0.86)
    # skirting board and floorboards
    sc.img[floor_y - 70 : floor_y] = plaster(rng, 70, W, (0.90, 0.87, 0.82), 0.02) * 0.95
    sc.img[floor_y - 72 : floor_y - 66] *= 1.08
    sc.img[floor_y - 4 : floor_y] *= 0.7
    floor = Table(3000, 1200, [(-700, floor_y), (W + 700, floor_y), (W * 1.8, H * 1.2), (-W * 0.8, H * 1.2)])
    boards = wood_texture(rng, 1200, 3000, 16, (0.72, 0.56, 0.40), (0.56, 0.40, 0.26), along_x=False)
    for k in range(1, 15):
        boards[:, k * 200 - 2 : k * 200 + 2] *= 0.6
    sc.img[floor_y:] = floor.surface(boards, floor_y, W, H - floor_y)
    sc.img[floor_y : floor_y + 30] *= np.linspace(0.7, 1.0, 30, dtype=F32)[:, None, None]
    # the oak peg rail and its three pegs
    ry, rh = int(H * 0.14), int(H * 0.04)
    rail = wood_texture(rng, rh, W, 6, (0.74, 0.57, 0.40), (0.58, 0.42, 0.27))
    shadow = np.exp(-np.clip(yy - ry - rh, 0, None) / 30.0) * (yy > ry + rh)
    sc.img *= (1 - 0.35 * blur(shadow.astype(F32), 6))[..., None]
    sc.img[ry : ry + rh] = rail * (0.9 + 0.2 * np.sin(np.linspace(0.3, 2.6, rh, dtype=F32)))[:, None, None]
    pegs = [W * 0.2, W * 0.5, W * 0.8]
    peg_y = ry + rh / 2
    for px in pegs:
        pl = Layer(80, 80)
        d = np.hypot(pl.xx - 40, pl.yy - 40)
        pl.fill(
            aa(d - 30),
            shade(
                (0.70, 0.53, 0.36),
                (pl.xx - 40) / 30,
                (pl.yy - 40) / 30,
                np.sqrt(np.clip(1 - (d / 30) ** 2, 0, 1)),
                amb=0.45,
                dif=0.7,
                spec=0.15,
            ),
        )
        sc.drop_shadow(pl, int(px - 40), int(peg_y - 40), 22, 30, 10, 0.45)
        sc.put(pl, px - 40, peg_y - 40)
    scarf, sx = draw_scarf(rng, 300, 1150, (0.66, 0.33, 0.20))
    x0, y0 = round(pegs[0] - sx), round(peg_y - 300 * 0.2 - 15)
    sc.drop_shadow(scarf, x0, y0, 30, 38, 26, 0.4)
    sc.put(scarf, x0, y0)
    sc.record("merino-wool-scarf", scarf.a, x0, y0)
    tote, body, tx = draw_tote(rng, 640, 700, (0.88, 0.83, 0.72), (0.14, 0.13, 0.12))
    x0, y0 = round(pegs[1] - tx), round(peg_y - 640 * 0.08 - 640 * 0.03 - 10)
    sc.drop_shadow(tote, x0, y0, 34, 44, 28, 0.42)
    sc.put(tote, x0, y0)
    sc.record("canvas-tote-bag", body, x0, y0)
    pot = draw_pot(rng, 180, 310, leaves=26)
    sc.stand(
        pot,
        W * 0.76,
        floor_y + 120,
        "terracotta-plant-pot",
        lean=0.35,
        drop=0.04,
        strength=0.3,
        wall=(60, -20, 40, 0.25, float(floor_y)),
    )
    return sc


def scene_sneakers(seed: int) -> Scene:
    """Studio shot of the leather sneakers on a seamless sage paper sweep."""
    W, H = 2400, 1600
    sc = Scene(W, H, seed)
    rng = sc.rng
    sc.img[:] = studio_sweep(
        H, W, (0.66, 0.69, 0.60), (0.72, 0.74, 0.65), H * 0.55, (W * 0.45, H * 0.5, W * 0.55)
    )
    sc.img *= (1 + 0.015 * value_noise(rng, H, W, 3.0) + 0.02 * value_noise(rng, H, W, 400, octaves=2))[
        ..., None
    ]
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    length = 1320
    # (ground x, ground y, scale, brightness): the second shoe stands behind and to the right
    pair = [(1500, 1170, 0.94, 0.9), (1120, 1330, 1.0, 1.0)]
    for i, (gx, gy, scale, bright) in enumerate(pair):
        shoe, ground = draw_sneaker(rng, length * scale, (0.95, 0.94, 0.91), (0.30, 0.40, 0.30))
        shoe.rgb *= bright
        x, y = round(gx - ground[0]), round(gy - ground[1])
        sc.drop_shadow(shoe, x, y, 50, 12, 34, 0.3)
        contact = aa(ellipse_sdf(xx, yy, gx, gy + 2, length * scale * 0.48, 20))
        sc.darken(blur(contact, 10), 0, 0, 0.55)
        sc.put(shoe, x, y)
        if i == 1:
            sc.record("everyday-leather-sneakers", shoe.a, x, y)
    return sc


def scene_candles(seed: int) -> Scene:
    """Evening: two lit soy candles on a walnut table against a dark wall, a vase out of focus behind."""
    W, H = 1600, 2000
    sc = Scene(W, H, seed)
    rng = sc.rng
    horizon = int(H * 0.6)
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    wall = plaster(rng, horizon + 20, W, (0.26, 0.20, 0.16), 0.08)
    sc.img[: horizon + 20] = blur(wall, 4)
    table = Table(3000, 1500, [(-500, horizon), (W + 500, horizon), (W * 1.9, H * 1.3), (-W * 0.9, H * 1.3)])
    walnut = wood_texture(rng, 1500, 3000, 18, (0.40, 0.27, 0.18), (0.27, 0.17, 0.11))
    sc.img[horizon:] = table.surface(walnut, horizon, W, H - horizon)
    sc.img[horizon - 2 : horizon + 6] *= 0.7
    vase = draw_vase(rng, 520, 330, (0.82, 0.78, 0.70), (0.62, 0.52, 0.42), stems=3)
    vase.layer.rgb, vase.layer.a = blur(vase.layer.rgb, 7), blur(vase.layer.a, 7)
    sc.stand(vase, *table.at(2000, 260), lean=-0.3, drop=0.03, strength=0.2)
    small = draw_candle(rng, 120, 240, (0.30, 0.29, 0.28))
    s_xy = table.at(1750, 620)
    ox, oy = sc.stand(small, *s_xy, lean=-0.4, drop=0.05, strength=0.3)
    assert small.flame
    flames = [(ox + small.flame[0], oy + small.flame[1], 110.0)]
    big = draw_candle(rng, 175, 400, (0.86, 0.82, 0.74))
    ox, oy = sc.stand(big, *table.at(1250, 900), "fig-cedar-candle", lean=-0.45, drop=0.05, strength=0.35)
    assert big.flame
    flames.append((ox + big.flame[0], oy + big.flame[1], 140.0))
    # the scene is lit by the flames themselves: darken away from them, then add their glow
    light = np.zeros((H, W), F32)
    for fx, fy, fh in flames:
        light += np.exp(-((xx - fx) ** 2 + (yy - fy) ** 2) / (2 * (fh * 5) ** 2))
    sc.img *= (0.45 + 0.75 * np.clip(light, 0, 1))[..., None]
    for fx, fy, fh in flames:
        fl, wick = draw_flame(fh)
        sc.put(fl, fx - wick[0], fy - wick[1])
        sc.add_glow(fx, fy - fh * 0.45, fh * 3.2, (1.0, 0.55, 0.22), 0.32)
    return sc


def scene_mugs(seed: int) -> Scene:
    """Close-up of two mugs (sand with coffee, charcoal) on a linen napkin, window light, 4:5."""
    W, H = 1800, 2250
    sc = Scene(W, H, seed)
    rng = sc.rng
    horizon = int(H * 0.34)
    yy = np.mgrid[0:H, 0:W][0].astype(F32)
    wall = plaster(rng, horizon + 30, W, (0.80, 0.77, 0.72), 0.05)
    sun = window_light(rng, horizon + 30, W, 700, -300, 420, 380, 0.2, 50)
    wall *= (1 + 0.35 * sun)[..., None]
    sc.img[: horizon + 30] = blur(wall, 7)
    table = Table(
        2400, 1600, [(-400, horizon), (W + 400, horizon), (W * 1.7, H * 1.15), (-W * 0.7, H * 1.15)]
    )
    wood = wood_texture(rng, 1600, 2400, 16, (0.74, 0.58, 0.42), (0.58, 0.42, 0.28))
    sc.img[horizon:] = table.surface(wood, horizon, W, H - horizon)
    sc.img[horizon - 2 : horizon + 8] *= 0.82
    napkin = draw_tea_towel(rng, 700, 700, (0.66, 0.36, 0.24))
    table.lay(sc, napkin, 1100, 950, 820, -8, lift=3)
    ms = table.scale(1450, 760)
    charcoal = draw_mug(rng, 150 * ms, 260 * ms, (0.24, 0.24, 0.25), k=0.36, coffee=False)
    sc.stand(charcoal, *table.at(1450, 760), lean=0.5, drop=0.07, strength=0.45)
    ms = table.scale(950, 1000)
    sand = draw_mug(rng, 160 * ms, 280 * ms, (0.86, 0.80, 0.70), k=0.36)
    mx, my = table.at(950, 1000)
    sc.stand(sand, mx, my, lean=0.5, drop=0.07, strength=0.45)
    steam(sc, mx - 0.2 * 160 * ms, my - 280 * ms - 0.5 * 160 * ms, 480 * ms, seed + 1)
    for bx, by in ((1620, 1180), (1720, 1290)):
        fx, fy = table.at(bx, by)
        sc.stand(draw_fruit(rng, 55 * table.scale(bx, by), (0.94, 0.62, 0.28)), fx, fy, lean=0.45, drop=0.06)
    sun2 = window_light(rng, H, W, -300, horizon + 200, 900, 700, -0.1, 50, cols=2, rows=1)
    sc.img *= (1 + 0.22 * sun2 * (yy > horizon))[..., None]
    return sc


# --------------------------------------------------------------------------------------------------
# Video: a slow push-in on a lit candle, with a soft ambient chord
# --------------------------------------------------------------------------------------------------

VIDEO_W, VIDEO_H, VIDEO_FPS, VIDEO_SECONDS = 720, 1280, 30, 5.0
AUDIO_RATE = 48000


@dataclass
class VideoScene:
    """The static part of the video scene plus what animates on top of it."""

    scene: Scene
    flame: tuple[float, float, float]  # wick x, y, flame height (base pixels)
    anchor: tuple[float, float]  # the zoom holds this point still: the candle body centre


def video_scene(seed: int) -> VideoScene:
    """Dusk side table (1080x1920, rendered at 1.5x the video size): candle, pilea, blurred vase."""
    W, H = 1080, 1920
    sc = Scene(W, H, seed)
    rng = sc.rng
    horizon = int(H * 0.58)
    yy, xx = np.mgrid[0:H, 0:W].astype(F32)
    wall = plaster(rng, horizon + 20, W, (0.34, 0.28, 0.24), 0.07)
    dusk = window_light(rng, horizon + 20, W, -300, -160, 420, 560, 0.22, 70)
    wall = wall * (1 + 0.3 * dusk)[..., None] * np.asarray((0.95, 0.98, 1.08), F32) ** dusk[..., None]
    sc.img[: horizon + 20] = blur(wall, 4)
    table = Table(
        2400, 1400, [(-500, horizon), (W + 500, horizon), (W * 2.0, H * 1.25), (-W * 1.0, H * 1.25)]
    )
    oak = wood_texture(rng, 1400, 2400, 18, (0.55, 0.40, 0.27), (0.40, 0.28, 0.18))
    sc.img[horizon:] = table.surface(oak, horizon, W, H - horizon)
    sc.img[horizon - 2 : horizon + 6] *= 0.7
    vase = draw_vase(rng, 430, 270, (0.82, 0.78, 0.70), (0.55, 0.60, 0.52), stems=3)
    vase.layer.rgb, vase.layer.a = blur(vase.layer.rgb, 6), blur(vase.layer.a, 6)
    sc.stand(vase, *table.at(1600, 250), lean=-0.3, drop=0.03, strength=0.2)
    pot = draw_pot(rng, 120, 200, leaves=18)
    pot.layer.rgb, pot.layer.a = blur(pot.layer.rgb, 2.5), blur(pot.layer.a, 2.5)
    sc.stand(pot, *table.at(820, 400), lean=-0.35, drop=0.04, strength=0.25)
    candle = draw_candle(rng, 185, 420, (0.86, 0.82, 0.74))
    cx, cy = table.at(1200, 700)
    ox, oy = sc.stand(candle, cx, cy, "fig-cedar-candle", lean=-0.45, drop=0.05, strength=0.35)
    assert candle.flame
    fx, fy = ox + candle.flame[0], oy + candle.flame[1]
    light = np.exp(-((xx - fx) ** 2 + (yy - fy) ** 2) / (2 * 650.0**2))
    sc.img *= (0.5 + 0.7 * light)[..., None]
    p = sc.placed["fig-cedar-candle"]
    return VideoScene(sc, (fx, fy, 140.0), (p.x, p.y))


def _zoom(t: float) -> float:
    """Ken Burns push-in: 1.0 to 1.12 with eased ends."""
    u = min(max(t / VIDEO_SECONDS, 0.0), 1.0)
    return 1.0 + 0.12 * (u * u * (3 - 2 * u))


def video_frames(vs: VideoScene, seed: int) -> list[np.ndarray]:
    """Render every frame (uint8 RGB): flicker the flame and its glow, push in around the anchor."""
    sc = vs.scene
    base = sc.img.copy()
    H, W = base.shape[:2]
    fx, fy, fh = vs.flame
    glow = Scene(W, H, 0)
    glow.add_glow(fx, fy - fh * 0.45, fh * 3.2, (1.0, 0.55, 0.22), 1.0)
    rng = np.random.default_rng(seed)
    ax, ay = vs.anchor
    frames = []
    n = round(VIDEO_SECONDS * VIDEO_FPS)
    jitter = blur(rng.standard_normal(n + 8).astype(F32)[:, None], 1.5)[:, 0]
    for i in range(n):
        t = i / VIDEO_FPS
        flick = (
            1
            + 0.05 * math.sin(2 * math.pi * 1.3 * t)
            + 0.03 * math.sin(2 * math.pi * 3.1 * t + 1)
            + 0.05 * float(jitter[i])
        )
        sway = (
            0.35 * math.sin(2 * math.pi * 0.6 * t)
            + 0.15 * math.sin(2 * math.pi * 1.9 * t + 2)
            + 0.2 * float(jitter[i + 4])
        )
        img = base + glow.glow * (0.3 * flick)
        fl, wick = draw_flame(fh * (0.96 + 0.06 * flick), sway=sway, stretch=1.0 + 0.04 * (flick - 1))
        _composite(img, None, fl.rgb, fl.a, round(fx - wick[0]), round(fy - wick[1]))
        z = _zoom(t)
        box = (ax - ax / z, ay - ay / z, ax + (W - ax) / z, ay + (H - ay) / z)
        chans = [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(img[..., c])).transform(
                    (VIDEO_W, VIDEO_H), Image.EXTENT, box, Image.BICUBIC
                ),
                F32,
            )
            for c in range(3)
        ]
        small = np.stack(chans, axis=-1)
        frames.append(np.asarray(finish(small, rng, warmth=1.0, vignette=0.35, grain=0.008, bloom=0.6)))
    return frames


def ambient_chord(seed: int, seconds: float = VIDEO_SECONDS) -> np.ndarray:
    """A soft Fmaj9 pad (gently beating, detuned left/right) over a faint room tone: (2, n) float32."""
    rng = np.random.default_rng(seed)
    n = int(AUDIO_RATE * seconds)
    t = np.arange(n, dtype=np.float64) / AUDIO_RATE
    out = np.zeros((2, n))
    voices = [(87.31, 0.5), (174.61, 0.8), (220.0, 0.6), (261.63, 0.55), (329.63, 0.45), (392.0, 0.35)]
    for f, amp in voices:
        for ch, det in ((0, -0.3), (1, 0.3)):
            ph = rng.uniform(0, 2 * math.pi, 3)
            tone = (
                np.sin(2 * math.pi * (f + det) * t + ph[0])
                + 0.22 * np.sin(4 * math.pi * f * t + ph[1])
                + 0.06 * np.sin(6 * math.pi * f * t + ph[2])
            )
            lfo = 0.75 + 0.25 * np.sin(2 * math.pi * rng.uniform(0.15, 0.35) * t + rng.uniform(0, 6.3))
            out[ch] += amp * tone * lfo
    room = np.cumsum(rng.standard_normal((2, n)), axis=1)
    room -= _box_blur_axis(room.astype(F32), 400, 1)
    out += 0.02 * room / (np.abs(room).max() + 1e-9) * np.abs(out).max()
    env = np.minimum(1.0, np.minimum(t / 1.2, (seconds - t) / 1.5)).clip(0, 1)
    env = np.sin(env * math.pi / 2) ** 2
    out *= env
    out *= 0.3 / np.abs(out).max()
    return out.astype(np.float32)


def write_video(path: Path, seed: int) -> VideoScene:
    """Encode the frames (H.264, yuv420p, 30 fps) and the chord (AAC, 48 kHz stereo) into an MP4."""
    import av

    vs = video_scene(seed)
    frames = video_frames(vs, seed + 1)
    audio = ambient_chord(seed + 2)
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as out:
        v = out.add_stream("libx264", rate=VIDEO_FPS)
        v.width, v.height, v.pix_fmt = VIDEO_W, VIDEO_H, "yuv420p"
        # one thread: x264 output then does not depend on the machine's core count
        v.options = {
            "crf": "23",
            "preset": "slow",
            "tune": "film",
            "threads": "1",
            "x264-params": "keyint=60",
        }
        a = out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        a.bit_rate = 128000
        for i, arr in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, VIDEO_FPS)
            for packet in v.encode(frame):
                out.mux(packet)
        for packet in v.encode():
            out.mux(packet)
        step = 1024
        for start in range(0, audio.shape[1], step):
            chunk = np.ascontiguousarray(audio[:, start : start + step])
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate = AUDIO_RATE
            af.pts = start
            af.time_base = Fraction(1, AUDIO_RATE)
            for packet in a.encode(af):
                out.mux(packet)
        for packet in a.encode():
            out.mux(packet)
    return vs


# --------------------------------------------------------------------------------------------------
# Output: photos, demo.json, LICENSES.md
# --------------------------------------------------------------------------------------------------


@dataclass
class Photo:
    """One photo of the demo: which scene, its file name, and which placed products get a tag."""

    file: str
    scene: Callable[[int], Scene]
    tags: tuple[str, ...]
    orientation: int = 1  # EXIF orientation to store the pixels with (6 = needs a 90° clockwise turn)
    title: str = ""


PHOTOS: list[Photo] = [
    Photo(
        "breakfast-table.jpg",
        scene_breakfast,
        ("stoneware-mug", "linen-notebook-a5"),
        title="Breakfast table: mug, oak board, tea towel, notebook",
    ),
    Photo(
        "summer-flatlay.jpg",
        scene_flatlay,
        ("chemise-en-lin-ete", "round-sunglasses", "minimal-leather-watch", "washed-cotton-cap"),
        title="Summer flat-lay: linen shirt, sunglasses, watch, cap, notebook",
    ),
    Photo(
        "living-room-shelf.jpg",
        scene_shelf,
        ("stoneware-bud-vase", "terracotta-plant-pot"),
        title="Living-room shelf: vase, candle, pilea in terracotta, mug",
    ),
    Photo(
        "entryway-tote.jpg",
        scene_entryway,
        ("canvas-tote-bag",),
        title="Entryway: tote and scarf on a peg rail, pilea",
    ),
    Photo(
        "candles-evening.jpg",
        scene_candles,
        ("fig-cedar-candle",),
        orientation=6,
        title="Evening candles (stored rotated, EXIF orientation 6)",
    ),
    Photo("sneakers-studio.jpg", scene_sneakers, (), title="Sneakers on a sage paper sweep"),
    Photo("coffee-for-two.jpg", scene_mugs, (), title="Two mugs on a striped napkin"),
]
VIDEO_FILE = "candle-moment.mp4"
VIDEO_TAG = ("fig-cedar-candle", 0.5, 4.5)


def save_jpeg(im: Image.Image, path: Path, orientation: int = 1) -> None:
    """Baseline JPEG, no metadata except (optionally) the orientation tag; pixels pre-rotated to match."""
    kwargs: dict[str, object] = {"quality": 88, "optimize": True, "subsampling": "4:2:0"}
    if orientation == 6:
        im = im.transpose(Image.Transpose.ROTATE_90)  # stored turned left; viewers turn it back right
        exif = Image.Exif()
        exif[0x0112] = 6
        kwargs["exif"] = exif.tobytes()
    elif orientation != 1:
        raise ValueError(f"unsupported orientation {orientation}")
    im.save(path, "JPEG", **kwargs)


def _tag(
    media: str, p: Placement, w: int, h: int, extra: dict[str, object] | None = None
) -> dict[str, object]:
    r = lambda v: round(v, 4)  # noqa: E731
    tag: dict[str, object] = {
        "media": media,
        "product": p.handle,
        "x": r(p.x / w),
        "y": r(p.y / h),
        "box": [r(p.box[0] / w), r(p.box[1] / h), r(p.box[2] / w), r(p.box[3] / h)],
    }
    tag.update(extra or {})
    return tag


def _demo_json(spec: dict[str, object]) -> str:
    """Readable demo.json: settings one per line, then one tag per line."""
    head = {k: v for k, v in spec.items() if k != "tags"}
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append('  "tags": [')
    tags = spec["tags"]
    assert isinstance(tags, list)
    lines += [
        f"    {json.dumps(t, ensure_ascii=False)}{',' if i < len(tags) - 1 else ''}"
        for i, t in enumerate(tags)
    ]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def write_licenses(path: Path, rows: list[tuple[str, str, int]]) -> None:
    import av
    import PIL

    lines = [
        "# Demo workspace assets: provenance and licence",
        "",
        "Every file in `assets/demo/` is generated by `packaging/make_demo_assets.py` in this repository",
        "(procedural numpy + Pillow rendering, PyAV/FFmpeg encoding). Nothing was downloaded, photographed,",
        "recorded or traced: there are no third-party images, sounds or data in them.",
        "",
        "**Licence:** [CC0-1.0](https://creativecommons.org/publicdomain/zero/1.0/) (public-domain",
        "dedication) for all of the files below: the demo can be shipped, copied and modified freely.",
        "",
        f"**Brand and products are fictional.** “{BRAND}”, its product names, SKUs, the `200…`",
        "barcodes (GS1 in-store range, never assigned to real goods), prices and descriptions are made up;",
        "any resemblance to real brands or products is unintended. `shop.example.com` and `cdn.example.com`",
        "are reserved example domains (RFC 2606); the product image URLs in the CSV do not resolve.",
        "",
        "Text drawn inside the images (labels, the watch dial, the tote print) is set in Aileron Regular,",
        "the font embedded in Pillow (`ImageFont.load_default`) by Sora Sagano (dotcolon), released as CC0.",
        "",
        f"Regenerate (byte-identical with the same Pillow, numpy and PyAV builds; master seed {SEED};",
        f"last generated with Pillow {PIL.__version__}, numpy {np.__version__}, PyAV {av.__version__}):",
        "",
        "    .venv/bin/pip install numpy",
        "    .venv/bin/python packaging/make_demo_assets.py",
        "",
        "| File | What it is | Seed | SHA-256 (first 16) | Licence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, what, seed in rows:
        lines.append(f"| `{name}` | {what} | {seed} | `{_sha(path.parent / name)}` | CC0-1.0 |")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate assets/demo (catalog, photos, video, tags, licences).")
    ap.add_argument(
        "--only",
        nargs="*",
        help="re-render only these photos (file-name prefixes); leaves demo.json, LICENSES.md, video as is",
    )
    ap.add_argument("--preview", type=Path, help="also write half-size PNG previews here")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: assets/demo)")
    ap.add_argument("--no-video", action="store_true", help="skip the video (keeps the existing one)")
    a = ap.parse_args(argv)
    out: Path = a.out
    media = out / "media"
    media.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, int]] = []
    tags: list[dict[str, object]] = []
    write_catalog(out / "catalog.csv", np.random.default_rng(SEED))
    rows.append(("catalog.csv", f"Shopify product CSV, {len(PRODUCTS)} products", SEED))
    for i, ph in enumerate(PHOTOS):
        seed = SEED + 100 * (i + 1)
        if a.only and not any(ph.file.startswith(o) for o in a.only):
            continue
        sc = ph.scene(seed)
        im = sc.finish()
        if a.preview:
            a.preview.mkdir(parents=True, exist_ok=True)
            im.resize((im.width // 2, im.height // 2), Image.LANCZOS).save(
                a.preview / (Path(ph.file).stem + ".png")
            )
        save_jpeg(im, media / ph.file, ph.orientation)
        rows.append((f"media/{ph.file}", f"{ph.title}; {im.width}×{im.height} upright", seed))
        for handle in ph.tags:
            tags.append(_tag(f"media/{ph.file}", sc.placed[handle], sc.w, sc.h))
        print(f"{ph.file}: {im.width}x{im.height}, placed {sorted(sc.placed)}")
    if a.only:
        return 0
    vseed = SEED + 1000
    video = media / VIDEO_FILE
    if a.no_video and video.exists():
        vs = video_scene(vseed)
    else:
        vs = write_video(video, vseed)
    rows.append(
        (
            f"media/{VIDEO_FILE}",
            f"{VIDEO_SECONDS:g} s {VIDEO_W}×{VIDEO_H} H.264 {VIDEO_FPS} fps + AAC 48 kHz "
            "stereo: push-in on a lit candle, ambient chord",
            vseed,
        )
    )
    handle, t0, t1 = VIDEO_TAG
    p = vs.scene.placed[handle]
    # the push-in holds the candle still; its box is given at the middle of the tag's time span
    z = _zoom((t0 + t1) / 2)
    ax, ay = vs.anchor
    scale = lambda x, y: (ax + (x - ax) * z, ay + (y - ay) * z)  # noqa: E731
    bx0, by0 = scale(p.box[0], p.box[1])
    bx1, by1 = scale(p.box[2], p.box[3])
    vp = Placement(handle, p.x, p.y, (bx0, by0, bx1, by1))
    tags.append(_tag(f"media/{VIDEO_FILE}", vp, vs.scene.w, vs.scene.h, {"from": t0, "to": t1}))
    spec = {
        "name": f"Demo — {BRAND}",
        "currency": "EUR",
        "locale": "fr_FR",
        "store_url": STORE_URL,
        "tags": tags,
    }
    (out / "demo.json").write_text(_demo_json(spec), encoding="utf-8")
    rows.append(
        ("demo.json", "workspace settings and pre-placed tags (coordinates computed by the renderer)", SEED)
    )
    write_licenses(out / "LICENSES.md", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
