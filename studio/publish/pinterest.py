"""Thin typed client for Pinterest API v5: boards, sections, image/carousel/video Pins, media uploads.

One method per documented endpoint (../shared/platforms/publishing.md §4, field names and limits from
../shared/specs/pinterest-openapi-v5.yaml `PinCreate`, `PinMediaSource*`, `BoardCreate`,
`BoardSection`, `MediaUpload`, `Media`). No orchestration and no retries here: `ApiSession` retries
what is safe, and each call says whether repeating it is harmless (`idempotent=`). Registering a media
upload or re-uploading the same file to its presigned slot creates nothing visible; creating a board,
section or Pin does.

Field limits from the spec are enforced locally (title ≤ 100, description ≤ 800, link ≤ 2048,
alt text ≤ 500, section name 1–180, 2–5 carousel images, ids `^\\d+$`) and raise `InvalidRequest` naming
the field, so a post is fixed before any upload. Pinterest has no product tags on organic Pins (§4.2).

`sandbox=True` talks to api-sandbox.pinterest.com (Trial-tier apps may only create Pins there).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from studio.core.post_rules import LIMITS
from studio.publish.errors import InvalidRequest, PublishError
from studio.publish.http import ApiSession, base_url
from studio.publish.redact import register_secret

PLATFORM = "pinterest"
_PIN = LIMITS["pinterest"]
#: PinCreate maxLength values (spec 5.23.0).
MAX_TITLE = _PIN.title_chars or 100
MAX_DESCRIPTION = _PIN.caption_chars or 800
MAX_LINK = 2048
MAX_ALT_TEXT = 500
MAX_SECTION_NAME = 180
MIN_CAROUSEL, MAX_CAROUSEL = _PIN.carousel_min, _PIN.carousel_max  # 2..5 (PinMediaSourceImages*)
BOARD_PRIVACY = ("PUBLIC", "PROTECTED", "SECRET")
CONTENT_TYPES = ("image/jpeg", "image/png")
#: Bookmark pages: the spec allows page_size 1–250; fewer round trips with the maximum.
PAGE_SIZE = 250
#: Guard against a server that keeps returning the same bookmark.
MAX_PAGES = 1000

_DIGITS = re.compile(r"^\d+$")
_BASE64 = re.compile(r"^[a-zA-Z0-9+/=]+$")


def _invalid(what: str, field: str) -> InvalidRequest:
    return InvalidRequest(what, platform=PLATFORM, field=field)


def _check_id(value: str | None, field: str) -> str:
    text = str(value or "")
    if not _DIGITS.match(text):
        raise _invalid(f"{field} must be a Pinterest id (digits only), got {text!r}", field)
    return text


def _check_len(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    if len(value) > limit:
        raise _invalid(
            f"{field} is {len(value)} characters, Pinterest allows {limit}: shorten it by "
            f"{len(value) - limit}",
            field,
        )
    return value


def _check_link(value: str | None, field: str = "link") -> str | None:
    if not value:
        return None
    _check_len(value, MAX_LINK, field)
    if not value.lower().startswith(("http://", "https://")):
        raise _invalid(f"{field} must be an http(s) URL, got {value[:60]!r}", field)
    return value


def _check_base64(data: str, field: str) -> str:
    if not data or not _BASE64.match(data):
        raise _invalid(f"{field} must be base64 (A–Z a–z 0–9 + / =) without line breaks", field)
    return data


def _check_content_type(value: str, field: str) -> str:
    if value not in CONTENT_TYPES:
        raise _invalid(f"{field} must be one of {', '.join(CONTENT_TYPES)}, got {value!r}", field)
    return value


def encode_image(path: str | Path) -> tuple[str, str]:
    """(content_type, base64 data) for a local JPEG/PNG, for `image_base64` sources."""
    source = Path(path)
    suffix = source.suffix.lower()
    ctype = "image/png" if suffix == ".png" else "image/jpeg" if suffix in (".jpg", ".jpeg") else ""
    if not ctype:
        raise _invalid(f"{source.name}: Pinterest takes JPEG or PNG images", "media_source")
    return ctype, base64.b64encode(source.read_bytes()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Board:
    id: str
    name: str
    description: str | None = None
    privacy: str = "PUBLIC"

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> Board:
        return cls(
            str(doc["id"]),
            str(doc.get("name") or ""),
            doc.get("description"),
            str(doc.get("privacy") or "PUBLIC"),
        )


@dataclass(frozen=True, slots=True)
class BoardSection:
    id: str
    name: str

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> BoardSection:
        return cls(str(doc["id"]), str(doc.get("name") or ""))


@dataclass(frozen=True, slots=True)
class Pin:
    """The created Pin (only `id` is guaranteed by the spec)."""

    id: str
    board_id: str | None = None
    board_section_id: str | None = None
    link: str | None = None
    title: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The Pin's public page (the API returns no permalink; this is Pinterest's URL scheme)."""
        return f"https://www.pinterest.com/pin/{self.id}/"

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> Pin:
        return cls(
            str(doc["id"]),
            doc.get("board_id"),
            doc.get("board_section_id"),
            doc.get("link"),
            doc.get("title"),
            dict(doc),
        )


