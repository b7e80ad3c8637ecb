"""Thin client for Pinterest's catalogs items batch API (v5): upsert/delete by country and language.

Facts (../shared/platforms/publishing.md §4.5, ../shared/specs/pinterest-openapi-v5.yaml 5.23.0):
`POST /v5/catalogs/items/batch` with `{country, language, operation, items: [1..1000]}` (legacy
`CatalogsItemsBatchRequest`; category catalogs_write), answer `CatalogsItemsBatch` `{batch_id,
status: PROCESSING|COMPLETED|FAILED, items: [{item_id, status: SUCCESS|FAILURE|PROCESSING, errors:
[{attribute, code, message}]}]}`; `GET /v5/catalogs/items/batch/{batch_id}` polls it (404 code 4331:
unknown batch). Items are read back with `POST /v5/catalogs/items` (`filters.item_ids`, ≤ 1000) — the
spec has no GET list of items.

Why UPSERT (and DELETE) only: both are idempotent — repeating a batch sets the same attributes or
deletes the same ids again — so `ApiSession` may resend after a 5xx or a dropped connection and a
crashed sync may resend a batch whose answer it never saw. CREATE fails on existing items and UPDATE
on missing ones, so neither could be repeated blindly. Caveat from the spec: "UPSERT is restricted to
users without a feed data source" — such an account gets an error telling it to remove the feed (or
use `studio catalog feed`); the exact refusal code is UNCONFIRMED.

`language`: the spec recommends CatalogsLocale values (`en-US`); a 2-letter language is turned into
the locale of the country when one exists (`en` + `US` → `en-US`), else sent upper-case as the legacy
Language enum (`EN`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from studio.core.sync_state import DELETE, UPSERT, pinterest_scope
from studio.publish.catalog_sync import BatchResult, ItemFailure, Submitted
from studio.publish.errors import InvalidRequest, PublishError
from studio.publish.http import ApiSession
from studio.publish.redact import register_secret

PLATFORM = "pinterest"
MAX_ITEMS = 1000  # CatalogsItemsUpsertBatchRequest.items maxItems
MAX_BYTES = 20_000_000  # no documented payload limit: stay well clear of proxies' limits (UNCONFIRMED)
#: CatalogsLocale enum (spec 5.23.0) — the values the API recommends for `language`.
LOCALES = frozenset(
    [
        "af-ZA",
        "ar-SA",
        "bg-BG",
        "bn-IN",
        "cs-CZ",
        "da-DK",
        "de",
        "el-GR",
        "en-AU",
        "en-CA",
        "en-GB",
        "en-IN",
        "en-US",
        "es-419",
        "es-AR",
        "es-ES",
        "es-MX",
        "fi-FI",
        "fr",
        "fr-CA",
        "he-IL",
        "hi-IN",
        "hr-HR",
        "hu-HU",
        "id-ID",
        "it",
        "ja",
        "ko-KR",
        "ms-MY",
        "nb-NO",
        "nl",
        "pl-PL",
        "pt-BR",
        "pt-PT",
        "ro-RO",
        "ru-RU",
        "sk-SK",
        "sv-SE",
        "te-IN",
        "th-TH",
        "tl-PH",
        "tr",
        "uk-UA",
        "vi-VN",
        "zh-CN",
        "zh-TW",
    ]
)


def pinterest_locale(language: str, country: str) -> str:
    """`en` + `US` → `en-US` (a CatalogsLocale), `fr` → `fr`, unknown pairs → legacy `EN`-style code."""
    lang = language.strip().replace("_", "-")
    if lang in LOCALES:
        return lang
    combined = f"{lang.split('-')[0].lower()}-{country.upper()}"
    if combined in LOCALES:
        return combined
    if lang.lower() in LOCALES:
        return lang.lower()
    return lang.split("-")[0].upper()


class PinterestCatalogClient:
    """The token user's (or `ad_account_id` owner's) retail catalog, for one country and language."""

    platform = PLATFORM
    max_items = MAX_ITEMS
    max_bytes = MAX_BYTES

    def __init__(
        self,
        session: ApiSession,
        token: str,
        *,
        country: str = "US",
        language: str = "en",
        catalog_id: str | None = None,
        ad_account_id: str | None = None,
        read_session: ApiSession | None = None,
    ) -> None:
        if len(country) != 2 or not country.isalpha():
            raise InvalidRequest(
                f"country must be a 2-letter ISO code, got {country!r}", platform=PLATFORM, field="country"
            )
        self.session = session
        self.country = country.upper()
        self.language = pinterest_locale(language, self.country)
        self.catalog_id = catalog_id
        self.ad_account_id = ad_account_id
        self._token = token
        register_secret(token)
        # Pinterest budgets per category: batch posts are catalogs_write, polls and reads catalogs_read
        # (separate quotas, publishing.md §4.6): a second session (own limiter) keeps polls from
        # eating the write budget.
        self.read_session = read_session or session

    def __repr__(self) -> str:
        return f"PinterestCatalogClient(country={self.country!r}, language={self.language!r})"

    @property
    def scope(self) -> str:
        return pinterest_scope(self.catalog_id, self.country, self.language)

    def _params(self) -> dict[str, Any] | None:
        return {"ad_account_id": self.ad_account_id} if self.ad_account_id else None

    # --- batches ---------------------------------------------------------------------------------

    def encode(self, op: str, item_id: str, attributes: dict[str, Any] | None) -> bytes:
        """One `items` record as JSON bytes. With a `catalog_id` the vertical form is used (the
        legacy request has no catalog id), where each record carries its own `operation`."""
        if op not in (UPSERT, DELETE):
            raise ValueError(f"unknown op {op!r}")
        entry: dict[str, Any] = {"item_id": item_id}
        if self.catalog_id:
            entry["operation"] = "UPSERT" if op == UPSERT else "DELETE"
        if op == UPSERT:
            entry["attributes"] = attributes or {}
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def envelope_size(self) -> int:
        return len(self._body(UPSERT, []))

    def _body(self, op: str, fragments: Sequence[bytes]) -> bytes:
        head: dict[str, Any] = {"country": self.country, "language": self.language}
        if self.catalog_id:
            head = {"catalog_type": "RETAIL", "catalog_id": self.catalog_id, **head}
        else:
            head["operation"] = "UPSERT" if op == UPSERT else "DELETE"
        return json.dumps(head)[:-1].encode() + b',"items":[' + b",".join(fragments) + b"]}"

    def submit(self, op: str, fragments: Sequence[bytes]) -> Submitted:
        body = self._body(op, fragments)
        doc = self.session.post_json(
            "catalogs/items/batch",
            data=body,
            params=self._params(),
            headers={"Content-Type": "application/json"},
            token=self._token,
            idempotent=True,
        )
        batch_id = doc.get("batch_id") if isinstance(doc, dict) else None
        if not batch_id:
            raise PublishError(
                "Pinterest accepted the batch but returned no batch id to follow it",
                platform=PLATFORM,
                hint="try the sync again; items already confirmed are not resent",
            )
        result = self._result(doc)
        return Submitted(str(batch_id), result.failures if result.done else [], len(body))

    def poll(self, handle: str) -> BatchResult:
        try:
            doc = self.read_session.get_json(
                f"catalogs/items/batch/{handle}", params=self._params(), token=self._token
            )
        except PublishError as exc:
            if exc.status == 404:
                return BatchResult(True, [], lost=True, message=exc.what)
            raise
        return self._result(doc)

    @staticmethod
    def _result(doc: Any) -> BatchResult:
        status = str((doc or {}).get("status") or "").upper()
        if status == "FAILED":
            return BatchResult(True, [], batch_failed=True, message="Pinterest reports the batch as FAILED")
        if status != "COMPLETED":
            return BatchResult(False, [])
        failures: list[ItemFailure] = []
        for item in doc.get("items") or []:
            if not isinstance(item, dict):
                continue
            item_id = str(item.get("item_id") or "")
            for err in item.get("errors") or []:
                if isinstance(err, dict):
                    failures.append(
                        ItemFailure(item_id, err.get("attribute"), str(err.get("message") or "rejected"))
                    )
            if str(item.get("status") or "").upper() == "FAILURE" and not item.get("errors"):
                failures.append(ItemFailure(item_id, None, "Pinterest rejected the item (no reason given)"))
            for warn in item.get("warnings") or []:
                if isinstance(warn, dict):
                    failures.append(
                        ItemFailure(item_id, warn.get("attribute"), str(warn.get("message") or ""), "warning")
                    )
        return BatchResult(True, failures)

    # --- reads -------------------------------------------------------------------------------------

    def items(self, item_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The catalog's view of `item_ids` (1000 per request); unknown ids come back with `errors`."""
        ids = list(item_ids)
        for start in range(0, len(ids), MAX_ITEMS):
            filters: dict[str, Any] = {"catalog_type": "RETAIL", "item_ids": ids[start : start + MAX_ITEMS]}
            if self.catalog_id:
                filters["catalog_id"] = self.catalog_id
            doc = self.read_session.post_json(
                "catalogs/items",
                json={"country": self.country, "language": self.language, "filters": filters},
                params=self._params(),
                token=self._token,
                idempotent=True,  # a read
            )
            yield from (row for row in doc.get("items") or [] if isinstance(row, dict))
