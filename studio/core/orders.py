"""Orders → posts and products: read a Shopify orders export (or any CSV with UTM columns), attribute.

Why these three rules, in this order (facts: shared/platforms/insights.md §4.3–4.4):
1. **Per-post discount code** (`discount_code_for(post_id)`, e.g. `ODA-7KQ2XM`): the only link to a
   post that survives Shopify's native order export, which has *no* UTM or landing-page columns.
   Deterministic: the code is derived from the post id, so no table has to be kept in sync.
2. **UTM** (`utm_content` = studio post id, `utm_source` = platform, `utm_term` = product): from UTM
   columns (analytics exports, third-party order exports), a `Landing Site` URL, or `utm_*` lines in
   Shopify's `Note Attributes` (a cart script can copy them there).
3. **Line-item SKU** → catalog product → the posts that tagged it: attributed only when exactly ONE
   published post tagged the product in the `window` before the order (default 30 days). Two or more
   candidates, or none, leave the order unattributed with the reason — never a guess.

Per-row problems carry the CSV row number (the header is row 1), the column and what to do; a bad
line item skips the line, a bad order-level field (date, total) skips the order. Cancelled orders
are skipped with a warning. Refunds are not subtracted (the export's `Refunded Amount` is ignored —
revenue here is gross order total).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from studio.core.errors import InputError, Problem, Where
from studio.core.insights_store import Order, OrderLine, PostRef

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I: read aloud, typed at checkout
CODE_LENGTH = 6
DEFAULT_PREFIX = "ODA"
DEFAULT_WINDOW = timedelta(days=30)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
SOURCE_PLATFORM = {
    "instagram": "instagram",
    "ig": "instagram",
    "igshopping": "instagram",
    "facebook": "facebook",
    "fb": "facebook",
    "pinterest": "pinterest",
    "pin": "pinterest",
}

#: canonical field → accepted headers (case-insensitive), for the generic CSV importer
ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order id", "order", "name", "transaction id", "transaction_id", "order name"),
    "created_at": ("created_at", "created at", "date", "order date", "processed at"),
    "currency": ("currency",),
    "total": ("total", "order total", "purchase revenue", "revenue", "total_price"),
    "discount_code": ("discount_code", "discount code", "discount codes", "coupon", "order coupon"),
    "sku": ("sku", "lineitem sku", "item id", "item sku", "product sku"),
    "product_id": ("product_id", "product id"),
    "quantity": ("quantity", "lineitem quantity", "item quantity", "items purchased"),
    "price": ("price", "lineitem price", "item price", "item revenue"),
    "landing_site": ("landing_site", "landing site", "landing page"),
    "note_attributes": ("note attributes", "note_attributes"),
    "cancelled_at": ("cancelled at", "cancelled_at"),
    "utm_source": ("utm_source", "session source", "source"),
    "utm_medium": ("utm_medium", "session medium", "medium"),
    "utm_campaign": ("utm_campaign", "session campaign", "campaign"),
    "utm_content": ("utm_content", "session manual ad content", "content"),
    "utm_term": ("utm_term", "session manual term", "term"),
}
SHOPIFY_MARKERS = ("name", "lineitem quantity", "lineitem name")


# --- discount codes -----------------------------------------------------------------------------


def _code_suffix(post_id: str) -> str:
    digest = int.from_bytes(hashlib.blake2b(post_id.encode(), digest_size=8).digest(), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        digest, rest = divmod(digest, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[rest])
    return "".join(chars)


def code_prefix(name: str | None) -> str:
    """3 letters from the shop/project name ("Oda et Lune" → "ODA"); DEFAULT_PREFIX without letters."""
    letters = re.sub(r"[^A-Za-z]", "", name or "").upper()
    return letters[:3] if len(letters) >= 3 else DEFAULT_PREFIX


def discount_code_for(post: Any, prefix: str | None = None) -> str:
    """The post's discount code, stable for its id: `<PREFIX>-<6 chars>` (e.g. `ODA-7KQ2XM`).

    `post`: a `Post`/`PostRef` (anything with `.post_id` or `.id`) or the id itself. The shop must
    create the code (Shopify admin → Discounts) — the studio cannot; matching on import uses the
    6-character suffix, so a changed prefix still attributes.
    """
    post_id = post if isinstance(post, str) else getattr(post, "post_id", None) or post.id
    return f"{(prefix or DEFAULT_PREFIX).upper()}-{_code_suffix(str(post_id))}"


CODE_LINE = "Use code {code} at checkout."


def caption_with_code(
    caption: str, code: str, *, template: str = CODE_LINE, max_chars: int | None = None
) -> str:
    """`caption` with a line announcing `code` appended (once: unchanged if the code is already there).

    `max_chars` (the platform's caption limit): raises `InputError` rather than cutting the caption.
    """
    if code.casefold() in caption.casefold():
        return caption
    line = template.format(code=code)
    text = f"{caption.rstrip()}\n\n{line}" if caption.strip() else line
    if max_chars is not None and len(text) > max_chars:
        raise InputError(
            f"the caption with the discount code line has {len(text)} characters (limit {max_chars})",
            where=Where(field="caption"),
            hint="shorten the caption or the code line",
        )
    return text


# --- parsing helpers ----------------------------------------------------------------------------


def parse_money(text: str) -> Decimal:
    """'1,234.50', '1234,50', '€ 12.00', '12' → Decimal; ValueError if not a number."""
    raw = re.sub(r"[^\d,.\-]", "", text or "")
    if not raw or not re.search(r"\d", raw):
        raise ValueError(text)
    if "," in raw and "." in raw:
        raw = (
            raw.replace(",", "")
            if raw.rfind(".") > raw.rfind(",")
            else raw.replace(".", "").replace(",", ".")
        )
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = raw.replace(",", "") if len(tail) == 3 and head else raw.replace(",", ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError(text) from None


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d")


def parse_when(text: str) -> datetime:
    """Shopify `2026-11-20 14:03:12 +0100`, ISO 8601, `YYYY-MM-DD`, GA4 `YYYYMMDD` → aware UTC."""
    raw = (text or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            value = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    else:
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(text) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utm_from_url(url: str) -> dict[str, str]:
    query = urlsplit(url.strip()).query if "?" in url else url.strip().lstrip("?")
    return {k.lower(): v for k, v in parse_qsl(query) if k.lower() in UTM_KEYS and v}


def utm_from_note_attributes(text: str) -> dict[str, str]:
    """Shopify `Note Attributes`: one `name: value` per line (a cart script may store utm_* there)."""
    out: dict[str, str] = {}
    for line in re.split(r"[\r\n]+", text or ""):
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if sep and key in UTM_KEYS and value.strip():
            out[key] = value.strip()
        elif sep and key in ("landing_site", "landing site", "landing_page"):
            out.update({k: v for k, v in utm_from_url(value).items() if k not in out})
    return out


# --- import ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Unattributed:
    order_id: str
    reason: str
    total: Decimal
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "reason": self.reason,
            "total": str(self.total),
            "currency": self.currency,
        }


@dataclass(slots=True)
class OrdersImport:
    """What an import read and how it attributed: orders, per-row problems, what stayed unattributed."""

    file: str
    format: str  # "shopify" | "utm_csv"
    orders: list[Order] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unattributed: list[Unattributed] = field(default_factory=list)
    rows: int = 0

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("discount_code", "utm", "sku", "none")}
        for o in self.orders:
            out[o.attribution] = out.get(o.attribution, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        revenue: dict[str, str] = {}
        for o in self.orders:
            if o.attribution != "none":
                revenue[o.currency] = str(Decimal(revenue.get(o.currency, "0")) + o.total)
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "orders": len(self.orders),
            "attribution": self.counts(),
            "attributed_revenue": revenue,
            "unattributed": [u.to_dict() for u in self.unattributed],
            "problems": [p.to_dict() for p in self.problems],
        }


def _headers(
    fieldnames: Sequence[str], columns: Mapping[str, str] | None, *, shopify: bool = False
) -> dict[str, str]:
    """canonical field → actual header, from the explicit `columns` mapping first, then ALIASES.

    In a Shopify export only literal `utm_*` headers count as UTM: its `Source` column is the sales
    channel (web, pos, an app id), not a marketing source.
    """
    lower = {h.strip().lower(): h for h in fieldnames if h}
    out: dict[str, str] = {}
    for canon, header in (columns or {}).items():
        if canon not in ALIASES:
            raise InputError(
                f"unknown field '{canon}' in the column mapping",
                where=Where(field=canon),
                hint=f"map one of: {', '.join(ALIASES)}",
            )
        actual = lower.get(header.strip().lower())
        if actual is None:
            raise InputError(
                f"the file has no column '{header}' (mapped to {canon})",
                where=Where(field=header),
                hint=f"columns in the file: {', '.join(h for h in fieldnames if h)}",
            )
        out[canon] = actual
    for canon, names in ALIASES.items():
        if canon in out:
            continue
        if shopify and canon in UTM_KEYS:
            names = (canon,)
        for name in names:
            if name in lower and lower[name] not in out.values():
                out[canon] = lower[name]
                break
    return out


def read_orders_csv(
    path: Path | str,
    *,
    columns: Mapping[str, str] | None = None,
    default_currency: str = "",
) -> OrdersImport:
    """Read a Shopify orders export or a UTM CSV into unattributed `Order`s plus per-row problems."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", where=Where(file=str(p))) from None
    if b"\x00" in raw[:4096]:
        raise InputError("this is not a CSV file (binary content)", where=Where(file=str(p)))
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fieldnames = list(reader.fieldnames or [])
    lowered = {h.strip().lower() for h in fieldnames}
    shopify = all(m in lowered for m in SHOPIFY_MARKERS)
    heads = _headers(fieldnames, columns, shopify=shopify)
    result = OrdersImport(file=str(p), format="shopify" if shopify else "utm_csv")
    if "order_id" not in heads:
        raise InputError(
            "no order id column (Shopify 'Name', or order_id / Transaction ID)",
            where=Where(file=str(p)),
            hint='map it, e.g. `--map order_id="Order Number"`',
        )
    if "created_at" not in heads:
        raise InputError(
            "no order date column (Shopify 'Created at', or created_at / Date)",
            where=Where(file=str(p)),
            hint='map it, e.g. `--map created_at="Order Date"`',
        )
    by_id: dict[str, Order] = {}
    skipped: set[str] = set()
    totals_missing: set[str] = set()
    last_id: str | None = None

    def cell(row: Mapping[str, Any], canon: str) -> str:
        header = heads.get(canon)
        value = row.get(header) if header else None
        return str(value).strip() if value is not None else ""

    def problem(
        rownum: int, canon: str, value: str, message: str, hint: str, severity: str = "error"
    ) -> None:
        result.problems.append(
            Problem(rownum, heads.get(canon, canon), value or None, message, hint=hint, severity=severity)
        )

    for index, row in enumerate(reader):
        rownum = index + 2  # the header is row 1
        result.rows += 1
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        oid = cell(row, "order_id") or (last_id or "")
        if not oid:
            problem(rownum, "order_id", "", "no order id", "fill the order id (Shopify column 'Name')")
            continue
        last_id = oid
        if oid in skipped:
            continue
        order = by_id.get(oid)
        first_row = order is None
        if first_row:
            when_text = cell(row, "created_at")
            try:
                created = parse_when(when_text)
            except ValueError:
                problem(
                    rownum,
                    "created_at",
                    when_text,
                    f"order {oid}: not a date",
                    "use YYYY-MM-DD HH:MM:SS +ZZZZ as Shopify exports it; the order was skipped",
                )
                skipped.add(oid)
                continue
            if cell(row, "cancelled_at"):
                problem(
                    rownum,
                    "cancelled_at",
                    cell(row, "cancelled_at"),
                    f"order {oid} was cancelled",
                    "cancelled orders are not counted",
                    "warning",
                )
                skipped.add(oid)
                continue
            total_text = cell(row, "total")
            total: Decimal | None = None
            if total_text:
                try:
                    total = parse_money(total_text)
                except ValueError:
                    problem(
                        rownum,
                        "total",
                        total_text,
                        f"order {oid}: the total is not a number",
                        "fix the amount (e.g. 49.90); the order was skipped",
                    )
                    skipped.add(oid)
                    continue
            codes = [c.strip() for c in re.split(r"[,\s]+", cell(row, "discount_code")) if c.strip()]
            utm = {k: cell(row, k) for k in UTM_KEYS if cell(row, k)}
            if not utm and cell(row, "landing_site"):
                utm = utm_from_url(cell(row, "landing_site"))
            if not utm and cell(row, "note_attributes"):
                utm = utm_from_note_attributes(cell(row, "note_attributes"))
            currency = cell(row, "currency").upper() or default_currency
            if not currency:
                problem(
                    rownum, "currency", "", f"order {oid}: no currency", "add a Currency column", "warning"
                )
            order = Order(
                order_id=oid,
                created_at=created,
                currency=currency,
                total=total if total is not None else Decimal("0"),
                discount_codes=codes,
                utm=utm,
            )
            by_id[oid] = order
            if total is None:
                totals_missing.add(oid)
        else:
            assert order is not None
            extra = [c.strip() for c in re.split(r"[,\s]+", cell(row, "discount_code")) if c.strip()]
            order.discount_codes.extend(c for c in extra if c not in order.discount_codes)
        _add_line(order, row, rownum, cell, problem)
    for order in by_id.values():
        if order.order_id in totals_missing:
            order.total = sum((ln.price * ln.quantity for ln in order.lines), Decimal("0"))
    result.orders = list(by_id.values())
    return result


