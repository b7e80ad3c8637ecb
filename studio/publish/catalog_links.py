"""Which Meta catalog product each studio product is, and whether it may be tagged.

Why: Instagram product tags name the product by *Meta's* product id, and only `approved` products
show (publishing.md §1.6). The studio knows products by the shop's ids, which the catalog (synced by
`studio catalog sync` or uploaded as a feed) calls the *retailer id* — the same id
`studio.core.catalog_fields` gives each item. Before a post is decided, the tagged products are
looked up with `GET /{ig-user-id}/catalog_product_search?catalog_id=…&q=<retailer id>` and the answer
(Meta id + review status) is kept per account in the workspace cache, so the pre-publish checker
stays offline and instant and says exactly which product is missing or not approved.

A product never looked up is "unchecked": the decision then trusts the local catalog (as before
this module existed) and the checker says so; the Publish dialog and `studio publish` always look
up first, so what goes out names Meta's ids.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.catalog_fields import item_id_for as retailer_id_for
from studio.core.model import Project

log = logging.getLogger(__name__)

LINKS_DIR = "catalog_links"
UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class CatalogLink:
    """What the platform's catalog said about one retailer id (platform_id None: not found)."""

    retailer_id: str
    platform_id: str | None
    review_status: str | None
    checked_at: float


class CatalogLinks:
    """The looked-up links of one account, in `<workspace>/cache/catalog_links/<account>.json`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.catalog_id = ""
        self._links: dict[str, CatalogLink] = {}
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # none yet, or damaged: a cache, looked up again
        self.catalog_id = str(doc.get("catalog_id") or "")
        for row in doc.get("links") or []:
            try:
                link = CatalogLink(
                    str(row["retailer_id"]),
                    None if row.get("platform_id") is None else str(row["platform_id"]),
                    None if row.get("review_status") is None else str(row["review_status"]),
                    float(row.get("checked_at") or 0.0),
                )
            except (KeyError, TypeError, ValueError):
                continue
            self._links[link.retailer_id] = link

    @classmethod
    def for_account(cls, cache_dir: Path, account_id: str) -> CatalogLinks:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account_id)
        return cls(Path(cache_dir) / LINKS_DIR / f"{safe}.json")

    def get(self, retailer_id: str) -> CatalogLink | None:
        return self._links.get(retailer_id)

    def put(self, link: CatalogLink) -> None:
        self._links[link.retailer_id] = link

    def __len__(self) -> int:
        return len(self._links)

    def save(self) -> None:
        doc = {"catalog_id": self.catalog_id, "links": [asdict(v) for v in self._links.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n", keep_backup=False)


class CatalogLookup:
    """The `ReviewLookup` `fallback.decide` asks: status and Meta id per studio product (+ variant)."""

    def __init__(self, links: CatalogLinks, catalog: Any, project: Project) -> None:
        self.links = links
        self.catalog = catalog
        self.project = project

    def match(self, product_id: str, variant_id: str | None = None) -> tuple[str | None, str | None]:
        """(review status, Meta product id): status None = not in the connected catalog;
        `UNCHECKED` = never looked up (the caller trusts the local catalog then)."""
        product = self.catalog.get(product_id) if self.catalog is not None else None
        if product is None:
            return None, None
        link = self.links.get(retailer_id_for(product, variant_id))
        if link is None:
            return UNCHECKED, None
        if link.platform_id is None:
            return None, None
        return (link.review_status or "approved").lower(), link.platform_id

    def __call__(self, product_id: str) -> str | None:
        return self.match(product_id)[0]


def refresh_links(
    ig_client: Any,
    catalog_id: str,
    retailer_ids: Iterable[str],
    links: CatalogLinks,
    *,
    now: float | None = None,
) -> int:
    """Look every retailer id up in `catalog_id` (one search each; exact retailer-id match only)
    and save. Returns how many were found. Network errors propagate (the caller reports them)."""
    t = time.time() if now is None else now
    found = 0
    if links.catalog_id and links.catalog_id != catalog_id:
        links._links.clear()  # another catalog: nothing known carries over
    links.catalog_id = catalog_id
    for rid in dict.fromkeys(retailer_ids):
        rows = ig_client.catalog_product_search(catalog_id, rid)
        hit = next((r for r in rows if str(r.retailer_id or "") == rid), None)
        if hit is None:
            links.put(CatalogLink(rid, None, None, t))
            continue
        found += 1
        links.put(CatalogLink(rid, str(hit.product_id), hit.review_status or None, t))
    links.save()
    return found
