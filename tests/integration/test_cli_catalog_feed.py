"""`studio catalog feed` and `studio catalog stale`, end to end as separate processes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

HEADER = (
    "Title,URL handle,Description,Vendor,Type,Tags,Published on online store,Status,SKU,Barcode,"
    "Option1 name,Option1 value,Price,Compare-at price,Inventory quantity,Product image URL,Image position\n"
)


def shopify(mug_price: str) -> str:
    return HEADER + (
        '"Mug, ""Edge""",edge-mug,<p>Stoneware &amp; <b>glaze</b></p>,Maison,Mugs,,TRUE,active,MUG-1,,'
        f"Title,Default Title,{mug_price},,5,https://cdn.example.com/mug.jpg,1\n"
        "Chemise en lin,chemise,A shirt,Maison,Shirts,,TRUE,active,CH-S,,Size,S,89.00,110.00,3,"
        "https://cdn.example.com/ch.jpg,1\n"
        ",chemise,,,,,,,CH-M,,,M,89.00,110.00,0,,\n"
    )


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )


def test_feed_and_stale_via_the_cli(tmp_path: Path):
    ws = tmp_path / "ws"
    init = run("init", str(ws), "--currency", "EUR", "--store-url", "https://shop.example.com")
    assert init.returncode == 0, init.stderr
    catalog = tmp_path / "products.csv"
    catalog.write_text(shopify("24.50"), encoding="utf-8")
    imported = run("catalog", "import", str(catalog), "-w", str(ws), "--json")
    assert imported.returncode == 0, imported.stderr

    # Feeds: Meta CSV, Pinterest TSV, Google TSV — read back with the csv module.
    meta_out = tmp_path / "meta.csv"
    res = run(
        "catalog",
        "feed",
        "-w",
        str(ws),
        "--format",
        "meta",
        "--out",
        str(meta_out),
        "--country",
        "FR",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["format"] == "csv" and report["columns"][:3] == ["id", "title", "description"]
    rows = list(csv.DictReader(io.StringIO(meta_out.read_text(encoding="utf-8"), newline="")))
    by_id = {r["id"]: r for r in rows}
    assert report["written"] == len(rows) >= 3
    mug = next(r for r in rows if r["title"] == 'Mug, "Edge"')
    assert mug["price"] == "24.50 EUR" and mug["description"] == "Stoneware & glaze"
    assert mug["link"].startswith("https://shop.example.com/") and "utm_source=meta" in mug["link"]
    shirts = [r for r in rows if r["item_group_id"]]
    assert {r["id"] for r in shirts} == {"CH-S", "CH-M"} and by_id["CH-S"]["sale_price"] == "89.00 EUR"
    assert by_id["CH-S"]["price"] == "110.00 EUR"

    google = tmp_path / "google.txt"
    res = run("catalog", "feed", "-w", str(ws), "--format", "google", "--out", str(google), "--country", "US")
    # EUR prices for the US: Google rejects them, every item is left out and the exit code says so
    assert res.returncode == 1 and "price" in res.stdout and "left out" in res.stdout
    header = google.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
    assert header[:5] == ["id", "title", "description", "link", "image_link"]

    pins = tmp_path / "pins.tsv"
    res = run(
        "catalog", "feed", "-w", str(ws), "--format", "pinterest", "--out", str(pins), "--country", "FR"
    )
    assert res.returncode == 0, res.stderr
    assert pins.read_text(encoding="utf-8").startswith("id\ttitle\tdescription\tlink\t")

    bad = run("catalog", "feed", "-w", str(ws), "--format", "tiktok", "--out", str(pins))
    assert bad.returncode == 2 and "tiktok" in bad.stderr

    # Stale: tag the mug on a photo, export, re-import with a new price.
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (200, 150), (120, 160, 200)).save(photos / "look.jpg", quality=90)
    assert run("media", "add", str(photos), "-w", str(ws), "--json").returncode == 0
    tagged = run(
        "tag",
        "add",
        str(photos / "look.jpg"),
        "--product",
        "MUG-1",
        "--x",
        "0.5",
        "--y",
        "0.5",
        "-w",
        str(ws),
    )
    assert tagged.returncode == 0, tagged.stderr
    out_dir = tmp_path / "out"
    exported = run(
        "export", "-w", str(ws), "--preset", "instagram-square", "--out", str(out_dir), "--kind", "labeled"
    )
    assert exported.returncode == 0, exported.stderr + exported.stdout

    fresh = run("catalog", "stale", "-w", str(ws), "--json")
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)["stale"] == []

    catalog.write_text(shopify("19.90"), encoding="utf-8")
    assert run("catalog", "import", str(catalog), "-w", str(ws), "--json").returncode == 0
    res = run("catalog", "stale", "-w", str(ws), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"]["export"] >= 1
    item = doc["stale"][0]
    assert item["reason"] == "price_changed" and item["kind"] == "export"
    assert (item["shown_price"], item["current_price"]) == ("24.50", "19.90")
    assert Path(item["ref"]).is_relative_to(out_dir.resolve())
    human = run("catalog", "stale", "-w", str(ws))
    assert human.returncode == 0 and "24.5" in human.stdout and "19.9" in human.stdout