def _add_line(
    order: Order,
    row: Mapping[str, Any],
    rownum: int,
    cell: Callable[[Mapping[str, Any], str], str],
    problem: Callable[..., None],
) -> None:
    sku, pid = cell(row, "sku"), cell(row, "product_id")
    qty_text, price_text = cell(row, "quantity"), cell(row, "price")
    if not (sku or pid or qty_text or price_text):
        return
    try:
        qty = int(Decimal(qty_text)) if qty_text else 1
        if qty <= 0:
            raise ValueError(qty_text)
    except (ValueError, InvalidOperation):
        problem(
            rownum,
            "quantity",
            qty_text,
            f"order {order.order_id}: the quantity is not a positive whole number",
            "fix the quantity; this line item was skipped",
        )
        return
    try:
        price = parse_money(price_text) if price_text else Decimal("0")
    except ValueError:
        problem(
            rownum,
            "price",
            price_text,
            f"order {order.order_id}: the line price is not a number",
            "fix the price (e.g. 24.95); this line item was skipped",
        )
        return
    order.lines.append(OrderLine(sku=sku, product_id=pid or None, quantity=qty, price=price))


# --- attribution ----------------------------------------------------------------------------------


def attribute(
    orders: Iterable[Order],
    posts: Sequence[PostRef],
    *,
    product_for_sku: Callable[[str], str | None] | None = None,
    extra_codes: Mapping[str, str] | None = None,
    window: timedelta = DEFAULT_WINDOW,
) -> list[Unattributed]:
    """Set `attributed_post_id/platform/attribution` on each order (in place); returns the unattributed.

    `posts`: the published posts (one `PostRef` per post × platform, e.g. `InsightsStore.posts()`).
    `product_for_sku`: SKU (or variant SKU) → catalog product id. `extra_codes`: code → post id for
    codes the shop chose itself.
    """
    by_post: dict[str, list[PostRef]] = {}
    for ref in posts:
        by_post.setdefault(ref.post_id, []).append(ref)
    suffixes = {_code_suffix(pid): pid for pid in by_post}
    custom = {c.strip().upper(): pid for c, pid in (extra_codes or {}).items()}
    product_ids = {pid for ref in posts for pid in ref.product_ids}
    out: list[Unattributed] = []
    for order in orders:
        for line in order.lines:  # SKU → catalog product, kept on the line for per-product revenue
            if line.product_id is None and line.sku and product_for_sku is not None:
                line.product_id = product_for_sku(line.sku)
        order.attributed_post_id = order.attributed_platform = None
        order.attribution = "none"
        reasons: list[str] = []
        # 1. discount code
        hit = None
        for code in order.discount_codes:
            key = code.strip().upper()
            hit = custom.get(key) or suffixes.get(key.rsplit("-", 1)[-1])
            if hit:
                break
        if order.discount_codes and not hit:
            reasons.append(f"discount code {', '.join(order.discount_codes)} is not a post code")
        if hit:
            _set(order, hit, by_post.get(hit, []), None, "discount_code")
            continue
        # 2. UTM
        utm = order.utm
        platform = SOURCE_PLATFORM.get(utm.get("utm_source", "").strip().lower())
        content = utm.get("utm_content", "").strip()
        post_hit = _post_from_content(content, by_post)
        if post_hit:
            _set(order, post_hit, by_post[post_hit], platform, "utm")
            continue
        if content or utm.get("utm_term"):
            product = utm.get("utm_term", "").strip() or content
            if product in product_ids:
                found = _candidates(posts, {product}, order.created_at, window, platform)
                if len(found) == 1:
                    _set(order, found[0], by_post[found[0]], platform, "utm")
                    continue
                reasons.append(_why(f"UTM product {product}", found))
            else:
                reasons.append(f"utm_content '{content}' names no known post")
        # 3. SKU → product → the one post that tagged it
        wanted: set[str] = set()
        for line in order.lines:
            if line.product_id:
                wanted.add(line.product_id)
        if wanted:
            found = _candidates(posts, wanted, order.created_at, window, platform)
            if len(found) == 1:
                _set(order, found[0], by_post[found[0]], platform, "sku")
                continue
            reasons.append(_why(f"product(s) {', '.join(sorted(wanted))}", found))
        elif order.lines:
            reasons.append("no line item matches a product tagged in a post")
        out.append(
            Unattributed(
                order.order_id,
                "; ".join(reasons) or "no code, UTM or SKU to go by",
                order.total,
                order.currency,
            )
        )
    return out


