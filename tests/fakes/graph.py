"""Fake Graph API: Instagram content publishing (Facebook Login flavour) and Facebook Pages.

Why this much validation in a fake: the clients are only as correct as the fake is strict. Every rule
below comes from ../shared/platforms/publishing.md (§1 Instagram, §2 Facebook Pages) and answers with
the documented error JSON (§1.8, §2.5), so a client that passes here sends what Meta accepts. Where the
docs are silent (e.g. publishing the same container twice) the fake picks a clear, strict behaviour and
README.md says so.

State is in memory: `containers`, `published` (IG media + FB posts, for "exactly once" assertions),
`videos` (FB Reels/resumable uploads). Any `/vNN.N/` prefix (or none) is accepted.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from PIL import Image

from .extensions import install_extensions
from .server import FakeServer, HttpError, Request, Response, fetch

V = r"^/(?:v\d+\.\d+/)?"  # optional version prefix
ID = r"(?P<id>\d+)"
MiB = 1024 * 1024
IMAGE_MAX_BYTES = 8 * MiB
VIDEO_FORMAT_ERROR = (
    "Error: The video format is not supported. Please check spec for supported format. 2207026"
)
PRODUCT_TAG_LIMITS = {"IMAGE": 20, "CAROUSEL_ITEM": 5, "REELS": 30, "VIDEO": 5, "CAROUSEL": 20}


@dataclass
class Container:
    """An IG media container (`POST /{ig}/media`), with the documented status_code life cycle."""

    id: str
    ig_user_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL | REELS | STORIES
    is_carousel_item: bool
    params: dict[str, Any]
    caption: str | None = None
    children: list[str] = field(default_factory=list)
    product_tags: list[dict[str, Any]] = field(default_factory=list)
    user_tags: list[dict[str, Any]] = field(default_factory=list)
    status_code: str = "IN_PROGRESS"  # IN_PROGRESS | FINISHED | ERROR | EXPIRED | PUBLISHED
    status: str = ""
    polls_left: int = 0
    fail_with: str | None = None  # status text if this container is to end in ERROR
    upload_type: str | None = None
    file_size: int | None = None
    received: int = 0
    head: bytes = b""  # first bytes of a resumable upload (format sniffing)
    created: float = field(default_factory=time.time)
    polls: int = 0
    media_id: str | None = None

    @property
    def uploading(self) -> bool:
        return self.upload_type == "resumable" and (self.file_size is None or self.received < self.file_size)


@dataclass
class Published:
    """One thing that went live (or was scheduled) — the list tests assert "exactly once" on."""

    platform: str  # "instagram" | "facebook"
    kind: str  # IMAGE/CAROUSEL/REELS/STORIES for IG; photo/feed/video/reel for FB
    id: str
    account_id: str
    caption: str | None = None
    children: list[dict[str, Any]] = field(default_factory=list)
    product_tags: list[dict[str, Any]] = field(default_factory=list)
    permalink: str = ""
    container_id: str | None = None
    attached_media: list[str] = field(default_factory=list)
    scheduled_publish_time: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timestamp: float = field(default_factory=time.time)
    comments: list[dict[str, Any]] = field(default_factory=list)  # {"id", "text", "timestamp"}


@dataclass
class Token:
    kind: str  # "user" | "page"
    page_id: str | None = None
    long_lived: bool = False


@dataclass
class FbVideo:
    """A Facebook Reel upload session (`video_reels` start → rupload → finish)."""

    id: str
    page_id: str
    file_size: int | None = None
    received: int = 0
    head: bytes = b""
    polls_left: int = 0
    published: bool = False
    state: str | None = None


def graph_error(
    code: int,
    message: str,
    subcode: int | None = None,
    *,
    status: int = 400,
    type_: str = "OAuthException",
    user_title: str | None = None,
    user_msg: str | None = None,
    transient: bool = False,
) -> HttpError:
    """The documented Graph error JSON (§1.8/§2.5), wrapped for `raise`."""
    err: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err["is_transient"] = transient
    if user_title:
        err["error_user_title"] = user_title
    if user_msg:
        err["error_user_msg"] = user_msg
    err["fbtrace_id"] = secrets.token_urlsafe(9)
    return HttpError(Response(status, {"error": err}))


def parse_relaxed_json(value: Any, name: str) -> Any:
    """Graph list/dict params arrive as JSON strings, even in the docs' unquoted form
    `[{product_id:'323',x:0.5,y:0.8}]` (§1.0); accept both, as Meta does."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        pass
    relaxed = re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', value).replace("'", '"')
    try:
        return json.loads(relaxed)
    except ValueError:
        raise graph_error(100, f"(#100) Invalid parameter: {name} must be a JSON array") from None


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


class _FieldSet(set[str]):
    """The top-level names of a `fields=` selection, plus its nested selections (`name{...}`)."""

    def __init__(self) -> None:
        super().__init__()
        self.nested: dict[str, str] = {}


