"""Meta, Pinterest and Google Merchant Center catalog feeds (CSV or TSV) → products, streamed.

The three formats share their column names (`id, title, description, availability, price,
link, image_link, brand, item_group_id, sale_price, gtin, …`), so one importer reads them all;
headers are matched case-insensitively and Google's `g:` prefix is ignored.

Ids and variants: a row without `item_group_id` is one product whose id is the row's `id`.
Consecutive rows sharing an `item_group_id` become **one product whose id is the
`item_group_id`** and whose variants are the rows (variant id = row `id`); `find()` resolves
either id. The group id is used because it is what the platforms themselves call the product and
it stays the same when the variant rows are reordered. Rows of one group that are not adjacent
are merged by the store's import session (see `CatalogStore.begin_import`).

Prices: `12.99 USD` (also `USD 12.99`, `12.99USD`). A code that is not ISO 4217 (`12.99 DOLLARS`,
`12.99 XXY`) rejects the row. A bare number is read in the workspace currency with a warning. A
valid currency different from the workspace's is kept, with a warning naming both. A lower
`sale_price` (within its `sale_price_effective_date` window, if any) becomes the price and the
regular price becomes `compare_at`.

Links must be absolute http(s). A bad or missing `link` does not drop the product: it is imported
without a link, flagged `no_link`, and the problem is reported (an error for a bad link, a
warning for a missing one). Storing the link is the risk; the product itself is harmless and the
user can fix the feed and re-import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from studio.core.importers.detect import column_index, feed_key
from studio.core.importers.fields import clean_url, html_to_text, split_list
from studio.core.importers.report import ProblemLog
from studio.core.model import Availability, Product, Variant
from studio.core.money import is_currency, parse_amount, parse_price_with_currency

_OPTION_COLUMNS = ("color", "size", "material", "pattern", "gender", "age_group")
_IMAGE_PATH = re.compile(r"^(?:additional_image_link|image)\[([0-9]{1,4})\](?:\.url)?$")
_CODE_AFTER = re.compile(r"^\s*[0-9][0-9.,\s]*?\s*([^\d\s.,]+)\s*$")
_CODE_BEFORE = re.compile(r"^\s*([^\d\s.,]+)\s*[0-9][0-9.,\s]*$")
MAX_PRICE_CHARS = 64
_PRICE_HINT = "write prices as an amount and an ISO 4217 code, e.g. '12.99 USD'"


@dataclass(slots=True)
class _Row:
    """One valid feed row, before grouping."""

    number: int
    id: str
    group: str
    title: str
    description: str
    link: str
    images: list[str]
    price: Decimal
    compare_at: Decimal | None
    currency: str
    availability: Availability
    brand: str
    gtin: str
    product_type: str
    status: str
    options: dict[str, str] = field(default_factory=dict)


class FeedImporter:
    """Turns feed records into products; problems go to `problems`, never raise."""

    def __init__(self, fmt: str, header: list[str], *, currency: str, problems: ProblemLog) -> None:
        self.format = fmt
        self.currency = currency
        self.problems = problems
        self.now = datetime.now(UTC)
        idx = column_index(header, feed_key)

        # Rows are padded to width + 1 cells, so a missing column reads the empty last cell.
        self._width = width = len(header)

        def col(key: str) -> int:
            return idx.get(key, width)

        self.c_id, self.c_group, self.c_title = col("id"), col("item_group_id"), col("title")
        self.c_desc, self.c_rich = col("description"), col("rich_text_description")
        self.c_link, self.c_image, self.c_more = col("link"), col("image_link"), col("additional_image_link")
        self.c_price, self.c_sale, self.c_sale_dates = (
            col("price"),
            col("sale_price"),
            col("sale_price_effective_date"),
        )
        self.c_avail, self.c_brand, self.c_gtin = col("availability"), col("brand"), col("gtin")
        self.c_type, self.c_gpc = col("product_type"), col("google_product_category")
        self.c_status = col("status")
        self.c_options = [(name, col(name)) for name in _OPTION_COLUMNS if col(name) < width]
        self.c_vnames, self.c_vvalues = col("variant_names"), col("variant_values")
        numbered = sorted((int(m.group(1)), i) for k, i in idx.items() if (m := _IMAGE_PATH.match(k)))
        self.c_image_paths = [i for _n, i in numbered]

    # --- the row stream -------------------------------------------------------------------

    def products(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[Product, int]]:
        """Yield (product, record number of its first row); groups end when the group id changes."""
        group: list[_Row] = []
        width = self._width
        for number, raw in records:
            parsed = self._parse(number, _pad(raw, width))
            if parsed is None:
                continue
            if group and parsed.group and parsed.group == group[0].group:
                if parsed.currency != group[0].currency:
                    self.problems.error(
                        number,
                        "price",
                        parsed.currency,
                        f"price currency {parsed.currency} differs from the other rows of item group "
                        f"'{parsed.group}' ({group[0].currency}); this row was skipped",
                        hint="all variants of one product must be priced in the same currency",
                    )
                    continue
                group.append(parsed)
                continue
            if group:
                yield self._grouped(group), group[0].number
                group = []
            if parsed.group:
                group.append(parsed)
            else:
                yield self._single(parsed), number
        if group:
            yield self._grouped(group), group[0].number

    # --- one row --------------------------------------------------------------------------

    def _parse(self, number: int, row: list[str]) -> _Row | None:
        item_id = row[self.c_id].strip()
        if not item_id:
            self.problems.error(
                number, "id", "", "missing id; this row was skipped", hint="every row needs a unique id"
            )
            return None
        title = row[self.c_title].strip()
        if not title:
            self.problems.error(
                number,
                "title",
                "",
                f"item '{item_id}' has no title; this row was skipped",
                hint="every row needs a title",
            )
            return None
        price_text = row[self.c_price].strip()
        parsed_price = self._price(number, "price", price_text, None)
        if parsed_price is None:
            return None
        price, currency = parsed_price
        if currency != self.currency:
            self.problems.warning(
                number,
                "price",
                price_text,
                f"price is in {currency} but the workspace currency is {self.currency}; "
                f"imported in {currency}",
                hint=f"labels will show {currency}; use a {self.currency} feed or change the workspace "
                "currency",
            )
        price, compare_at = self._sale(number, row, price, currency)
        link = self._link(number, row)
        description = row[self.c_desc].strip() or row[self.c_rich].strip()
        return _Row(
            number=number,
            id=item_id,
            group=row[self.c_group].strip(),
            title=title,
            description=html_to_text(description),
            link=link,
            images=self._images(number, row),
            price=price,
            compare_at=compare_at,
            currency=currency,
            availability=self._availability(number, row),
            brand=row[self.c_brand].strip(),
            gtin=row[self.c_gtin].strip(),
            product_type=row[self.c_type].strip() or row[self.c_gpc].strip(),
            status=(row[self.c_status].strip() or "active").lower(),
            options=self._options(row),
        )

    def _price(
        self, number: int, field_name: str, text: str, currency: str | None
    ) -> tuple[Decimal, str] | None:
        """Parse `12.99 USD`; report and return None when unusable. `currency` = sale-price mode."""
        sale = currency is not None
        report = self.problems.warning if sale else self.problems.error
        outcome = "ignored" if sale else "this row was skipped"
        if not text:
            if not sale:
                report(number, field_name, "", f"missing price; {outcome}", hint=_PRICE_HINT)
            return None
        if len(text) > MAX_PRICE_CHARS:
            report(number, field_name, text, f"bad price: too long; {outcome}", hint=_PRICE_HINT)
            return None
        text = " ".join(text.split())  # one space between parts keeps the price regexes linear
        try:
            return parse_price_with_currency(text)
        except ValueError as exc:
            code_match = _CODE_AFTER.match(text) or _CODE_BEFORE.match(text)
            if code_match and not is_currency(code_match.group(1)):
                report(
                    number,
                    field_name,
                    text,
                    f"'{code_match.group(1)}' is not an ISO 4217 currency code; {outcome}",
                    hint=_PRICE_HINT,
                )
                return None
            try:
                amount = parse_amount(text)
            except ValueError:
                report(number, field_name, text, f"bad price: {exc}; {outcome}", hint=_PRICE_HINT)
                return None
        assumed = currency or self.currency
        if not sale:
            self.problems.warning(
                number, field_name, text, f"price has no currency code; read as {assumed}", hint=_PRICE_HINT
            )
        return amount, assumed

    def _sale(
        self, number: int, row: list[str], price: Decimal, currency: str
    ) -> tuple[Decimal, Decimal | None]:
        """Apply a lower, currently effective sale price: (price, compare_at)."""
        text = row[self.c_sale].strip()
        if not text:
            return price, None
        parsed = self._price(number, "sale_price", text, currency)
        if parsed is None:
            return price, None
        sale, sale_currency = parsed
        if sale_currency != currency:
            self.problems.warning(
                number,
                "sale_price",
                text,
                f"sale price is in {sale_currency} but the price in {currency}; ignored",
                hint="use the same currency for price and sale_price",
            )
            return price, None
        if sale >= price:
            self.problems.warning(
                number,
                "sale_price",
                text,
                "sale price is not lower than the price; ignored",
                hint="sale_price must be below price",
            )
            return price, None
        if not self._sale_in_effect(number, row[self.c_sale_dates].strip()):
            return price, None
        return sale, price

    def _sale_in_effect(self, number: int, window: str) -> bool:
        if not window:
            return True
        try:
            start_text, end_text = window.split("/", 1)
            start = _aware(datetime.fromisoformat(start_text.strip()))
            end = _aware(datetime.fromisoformat(end_text.strip()))
        except ValueError:
            self.problems.warning(
                number,
                "sale_price_effective_date",
                window,
                "cannot read the sale dates; the sale price was applied",
                hint="use <start>/<end> in ISO 8601, e.g. 2025-06-01T00:00Z/2025-06-30T23:59Z",
            )
            return True
        return start <= self.now <= end

    def _link(self, number: int, row: list[str]) -> str:
        """The row's product link, or "" (reported) when missing or not http(s)."""
        text = row[self.c_link].strip()
        if not text:
            self.problems.warning(
                number,
                "link",
                "",
                "no product link; imported without one and flagged",
                hint="add the product page URL (https://…) to the feed",
            )
            return ""
        try:
            return clean_url(text)
        except ValueError as exc:
            self.problems.error(
                number,
                "link",
                text,
                f"link {exc}; the product was imported without a link and flagged",
                hint="links must be web addresses starting with https:// or http://",
            )
            return ""

    def _images(self, number: int, row: list[str]) -> list[str]:
        candidates: list[tuple[str, str]] = []
        main = row[self.c_image].strip()
        if main:
            candidates.append(("image_link", main))
        for i in self.c_image_paths:
            value = row[i].strip()
            if value:
                candidates.append(("image", value))
        more = row[self.c_more].strip()
        if more:
            candidates.extend(("additional_image_link", part) for part in split_list(more))
        images: list[str] = []
        for field_name, value in candidates:
            try:
                url = clean_url(value)
            except ValueError as exc:
                self.problems.error(
                    number,
                    field_name,
                    value,
                    f"image link {exc}; the image was skipped",
                    hint="use an https:// image address",
                )
                continue
            if url not in images:
                images.append(url)
        return images

    def _availability(self, number: int, row: list[str]) -> Availability:
        text = row[self.c_avail].strip()
        value = Availability.parse(text)
        if text and value == Availability.UNKNOWN and text.lower() != "unknown":
            self.problems.warning(
                number,
                "availability",
                text,
                "unknown availability; read as unknown",
                hint="use in stock, out of stock, preorder or backorder",
            )
        return value

    def _options(self, row: list[str]) -> dict[str, str]:
        options = {name: value for name, i in self.c_options if (value := row[i].strip())}
        names, values = row[self.c_vnames].strip(), row[self.c_vvalues].strip()
        if names and values:
            for name, value in zip(split_list(names), split_list(values)):
                options.setdefault(name.lower(), value)
        return options

    # --- products -------------------------------------------------------------------------

    def _single(self, r: _Row) -> Product:
        return Product(
            id=r.id,
            title=r.title,
            price=r.price,
            currency=r.currency,
            sku=r.id,
            brand=r.brand,
            description=r.description,
            compare_at=r.compare_at,
            url=r.link,
            images=r.images,
            availability=r.availability,
            gtin=r.gtin,
            status=r.status,
            product_type=r.product_type,
            flags=[] if r.link else ["no_link"],
        )

    def _grouped(self, rows: list[_Row]) -> Product:
        first = rows[0]
        images = list(first.images)
        variants: list[Variant] = []
        seen: set[str] = set()
        for r in rows:
            if r.id in seen:
                self.problems.warning(
                    r.number,
                    "id",
                    r.id,
                    f"id '{r.id}' repeats within item group '{r.group}'; this row was ignored",
                    hint="give every row a unique id",
                )
                continue
            seen.add(r.id)
            if r.images and r.images[0] not in images:
                images.append(r.images[0])
            variants.append(
                Variant(
                    id=r.id,
                    sku=r.id,
                    title=" / ".join(r.options.values()) or r.title,
                    options=r.options,
                    price=r.price,
                    compare_at=r.compare_at,
                    gtin=r.gtin,
                    image=r.images[0] if r.images else "",
                    availability=r.availability,
                    position=len(variants) + 1,
                )
            )
        link = next((r.link for r in rows if r.link), "")
        in_stock = any(v.availability == Availability.IN_STOCK for v in variants)
        return Product(
            id=first.group,
            title=first.title,
            price=first.price,
            currency=first.currency,
            brand=next((r.brand for r in rows if r.brand), ""),
            description=first.description,
            compare_at=first.compare_at,
            url=link,
            images=images,
            variants=variants,
            availability=Availability.IN_STOCK if in_stock else first.availability,
            status=first.status,
            product_type=first.product_type,
            flags=[] if link else ["no_link"],
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pad(row: list[str], width: int) -> list[str]:
    """Make `row` exactly width + 1 cells (the extra one always empty): see `col` above."""
    if len(row) == width:
        row.append("")
    else:
        del row[width:]
        row.extend([""] * (width + 1 - len(row)))
    return row
