"""Feed files: exact headers, quoting, UTF-8, TSV flattening, atomic replace, the report."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from studio.core.catalog_fields import SPECS
from studio.core.errors import Cancelled, UsageError
from studio.core.feeds import feed_format, read_feed, write_feed
from studio.core.model import Availability, Product, Project, Variant
from studio.core.progress import CancelToken

PROJECT = Project(name="Feed Test", extra={"utm": {"enabled": False}})

META_HEADER = (
    "id,title,description,availability,condition,price,sale_price,link,image_link,additional_image_link,"
    "brand,gtin,mpn,item_group_id,color,size,material,pattern,gender,age_group,product_type"
)
PINTEREST_HEADER = (
    "id,title,description,link,image_link,additional_image_link,price,sale_price,availability,condition,"
    "brand,gtin,mpn,item_group_id,color,size,material,pattern,gender,age_group,product_type"
)
GOOGLE_HEADER = (
    "id\ttitle\tdescription\tlink\timage_link\tadditional_image_link\tavailability\tprice\tsale_price\t"
    "condition\tbrand\tgtin\tmpn\tidentifier_exists\titem_group_id\tcolor\tsize\tmaterial\tpattern\tgender\t"
    "age_group\tproduct_type"
)


def products() -> list[Product]:
    tricky = Product(
        "vase",
        'Vase "Edge", large',
        Decimal("24.5"),
        "USD",
        brand="Maison Été",
        description="Hand-thrown, glazed.\nSecond line\twith a tab; 日本語 ✓",
        url="https://shop.example/vase",
        images=["https://cdn.example/vase.jpg"],
        availability=Availability.IN_STOCK,
    )
    shirt = Product(
        "shirt",
        "Shirt",
        Decimal("89"),
        "USD",
        brand="Acme",
        url="https://shop.example/shirt",
        images=["https://cdn.example/shirt.jpg"],
        availability=Availability.IN_STOCK,
        variants=[
            Variant("s-m", sku="S-M", options={"Size": "M"}, position=1),
            Variant("s-l", sku="S-L", options={"Size": "L"}, position=2),
        ],
    )
    broken = Product("broken", "No link", Decimal("5"), "USD", brand="Acme", images=["https://c/x.jpg"])
    quoted = Product(
        "quoted",
        '"Quoted" start',
        Decimal("5"),
        "USD",
        brand="Acme",
        url="https://shop.example/q",
        images=["https://c/q.jpg"],
        availability=Availability.IN_STOCK,
    )
    return [tricky, shirt, broken, quoted]


def test_meta_csv_header_quoting_and_utf8(tmp_path: Path):
    out = tmp_path / "meta.csv"
    report = write_feed(products(), "meta", out, project=PROJECT)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    text = raw.decode("utf-8")
    assert text.split("\r\n", 1)[0] == META_HEADER
    assert '"Vase ""Edge"", large"' in text  # comma + quotes: quoted, quotes doubled
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    assert [r["id"] for r in rows] == ["vase", "S-M", "S-L", "quoted"]
    vase = rows[0]
    assert vase["title"] == 'Vase "Edge", large'
    # line breaks survive (quoted); tabs and runs of spaces are collapsed by the HTML-to-text step
    assert vase["description"] == "Hand-thrown, glazed.\nSecond line with a tab; 日本語 ✓"
    assert vase["brand"] == "Maison Été" and vase["price"] == "24.50 USD"
    assert rows[1]["item_group_id"] == "shirt" and rows[1]["size"] == "M"
    assert report.written == 4 and report.left_out == 1 and report.items == 5
    assert any(p.product_id == "broken" and p.field == "link" for p in report.errors)
    assert report.to_dict()["errors"] == len(report.errors)
    assert read_feed(out) == rows


def test_pinterest_csv_and_tsv_headers(tmp_path: Path):
    csv_out = tmp_path / "pins.csv"
    write_feed(products(), "pinterest", csv_out, project=PROJECT)
    assert csv_out.read_bytes().decode("utf-8").split("\r\n", 1)[0] == PINTEREST_HEADER
    tsv_out = tmp_path / "pins.tsv"
    report = write_feed(products(), "pinterest", tsv_out, project=PROJECT)
    assert report.format == "tsv"
    lines = tsv_out.read_text(encoding="utf-8").split("\n")
    assert lines[0] == PINTEREST_HEADER.replace(",", "\t")
    assert len(lines) == 1 + 4 + 1  # header, 4 rows, trailing newline
    assert all(len(line.split("\t")) == len(SPECS["pinterest"].columns) for line in lines[:-1])


def test_google_tsv_flattens_tabs_and_newlines(tmp_path: Path):
    out = tmp_path / "google.txt"
    write_feed(products(), "google", out, project=PROJECT)
    text = out.read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == GOOGLE_HEADER
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    assert rows[0]["description"] == "Hand-thrown, glazed. Second line with a tab; 日本語 ✓"
    assert "\r" not in text
    assert rows[0]["title"] == 'Vase "Edge", large'
    assert '\tVase "Edge", large\t' in text  # inner quotes need no quoting in TSV
    assert '\t"""Quoted"" start"\t' in text  # a leading quote does
    assert rows[3]["title"] == '"Quoted" start'
    assert rows[0]["availability"] == "in_stock" and rows[0]["identifier_exists"] == "no"
    assert read_feed(out, "tsv") == rows
    assert feed_format("google", "feed.csv") == "tsv"


def test_include_invalid_writes_every_item(tmp_path: Path):
    report = write_feed(products(), "meta", tmp_path / "all.csv", project=PROJECT, include_invalid=True)
    assert report.written == 5 and report.left_out == 0


def test_cancel_keeps_the_previous_file(tmp_path: Path):
    out = tmp_path / "meta.csv"
    out.write_text("old feed", encoding="utf-8")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_feed(products(), "meta", out, project=PROJECT, cancel=token)
    assert out.read_text(encoding="utf-8") == "old feed"
    assert [p.name for p in tmp_path.iterdir()] == ["meta.csv"]  # no temp file left


def test_bad_format_and_missing_folder(tmp_path: Path):
    with pytest.raises(UsageError, match="unknown feed format"):
        write_feed(products(), "tiktok", tmp_path / "x.csv", project=PROJECT)
    with pytest.raises(UsageError, match="folder does not exist"):
        write_feed(products(), "meta", tmp_path / "nope" / "x.csv", project=PROJECT)


def test_many_rows_stream_with_progress(tmp_path: Path):
    many = [
        Product(
            f"p{n}",
            f"Product {n}",
            Decimal("1.99"),
            "USD",
            brand="B",
            url=f"https://s.example/{n}",
            images=[f"https://c.example/{n}.jpg"],
            availability=Availability.IN_STOCK,
        )
        for n in range(1000)
    ]
    calls: list[tuple[int, int]] = []
    report = write_feed(
        iter(many),
        "google",
        tmp_path / "g.tsv",
        project=PROJECT,
        total=1000,
        progress=lambda d, t, m: calls.append((d, t)),
    )
    assert report.written == 1000 and calls[-1] == (1000, 1000) and len(calls) > 3
