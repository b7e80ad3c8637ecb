"""`studio presets` and `studio export`, end to end as a separate process on a real workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

SHOPIFY = (
    "Title,URL handle,Description,Vendor,Type,Tags,Published on online store,Status,SKU,Barcode,"
    "Option1 name,Option1 value,Price,Compare-at price,Product image URL,Image position\n"
    "<script>alert(1)</script>,evil-mug,,Maison,Mugs,,TRUE,active,MUG-1,,Title,Default Title,24.50,,,\n"
    "Chemise en lin,chemise-lin,,Maison,Shirts,,TRUE,active,CH-1,,Title,Default Title,89.00,110.00,,\n"
)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )


def test_presets_json_lists_the_platform_table():
    out = run("presets", "--json")
    assert out.returncode == 0, out.stderr
    docs = {d["name"]: d for d in json.loads(out.stdout)}
    assert (docs["instagram-portrait"]["width"], docs["instagram-portrait"]["height"]) == (1080, 1350)
    assert docs["instagram-story"]["aspect"] == "9:16" and docs["facebook-link"]["fit"] == "letterbox"
    human = run("presets")
    assert human.returncode == 0 and "pinterest-standard" in human.stdout


def test_export_end_to_end(tmp_path: Path):
    ws = tmp_path / "ws"
    assert (
        run("init", str(ws), "--currency", "EUR", "--store-url", "https://shop.example.com").returncode == 0
    )
    csv_file = tmp_path / "p.csv"
    csv_file.write_text(SHOPIFY, encoding="utf-8")
    assert run("catalog", "import", str(csv_file), "-w", str(ws), "--json").returncode == 0
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, color in (("look.jpg", (120, 160, 200)), ("broken.jpg", (200, 160, 120))):
        img = Image.new("RGB", (300, 200), color)
        ImageDraw.Draw(img).ellipse([130, 80, 170, 120], fill=(250, 250, 250))
        img.save(photos / name, quality=90)
    added = run("media", "add", str(photos), "-w", str(ws), "--json")
    assert added.returncode == 0, added.stderr
    for sku, x in (("MUG-1", "0.45"), ("MUG-1", "0.55"), ("CH-1", "0.01")):
        tagged = run(
            "tag",
            "add",
            str(photos / "look.jpg"),
            "--product",
            sku,
            "--x",
            x,
            "--y",
            "0.5",
            "-w",
            str(ws),
            "--json",
        )
        assert tagged.returncode == 0, tagged.stderr
    run(
        "tag",
        "add",
        str(photos / "broken.jpg"),
        "--product",
        "CH-1",
        "--x",
        "0.5",
        "--y",
        "0.5",
        "-w",
        str(ws),
    )
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")  # damaged after intake

    out_dir = tmp_path / "out"
    args = ["export", "-w", str(ws), "--preset", "instagram-story,facebook-link", "--out", str(out_dir)]
    res = run(*args, "--kind", "clean,labeled,html,dataset", "--workers", "2", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"]["exported"] == 1 and doc["summary"]["failed"] == 1
    assert any("broken.jpg" in p["message"] for p in doc["problems"])
    assert (out_dir / "manifest.json").is_file()
    assert (out_dir / "instagram-story" / "look.labeled.jpg").is_file()
    assert (out_dir / "facebook-link" / "dataset.coco.json").is_file()
    page = (out_dir / "instagram-story" / "look.html.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = json.loads((out_dir / "instagram-story" / "look.tags.json").read_text())
    assert [t["sku"] for t in tags["tags"]] == ["MUG-1", "MUG-1"]
    assert [o["title"] for o in doc["tags_outside_crop"]] == ["Chemise en lin"]  # far left, cropped away

    again = run(*args, "--kind", "clean,labeled,html,dataset", "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["summary"]["outputs_written"] == 0  # resumed: nothing to redo

    bad = run(*args, "--kind", "gif", "--json")
    assert bad.returncode == 2 and "gif" in json.loads(bad.stdout)["message"]
    unknown = run("export", "-w", str(ws), "--preset", "tiktok", "--out", str(out_dir))
    assert unknown.returncode == 2 and "tiktok" in unknown.stderr
