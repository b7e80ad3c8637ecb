"""Thin typed client for Instagram content publishing (Graph API with Facebook Login).

One method per documented endpoint or step (../shared/platforms/publishing.md §1): create a media
container, poll its status, publish it, read the permalink and the publishing quota, upload video bytes
with the resumable upload. No orchestration and no retries here: `ApiSession` retries what is safe and
the outbox sequences the steps and records ids. Each call tells the session whether repeating it could
duplicate something (`idempotent=`): creating a container can be repeated harmlessly (an unpublished
container just expires after 24 h), publishing cannot.

What is checked locally, before anything is sent, is what the docs state as hard rules and what would
otherwise only fail after an upload: product-tag limits (20 per image, 5 per carousel item, 30 per
Reel; x/y required on images and forbidden on video), x/y in 0..1, caption limits, 2–10 carousel
children, ≤ 3 collaborators, alt text ≤ 1000. Violations raise `InvalidRequest` naming the field.
The limits are read from `studio.core.post_rules.LIMITS`, the one table the checker also uses.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from studio.core.post_rules import LIMITS, count_hashtags, count_mentions
from studio.publish.errors import InvalidRequest, PublishError
from studio.publish.http import GRAPH_API_VERSION, ApiSession, base_url
from studio.publish.redact import register_secret

PLATFORM = "instagram"
_IG = LIMITS["instagram"]
#: publishing.md §1.6 (product-tagging guide): 20 per feed image/video, 5 per carousel item, 30 per Reel.
MAX_TAGS_IMAGE = _IG.tags_per_post or 20
MAX_TAGS_CAROUSEL_ITEM = _IG.tags_per_slide or 5
MAX_TAGS_CAROUSEL = _IG.tags_per_carousel or 20
MAX_TAGS_REEL = _IG.tags_per_reel or 30
#: §1.1 parameter table.
MAX_CAPTION_CHARS = _IG.caption_chars or 2200
MAX_HASHTAGS = _IG.hashtags or 30
MAX_MENTIONS = _IG.mentions or 20
MAX_ALT_TEXT = 1000
MAX_COLLABORATORS = 3
MIN_CAROUSEL, MAX_CAROUSEL = _IG.carousel_min, _IG.carousel_max
#: §1.3: "query a container's status once per minute, for no more than 5 minutes".
DEFAULT_POLL_SECONDS = 60.0
DEFAULT_POLL_TIMEOUT = 300.0


class ContainerCode(StrEnum):
    """`status_code` of a media container (§1.3)."""

    IN_PROGRESS = "IN_PROGRESS"
    FINISHED = "FINISHED"
    ERROR = "ERROR"
    EXPIRED = "EXPIRED"
    PUBLISHED = "PUBLISHED"


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """A container's state; `message` is Meta's free-text `status` (carries a 2207xxx subcode on ERROR)."""

    id: str
    code: ContainerCode
    message: str | None = None

    @property
    def ready(self) -> bool:
        """May `publish()` be called (FINISHED), or is there nothing left to do (PUBLISHED)?"""
        return self.code in (ContainerCode.FINISHED, ContainerCode.PUBLISHED)

    @property
    def failed(self) -> bool:
        """The container is dead: a *new* container must be created (ERROR, EXPIRED)."""
        return self.code in (ContainerCode.ERROR, ContainerCode.EXPIRED)


@dataclass(frozen=True, slots=True)
class Quota:
    """Instagram's rolling publishing quota as the API reports it (§1.5; never hard-coded).

    `total` and `window` (seconds) are None if the API did not return `config`.
    """

    used: int
    total: int | None
    window: int | None

    @property
    def remaining(self) -> int | None:
        return None if self.total is None else max(0, self.total - self.used)


@dataclass(frozen=True, slots=True)
class ProductTag:
    """One tag as the API takes it: Meta catalog `product_id`, x/y only on images (0..1, top-left)."""

    product_id: str
    x: float | None = None
    y: float | None = None

    def to_api(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"product_id": self.product_id}
        if self.x is not None and self.y is not None:
            doc["x"] = self.x
            doc["y"] = self.y
        return doc


@dataclass(frozen=True, slots=True)
class UserTag:
    """An @-tag of another account; x/y required on images, optional on stories."""

    username: str
    x: float | None = None
    y: float | None = None

    def to_api(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"username": self.username.lstrip("@")}
        if self.x is not None and self.y is not None:
            doc["x"] = self.x
            doc["y"] = self.y
        return doc


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """A row of `catalog_product_search` (§1.6): only `approved` products show their tags."""

    product_id: str
    name: str
    retailer_id: str | None
    review_status: str
    is_checkout_flow: bool | None
    image_url: str | None = None


class ContainerFailed(InvalidRequest):
    """The container ended in ERROR or EXPIRED: a new container is needed (never retried as is)."""


class ContainerNotReady(PublishError):
    """The container was still IN_PROGRESS when waiting stopped; polling again later is safe."""

    default_hint = "Instagram is still processing the media; publishing resumes automatically."


ProductTagLike = ProductTag | Mapping[str, Any]
UserTagLike = UserTag | Mapping[str, Any]


def _invalid(what: str, field: str) -> InvalidRequest:
    return InvalidRequest(what, platform=PLATFORM, field=field)


def _coerce_product_tag(tag: ProductTagLike) -> ProductTag:
    if isinstance(tag, ProductTag):
        return tag
    if "product_id" not in tag:
        raise _invalid("every product tag needs a product_id", "product_tags")
    return ProductTag(str(tag["product_id"]), tag.get("x"), tag.get("y"))


def _coerce_user_tag(tag: UserTagLike) -> UserTag:
    if isinstance(tag, UserTag):
        return tag
    if not tag.get("username"):
        raise _invalid("every user tag needs a username", "user_tags")
    return UserTag(str(tag["username"]), tag.get("x"), tag.get("y"))


def _check_xy(x: Any, y: Any, what: str, field: str) -> None:
    for name, value in (("x", x), ("y", y)):
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
            raise _invalid(
                f"{what}: {name} must be a number from 0.0 to 1.0 (top-left origin), got {value!r}", field
            )


def validate_product_tags(
    tags: Iterable[ProductTagLike], *, positioned: bool, limit: int, where: str
) -> list[ProductTag]:
    """The tags as `ProductTag`s, or `InvalidRequest` if they break a documented rule (§1.6).

    `positioned`: images need x/y (error 2207036 otherwise), video/Reels must not send them (2207035).
    Product ids must be unique within one media.
    """
    out = [_coerce_product_tag(t) for t in tags]
    if len(out) > limit:
        raise _invalid(
            f"{len(out)} product tags on {where}, Instagram allows at most {limit}: "
            f"remove {len(out) - limit}",
            "product_tags",
        )
    seen: set[str] = set()
    for tag in out:
        if not tag.product_id:
            raise _invalid(f"a product tag on {where} has an empty product_id", "product_tags")
        if tag.product_id in seen:
            raise _invalid(
                f"product {tag.product_id} is tagged twice on {where}; each product once", "product_tags"
            )
        seen.add(tag.product_id)
        if positioned:
            if tag.x is None or tag.y is None:
                raise _invalid(
                    f"product {tag.product_id} on {where} needs x and y (images require a position)",
                    "product_tags",
                )
            _check_xy(tag.x, tag.y, f"product {tag.product_id} on {where}", "product_tags")
        elif tag.x is not None or tag.y is not None:
            raise _invalid(
                f"product {tag.product_id} on {where} has a position; video and Reel tags must not have x/y",
                "product_tags",
            )
    return out


def product_tags_from_studio(
    tags: Iterable[Any],
    product_id_map: Mapping[str, str],
    *,
    kind: str = "image",
) -> list[dict[str, Any]]:
    """Studio tags (`studio.core.model.Tag`: catalog product id, normalized x/y) → API `product_tags`.

    `product_id_map` maps the studio's product (or variant) id to the Meta catalog `product_id`; a
    tag's `variant_id` wins when mapped. `kind` is "image" (x/y, ≤ 20), "carousel_item" (x/y, ≤ 5),
    "carousel_video" (no x/y, ≤ 5) or "reel" (no x/y, ≤ 30). A product missing from the map raises
    `InvalidRequest` instead of being dropped: no post silently loses its products (the checker
    decides the fallback before publishing).
    """
    rules = {
        "image": (True, MAX_TAGS_IMAGE, "the image"),
        "carousel_item": (True, MAX_TAGS_CAROUSEL_ITEM, "the carousel item"),
        "carousel_video": (False, MAX_TAGS_CAROUSEL_ITEM, "the carousel video"),
        "reel": (False, MAX_TAGS_REEL, "the Reel"),
    }
    if kind not in rules:
        raise ValueError(f"kind must be one of {sorted(rules)}, got {kind!r}")
    positioned, limit, where = rules[kind]
    converted: list[ProductTag] = []
    missing: list[str] = []
    for tag in tags:
        variant = getattr(tag, "variant_id", None)
        studio_id = variant if variant and variant in product_id_map else tag.product_id
        meta_id = product_id_map.get(studio_id)
        if not meta_id:
            missing.append(str(studio_id))
            continue
        if positioned:
            converted.append(ProductTag(str(meta_id), round(float(tag.x), 4), round(float(tag.y), 4)))
        else:
            converted.append(ProductTag(str(meta_id)))
    if missing:
        raise _invalid(
            f"product(s) {', '.join(sorted(set(missing)))} are not in the connected Instagram catalog; "
            "use the labeled render or caption links for them",
            "product_tags",
        )
    return [
        t.to_api() for t in validate_product_tags(converted, positioned=positioned, limit=limit, where=where)
    ]


def rupload(
    session: ApiSession, url: str, token: str, video: str | Path | bytes, *, offset: int = 0
) -> dict[str, Any]:
    """POST video bytes from `offset` to a Meta resumable-upload URL (Instagram containers and
    Facebook Reels share the protocol: `Authorization: OAuth`, `offset`, `file_size`, raw body).

    Marked idempotent: re-sending the same range is how the protocol resumes. Files are sent from a
    read-only memory map, so a large video never sits in memory and a retry re-reads the same pages.
    """
    register_secret(token)
    headers = {"Authorization": f"OAuth {token}", "Content-Type": "application/octet-stream"}
    with contextlib.ExitStack() as stack:
        if isinstance(video, bytes | bytearray):
            size = len(video)
            body: Any = bytes(video[offset:]) if offset else video
        else:
            handle = stack.enter_context(Path(video).open("rb"))
            size = Path(video).stat().st_size
            if size == 0:
                raise _invalid(f"{Path(video).name} is empty", "video")
            mapped = stack.enter_context(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
            view = memoryview(mapped)
            stack.callback(view.release)  # before the map closes (callbacks run last-in first-out)
            body = view[offset:]
            stack.callback(body.release)
        if not 0 <= offset <= size:
            raise _invalid(f"offset {offset} is outside the file (0..{size})", "offset")
        headers.update(offset=str(offset), file_size=str(size))
        response = session.request("POST", url, data=body, headers=headers, idempotent=True)
    return _json(response)


#: Graph edges allow `limit` up to 100 per page.
GRAPH_PAGE_SIZE = 100


def graph_edge(
    get: Callable[[str, dict[str, Any]], Any], path: str, fields: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` rows of a cursor-paginated Graph edge, newest first.

    Pages are followed with `paging.cursors.after` (and stop when `paging.next` is absent) rather
    than by fetching `paging.next` itself: that URL repeats the access token, which must never travel
    outside the session's own redacted request path. Shared by the Instagram and Facebook clients.
    """
    if limit < 1:
        raise _invalid(f"limit must be at least 1, got {limit}", "limit")
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"fields": fields, "limit": min(GRAPH_PAGE_SIZE, limit)}
    seen: set[str] = set()
    while len(rows) < limit:
        doc = get(path, params)
        doc = doc if isinstance(doc, dict) else {}
        rows.extend(row for row in doc.get("data") or [] if isinstance(row, dict))
        paging = doc.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not after or not paging.get("next") or after in seen:
            break
        seen.add(after)
        params = {**params, "after": after, "limit": min(GRAPH_PAGE_SIZE, limit - len(rows))}
    return rows[:limit]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _bool(value: bool) -> str:
    return "true" if value else "false"


