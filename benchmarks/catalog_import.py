"""Benchmark: import a 100,000-row Shopify CSV and search it while typing.

Run with the project's interpreter:  .venv/bin/python benchmarks/catalog_import.py [--products N]

What it measures (targets for a 2-core machine in brackets):
  * a bare `csv.reader` pass over the file — the floor no importer can beat;
  * the full import into a fresh store, in a fresh child process so that generating the CSV does
    not inflate its peak RSS [< 10 s, < 300 MB];
  * a second import of the same file (everything "unchanged");
  * 1,000 type-ahead searches, prefixes typed character by character [p95 < 30 ms].
A script, not a test: it prints figures and never asserts on timings.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER_LINE = (
    "Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,"
    "Barcode,Option1 name,Option1 value,Option1 Linked To,Option2 name,Option2 value,Option2 Linked To,"
    "Option3 name,Option3 value,Option3 Linked To,Price,Compare-at price,Cost per item,Charge tax,Tax code,"
    "Unit price total measure,Unit price total measure unit,Unit price base measure,"
    "Unit price base measure unit,Inventory tracker,Inventory quantity,Continue selling when out of stock,"
    "Weight value (grams),Weight unit for display,Requires shipping,Fulfillment service,Product image URL,"
    "Image position,Image alt text,Variant image URL,Gift card,SEO title,SEO description,"
    "Color (product.metafields.shopify.color-pattern),Google Shopping / Google product category,"
    "Google Shopping / Gender,Google Shopping / Age group,Google Shopping / Manufacturer part number (MPN),"
    "Google Shopping / Ad group name,Google Shopping / Ads labels,Google Shopping / Condition,"
    "Google Shopping / Custom product,Google Shopping / Custom label 0,Google Shopping / Custom label 1,"
    "Google Shopping / Custom label 2,Google Shopping / Custom label 3,Google Shopping / Custom label 4"
)
HEADER = next(csv.reader([HEADER_LINE]))
COL = {name: i for i, name in enumerate(HEADER)}

NOUNS = [
    "Chemise", "Robe", "Mug", "Linen shirt", "Sneakers", "Écharpe", "Wool scarf", "Tote bag", "Bougie",
    "Vase", "Chaussettes", "Casquette", "Pull", "Jupe", "Blouse", "Ceramic bowl", "Teapot", "Sandales",
    "Lampe", "Coussin", "Plaid", "Backpack", "Carafe", "Tablier",
]  # fmt: skip
MATERIALS = [
    "en lin", "en céramique", "en laine mérinos", "en coton bio", "linen", "stoneware", "en soie", "leather",
    "en cuir", "recycled", "en grès émaillé", "velvet",
]  # fmt: skip
ADJECTIVES = [
    "Été", "Légère", "Classic", "Oversize", "Rayée", "Minimal", "Vintage", "Douce", "Noël", "Everyday",
    "Brodée", "Naturelle", "Crème brûlée", "Côtelée",
]  # fmt: skip
VENDORS = ["Atelier Sœur", "Kiln & Co", "Nordic Knit", "Maison Lune"]
COLORS = ["Blue", "White", "Noir", "Rouge", "Sable", "Olive", "Écru", "Grey"]
SIZES = ["S", "M", "L", "XL"]
TYPED_WORDS = [
    "lin", "chemise", "mug", "robe", "céramique", "ete", "laine", "sneakers", "scarf", "vase", "bougie",
    "coton", "cuir", "vintage", "tote", "noel", "grès", "linen shirt", "robe ete", "chem lin",
]  # fmt: skip


def generate(path: Path, products: int, seed: int = 7) -> int:
    """Write a current-dialect Shopify export: `products` × 4 variant rows. Returns rows written."""
    rng = random.Random(seed)
    rows = 0
    cdn = "https://cdn.shopify.com/s/files/1/0555/products"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for n in range(products):
            title = f"{rng.choice(NOUNS)} {rng.choice(MATERIALS)} {rng.choice(ADJECTIVES)} {n}"
            handle = f"product-{n}"
            colors = rng.sample(COLORS, 2)
            sizes = rng.sample(SIZES, 2)
            price = f"{rng.randint(9, 250)}.{rng.choice(['00', '50', '90', '99'])}"
            description = (
                f"<p>{title}: une pièce <strong>essentielle</strong> de la collection.</p>\n"
                "<ul><li>Matière naturelle</li><li>Fabriqué au Portugal</li></ul>"
            )
            for v, (color, size) in enumerate((c, s) for c in colors for s in sizes):
                row = [""] * len(HEADER)
                row[COL["URL handle"]] = handle
                if v == 0:
                    row[COL["Title"]] = title
                    row[COL["Description"]] = description
                    row[COL["Vendor"]] = rng.choice(VENDORS)
                    row[COL["Type"]] = rng.choice(["Chemises", "Mugs", "Accessories", "Home"])
                    row[COL["Tags"]] = "été, nouveauté"
                    row[COL["Published on online store"]] = "TRUE"
                    row[COL["Status"]] = "active"
                    row[COL["Option1 name"]] = "Color"
                    row[COL["Option2 name"]] = "Size"
                    row[COL["Product image URL"]] = f"{cdn}/{handle}-1.jpg"
                    row[COL["Image position"]] = "1"
                row[COL["SKU"]] = f"SKU-{n:06d}-{v}"
                row[COL["Barcode"]] = f"{3700000000000 + n * 4 + v}"
                row[COL["Option1 value"]] = color
                row[COL["Option2 value"]] = size
                row[COL["Price"]] = price
                row[COL["Compare-at price"]] = "" if n % 3 else "299.00"
                row[COL["Inventory tracker"]] = "shopify"
                row[COL["Inventory quantity"]] = str(rng.randint(0, 20))
                row[COL["Continue selling when out of stock"]] = "FALSE"
                row[COL["Variant image URL"]] = f"{cdn}/{handle}-{color.lower()}.jpg"
                row[COL["Gift card"]] = "FALSE"
                w.writerow(row)
                rows += 1
    return rows


def baseline(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as fh:
        for _row in csv.reader(fh):
            pass
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from studio.core.catalog_store import CatalogStore
from studio.jobs.import_catalog import import_catalog
store = CatalogStore(sys.argv[2])
results = []
for _ in range(2):
    t, cpu = time.perf_counter(), time.process_time()
    report = import_catalog(sys.argv[1], store, store_url="https://shop.example.com", currency="EUR")
    results.append(
        {"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "report": report.to_dict()}
    )
store.close()
print(json.dumps({"runs": results, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def import_in_child(csv_path: Path, db_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(csv_path), str(db_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def typed_queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        word = rng.choice(TYPED_WORDS)
        queries.extend(word[:i] for i in range(1, len(word) + 1))
    return queries[:count]


def search_timings(db_path: Path, queries: list[str]) -> tuple[list[float], dict[str, int]]:
    from studio.core.catalog_store import CatalogStore

    timings: list[float] = []
    hits: dict[str, int] = {}
    with CatalogStore(db_path) as store:
        store.search("warm up", limit=20)
        for q in queries:
            t = time.perf_counter()
            results = store.search(q, limit=20)
            timings.append((time.perf_counter() - t) * 1000)
            hits[q] = len(results)
    return timings, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=25_000)
    parser.add_argument("--searches", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as tmp:
        folder = Path(tmp)
        csv_path, db_path = folder / "products_export.csv", folder / "catalog.sqlite"
        t = time.perf_counter()
        rows = generate(csv_path, args.products)
        size_mb = csv_path.stat().st_size / 1e6
        took = time.perf_counter() - t
        print(f"generated {rows:,} rows ({args.products:,} products, {size_mb:.1f} MB) in {took:.1f} s")

        base = baseline(csv_path)
        print(f"baseline csv.reader pass      {base:7.2f} s   {rows / base:>10,.0f} rows/s")

        child = import_in_child(csv_path, db_path)
        first, second = child["runs"]
        for label, run in (("import (fresh store)", first), ("re-import (unchanged)", second)):
            secs = run["seconds"]
            prod = run["report"]["products"]
            print(
                f"{label:<29} {secs:7.2f} s   {rows / secs:>10,.0f} rows/s   {secs / base:5.1f}× baseline   "
                f"(CPU {run['cpu']:.2f} s)  "
                f"created {prod['created']:,} updated {prod['updated']:,} unchanged {prod['unchanged']:,}  "
                f"variants {run['report']['variants']:,}  problems {len(run['report']['problems'])}"
            )
        print(f"peak RSS of the import process {child['maxrss_kb'] / 1024:6.1f} MB")
        print(f"catalog.sqlite                {db_path.stat().st_size / 1e6:7.1f} MB")

        queries = typed_queries(args.searches)
        timings, hits = search_timings(db_path, queries)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{len(queries)} type-ahead searches          p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   "
            f"max {timings[-1]:6.2f} ms"
        )
        samples = ["l", "lin", "chem", "mug", "robe ete", "céramique"]
        print("  hits (limit 20): " + ", ".join(f"{q!r}={hits.get(q, '-')}" for q in samples))


if __name__ == "__main__":
    main()
