"""Fake Pinterest catalogs items API: `POST /v5/catalogs/items/batch`, `GET /v5/catalogs/items/batch/{id}`,
`POST /v5/catalogs/items` (items/post — the spec 5.23.0 lists items by POST with `filters.item_ids`).

Installed into `FakePinterest` by tests/fakes/extensions.py; state on `fake.catalog_state`
(`PinterestCatalogState`): `items[(country, language)][item_id] -> attributes`, `batches`,
`batch_polls` (polls answering PROCESSING before COMPLETED), `received` (every item of every batch in
order), `has_feed` (UPSERT refused: "restricted to users without a feed data source"),
`reject[item_id] = (attribute, message)` (fault injection: that item FAILS with this error),
`poison` (item ids whose presence makes the whole batch a 400, like a schema error).

Request bodies are validated against the OpenAPI components (`CatalogsItemsBatchRequest` /
`CatalogsVerticalBatchRequest`, `CatalogsItemsRequest`) like the rest of the Pinterest fake; the
per-item rules come from the ItemAttributes descriptions (publishing.md §4.5): title ≤ 500,
description ≤ 10000, link ≤ 511 http(s), image_link one http(s) URL ≤ 2000, ≤ 10 additional images,
price "24.99 USD" | "24.99USD" | "24.99", sale_price < price, availability in stock | out of stock |
preorder (any case), condition new | used | refurbished, item_group_id ≤ 127.

The fake's own choices (clients must not depend on them): item error `code` numbers; a new item
(UPSERT/CREATE) needs title, description, link, image_link, price and availability (the feed's
required columns); DELETE of an unknown item is a SUCCESS; UPDATE of an unknown item a FAILURE;
`has_feed` answers 409 code 4178 (number UNCONFIRMED).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .pinterest import pin_error, schema_errors
from .server import Request, Response

AVAILABILITY = frozenset({"in stock", "out of stock", "preorder"})
CONDITION = frozenset({"new", "used", "refurbished"})
REQUIRED_NEW = ("title", "description", "link", "image_link", "price", "availability")
PRICE_RE = re.compile(r"^(\d+(?:\.\d+)?) ?([A-Z]{3})?$")
URL_RE = re.compile(r"^https?://[^\s/]+")
MAX_LEN = {"title": 500, "description": 10000, "link": 511, "item_group_id": 127, "product_type": 1000}
CODES = {"missing": 101, "too_long": 102, "invalid": 103, "not_found": 104, "exists": 105}  # fake's own


@dataclass
class PinBatch:
    batch_id: str
    country: str
    language: str
    items: list[dict[str, Any]]
    created: str
    polls_left: int = 1
    ready_at: float = 0.0


@dataclass
class PinterestCatalogState:
    items: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    batches: dict[str, PinBatch] = field(default_factory=dict)
    batch_polls: int = 1
    batch_seconds: float = 0.0  # benchmarks: a batch also stays PROCESSING this long after it arrived
    has_feed: bool = False
    validate_schema: bool = True  # benchmarks may switch the (slow) JSON-schema pass off
    reject: dict[str, tuple[str, str]] = field(default_factory=dict)  # item_id -> (attribute, message)
    poison: set[str] = field(default_factory=set)  # a batch holding one of these is refused (HTTP 400)
    received: list[tuple[str, str, str]] = field(default_factory=list)  # (batch_id, operation, item_id)
    _ids: Any = field(default_factory=lambda: itertools.count(595953100599279259))

    def catalog(self, country: str = "US", language: str = "en-US") -> dict[str, dict[str, Any]]:
        return self.items.setdefault((country, language), {})

    def sent_ids(self, operation: str | None = None) -> list[str]:
        return [i for _b, op, i in self.received if operation is None or op == operation]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def install(fake: Any) -> None:
    """Register the catalogs item routes on a `FakePinterest` (see tests/fakes/extensions.py)."""
    state = PinterestCatalogState()
    fake.catalog_state = state

    def body(req: Request, component: str) -> dict[str, Any]:
        if not isinstance(req.json, dict):
            raise pin_error(
                400, 1, "Invalid request: body must be a JSON object (Content-Type: application/json)"
            )
        if state.validate_schema:
            errors = schema_errors(component, req.json)
            if errors:
                raise pin_error(400, 1, "Invalid request: " + "; ".join(errors[:3]))
        return req.json

    def post_batch(req: Request, m: re.Match[str]) -> Response:
        fake._auth(req, "catalogs:read", "catalogs:write")
        doc = req.json if isinstance(req.json, dict) else {}
        vertical = "catalog_type" in doc
        doc = body(req, "CatalogsVerticalBatchRequest" if vertical else "CatalogsItemsBatchRequest")
        records = doc.get("items") or []
        if not 1 <= len(records) <= 1000:
            raise pin_error(400, 1, "Invalid request: items: between 1 and 1000 items per batch")
        country, language = doc["country"], doc["language"]
        for i, record in enumerate(records):
            if record.get("item_id") in state.poison:  # as a schema error in one record refuses them all
                raise pin_error(400, 1, f"Invalid request: items.{i}.attributes.price: 'abc' is not valid")
        items = state.catalog(country, language)
        batch_id = f"{next(state._ids)}-{len(state.batches):032x}"
        results: list[dict[str, Any]] = []
        for record in records:
            op = record.get("operation") if vertical else doc["operation"]
            if op == "UPSERT" and state.has_feed:
                raise pin_error(
                    409, 4178, "The item UPSERT operation is restricted to users without a feed data source."
                )
            item_id = str(record.get("item_id") or "")
            state.received.append((batch_id, op, item_id))
            errors = _check(op, item_id, record, items)
            if item_id in state.reject and op not in ("DELETE", "DELETE_DISCONTINUED"):
                attribute, message = state.reject[item_id]
                errors.append(_err(attribute, "invalid", message))
            if not errors:
                _apply(op, item_id, record, items)
            results.append(
                {
                    "item_id": item_id,
                    "status": "FAILURE" if errors else "SUCCESS",
                    "errors": errors,
                    "warnings": [],
                }
            )
        batch = PinBatch(
            batch_id,
            country,
            language,
            results,
            _now(),
            polls_left=state.batch_polls,
            ready_at=time.monotonic() + state.batch_seconds,
        )
        state.batches[batch_id] = batch
        return Response(200, _batch_json(batch, done=False))

    def get_batch(req: Request, m: re.Match[str]) -> Response:
        fake._auth(req, "catalogs:read")
        batch = state.batches.get(m["id"])
        if batch is None:
            raise pin_error(404, 4331, "Sorry! We could not find your batch ID.")
        if batch.polls_left > 0 or time.monotonic() < batch.ready_at:
            batch.polls_left = max(0, batch.polls_left - 1)
            return Response(200, _batch_json(batch, done=False))
        return Response(200, _batch_json(batch, done=True))

    def list_items(req: Request, m: re.Match[str]) -> Response:
        fake._auth(req, "catalogs:read")
        doc = body(req, "CatalogsItemsRequest")
        items = state.catalog(doc["country"], doc["language"])
        out: list[dict[str, Any]] = []
        for item_id in doc["filters"]["item_ids"]:
            if item_id in items:
                out.append({"catalog_type": "RETAIL", "item_id": item_id, "attributes": items[item_id]})
            else:
                out.append(
                    {
                        "catalog_type": "RETAIL",
                        "item_id": item_id,
                        "errors": [
                            {"attribute": "item_id", "code": CODES["not_found"], "message": "Item not found."}
                        ],
                    }
                )
        return Response(200, {"items": out})

    fake.route("POST", r"^/v5/catalogs/items/batch$", post_batch)
    fake.route("GET", r"^/v5/catalogs/items/batch/(?P<id>[\w-]+)$", get_batch)
    fake.route("POST", r"^/v5/catalogs/items$", list_items)


def _batch_json(batch: PinBatch, *, done: bool) -> dict[str, Any]:
    return {
        "catalog_type": "RETAIL",
        "batch_id": batch.batch_id,
        "status": "COMPLETED" if done else "PROCESSING",
        "created_time": batch.created,
        "completed_time": _now() if done else None,
        "items": batch.items if done else [],
    }


def _apply(op: str, item_id: str, record: dict[str, Any], items: dict[str, dict[str, Any]]) -> None:
    if op in ("DELETE",):
        items.pop(item_id, None)
    elif op == "DELETE_DISCONTINUED":
        if item_id in items:
            items[item_id]["availability"] = "out of stock"
    elif op == "UPDATE":
        current = items[item_id]
        attrs = record.get("attributes") or {}
        for name in record.get("update_mask") or list(attrs):
            if attrs.get(name) is None:
                current.pop(name, None)
            else:
                current[name] = attrs[name]
    else:  # CREATE / UPSERT replace the item
        items[item_id] = dict(record.get("attributes") or {})


def _err(attribute: str, kind: str, message: str) -> dict[str, Any]:
    return {"attribute": attribute, "code": CODES[kind], "message": message}


def _check(
    op: str, item_id: str, record: dict[str, Any], items: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    if not item_id:
        return [_err("item_id", "missing", "item_id is required.")]
    if len(item_id) > 127:
        return [_err("item_id", "too_long", "item_id is longer than 127 characters.")]
    if op in ("DELETE", "DELETE_DISCONTINUED"):
        return []
    exists = item_id in items
    if op == "CREATE" and exists:
        return [_err("item_id", "exists", f"An item with item_id {item_id} already exists.")]
    if op == "UPDATE" and not exists:
        return [_err("item_id", "not_found", f"No item with item_id {item_id} to update.")]
    attrs = record.get("attributes") or {}
    errors: list[dict[str, Any]] = []
    if op in ("CREATE", "UPSERT"):
        for name in REQUIRED_NEW:
            if attrs.get(name) in (None, "", []):
                errors.append(
                    _err(
                        name,
                        "missing",
                        f"{name.replace('_', ' ').capitalize()} is missing from product metadata.",
                    )
                )
    for name, limit in MAX_LEN.items():
        value = attrs.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(_err(name, "too_long", f"{name} is longer than {limit} characters."))
    link = attrs.get("link")
    if link is not None and not URL_RE.match(str(link)):
        errors.append(_err("link", "invalid", "link must start with http:// or https://."))
    images = attrs.get("image_link")
    if images is not None:
        urls = images if isinstance(images, list) else [images]
        if len(urls) != 1 or not all(URL_RE.match(str(u)) and len(str(u)) <= 2000 for u in urls):
            errors.append(
                _err("image_link", "invalid", "image_link must be one http(s) URL of ≤ 2000 characters.")
            )
    extra = attrs.get("additional_image_link")
    if extra is not None:
        if len(extra) > 10:
            errors.append(_err("additional_image_link", "too_long", "At most 10 additional images."))
        elif not all(URL_RE.match(str(u)) for u in extra):
            errors.append(
                _err("additional_image_link", "invalid", "Every additional image must be an http(s) URL.")
            )
    prices: dict[str, tuple[float, str]] = {}
    for name in ("price", "sale_price"):
        value = attrs.get(name)
        if value is None:
            continue
        match = PRICE_RE.match(str(value))
        if not match:
            errors.append(
                _err(name, "invalid", f"{name} {str(value)[:30]!r} is not a price like '24.99 USD'.")
            )
        else:
            prices[name] = (float(match.group(1)), match.group(2) or "USD")
    if ("price" in prices and "sale_price" in prices) and (
        prices["sale_price"][1] != prices["price"][1] or prices["sale_price"][0] >= prices["price"][0]
    ):
        errors.append(
            _err("sale_price", "invalid", "sale_price must be lower than price, in the same currency.")
        )
    availability = attrs.get("availability")
    if availability is not None and str(availability).lower() not in AVAILABILITY:
        errors.append(
            _err(
                "availability",
                "invalid",
                f"availability {availability!r} is not in stock, out of stock or preorder.",
            )
        )
    condition = attrs.get("condition")
    if condition is not None and str(condition).lower() not in CONDITION:
        errors.append(
            _err("condition", "invalid", f"condition {condition!r} is not new, used or refurbished.")
        )
    return errors
