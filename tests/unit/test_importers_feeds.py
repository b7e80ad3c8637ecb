"""Meta / Pinterest / Google feeds: grouping, prices and currencies, links, per-row problems."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from studio.core.importers import ProblemLog, open_catalog
from studio.core.model import Availability, Product

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"
FEED_HEADER = "id,title,description,availability,price,link,image_link,brand"


def read(path: Path, **kw: object) -> tuple[list[tuple[Product, int]], ProblemLog, str]:
    problems = ProblemLog()
    kw.setdefault("currency", "USD")
    with open_catalog(path, problems=problems, **kw) as reader:  # type: ignore[arg-type]
        return list(reader.products()), problems, reader.format


def write(tmp_path: Path, text: str, name: str = "feed.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_id(items: list[tuple[Product, int]]) -> dict[str, Product]:
    return {p.id: p for p, _row in items}


def test_meta_groups_variants_applies_sale_and_warns_on_currency() -> None:
    items, problems, fmt = read(DATA / "meta.csv")
    assert fmt == "meta"
    assert [(p.id, row) for p, row in items] == [("DRESS-1", 2), ("CANDLE-01", 4), ("CANDLE-02", 5)]
    dress = by_id(items)["DRESS-1"]
    assert dress.title == "Robe d'été rouge" and dress.brand == "Maison Lune"
    assert [(v.id, v.sku, v.options, v.title) for v in dress.variants] == [
        ("DRESS-RED-S", "DRESS-RED-S", {"color": "Red", "size": "S"}, "Red / S"),
        ("DRESS-RED-M", "DRESS-RED-M", {"color": "Red", "size": "M"}, "Red / M"),
    ]
    assert (dress.price, dress.compare_at, dress.currency) == (Decimal("59.00"), Decimal("79.00"), "USD")
    assert dress.variants[1].availability == Availability.OUT_OF_STOCK
    assert dress.availability == Availability.IN_STOCK
    assert dress.url == "https://shop.example.com/products/robe-ete?variant=1"
    assert [i.rsplit("/", 1)[1] for i in dress.images] == ["robe-red.jpg", "robe-2.jpg", "robe-3.jpg"]
    candle = by_id(items)["CANDLE-01"]
    assert candle.variants == [] and candle.sku == "CANDLE-01" and candle.gtin == "3760000000012"
    euro = by_id(items)["CANDLE-02"]
    assert euro.currency == "EUR" and euro.availability == Availability.PREORDER
    (warning,) = list(problems)
    assert (warning.row, warning.field, warning.severity) == (5, "price", "warning")
    assert "EUR" in warning.message and "USD" in warning.message


def test_pinterest_tsv() -> None:
    items, problems, fmt = read(DATA / "pinterest.tsv")
    assert fmt == "pinterest" and list(problems) == []
    pot = by_id(items)["PLANT-POT"]
    assert [(v.id, v.options, v.price) for v in pot.variants] == [
        ("PLANT-POT-S", {"size": "Small"}, Decimal("18.00")),
        ("PLANT-POT-L", {"size": "Large"}, Decimal("26.00")),
    ]
    assert pot.variants[1].image.endswith("pot-l.jpg") and pot.product_type == "Home > Garden"
    vase = by_id(items)["VASE-01"]
    assert vase.title == "Vase bleu émaillé" and vase.availability == Availability.OUT_OF_STOCK


def test_google_tsv_underscore_availability_and_sale() -> None:
    items, problems, fmt = read(DATA / "google.tsv")
    assert fmt == "google" and list(problems) == []
    shoes = by_id(items)["SNK"]
    assert [v.availability for v in shoes.variants] == [Availability.IN_STOCK, Availability.OUT_OF_STOCK]
    assert (shoes.variants[0].price, shoes.variants[0].compare_at) == (Decimal("95.00"), Decimal("110.00"))
    assert (shoes.variants[1].price, shoes.variants[1].compare_at) == (Decimal("110.00"), None)
    assert by_id(items)["CAP-1"].availability == Availability.BACKORDER


def test_bad_rows_report_record_numbers_field_value_and_hint() -> None:
    items, problems, _ = read(DATA / "meta_bad_rows.csv")
    # record 2 spans three physical lines; numbering continues from 3
    assert [(p.id, row) for p, row in items] == [
        ("OK-1", 2),
        ("JS-LINK", 6),
        ("FTP-LINK", 8),
        ("EUR-1", 9),
        ("OK-2", 10),
    ]
    assert by_id(items)["OK-1"].description == 'Line one\nline two, with "quotes"\nline three'
    found = [(pr.row, pr.field, pr.value, pr.severity) for pr in problems]
    assert found == [
        (3, "price", "ten dollars", "error"),
        (4, "price", "12.99 DOLLARS", "error"),
        (5, "price", "12.99 XXY", "error"),
        (6, "link", "javascript:alert(1)", "error"),
        (7, "title", "", "error"),
        (8, "link", "ftp://example.com/x", "error"),
        (9, "price", "9.00 EUR", "warning"),
    ]
    assert all(pr.hint for pr in problems)
    assert "ISO 4217" in problems.kept[1].message and "'XXY'" in problems.kept[2].message
    evil = by_id(items)["JS-LINK"]
    assert evil.url == "" and evil.flags == ["no_link"]
    assert evil.images == ["https://shop.example.com/i/js.jpg"]


def test_prices_sale_windows_and_bare_numbers(tmp_path: Path) -> None:
    header = "id,title,price,sale_price,sale_price_effective_date,link"
    rows = [
        "A,Sale now,20.00 USD,15.00 USD,2000-01-01T00:00Z/2999-01-01T00:00Z,https://e.com/a",
        "B,Sale over,20.00 USD,15.00 USD,2000-01-01/2000-02-01,https://e.com/b",
        "C,Not lower,20.00 USD,25.00 USD,,https://e.com/c",
        "D,Bare number,20,,,https://e.com/d",
        "E,Code first,USD 7.5,,,https://e.com/e",
        "F,No link,3.00 usd,,,",
    ]
    items, problems, _ = read(write(tmp_path, "\n".join([header, *rows]) + "\n"), currency="USD")
    got = {p.id: (p.price, p.compare_at, p.currency) for p, _row in items}
    assert got == {
        "A": (Decimal("15.00"), Decimal("20.00"), "USD"),
        "B": (Decimal("20.00"), None, "USD"),
        "C": (Decimal("20.00"), None, "USD"),
        "D": (Decimal("20"), None, "USD"),
        "E": (Decimal("7.5"), None, "USD"),
        "F": (Decimal("3.00"), None, "USD"),
    }
    assert by_id(items)["F"].flags == ["no_link"]
    assert [(pr.row, pr.field, pr.severity) for pr in problems] == [
        (4, "sale_price", "warning"),
        (5, "price", "warning"),
        (7, "link", "warning"),
    ]


@pytest.mark.parametrize(
    ("header", "first_row", "name", "expected"),
    [
        ("id,title,price,link", "1,T,1.00 USD,https://e.com", "feed.csv", "meta"),  # CSV default
        ("id\ttitle\tprice\tlink", "1\tT\t1.00 USD\thttps://e.com", "feed.tsv", "google"),  # TSV default
        ("id,title,price,availability", "1,T,1.00 USD,in_stock", "feed.csv", "google"),  # value style
        ("id,title,price,availability", "1,T,1.00 USD,in stock", "feed.csv", "meta"),
        ("id,title,price,fb_product_category", "1,T,1.00 USD,x", "feed.csv", "meta"),
        ("id,title,price,quantity_to_sell_on_facebook", "1,T,1.00 USD,3", "feed.csv", "meta"),
        ("id,title,price,image[0].url", "1,T,1.00 USD,https://e.com/i.jpg", "feed.csv", "meta"),
        ("id\ttitle\tprice\tvariant_names", "1\tT\t1.00 USD\tSize", "feed.tsv", "pinterest"),
        ("id,title,price,ad_link", "1,T,1.00 USD,https://e.com", "feed.csv", "pinterest"),
        ("id,title,price,identifier_exists", "1,T,1.00 USD,no", "feed.csv", "google"),
        ("g:id\tg:title\tg:price", "1\tT\t1.00 USD", "feed.tsv", "google"),
        ("ID,Title,Price,Image Link", "1,T,1.00 USD,https://e.com/i.jpg", "feed.csv", "meta"),
    ],
)
def test_feed_flavour_detection(
    tmp_path: Path, header: str, first_row: str, name: str, expected: str
) -> None:
    items, _problems, fmt = read(write(tmp_path, f"{header}\n{first_row}\n", name))
    assert fmt == expected
    assert [p.id for p, _row in items] == ["1"]


def test_format_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "id,title,price\n1,T,1.00 USD\n")
    assert read(path, format="pinterest")[2] == "pinterest"


def test_group_rows_in_another_currency_are_rejected(tmp_path: Path) -> None:
    text = "id,title,price,item_group_id\nA1,Dress,10.00 USD,G\nA2,Dress,10.00 EUR,G\n"
    items, problems, _ = read(write(tmp_path, text))
    assert [v.id for v in items[0][0].variants] == ["A1"]
    assert [(pr.row, pr.severity) for pr in problems if pr.field == "price" and "differs" in pr.message] == [
        (3, "error")
    ]