class InstagramClient:
    """Publishing calls for one Instagram professional account (`ig_user_id`) with a Facebook user token.

    `session` is an `ApiSession` for platform "instagram" (the token travels as `access_token`).
    """

    def __init__(self, session: ApiSession, ig_user_id: str, token: str) -> None:
        self.session = session
        self.ig_user_id = str(ig_user_id)
        self._token = token
        register_secret(token)
        #: resumable upload URIs returned by container creation, by container id
        self.upload_uris: dict[str, str] = {}
        #: product tags per carousel child created through this client (for the 20-per-carousel check)
        self._child_tags: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"InstagramClient(ig_user_id={self.ig_user_id!r})"

    # --- plumbing ------------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.session.get_json(path, params=params, token=self._token, idempotent=True)

    def _post(self, path: str, data: Mapping[str, Any], *, idempotent: bool) -> Any:
        clean = {k: v for k, v in data.items() if v is not None}
        return self.session.post_json(path, data=clean, token=self._token, idempotent=idempotent)

    def _create(self, fields: dict[str, Any]) -> str:
        """POST /{ig-user-id}/media. Idempotent: a duplicate unpublished container only expires."""
        doc = self._post(f"{self.ig_user_id}/media", fields, idempotent=True)
        container_id = str(doc["id"])
        uri = doc.get("uri")
        if uri:
            self.upload_uris[container_id] = str(uri)
        return container_id

    @staticmethod
    def _caption(caption: str | None) -> str | None:
        if caption is None:
            return None
        if len(caption) > MAX_CAPTION_CHARS:
            raise _invalid(
                f"caption is {len(caption)} characters, Instagram allows {MAX_CAPTION_CHARS}", "caption"
            )
        if count_hashtags(caption) > MAX_HASHTAGS:
            raise _invalid(
                f"caption has {count_hashtags(caption)} hashtags, Instagram allows {MAX_HASHTAGS}", "caption"
            )
        if count_mentions(caption) > MAX_MENTIONS:
            raise _invalid(
                f"caption has {count_mentions(caption)} @-mentions, Instagram allows {MAX_MENTIONS}",
                "caption",
            )
        return caption

    @staticmethod
    def _collaborators(collaborators: Sequence[str]) -> str | None:
        names = [c.lstrip("@") for c in collaborators]
        if not names:
            return None
        if len(names) > MAX_COLLABORATORS:
            raise _invalid(
                f"{len(names)} collaborators, Instagram allows at most {MAX_COLLABORATORS}", "collaborators"
            )
        return _dumps(names)

    @staticmethod
    def _user_tags(tags: Iterable[UserTagLike], *, positioned: bool) -> str | None:
        out = [_coerce_user_tag(t) for t in tags]
        if not out:
            return None
        for tag in out:
            if positioned and (tag.x is None or tag.y is None):
                raise _invalid(f"user tag @{tag.username} needs x and y on an image", "user_tags")
            if tag.x is not None or tag.y is not None:
                _check_xy(tag.x, tag.y, f"user tag @{tag.username}", "user_tags")
        return _dumps([t.to_api() for t in out])

    @staticmethod
    def _video_source(video_url: str | None, resumable: bool) -> dict[str, Any]:
        if resumable == bool(video_url):
            raise _invalid(
                "give either video_url or resumable=True (then upload with upload_video)", "video_url"
            )
        return {"upload_type": "resumable"} if resumable else {"video_url": video_url}

    # --- containers ----------------------------------------------------------------------------------

    def create_image_container(
        self,
        image_url: str,
        *,
        caption: str | None = None,
        alt_text: str | None = None,
        user_tags: Iterable[UserTagLike] = (),
        product_tags: Iterable[ProductTagLike] = (),
        location_id: str | None = None,
        collaborators: Sequence[str] = (),
        is_carousel_item: bool = False,
    ) -> str:
        """A feed image (or a carousel image item) container; returns the container id (§1.1)."""
        if not image_url:
            raise _invalid("image_url is required (a public JPEG URL)", "image_url")
        limit = MAX_TAGS_CAROUSEL_ITEM if is_carousel_item else MAX_TAGS_IMAGE
        where = "the carousel item" if is_carousel_item else "the image"
        tags = validate_product_tags(product_tags, positioned=True, limit=limit, where=where)
        if alt_text is not None and len(alt_text) > MAX_ALT_TEXT:
            raise _invalid(
                f"alt text is {len(alt_text)} characters, Instagram allows {MAX_ALT_TEXT}", "alt_text"
            )
        if is_carousel_item:
            for name, value in (("caption", caption), ("location_id", location_id)):
                if value:
                    raise _invalid(f"{name} goes on the carousel, not on its items", name)
            if collaborators:
                raise _invalid("collaborators go on the carousel, not on its items", "collaborators")
        fields: dict[str, Any] = {
            "image_url": image_url,
            "caption": self._caption(caption),
            "alt_text": alt_text or None,
            "user_tags": self._user_tags(user_tags, positioned=True),
            "product_tags": _dumps([t.to_api() for t in tags]) if tags else None,
            "location_id": location_id,
            "collaborators": self._collaborators(collaborators),
            "is_carousel_item": _bool(True) if is_carousel_item else None,
        }
        container_id = self._create(fields)
        if is_carousel_item:
            self._child_tags[container_id] = len(tags)
        return container_id

    def create_carousel_video_item(
        self,
        video_url: str | None = None,
        *,
        resumable: bool = False,
        product_tags: Iterable[ProductTagLike] = (),
    ) -> str:
        """A video item of a carousel (`media_type=VIDEO`, `is_carousel_item=true`); tags without x/y, ≤ 5."""
        tags = validate_product_tags(
            product_tags, positioned=False, limit=MAX_TAGS_CAROUSEL_ITEM, where="the carousel video"
        )
        fields: dict[str, Any] = {
            "media_type": "VIDEO",
            "is_carousel_item": _bool(True),
            **self._video_source(video_url, resumable),
            "product_tags": _dumps([t.to_api() for t in tags]) if tags else None,
        }
        container_id = self._create(fields)
        self._child_tags[container_id] = len(tags)
        return container_id

    def create_reel_container(
        self,
        video_url: str | None = None,
        *,
        resumable: bool = False,
        caption: str | None = None,
        product_tags: Iterable[ProductTagLike] = (),
        share_to_feed: bool = True,
        cover_url: str | None = None,
        thumb_offset_ms: int | None = None,
        audio_name: str | None = None,
        user_tags: Iterable[UserTagLike] = (),
        location_id: str | None = None,
        collaborators: Sequence[str] = (),
    ) -> str:
        """A Reel container (single videos are always Reels since 2023, §1.1 note); tags without x/y, ≤ 30.

        With `resumable=True` no URL is sent; upload the bytes with `upload_video(container_id, path)`.
        """
        tags = validate_product_tags(product_tags, positioned=False, limit=MAX_TAGS_REEL, where="the Reel")
        if thumb_offset_ms is not None and thumb_offset_ms < 0:
            raise _invalid("thumb_offset must be ≥ 0 milliseconds", "thumb_offset")
        fields: dict[str, Any] = {
            "media_type": "REELS",
            **self._video_source(video_url, resumable),
            "caption": self._caption(caption),
            "product_tags": _dumps([t.to_api() for t in tags]) if tags else None,
            "share_to_feed": _bool(share_to_feed),
            "cover_url": cover_url,
            "thumb_offset": str(thumb_offset_ms) if thumb_offset_ms is not None else None,
            "audio_name": audio_name,
            "user_tags": self._user_tags(user_tags, positioned=False),
            "location_id": location_id,
            "collaborators": self._collaborators(collaborators),
        }
        return self._create(fields)

    def create_story_container(
        self,
        image_url: str | None = None,
        *,
        video_url: str | None = None,
        resumable: bool = False,
        user_tags: Iterable[UserTagLike] = (),
    ) -> str:
        """A Story (image or video). Stories take no caption, product tags or collaborators (§1.1, §1.6)."""
        sources = sum(bool(v) for v in (image_url, video_url, resumable))
        if sources != 1:
            raise _invalid("a story needs exactly one of image_url, video_url or resumable=True", "image_url")
        fields: dict[str, Any] = {
            "media_type": "STORIES",
            "user_tags": self._user_tags(user_tags, positioned=False),
        }
        if image_url:
            fields["image_url"] = image_url
        else:
            fields.update(self._video_source(video_url, resumable))
        return self._create(fields)

    def create_carousel_container(
        self,
        children: Sequence[str],
        *,
        caption: str | None = None,
        location_id: str | None = None,
        collaborators: Sequence[str] = (),
    ) -> str:
        """The carousel parent over 2–10 item containers (created with `is_carousel_item`)."""
        ids = [str(c) for c in children]
        if not MIN_CAROUSEL <= len(ids) <= MAX_CAROUSEL:
            raise _invalid(
                f"a carousel needs {MIN_CAROUSEL}–{MAX_CAROUSEL} items, got {len(ids)}", "children"
            )
        if len(set(ids)) != len(ids):
            raise _invalid("a carousel lists the same item twice", "children")
        total = sum(self._child_tags.get(c, 0) for c in ids)
        if total > MAX_TAGS_CAROUSEL:
            raise _invalid(
                f"{total} product tags across the carousel, Instagram allows at most {MAX_TAGS_CAROUSEL}",
                "product_tags",
            )
        fields: dict[str, Any] = {
            "media_type": "CAROUSEL",
            "children": ",".join(ids),
            "caption": self._caption(caption),
            "location_id": location_id,
            "collaborators": self._collaborators(collaborators),
        }
        return self._create(fields)

    # --- resumable upload (§1.2) ---------------------------------------------------------------------

    def upload_uri(self, container_id: str) -> str:
        """Where the bytes of a resumable container go, on the (overridable) rupload host.

        The path comes from the `uri` Meta returned when it is known, else from the documented pattern;
        the host is always `base_url("rupload")` so tests and production use the same code.
        """
        known = self.upload_uris.get(str(container_id))
        path = urlsplit(known).path if known else f"/ig-api-upload/{GRAPH_API_VERSION}/{container_id}"
        return f"{base_url('rupload')}{path}"

    def upload_video(
        self, container_id: str, video: str | Path | bytes, *, offset: int = 0
    ) -> dict[str, Any]:
        """Send the video bytes from `offset` for a resumable container (§1.2).

        Idempotent: the same bytes at the same offset can be sent again. A file is memory-mapped and
        streamed, not read into memory (Reels may be 300 MB).
        """
        return rupload(self.session, self.upload_uri(container_id), self._token, video, offset=offset)

    def upload_video_from_url(self, container_id: str, file_url: str) -> dict[str, Any]:
        """Have Meta fetch a hosted video for a resumable container (`file_url` header, no body)."""
        headers = {"Authorization": f"OAuth {self._token}", "file_url": file_url}
        response = self.session.request(
            "POST", self.upload_uri(container_id), headers=headers, idempotent=True
        )
        return _json(response)

    # --- status, publish, permalink --------------------------------------------------------------------

    def container_status(self, container_id: str) -> ContainerStatus:
        """GET /{container-id}?fields=status_code,status (§1.3)."""
        doc = self._get(str(container_id), {"fields": "status_code,status"})
        raw = str(doc.get("status_code") or "")
        try:
            code = ContainerCode(raw)
        except ValueError:
            raise PublishError(
                f"Instagram returned an unknown container status {raw!r}", platform=PLATFORM
            ) from None
        return ContainerStatus(str(doc.get("id") or container_id), code, doc.get("status") or None)

    def wait_until_finished(
        self,
        container_id: str,
        *,
        poll: float = DEFAULT_POLL_SECONDS,
        timeout: float = DEFAULT_POLL_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ContainerStatus:
        """Poll until FINISHED (or already PUBLISHED) and return that status.

        Raises `ContainerFailed` on ERROR/EXPIRED (create a new container) and `ContainerNotReady`
        (retryable) when `timeout` passes first. The docs ask for one poll a minute for ≤ 5 minutes.
        """
        deadline = clock() + timeout
        while True:
            status = self.container_status(container_id)
            if status.ready:
                return status
            if status.failed:
                raise ContainerFailed(
                    f"Instagram could not prepare the media ({status.code}): "
                    f"{status.message or 'no details'}",
                    platform=PLATFORM,
                    field="container",
                    hint="The media will be prepared again (a new container) on the next attempt.",
                )
            if clock() + poll > deadline:
                raise ContainerNotReady(
                    f"container {container_id} still {status.code} after {timeout:.0f} s",
                    platform=PLATFORM,
                    retryable=True,
                )
            sleep(poll)

    def publish(self, creation_id: str) -> str:
        """POST /{ig-user-id}/media_publish → the IG media id. NOT idempotent (a retry could post twice):
        after an unclear failure check `container_status(creation_id).code == PUBLISHED` first."""
        doc = self._post(
            f"{self.ig_user_id}/media_publish", {"creation_id": str(creation_id)}, idempotent=False
        )
        return str(doc["id"])

    def permalink(self, media_id: str) -> str | None:
        """The public URL of a published media (None if Instagram does not give one, e.g. for stories)."""
        doc = self._get(str(media_id), {"fields": "permalink"})
        link = doc.get("permalink")
        return str(link) if link else None

    def recent_media(self, limit: int = 100) -> list[dict[str, Any]]:
        """The account's newest media (`GET /{ig-user-id}/media`), newest first, following paging.

        Each row has `id`, `caption`, `timestamp` and `permalink`. The outbox uses it to find a post
        whose publish answer was lost (container PUBLISHED, media id unknown) instead of posting twice.
        """
        return graph_edge(self._get, f"{self.ig_user_id}/media", "id,caption,timestamp,permalink", limit)

    def comment(self, media_id: str, message: str) -> str:
        """POST /{ig-media-id}/comments?message=… → the comment id (needs instagram_manage_comments).

        Not idempotent: sent again, the same text appears twice; the outbox probes `comments` first.
        Source: Meta's IG Media comments reference (not in publishing.md).
        """
        doc = self._post(f"{media_id}/comments", {"message": message}, idempotent=False)
        return str(doc.get("id", ""))

    def comments(self, media_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The media's comments (`id`, `text`, `timestamp`), newest first, following paging."""
        return graph_edge(self._get, f"{media_id}/comments", "id,text,timestamp", limit)

    def publishing_limit(self) -> Quota:
        """GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config (§1.5), read live."""
        doc = self._get(f"{self.ig_user_id}/content_publishing_limit", {"fields": "quota_usage,config"})
        rows = doc.get("data") or [{}]
        row = rows[0] if isinstance(rows[0], dict) else {}
        config = row.get("config") or {}
        total = config.get("quota_total")
        window = config.get("quota_duration")
        return Quota(
            used=int(row.get("quota_usage") or 0),
            total=int(total) if total is not None else None,
            window=int(window) if window is not None else None,
        )

    # --- product tagging prerequisites (§1.6) ----------------------------------------------------------

    def product_tag_eligibility(self) -> bool:
        """Can this account tag products at all (checkout-enabled shop, Facebook Login)?"""
        doc = self._get(self.ig_user_id, {"fields": "shopping_product_tag_eligibility"})
        return bool(doc.get("shopping_product_tag_eligibility"))

    def available_catalogs(self) -> list[dict[str, Any]]:
        """The catalogs the account can tag from: `[{catalog_id, catalog_name, shop_name, product_count}]`."""
        doc = self._get(f"{self.ig_user_id}/available_catalogs")
        return [dict(row) for row in doc.get("data") or []]

    def catalog_product_search(self, catalog_id: str, query: str | None = None) -> list[ProductInfo]:
        """Products of `catalog_id` matching a name or SKU (first page), with their review status."""
        params: dict[str, Any] = {"catalog_id": catalog_id}
        if query:
            params["q"] = query
        doc = self._get(f"{self.ig_user_id}/catalog_product_search", params)
        return [
            ProductInfo(
                product_id=str(row.get("product_id")),
                name=str(row.get("product_name") or ""),
                retailer_id=row.get("retailer_id"),
                review_status=str(row.get("review_status") or ""),
                is_checkout_flow=row.get("is_checkout_flow"),
                image_url=row.get("image_url"),
            )
            for row in doc.get("data") or []
        ]

    # Static conversion exposed on the client too, for callers that only hold a client.
    product_tags_from_studio = staticmethod(product_tags_from_studio)


def _json(response: Any) -> dict[str, Any]:
    try:
        doc = response.json() if response.content else {}
    except ValueError:
        doc = {"raw": response.text}
    return doc if isinstance(doc, dict) else {"data": doc}
