"""UTM parameters on product links, per platform and per tag, so shop analytics can tell which
post (and which tagged product in it) brought a visit.

Configuration lives in the workspace: `Project.extra["utm"]`, all keys optional:

    {"enabled": true, "medium": "social", "campaign": "spring-drop",
     "sources": {"instagram": "ig"}, "content": "{product_id}"}

`content` is a template over `{tag_id}`, `{product_id}`, `{sku}`, `{media}`; `campaign` defaults
to the project name as a slug. Existing query parameters are kept, in order; a `utm_*` parameter
already present in the product URL wins (the shop set it on purpose).
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
    content: str = "{product_id}"
    sources: dict[str, str] = field(default_factory=dict)

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
            content=str(raw.get("content") or "{product_id}"),
            sources={str(k): str(v) for k, v in (sources or {}).items()},
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "medium": self.medium,
            "campaign": self.campaign,
            "content": self.content,
            "sources": dict(self.sources),
        }


def _content(template: str, **values: str) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return values.get("product_id", "")  # a typo in a hand-edited template must not stop an export


def add_utm(
    url: str,
    config: UtmConfig,
    *,
    platform: str,
    product_id: str = "",
    tag_id: str = "",
    sku: str = "",
    media: str = "",
) -> str:
    """`url` with utm_source/medium/campaign/content added; non-http(s) or empty URLs unchanged."""
    if not url or not config.enabled:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    wanted = {
        "utm_source": config.sources.get(platform, platform),
        "utm_medium": config.medium,
        "utm_campaign": config.campaign,
        "utm_content": _content(config.content, tag_id=tag_id, product_id=product_id, sku=sku, media=media),
    }
    extra = urlencode([(k, v) for k, v in wanted.items() if v and k not in present])
    if not extra:
        return url
    # Appended to the original text, so existing parameters keep their exact encoding and order.
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