def _project(row: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """`row` cut to the selected fields (`id` always). A sub-object is cut to its nested selection
    (`name{a,b}`), or to its `id` alone when none is given, as Graph returns unexpanded references."""
    out: dict[str, Any] = {}
    nested = getattr(fields, "nested", {})
    for key, value in row.items():
        if key != "id" and key not in fields:
            continue
        if isinstance(value, dict) and key != "id":
            inner = {f.strip().split("{")[0] for f in nested.get(key, "id").split(",") if f.strip()}
            value = {k: v for k, v in value.items() if k in inner or k == "id"}
        out[key] = value
    return out


class FakeGraph(FakeServer):
    """Instagram Graph (Facebook Login) + Facebook Pages on one loopback port; see README.md."""

    name = "graph"

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.app_id = "1000000000001"
        self.app_secret = "fake-app-secret"
        self.ig_user_id = "17841400000000001"
        self.ig_username = "studio_demo_shop"
        self.page_id = "100000000000001"
        self.user_token = "EAAfakeUSER" + secrets.token_hex(8)
        self.page_token = "EAAfakePAGE" + secrets.token_hex(8)
        self.tokens: dict[str, Token] = {
            self.user_token: Token("user", long_lived=True),
            self.page_token: Token("page", self.page_id),
        }
        self.pages: list[dict[str, Any]] = [
            {"id": self.page_id, "name": "Studio Demo Page", "ig": self.ig_user_id, "token": self.page_token}
        ]
        # configuration (change per test)
        self.quota_total = 50
        self.image_polls = 0
        self.video_polls = 2
        self.carousel_polls = 0
        self.schedule_min_s = 600
        self.schedule_max_s = 30 * 86400
        self.reels_schedule_max_s = 29 * 86400
        self.token_error_status = 400
        self.photo_max_bytes = 4 * MiB
        self.catalog: dict[str, str] = {}  # product_id -> review_status; empty = accept any id
        self.retailer_ids: dict[str, str] = {}  # product_id -> the shop's retailer id (content id)
        self.catalog_id = "960179311066902"
        self.eligible = True
        # state
        self.containers: dict[str, Container] = {}
        self.published: list[Published] = []
        self.videos: dict[str, FbVideo] = {}
        self.unpublished_photos: dict[str, str] = {}  # photo id -> page id (for attached_media)
        self.used_photos: set[str] = set()
        self.codes: dict[str, str] = {}  # oauth code -> redirect_uri
        self.calls = 0
        self.refreshed_ig_tokens = 0
        self.usage_override: dict[str, int] | None = None
        self._next_errors: list[str] = []
        self._container_rng: random.Random | None = None
        self._container_error_p = 0.0
        self._ids = itertools.count(17900000000000001)
        self._register()
        install_extensions(self)

    @property
    def env(self) -> dict[str, str]:
        """The test-only base-URL overrides the studio's HTTP layer reads (studio/publish/http.py):
        Graph, the rupload host and Instagram Login's two hosts are all this server."""
        return {
            "STUDIO_GRAPH_BASE_URL": self.url,
            "STUDIO_RUPLOAD_BASE_URL": self.url,
            "STUDIO_IG_GRAPH_BASE_URL": self.url,
            "STUDIO_IG_OAUTH_BASE_URL": self.url,
        }

    # ---------------------------------------------------------------- test helpers
    def add_token(self, token: str, kind: str = "user", page_id: str | None = None) -> str:
        self.tokens[token] = Token(kind, page_id)
        return token

    def add_page(self, page_id: str, name: str, ig_user_id: str | None = None) -> str:
        """Another Page on the user's account (for /me/accounts pagination); returns its page token."""
        token = self.add_token("EAAfakePAGE" + secrets.token_hex(8), "page", page_id)
        self.pages.append({"id": page_id, "name": name, "ig": ig_user_id, "token": token})
        return token

    def issue_code(self, redirect_uri: str) -> str:
        """An authorization code as Facebook's login dialog would redirect with."""
        code = "AQ" + secrets.token_urlsafe(16)
        self.codes[code] = redirect_uri
        return code

    def add_catalog_product(self, retailer_id: str, status: str = "approved") -> str:
        """A product in the connected catalog under a Meta product id of its own; returns that id."""
        pid = str(next(self._ids))
        self.catalog[pid] = status
        self.retailer_ids[pid] = retailer_id
        return pid

    def next_container_error(self, status_text: str = VIDEO_FORMAT_ERROR) -> None:
        """The next created container ends in status_code ERROR with this `status` text."""
        self._next_errors.append(status_text)

    def container_error_rate(self, p: float, seed: int = 0) -> None:
        """From now on each new container ends in ERROR with probability `p` (seeded); 0 stops."""
        self._container_rng = random.Random(seed) if p > 0 else None
        self._container_error_p = p

    def throttle_next(
        self, n: int = 1, code: int = 80001, minutes: int = 1, *, path: str | None = None
    ) -> None:
        """Answer the next `n` calls with a Graph throttling error (4 app, 17 user, 32 page, 613, 80001 Pages
        BUC, 80002 Instagram BUC) plus usage headers at 100 % and `estimated_time_to_regain_access`."""
        usage = {"call_count": 100, "total_cputime": 40, "total_time": 40}
        buc_type = "instagram" if code == 80002 else "pages"
        owner = self.ig_user_id if code == 80002 else self.page_id
        buc = {owner: [{"type": buc_type, **usage, "estimated_time_to_regain_access": minutes}]}
        messages = {
            4: "(#4) Application request limit reached",
            17: "(#17) User request limit reached",
            32: "(#32) Page request limit reached",
            613: "(#613) Calls to this api have exceeded the rate limit.",
        }
        message = messages.get(code, f"(#{code}) There have been too many calls to this account.")
        body = graph_error(code, message, transient=True).response.body
        headers = {"X-App-Usage": json.dumps(usage), "X-Business-Use-Case-Usage": json.dumps(buc)}
        self.fail_next(n, status=400, headers=headers, body=body, path=path)

    def expire_container(self, container_id: str) -> None:
        self.containers[container_id].status_code = "EXPIRED"

    def set_usage(self, call_count: int, total_cputime: int = 0, total_time: int = 0) -> None:
        """Force the percentages reported in X-App-Usage / X-Business-Use-Case-Usage."""
        self.usage_override = {
            "call_count": call_count,
            "total_cputime": total_cputime,
            "total_time": total_time,
        }

    def published_on(self, platform: str) -> list[Published]:
        return [p for p in self.published if p.platform == platform]

    def quota_usage(self, ig_user_id: str | None = None) -> int:
        since = time.time() - 86400
        uid = ig_user_id or self.ig_user_id
        return sum(
            1
            for p in self.published
            if p.platform == "instagram" and p.account_id == uid and p.timestamp >= since
        )

    # ---------------------------------------------------------------- server hooks
    def error_body(self, status: int, message: str) -> Any:
        code, msg = {
            429: (4, "(#4) Application request limit reached"),
            500: (1, "An unknown error has occurred."),
            503: (2, "Service temporarily unavailable"),
            404: (803, "(#803) Some of the aliases you requested do not exist"),
        }.get(status, (1, message))
        return {
            "error": {
                "message": msg,
                "type": "OAuthException",
                "code": code,
                "is_transient": status >= 429,
                "fbtrace_id": secrets.token_urlsafe(9),
            }
        }

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        with self.lock:
            self.calls += 1
        usage = self.usage_override or {
            "call_count": min(100, self.calls // 10),
            "total_cputime": min(100, self.calls // 20),
            "total_time": min(100, self.calls // 20),
        }
        headers = {"X-App-Usage": json.dumps(usage), "facebook-api-version": "v26.0"}
        token = self.tokens.get(self._token_of(request) or "")
        if token is not None and token.kind == "page" and token.page_id:
            buc = {token.page_id: [{"type": "pages", **usage, "estimated_time_to_regain_access": 0}]}
            headers["X-Business-Use-Case-Usage"] = json.dumps(buc)
        elif self.ig_user_id in request.path:
            buc = {self.ig_user_id: [{"type": "instagram", **usage, "estimated_time_to_regain_access": 0}]}
            headers["X-Business-Use-Case-Usage"] = json.dumps(buc)
        return headers

    def not_found(self, request: Request) -> Response:
        return Response(
            400,
            graph_error(
                100, f"(#100) Unsupported {request.method.lower()} request or unknown path {request.path}"
            ).response.body,
        )

    # ---------------------------------------------------------------- routes
    def _register(self) -> None:
        r = self.route
        r("GET", V + r"oauth/access_token$", self._oauth_access_token)
        # Instagram API with Instagram Login (publishing.md §1.0): api.instagram.com code exchange
        # (unversioned), graph.instagram.com long-lived exchange and refresh. One fake serves both hosts.
        r("POST", r"^/oauth/access_token$", self._ig_login_code)
        r("GET", V + r"access_token$", self._ig_login_exchange)
        r("GET", V + r"refresh_access_token$", self._ig_login_refresh)
        r("GET", V + r"me$", self._me)
        r("GET", V + r"me/accounts$", self._me_accounts)
        r("GET", V + r"me/permissions$", self._me_permissions)
        r("GET", V + ID + r"/media$", self._list_ig_media)
        r("GET", V + ID + r"/(?P<edge>feed|published_posts|scheduled_posts)$", self._list_page_posts)
        r("POST", V + ID + r"/media$", self._create_container)
        r("POST", V + ID + r"/media_publish$", self._media_publish)
        r("GET", V + ID + r"/content_publishing_limit$", self._publishing_limit)
        r("GET", V + ID + r"/available_catalogs$", self._available_catalogs)
        r("GET", V + ID + r"/catalog_product_search$", self._catalog_search)
        r("POST", V + ID + r"/comments$", self._create_comment)
        r("GET", V + ID + r"/comments$", self._list_comments)
        r("POST", V + ID + r"/photos$", self._fb_photos)
        r("POST", V + ID + r"/feed$", self._fb_feed)
        r("POST", V + ID + r"/videos$", self._fb_videos)
        r("POST", V + ID + r"/video_reels$", self._fb_video_reels)
        r("POST", r"^/ig-api-upload/(?:v\d+\.\d+/)?" + ID + "$", self._rupload_ig)
        r("POST", r"^/video-upload/(?:v\d+\.\d+/)?" + ID + "$", self._rupload_fb)
        r("GET", V + r"(?P<id>\d+(?:_\d+)?)$", self._get_object)

    # ---------------------------------------------------------------- auth
    @staticmethod
    def _token_of(req: Request) -> str | None:
        token = req.params.get("access_token")
        if token:
            return str(token)
        auth = req.header("authorization") or ""
        for scheme in ("Bearer ", "OAuth "):
            if auth.startswith(scheme):
                return auth[len(scheme) :].strip()
        return None

    def _auth(self, req: Request) -> Token:
        token = self._token_of(req)
        if not token:
            raise graph_error(104, "An access token is required to request this resource.", status=400)
        if token in self.expired_tokens:
            raise graph_error(
                190,
                "Error validating access token: Session has expired.",
                463,
                status=self.token_error_status,
            )
        info = self.tokens.get(token)
        if info is None:
            raise graph_error(
                190,
                "Invalid OAuth access token - Cannot parse access token",
                467,
                status=self.token_error_status,
            )
        return info

    def _auth_ig(self, req: Request, ig_user_id: str) -> Token:
        token = self._auth(req)
        if ig_user_id not in {p["ig"] for p in self.pages}:
            raise graph_error(
                100,
                f"Unsupported post request. Object with ID '{ig_user_id}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation",
                33,
            )
        return token

    def _auth_page(self, req: Request, page_id: str) -> Token:
        token = self._auth(req)
        if page_id not in {p["id"] for p in self.pages}:
            raise graph_error(100, f"Object with ID '{page_id}' does not exist", 33)
        if token.kind != "page" or token.page_id != page_id:
            raise graph_error(
                200,
                "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
                "as an admin with sufficient administrative permission (use the Page access token)",
                status=403,
            )
        return token

    # ---------------------------------------------------------------- OAuth + account discovery
    def _oauth_access_token(self, req: Request, m: re.Match[str]) -> Response:
        p = req.params
        if p.get("client_id") != self.app_id or p.get("client_secret") != self.app_secret:
            raise graph_error(1, "Error validating client secret.")
        if p.get("grant_type") == "fb_exchange_token":
            old = str(p.get("fb_exchange_token") or "")
            if old in self.expired_tokens or self.tokens.get(old, Token("x")).kind != "user":
                raise graph_error(190, "Error validating access token: Session has expired.", 463)
            token = self.add_token("EAAfakeLONG" + secrets.token_hex(8))
            self.tokens[token].long_lived = True
            return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944})
        code = str(p.get("code") or "")
        if code not in self.codes:
            raise graph_error(100, "Invalid verification code format.", 36007)
        if self.codes.pop(code) != p.get("redirect_uri"):
            raise graph_error(
                100,
                "Error validating verification code. Please make sure your redirect_uri "
                "is identical to the one you used in the OAuth dialog request",
                36008,
            )
        token = self.add_token("EAAfakeSHORT" + secrets.token_hex(8))
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 5183976})

    def _ig_login_code(self, req: Request, m: re.Match[str]) -> Response:
        p = req.form or req.params
        if p.get("client_id") != self.app_id or p.get("client_secret") != self.app_secret:
            raise graph_error(1, "Error validating client secret.", type_="OAuthException")
        if p.get("grant_type") != "authorization_code":
            raise graph_error(100, "Invalid grant_type")
        code = str(p.get("code") or "")
        if code not in self.codes:
            raise graph_error(100, "Invalid verification code format.", 36007)
        if self.codes.pop(code) != p.get("redirect_uri"):
            raise graph_error(100, "Error validating verification code: redirect_uri mismatch", 36008)
        token = "IGAAfakeSHORT" + secrets.token_hex(8)
        self.tokens[token] = Token("ig_login")
        return Response(
            200,
            {
                "access_token": token,
                "user_id": int(self.ig_user_id),
                "permissions": "instagram_business_basic,instagram_business_content_publish",
            },
        )

    def _ig_login_exchange(self, req: Request, m: re.Match[str]) -> Response:
        p = req.params
        if p.get("grant_type") != "ig_exchange_token" or p.get("client_secret") != self.app_secret:
            raise graph_error(1, "Error validating client secret.")
        old = self._auth(req)
        if old.kind != "ig_login":
            raise graph_error(190, "Invalid OAuth access token - Cannot parse access token", 467)
        token = "IGAAfakeLONG" + secrets.token_hex(8)
        self.tokens[token] = Token("ig_login", long_lived=True)
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 5184000})

    def _ig_login_refresh(self, req: Request, m: re.Match[str]) -> Response:
        if req.params.get("grant_type") != "ig_refresh_token":
            raise graph_error(100, "Invalid grant_type")
        old = self._auth(req)
        if old.kind != "ig_login" or not old.long_lived:
            raise graph_error(190, "Error validating access token: only long-lived tokens can be refreshed")
        self.refreshed_ig_tokens += 1
        token = "IGAAfakeREFRESHED" + secrets.token_hex(8)
        self.tokens[token] = Token("ig_login", long_lived=True)
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 5184000})

    def _me(self, req: Request, m: re.Match[str]) -> Response:
        token = self._auth(req)
        if token.kind == "ig_login":  # graph.instagram.com/me?fields=user_id,username,…
            return Response(
                200,
                {"id": self.ig_user_id, "user_id": self.ig_user_id, "username": self.ig_username},
            )
        if token.kind == "page":
            page = next(p for p in self.pages if p["id"] == token.page_id)
            return Response(200, {"id": page["id"], "name": page["name"]})
        return Response(200, {"id": "10150000000000001", "name": "Studio Test User"})

    def _paged(self, req: Request, rows: list[dict[str, Any]], default_fields: str) -> Response:
        """Graph cursor paging: `limit` + `after`, `paging.cursors.{before,after}` and `paging.next`.

        Like Meta, `next` repeats the query *including access_token* — clients must not log it.
        """
        fields = self._fields(req, default_fields)
        try:
            limit = max(1, min(100, int(req.params.get("limit") or 25)))
        except ValueError:
            raise graph_error(100, "(#100) Param limit must be an integer") from None
        start = _decode_cursor(req.params.get("after")) if req.params.get("after") else 0
        chunk = [_project(row, fields) for row in rows[start : start + limit]]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            end = start + len(chunk)
            body["paging"] = {"cursors": {"before": _encode_cursor(start), "after": _encode_cursor(end)}}
            if end < len(rows):
                query = {k: v for k, v in req.query.items() if k != "after"}
                query.update(limit=str(limit), after=_encode_cursor(end))
                body["paging"]["next"] = f"{self.url}{req.path}?{urlencode(query)}"
        return Response(200, body)

    def _me_accounts(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req)
        rows = []
        for page in self.pages:
            row = {
                "id": page["id"],
                "name": page["name"],
                "access_token": page["token"],
                "category": "Shopping & retail",
                "category_list": [{"id": "200600219953504", "name": "Shopping & retail"}],
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            }
            if page["ig"]:
                row["instagram_business_account"] = {"id": page["ig"], "username": self.ig_username}
            rows.append(row)
        return self._paged(req, rows, "id,name,access_token,category,tasks")

    def _me_permissions(self, req: Request, m: re.Match[str]) -> Response:
        self._auth(req)
        perms = (
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_posts",
            "publish_video",
            "instagram_basic",
            "instagram_content_publish",
            "catalog_management",
            "instagram_shopping_tag_products",
            "instagram_manage_comments",
            "business_management",
        )
        return Response(200, {"data": [{"permission": p, "status": "granted"} for p in perms]})

    def _published_rows(self, platform: str, account_id: str, scheduled: bool | None) -> list[dict[str, Any]]:
        """Newest first, as Graph lists media and posts (what a client reads to reconcile a lost answer)."""
        rows = []
        for pub in reversed(self.published):
            if pub.platform != platform or pub.account_id != account_id:
                continue
            is_scheduled = pub.scheduled_publish_time is not None
            if scheduled is not None and is_scheduled != scheduled:
                continue
            rows.append(self._published_json(pub))
        return rows

    def _published_json(self, pub: Published) -> dict[str, Any]:
        return {
            "id": pub.id,
            "permalink": pub.permalink,
            "permalink_url": pub.permalink,
            "media_type": "CAROUSEL_ALBUM" if pub.kind == "CAROUSEL" else pub.kind,
            "caption": pub.caption,
            "message": pub.caption,
            "timestamp": _iso(pub.timestamp),
            "created_time": _iso(pub.timestamp),
            "scheduled_publish_time": pub.scheduled_publish_time,
            "is_published": pub.scheduled_publish_time is None,
        }

    def _list_ig_media(self, req: Request, m: re.Match[str]) -> Response:
        self._auth_ig(req, m["id"])
        return self._paged(req, self._published_rows("instagram", m["id"], None), "id")

    def _list_page_posts(self, req: Request, m: re.Match[str]) -> Response:
        self._auth_page(req, m["id"])
        scheduled = {"feed": None, "published_posts": False, "scheduled_posts": True}[m["edge"]]
        return self._paged(
            req, self._published_rows("facebook", m["id"], scheduled), "id,message,created_time"
        )

    # ---------------------------------------------------------------- IG: containers
    def _create_container(self, req: Request, m: re.Match[str]) -> Response:
        ig = m["id"]
        self._auth_ig(req, ig)
        p = req.params
        media_type = str(p.get("media_type") or "").upper() or None
        is_item = as_bool(p.get("is_carousel_item"))
        if media_type not in (None, "IMAGE", "VIDEO", "CAROUSEL", "REELS", "STORIES"):
            raise graph_error(
                100,
                "The media type is not supported. Supported types: IMAGE, VIDEO, CAROUSEL, REELS, STORIES",
                2207023,
            )
        if media_type == "VIDEO" and not is_item:
            raise graph_error(
                100, "media_type=VIDEO is only for carousel items; single videos are REELS", 2207023
            )
        if is_item and media_type in ("REELS", "STORIES", "CAROUSEL"):
            raise graph_error(100, f"(#100) {media_type} cannot be a carousel item")
        kind = media_type or "IMAGE"
        is_video = kind in ("VIDEO", "REELS") or (kind == "STORIES" and bool(p.get("video_url")))
        resumable = str(p.get("upload_type") or "") == "resumable"
        if resumable and not is_video:
            raise graph_error(100, "(#100) upload_type=resumable is only for videos")

        c = Container(
            str(next(self._ids)), ig, kind, is_item, dict(p), upload_type="resumable" if resumable else None
        )
        self._check_text_params(c, p, is_video)
        if kind == "CAROUSEL":
            self._check_carousel(c, p)
        elif is_video:
            if not resumable:
                url = p.get("video_url")
                if not url:
                    raise graph_error(100, "(#100) The parameter video_url is required")
                c.fail_with = self._check_video_url(str(url))
        else:
            url = p.get("image_url")
            if not url:
                raise graph_error(100, "(#100) The parameter image_url is required")
            self._check_image(str(url), check_aspect=kind != "STORIES")
        c.user_tags = self._check_user_tags(p.get("user_tags"), kind, is_video, is_item)
        c.product_tags = self._check_product_tags(p.get("product_tags"), kind, is_video, is_item)
        if self._next_errors:
            c.fail_with = self._next_errors.pop(0)
        elif self._container_rng is not None and self._container_rng.random() < self._container_error_p:
            c.fail_with = "Error: Media upload has failed with error code 2207032"
        c.polls_left = {"CAROUSEL": self.carousel_polls}.get(
            kind, self.video_polls if is_video else self.image_polls
        )
        if c.polls_left <= 0 and not c.uploading:
            self._finish(c)
        self.containers[c.id] = c
        body: dict[str, Any] = {"id": c.id}
        if resumable:
            body["uri"] = f"{self.url}/ig-api-upload/v26.0/{c.id}"
        return Response(200, body)

    def _check_text_params(self, c: Container, p: dict[str, Any], is_video: bool) -> None:
        kind, item = c.media_type, c.is_carousel_item
        caption = p.get("caption")
        if caption:
            if item:
                raise graph_error(100, "(#100) Param caption is not allowed for carousel items")
            text = str(caption)
            if len(text) > 2200 or len(re.findall(r"#\w+", text)) > 30 or len(re.findall(r"@\w+", text)) > 20:
                raise graph_error(
                    36004,
                    "The caption is too long.",
                    2207010,
                    user_title="Caption too long",
                    user_msg="Max 2200 characters, 30 hashtags and 20 @-mentions.",
                )
            c.caption = text
        alt = p.get("alt_text")
        if alt:
            if is_video or kind in ("STORIES", "CAROUSEL"):
                raise graph_error(100, "(#100) alt_text is only supported on image posts")
            if len(str(alt)) > 1000:
                raise graph_error(100, "(#100) alt_text must be at most 1000 characters")
        if p.get("location_id") and item:
            raise graph_error(100, "(#100) Param location_id is not allowed for carousel items")
        collab = p.get("collaborators")
        if collab:
            if item or kind == "STORIES":
                raise graph_error(100, "(#100) param collaborators is not allowed for this media")
            names = parse_relaxed_json(collab, "collaborators") if str(collab).lstrip()[:1] == "[" else None
            names = names if names is not None else str(collab).split(",")
            if len(names) > 3:
                raise graph_error(100, "(#100) At most 3 collaborators are allowed")

    def _check_carousel(self, c: Container, p: dict[str, Any]) -> None:
        raw = p.get("children")
        if isinstance(raw, str) and raw.strip().startswith("["):
            raw = parse_relaxed_json(raw, "children")
        ids = [
            str(x).strip()
            for x in (raw if isinstance(raw, list) else str(raw or "").split(","))
            if str(x).strip()
        ]
        if not 2 <= len(ids) <= 10:
            raise graph_error(
                100,
                "The carousel must have between 2 and 10 items.",
                2207028,
                user_title="Carousel item count",
                user_msg="Use 2 to 10 items.",
            )
        total_tags = 0
        for cid in ids:
            child = self.containers.get(cid)
            if child is None or child.ig_user_id != c.ig_user_id:
                raise graph_error(24, "The media with the given id was not found.", 2207006)
            if not child.is_carousel_item:
                raise graph_error(100, f"(#100) Container {cid} was not created with is_carousel_item=true")
            if child.status_code in ("ERROR", "EXPIRED", "PUBLISHED"):
                raise graph_error(100, f"(#100) Carousel item {cid} is {child.status_code}")
            total_tags += len(child.product_tags)
        if total_tags > PRODUCT_TAG_LIMITS["CAROUSEL"]:
            raise graph_error(100, "Too many product tags: a carousel allows 20 in total.", 2207040)
        if p.get("product_tags"):
            raise graph_error(
                100, "(#100) product_tags go on the carousel items, not on the carousel container"
            )
        c.children = ids

    def _check_image(self, url: str, check_aspect: bool) -> None:
        got = fetch(url)
        if got is None or got.status != 200:
            raise graph_error(
                9004,
                "The media could not be fetched from this URI.",
                2207052,
                user_title="Media download failed",
                user_msg=f"Could not fetch {url.split('?')[0]}",
            )
        if len(got.data) > IMAGE_MAX_BYTES:
            raise graph_error(
                36000,
                "The image size is too large.",
                2207004,
                user_title="Image size too large",
                user_msg="The image is too large to download. It should be less than 8 MiB.",
            )
        if not got.data.startswith(b"\xff\xd8\xff"):
            raise graph_error(
                36001,
                "The image format is not supported.",
                2207005,
                user_title="Unsupported format",
                user_msg="Only JPEG images are supported.",
            )
        if check_aspect:
            try:
                w, h = Image.open(io.BytesIO(got.data)).size
            except Exception:
                raise graph_error(36001, "The image format is not supported.", 2207005) from None
            if not 0.8 - 1e-3 <= w / h <= 1.91 + 1e-3:
                raise graph_error(
                    36003,
                    "The aspect ratio is not supported.",
                    2207009,
                    user_title="Unsupported aspect ratio",
                    user_msg="Aspect ratio must be between 4:5 and 1.91:1.",
                )

    @staticmethod
    def _check_video_url(url: str) -> str | None:
        """Videos are fetched while the container processes: failures end in ERROR, not in a 400."""
        got = fetch(url)
        if got is None or got.status != 200:
            return "Error: Media download has failed. The media URI doesn't meet our requirements. 2207052"
        if got.data[4:8] != b"ftyp":
            return VIDEO_FORMAT_ERROR
        return None

    def _check_user_tags(self, raw: Any, kind: str, is_video: bool, is_item: bool) -> list[dict[str, Any]]:
        if not raw:
            return []
        if is_video and is_item:
            raise graph_error(100, "(#100) user_tags are not supported on videos in carousels")
        tags = parse_relaxed_json(raw, "user_tags")
        if not isinstance(tags, list) or not all(isinstance(t, dict) and t.get("username") for t in tags):
            raise graph_error(100, "(#100) user_tags must be a list of {username, x, y}")
        if len(tags) > 20:
            raise graph_error(100, "Too many tags.", 2207040)
        for t in tags:
            has_xy = "x" in t and "y" in t
            if kind in ("IMAGE",) and not has_xy:
                raise graph_error(100, "(#100) user_tags on images need x and y")
            if has_xy:
                self._check_xy(t)
        return tags

    def _check_product_tags(self, raw: Any, kind: str, is_video: bool, is_item: bool) -> list[dict[str, Any]]:
        if not raw:
            return []
        if kind == "STORIES":
            raise graph_error(100, "(#100) Product tags are not supported on stories")
        tags = parse_relaxed_json(raw, "product_tags")
        if not isinstance(tags, list) or not all(isinstance(t, dict) and t.get("product_id") for t in tags):
            raise graph_error(100, "(#100) product_tags must be a list of {product_id, x, y}")
        if not self.eligible:
            raise graph_error(
                100, "Could not add product tags: the account is not eligible for product tagging.", 2207037
            )
        limit_key = "CAROUSEL_ITEM" if is_item else kind
        limit = PRODUCT_TAG_LIMITS.get(limit_key, 20)
        if len(tags) > limit:
            raise graph_error(
                100,
                f"Too many product tags: at most {limit} for this media.",
                2207040,
                user_title="Too many tags",
                user_msg=f"Tag at most {limit} products.",
            )
        ids = [str(t["product_id"]) for t in tags]
        if len(set(ids)) != len(ids):
            raise graph_error(100, "Could not add all product tags: duplicate product ids.", 2207037)
        for t in tags:
            has_xy = "x" in t or "y" in t
            if is_video and has_xy:
                raise graph_error(100, "Product tag positions are not supported for videos.", 2207035)
            if not is_video and not ("x" in t and "y" in t):
                raise graph_error(100, "Product tag positions (x, y) are required for photos.", 2207036)
            if has_xy:
                self._check_xy(t)
            status = self.catalog.get(str(t["product_id"]), "approved" if not self.catalog else None)
            if status is None or status == "rejected":
                raise graph_error(
                    100,
                    f"Could not add all product tags: product {t['product_id']} cannot be tagged.",
                    2207037,
                )
        return [dict(t, product_id=str(t["product_id"])) for t in tags]

    @staticmethod
    def _check_xy(t: dict[str, Any]) -> None:
        try:
            x, y = float(t["x"]), float(t["y"])
        except (KeyError, TypeError, ValueError):
            raise graph_error(100, "(#100) x and y must be numbers") from None
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise graph_error(100, "(#100) x and y must be between 0.0 and 1.0 (from the top-left)")

    def _finish(self, c: Container) -> None:
        if c.fail_with:
            c.status_code, c.status = "ERROR", c.fail_with
        else:
            c.status_code, c.status = (
                "FINISHED",
                "Finished: Media has been uploaded and it is ready to be published.",
            )

    def _advance(self, c: Container) -> None:
        """One poll's worth of processing (polls stand in for wall time, so tests never sleep)."""
        c.polls += 1
        if c.status_code != "IN_PROGRESS" or c.uploading:
            return
        if c.media_type == "CAROUSEL":
            kids = [self.containers[k] for k in c.children]
            for kid in kids:
                self._advance(kid)
            if any(k.status_code == "ERROR" for k in kids):
                c.status_code, c.status = "ERROR", "Error: a carousel item failed to process. 2207032"
                return
            if any(k.status_code != "FINISHED" for k in kids):
                return
        c.polls_left -= 1
        if c.polls_left <= 0:
            self._finish(c)

    def _container_view(self, req: Request, c: Container) -> Response:
        self._advance(c)
        fields = self._fields(req, "id")
        full: dict[str, Any] = {"id": c.id, "status_code": c.status_code, "status": c.status or c.status_code}
        if "video_status" in fields:
            done = not c.uploading
            full["video_status"] = {
                "uploading_phase": {
                    "status": "complete" if done else "in_progress",
                    "bytes_transferred": c.received,
                },
                "processing_phase": {"status": "complete" if c.status_code == "FINISHED" else "in_progress"},
            }
        return Response(200, {k: v for k, v in full.items() if k in fields or k == "id"})

    # ---------------------------------------------------------------- IG: publish + limits
    def _media_publish(self, req: Request, m: re.Match[str]) -> Response:
        ig = m["id"]
        self._auth_ig(req, ig)
        cid = str(req.params.get("creation_id") or "")
        c = self.containers.get(cid)
        if c is None or c.ig_user_id != ig:
            raise graph_error(24, "The media with the given id was not found.", 2207006)
        if c.is_carousel_item:
            raise graph_error(100, "(#100) A carousel item cannot be published on its own")
        if c.status_code == "PUBLISHED":
            raise graph_error(
                100, f"(#100) The media container {cid} has already been published (media {c.media_id})"
            )
        if c.status_code == "EXPIRED":
            raise graph_error(-2, "The media has expired.", 2207020, transient=False)
        if c.status_code != "FINISHED":
            raise graph_error(
                9007,
                "Media ID is not available",
                2207027,
                user_title="Media not ready",
                user_msg="The media is not ready for publishing, please wait for a moment.",
            )
        if self.quota_usage(ig) >= self.quota_total:
            raise graph_error(
                9,
                "Application request limit reached",
                2207042,
                user_title="Max posts reached",
                user_msg="You have reached the maximum number of posts allowed in 24 hours.",
            )
        media_id = str(next(self._ids))
        c.status_code, c.status, c.media_id = "PUBLISHED", "Published", media_id
        children, tags = [], list(c.product_tags)
        for kid in (self.containers[k] for k in c.children):
            kid.status_code = "PUBLISHED"
            children.append(
                {
                    "container_id": kid.id,
                    "media_type": kid.media_type,
                    "image_url": kid.params.get("image_url"),
                    "product_tags": kid.product_tags,
                }
            )
            tags.extend(kid.product_tags)
        shortcode = base64.urlsafe_b64encode(int(media_id).to_bytes(8, "big")).decode().rstrip("=")
        self.published.append(
            Published(
                "instagram",
                c.media_type,
                media_id,
                ig,
                c.caption,
                children,
                tags,
                f"https://www.instagram.com/p/{shortcode}/",
                cid,
                params=_public(c.params),
            )
        )
        return Response(200, {"id": media_id})

    def _publishing_limit(self, req: Request, m: re.Match[str]) -> Response:
        self._auth_ig(req, m["id"])
        fields = self._fields(req, "quota_usage")
        row: dict[str, Any] = {}
        if "quota_usage" in fields:
            row["quota_usage"] = self.quota_usage(m["id"])
        if "config" in fields:
            row["config"] = {"quota_total": self.quota_total, "quota_duration": 86400}
        return Response(200, {"data": [row]})

    def _available_catalogs(self, req: Request, m: re.Match[str]) -> Response:
        self._auth_ig(req, m["id"])
        return Response(
            200,
            {
                "data": [
                    {
                        "catalog_id": self.catalog_id,
                        "catalog_name": "Studio Demo Catalog",
                        "shop_name": "Studio Demo Shop",
                        "product_count": len(self.catalog),
                    }
                ]
            },
        )

    def _catalog_search(self, req: Request, m: re.Match[str]) -> Response:
        self._auth_ig(req, m["id"])
        if req.params.get("catalog_id") != self.catalog_id:
            raise graph_error(100, "(#100) Param catalog_id is required and must be an available catalog")
        q = str(req.params.get("q") or "").lower()
        data = [
            {
                "product_id": int(pid),
                "merchant_id": 90010177253934,
                "product_name": f"Product {pid}",
                "retailer_id": self.retailer_ids.get(pid, f"SKU-{pid}"),
                "review_status": status,
                "is_checkout_flow": True,
            }
            for pid, status in self.catalog.items()
            if not q
            or q in pid
            or q in self.retailer_ids.get(pid, f"sku-{pid}").lower()
            or q in f"product {pid}"
        ]
        # Items synced through items_batch (graph_catalog.py) are in the catalog too, approved.
        synced = getattr(self, "catalog_state", None)
        for rid, item in (synced.items.get(self.catalog_id, {}) if synced is not None else {}).items():
            pid = synced.product_ids.get(rid)
            title = str(item.get("title") or item.get("name") or rid)
            if pid and (not q or q == rid.lower() or q in title.lower()):
                data.append(
                    {
                        "product_id": int(pid),
                        "merchant_id": 90010177253934,
                        "product_name": title,
                        "retailer_id": rid,
                        "review_status": "approved",
                        "is_checkout_flow": True,
                    }
                )
        return Response(200, {"data": data})

    # ---------------------------------------------------------------- comments (IG media)
    def _commented(self, req: Request, media_id: str) -> Published:
        self._auth(req)
        pub = next((p for p in self.published if p.id == media_id and p.platform == "instagram"), None)
        if pub is None:
            raise graph_error(100, f"(#100) Unsupported request - media {media_id} does not exist")
        return pub

    def _create_comment(self, req: Request, m: re.Match[str]) -> Response:
        """POST /{ig-media-id}/comments?message=… → {"id"} (Meta's IG Media comments reference)."""
        pub = self._commented(req, m["id"])
        message = str(req.params.get("message") or "")
        if not message.strip():
            raise graph_error(100, "(#100) The parameter message is required")
        if len(message) > 2200:
            raise graph_error(100, "(#100) The comment is too long")
        comment = {"id": str(next(self._ids)), "text": message, "timestamp": _iso(time.time())}
        pub.comments.append(comment)
        return Response(200, {"id": comment["id"]})

    def _list_comments(self, req: Request, m: re.Match[str]) -> Response:
        pub = self._commented(req, m["id"])
        rows = [dict(c) for c in reversed(pub.comments)]  # newest first
        return self._paged(req, rows, "id,text,timestamp")

    # ---------------------------------------------------------------- generic object reads
    def _get_object(self, req: Request, m: re.Match[str]) -> Response:
        oid = m["id"]
        self._auth(req)
        if oid in self.containers:
            return self._container_view(req, self.containers[oid])
        fields = self._fields(req, "id")
        for pub in self.published:
            if pub.id == oid:
                full = self._published_json(pub)
                return Response(200, {k: v for k, v in full.items() if k in fields or k == "id"})
        if oid in self.videos:
            return Response(200, self._video_status(self.videos[oid], fields))
        for page in self.pages:
            if page["ig"] == oid:
                full = {
                    "id": oid,
                    "username": self.ig_username,
                    "name": "Studio Demo",
                    "profile_picture_url": "https://example.invalid/p.jpg",
                    "shopping_product_tag_eligibility": self.eligible,
                    "media_count": len(self.published_on("instagram")),
                }
                return Response(200, {k: v for k, v in full.items() if k in fields or k == "id"})
            if page["id"] == oid:
                full = {"id": oid, "name": page["name"], "access_token": page["token"]}
                if page["ig"]:
                    full["instagram_business_account"] = {"id": page["ig"]}
                return Response(200, {k: v for k, v in full.items() if k in fields or k == "id"})
        raise graph_error(
            100,
            f"Unsupported get request. Object with ID '{oid}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation",
            33,
        )

    @staticmethod
    def _fields(req: Request, default: str) -> set[str]:
        """Top-level names of `fields=`, honouring Graph's nested syntax (`a,b{c,d{e}},f`).

        A comma inside braces belongs to the nested selection, so
        `instagram_business_account{id,username}` selects `instagram_business_account` (not the bogus
        names "instagram_business_account{id" and "username}"). The nested selections are kept on the
        returned set as `.nested` (name → raw inner text) for handlers that project sub-objects.
        """
        names = _FieldSet()
        depth, start = 0, 0
        text = str(req.params.get("fields") or default) + ","
        for i, ch in enumerate(text):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth = max(0, depth - 1)
            elif ch == "," and depth == 0:
                part = text[start:i].strip()
                start = i + 1
                if not part:
                    continue
                name, brace, inner = part.partition("{")
                name = name.split(".")[0].strip()  # `field.limit(5)` modifiers: keep the name only
                names.add(name)
                if brace:
                    names.nested[name] = inner[: inner.rfind("}")] if "}" in inner else inner
        return names

    # ---------------------------------------------------------------- resumable uploads (rupload)
    def _rupload(self, req: Request) -> tuple[bytes, int | None, int]:
        """Headers `Authorization: OAuth <token>`, `offset`, `file_size` + raw body, or `file_url`
        (§1.2, §2.4)."""
        auth = req.header("authorization") or ""
        if not auth.startswith("OAuth "):
            raise self._rupload_error("AuthException", "Authorization: OAuth <token> required", 401)
        self._auth(req)
        file_url = req.header("file_url")
        if file_url:
            got = fetch(file_url)
            if got is None or got.status != 200:
                raise self._rupload_error("ProcessingFailedError", "file_url could not be fetched")
            return got.data, len(got.data), 0
        try:
            offset = int(req.header("offset") or 0)
            size = int(req.header("file_size") or 0) or None
        except ValueError:
            raise self._rupload_error(
                "PartialRequestError", "offset and file_size must be integers"
            ) from None
        return req.body, size, offset

    @staticmethod
    def _rupload_error(kind: str, message: str, status: int = 400) -> HttpError:
        """rupload's own error shape (not Graph's): `{"debug_info": {"retriable", "type", "message"}}`."""
        return HttpError(
            Response(status, {"debug_info": {"retriable": False, "type": kind, "message": message}})
        )

    def _take_bytes(self, target: Container | FbVideo, data: bytes, size: int | None, offset: int) -> None:
        """Append a chunk at `offset`. Re-sending an already received range is accepted (that is how a
        client resumes after a lost answer); a gap is `OffsetInvalidError`."""
        if offset > target.received:
            raise self._rupload_error(
                "OffsetInvalidError", f"Expected offset <= {target.received}, got {offset}"
            )
        if offset == 0 and data:
            target.head = data[:16]
        target.file_size = size if size is not None else max(target.received, offset + len(data))
        target.received = max(target.received, offset + len(data))

    def _rupload_ig(self, req: Request, m: re.Match[str]) -> Response:
        data, size, offset = self._rupload(req)
        c = self.containers.get(m["id"])
        if c is None or c.upload_type != "resumable":
            raise self._rupload_error("ProcessingFailedError", "Unknown upload session")
        self._take_bytes(c, data, size, offset)
        if not c.uploading and c.status_code == "IN_PROGRESS":
            if c.head[4:8] != b"ftyp":
                c.fail_with = c.fail_with or VIDEO_FORMAT_ERROR
            if c.polls_left <= 0:
                self._finish(c)
        return Response(200, {"success": True, "message": "Upload successful."})

    def _rupload_fb(self, req: Request, m: re.Match[str]) -> Response:
        data, size, offset = self._rupload(req)
        v = self.videos.get(m["id"])
        if v is None:
            raise self._rupload_error("ProcessingFailedError", "Unknown video id")
        self._take_bytes(v, data, size, offset)
        return Response(200, {"success": True})

    def _video_status(self, v: FbVideo, fields: set[str]) -> dict[str, Any]:
        uploaded = v.file_size is not None and v.received >= v.file_size
        if uploaded and v.polls_left > 0:
            v.polls_left -= 1
        processed = uploaded and v.polls_left <= 0
        status = {
            "video_status": "ready" if processed else ("processing" if uploaded else "uploading"),
            "uploading_phase": {
                "status": "complete" if uploaded else "in_progress",
                "bytes_transfered": v.received,
            },
            "processing_phase": {
                "status": "complete" if processed else ("in_progress" if uploaded else "not_started")
            },
            "publishing_phase": {
                "status": "complete" if v.published else "not_started",
                "publish_status": "published" if v.published else (v.state or "draft").lower(),
            },
        }
        return {"id": v.id, "status": status} if "status" in fields else {"id": v.id}

    # ---------------------------------------------------------------- Facebook Pages
    def _scheduled_time(self, p: dict[str, Any], max_s: int) -> int | None:
        raw = p.get("scheduled_publish_time")
        if raw in (None, ""):
            return None
        try:
            ts = int(raw)
        except (TypeError, ValueError):
            try:
                ts = int(datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp())
            except ValueError:
                raise graph_error(100, "(#100) The specified scheduled publish time is invalid.") from None
        delta = ts - time.time()
        if not self.schedule_min_s <= delta <= max_s:
            raise graph_error(
                100,
                "(#100) The specified scheduled publish time is invalid.",
                user_msg="Pick a time between 10 minutes and 30 days from now.",
            )
        if as_bool(p.get("published"), default=True) and "published" in p:
            raise graph_error(100, "(#100) Scheduled posts must be sent with published=false")
        return ts

    def _fb_post(
        self, page_id: str, kind: str, caption: str | None, scheduled: int | None, **kw: Any
    ) -> Published:
        post_id = f"{page_id}_{next(self._ids)}"
        pub = Published(
            "facebook",
            kind,
            post_id,
            page_id,
            caption,
            scheduled_publish_time=scheduled,
            permalink=f"https://www.facebook.com/{page_id}/posts/{post_id.split('_')[1]}",
            **kw,
        )
        self.published.append(pub)
        return pub

    def _fb_photos(self, req: Request, m: re.Match[str]) -> Response:
        page = m["id"]
        self._auth_page(req, page)
        p = req.params
        if "source" in req.files:
            data = req.files["source"].data
        elif p.get("url"):
            got = fetch(str(p["url"]))
            if got is None or got.status != 200:
                raise graph_error(100, "(#100) url should represent a valid URL", 2061006)
            data = got.data
        else:
            raise graph_error(100, "(#100) Requires a photo: send url or a multipart 'source' file")
        if len(data) > self.photo_max_bytes or not data.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8")):
            raise graph_error(100, "Photos should be smaller than 4 MB and saved as JPG, PNG", 1366046)
        scheduled = self._scheduled_time(p, self.schedule_max_s)
        photo_id = str(next(self._ids))
        caption = p.get("message") or p.get("caption")
        if scheduled is None and not as_bool(p.get("published"), default=True):
            self.unpublished_photos[photo_id] = page
            return Response(200, {"id": photo_id})
        pub = self._fb_post(page, "photo", caption, scheduled, attached_media=[photo_id], params=_public(p))
        return Response(200, {"id": photo_id} if scheduled else {"id": photo_id, "post_id": pub.id})

    def _fb_feed(self, req: Request, m: re.Match[str]) -> Response:
        page = m["id"]
        self._auth_page(req, page)
        p = req.params
        media: list[Any] = []
        raw = p.get("attached_media")
        if raw:
            media = parse_relaxed_json(raw, "attached_media")
        for key in sorted(
            (k for k in p if re.fullmatch(r"attached_media\[\d+\]", k)), key=lambda k: int(k[15:-1])
        ):
            media.append(parse_relaxed_json(p[key], key))
        ids = []
        for item in media:
            fbid = str(item.get("media_fbid") if isinstance(item, dict) else "")
            if self.unpublished_photos.get(fbid) != page:
                raise graph_error(
                    100,
                    f"(#100) attached_media: media_fbid {fbid!r} is not an unpublished photo of this Page",
                )
            if fbid in self.used_photos:
                raise graph_error(100, f"(#100) attached_media: photo {fbid} is already attached to a post")
            ids.append(fbid)
        message = p.get("message")
        if not (message or p.get("link") or ids):
            raise graph_error(100, "(#100) Missing message or attachment")
        scheduled = self._scheduled_time(p, self.schedule_max_s)
        last = next(
            (x for x in reversed(self.published) if x.platform == "facebook" and x.account_id == page), None
        )
        if not ids and message and last is not None and last.caption == message and not last.attached_media:
            raise graph_error(506, "(#506) Duplicate status message")
        self.used_photos.update(ids)
        pub = self._fb_post(page, "feed", message, scheduled, attached_media=ids, params=_public(p))
        return Response(200, {"id": pub.id})

    def _fb_videos(self, req: Request, m: re.Match[str]) -> Response:
        page = m["id"]
        self._auth_page(req, page)
        p = req.params
        if "source" in req.files:
            data = req.files["source"].data
        elif p.get("file_url"):
            got = fetch(str(p["file_url"]))
            if got is None or got.status != 200:
                raise graph_error(100, "(#100) file_url could not be fetched", 2061006)
            data = got.data
        else:
            raise graph_error(100, "(#100) Requires file_url or a multipart 'source' file")
        if data[4:8] != b"ftyp":
            raise graph_error(
                352, "(#352) Sorry, the video file you selected is in a format that we don't support."
            )
        scheduled = self._scheduled_time(p, self.schedule_max_s)
        video_id = str(next(self._ids))
        if scheduled is not None or as_bool(p.get("published"), default=True):
            self._fb_post(
                page, "video", p.get("description"), scheduled, attached_media=[video_id], params=_public(p)
            )
        return Response(200, {"id": video_id})

    def _fb_video_reels(self, req: Request, m: re.Match[str]) -> Response:
        page = m["id"]
        self._auth_page(req, page)
        p = req.params
        phase = str(p.get("upload_phase") or "").lower()
        if phase == "start":
            v = FbVideo(str(next(self._ids)), page, polls_left=self.video_polls)
            self.videos[v.id] = v
            return Response(200, {"video_id": v.id, "upload_url": f"{self.url}/video-upload/v26.0/{v.id}"})
        if phase != "finish":
            raise graph_error(100, "(#100) upload_phase must be one of {START, FINISH}")
        v = self.videos.get(str(p.get("video_id") or ""))
        if v is None or v.page_id != page:
            raise graph_error(100, "(#100) Invalid video_id")
        if v.file_size is None or v.received < v.file_size:
            raise graph_error(100, "(#100) The video upload is not complete")
        if v.published:
            raise graph_error(100, f"(#100) Video {v.id} has already been published")
        state = str(p.get("video_state") or "").upper()
        if state not in ("DRAFT", "PUBLISHED", "SCHEDULED"):
            raise graph_error(100, "(#100) video_state must be one of {DRAFT, PUBLISHED, SCHEDULED}")
        scheduled = None
        if state == "SCHEDULED":
            if not p.get("scheduled_publish_time"):
                raise graph_error(100, "(#100) scheduled_publish_time is required with video_state=SCHEDULED")
            scheduled = self._scheduled_time(
                {k: v for k, v in p.items() if k != "published"}, self.reels_schedule_max_s
            )
        elif p.get("scheduled_publish_time"):
            raise graph_error(100, "(#100) scheduled_publish_time requires video_state=SCHEDULED")
        v.state = state
        if state != "DRAFT":
            v.published = True
            self._fb_post(
                page, "reel", p.get("description"), scheduled, attached_media=[v.id], params=_public(p)
            )
        return Response(200, {"success": True})


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _public(params: dict[str, Any]) -> dict[str, Any]:
    """Params as recorded on `Published` — without the token, so assertion output never shows one."""
    return {k: v for k, v in params.items() if k != "access_token"}


def _encode_cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{n}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    try:
        return int(base64.urlsafe_b64decode(str(cursor).encode()).decode().split(":")[1])
    except (ValueError, IndexError):
        raise graph_error(100, "(#100) Invalid cursor") from None
