"""Fake Pinterest API v5 (production or sandbox host), validated against Pinterest's own OpenAPI file.

Why the OpenAPI file: request bodies (`PinCreate`, `BoardCreate`, `BoardSection`, `MediaUploadCreate`)
are checked with the schema components of ../shared/specs/pinterest-openapi-v5.yaml (5.23.0), converted
from OpenAPI 3.0 to JSON Schema (nullable, discriminator), so a client that passes here sends what the
real API declares. Behaviour not in the schema (board must exist, video must be processed, a cover for
video pins, Trial apps blocked on production) follows ../shared/platforms/publishing.md §4.

Errors are `{"code": n, "message": "..."}`; every answer carries the rate-limit headers (§4.6).
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import itertools
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .extensions import install_extensions
from .server import FakeServer, HttpError, Request, Response, fetch

SPEC_PATH = Path(
    os.environ.get(
        "STUDIO_PINTEREST_OPENAPI",
        Path(__file__).resolve().parent / "specs" / "pinterest-openapi-v5.yaml.gz",  # vendored, MIT
    )
)
ALL_SCOPES = (
    "boards:read,boards:read_secret,boards:write,boards:write_secret,pins:read,pins:read_secret,"
    "pins:write,pins:write_secret,user_accounts:read,catalogs:read,catalogs:write"
)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")


def pin_error(status: int, code: int, message: str) -> HttpError:
    return HttpError(Response(status, {"code": code, "message": message}))


# ---------------------------------------------------------------- OpenAPI → JSON Schema
def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema draft 7: `nullable`, and discriminated `oneOf` → if/then so the
    error names the field of the chosen variant instead of "not valid under any of the given schemas"."""
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _convert(v)
        for k, v in node.items()
        if k not in ("nullable", "discriminator", "example", "readOnly")
    }
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "allOf" in out:  # nullable $ref wrapper
            out = {"anyOf": [{"type": "null"}, out]}
    disc = node.get("discriminator")
    if disc and "oneOf" in node and disc.get("mapping"):
        prop = disc["propertyName"]
        mapping = disc["mapping"]
        out.pop("oneOf")
        out.setdefault("required", []).append(prop)
        out.setdefault("properties", {})[prop] = {"enum": list(mapping)}
        out["allOf"] = [
            {"if": {"properties": {prop: {"const": key}}, "required": [prop]}, "then": {"$ref": ref}}
            for key, ref in mapping.items()
        ]
    return out


@functools.cache
def _components() -> dict[str, Any] | None:
    if not SPEC_PATH.is_file():
        return None
    import yaml  # dev dependency; only needed where the spec exists

    opener = gzip.open if SPEC_PATH.suffix == ".gz" else open
    with opener(SPEC_PATH, "rb") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {"schemas": _convert(spec["components"]["schemas"])}


@functools.cache
def _validator(component: str) -> Any:
    comps = _components()
    if comps is None:
        return None
    import jsonschema

    return jsonschema.Draft7Validator({"$ref": f"#/components/schemas/{component}", "components": comps})


def schema_errors(component: str, instance: Any) -> list[str]:
    """Messages for `instance` against an OpenAPI component ([] if valid or the spec file is absent)."""
    validator = _validator(component)
    if validator is None:
        return []
    errors = sorted(validator.iter_errors(instance), key=lambda e: (len(e.absolute_path), str(e.path)))
    out = []
    for err in errors:
        where = ".".join(str(p) for p in err.absolute_path) or "body"
        out.append(f"{where}: {err.message}")
    return out


def spec_available() -> bool:
    return _components() is not None


# ---------------------------------------------------------------- state
@dataclass
class PinToken:
    scopes: set[str]
    expires_at: float


@dataclass
class MediaUpload:
    id: str
    status: str = "registered"  # registered → processing → succeeded | failed
    key: str = ""
    polls_left: int = 1
    fail: bool = False  # set by FakePinterest.fail_media()
    bad_file: bool = False  # the uploaded file is not a video
    size: int = 0


