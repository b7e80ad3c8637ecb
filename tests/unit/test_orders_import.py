"""Orders import and attribution from a generated Shopify orders export (the real column names, one row
per line item, order fields on the first row only) and from a UTM CSV with a column mapping."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from studio.core.errors import InputError
from studio.core.insights_store import PostRef
from studio.core.orders import (
    attribute,
    caption_with_code,
    code_prefix,
    discount_code_for,
    parse_money,
    parse_when,
    read_orders_csv,
)

SHOPIFY_HEADER = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Shipping Name",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Phone",
    "Receipt Number",
]

PUBLISHED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
POSTS = [
    PostRef("post_a", "instagram", "m1", "IMAGE", PUBLISHED, "", ["prod-blue"], "Shop IG"),
    PostRef(
        "post_b", "instagram", "m2", "REELS", PUBLISHED + timedelta(days=1), "", ["prod-red", "prod-blue"], ""
    ),
    PostRef(
        "post_b", "facebook", "f2", "IMAGE", PUBLISHED + timedelta(days=1), "", ["prod-red", "prod-blue"], ""
    ),
    PostRef("post_c", "pinterest", "pin3", "PIN", PUBLISHED, "", ["prod-green"], "Shop Pins"),
]
SKUS = {"SKU-RED": "prod-red", "SKU-BLUE": "prod-blue", "SKU-GREEN": "prod-green"}


def order_rows(
    name: str, created: str, total: str, lines: list[tuple[str, str, str]], **order: str
) -> list[dict[str, str]]:
    """Shopify layout: the order fields on the first row, the line item fields on every row."""
    rows = []
    for i, (qty, price, sku) in enumerate(lines):
        row = {h: "" for h in SHOPIFY_HEADER}
        row.update({"Name": name, "Lineitem quantity": qty, "Lineitem price": price, "Lineitem sku": sku})
        row["Lineitem name"] = f"Item {sku}"
        if i == 0:
            row.update(
                {
                    "Created at": created,
                    "Currency": "EUR",
                    "Total": total,
                    "Source": "web",
                    "Financial Status": "paid",
                }
            )
            row.update({k.replace("_", " "): v for k, v in order.items()})
        rows.append(row)
    return rows


def write_shopify(path: Path) -> Path:
    code_a = discount_code_for("post_a")
    rows: list[dict[str, str]] = []
    rows += order_rows(
        "#1001",
        "2026-11-12 10:00:00 +0100",
        "49.90",
        [("1", "49.90", "SKU-BLUE")],
        **{"Discount_Code": code_a},
    )
    rows += order_rows("#1002", "2026-11-13 11:00:00 +0100", "30.00", [("2", "15.00", "SKU-RED")])
    rows += order_rows("#1003", "2026-11-14 12:00:00 +0100", "20.00", [("1", "20.00", "SKU-BLUE")])
    rows += order_rows(
        "#1004",
        "2026-11-14 13:00:00 +0100",
        "10.00",
        [("1", "10.00", "SKU-UNKNOWN")],
        **{"Discount_Code": "WELCOME10"},
    )
    rows += order_rows(
        "#1005",
        "2026-11-15 14:00:00 +0100",
        "12.50",
        [("1", "12.50", "SKU-OTHER")],
        **{"Note_Attributes": "utm_source: pinterest\nutm_medium: social\nutm_content: post_c"},
    )
    rows += order_rows(
        "#1006",
        "2026-11-15 15:00:00 +0100",
        "99.00",
        [("1", "99.00", "SKU-RED")],
        **{"Cancelled_at": "2026-11-16"},
    )
    rows += order_rows("#1007", "yesterday", "5.00", [("1", "5.00", "SKU-RED")])  # row 9: bad date
    rows += order_rows(
        "#1008",
        "2026-11-16 09:00:00 +0100",
        "45.00",
        [("1", "15.00", "SKU-RED"), ("two", "15.00", "SKU-RED")],
    )
    rows += order_rows("#1009", "2026-11-16 10:00:00 +0100", "abc", [("1", "5.00", "SKU-RED")])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHOPIFY_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_discount_codes_are_stable_readable_and_distinct() -> None:
    code = discount_code_for("post_a")
    assert re.fullmatch(r"ODA-[A-HJ-NP-Z2-9]{6}", code)
    assert discount_code_for("post_a") == code != discount_code_for("post_b")
    assert discount_code_for(POSTS[0]) == code
    assert discount_code_for("post_a", prefix="lune").startswith("LUNE-")
    assert code_prefix("Oda et Lune") == "ODA" and code_prefix("") == "ODA"
    caption = caption_with_code("Breakfast, slowly.", code)
    assert caption.endswith(f"Use code {code} at checkout.") and caption.startswith("Breakfast")
    assert caption_with_code(caption, code) == caption  # once only
    with pytest.raises(InputError):
        caption_with_code("x" * 2190, code, max_chars=2200)


def test_parsers() -> None:
    assert parse_money("1,234.50") == Decimal("1234.50")
    assert parse_money("1234,50") == Decimal("1234.50")
    assert parse_money("€ 12.00") == Decimal("12.00")
    with pytest.raises(ValueError):
        parse_money("abc")
    assert parse_when("2026-11-12 10:00:00 +0100") == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    assert parse_when("20261112") == datetime(2026, 11, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_when("yesterday")


def test_shopify_export_attribution_by_code_sku_utm(tmp_path: Path) -> None:
    result = read_orders_csv(write_shopify(tmp_path / "orders_export.csv"))
    assert result.format == "shopify"
    orders = {o.order_id: o for o in result.orders}
    assert set(orders) == {"#1001", "#1002", "#1003", "#1004", "#1005", "#1008"}
    unattributed = {u.order_id: u.reason for u in attribute(result.orders, POSTS, product_for_sku=SKUS.get)}

    a = orders["#1001"]
    assert (a.attribution, a.attributed_post_id, a.attributed_platform) == (
        "discount_code",
        "post_a",
        "instagram",
    )
    assert a.total == Decimal("49.90") and a.currency == "EUR"
    assert a.lines[0].product_id == "prod-blue"  # SKU resolved for per-product revenue
    # SKU-RED is tagged only in post_b (two platforms → platform unknown, not guessed)
    b = orders["#1002"]
    assert (b.attribution, b.attributed_post_id, b.attributed_platform) == ("sku", "post_b", None)
    # SKU-BLUE is tagged in post_a and post_b: ambiguous → reported, not guessed
    assert orders["#1003"].attribution == "none" and "ambiguous" in unattributed["#1003"]
    assert "WELCOME10" in unattributed["#1004"] and orders["#1004"].attribution == "none"
    c = orders["#1005"]
    assert (c.attribution, c.attributed_post_id, c.attributed_platform) == ("utm", "post_c", "pinterest")
    assert set(unattributed) == {"#1003", "#1004"}
    # Shopify's `Source` column (sales channel "web") is not read as utm_source
    assert "utm_source" not in orders["#1002"].utm

    problems = {(p.row, p.field): p for p in result.problems}
    # header = row 1; #1001..#1006 take rows 2..7, #1007 row 8, #1008 rows 9-10, #1009 row 11
    assert problems[(8, "Created at")].severity == "error" and "#1007" in problems[(8, "Created at")].message
    assert problems[(10, "Lineitem quantity")].value == "two"
    assert problems[(11, "Total")].hint and "skipped" in problems[(11, "Total")].hint
    assert problems[(7, "Cancelled at")].severity == "warning"
    assert len(orders["#1008"].lines) == 1 and orders["#1008"].total == Decimal("45.00")
    doc = result.to_dict()
    assert doc["attribution"] == {"discount_code": 1, "utm": 1, "sku": 2, "none": 2}
    assert doc["attributed_revenue"] == {"EUR": "137.40"}


def test_sku_outside_window_is_not_attributed(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHOPIFY_HEADER)
        writer.writeheader()
        writer.writerows(
            order_rows("#2001", "2027-03-01 10:00:00 +0000", "15.00", [("1", "15.00", "SKU-GREEN")])
        )
        writer.writerows(
            order_rows("#2002", "2026-11-01 10:00:00 +0000", "15.00", [("1", "15.00", "SKU-GREEN")])
        )
    result = read_orders_csv(path)
    reasons = {u.order_id: u.reason for u in attribute(result.orders, POSTS, product_for_sku=SKUS.get)}
    assert set(reasons) == {"#2001", "#2002"}  # months after / before the pin: no guess
    assert "not tagged in any post published" in reasons["#2001"]


def test_utm_csv_with_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ga4.csv"
    path.write_text(
        "Order #;Date;Post;Session source;Item ID;Item revenue;Purchase revenue;Currency\n"
        "T1;20261112;post_b;instagram;SKU-RED;15.00;15.00;EUR\n"
        "T2;20261113;post_zz;facebook;SKU-X;9.00;9.00;EUR\n"
        "T3;20261114;prod-green;pinterest;;7.00;7.00;EUR\n"
        ";;;;;;;\n",
        encoding="utf-8",
    )
    result = read_orders_csv(path, columns={"order_id": "Order #", "utm_content": "Post"})
    assert result.format == "utm_csv"
    reasons = {u.order_id: u.reason for u in attribute(result.orders, POSTS, product_for_sku=SKUS.get)}
    orders = {o.order_id: o for o in result.orders}
    t1 = orders["T1"]
    assert (t1.attribution, t1.attributed_post_id, t1.attributed_platform) == ("utm", "post_b", "instagram")
    assert t1.total == Decimal("15.00") and t1.utm["utm_source"] == "instagram"
    assert "post_zz" in reasons["T2"]
    # utm_content naming a product: attributed only through the single post tagging it on that platform
    t3 = orders["T3"]
    assert (t3.attribution, t3.attributed_post_id) == ("utm", "post_c")
    with pytest.raises(InputError, match="no column 'Nope'"):
        read_orders_csv(path, columns={"utm_content": "Nope"})
    with pytest.raises(InputError, match="unknown field"):
        read_orders_csv(path, columns={"colour": "Post"})


def test_not_a_csv_and_missing_columns(tmp_path: Path) -> None:
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(InputError, match="not a CSV"):
        read_orders_csv(binary)
    no_date = tmp_path / "y.csv"
    no_date.write_text("order_id,total\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no order date"):
        read_orders_csv(no_date)
    with pytest.raises(InputError, match="cannot read"):
        read_orders_csv(tmp_path / "missing.csv")
