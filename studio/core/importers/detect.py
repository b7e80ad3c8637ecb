"""Which catalog format a header row belongs to, and the column maps the importers use.

Shopify vs feed is unambiguous: Shopify has `URL handle`/`Handle` (plus Vendor, Option1 name,
Variant Price…), feeds have snake_case `id`, `link`, `image_link`. The three feeds share most
column names, so they are told apart by columns only one of them defines:

* **meta**: `fb_product_category`, `quantity_to_sell_on_facebook`, `rich_text_description`,
  JSON-path columns such as `image[0].url`, …
* **pinterest**: `variant_names`, `variant_values`, `ad_link`, `free_shipping_label`, …
* **google**: `identifier_exists`, `availability_date`, `cost_of_goods_sold`, `g:`-prefixed
  names, …

When no distinguishing column is present (a minimal `id,title,…,price` feed), the first data
row's availability decides if it is written Google's way (`in_stock`); otherwise the default is
**google for TSV** (Merchant Center's native upload format) and **meta for CSV** (what Meta's
Commerce Manager template downloads as). Parsing is identical for the three feeds, so a wrong
guess only changes the name in the report; `--format` overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from studio.core.errors import CatalogFormatError, Where

FORMATS = ("shopify", "meta", "pinterest", "google")
FEED_FORMATS = ("meta", "pinterest", "google")


def shopify_key(name: str) -> str:
    """Canonical Shopify column key: casefolded, spaces collapsed, legacy names mapped to current."""
    key = " ".join(name.replace("\ufeff", "").split()).casefold()
    return SHOPIFY_LEGACY.get(key, key)


def feed_key(name: str) -> str:
    """Canonical feed column key: `g:price`, `Image Link`, `image link` → `price`, `image_link`."""
    key = "_".join(name.replace("\ufeff", "").split()).casefold()
    return key[2:] if key.startswith("g:") else key


def _names(text: str, sep: str = " ") -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(sep) if name.strip())


# Legacy Shopify header (casefolded) → current header (casefolded); publishing.md §6.1.
SHOPIFY_LEGACY = {
    "handle": "url handle",
    "body (html)": "description",
    "published": "published on online store",
    "variant sku": "sku",
    "variant barcode": "barcode",
    "variant price": "price",
    "variant compare at price": "compare-at price",
    "variant taxable": "charge tax",
    "variant tax code": "tax code",
    "variant inventory tracker": "inventory tracker",
    "variant inventory qty": "inventory quantity",
    "variant inventory policy": "continue selling when out of stock",
    "variant grams": "weight value (grams)",
    "variant weight unit": "weight unit for display",
    "variant requires shipping": "requires shipping",
    "variant fulfillment service": "fulfillment service",
    "image src": "product image url",
    "variant image": "variant image url",
    "google shopping / mpn": "google shopping / manufacturer part number (mpn)",
    "compare at price / international": "compare-at price / international",
}

# Columns only Shopify exports have (current names; legacy ones map onto them).
SHOPIFY_ONLY = _names(
    "url handle|vendor|product category|published on online store|barcode|option1 name|option1 value|"
    "option2 name|option2 value|option3 name|option3 value|option1 linked to|option2 linked to|"
    "option3 linked to|compare-at price|cost per item|charge tax|tax code|inventory tracker|"
    "inventory quantity|continue selling when out of stock|weight value (grams)|"
    "weight unit for display|requires shipping|fulfillment service|product image url|image position|"
    "image alt text|variant image url|gift card|seo title|seo description|sku",
    "|",
)
SHOPIFY_SHARED = frozenset({"title", "description", "price", "status", "type", "tags"})
SHOPIFY_REQUIRED = ("title", "url handle", "price")
SHOPIFY_REQUIRED_NAMES = {
    "title": "Title",
    "url handle": "URL handle (legacy: Handle)",
    "price": "Price (legacy: Variant Price)",
}

FEED_COLUMNS = _names(
    "id link image_link additional_image_link availability condition brand item_group_id sale_price "
    "sale_price_effective_date gtin mpn google_product_category product_type color size gender "
    "age_group material pattern mobile_link shipping shipping_weight custom_label_0 custom_label_1 "
    "custom_label_2 custom_label_3 custom_label_4 size_type size_system adult tax"
)
FEED_SHARED = frozenset({"title", "description", "price", "status"})
FEED_REQUIRED = ("id", "title", "price")

META_ONLY = _names(
    "fb_product_category quantity_to_sell_on_facebook rich_text_description commerce_tax_category "
    "visibility internal_label return_policy_info origin_country importer_name importer_address "
    "manufacturer_info wa_compliance_category marked_for_product_launch disabled_capabilities "
    "product_tags"
)
PINTEREST_ONLY = _names(
    "variant_names variant_values ad_link free_shipping_label free_shipping_limit min_ad_price "
    "average_review_rating number_of_ratings number_of_reviews save_pin_disabled ios_deep_link "
    "android_deep_link installment_price"
)
GOOGLE_ONLY = _names(
    "identifier_exists availability_date expiration_date cost_of_goods_sold excluded_destination "
    "included_destination shopping_ads_excluded_country shipping_label ships_from_country "
    "max_handling_time min_handling_time tax_category product_highlight product_detail multipack "
    "is_bundle pause energy_efficiency_class unit_pricing_base_measure certification ads_redirect "
    "lifestyle_image_link transit_time_label loyalty_program installment subscription_cost"
)
_JSON_PATH = re.compile(r"^[a-z_]+\[\d+\]\.")


def shopify_score(header: Sequence[str]) -> int:
    keys = {shopify_key(h) for h in header}
    return len(keys & SHOPIFY_ONLY)


def feed_score(header: Sequence[str]) -> int:
    keys = {feed_key(h) for h in header}
    return len(keys & FEED_COLUMNS) + len(keys & (META_ONLY | PINTEREST_ONLY | GOOGLE_ONLY))


def score_header(header: list[str]) -> int:
    """How many known catalog column names a candidate header holds (for delimiter sniffing)."""
    shared = {shopify_key(h) for h in header} & SHOPIFY_SHARED
    return max(shopify_score(header), feed_score(header)) + len(shared)


def feed_flavour(header: Sequence[str]) -> str | None:
    keys = [feed_key(h) for h in header]
    scores = {
        "meta": sum(1 for k in keys if k in META_ONLY or _JSON_PATH.match(k)),
        "pinterest": sum(1 for k in keys if k in PINTEREST_ONLY),
        "google": sum(1 for k in keys if k in GOOGLE_ONLY)
        + sum(2 for h in header if h.strip().lower().startswith("g:")),
    }
    best = max(scores.values())
    if best == 0:
        return None
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


EXPECTED = (
    "expected a Shopify product CSV (Title, URL handle, Price, …) or a Meta/Pinterest/Google feed "
    "(id, title, price, …)"
)


def _expected_message(header: Sequence[str]) -> str:
    shown = [h[:40] for h in header if h][:15]
    found = ", ".join(shown) + (", …" if len(header) > len(shown) else "")
    return f"{EXPECTED}; found columns: {found or '(none)'}"


def detect_format(
    header: Sequence[str],
    *,
    delimiter: str = ",",
    first_row: dict[str, str] | None = None,
    file: str | None = None,
) -> str:
    """Return "shopify", "meta", "pinterest" or "google" for a header, or raise CatalogFormatError.

    `first_row` (feed key → value of the first data record) breaks feed ties by availability style.
    """
    s_score, f_score = shopify_score(header), feed_score(header)
    if s_score == 0 and f_score == 0:
        raise CatalogFormatError(
            _expected_message(header),
            where=Where(file=file),
            hint="export products from Shopify (Products → Export) or your feed as CSV/TSV, or pass --format",
        )
    if s_score > f_score:
        return "shopify"
    flavour = feed_flavour(header)
    if flavour:
        return flavour
    availability = (first_row or {}).get("availability", "")
    if "_" in availability:
        return "google"
    return "google" if delimiter == "\t" else "meta"


def check_columns(fmt: str, header: Sequence[str], *, file: str | None = None) -> None:
    """Raise CatalogFormatError naming the required columns `fmt` needs and `header` lacks."""
    if fmt == "shopify":
        keys = {shopify_key(h) for h in header}
        missing = [SHOPIFY_REQUIRED_NAMES[k] for k in SHOPIFY_REQUIRED if k not in keys]
        what = "a Shopify product CSV"
    else:
        keys = {feed_key(h) for h in header}
        missing = [k for k in FEED_REQUIRED if k not in keys]
        what = f"a {fmt.capitalize()} catalog feed"
    if missing:
        raise CatalogFormatError(
            f"not {what}: required column(s) missing: {', '.join(missing)}; " + _expected_message(header),
            where=Where(file=file),
            hint="export the full catalog again, or pass the right --format",
        )


def column_index(header: Sequence[str], key: Callable[[str], str]) -> dict[str, int]:
    """Map canonical column key → index of its first occurrence (later duplicates are ignored)."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(key(name), i)
    return index
