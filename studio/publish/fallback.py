"""Native product tags or a fallback, decided per post × platform × tag *before* anything is sent.

Why before: the user must see what will happen ("Pinterest has no product tags on organic pins:
the pin uses the labeled image and links the first product") while they can still change it, and
the planner needs the answer to choose the upload (clean or labeled render) and the caption. No
product silently disappears: every tag either goes out natively or is carried by a fallback the
workspace prefers (labeled render, links in the caption, links in the first comment); a tag nothing
can carry is listed in `FallbackDecision.lost`, which the checker reports as an error.

A tag is native only if all hold: the target supports product tags (`platform_caps`), the account
is eligible (Instagram through Facebook Login, business account, checkout-enabled shop — the
`shopping_product_tag_eligibility` flag read at connect time, publishing.md §1.0/§1.6), the product
is in the connected catalog *and approved* (a lookup passed in: the catalog sync is a later issue),
the product is not already tagged on that media, and the per-media / per-post caps are not reached.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.core.model import Media, MediaKind, Post, Product, Project
from studio.core.platform_caps import TargetCaps
from studio.core.post_rules import PLATFORM_TITLES, post_media
from studio.core.utm import UtmConfig, add_utm

LABELED = "labeled"
LINKS_IN_CAPTION = "links_in_caption"
LINKS_IN_FIRST_COMMENT = "links_in_first_comment"
FALLBACK_MODES: tuple[str, ...] = (LABELED, LINKS_IN_CAPTION, LINKS_IN_FIRST_COMMENT)
DEFAULT_FALLBACK: tuple[str, ...] = (LABELED, LINKS_IN_CAPTION)
PREFS_KEY = "publish"  # Project.extra["publish"]["fallback"] = ["labeled", "links_in_caption"]

FACEBOOK_LOGIN = "facebook_login"
INSTAGRAM_LOGIN = "instagram_login"


class CatalogLike(Protocol):
    """What we need of `CatalogStore` (or a dict-backed fake in tests)."""

    def get(self, product_id: str) -> Product | None: ...


#: Review status of a product in the *connected* (platform) catalog: a callable returning
#: "approved" / "pending" / "rejected" / "outdated" / True / False / None (= not in the catalog),
#: a mapping product id -> status, or a collection of approved product ids.
ReviewLookup = Callable[[str], "str | bool | None"] | Mapping[str, str] | Collection[str]


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """What the checker and the fallback need to know about the chosen account — no secrets.

    `login`: how the account was connected (Instagram product tags need Facebook Login, §1.0);
    `product_tag_eligible`: `shopping_product_tag_eligibility` (checkout-enabled shop, §1.6).
    """

    platform: str
    name: str = ""
    login: str = ""
    account_type: str = "business"  # business | creator (creators cannot tag products, §1.6)
    product_tag_eligible: bool = False
    catalog_id: str = ""
    sandbox: bool = False

    @classmethod
    def from_account(cls, account: Any) -> AccountInfo:
        """From a `studio.publish.accounts.Account` (read duck-typed: flags live in `extra`)."""
        extra = dict(getattr(account, "extra", {}) or {})
        kind = str(getattr(account, "kind", ""))
        login = str(extra.get("login") or (FACEBOOK_LOGIN if kind == "fb_page" else ""))
        eligible = extra.get("product_tag_eligible", extra.get("shopping_product_tag_eligibility", False))
        return cls(
            platform=str(getattr(account, "platform", "")),
            name=str(getattr(account, "name", "")),
            login=login,
            account_type=str(extra.get("account_type") or "business").lower(),
            product_tag_eligible=bool(eligible),
            catalog_id=str(extra.get("catalog_id") or ""),
            sandbox=bool(getattr(account, "sandbox", False)),
        )


@dataclass(slots=True)
class TagDecision:
    """One product tag on one media: native or carried by the fallback, and why."""

    media_id: str
    tag_id: str
    product_id: str
    native: bool
    reason: str = ""
    x: float | None = None  # sent only where the target takes positions (images)
    y: float | None = None
    # The id the platform's catalog knows the product by (Meta product id), when it was looked up;
    # None: send `product_id` (an unchecked catalog, trusted).
    platform_product_id: str | None = None
    unchecked: bool = False  # native because trusted, not because the catalog said so

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "media_id": self.media_id,
            "tag_id": self.tag_id,
            "product_id": self.product_id,
            "native": self.native,
            "reason": self.reason,
            "x": self.x,
            "y": self.y,
        }
        if self.platform_product_id is not None:
            doc["platform_product_id"] = self.platform_product_id
        if self.unchecked:
            doc["unchecked"] = True
        return doc


@dataclass(slots=True)
class FallbackDecision:
    """The answer for one post on one target; `PublishPlan` reads it, the GUI shows `reasons`."""

    post_id: str
    platform: str
    target: str
    tags: list[TagDecision] = field(default_factory=list)
    modes: tuple[str, ...] = ()  # fallback modes actually used
    render: dict[str, str] = field(default_factory=dict)  # media id -> "clean" | "labeled"
    link_products: list[str] = field(default_factory=list)  # products linked in caption/comment
    links_in_caption: bool = False
    links_in_first_comment: bool = False
    pin_link_product: str | None = None  # Pinterest: the product the pin's `link` points to
    no_link: list[str] = field(default_factory=list)  # fallback products without a URL
    lost: list[TagDecision] = field(default_factory=list)  # nothing carries these: an error
    reasons: list[str] = field(default_factory=list)
    blocked: str | None = None  # why no tag at all can be native here (platform / account)

    @property
    def native(self) -> list[TagDecision]:
        return [t for t in self.tags if t.native]

    @property
    def fallback(self) -> list[TagDecision]:
        return [t for t in self.tags if not t.native]

    def native_for(self, media_id: str) -> list[TagDecision]:
        return [t for t in self.tags if t.native and t.media_id == media_id]

    @property
    def native_product_ids(self) -> list[str]:
        return list(dict.fromkeys(t.product_id for t in self.native))

    @property
    def fallback_product_ids(self) -> list[str]:
        native = set(self.native_product_ids)
        return list(dict.fromkeys(t.product_id for t in self.fallback if t.product_id not in native))

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "platform": self.platform,
            "target": self.target,
            "tags": [t.to_dict() for t in self.tags],
            "modes": list(self.modes),
            "render": dict(self.render),
            "link_products": list(self.link_products),
            "links_in_caption": self.links_in_caption,
            "links_in_first_comment": self.links_in_first_comment,
            "pin_link_product": self.pin_link_product,
            "no_link": list(self.no_link),
            "lost": [t.to_dict() for t in self.lost],
            "reasons": list(self.reasons),
            "blocked": self.blocked,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> FallbackDecision:
        def tag(d: Mapping[str, Any]) -> TagDecision:
            return TagDecision(
                media_id=str(d["media_id"]),
                tag_id=str(d["tag_id"]),
                product_id=str(d["product_id"]),
                native=bool(d.get("native")),
                reason=str(d.get("reason") or ""),
                x=d.get("x"),
                y=d.get("y"),
                platform_product_id=(
                    None if d.get("platform_product_id") is None else str(d["platform_product_id"])
                ),
                unchecked=bool(d.get("unchecked")),
            )

        return cls(
            post_id=str(doc["post_id"]),
            platform=str(doc["platform"]),
            target=str(doc["target"]),
            tags=[tag(t) for t in doc.get("tags", [])],
            modes=tuple(doc.get("modes", ())),
            render=dict(doc.get("render", {})),
            link_products=list(doc.get("link_products", [])),
            links_in_caption=bool(doc.get("links_in_caption")),
            links_in_first_comment=bool(doc.get("links_in_first_comment")),
            pin_link_product=doc.get("pin_link_product"),
            no_link=list(doc.get("no_link", [])),
            lost=[tag(t) for t in doc.get("lost", [])],
            reasons=list(doc.get("reasons", [])),
            blocked=doc.get("blocked"),
        )


def workspace_fallback(project: Project | None) -> tuple[str, ...]:
    """The workspace's fallback preference, in order; unknown words dropped; default labeled + caption."""
    raw = ((project.extra.get(PREFS_KEY) if project else None) or {}).get("fallback")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return DEFAULT_FALLBACK
    modes = tuple(m for m in dict.fromkeys(str(x) for x in raw) if m in FALLBACK_MODES)
    return modes if raw == [] or modes else DEFAULT_FALLBACK


