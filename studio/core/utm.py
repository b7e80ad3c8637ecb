"""UTM parameters on product links: one scheme everywhere, so shop analytics can group visits and
orders by platform / medium / campaign / post / product.

    utm_source   = the platform (instagram, facebook, pinterest; renamable per platform)
    utm_medium   = social (posts and exports) — catalog feeds and synced items use "catalog"
    utm_campaign = the workspace's campaign (default: the workspace name as a slug)
    utm_content  = the post id (exports outside a post: the media name)
    utm_term     = the product id

Configuration lives in the workspace: `Project.extra["utm"]`, all keys optional:

    {"enabled": true, "medium": "social", "campaign": "spring-drop",
     "sources": {"instagram": "ig"}, "content": "{post_id}", "term": "{product_id}",
     "catalog_medium": "catalog"}

`content` and `term` are templates over `{post_id}`, `{tag_id}`, `{product_id}`, `{sku}`,
`{media}`. Existing query parameters are kept, in order; a `utm_*` parameter already present in
the product URL wins (the shop set it on purpose). Core (no Qt, no rendering): the catalog feeds,
the publishing fallback and the exports all call this one function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from studio.core.model import Project

EXTRA_KEY = "utm"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-") or "studio"


@dataclass(frozen=True, slots=True)
class UtmConfig:
    enabled: bool = True
    medium: str = "social"
    campaign: str = "studio"
    content: str = "{post_id}"
    term: str = "{product_id}"
    sources: dict[str, str] = field(default_factory=dict)
    catalog_medium: str = "catalog"

    @classmethod
    def from_project(cls, project: Project | None) -> UtmConfig:
        raw = (project.extra.get(EXTRA_KEY) if project else None) or {}
        if not isinstance(raw, dict):
            raw = {}
        sources = raw.get("sources") if isinstance(raw.get("sources"), dict) else {}
        return cls(
            enabled=bool(raw.get("enabled", True)),
            medium=str(raw.get("medium") or "social"),
            campaign=str(raw.get("campaign") or slug(project.name if project else "")),
            content=str(raw.get("content") or "{post_id}"),
            term=str(raw.get("term") or "{product_id}"),
            sources={str(k): str(v) for k, v in (sources or {}).items()},
            catalog_medium=str(raw.get("catalog_medium") or "catalog"),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "medium": self.medium,
            "campaign": self.campaign,
            "content": self.content,
            "term": self.term,
            "sources": dict(self.sources),
            "catalog_medium": self.catalog_medium,
        }


def _fill(template: str, fallback: str, **values: str) -> str:
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback  # a typo in a hand-edited template must not stop an export
    return text or fallback


def add_utm(
    url: str,
    config: UtmConfig,
    *,
    platform: str,
    product_id: str = "",
    tag_id: str = "",
    sku: str = "",
    media: str = "",
    post_id: str = "",
    medium: str | None = None,
) -> str:
    """`url` with utm_source/medium/campaign/content/term added; non-http(s) or empty URLs unchanged.

    `medium` overrides the configured one (catalog links pass `config.catalog_medium`)."""
    if not url or not config.enabled:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    values = {"tag_id": tag_id, "product_id": product_id, "sku": sku, "media": media, "post_id": post_id}
    wanted = {
        "utm_source": config.sources.get(platform, platform),
        "utm_medium": medium or config.medium,
        "utm_campaign": config.campaign,
        "utm_content": _fill(config.content, media or product_id, **values),
        "utm_term": _fill(config.term, "", **values),
    }
    extra = urlencode([(k, v) for k, v in wanted.items() if v and k not in present])
    if not extra:
        return url
    # Appended to the original text, so existing parameters keep their exact encoding and order.
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
