"""One field-mapping table per platform: studio `Product`/`Variant` → catalog item fields.

The same mapping feeds three consumers — the API sync engine (Meta `items_batch`, Pinterest
`catalogs/items/batch`), the feed files (`studio catalog feed`) and the validation report — so a
product is described identically everywhere and a problem is reported once, locally, before any
upload. Facts come from `shared/platforms/publishing.md` §3.5 (Meta) and §4.5 (Pinterest
ItemAttributes, OpenAPI 5.23.0) and the Google Merchant Center product data specification.

Platform facts that are NOT confirmed from a primary source are marked UNCONFIRMED next to the
number they affect, so they are easy to find and change in one place (`SPECS` below):

- Meta: id ≤100, title ≤200, description ≤9999, brand ≤100, ≤20 additional images (comma-separated
  in one cell) — from third-party copies of Meta's field reference (productfeedspec.com, a mirror
  of the Commerce catalog field list), not Meta's own page; `backorder` sent as
  `available for order` (UNCONFIRMED equivalence).
- Pinterest: item id ≤127 and the mapping of `backorder` to `preorder` are UNCONFIRMED; the
  other limits are from the OpenAPI ItemAttributes.
- Google: id ≤50, title ≤150, description ≤5000 match a third-party mapping of the Merchant
  Center spec; brand 70, mpn 70, item_group_id 50, color/size 100 and 10 additional images are
  UNCONFIRMED here (no stored copy of the spec in shared/).

Ids: a product with one or no variants is one item whose id is the product id; a product with
several variants is one item per variant, id = the variant's SKU (or its variant id when the SKU
is empty), all sharing `item_group_id` = product id. These ids are what the platforms call the
retailer id / item_id / content id, so they must stay stable across syncs: changing a SKU
means the platform sees a delete + create.

Fields are plain strings (feed cells). Multi-value fields (`additional_image_link`) are joined
with "," as the feeds document; commas inside those URLs are percent-encoded so the join is
reversible (`split_multi`). `api_attributes` turns the strings into the JSON shapes the batch APIs
take.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision, get_territory_currencies

from studio.core.model import Availability, Product, Project, Variant
from studio.core.money import is_currency
from studio.core.utm import UtmConfig, add_utm

PLATFORMS = ("meta", "pinterest", "google")

ERROR = "error"
WARNING = "warning"


@dataclass(slots=True)
class FieldProblem:
    """One thing wrong with one item's field, phrased for the user: what, and how to fix it.

    `severity` is "error" (the platform would reject the item; it is not `ok`) or "warning"
    (sent, but changed or weaker than it could be — e.g. a long description was shortened).
    """

    product_id: str
    variant_id: str | None
    field: str
    message: str
    fix: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        who = self.product_id + (f" / {self.variant_id}" if self.variant_id else "")
        return f"{who}: {self.field}: {self.message} — {self.fix}"


@dataclass(slots=True)
class MappedItem:
    """One catalog item as a platform will see it, plus what is wrong with it."""

    product_id: str
    variant_id: str | None
    item_id: str
    fields: dict[str, str]
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks sending the item (warnings do not)."""
        return not any(p.severity == ERROR for p in self.problems)

    @property
    def errors(self) -> list[FieldProblem]:
        return [p for p in self.problems if p.severity == ERROR]


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Field names, order, allowed values and limits of one platform's catalog items."""

    name: str
    columns: tuple[str, ...]  # feed header order = the documented attribute names
    required: tuple[str, ...]
    availability: dict[Availability, str]
    conditions: frozenset[str]
    max_len: dict[str, int]
    max_additional_images: int
    genders: frozenset[str]
    age_groups: frozenset[str]
    needs_brand: bool  # Meta: brand (or gtin/mpn); Google: brand for new products
    country_currency_is_error: bool  # Google requires the target country's currency


_VARIANT_ATTRS = ("color", "size", "material", "pattern", "gender", "age_group")