@dataclass
class Board:
    id: str
    name: str
    description: str | None = None
    privacy: str = "PUBLIC"
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))

    def as_json(self, pin_count: int = 0) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "privacy": self.privacy,
            "owner": {"username": "studio_demo"},
            "created_at": self.created_at,
            "board_pins_modified_at": self.created_at,
            "pin_count": pin_count,
            "follower_count": 0,
            "collaborator_count": 0,
            "is_ads_only": False,
        }


class FakePinterest(FakeServer):
    """Pinterest v5 under `/v5/...`; `sandbox=True` is the api-sandbox host, `trial=True` a Trial app."""

    name = "pinterest"

    def __init__(self, sandbox: bool = False, trial: bool = False, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.sandbox = sandbox
        self.trial = trial
        self.client_id = "1500000"
        self.client_secret = "fake-pinterest-secret"
        self.access_token = "pina." + secrets.token_urlsafe(24)
        self.tokens: dict[str, PinToken] = {
            self.access_token: PinToken(set(ALL_SCOPES.split(",")), time.time() + 30 * 86400)
        }
        self.refresh_tokens: dict[str, set[str]] = {}
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (redirect_uri, scopes)
        self.rate_limit = 1000  # requests per window (per minute) before 429
        self.media_polls = 1
        self.boards: dict[str, Board] = {}
        self.sections: dict[str, dict[str, Any]] = {}  # id -> {"id","name","board_id"}
        self.pins: list[dict[str, Any]] = []
        self.media: dict[str, MediaUpload] = {}
        self._window: tuple[float, int] = (0.0, 0)  # (window start, requests in it): 60 s windows
        self._ids = itertools.count(549755800001)
        self._register()
        install_extensions(self)

    def start(self) -> FakePinterest:
        # Load the OpenAPI file now (≈1 s, once per process), not inside the first request under a
        # client's timeout.
        for component in ("PinCreate", "BoardCreate", "BoardSection", "MediaUploadCreate"):
            _validator(component)
        super().start()
        return self

    @property
    def env(self) -> dict[str, str]:
        """The test-only base-URL override the studio's HTTP layer reads (studio/publish/http.py)."""
        key = "STUDIO_PINTEREST_SANDBOX_BASE_URL" if self.sandbox else "STUDIO_PINTEREST_BASE_URL"
        return {key: self.url}

    @property
    def published(self) -> list[dict[str, Any]]:
        return self.pins

    # ---------------------------------------------------------------- test helpers
    def issue_code(self, redirect_uri: str, scopes: str = ALL_SCOPES) -> str:
        """An authorization code as pinterest.com/oauth/ would hand to the loopback redirect."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = (redirect_uri, scopes)
        return code

    def add_board(self, name: str, privacy: str = "PUBLIC", description: str | None = None) -> str:
        board = Board(str(next(self._ids)), name, description, privacy)
        self.boards[board.id] = board
        return board.id

    def add_section(self, board_id: str, name: str) -> str:
        sid = str(next(self._ids))
        self.sections[sid] = {"id": sid, "name": name, "board_id": board_id}
        return sid

    def fail_media(self, media_id: str) -> None:
        """This upload ends in status `failed` instead of `succeeded`."""
        self.media[media_id].fail = True

    # ---------------------------------------------------------------- server hooks
    def error_body(self, status: int, message: str) -> Any:
        code = {429: 8, 401: 2, 404: 4, 500: 500, 503: 503}.get(status, status)
        text = {429: "Rate limit exceeded. Please try again later.", 401: "Authentication failed."}
        return {"code": code, "message": text.get(status, message)}

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        start, count = self._window
        remaining = max(0, self.rate_limit - count)
        reset = max(0, int(start + 60 - time.time()))
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-userendpoint-ratelimit-remaining": str(remaining),
            "x-pinterest-rid": secrets.token_hex(8),
        }

    def not_found(self, request: Request) -> Response:
        return Response(404, {"code": 404, "message": f"Not found: {request.method} {request.path}"})

    # ---------------------------------------------------------------- routes
    def _register(self) -> None:
        r = self.route
        r("POST", r"^/v5/oauth/token$", self._oauth_token)
        r("POST", r"^/v5/oauth/token/revoke$", self._oauth_revoke)
        r("GET", r"^/v5/user_account$", self._user_account)
        r("GET", r"^/v5/boards$", self._list_boards)
        r("POST", r"^/v5/boards$", self._create_board)
        r("GET", r"^/v5/boards/(?P<id>\d+)$", self._get_board)
        r("GET", r"^/v5/boards/(?P<id>\d+)/sections$", self._list_sections)
        r("POST", r"^/v5/boards/(?P<id>\d+)/sections$", self._create_section)
        r("POST", r"^/v5/pins$", self._create_pin)
        r("GET", r"^/v5/pins/(?P<id>\d+)$", self._get_pin)
        r("GET", r"^/v5/pins$", self._list_pins)
        r("GET", r"^/v5/boards/(?P<id>\d+)/pins$", self._list_board_pins)
        r("POST", r"^/v5/media$", self._create_media)
        r("GET", r"^/v5/media/(?P<id>\d+)$", self._get_media)
        r("POST", r"^/media-upload/?$", self._upload_media)

    # ---------------------------------------------------------------- auth + rate limit
    def _auth(self, req: Request, *scopes: str) -> PinToken:
        start, count = self._window
        now = time.time()
        self._window = (now, 1) if now - start >= 60 else (start, count + 1)
        if self._window[1] > self.rate_limit:
            raise pin_error(429, 8, "Rate limit exceeded. Please try again later.")
        auth = req.header("authorization") or ""
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        info = self.tokens.get(token)
        if not token or info is None or token in self.expired_tokens or info.expires_at < time.time():
            raise pin_error(401, 2, "Authentication failed.")
        missing = [s for s in scopes if s not in info.scopes]
        if missing:
            raise pin_error(401, 3, f"Not authorized to access the user account: missing scope {missing[0]}")
        return info

    def _body(self, req: Request, component: str) -> dict[str, Any]:
        if not isinstance(req.json, dict):
            raise pin_error(
                400, 1, "Invalid request: body must be a JSON object (Content-Type: application/json)"
            )
        errors = schema_errors(component, req.json)
        if errors:
            raise pin_error(400, 1, "Invalid request: " + "; ".join(errors[:3]))
        return req.json

    # ---------------------------------------------------------------- OAuth
    def _oauth_token(self, req: Request, m: re.Match[str]) -> Response:
        auth = req.header("authorization") or ""
        try:
            cid, _, secret = (
                base64.b64decode(auth[6:]).decode().partition(":")
                if auth.startswith("Basic ")
                else ("", "", "")
            )
        except (binascii.Error, UnicodeDecodeError):
            cid, secret = "", ""
        if cid != self.client_id or secret != self.client_secret:
            raise pin_error(401, 2, "Authentication failed.")
        if not (req.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
            raise pin_error(400, 1, "Invalid request: use application/x-www-form-urlencoded")
        f = req.form
        grant = f.get("grant_type")
        if grant == "authorization_code":
            if not f.get("code") or not f.get("redirect_uri"):
                raise pin_error(400, 1, "Invalid request: code and redirect_uri are required")
            issued = self.codes.pop(f["code"], None)
            if issued is None:
                raise pin_error(400, 1, "Invalid request: authorization code is invalid or used")
            if issued[0] != f["redirect_uri"]:
                raise pin_error(400, 1, "Invalid request: redirect_uri does not match")
            scopes = issued[1]
        elif grant == "refresh_token":
            scopes_set = self.refresh_tokens.get(f.get("refresh_token", ""))
            if scopes_set is None or f.get("refresh_token") in self.expired_tokens:
                raise pin_error(400, 1, "Invalid request: refresh_token is invalid or expired")
            scopes = f.get("scope") or ",".join(sorted(scopes_set))
        else:
            raise pin_error(400, 1, f"Invalid request: unsupported grant_type {grant!r}")
        access = "pina." + secrets.token_urlsafe(24)
        refresh = "pinr." + secrets.token_urlsafe(24)
        self.tokens[access] = PinToken(set(scopes.split(",")), time.time() + 30 * 86400)
        self.refresh_tokens[refresh] = set(scopes.split(","))
        return Response(
            200,
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": 30 * 86400,
                "scope": scopes,
                "refresh_token": refresh,
                "refresh_token_expires_in": 60 * 86400,
                "refresh_token_expires_at": int(time.time()) + 60 * 86400,
                "response_type": grant,
            },
        )

    def _oauth_revoke(self, req: Request, m: re.Match[str]) -> Response:
        token = req.form.get("token", "")
        self.tokens.pop(token, None)
        self.refresh_tokens.pop(token, None)
        return Response(200, {})

    def _user_account(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "user_accounts:read")
        return Response(
            200,
            {
                "account_type": "BUSINESS",
                "id": "1000000001",
                "username": "studio_demo",
                "board_count": len(self.boards),
                "pin_count": len(self.pins),
                "business_name": "Studio Demo",
                "website_url": "https://shop.example",
            },
        )

    # ---------------------------------------------------------------- boards + sections
    @staticmethod
    def _page(req: Request, items: list[Any]) -> dict[str, Any]:
        try:
            size = int(req.query.get("page_size") or 25)
        except ValueError:
            size = 0
        if not 1 <= size <= 250:
            raise pin_error(400, 1, "Invalid request: page_size must be between 1 and 250")
        start = 0
        if req.query.get("bookmark"):
            try:
                start = int(base64.urlsafe_b64decode(req.query["bookmark"].encode()).decode().split(":")[1])
            except (ValueError, IndexError, binascii.Error):
                raise pin_error(400, 1, "Invalid request: bookmark is invalid") from None
        end = start + size
        bookmark = base64.urlsafe_b64encode(f"b:{end}".encode()).decode() if end < len(items) else None
        return {"items": items[start:end], "bookmark": bookmark}

    def _list_boards(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:read")
        privacy = req.query.get("privacy")
        boards = [b for b in self.boards.values() if not privacy or b.privacy == privacy]
        return Response(200, self._page(req, [b.as_json(self._pin_count(b.id)) for b in boards]))

    def _pin_count(self, board_id: str) -> int:
        return sum(1 for p in self.pins if p["board_id"] == board_id)

    def _create_board(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:write")
        body = self._body(req, "BoardCreate")
        privacy = body.get("privacy") or "PUBLIC"
        if privacy == "SECRET":
            self._auth(req, "boards:write_secret")
        if any(b.name == body["name"] for b in self.boards.values()):
            raise pin_error(400, 58, f"Board with name {body['name']!r} already exists")
        bid = self.add_board(body["name"], privacy, body.get("description"))
        return Response(201, self.boards[bid].as_json())

    def _board(self, board_id: str) -> Board:
        board = self.boards.get(board_id)
        if board is None:
            raise pin_error(404, 40, "Board not found.")
        return board

    def _get_board(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:read")
        board = self._board(m["id"])
        return Response(200, board.as_json(self._pin_count(board.id)))

    def _list_sections(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:read")
        self._board(m["id"])
        items = [
            {"id": s["id"], "name": s["name"]} for s in self.sections.values() if s["board_id"] == m["id"]
        ]
        return Response(200, self._page(req, items))

    def _create_section(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:write")
        self._board(m["id"])
        body = self._body(req, "BoardSection")
        if any(s["board_id"] == m["id"] and s["name"] == body["name"] for s in self.sections.values()):
            raise pin_error(409, 409, "Could not get exclusive access to the board to create a new section.")
        sid = self.add_section(m["id"], body["name"])
        return Response(201, {"id": sid, "name": body["name"]})

    # ---------------------------------------------------------------- pins
    def _check_image_url(self, url: str, field_name: str) -> dict[str, Any]:
        got = fetch(url)
        if got is None or got.status != 200 or not got.data.startswith(IMAGE_MAGIC):
            raise pin_error(
                400, 1, f"Invalid request: {field_name}: could not fetch an image from {url.split('?')[0]}"
            )
        return {"url": url, "bytes": len(got.data)}

    def _create_pin(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "pins:write", "boards:read")
        if self.trial and not self.sandbox:
            raise pin_error(
                403,
                29,
                "Apps with Trial access may not create Pins in production "
                "https://api.pinterest.com - use API Sandbox https://api-sandbox.pinterest.com "
                "instead.",
            )
        body = self._body(req, "PinCreate")
        # the schema lets these through; the API does not
        for name, limit in (("title", 100), ("description", 800), ("alt_text", 500), ("link", 2048)):
            if body.get(name) is not None and len(body[name]) > limit:
                raise pin_error(400, 1, f"Invalid request: {name}: longer than {limit} characters")
        board_id = body.get("board_id")
        if not board_id:
            raise pin_error(400, 1, "Invalid request: board_id is required")
        board = self._board(board_id)
        section = body.get("board_section_id")
        if section and self.sections.get(section, {}).get("board_id") != board.id:
            raise pin_error(404, 40, "Board section not found.")
        if board.privacy == "SECRET":
            self._auth(req, "pins:write_secret")
        source = body.get("media_source")
        if not isinstance(source, dict):
            raise pin_error(400, 1, "Invalid request: media_source is required")
        kind = source["source_type"]
        media_type, creative, items = "image", "REGULAR", []
        if kind == "image_url":
            items.append(self._check_image_url(source["url"], "media_source.url"))
        elif kind == "image_base64":
            try:
                data = base64.b64decode(source["data"], validate=True)
            except binascii.Error:
                raise pin_error(400, 1, "Invalid request: media_source.data is not base64") from None
            if not data.startswith(IMAGE_MAGIC):
                raise pin_error(400, 1, "Invalid request: media_source.data is not an image")
            items.append({"bytes": len(data)})
        elif kind in ("multiple_image_urls", "multiple_image_base64"):
            media_type, creative = "multiple_images", "CAROUSEL"
            for i, item in enumerate(source["items"]):
                if kind == "multiple_image_urls":
                    items.append(self._check_image_url(item["url"], f"media_source.items.{i}.url"))
                else:
                    items.append({"bytes": len(item["data"])})
        elif kind == "video_id":
            media_type, creative = "video", "VIDEO"
            upload = self.media.get(source["media_id"])
            if upload is None:
                raise pin_error(404, 4, "Media not found.")
            if upload.status != "succeeded":
                raise pin_error(
                    400, 1, f"Invalid request: media {upload.id} is {upload.status}, not succeeded"
                )
            if not (
                source.get("cover_image_url")
                or source.get("cover_image_content_type")
                or source.get("cover_image_key_frame_time") is not None
            ):
                raise pin_error(
                    400,
                    1,
                    "Invalid request: video pins need cover_image_url or "
                    "cover_image_content_type + cover_image_data or cover_image_key_frame_time",
                )
            if source.get("cover_image_url"):
                self._check_image_url(source["cover_image_url"], "media_source.cover_image_url")
        else:
            raise pin_error(
                400, 1, f"Invalid request: media_source.source_type {kind!r} is not supported here"
            )
        pin = {
            "id": str(next(self._ids)),
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "link": body.get("link"),
            "title": body.get("title"),
            "description": body.get("description"),
            "dominant_color": body.get("dominant_color") or "#6E7874",
            "alt_text": body.get("alt_text"),
            "board_id": board.id,
            "board_section_id": section,
            "board_owner": {"username": "studio_demo"},
            "is_owner": True,
            "is_standard": True,
            "has_been_promoted": False,
            "parent_pin_id": None,
            "creative_type": creative,
            "media": {"media_type": media_type},
        }
        self.pins.append({**pin, "media_source": source, "items": items, "sandbox": self.sandbox})
        return Response(201, pin)

    @staticmethod
    def _pin_json(pin: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in pin.items() if k not in ("media_source", "items", "sandbox")}

    def _get_pin(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "pins:read")
        for pin in self.pins:
            if pin["id"] == m["id"]:
                return Response(200, self._pin_json(pin))
        raise pin_error(404, 50, "Pin not found.")

    def _list_pins(self, req: Request, m: re.Match[str]) -> Response:
        """Newest first — what a client reads to find out whether a pin whose answer was lost exists."""
        self._auth(req, "pins:read")
        return Response(200, self._page(req, [self._pin_json(p) for p in reversed(self.pins)]))

    def _list_board_pins(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "boards:read", "pins:read")
        self._board(m["id"])
        pins = [self._pin_json(p) for p in reversed(self.pins) if p["board_id"] == m["id"]]
        return Response(200, self._page(req, pins))

    # ---------------------------------------------------------------- media (video upload)
    def _create_media(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "pins:write")
        body = self._body(req, "MediaUploadCreate")
        upload = MediaUpload(str(next(self._ids)), polls_left=self.media_polls)
        upload.key = f"uploads/{upload.id}/{secrets.token_hex(6)}"
        self.media[upload.id] = upload
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        params = {
            "x-amz-date": now,
            "x-amz-signature": secrets.token_hex(32),
            "x-amz-security-token": secrets.token_urlsafe(32),
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "key": upload.key,
            "policy": base64.b64encode(b'{"conditions": []}').decode(),
            "x-amz-credential": f"FAKEKEY/{now[:8]}/us-east-1/s3/aws4_request",
            "Content-Type": "multipart/form-data",
        }
        return Response(
            201,
            {
                "media_id": upload.id,
                "media_type": body["media_type"],
                "upload_url": f"{self.url}/media-upload/",
                "upload_parameters": params,
            },
        )

    def _upload_media(self, req: Request, m: re.Match[str]) -> Response:
        """S3 presigned POST: every upload_parameter as a form field, the file last as `file`; 204."""
        key = req.form.get("key")
        upload = next((u for u in self.media.values() if u.key == key), None)
        s3_error = '<?xml version="1.0"?><Error><Code>{}</Code><Message>{}</Message></Error>'
        if upload is None or not req.form.get("x-amz-signature") or not req.form.get("policy"):
            return Response(
                403,
                s3_error.format("AccessDenied", "Invalid according to Policy").encode(),
                {"Content-Type": "application/xml"},
            )
        if "file" not in req.files:
            return Response(
                400,
                s3_error.format("InvalidArgument", "POST requires exactly one file").encode(),
                {"Content-Type": "application/xml"},
            )
        data = req.files["file"].data
        upload.size = len(data)
        upload.bad_file = data[4:8] != b"ftyp"  # not MP4/MOV: Pinterest's processing fails
        if upload.status == "registered":
            upload.status = "processing"
        return Response(204)

    def _get_media(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req, "pins:read")
        upload = self.media.get(m["id"])
        if upload is None:
            raise pin_error(404, 4, "Media not found.")
        if upload.status == "processing":
            if upload.polls_left > 0:
                upload.polls_left -= 1
            else:
                upload.status = "failed" if upload.fail or upload.bad_file else "succeeded"
        return Response(200, {"media_id": upload.id, "media_type": "video", "status": upload.status})
