"""Shopify product CSV (current and legacy header dialects) → products, streamed.

One product spans consecutive rows with the same handle (publishing.md §6.1):

* the first row carries the product (Title, Description, Vendor, Type, Tags, Status, option
  names), its first variant and its first image;
* a following row with option values (or its own SKU/Price) adds a variant;
* a following row with only `Product image URL` + `Image position` adds an image and is *not* a
  variant;
* `Option1 name = Title` / `Option1 value = Default Title` means no real variants: that row's
  SKU, barcode and price become the product's own.

The product id is the handle (stable across exports, unique per store). A variant's id is
`<handle>/<option values>` (e.g. `linen-shirt/Blue/M`), so a tag pointing at a variant survives
reordering the rows. Shopify prices carry no currency: the workspace currency is used. The export
has no product URL either, so links are built as `<store URL>/products/<handle>`; without a store
URL the product is imported with the `no_link` flag and a warning.

Rows of one product must be consecutive (Shopify's own export always writes them so). A block
whose first row has no Title is rejected with its rows, since its product fields are unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from studio.core.importers.detect import column_index, shopify_key
from studio.core.importers.fields import amount, clean_url, html_to_text, product_link, slugify, split_list
from studio.core.importers.report import ProblemLog
from studio.core.model import Availability, Product, Variant

_CONTINUE = frozenset({"true", "continue", "yes", "1"})
_POSITION_LAST = 1_000_000


@dataclass(slots=True)
class _Draft:
    """The product being assembled from its consecutive rows."""

    handle: str
    row: int
    title: str
    description: str
    vendor: str
    product_type: str
    tags: list[str]
    status: str
    option_names: list[str]
    default_variant: bool
    rows: int = 1
    base: Variant | None = None  # the single "Default Title" variant, folded into the product
    variants: list[Variant] = field(default_factory=list)
    images: list[tuple[int, int, str]] = field(default_factory=list)  # (position, order, url)
    variant_ids: set[str] = field(default_factory=set)


class ShopifyImporter:
    """Turns Shopify CSV records into products; problems go to `problems`, never raise."""

    def __init__(self, header: list[str], *, currency: str, store_url: str, problems: ProblemLog) -> None:
        self.currency = currency
        self.store_url = store_url
        self.problems = problems
        idx = column_index(header, shopify_key)
        self._names = {key: header[i] for key, i in idx.items()}  # for problem messages

        # Rows are padded to width + 1 cells, so a missing column reads the empty last cell.
        self._width = width = len(header)

        def col(key: str) -> int:
            return idx.get(key, width)

        self.c_handle, self.c_title, self.c_desc = col("url handle"), col("title"), col("description")
        self.c_vendor, self.c_type, self.c_tags, self.c_status = (
            col("vendor"),
            col("type"),
            col("tags"),
            col("status"),
        )
        self.c_opt_names = [col(f"option{n} name") for n in (1, 2, 3)]
        self.c_opt_values = [col(f"option{n} value") for n in (1, 2, 3)]
        self.c_sku, self.c_barcode = col("sku"), col("barcode")
        self.c_price, self.c_compare = col("price"), col("compare-at price")
        self.c_qty, self.c_policy = col("inventory quantity"), col("continue selling when out of stock")
        self.c_tracker = col("inventory tracker")
        self.c_image, self.c_image_pos = col("product image url"), col("image position")
        self.c_variant_image = col("variant image url")

    def _name(self, key: str) -> str:
        return self._names.get(key, key)

    # --- the row stream -------------------------------------------------------------------

    def products(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[Product, int]]:
        """Yield (product, record number of its first row) as soon as each product's rows end."""
        draft: _Draft | None = None
        skipping: str | None = None  # handle of a rejected product whose rows we pass over
        width = self._width
        for number, raw in records:
            row = _pad(raw, width)
            handle = row[self.c_handle].strip()
            if not handle:
                title = row[self.c_title].strip()
                handle = slugify(title)
                if not handle:
                    self.problems.error(
                        number,
                        self._name("url handle"),
                        "",
                        "row has no URL handle and no Title; it was skipped",
                        hint="every row needs the product's URL handle",
                    )
                    continue
                self.problems.warning(
                    number,
                    self._name("url handle"),
                    "",
                    f"row has no URL handle; '{handle}' was derived from the Title",
                    hint="fill in the URL handle so re-imports update this product",
                )
            if draft is not None and handle == draft.handle:
                self._continue(draft, number, row)
                continue
            if handle == skipping:
                continue
            if draft is not None:
                product = self._finish(draft)
                if product is not None:
                    yield product, draft.row
            draft = self._start(number, row, handle)
            skipping = handle if draft is None else None
        if draft is not None:
            product = self._finish(draft)
            if product is not None:
                yield product, draft.row

    # --- one product ----------------------------------------------------------------------

    def _start(self, number: int, row: list[str], handle: str) -> _Draft | None:
        title = row[self.c_title].strip()
        if not title:
            self.problems.error(
                number,
                self._name("title"),
                "",
                f"product '{handle}' has no Title; its rows were skipped",
                hint="the first row of each product must carry its Title, and all rows of a product "
                "must be next to each other",
            )
            return None
        names = [row[c].strip() for c in self.c_opt_names]
        values = [row[c].strip() for c in self.c_opt_values]
        default = (names[0].casefold() == "title" and values[0].casefold() == "default title") or not any(
            values
        )
        draft = _Draft(
            handle=handle,
            row=number,
            title=title,
            description=html_to_text(row[self.c_desc].strip()),
            vendor=row[self.c_vendor].strip(),
            product_type=row[self.c_type].strip(),
            tags=split_list(row[self.c_tags].strip()),
            status=(row[self.c_status].strip() or "active").lower(),
            option_names=names,
            default_variant=default,
        )
        self._add_image(draft, number, row)
        variant = self._variant(draft, number, row, values)
        if variant is not None:
            if default:
                draft.base = variant
            else:
                self._append(draft, variant)
        return draft

    def _continue(self, draft: _Draft, number: int, row: list[str]) -> None:
        draft.rows += 1
        values = [row[c].strip() for c in self.c_opt_values]
        is_variant = any(values) or bool(row[self.c_sku].strip()) or bool(row[self.c_price].strip())
        self._add_image(draft, number, row)
        if is_variant:
            variant = self._variant(draft, number, row, values)
            if variant is not None:
                self._append(draft, variant)

    def _append(self, draft: _Draft, variant: Variant) -> None:
        base_id = variant.id
        n = 2
        while variant.id in draft.variant_ids:
            variant.id = f"{base_id}#{n}"
            n += 1
        draft.variant_ids.add(variant.id)
        variant.position = len(draft.variants) + 1
        draft.variants.append(variant)

    def _add_image(self, draft: _Draft, number: int, row: list[str]) -> None:
        url = row[self.c_image].strip()
        if not url:
            return
        try:
            url = clean_url(url)
        except ValueError as exc:
            self.problems.error(
                number,
                self._name("product image url"),
                url,
                f"image link {exc}; the image was skipped",
                hint="use an https:// image address",
            )
            return
        pos_text = row[self.c_image_pos].strip()
        position = (
            int(pos_text)
            if len(pos_text) < 7 and pos_text.isascii() and pos_text.isdigit()
            else _POSITION_LAST
        )
        draft.images.append((position, len(draft.images), url))

    def _variant(self, draft: _Draft, number: int, row: list[str], values: list[str]) -> Variant | None:
        price_text = row[self.c_price].strip()
        price_field = self._name("price")
        if not price_text:
            self.problems.error(
                number,
                price_field,
                "",
                "missing price; this variant was skipped",
                hint="every variant row needs a Price",
            )
            return None
        try:
            price = amount(price_text)
        except ValueError as exc:
            self.problems.error(
                number,
                price_field,
                price_text,
                f"bad price: {exc}; this variant was skipped",
                hint="use a plain number such as 19.99 (no currency sign)",
            )
            return None
        compare_at: Decimal | None = None
        compare_text = row[self.c_compare].strip()
        if compare_text:
            try:
                compare_at = amount(compare_text)
            except ValueError as exc:
                self.problems.warning(
                    number,
                    self._name("compare-at price"),
                    compare_text,
                    f"bad compare-at price: {exc}; ignored",
                    hint="use a plain number such as 29.99",
                )
        image = row[self.c_variant_image].strip()
        if image:
            try:
                image = clean_url(image)
            except ValueError as exc:
                self.problems.error(
                    number,
                    self._name("variant image url"),
                    image,
                    f"variant image link {exc}; it was skipped",
                    hint="use an https:// image address",
                )
                image = ""
        options: dict[str, str] = {}
        for i, value in enumerate(values):
            if value:
                name = draft.option_names[i] or f"Option{i + 1}"
                options[name] = value
        shown = [v for v in values if v]
        return Variant(
            id=f"{draft.handle}/{'/'.join(shown)}" if shown else f"{draft.handle}/{len(draft.variants) + 1}",
            sku=row[self.c_sku].strip(),
            title=" / ".join(shown),
            options=options,
            price=price,
            compare_at=compare_at,
            gtin=row[self.c_barcode].strip(),
            image=image,
            availability=self._availability(row),
        )

    def _availability(self, row: list[str]) -> Availability:
        qty_text = row[self.c_qty].strip()
        if qty_text:
            try:
                in_stock = Decimal(qty_text) > 0  # never int(): "1e999999999" must not allocate
            except ArithmeticError:
                return Availability.UNKNOWN
            if in_stock:
                return Availability.IN_STOCK
            return (
                Availability.BACKORDER
                if row[self.c_policy].strip().casefold() in _CONTINUE
                else Availability.OUT_OF_STOCK
            )
        if self.c_tracker < self._width and not row[self.c_tracker].strip():
            return Availability.IN_STOCK  # inventory not tracked: Shopify always sells it
        return Availability.UNKNOWN

    def _finish(self, draft: _Draft) -> Product | None:
        first = draft.base or (draft.variants[0] if draft.variants else None)
        if first is None or first.price is None:
            if draft.rows > 1:
                self.problems.error(
                    draft.row,
                    None,
                    draft.handle,
                    f"product '{draft.handle}' skipped: no row has a valid price",
                    hint="fix the Price column of its rows",
                )
            return None
        variants = draft.variants
        if variants:
            in_stock = any(v.availability == Availability.IN_STOCK for v in variants)
            availability = Availability.IN_STOCK if in_stock else first.availability
        else:
            availability = first.availability
        images: list[str] = []
        for _pos, _order, url in sorted(draft.images):
            if url not in images:
                images.append(url)
        flags: list[str] = []
        url = ""
        if self.store_url:
            url = product_link(self.store_url, draft.handle)
        else:
            flags.append("no_link")
            self.problems.warning(
                draft.row,
                self._name("url handle"),
                draft.handle,
                "imported without a product link: Shopify exports have no product URL and the workspace "
                "has no store URL",
                hint="set the workspace store URL (e.g. https://shop.example.com) and import again",
            )
        return Product(
            id=draft.handle,
            title=draft.title,
            price=first.price,
            currency=self.currency,
            sku=draft.base.sku if draft.base else "",
            handle=draft.handle,
            brand=draft.vendor,
            description=draft.description,
            compare_at=first.compare_at,
            url=url,
            images=images,
            variants=variants,
            availability=availability,
            gtin=draft.base.gtin if draft.base else "",
            status=draft.status,
            product_type=draft.product_type,
            tags=draft.tags,
            flags=flags,
        )


def _pad(row: list[str], width: int) -> list[str]:
    """Make `row` exactly width + 1 cells (the extra one always empty): see `col` above."""
    if len(row) == width:
        row.append("")
    else:
        del row[width:]
        row.extend([""] * (width + 1 - len(row)))
    return row