SPECS: dict[str, PlatformSpec] = {
    # Meta sample header (publishing.md §3.5) restricted to retail fields + additional_image_link.
    "meta": PlatformSpec(
        name="Meta",
        columns=(
            "id",
            "title",
            "description",
            "availability",
            "condition",
            "price",
            "sale_price",
            "link",
            "image_link",
            "additional_image_link",
            "brand",
            "gtin",
            "mpn",
            "item_group_id",
            "color",
            "size",
            "material",
            "pattern",
            "gender",
            "age_group",
            "product_type",
        ),
        required=("id", "title", "description", "availability", "condition", "price", "link", "image_link"),
        availability={
            Availability.IN_STOCK: "in stock",
            Availability.OUT_OF_STOCK: "out of stock",
            Availability.PREORDER: "preorder",
            Availability.BACKORDER: "available for order",  # UNCONFIRMED equivalence
        },
        conditions=frozenset({"new", "refurbished", "used"}),
        max_len={  # third-party copies of Meta's field reference; link/image_link 2000 UNCONFIRMED
            "id": 100,
            "title": 200,
            "description": 9999,
            "brand": 100,
            "item_group_id": 100,
            "color": 200,
            "size": 200,
            "link": 2000,
            "image_link": 2000,
        },
        max_additional_images=20,  # UNCONFIRMED
        genders=frozenset({"female", "male", "unisex"}),
        age_groups=frozenset({"adult", "all ages", "infant", "kids", "newborn", "teen", "toddler"}),
        needs_brand=True,
        country_currency_is_error=False,
    ),
    # Pinterest ItemAttributes (OpenAPI v5); a feed file uses `id` where the API uses `item_id`.
    "pinterest": PlatformSpec(
        name="Pinterest",
        columns=(
            "id",
            "title",
            "description",
            "link",
            "image_link",
            "additional_image_link",
            "price",
            "sale_price",
            "availability",
            "condition",
            "brand",
            "gtin",
            "mpn",
            "item_group_id",
            "color",
            "size",
            "material",
            "pattern",
            "gender",
            "age_group",
            "product_type",
        ),
        required=("id", "title", "description", "link", "image_link", "price", "availability"),
        availability={
            Availability.IN_STOCK: "in stock",
            Availability.OUT_OF_STOCK: "out of stock",
            Availability.PREORDER: "preorder",
            Availability.BACKORDER: "preorder",  # UNCONFIRMED: Pinterest has no backorder value
        },
        conditions=frozenset({"new", "used", "refurbished"}),
        max_len={
            "id": 127,  # UNCONFIRMED
            "title": 500,
            "description": 10000,
            "link": 511,
            "image_link": 2000,
            "item_group_id": 127,
            "product_type": 1000,
        },
        max_additional_images=10,
        genders=frozenset({"male", "female", "unisex"}),
        age_groups=frozenset({"newborn", "infant", "toddler", "kids", "adult"}),
        needs_brand=False,
        country_currency_is_error=False,
    ),
    # Google Merchant Center product data specification (text feed attribute names).
    "google": PlatformSpec(
        name="Google Merchant Center",
        columns=(
            "id",
            "title",
            "description",
            "link",
            "image_link",
            "additional_image_link",
            "availability",
            "price",
            "sale_price",
            "condition",
            "brand",
            "gtin",
            "mpn",
            "identifier_exists",
            "item_group_id",
            "color",
            "size",
            "material",
            "pattern",
            "gender",
            "age_group",
            "product_type",
        ),
        required=("id", "title", "description", "link", "image_link", "availability", "price", "brand"),
        availability={
            Availability.IN_STOCK: "in_stock",
            Availability.OUT_OF_STOCK: "out_of_stock",
            Availability.PREORDER: "preorder",
            Availability.BACKORDER: "backorder",
        },
        conditions=frozenset({"new", "refurbished", "used"}),
        max_len={  # UNCONFIRMED (no stored copy of the Google spec)
            "id": 50,
            "title": 150,
            "description": 5000,
            "link": 2000,
            "image_link": 2000,
            "brand": 70,
            "mpn": 70,
            "item_group_id": 50,
            "color": 100,
            "size": 100,
            "material": 200,
            "pattern": 100,
            "product_type": 750,
        },
        max_additional_images=10,
        genders=frozenset({"male", "female", "unisex"}),
        age_groups=frozenset({"newborn", "infant", "toddler", "kids", "adult"}),
        needs_brand=True,
        country_currency_is_error=True,
    ),
}