def review_status(lookup: ReviewLookup | None, product_id: str) -> str | None:
    """ "approved" / "pending" / … or None when the product is not in the connected catalog."""
    if lookup is None:
        return None
    if callable(lookup):
        value = lookup(product_id)
        if value is True:
            return "approved"
        if value is False or value is None:
            return None if value is None else "not approved"
        return str(value).lower() or None
    if isinstance(lookup, Mapping):
        value = lookup.get(product_id)
        return None if value is None else str(value).lower()
    return "approved" if product_id in lookup else None


def _product_name(catalog: CatalogLike | None, product_id: str) -> str:
    product = catalog.get(product_id) if catalog is not None else None
    return f"“{product.title}”" if product is not None and product.title else f"product {product_id}"


def platform_reason(caps: TargetCaps, account: AccountInfo | None) -> str | None:
    """Why no tag at all can be native here (None: native tags are possible for eligible products)."""
    name = PLATFORM_TITLES.get(caps.platform, caps.platform)
    if not caps.native_product_tags:
        if caps.platform == "pinterest":
            return "Pinterest has no product tags on organic pins"
        if caps.target == "instagram.story":
            return "Instagram Stories cannot carry product tags"
        if caps.platform == "facebook":
            return "Facebook Page posts have no product-tag API"
        return f"{caps.title} cannot carry product tags"
    if account is None:
        return f"no {name} account is chosen, so its shop cannot be checked"
    if caps.platform == "instagram" and account.login != FACEBOOK_LOGIN:
        return (
            f"{account.name or 'the account'} is connected through Instagram Login, which cannot tag "
            "products (reconnect it through Facebook Login)"
        )
    if account.account_type == "creator":
        return f"{account.name or 'the account'} is a creator account; only business accounts tag products"
    if not account.product_tag_eligible:
        return f"{account.name or 'the account'} has no checkout-enabled shop eligible for product tags"
    return None


