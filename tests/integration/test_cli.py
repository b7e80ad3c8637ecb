"""The CLI contract, end to end, as a separate process: real workspace, real SQLite, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

SHOPIFY = (
    "Title,URL handle,Description,Vendor,Type,Tags,Published on online store,Status,SKU,Barcode,"
    "Option1 name,Option1 value,Price,Compare-at price,Product image URL,Image position\n"
    'Chemise en lin Été,chemise-lin,"<p>Lin <b>lavé</b></p>",Maison,Shirts,"lin, été",TRUE,active,'
    "CH-S,3760000000011,Size,S,89.00,110.00,https://cdn.example.com/c.jpg,1\n"
    ",chemise-lin,,,,,,,CH-M,,,M,89.00,110.00,,\n"
    "陶器マグカップ,mug,Handmade,Maison,Mugs,,TRUE,active,MUG-1,,Title,Default Title,24.50,,,\n"
    "Broken,broken,,Maison,,,TRUE,active,BR-1,,Title,Default Title,not-a-price,,,\n"
)


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    out = run(
        "init",
        str(ws),
        "--currency",
        "EUR",
        "--locale",
        "fr_FR",
        "--store-url",
        "https://shop.example.com",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["currency"] == "EUR"
    return ws


def test_catalog_import_search_and_reimport(workspace: Path, tmp_path: Path):
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(SHOPIFY, encoding="utf-8")
    out = run("catalog", "import", str(csv_file), "--workspace", str(workspace), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["format"] == "shopify"
    assert doc["products"]["created"] == 2
    assert doc["variants"] == 2  # the two shirt sizes; a single-variant mug counts none
    bad = [p for p in doc["problems"] if p["row"] == 5]
    assert bad and bad[0]["field"] == "Price" and bad[0]["value"] == "not-a-price"

    again = json.loads(run("catalog", "import", str(csv_file), "-w", str(workspace), "--json").stdout)
    assert again["products"]["created"] == 0 and again["products"]["unchanged"] == 2

    found = json.loads(run("catalog", "search", "chemise ete", "-w", str(workspace), "--json").stdout)
    assert found[0]["title"] == "Chemise en lin Été"
    assert found[0]["price"] == "89.00" and found[0]["currency"] == "EUR"
    assert len(found[0]["variants"]) == 2
    cjk = json.loads(run("catalog", "search", "マグ", "-w", str(workspace), "--json").stdout)
    assert [p["title"] for p in cjk] == ["陶器マグカップ"]

    human = run("catalog", "import", str(csv_file), "-w", str(workspace))
    assert human.returncode == 0 and "row 5" in human.stdout and "Price" in human.stdout


def test_not_a_catalog_is_exit_2_with_one_clear_line(workspace: Path, tmp_path: Path):
    junk = tmp_path / "photo.csv"
    Image.new("RGB", (10, 10)).save(junk, format="PNG")
    out = run("catalog", "import", str(junk), "-w", str(workspace))
    assert out.returncode == 2
    assert "photo.csv" in out.stderr and "Traceback" not in out.stderr
    missing = run("catalog", "import", str(tmp_path / "nope.csv"), "-w", str(workspace))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr


def test_media_add_tag_and_list(workspace: Path, tmp_path: Path):
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(SHOPIFY, encoding="utf-8")
    run("catalog", "import", str(csv_file), "-w", str(workspace))
    media_dir = workspace / "media"
    (media_dir / "sub").mkdir(parents=True)
    Image.new("RGB", (300, 200), "tan").save(media_dir / "look.jpg", quality=90)
    Image.new("RGB", (100, 100), "navy").save(media_dir / "sub" / "mug.png")
    (media_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")

    out = run("media", "add", str(media_dir), "-w", str(workspace), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert len(doc["added"]) == 2
    assert any("broken.jpg" in json.dumps(p) for p in doc["problems"])

    tag = run(
        "tag",
        "add",
        "media/look.jpg",
        "--product",
        "CH-M",
        "--x",
        "0.25",
        "--y",
        "0.5",
        "--box",
        "0.1,0.2,0.4,0.9",
        "-w",
        str(workspace),
        "--json",
    )
    assert tag.returncode == 0, tag.stderr
    t = json.loads(tag.stdout)
    assert t["product_id"] == "chemise-lin" and t["x"] == 0.25 and t["box"] == [0.1, 0.2, 0.4, 0.9]
    assert t["price_label"] == "89,00\u00a0€"

    outside = run(
        "tag", "add", "media/look.jpg", "--product", "mug", "--x", "1.5", "--y", "0.5", "-w", str(workspace)
    )
    assert outside.returncode == 2 and "outside the image" in outside.stderr
    unknown = run(
        "tag", "add", "media/look.jpg", "--product", "NOPE", "--x", "0.5", "--y", "0.5", "-w", str(workspace)
    )
    assert unknown.returncode == 2 and "NOPE" in unknown.stderr
    photo_time = run(
        "tag",
        "add",
        "media/look.jpg",
        "--product",
        "mug",
        "--x",
        "0.5",
        "--y",
        "0.5",
        "--from",
        "1",
        "--to",
        "2",
        "-w",
        str(workspace),
    )
    assert photo_time.returncode == 2 and "photo" in photo_time.stderr

    listed = json.loads(run("tag", "list", "-w", str(workspace), "--json").stdout)
    assert len(listed) == 1 and listed[0]["media"] == "media/look.jpg"
    info = json.loads(run("info", "-w", str(workspace), "--json").stdout)
    assert info["media"]["total"] == 2 and info["tags"] == 1 and info["products"] == 2


def test_media_add_nothing_usable_is_exit_1(workspace: Path, tmp_path: Path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("hello")
    out = run("media", "add", str(bad), "-w", str(workspace))
    assert out.returncode == 1 and "notes.jpg" in out.stdout + out.stderr


def test_usage_errors_are_exit_2(tmp_path: Path):
    assert run("catalog", "import").returncode == 2
    assert run("init", str(tmp_path / "x"), "--currency", "EURO").returncode == 2
    out = run("info", "-w", str(tmp_path / "missing"))
    assert out.returncode == 2 and "missing" in out.stderr


def test_second_writer_gets_clear_error(workspace: Path):
    from studio.core.workspace import Workspace

    with Workspace.open(workspace):
        out = run("media", "add", str(workspace), "-w", str(workspace))
    assert out.returncode == 2 and "already open in another window" in out.stderr


def test_gui_without_display_explains_in_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run(
        [sys.executable, "-m", "studio"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no display" in lines[0] and "studio --help" in lines[0]


def test_missing_media_is_reported_and_relinked_by_hash(workspace: Path, tmp_path: Path):
    shots = tmp_path / "shots"
    shots.mkdir()
    Image.new("RGB", (320, 200), "olive").save(shots / "look.jpg")
    assert run("media", "add", str(shots), "-w", str(workspace)).returncode == 0

    moved = tmp_path / "archive" / "2026"
    moved.mkdir(parents=True)
    (shots / "look.jpg").rename(moved / "renamed-look.jpg")
    info = json.loads(run("info", "-w", str(workspace), "--json").stdout)
    assert [Path(p).name for p in info["media"]["missing"]] == ["look.jpg"]

    out = run("media", "relink", str(tmp_path / "archive"), "-w", str(workspace), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [Path(r["new_path"]).name for r in doc["relinked"]] == ["renamed-look.jpg"]
    assert doc["still_missing"] == []
    info = json.loads(run("info", "-w", str(workspace), "--json").stdout)
    assert info["media"]["missing"] == []

    empty = tmp_path / "empty"
    empty.mkdir()
    (moved / "renamed-look.jpg").unlink()
    out = run("media", "relink", str(empty), "-w", str(workspace))
    assert out.returncode == 1 and "still missing" in out.stdout