@dataclass(frozen=True, slots=True)
class MediaUpload:
    """`POST /v5/media` answer: where and how to upload the video file."""

    media_id: str
    upload_url: str
    upload_parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class MediaStatus:
    """`GET /v5/media/{id}`: status ∈ registered, processing, succeeded, failed."""

    media_id: str
    status: str

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True, slots=True)
class CarouselImage:
    """One carousel slide: a public `url`, or `data` (base64) + `content_type`; optional per-slide text."""

    url: str | None = None
    data: str | None = None
    content_type: str = "image/jpeg"
    title: str | None = None
    description: str | None = None
    link: str | None = None


class MediaNotReady(PublishError):
    """The uploaded video was still processing when waiting stopped; polling again later is safe."""

    default_hint = "Pinterest is still processing the video; publishing resumes automatically."


class MediaFailed(InvalidRequest):
    """Pinterest could not process the uploaded video: upload it again (a new media id)."""


class PinterestClient:
    """Calls for one Pinterest account (`token` is its access token, sent as a Bearer header)."""

    def __init__(self, session: ApiSession, token: str, *, sandbox: bool = False) -> None:
        self.session = session
        self.sandbox = sandbox or session.sandbox
        self._token = token
        register_secret(token)
        self.base = base_url("pinterest", sandbox=self.sandbox)

    def __repr__(self) -> str:
        return f"PinterestClient(base={self.base!r})"

    # --- plumbing ------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        doc = self.session.get_json(self._url(path), params=params, token=self._token, idempotent=True)
        return doc if isinstance(doc, dict) else {}

    def _post(self, path: str, body: Mapping[str, Any], *, idempotent: bool) -> dict[str, Any]:
        clean = {k: v for k, v in body.items() if v is not None}
        doc = self.session.post_json(self._url(path), json=clean, token=self._token, idempotent=idempotent)
        return doc if isinstance(doc, dict) else {}

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a bookmark-paginated list (§4.4): follow `bookmark` until it is null."""
        query = {"page_size": PAGE_SIZE, **(params or {})}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            doc = self._get(path, query)
            yield from (item for item in doc.get("items") or [] if isinstance(item, dict))
            bookmark = doc.get("bookmark")
            if not bookmark or bookmark in seen:
                return
            seen.add(bookmark)
            query = {**query, "bookmark": bookmark}
        raise PublishError(f"Pinterest returned more than {MAX_PAGES} pages for {path}", platform=PLATFORM)

    # --- boards and sections -------------------------------------------------------------------------

    def list_boards(self, *, privacy: str | None = None) -> list[Board]:
        """Every board of the account, all pages (`GET /v5/boards`)."""
        params = {"privacy": privacy} if privacy else None
        return [Board.from_api(doc) for doc in self._pages("boards", params)]

    def create_board(self, name: str, description: str | None = None, privacy: str = "PUBLIC") -> Board:
        """`POST /v5/boards`. NOT idempotent (a retry could make a second board)."""
        if not name or not name.strip():
            raise _invalid("a board needs a name", "name")
        if privacy not in BOARD_PRIVACY:
            raise _invalid(f"privacy must be one of {', '.join(BOARD_PRIVACY)}, got {privacy!r}", "privacy")
        body = {"name": name.strip(), "description": description, "privacy": privacy}
        return Board.from_api(self._post("boards", body, idempotent=False))

    def list_sections(self, board_id: str) -> list[BoardSection]:
        """Every section of a board, all pages (`GET /v5/boards/{board_id}/sections`)."""
        board = _check_id(board_id, "board_id")
        return [BoardSection.from_api(doc) for doc in self._pages(f"boards/{board}/sections")]

    def create_section(self, board_id: str, name: str) -> BoardSection:
        """`POST /v5/boards/{board_id}/sections` (name 1–180 characters). NOT idempotent."""
        board = _check_id(board_id, "board_id")
        if not name or not name.strip():
            raise _invalid("a board section needs a name", "name")
        _check_len(name.strip(), MAX_SECTION_NAME, "name")
        return BoardSection.from_api(
            self._post(f"boards/{board}/sections", {"name": name.strip()}, idempotent=False)
        )

    # --- Pins ----------------------------------------------------------------------------------------

    def _pin_body(
        self,
        board_id: str,
        media_source: dict[str, Any],
        *,
        title: str | None,
        description: str | None,
        link: str | None,
        alt_text: str | None,
        board_section_id: str | None,
        dominant_color: str | None = None,
    ) -> dict[str, Any]:
        return {
            "board_id": _check_id(board_id, "board_id"),
            "board_section_id": _check_id(board_section_id, "board_section_id") if board_section_id else None,
            "title": _check_len(title, MAX_TITLE, "title"),
            "description": _check_len(description, MAX_DESCRIPTION, "description"),
            "link": _check_link(link),
            "alt_text": _check_len(alt_text, MAX_ALT_TEXT, "alt_text"),
            "dominant_color": dominant_color,
            "media_source": media_source,
        }

    def _create_pin(self, body: dict[str, Any]) -> Pin:
        """`POST /v5/pins`. NOT idempotent: after an unclear failure, verify before creating again."""
        return Pin.from_api(self._post("pins", body, idempotent=False))

    def create_image_pin(
        self,
        board_id: str,
        *,
        image_url: str | None = None,
        image_base64: str | None = None,
        content_type: str = "image/jpeg",
        title: str | None = None,
        description: str | None = None,
        link: str | None = None,
        alt_text: str | None = None,
        board_section_id: str | None = None,
        dominant_color: str | None = None,
    ) -> Pin:
        """An image Pin from a public URL (`image_url`) or inline bytes (`image_base64`)."""
        if bool(image_url) == bool(image_base64):
            raise _invalid("give exactly one of image_url or image_base64", "media_source")
        if image_url:
            source: dict[str, Any] = {"source_type": "image_url", "url": image_url}
        else:
            source = {
                "source_type": "image_base64",
                "content_type": _check_content_type(content_type, "content_type"),
                "data": _check_base64(image_base64 or "", "image_base64"),
            }
        body = self._pin_body(
            board_id,
            source,
            title=title,
            description=description,
            link=link,
            alt_text=alt_text,
            board_section_id=board_section_id,
            dominant_color=dominant_color,
        )
        return self._create_pin(body)

    def create_carousel_pin(
        self,
        board_id: str,
        images: Sequence[CarouselImage | str],
        *,
        title: str | None = None,
        description: str | None = None,
        link: str | None = None,
        alt_text: str | None = None,
        board_section_id: str | None = None,
        index: int = 0,
    ) -> Pin:
        """A carousel Pin of 2–5 images, all by URL or all base64 (a plain string is a URL)."""
        slides = [CarouselImage(url=i) if isinstance(i, str) else i for i in images]
        if not MIN_CAROUSEL <= len(slides) <= MAX_CAROUSEL:
            raise _invalid(
                f"a carousel Pin takes {MIN_CAROUSEL}–{MAX_CAROUSEL} images, got {len(slides)}",
                "media_source.items",
            )
        if not 0 <= index < len(slides):
            raise _invalid(f"index {index} is not one of the {len(slides)} images", "media_source.index")
        by_url = [bool(s.url) for s in slides]
        if any(bool(s.url) == bool(s.data) for s in slides) or len(set(by_url)) != 1:
            raise _invalid(
                "every carousel image needs either a url or base64 data, the same kind for all",
                "media_source.items",
            )
        items: list[dict[str, Any]] = []
        for n, slide in enumerate(slides, start=1):
            item: dict[str, Any] = {
                "title": _check_len(slide.title, MAX_TITLE, f"items[{n}].title"),
                "description": _check_len(slide.description, MAX_DESCRIPTION, f"items[{n}].description"),
                "link": _check_link(slide.link, f"items[{n}].link"),
            }
            if slide.url:
                item["url"] = slide.url
            else:
                item["content_type"] = _check_content_type(slide.content_type, f"items[{n}].content_type")
                item["data"] = _check_base64(slide.data or "", f"items[{n}].data")
            items.append({k: v for k, v in item.items() if v is not None})
        source = {
            "source_type": "multiple_image_urls" if by_url[0] else "multiple_image_base64",
            "items": items,
            "index": index,
        }
        body = self._pin_body(
            board_id,
            source,
            title=title,
            description=description,
            link=link,
            alt_text=alt_text,
            board_section_id=board_section_id,
        )
        return self._create_pin(body)

    def create_video_pin(
        self,
        board_id: str,
        media_id: str,
        *,
        cover_image_url: str | None = None,
        cover_image_base64: str | None = None,
        cover_image_content_type: str = "image/jpeg",
        cover_image_key_frame_time: int | None = None,
        title: str | None = None,
        description: str | None = None,
        link: str | None = None,
        alt_text: str | None = None,
        board_section_id: str | None = None,
    ) -> Pin:
        """A video Pin over an uploaded media id (§4.3 step 4). Exactly one cover source is required."""
        covers = sum(v is not None for v in (cover_image_url, cover_image_base64, cover_image_key_frame_time))
        if covers != 1:
            raise _invalid(
                "a video Pin needs exactly one cover: cover_image_url, cover_image_base64 or "
                "cover_image_key_frame_time",
                "media_source.cover_image_url",
            )
        source: dict[str, Any] = {"source_type": "video_id", "media_id": _check_id(media_id, "media_id")}
        if cover_image_url:
            source["cover_image_url"] = cover_image_url
        elif cover_image_base64 is not None:
            source["cover_image_content_type"] = _check_content_type(
                cover_image_content_type, "cover_image_content_type"
            )
            source["cover_image_data"] = _check_base64(cover_image_base64, "cover_image_data")
        else:
            if int(cover_image_key_frame_time or 0) < 0:
                raise _invalid("cover_image_key_frame_time must be ≥ 0 seconds", "cover_image_key_frame_time")
            source["cover_image_key_frame_time"] = int(cover_image_key_frame_time or 0)
        body = self._pin_body(
            board_id,
            source,
            title=title,
            description=description,
            link=link,
            alt_text=alt_text,
            board_section_id=board_section_id,
        )
        return self._create_pin(body)

    def get_pin(self, pin_id: str) -> Pin:
        """`GET /v5/pins/{pin_id}` (lets the outbox verify a Pin after an unclear failure)."""
        return Pin.from_api(self._get(f"pins/{_check_id(pin_id, 'pin_id')}"))

    def board_pins(self, board_id: str, *, limit: int = 1000) -> list[Pin]:
        """Up to `limit` pins of a board, newest first (`GET /v5/boards/{id}/pins`, bookmark paging).

        The outbox compares their description and link with a pin whose create answer was lost, so a
        resumed publish finds it instead of creating a duplicate.
        """
        if limit < 1:
            raise _invalid(f"limit must be at least 1, got {limit}", "limit")
        path = f"boards/{_check_id(board_id, 'board_id')}/pins"
        pins: list[Pin] = []
        for doc in self._pages(path, {"page_size": min(PAGE_SIZE, limit)}):
            pins.append(Pin.from_api(doc))
            if len(pins) >= limit:
                break
        return pins

    # --- video media upload (§4.3) -----------------------------------------------------------------------

    def register_media_upload(self) -> MediaUpload:
        """Step 1: `POST /v5/media {"media_type": "video"}`. Idempotent (unused ones are harmless)."""
        doc = self._post("media", {"media_type": "video"}, idempotent=True)
        params = doc.get("upload_parameters") or {}
        return MediaUpload(
            media_id=str(doc["media_id"]),
            upload_url=str(doc.get("upload_url") or ""),
            upload_parameters={str(k): str(v) for k, v in params.items()},
        )

    def upload_media(
        self, upload_url: str, upload_parameters: Mapping[str, str], file: str | Path | bytes | IO[bytes]
    ) -> None:
        """Step 2: the S3-style form POST of every upload parameter plus the file as field `file`.

        No Pinterest token is sent (the presigned policy is the authorization). Idempotent: the key is
        fixed by the parameters, so a repeat overwrites the same object.
        """
        if not upload_url:
            raise _invalid("the media registration gave no upload_url", "upload_url")
        if isinstance(file, bytes):
            content: Any = file
            name = "video.mp4"
        elif isinstance(file, str | Path):
            content = Path(file).open("rb")  # noqa: SIM115 - closed below; the session rewinds it on retry
            name = Path(file).name
        else:
            content = file
            name = getattr(file, "name", "video.mp4")
        try:
            self.session.request(
                "POST",
                upload_url,
                data=dict(upload_parameters),
                files={"file": (Path(str(name)).name, content)},
                idempotent=True,
            )
        finally:
            if isinstance(file, str | Path):
                content.close()

    def media_status(self, media_id: str) -> MediaStatus:
        """Step 3: `GET /v5/media/{media_id}`."""
        doc = self._get(f"media/{_check_id(media_id, 'media_id')}")
        return MediaStatus(str(doc.get("media_id") or media_id), str(doc.get("status") or ""))

    def wait_for_media(
        self,
        media_id: str,
        *,
        poll: float = 5.0,
        timeout: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> MediaStatus:
        """Poll `media_status` until `succeeded`; `MediaFailed` on `failed`, `MediaNotReady` on timeout."""
        deadline = clock() + timeout
        while True:
            status = self.media_status(media_id)
            if status.succeeded:
                return status
            if status.failed:
                raise MediaFailed(
                    f"Pinterest could not process the video (media {media_id})",
                    platform=PLATFORM,
                    field="media_id",
                    hint="The video will be uploaded again on the next attempt.",
                )
            if clock() + poll > deadline:
                raise MediaNotReady(
                    f"video {media_id} still {status.status or 'unknown'} after {timeout:.0f} s",
                    platform=PLATFORM,
                    retryable=True,
                )
            sleep(poll)