# Fields that are shortened (with a warning) instead of rejected: long shop descriptions are
# common and a shortened one is still correct; a shortened title or id would not be.
_TRUNCATABLE = frozenset({"description"})


def spec_for(platform: str) -> PlatformSpec:
    try:
        return SPECS[platform]
    except KeyError:
        raise ValueError(
            f"unknown catalog platform '{platform}' (use one of {', '.join(PLATFORMS)})"
        ) from None


# --------------------------------------------------------------------------- text helpers


class _TextExtractor(HTMLParser):
    """Plain text from shop HTML: block tags become line breaks, script/style are dropped."""

    _BLOCK = frozenset(
        {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@lru_cache(maxsize=512)
def strip_html(text: str) -> str:
    """Plain text of an HTML (or plain) description: tags removed, entities decoded, whitespace
    collapsed, one line per block (paragraph, list item). Platforms show descriptions as plain
    text, so markup would be displayed literally."""
    if not text:
        return ""
    if "<" not in text and "&" not in text:  # plain text (most re-imported catalogs): no parser
        lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
        return "\n".join(line for line in lines if line)
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # pragma: no cover - HTMLParser is lenient; belt and braces
        raw = re.sub(r"<[^>]*>", " ", html.unescape(text))
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in raw.split("\n")]
    lines = [line for line in lines if line and line != "•"]
    return "\n".join(lines)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


@lru_cache(maxsize=64)
def _precision(currency: str) -> int:
    return int(get_currency_precision(currency))


def format_price(amount: Decimal, currency: str) -> str:
    """`12.99 USD`, `1500 JPY`: dot decimal, the currency's minor units (CLDR via Babel), no
    symbol, no thousands separator — the form all three platforms document."""
    digits = _precision(currency)
    quantized = amount.quantize(Decimal(1).scaleb(-digits))
    return f"{format(quantized, 'f')} {currency}"


@lru_cache(maxsize=4096)
def is_http_url(url: str) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and " " not in url


def gtin_valid(code: str) -> bool:
    """GS1 check digit over GTIN-8/12/13/14 (mod 10, weights 3/1 from the right)."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def join_multi(values: Iterable[str]) -> str:
    """Join URLs for a multi-value feed cell; commas inside a URL are percent-encoded."""
    return ",".join(v.replace(",", "%2C") for v in values if v)


def split_multi(cell: str) -> list[str]:
    return [v for v in (cell or "").split(",") if v]


# --------------------------------------------------------------------------- UTM (core-level)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-") or "studio"


def catalog_link(url: str, project: Project | None, *, platform: str, product_id: str, sku: str = "") -> str:
    """`url` with the workspace's UTM scheme (`studio.core.utm`) for a catalog item.

    The medium differs on purpose — catalog traffic is not a post — and is
    `extra["utm"]["catalog_medium"]` (default `catalog`). Parameters already in the URL win.
    """
    config = UtmConfig.from_project(project)
    return add_utm(
        url, config, platform=platform, product_id=product_id, sku=sku, medium=config.catalog_medium
    )


# --------------------------------------------------------------------------- mapping

_OPTION_ALIASES = {
    "color": "color",
    "colour": "color",
    "farbe": "color",
    "couleur": "color",
    "size": "size",
    "taille": "size",
    "größe": "size",
    "groesse": "size",
    "material": "material",
    "pattern": "pattern",
    "gender": "gender",
    "age_group": "age_group",
    "age group": "age_group",
}


def _options(variant: Variant | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if variant is None:
        return out
    for key, value in variant.options.items():
        name = _OPTION_ALIASES.get(key.strip().lower())
        if name and value and value.strip() and name not in out:
            out[name] = value.strip()
    return out


def _condition(product: Product) -> str:
    """`new` unless the product carries a `condition:<value>` tag (the model has no field yet)."""
    for tag in product.tags:
        key, _, value = tag.partition(":")
        if key.strip().lower() == "condition" and value.strip():
            return value.strip().lower()
    return "new"


class _Mapper:
    """Maps one platform; keeps the ids already used so duplicates are reported."""

    def __init__(self, platform: str, project: Project, country: str, language: str) -> None:
        self.platform = platform
        self.spec = spec_for(platform)
        self.project = project
        self.country = country.upper()
        self.language = language
        self.seen: dict[str, str] = {}  # item id -> product id that used it
        try:
            self.country_currencies = set(get_territory_currencies(self.country))
        except Exception:
            self.country_currencies = set()
        settings = project.extra.get("catalog") if isinstance(project.extra.get("catalog"), dict) else {}
        self.mpn_from_sku = bool((settings or {}).get("mpn_from_sku", False))
        utm = project.extra.get("utm") if isinstance(project.extra.get("utm"), dict) else {}
        templates = str((utm or {}).get("content") or "") + str((utm or {}).get("term") or "")
        self.link_uses_sku = "{sku}" in templates
        self._links: dict[tuple[str, str, str], str] = {}
        self._descriptions: dict[str, str] = {}

    def items(self, product: Product) -> Iterator[MappedItem]:
        variants = sorted(product.variants, key=lambda v: v.position)
        if len(variants) <= 1:
            yield self.item(product, variants[0] if variants else None, grouped=False)
        else:
            for variant in variants:
                yield self.item(product, variant, grouped=True)

    def item(self, product: Product, variant: Variant | None, *, grouped: bool) -> MappedItem:
        spec = self.spec
        vid = variant.id if variant else None
        problems: list[FieldProblem] = []

        def problem(name: str, message: str, fix: str, severity: str = ERROR) -> None:
            problems.append(FieldProblem(product.id, vid, name, message, fix, severity))

        item_id = _item_id(product, variant if grouped else None)
        f: dict[str, str] = {"id": item_id}
        if not item_id:
            problem("id", "the item has no id", "give the product (or variant) an id or SKU in the catalog")
        elif item_id in self.seen:
            problem(
                "id",
                f"'{item_id}' is already used by product {self.seen[item_id]}",
                "give every variant a unique SKU (the SKU is the item id on the platform)",
            )
        else:
            self.seen[item_id] = product.id

        f["title"] = " ".join(product.title.split())
        cached = self._descriptions.get(product.id)
        if cached is None:  # variants of one product share it: strip the HTML once per product
            cached = strip_html(product.description)
            self._descriptions = {product.id: cached}
        description = cached
        if not description:
            description = f["title"]
            problem(
                "description",
                "the description is empty; the title is sent instead",
                "add a product description in your shop and re-import the catalog",
                WARNING,
            )
        f["description"] = description

        self._price(product, variant, f, problem)
        self._availability(product, variant, f, problem)

        condition = _condition(product)
        if condition in spec.conditions:
            f["condition"] = condition
        else:
            f["condition"] = "new"
            problem(
                "condition",
                f"'{condition}' is not a {spec.name} condition; 'new' is sent",
                f"use a product tag condition:{'|'.join(sorted(spec.conditions))}",
                WARNING,
            )

        self._link(product, variant, f, problem)
        self._images(product, variant, f, problem)

        if product.brand.strip():
            f["brand"] = " ".join(product.brand.split())
        gtin = (variant.gtin if variant else "") or ("" if grouped else product.gtin)
        gtin = re.sub(r"[\s-]", "", gtin or "")
        if gtin:
            if gtin_valid(gtin):
                f["gtin"] = gtin
            else:
                problem(
                    "gtin",
                    f"'{gtin}' is not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit)",
                    "correct the barcode in the catalog, or leave it empty if the product has none",
                )
        if self.mpn_from_sku:
            sku = (variant.sku if variant else "") or product.sku
            if sku.strip():
                f["mpn"] = sku.strip()
        if spec.needs_brand and not f.get("brand"):
            if self.platform == "meta" and (f.get("gtin") or f.get("mpn")):
                pass  # Meta accepts gtin or mpn instead of brand (UNCONFIRMED, publishing.md §3.5)
            else:
                problem(
                    "brand",
                    f"{spec.name} requires a brand",
                    "set the brand in the catalog (your shop name if you make the products)",
                )
        if self.platform == "google" and not f.get("gtin") and not f.get("mpn"):
            f["identifier_exists"] = "no"

        if grouped:
            f["item_group_id"] = product.id
        attrs = _options(variant)
        for name in _VARIANT_ATTRS:
            value = attrs.get(name)
            if not value:
                continue
            if name == "gender":
                value = value.lower()
                if value not in spec.genders:
                    problem(
                        "gender",
                        f"'{value}' is not accepted",
                        f"use {', '.join(sorted(spec.genders))}",
                        WARNING,
                    )
                    continue
            if name == "age_group":
                value = value.lower()
                if value not in spec.age_groups:
                    problem(
                        "age_group",
                        f"'{value}' is not accepted",
                        f"use {', '.join(sorted(spec.age_groups))}",
                        WARNING,
                    )
                    continue
            f[name] = value
        if product.product_type.strip():
            f["product_type"] = product.product_type.strip()

        self._required_and_lengths(f, problem)
        fields = {k: f[k] for k in spec.columns if f.get(k)}
        return MappedItem(product.id, vid, item_id, fields, problems)

    def _price(self, product: Product, variant: Variant | None, f: dict[str, str], problem: Any) -> None:
        currency = (product.currency or "").strip().upper()
        if not is_currency(currency):
            problem(
                "price",
                f"'{product.currency}' is not an ISO 4217 currency code",
                "set the currency (e.g. USD)",
            )
            return
        if self.country_currencies and currency not in self.country_currencies:
            expected = "/".join(sorted(self.country_currencies))
            problem(
                "price",
                f"the price is in {currency} but {self.country} uses {expected}",
                f"sync to a country that uses {currency}, or import prices in {expected}",
                ERROR if self.spec.country_currency_is_error else WARNING,
            )
        own_price = variant is not None and variant.price is not None
        price = variant.price if (variant is not None and variant.price is not None) else product.price
        # A variant with its own price only inherits the product's compare-at price if it has none.
        compare = variant.compare_at if (variant is not None and variant.compare_at is not None) else None
        if compare is None and not own_price:
            compare = product.compare_at
        if price is None or not isinstance(price, Decimal) or price <= 0:
            problem("price", f"the price is {price}; it must be more than 0", "set a price in the catalog")
            return
        if compare is not None and compare > price:
            f["price"] = format_price(compare, currency)
            f["sale_price"] = format_price(price, currency)
        else:
            f["price"] = format_price(price, currency)

    def _availability(
        self, product: Product, variant: Variant | None, f: dict[str, str], problem: Any
    ) -> None:
        value = variant.availability if variant else Availability.UNKNOWN
        if value == Availability.UNKNOWN:
            value = product.availability
        mapped = self.spec.availability.get(value)
        if mapped is None:
            problem(
                "availability",
                "availability is unknown",
                "set availability (in stock / out of stock) in the catalog and re-import",
            )
        else:
            f["availability"] = mapped

    def _link(self, product: Product, variant: Variant | None, f: dict[str, str], problem: Any) -> None:
        url = product.url.strip()
        if not url:
            problem("link", "the product has no shop link", "add the product page URL to the catalog")
            return
        if not is_http_url(url):
            problem(
                "link", f"'{url[:80]}' is not an http(s) URL", "use the full product page URL (https://…)"
            )
            return
        sku = (variant.sku if variant else "") or product.sku
        key = (url, product.id, sku if self.link_uses_sku else "")
        link = self._links.get(key)
        if link is None:
            link = catalog_link(url, self.project, platform=self.platform, product_id=product.id, sku=sku)
            self._links = {key: link}  # variants of one product share it; no growth over a catalog
        f["link"] = link

    def _images(self, product: Product, variant: Variant | None, f: dict[str, str], problem: Any) -> None:
        candidates = [variant.image] if variant and variant.image else []
        candidates += [i for i in product.images if i and i not in candidates]
        if not candidates:
            problem("image_link", "the product has no image", "add a product image URL to the catalog")
            return
        main, rest = candidates[0], candidates[1:]
        if is_http_url(main):
            f["image_link"] = main
        else:
            problem(
                "image_link",
                f"'{main[:80]}' is a local file, not a public image URL",
                "use the shop's image URLs (re-import from the shop) or host the image online",
            )
        extra = [u for u in rest if is_http_url(u)]
        if len(extra) < len(rest):
            problem(
                "additional_image_link",
                f"{len(rest) - len(extra)} image(s) are local files and were left out",
                "use public image URLs in the catalog",
                WARNING,
            )
        limit = self.spec.max_additional_images
        if len(extra) > limit:
            problem(
                "additional_image_link",
                f"{len(extra)} additional images; {self.spec.name} takes {limit}, the rest were left out",
                "put the most important images first in the shop",
                WARNING,
            )
            extra = extra[:limit]
        if extra:
            f["additional_image_link"] = join_multi(extra)

    def _required_and_lengths(self, f: dict[str, str], problem: Any) -> None:
        for name, limit in self.spec.max_len.items():
            value = f.get(name, "")
            if len(value) <= limit:
                continue
            if name in _TRUNCATABLE:
                f[name] = _truncate(value, limit)
                problem(
                    name,
                    f"{len(value)} characters; shortened to {limit}",
                    f"shorten the {name} in the shop",
                    WARNING,
                )
            else:
                problem(
                    name,
                    f"{len(value)} characters; {self.spec.name} allows {limit}",
                    f"shorten the {name} to {limit} characters in the catalog",
                )
        for name in self.spec.required:
            if not f.get(name):
                # Most missing fields already have a specific problem; add a generic one otherwise.
                problem(name, f"{name} is required by {self.spec.name}", f"set the {name} in the catalog")


def _dedupe(problems: list[FieldProblem]) -> list[FieldProblem]:
    """Drop the generic "is required" problem where a specific one names the same field."""
    specific = {p.field for p in problems if "is required by" not in p.message}
    return [p for p in problems if "is required by" not in p.message or p.field not in specific]


def map_products(
    products: Iterable[Product],
    platform: str,
    *,
    project: Project,
    country: str = "US",
    language: str = "en",
) -> Iterator[MappedItem]:
    """Map products to `platform` items ("meta" | "pinterest" | "google"), lazily.

    Products whose `status` is `draft` or `archived` are skipped (not sellable; the sync engine
    treats a missing item as a deletion). Each item carries its problems; nothing is dropped
    silently — an item with an error still comes out, with `ok` False.
    """
    mapper = _Mapper(platform, project, country, language)
    for product in products:
        if (product.status or "active").strip().lower() in ("draft", "archived"):
            continue
        for item in mapper.items(product):
            item.problems = _dedupe(item.problems)
            yield item


def _item_id(product: Product, variant: Variant | None) -> str:
    """A grouped variant's id is its SKU (or variant id); a product's own id otherwise."""
    return ((variant.sku.strip() or variant.id) if variant is not None else product.id).strip()


def item_id_for(product: Product, variant_id: str | None = None) -> str:
    """The retailer id the platforms know (product, variant) by — the id `map_products` sends.

    A multi-variant product without a chosen (or a known) variant answers with its first variant's
    item: the platforms show the whole item group from any of its items.
    """
    variants = sorted(product.variants, key=lambda v: v.position)
    if len(variants) <= 1:
        return _item_id(product, None)
    return _item_id(product, next((v for v in variants if v.id == variant_id), variants[0]))


def fingerprint(item: MappedItem) -> str:
    """Stable hash of an item's fields (key order does not matter): equal ⇔ nothing to re-send."""
    payload = json.dumps(item.fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def api_attributes(item: MappedItem, platform: str) -> dict[str, Any]:
    """The item's fields in the JSON shape of the batch APIs.

    Meta `items_batch` `data`: feed names, `id` = retailer id; `additional_image_link` as a list
    (UNCONFIRMED: the feed form is comma-separated; the API is believed to take an array).
    Pinterest `attributes`: no `id` (it goes in `item_id`), `image_link` as a one-element list and
    `additional_image_link` as a list (OpenAPI ItemAttributesRequest).
    """
    data: dict[str, Any] = dict(item.fields)
    if "additional_image_link" in data:
        data["additional_image_link"] = split_multi(data["additional_image_link"])
    if platform == "pinterest":
        data.pop("id", None)
        if "image_link" in data:
            data["image_link"] = [data["image_link"]]
    if platform != "google":
        data.pop("identifier_exists", None)
    return data
