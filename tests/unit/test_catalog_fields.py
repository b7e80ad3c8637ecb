"""Field mapping per platform: names, variants, HTML, prices, UTM and per-product problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studio.core.catalog_fields import (
    PLATFORMS,
    SPECS,
    FieldProblem,
    MappedItem,
    api_attributes,
    fingerprint,
    format_price,
    gtin_valid,
    map_products,
    split_multi,
    strip_html,
)
from studio.core.model import Availability, Product, Project, Variant

PROJECT = Project(name="Spring Drop")


def shirt(**over: object) -> Product:
    base: dict[str, object] = {
        "id": "shirt",
        "title": "Linen  Shirt",
        "price": Decimal("9.99"),
        "compare_at": Decimal("12.99"),
        "currency": "USD",
        "brand": "Acme",
        "description": "<p>100% <b>linen</b> &amp; soft</p><ul><li>Relaxed</li><li>Corozo</li></ul>"
        "<script>alert(1)</script>",
        "url": "https://shop.example/p/shirt?ref=x",
        "images": ["https://cdn.example/a.jpg", "https://cdn.example/b,c.jpg"],
        "availability": Availability.IN_STOCK,
        "variants": [
            Variant(
                "shirt/blue/m",
                sku="SH-B-M",
                options={"Colour": "Blue", "Size": "M"},
                gtin="00012345678905",
                position=1,
            ),
            Variant(
                "shirt/blue/l",
                sku="",
                options={"Color": "Blue", "Size": "L"},
                price=Decimal("11"),
                availability=Availability.OUT_OF_STOCK,
                image="https://cdn.example/l.jpg",
                position=2,
            ),
        ],
    }
    base.update(over)
    return Product(**base)  # type: ignore[arg-type]


def one(platform: str, product: Product, **kw: object) -> list[MappedItem]:
    return list(map_products([product], platform, project=kw.pop("project", PROJECT), **kw))  # type: ignore[arg-type]


def test_meta_variants_share_group_and_use_sku_or_variant_id():
    items = one("meta", shirt())
    assert [i.item_id for i in items] == ["SH-B-M", "shirt/blue/l"]
    assert all(i.ok for i in items), [p.describe() for i in items for p in i.problems]
    m, l_ = items
    assert m.fields["item_group_id"] == l_.fields["item_group_id"] == "shirt"
    assert (m.fields["color"], m.fields["size"], l_.fields["size"]) == ("Blue", "M", "L")
    assert m.fields["price"] == "12.99 USD" and m.fields["sale_price"] == "9.99 USD"
    # a variant with its own price does not inherit the product's compare-at price
    assert l_.fields["price"] == "11.00 USD" and "sale_price" not in l_.fields
    assert m.fields["availability"] == "in stock" and l_.fields["availability"] == "out of stock"
    assert m.fields["condition"] == "new" and m.fields["brand"] == "Acme"
    assert m.fields["gtin"] == "00012345678905" and "gtin" not in l_.fields
    assert l_.fields["image_link"] == "https://cdn.example/l.jpg"
    assert m.fields["title"] == "Linen Shirt"
    assert set(m.fields) <= set(SPECS["meta"].columns)
    assert m.variant_id == "shirt/blue/m" and m.product_id == "shirt"


def test_single_variant_product_is_one_item_with_the_product_id():
    p = shirt(variants=[Variant("only", sku="ONLY-1", gtin="4006381333931")])
    items = one("pinterest", p)
    assert len(items) == 1
    item = items[0]
    assert item.item_id == "shirt" and item.variant_id == "only"
    assert "item_group_id" not in item.fields
    assert item.fields["gtin"] == "4006381333931"
    no_variants = one("google", shirt(variants=[], gtin="4006381333931"))
    assert no_variants[0].item_id == "shirt" and no_variants[0].variant_id is None


def test_platform_value_vocabularies():
    p = shirt(availability=Availability.BACKORDER, variants=[])
    assert one("meta", p)[0].fields["availability"] == "available for order"
    assert one("pinterest", p)[0].fields["availability"] == "preorder"
    g = one("google", shirt(variants=[]))[0]
    assert g.fields["availability"] == "in_stock"
    assert g.fields["identifier_exists"] == "no"  # no GTIN, no MPN
    assert list(g.fields)[:3] == ["id", "title", "description"]


def test_html_is_stripped_to_plain_text():
    assert strip_html(shirt().description) == "100% linen & soft\n• Relaxed\n• Corozo"
    assert strip_html("Plain &lt;b&gt; text") == "Plain <b> text"
    assert strip_html("a<br>b<br/>c") == "a\nb\nc"
    assert strip_html("") == ""
    items = one("pinterest", shirt())
    assert "<" not in items[0].fields["description"] and "alert" not in items[0].fields["description"]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12.99", "USD", "12.99 USD"),
        ("12.5", "USD", "12.50 USD"),
        ("1299", "EUR", "1299.00 EUR"),
        ("89", "EUR", "89.00 EUR"),
        ("1500", "JPY", "1500 JPY"),
        ("1500.4", "JPY", "1500 JPY"),
        ("0.125", "BHD", "0.125 BHD"),
    ],
)
def test_price_formatting_uses_the_currency_minor_units(amount: str, currency: str, text: str):
    assert format_price(Decimal(amount), currency) == text


def test_prices_eur_and_jpy_in_their_countries():
    eur = one("google", shirt(currency="EUR", variants=[]), country="DE")[0]
    assert eur.ok and eur.fields["price"] == "12.99 EUR" and eur.fields["sale_price"] == "9.99 EUR"
    jpy = one(
        "meta", shirt(currency="JPY", price=Decimal("1500"), compare_at=None, variants=[]), country="JP"
    )[0]
    assert jpy.ok and jpy.fields["price"] == "1500 JPY"


def test_currency_of_another_country_is_an_error_for_google_a_warning_for_meta():
    p = shirt(currency="EUR", variants=[])
    google = one("google", p, country="US")[0]
    meta = one("meta", p, country="US")[0]
    assert not google.ok and google.errors[0].field == "price" and "USD" in google.errors[0].message
    assert meta.ok and any(x.field == "price" and x.severity == "warning" for x in meta.problems)


def test_problems_name_the_field_and_the_fix():
    bad = Product(
        "mug",
        "Mug",
        Decimal("0"),
        "USD",
        url="shop/mug",
        images=["/home/me/mug.png"],
        gtin="12345678",
    )
    item = one("meta", bad)[0]
    assert not item.ok
    by_field = {p.field: p for p in item.errors}
    assert set(by_field) >= {"price", "link", "image_link", "availability", "gtin", "brand"}
    for p in item.errors:
        assert p.fix and p.message and p.product_id == "mug"
    assert "more than 0" in by_field["price"].message
    assert "http" in by_field["link"].message
    assert "local file" in by_field["image_link"].message
    assert "check digit" in by_field["gtin"].message
    doc = by_field["brand"].to_dict()
    assert doc["field"] == "brand" and doc["fix"].startswith("set the brand") and doc["severity"] == "error"
    # a generic "is required" problem is not added on top of the specific one
    assert sum(1 for p in item.problems if p.field == "link") == 1


def test_lengths_title_is_an_error_description_is_shortened():
    long_title = shirt(title="T" * 151, description="word " * 2000, variants=[])
    g = one("google", long_title)[0]
    title = next(p for p in g.problems if p.field == "title")
    assert title.severity == "error" and "150" in title.message
    assert len(g.fields["description"]) <= 5000
    desc = next(p for p in g.problems if p.field == "description")
    assert desc.severity == "warning"
    assert one("pinterest", long_title)[0].ok  # Pinterest allows 500 / 10000


def test_duplicate_skus_are_reported():
    p = shirt()
    p.variants[1].sku = "SH-B-M"
    items = one("meta", p)
    assert items[0].ok and not items[1].ok
    dup = items[1].errors[0]
    assert dup.field == "id" and "unique SKU" in dup.fix


def test_link_gets_utm_and_keeps_existing_parameters():
    project = Project(name="Spring Drop", extra={"utm": {"sources": {"meta": "fb"}, "campaign": "sale"}})
    link = one("meta", shirt(variants=[]), project=project)[0].fields["link"]
    assert link.startswith("https://shop.example/p/shirt?ref=x&")
    assert "utm_source=fb" in link and "utm_medium=catalog" in link and "utm_campaign=sale" in link
    assert "utm_content=shirt" in link
    off = Project(name="x", extra={"utm": {"enabled": False}})
    assert (
        one("meta", shirt(variants=[]), project=off)[0].fields["link"] == "https://shop.example/p/shirt?ref=x"
    )
    own = shirt(variants=[], url="https://shop.example/p?utm_source=shop")
    assert "utm_source=meta" not in one("meta", own)[0].fields["link"]


def test_additional_images_join_reversibly_and_api_shapes():
    item = one("pinterest", shirt(variants=[]))[0]
    assert item.fields["additional_image_link"] == "https://cdn.example/b%2Cc.jpg"
    assert split_multi(item.fields["additional_image_link"]) == ["https://cdn.example/b%2Cc.jpg"]
    attrs = api_attributes(item, "pinterest")
    assert "id" not in attrs and attrs["image_link"] == ["https://cdn.example/a.jpg"]
    assert attrs["additional_image_link"] == ["https://cdn.example/b%2Cc.jpg"]
    meta = api_attributes(one("meta", shirt(variants=[]))[0], "meta")
    assert meta["id"] == "shirt" and isinstance(meta["image_link"], str)


def test_too_many_images_are_cut_with_a_warning():
    p = shirt(variants=[], images=[f"https://cdn.example/{n}.jpg" for n in range(15)])
    item = one("pinterest", p)[0]
    assert len(split_multi(item.fields["additional_image_link"])) == 10
    assert any(x.field == "additional_image_link" and x.severity == "warning" for x in item.problems)


def test_fingerprint_is_stable_and_changes_with_a_field():
    a = one("meta", shirt())[0]
    b = one("meta", shirt())[0]
    assert fingerprint(a) == fingerprint(b)
    reordered = MappedItem(a.product_id, a.variant_id, a.item_id, dict(reversed(list(a.fields.items()))), [])
    assert fingerprint(reordered) == fingerprint(a)
    c = one("meta", shirt(price=Decimal("9.49")))[0]
    assert fingerprint(c) != fingerprint(a)


def test_gtin_checksum():
    assert gtin_valid("00012345678905") and gtin_valid("4006381333931") and gtin_valid("96385074")
    assert not gtin_valid("4006381333932") and not gtin_valid("12345") and not gtin_valid("40063813339AB")


def test_inactive_products_are_skipped_and_unknown_platform_fails():
    assert one("meta", shirt(status="archived")) == []
    with pytest.raises(ValueError, match="unknown catalog platform"):
        list(map_products([shirt()], "tiktok", project=PROJECT))


def test_every_platform_maps_the_same_products():
    for platform in PLATFORMS:
        items = one(platform, shirt())
        assert len(items) == 2 and all(isinstance(p, FieldProblem) for i in items for p in i.problems)
        assert all(set(i.fields) <= set(SPECS[platform].columns) for i in items)


def test_condition_from_tag_and_gender_options():
    p = shirt(tags=["condition:refurbished"], variants=[Variant("v1", sku="A", options={"Gender": "Female"})])
    item = one("google", p)[0]
    assert item.fields["condition"] == "refurbished" and item.fields["gender"] == "female"
