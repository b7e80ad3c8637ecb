"""Fake Meta Commerce catalog (../shared/platforms/publishing.md §3): `POST /{catalog_id}/items_batch`,
`GET /{catalog_id}/check_batch_request_status`, `GET /{catalog_id}/products`.

Installed into `FakeGraph` by tests/fakes/extensions.py; state lives on `fake.catalog_state`
(`MetaCatalogState`): `items[catalog_id][retailer_id] -> data`, `batches[handle]`, `batch_polls`
(polls a batch answers `in_progress` before `finished`), `batch_seconds` (and for how long),
`received` (every request entry, in order: what "nothing sent twice" is asserted on),
`next_batch_error()`, `reject[retailer_id] = message` (that item fails with this message, as if
Meta's own checks refused it — e.g. an unreachable image).

Documented (primary): method CREATE/UPDATE/DELETE, `data.id` = retailer id, `allow_upsert` default
true, ≤ 5,000 requests per call, payload ≤ 28 MB, availability/condition enums, price "12.99 USD".
From the SDK/public clients (UNCONFIRMED in primary text, publishing.md §7.9): the `handles` +
`validation_status` answer, the `check_batch_request_status` collection shape and the status words
`started|in_progress|finished|error`, errors as `{"line", "id", "message"}`.

The fake's own choices where the docs are silent (clients must not depend on the details):
- items are applied when the batch is received; the status only says when the client may trust it;
- CREATE of an existing retailer id fails ("already exists") — what makes CREATE unsafe to repeat;
- DELETE of an unknown retailer id succeeds (nothing to delete);
- error messages name the field in double quotes (`Invalid "price": …`); validation problems are
  reported both in `validation_status` and in the batch status `errors`;
- required fields for a new item: id, title, description, availability, condition, price, link,
  image_link and one of brand/gtin/mpn (§3.5, UNCONFIRMED exact list); title ≤ 200 (UNCONFIRMED);
  variant attributes (color/size/…) without `item_group_id` only warn.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .graph import V, graph_error, parse_relaxed_json
from .server import Request, Response

MAX_REQUESTS = 5000
MAX_PAYLOAD = 28 * 1024 * 1024
AVAILABILITY = frozenset(
    {
        "in stock",
        "out of stock",
        "preorder",
        "available for order",
        "discontinued",
        "pending",
        "mark_as_sold",
        "mark_as_expired",
    }
)
CONDITION = frozenset(
    {"new", "refurbished", "used", "used_like_new", "used_good", "used_fair", "cpo", "open_box_new"}
)
REQUIRED = ("title", "description", "availability", "condition", "price", "link", "image_link")
VARIANT_ATTRS = ("color", "size", "material", "pattern", "gender", "age_group")
PRICE_RE = re.compile(r"^(\d+(?:\.\d+)?) ([A-Z]{3})$")
MAX_LEN = {"id": 100, "title": 200, "description": 9999, "item_group_id": 100}  # UNCONFIRMED


@dataclass
class MetaBatch:
    handle: str
    catalog_id: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    polls_left: int = 1
    polls: int = 0
    fail: bool = False  # ends in status "error" (nothing applied)
    size: int = 0
    ready_at: float = 0.0  # time.monotonic() before which the batch is still in progress


@dataclass
class MetaCatalogState:
    """Everything the fake Commerce catalog knows (see the module docstring)."""

    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    batches: dict[str, MetaBatch] = field(default_factory=dict)
    batch_polls: int = 1
    batch_seconds: float = 0.0  # benchmarks: a batch also stays in progress this long after it arrived
    received: list[tuple[str, str, str]] = field(default_factory=list)  # (handle, method, retailer id)
    product_ids: dict[str, str] = field(default_factory=dict)  # retailer id -> FB product id
    keep_payloads: bool = True  # benchmarks set False: batch bodies are dropped from the request log
    reject: dict[str, str] = field(default_factory=dict)  # retailer id -> error message (fault injection)
    _fail_next: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(26000000000000001))

    def catalog(self, catalog_id: str) -> dict[str, dict[str, Any]]:
        return self.items.setdefault(catalog_id, {})

    def next_batch_error(self, n: int = 1) -> None:
        """The next `n` accepted batches end in status `error` and change nothing."""
        self._fail_next += n

    def sent_ids(self, method: str | None = None) -> list[str]:
        return [rid for _h, m, rid in self.received if method is None or m == method]


def install(fake: Any) -> None:
    """Register the catalog routes on a `FakeGraph` (see tests/fakes/extensions.py)."""
    state = MetaCatalogState()
    state.catalog(fake.catalog_id)
    fake.catalog_state = state
    cat = r"(?P<id>\d+)"

    def known_catalog(req: Request, catalog_id: str) -> dict[str, dict[str, Any]]:
        fake._auth(req)
        if catalog_id not in state.items:
            raise graph_error(
                100,
                f"Unsupported request. Object with ID '{catalog_id}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation",
                33,
            )
        return state.items[catalog_id]

    def usage_headers(catalog_id: str) -> dict[str, str]:
        pct = min(100, len(state.batches) // 50)
        buc = {
            catalog_id: [
                {
                    "type": "catalog_batch",  # UNCONFIRMED type string (publishing.md §2.6)
                    "call_count": pct,
                    "total_cputime": pct,
                    "total_time": pct,
                    "estimated_time_to_regain_access": 0,
                }
            ]
        }
        return {"X-Business-Use-Case-Usage": json.dumps(buc)}

    def items_batch(req: Request, m: re.Match[str]) -> Response:
        catalog_id = m["id"]
        items = known_catalog(req, catalog_id)
        p = req.params
        if len(req.body) > MAX_PAYLOAD:
            raise graph_error(100, "(#100) The request payload exceeds the 28 MB limit")
        if p.get("item_type") != "PRODUCT_ITEM":
            raise graph_error(100, "(#100) Param item_type must be one of {PRODUCT_ITEM, …}")
        requests = parse_relaxed_json(p.get("requests"), "requests")
        if not isinstance(requests, list) or not requests:
            raise graph_error(100, "(#100) Param requests must be a non-empty array")
        if len(requests) > MAX_REQUESTS:
            raise graph_error(
                100, f"(#100) The number of requests ({len(requests)}) exceeds the limit of {MAX_REQUESTS}"
            )
        allow_upsert = str(p.get("allow_upsert", "true")).lower() not in ("false", "0")
        handle = "AcX" + secrets.token_urlsafe(18)
        batch = MetaBatch(
            handle,
            catalog_id,
            polls_left=state.batch_polls,
            size=len(req.body),
            ready_at=time.monotonic() + state.batch_seconds,
        )
        if state._fail_next > 0:
            state._fail_next -= 1
            batch.fail = True
        validation: list[dict[str, Any]] = []
        for line, entry in enumerate(requests, start=1):
            method = str(entry.get("method", "")).upper() if isinstance(entry, dict) else ""
            data = entry.get("data") if isinstance(entry, dict) else None
            rid = str(data.get("id", "")) if isinstance(data, dict) else ""
            state.received.append((handle, method, rid))
            errors, warnings = _check(method, data, items, allow_upsert)
            if rid in state.reject and method != "DELETE":
                errors.append(state.reject[rid])
            if not batch.fail and not errors:
                _apply(state, items, method, rid, data or {})
            if errors or warnings:
                validation.append(
                    {
                        "retailer_id": rid,
                        "errors": [{"message": e} for e in errors],
                        "warnings": [{"message": w} for w in warnings],
                    }
                )
            batch.errors += [{"line": line, "id": rid, "message": e} for e in errors]
            batch.warnings += [{"line": line, "id": rid, "message": w} for w in warnings]
        state.batches[handle] = batch
        if not state.keep_payloads:
            req.body = b""
            req.json = None
            req.form = {}
        return Response(
            200, {"handles": [handle], "validation_status": validation}, usage_headers(catalog_id)
        )

    def check_status(req: Request, m: re.Match[str]) -> Response:
        known_catalog(req, m["id"])
        handle = str(req.params.get("handle") or "")
        batch = state.batches.get(handle)
        if batch is None or batch.catalog_id != m["id"]:
            raise graph_error(100, "(#100) Param handle is not a valid batch handle for this catalog")
        batch.polls += 1
        if batch.polls_left > 0 or time.monotonic() < batch.ready_at:
            batch.polls_left = max(0, batch.polls_left - 1)
            status = "started" if batch.polls == 1 else "in_progress"
            doc: dict[str, Any] = {"handle": handle, "status": status}
        elif batch.fail:
            doc = {
                "handle": handle,
                "status": "error",
                "errors_total_count": 1,
                "errors": [{"message": "An unexpected error occurred while processing the batch."}],
            }
        else:
            doc = {
                "handle": handle,
                "status": "finished",
                "errors_total_count": len(batch.errors),
                "errors": batch.errors,
                "warnings_total_count": len(batch.warnings),
                "warnings": batch.warnings,
            }
            if str(req.params.get("load_ids_of_invalid_requests", "")).lower() in ("1", "true"):
                doc["ids_of_invalid_requests"] = sorted({e["id"] for e in batch.errors})
        return Response(200, {"data": [doc]}, usage_headers(m["id"]))

    def products(req: Request, m: re.Match[str]) -> Response:
        items = known_catalog(req, m["id"])
        rows = [
            {
                **{k: v for k, v in data.items() if k not in ("id", "title")},
                "id": state.product_ids[rid],
                "retailer_id": rid,
                "name": data.get("title", ""),
            }
            for rid, data in items.items()
        ]
        return fake._paged(req, rows, "id,retailer_id,name")

    fake.route("POST", V + cat + r"/items_batch$", items_batch)
    fake.route("GET", V + cat + r"/check_batch_request_status$", check_status)
    fake.route("GET", V + cat + r"/products$", products)


def _apply(
    state: MetaCatalogState, items: dict[str, dict[str, Any]], method: str, rid: str, data: dict[str, Any]
) -> None:
    if method == "DELETE":
        items.pop(rid, None)
        return
    current = items.get(rid, {})
    merged = {**current, **data} if method == "UPDATE" else dict(data)
    items[rid] = merged
    if rid not in state.product_ids:
        state.product_ids[rid] = str(next(state._ids))


def _check(
    method: str, data: Any, items: dict[str, dict[str, Any]], allow_upsert: bool
) -> tuple[list[str], list[str]]:
    """Meta's per-item checks: (errors, warnings). An item with errors is not applied."""
    if method not in ("CREATE", "UPDATE", "DELETE"):
        return [f'Invalid "method": {method!r} (use CREATE, UPDATE or DELETE)'], []
    if not isinstance(data, dict) or not str(data.get("id") or "").strip():
        return ['Missing "id": every request needs data.id (the retailer id)'], []
    rid = str(data["id"])
    if method == "DELETE":
        return [], []
    exists = rid in items
    if method == "CREATE" and exists:
        return [f'"id": an item with retailer id {rid} already exists in this catalog'], []
    if method == "UPDATE" and not exists and not allow_upsert:
        return [f'"id": no item with retailer id {rid} (allow_upsert is false)'], []
    errors: list[str] = []
    warnings: list[str] = []
    full = {**items.get(rid, {}), **data} if method == "UPDATE" else data
    for name in REQUIRED:
        if not str(full.get(name) or "").strip():
            errors.append(f'Missing "{name}": this field is required')
    if not any(str(full.get(k) or "").strip() for k in ("brand", "gtin", "mpn")):
        errors.append('Missing "brand": one of brand, gtin or mpn is required')
    for name, limit in MAX_LEN.items():
        value = data.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(f'Invalid "{name}": longer than {limit} characters')
    for name in ("price", "sale_price"):
        value = data.get(name)
        if value is not None and not PRICE_RE.match(str(value)):
            errors.append(
                f'Invalid "{name}": {str(value)[:40]!r} must be a number with a dot decimal and an ISO 4217 '
                'currency code, e.g. "12.99 USD"'
            )
    price, sale = PRICE_RE.match(str(full.get("price", ""))), PRICE_RE.match(str(full.get("sale_price", "")))
    if price and sale:
        if price.group(2) != sale.group(2):
            errors.append('Invalid "sale_price": the currency differs from the price\'s')
        elif float(sale.group(1)) >= float(price.group(1)):
            errors.append('Invalid "sale_price": must be lower than the price')
    if "availability" in data and str(data["availability"]) not in AVAILABILITY:
        errors.append(
            f'Invalid "availability": {data["availability"]!r} (use in stock, out of stock, preorder, '
            "available for order or discontinued)"
        )
    if "condition" in data and str(data["condition"]) not in CONDITION:
        errors.append(f'Invalid "condition": {data["condition"]!r} (use new, refurbished or used)')
    for name in ("link", "image_link"):
        if name in data and not re.match(r"^https?://[^\s/]+", str(data[name])):
            errors.append(f'Invalid "{name}": {str(data[name])[:60]!r} is not an http(s) URL')
    extra = data.get("additional_image_link")
    if extra is not None:
        urls = extra if isinstance(extra, list) else str(extra).split(",")
        if any(not re.match(r"^https?://[^\s/]+", str(u)) for u in urls):
            errors.append('Invalid "additional_image_link": every entry must be an http(s) URL')
    if any(full.get(k) for k in VARIANT_ATTRS) and not full.get("item_group_id"):
        warnings.append('"item_group_id" is missing: variants (color, size…) are not grouped')
    return errors, warnings