def _post_from_content(content: str, by_post: Mapping[str, list[PostRef]]) -> str | None:
    """`utm_content` = post id, or `<post id>_<placement>` (research §4.2 suggests a placement suffix)."""
    if not content:
        return None
    if content in by_post:
        return content
    matches = [pid for pid in by_post if content.startswith(pid + "_") or content.startswith(pid + "-")]
    return matches[0] if len(matches) == 1 else None


def _candidates(
    posts: Sequence[PostRef], products: set[str], when: datetime, window: timedelta, platform: str | None
) -> list[str]:
    found: list[str] = []
    for ref in posts:
        if platform and ref.platform != platform:
            continue
        if not products.intersection(ref.product_ids):
            continue
        if not (when - window <= ref.published_at <= when):
            continue
        if ref.post_id not in found:
            found.append(ref.post_id)
    return found


def _why(what: str, found: list[str]) -> str:
    if not found:
        return f"{what} not tagged in any post published in the 30 days before the order"
    return f"{what} tagged in {len(found)} posts ({', '.join(found[:5])}): ambiguous, not guessed"


def _set(order: Order, post_id: str, refs: list[PostRef], platform: str | None, how: str) -> None:
    order.attributed_post_id = post_id
    platforms = {r.platform for r in refs}
    if platform is None and len(platforms) == 1:
        platform = next(iter(platforms))
    order.attributed_platform = platform
    order.attribution = how
