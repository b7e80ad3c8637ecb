"""Shopify product CSV, both header dialects: multi-row products, variants, images, encodings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from studio.core.errors import CatalogFormatError
from studio.core.importers import ProblemLog, open_catalog
from studio.core.model import Availability, Product

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"
STORE = "https://shop.example.com"

LEGACY_HEADER = (
    "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,"
    "Option2 Value,Variant SKU,Variant Inventory Qty,Variant Inventory Policy,Variant Price,"
    "Variant Compare At Price,Variant Barcode,Image Src,Image Position,Variant Image,Status"
)
CURRENT_HEADER = "Title,URL handle,Description,Vendor,SKU,Option1 name,Option1 value,Price,Compare-at price"


def read(path: Path, **kw: object) -> tuple[list[tuple[Product, int]], ProblemLog, str]:
    problems = ProblemLog()
    kw.setdefault("currency", "EUR")
    kw.setdefault("store_url", STORE)
    with open_catalog(path, problems=problems, **kw) as reader:  # type: ignore[arg-type]
        return list(reader.products()), problems, reader.format


def write(tmp_path: Path, text: str, name: str = "products.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def by_id(items: list[tuple[Product, int]]) -> dict[str, Product]:
    return {p.id: p for p, _row in items}


def test_current_dialect_with_bom_crlf_variants_and_image_rows() -> None:
    raw = (DATA / "shopify_current.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the sample is what it claims

    items, problems, fmt = read(DATA / "shopify_current.csv")
    assert fmt == "shopify"
    assert [(p.id, row) for p, row in items] == [
        ("chemise-lin-ete", 2),
        ("mug-ceramique", 6),
        ("linen-tote", 7),
    ]
    assert list(problems) == []

    shirt = by_id(items)["chemise-lin-ete"]
    assert shirt.title == "Chemise en lin Été"
    assert shirt.currency == "EUR"
    assert shirt.url == f"{STORE}/products/chemise-lin-ete"
    assert shirt.description == "Chemise légère en lin lavé.\n\n100 % lin\n\nCoupe droite"
    assert shirt.brand == "Atelier Sœur" and shirt.product_type == "Chemises"
    assert shirt.tags == ["été", "lin", "femme"]
    # the image-only row (record 5) adds an image, not a variant
    assert [v.id for v in shirt.variants] == [
        "chemise-lin-ete/Blue/M",
        "chemise-lin-ete/Blue/L",
        "chemise-lin-ete/White/M",
    ]
    assert [img.rsplit("/", 1)[1] for img in shirt.images] == [
        "chemise-1.jpg",
        "chemise-2.jpg",
        "chemise-3.jpg",
    ]
    first, second, third = shirt.variants
    assert first.options == {"Color": "Blue", "Size": "M"} and first.title == "Blue / M"
    assert first.sku == "LIN-SH-BLU-M" and first.gtin == "3700000000011"
    assert first.price == Decimal("89.00") and first.compare_at == Decimal("120.00")
    assert first.image.endswith("chemise-blue.jpg") and third.image.endswith("chemise-white.jpg")
    assert second.availability == Availability.OUT_OF_STOCK
    assert third.price == Decimal("92.50") and [v.position for v in shirt.variants] == [1, 2, 3]
    assert shirt.price == Decimal("89.00") and shirt.compare_at == Decimal("120.00") and shirt.on_sale
    assert shirt.availability == Availability.IN_STOCK

    mug = by_id(items)["mug-ceramique"]  # Option1 = Title / Default Title: no real variants
    assert mug.title == "陶器マグカップ" and mug.variants == []
    assert (mug.sku, mug.gtin, mug.price) == ("MUG-001", "4901234567894", Decimal("24.00"))
    assert mug.description == "Handmade stoneware mug, 350 ml.\nDishwasher safe."
    assert mug.availability == Availability.IN_STOCK  # inventory not tracked

    tote = by_id(items)["linen-tote"]
    assert tote.status == "draft" and tote.availability == Availability.BACKORDER
    assert tote.price == Decimal("35")


def test_legacy_dialect() -> None:
    items, problems, fmt = read(DATA / "shopify_legacy.csv")
    assert fmt == "shopify" and list(problems) == []
    scarf = by_id(items)["wool-scarf"]
    assert scarf.title == "Wool scarf" and scarf.description == "Warm & soft merino scarf."
    assert [(v.options, v.sku, v.availability) for v in scarf.variants] == [
        ({"Color": "Grey"}, "SCARF-GRY", Availability.IN_STOCK),
        ({"Color": "Red"}, "SCARF-RED", Availability.BACKORDER),  # policy "continue"
    ]
    assert scarf.variants[0].gtin == "0012345678905"
    assert scarf.variants[1].image.endswith("scarf-red.jpg")
    assert len(scarf.images) == 3
    socks = by_id(items)["crew-socks"]
    assert socks.variants == [] and socks.sku == "SOCK-3P"
    assert socks.description == "Organic cotton.\nMade in Portugal."
    assert (socks.price, socks.compare_at) == (Decimal("19.90"), Decimal("24.90"))


def test_no_store_url_imports_flagged_with_a_warning() -> None:
    items, problems, _ = read(DATA / "shopify_legacy.csv", store_url="")
    assert all(p.url == "" and p.flags == ["no_link"] for p, _row in items)
    warnings = [pr for pr in problems if pr.severity == "warning"]
    assert [(pr.row, pr.value) for pr in warnings] == [(2, "wool-scarf"), (5, "crew-socks")]
    assert "store URL" in warnings[0].message


def test_bad_rows_are_reported_with_record_numbers_after_a_multiline_record(tmp_path: Path) -> None:
    text = (
        LEGACY_HEADER
        + "\n"
        # record 2 spans three lines
        + 'tee,Tee,"<p>Line one</p>\n<p>Line two</p>\n<p>Line three</p>",V,T,,TRUE,Size,S,,,TEE-S,1,deny,'
        "10.00,,,https://cdn.example.com/tee.jpg,1,,active\n"
        + "tee,,,,,,,,M,,,TEE-M,1,deny,ten,,,,,,\n"  # record 3: bad price → variant skipped
        + "tee,,,,,,,,L,,,TEE-L,1,deny,12.00,abc,,,,javascript:alert(1),\n"  # 4: bad compare-at, bad image
        + "tee,,,,,,,,,,,,,,,,,ftp://cdn.example.com/x.jpg,2,,\n"  # 5: bad image row
        + "cap,,<p>no title</p>,V,T,,TRUE,Title,Default Title,,,CAP,1,deny,5.00,,,,,,active\n"  # 6
        + "cap,,,,,,,,,,,,,,,,,https://cdn.example.com/cap2.jpg,2,,\n"  # 7: skipped with its product
        + "mug,Mug,,V,T,,TRUE,Title,Default Title,,,MUG,1,deny,,,,,,,active\n"  # 8: no price
        + "bag,Bag,,V,T,,TRUE,Title,Default Title,,,BAG,1,deny,30.00,,,,,,active\n"  # 9
    )
    items, problems, _ = read(write(tmp_path, text))
    assert [(p.id, row) for p, row in items] == [("tee", 2), ("bag", 9)]
    tee = by_id(items)["tee"]
    assert [v.sku for v in tee.variants] == ["TEE-S", "TEE-L"] and tee.variants[1].image == ""
    assert len(tee.images) == 1
    found = [(pr.row, pr.field, pr.severity) for pr in problems]
    assert found == [
        (3, "Variant Price", "error"),
        (4, "Variant Compare At Price", "warning"),
        (4, "Variant Image", "error"),
        (5, "Image Src", "error"),
        (6, "Title", "error"),
        (8, "Variant Price", "error"),
    ]
    messages = {pr.row: pr for pr in problems}
    assert messages[3].value == "ten" and messages[3].hint
    assert "no Title" in messages[6].message


def test_missing_required_columns_is_a_format_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Handle,Title,Vendor,Option1 Name,Option1 Value\nx,X,V,Title,Default Title\n")
    with pytest.raises(CatalogFormatError, match=r"Shopify.*Price"):
        read(path)


def test_semicolon_excel_export_and_decimal_commas(tmp_path: Path) -> None:
    text = "Handle;Title;Variant Price;Variant Compare At Price;Option1 Name;Option1 Value\r\n"
    text += "pull;Pull côtelé;49,90;59,00;Title;Default Title\r\n"
    items, _problems, _ = read(write(tmp_path, text))
    (pull, _row), *_ = items
    assert (
        pull.title == "Pull côtelé" and pull.price == Decimal("49.90") and pull.compare_at == Decimal("59.00")
    )


def test_windows_1252_file_is_read_with_a_warning(tmp_path: Path) -> None:
    text = CURRENT_HEADER + "\r\nChemise Été,chemise,Légère,Sœur,SKU1,Title,Default Title,10.00,\r\n"
    items, problems, _ = read(write(tmp_path, text, encoding="cp1252"))
    assert items[0][0].title == "Chemise Été" and items[0][0].brand == "Sœur"
    assert [pr.severity for pr in problems] == ["warning"] and "Windows-1252" in problems.kept[0].message


def test_a_missing_handle_is_derived_from_the_title(tmp_path: Path) -> None:
    text = CURRENT_HEADER + "\nChemise Été!,,,,S1,Title,Default Title,10,\n"
    items, problems, _ = read(write(tmp_path, text))
    assert items[0][0].id == "chemise-ete"
    assert [(pr.row, pr.severity) for pr in problems] == [(2, "warning")]


def test_same_option_values_get_unique_variant_ids(tmp_path: Path) -> None:
    text = CURRENT_HEADER + "\nHat,hat,,,H1,Size,M,10,\n,hat,,,H2,,M,10,\n"
    items, _problems, _ = read(write(tmp_path, text))
    assert [v.id for v in items[0][0].variants] == ["hat/M", "hat/M#2"]


def test_header_only_file_yields_nothing(tmp_path: Path) -> None:
    items, problems, fmt = read(write(tmp_path, CURRENT_HEADER + "\n"))
    assert (items, list(problems), fmt) == ([], [], "shopify")