def decide(
    post: Post,
    project: Project,
    caps: TargetCaps,
    *,
    account: AccountInfo | None,
    approved: ReviewLookup | None = None,
    catalog: CatalogLike | None = None,
    prefs: Sequence[str] | None = None,
) -> FallbackDecision:
    """Native tag or fallback for every product tag of `post` on target `caps` (see module doc)."""
    decision = FallbackDecision(post_id=post.id, platform=caps.platform, target=caps.target)
    media = post_media(post, project)
    decision.render = {m.id: "clean" for m in media}
    blocked = platform_reason(caps, account)
    decision.blocked = blocked
    total = 0
    for item in media:
        seen: set[str] = set()
        per_item = 0
        for tag in item.tags:
            if not tag.product_id:
                continue
            positions = caps.tag_positions and item.kind is MediaKind.IMAGE
            td = TagDecision(
                media_id=item.id,
                tag_id=tag.id,
                product_id=tag.product_id,
                native=False,
                x=tag.x if positions else None,
                y=tag.y if positions else None,
            )
            decision.tags.append(td)
            name = _product_name(catalog, tag.product_id)
            if blocked is not None:
                td.reason = blocked
                continue
            if tag.product_id in seen:
                td.reason = f"{name} is already tagged on this item"
                td.native = False
                continue
            match = getattr(approved, "match", None)
            platform_id: str | None = None
            if callable(match):  # a catalog lookup that also knows the platform's product ids
                status, platform_id = match(tag.product_id, tag.variant_id)
                if status == "unchecked":  # never looked up: trusted, and the checker says so
                    status, td.unchecked = "approved", True
            else:
                status = review_status(approved, tag.product_id)
            td.platform_product_id = platform_id
            if status is None:
                td.reason = f"{name} is not in the connected catalog"
            elif status != "approved":
                td.reason = f"{name} is not approved in the connected catalog ({status})"
            elif caps.tags_per_item is not None and per_item >= caps.tags_per_item:
                where = "carousel item" if caps.carousel else "post"
                td.reason = f"at most {caps.tags_per_item} product tags per {where}"
            elif caps.tags_total is not None and total >= caps.tags_total:
                td.reason = f"at most {caps.tags_total} product tags per post"
            else:
                td.native = True
                seen.add(tag.product_id)
                per_item += 1
                total += 1
    _apply_fallback(decision, media, caps, catalog, workspace_fallback(project) if prefs is None else prefs)
    if blocked is not None and decision.tags:
        decision.reasons.insert(0, f"{blocked}: {_summary(decision, catalog)}")
    else:
        for td in decision.fallback:
            if td.reason and "already tagged" not in td.reason:
                decision.reasons.append(f"{td.reason}: {carried_by(decision, td.product_id)}")
    return decision


