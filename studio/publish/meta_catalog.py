"""Thin client for Meta's Commerce catalog Batch API: `items_batch`, `check_batch_request_status`, products.

Facts (../shared/platforms/publishing.md §3): `POST /{catalog_id}/items_batch` with
`item_type=PRODUCT_ITEM` and `requests=[{method: CREATE|UPDATE|DELETE, data: {id: <retailer id>, …}}]`,
≤ 5,000 requests and ≤ 28 MB per call (primary), `allow_upsert` default true (an UPDATE of a missing
item creates it). The answer `{"handles": [...], "validation_status": [...]}` and the status
collection `{"data": [{"status": started|in_progress|finished|error, "errors": [{"line", "id",
"message"}]}]}` come from the SDK field lists and public clients — UNCONFIRMED in primary text
(publishing.md §7.9), so parsing is lenient (any missing part means "no errors reported").

Why every upsert is an UPDATE with `allow_upsert=true` and never a CREATE: repeating an UPDATE sets
the same fields again, so a batch whose answer was lost (5xx, dropped connection, a killed process)
can be sent once more without creating anything twice; a repeated CREATE of an existing retailer id
fails (or, worse, could duplicate). DELETE is idempotent too. That is what lets `ApiSession` retry
these POSTs (`idempotent=True`) and the sync engine resend a batch whose handle it never received.
The price is that Meta cannot tell us "created" from "updated" — the engine knows from its own state.

Per-item errors rarely name the field in a structured way; `field_of()` finds it in the message
(a quoted field name, else the first known field name mentioned). UNCONFIRMED: Meta's exact
wording; the fake quotes the field (`Invalid "price": …`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from studio.core.sync_state import DELETE, UPSERT, meta_scope
from studio.publish.catalog_sync import BatchResult, ItemFailure, Submitted
from studio.publish.errors import InvalidRequest, PublishError
from studio.publish.http import ApiSession
from studio.publish.redact import register_secret

PLATFORM = "meta"
MAX_ITEMS = 5000  # primary (recommended < 3,000)
MAX_BYTES = 26_000_000  # the documented 28 MB, with room for the envelope and MB/MiB doubt
FINISHED, ERROR = "finished", "error"
KNOWN_FIELDS = (
    "additional_image_link",
    "item_group_id",
    "availability",
    "description",
    "image_link",
    "sale_price",
    "product_type",
    "condition",
    "age_group",
    "material",
    "pattern",
    "gender",
    "title",
    "price",
    "brand",
    "color",
    "link",
    "size",
    "gtin",
    "mpn",
    "id",
)
_QUOTED = re.compile(r"[\"'`]([a-z_]+)[\"'`]")
_WORDS = re.compile(r"\b(" + "|".join(KNOWN_FIELDS) + r")\b")


def field_of(message: str) -> str | None:
    """The catalog field a Meta error message is about, if it names one."""
    for name in _QUOTED.findall(message or ""):
        if name in KNOWN_FIELDS:
            return name
    m = _WORDS.search((message or "").lower())
    return m.group(1) if m else None


class MetaCatalogClient:
    """One Commerce catalog. `session` is a Meta `ApiSession`; the token is passed per call."""

    platform = PLATFORM
    max_items = MAX_ITEMS
    max_bytes = MAX_BYTES

    def __init__(self, session: ApiSession, catalog_id: str, token: str) -> None:
        if not str(catalog_id).isdigit():
            raise InvalidRequest(
                f"the catalog id must be digits, got {catalog_id!r}", platform="facebook", field="catalog_id"
            )
        self.session = session
        self.catalog_id = str(catalog_id)
        self._token = token
        register_secret(token)

    def __repr__(self) -> str:
        return f"MetaCatalogClient(catalog_id={self.catalog_id!r})"

    @property
    def scope(self) -> str:
        return meta_scope(self.catalog_id)

    # --- batches ---------------------------------------------------------------------------------

    def encode(self, op: str, item_id: str, attributes: dict[str, Any] | None) -> bytes:
        """One `requests` entry as JSON bytes (the engine sizes batches by these)."""
        if op == DELETE:
            entry: dict[str, Any] = {"method": "DELETE", "data": {"id": item_id}}
        elif op == UPSERT:
            entry = {"method": "UPDATE", "data": {**(attributes or {}), "id": item_id}}
        else:
            raise ValueError(f"unknown op {op!r}")
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def envelope_size(self) -> int:
        return len(self._body([]))

    @staticmethod
    def _body(fragments: Sequence[bytes]) -> bytes:
        return b'{"item_type":"PRODUCT_ITEM","allow_upsert":true,"requests":[' + b",".join(fragments) + b"]}"

    def submit(self, op: str, fragments: Sequence[bytes]) -> Submitted:
        """POST one batch (all UPDATE-with-upsert or all DELETE: both safe to repeat, see module doc)."""
        body = self._body(fragments)
        doc = self.session.post_json(
            f"{self.catalog_id}/items_batch",
            data=body,
            headers={"Content-Type": "application/json"},
            token=self._token,
            idempotent=True,
        )
        handles = doc.get("handles") if isinstance(doc, dict) else None
        if not isinstance(handles, list) or not handles:
            raise PublishError(
                "Meta accepted the batch but returned no handle to follow it",
                platform="facebook",
                hint="try the sync again; items already confirmed are not resent",
            )
        failures: list[ItemFailure] = []
        for entry in doc.get("validation_status") or []:
            if not isinstance(entry, dict):
                continue
            rid = str(entry.get("retailer_id") or "")
            for err in entry.get("errors") or []:
                message = str((err or {}).get("message") or "rejected")
                failures.append(ItemFailure(rid, field_of(message), message))
        return Submitted(str(handles[0]), failures, len(body))

    def poll(self, handle: str) -> BatchResult:
        """The batch's status; `done` once Meta says finished (or error)."""
        doc = self.session.get_json(
            f"{self.catalog_id}/check_batch_request_status",
            params={"handle": handle, "load_ids_of_invalid_requests": "true"},
            token=self._token,
        )
        rows = doc.get("data") if isinstance(doc, dict) else None
        row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
        status = str(row.get("status") or "").lower()
        if status == ERROR:
            messages = [str((e or {}).get("message") or "") for e in row.get("errors") or []]
            return BatchResult(
                True, [], batch_failed=True, message="; ".join(m for m in messages if m) or "batch failed"
            )
        if status != FINISHED:
            return BatchResult(False, [])
        failures: list[ItemFailure] = []
        for err in row.get("errors") or []:
            if not isinstance(err, dict):
                continue
            message = str(err.get("message") or "rejected")
            failures.append(ItemFailure(str(err.get("id") or ""), field_of(message), message))
        for err in row.get("warnings") or []:
            if isinstance(err, dict) and err.get("id"):
                message = str(err.get("message") or "")
                failures.append(ItemFailure(str(err["id"]), field_of(message), message, severity="warning"))
        return BatchResult(True, failures)

    # --- reads -------------------------------------------------------------------------------------

    def products(self, fields: str = "retailer_id,name,price,availability") -> Iterator[dict[str, Any]]:
        """Every product in the catalog (cursor pages of 100), for checks and the dry run."""
        params: dict[str, Any] = {"fields": fields, "limit": 100}
        path = f"{self.catalog_id}/products"
        while True:
            doc = self.session.get_json(path, params=params, token=self._token)
            yield from (row for row in doc.get("data") or [] if isinstance(row, dict))
            after = ((doc.get("paging") or {}).get("cursors") or {}).get("after")
            if not (doc.get("paging") or {}).get("next") or not after:
                return
            params = {"fields": fields, "limit": 100, "after": after}