def _apply_fallback(
    decision: FallbackDecision,
    media: list[Media],
    caps: TargetCaps,
    catalog: CatalogLike | None,
    prefs: Sequence[str],
) -> None:
    natively = set(decision.native_product_ids)
    pending = [t for t in decision.fallback if t.product_id not in natively]
    if not pending:
        return
    modes = [m for m in prefs if m in FALLBACK_MODES]
    used: list[str] = []
    if LINKS_IN_FIRST_COMMENT in modes and not caps.first_comment:
        decision.reasons.append(
            f"{caps.title} cannot get a first comment through the API: links go in the caption instead"
        )
        modes = [LINKS_IN_CAPTION if m == LINKS_IN_FIRST_COMMENT else m for m in modes]
        modes = list(dict.fromkeys(modes))
    if LINKS_IN_CAPTION in modes and caps.caption_chars == 0:
        decision.reasons.append(f"{caps.title} has no caption: product links cannot be added")
        modes.remove(LINKS_IN_CAPTION)
    products = list(dict.fromkeys(t.product_id for t in pending))
    with_url = [p for p in products if _url(catalog, p)]
    decision.no_link = [p for p in products if p not in with_url]
    carried: set[str] = set()
    if LABELED in modes:
        used.append(LABELED)
        for mid in {t.media_id for t in pending}:
            decision.render[mid] = LABELED
        carried.update(products)
    if caps.link_field and with_url:
        # Pinterest: the pin's destination link is the first fallback product (one link per pin).
        decision.pin_link_product = with_url[0]
        carried.add(with_url[0])
    link_modes = [m for m in modes if m in (LINKS_IN_CAPTION, LINKS_IN_FIRST_COMMENT)]
    if link_modes and with_url:
        # On Pinterest the pin link already carries the first product; the rest go in the text.
        rest = [p for p in with_url if p != decision.pin_link_product] if caps.link_field else with_url
        if rest:
            decision.link_products = rest
            decision.links_in_caption = link_modes[0] == LINKS_IN_CAPTION
            decision.links_in_first_comment = link_modes[0] == LINKS_IN_FIRST_COMMENT
            used.append(link_modes[0])
            carried.update(rest)
    decision.modes = tuple(used)
    decision.lost = [t for t in pending if t.product_id not in carried]


def _url(catalog: CatalogLike | None, product_id: str) -> str:
    product = catalog.get(product_id) if catalog is not None else None
    return product.url if product is not None else ""


def carried_by(decision: FallbackDecision, product_id: str) -> str:
    """How the fallback carries `product_id`, in words ("shown on the labeled image and …")."""
    ways: list[str] = []
    if any(decision.render.get(t.media_id) == LABELED for t in decision.tags if t.product_id == product_id):
        ways.append("shown on the labeled image")
    if decision.pin_link_product == product_id:
        ways.append("the pin links to it")
    if product_id in decision.link_products:
        ways.append("linked in the " + ("caption" if decision.links_in_caption else "first comment"))
    if product_id in decision.no_link and not ways:
        return "it has no link in the catalog and no labeled image is made, so it would be lost"
    return " and ".join(ways) if ways else "nothing carries it (choose a fallback)"


def _summary(decision: FallbackDecision, catalog: CatalogLike | None) -> str:
    """ "the pin uses the labeled image and links the first product (“Linen Shirt”)"."""
    noun = "the pin" if decision.platform == "pinterest" else "the post"
    parts: list[str] = []
    if LABELED in decision.modes:
        parts.append("uses the labeled image")
    if decision.pin_link_product:
        parts.append(f"links the first product ({_product_name(catalog, decision.pin_link_product)})")
    if decision.link_products:
        text = "description" if decision.platform == "pinterest" else "caption"
        where = text if decision.links_in_caption else "first comment"
        parts.append(f"lists {len(decision.link_products)} product link(s) in the {where}")
    if decision.lost:
        names = ", ".join(dict.fromkeys(_product_name(catalog, t.product_id) for t in decision.lost))
        parts.append(f"cannot carry {names}")
    if not parts:
        return f"{noun} carries no product (choose a fallback)"
    return f"{noun} " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def product_links(
    decision: FallbackDecision,
    catalog: CatalogLike | None,
    *,
    utm: UtmConfig | None = None,
) -> list[tuple[str, str]]:
    """(title, URL with UTM) for every product the caption or first comment lists, in tag order."""
    out: list[tuple[str, str]] = []
    for pid in decision.link_products:
        product = catalog.get(pid) if catalog is not None else None
        if product is None or not product.url:
            continue
        url = (
            add_utm(
                product.url,
                utm,
                platform=decision.platform,
                product_id=pid,
                sku=product.sku,
                post_id=decision.post_id,
            )
            if utm
            else product.url
        )
        out.append((product.title or pid, url))
    return out


def links_text(links: Sequence[tuple[str, str]]) -> str:
    """The block appended to a caption or posted as the first comment."""
    if not links:
        return ""
    return "Shop the post:\n" + "\n".join(f"• {title}: {url}" for title, url in links)


def final_caption(
    caption: str, decision: FallbackDecision, catalog: CatalogLike | None, *, utm: UtmConfig | None = None
) -> str:
    """The caption that will be sent: the user's text plus the fallback's product links (if they go there)."""
    if not decision.links_in_caption:
        return caption
    block = links_text(product_links(decision, catalog, utm=utm))
    return f"{caption.rstrip()}\n\n{block}" if caption.strip() and block else (caption + block)


def first_comment(
    decision: FallbackDecision, catalog: CatalogLike | None, *, utm: UtmConfig | None = None
) -> str:
    """The first comment text ("" when the fallback does not use one)."""
    if not decision.links_in_first_comment:
        return ""
    return links_text(product_links(decision, catalog, utm=utm))


def pin_link(decision: FallbackDecision, catalog: CatalogLike | None, *, utm: UtmConfig | None = None) -> str:
    """Pinterest destination link chosen by the fallback ("" when none)."""
    pid = decision.pin_link_product
    product = catalog.get(pid) if (catalog is not None and pid) else None
    if product is None or not product.url:
        return ""
    return (
        add_utm(
            product.url,
            utm,
            platform=decision.platform,
            product_id=product.id,
            sku=product.sku,
            post_id=decision.post_id,
        )
        if utm
        else product.url
    )
