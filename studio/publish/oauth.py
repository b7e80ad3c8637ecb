"""OAuth 2 authorization-code flow for a desktop app: system browser + loopback redirect on 127.0.0.1.

Flow (`authorize()`): pick a random `state` (and a PKCE S256 pair where the platform supports it),
start a one-shot `LoopbackReceiver` on 127.0.0.1 and a free port, open the platform's consent page
in the user's browser (opener injectable for tests), wait for the redirect, check `state` in constant
time (mismatch → `AuthorizationFailed`: a page we did not start is trying to log us in — CSRF), and
exchange the code for tokens. For Meta the short-lived user token is exchanged at once for a
long-lived one (`fb_exchange_token`, ~60 days), from which Page tokens are read (`meta_pages`).

PKCE: Meta's is only in its OIDC flow "still in testing"; Pinterest's v5 token endpoint has no
`code_verifier` (publishing.md §2.1, §4.1). So both send the app secret in the exchange, and
`supports_pkce` is False for both; the PKCE code stays for providers that have it.

Token upkeep (`ensure_fresh`): Meta long-lived tokens are re-exchanged a week before expiry (an
expired one cannot be exchanged → `ReconnectNeeded`); Pinterest access tokens are refreshed with
`grant_type=refresh_token` + Basic auth a day before expiry, storing the new refresh token.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import logging
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from studio.publish.errors import AuthorizationFailed, PublishError, ReconnectNeeded
from studio.publish.http import GRAPH_API_VERSION, ApiSession
from studio.publish.redact import REDACTED, register_secret

log = logging.getLogger(__name__)

DAY = 86400.0


# --- tokens -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TokenSet:
    """An access token plus what we know about it. `repr()` never shows the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # epoch seconds; None = does not expire (Meta Page tokens)
    scopes: tuple[str, ...] = ()
    token_type: str = "bearer"
    refresh_expires_at: float | None = None  # Pinterest refresh token expiry (epoch seconds)

    def __post_init__(self) -> None:
        register_secret(self.access_token)
        register_secret(self.refresh_token)

    def __repr__(self) -> str:
        refresh = REDACTED if self.refresh_token else None
        return (
            f"TokenSet(access_token={REDACTED!r}, refresh_token={refresh!r}, expires_at={self.expires_at!r}, "
            f"scopes={self.scopes!r})"
        )

    def expires_in(self, now: float) -> float | None:
        return None if self.expires_at is None else self.expires_at - now

    def is_expired(self, now: float, margin: float = 0.0) -> bool:
        return self.expires_at is not None and self.expires_at - margin <= now

    def can_refresh(self, now: float) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or self.refresh_expires_at > now

    def info(self) -> dict[str, Any]:
        """The non-secret part, for storage next to the tokens."""
        return {
            "expires_at": self.expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "scopes": list(self.scopes),
            "token_type": self.token_type,
        }

    @classmethod
    def from_info(cls, access_token: str, refresh_token: str | None, info: dict[str, Any]) -> TokenSet:
        def num(key: str) -> float | None:
            value = info.get(key)
            return float(value) if isinstance(value, int | float) else None

        scopes = info.get("scopes") or []
        return cls(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=num("expires_at"),
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            token_type=str(info.get("token_type") or "bearer"),
            refresh_expires_at=num("refresh_expires_at"),
        )


def token_set_from_response(
    doc: Any, *, now: float, scopes: Sequence[str] = (), previous: TokenSet | None = None
) -> TokenSet:
    """A `TokenSet` from a token endpoint's JSON (Meta or Pinterest shape)."""
    if not isinstance(doc, dict) or not doc.get("access_token"):
        raise AuthorizationFailed("The token endpoint answered without an access token.", platform="oauth")
    expires_in = doc.get("expires_in")
    scope = doc.get("scope")
    got_scopes: tuple[str, ...] = tuple(scopes)
    if isinstance(scope, str) and scope.strip():
        got_scopes = tuple(s.strip() for s in scope.replace(" ", ",").split(",") if s.strip())
    refresh_expires_at: float | None = None
    if isinstance(doc.get("refresh_token_expires_at"), int | float):
        refresh_expires_at = float(doc["refresh_token_expires_at"])
    elif isinstance(doc.get("refresh_token_expires_in"), int | float):
        refresh_expires_at = now + float(doc["refresh_token_expires_in"])
    elif previous is not None and not doc.get("refresh_token"):
        refresh_expires_at = previous.refresh_expires_at
    return TokenSet(
        access_token=str(doc["access_token"]),
        refresh_token=str(doc.get("refresh_token") or "") or (previous.refresh_token if previous else None),
        expires_at=now + float(expires_in)
        if isinstance(expires_in, int | float) and expires_in > 0
        else None,
        scopes=got_scopes or (previous.scopes if previous else ()),
        token_type=str(doc.get("token_type") or "bearer"),
        refresh_expires_at=refresh_expires_at,
    )


# --- providers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    """What differs between platforms' OAuth (URLs, scope separator, PKCE, how the code is exchanged)."""

    name: str  # "facebook" (Meta, also for Instagram) or "pinterest"
    authorize_url: str
    default_scopes: tuple[str, ...]
    supports_pkce: bool = False
    scope_separator: str = ","


FACEBOOK = OAuthProvider(
    name="facebook",
    authorize_url=f"https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth",
    default_scopes=(
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "publish_video",
        "business_management",
        "instagram_basic",
        "instagram_content_publish",
        "catalog_management",
        "instagram_shopping_tag_products",
        "instagram_manage_comments",  # the first comment with product links (fallback)
        "instagram_manage_insights",  # Insights: per-media metrics
        "read_insights",  # Insights: Page post metrics
    ),
)
PINTEREST = OAuthProvider(
    name="pinterest",
    authorize_url="https://www.pinterest.com/oauth/",
    default_scopes=(
        "boards:read",
        "boards:write",
        "pins:read",
        "pins:write",
        "user_accounts:read",
        "catalogs:read",  # catalog sync: batch status and items
        "catalogs:write",  # catalog sync: items batch upsert/delete
    ),
)
#: The Instagram API with Instagram Login (publishing.md §1.0): no Facebook Page needed, but no
#: product tags and no resumable video upload — the studio's fallback covers the products.
INSTAGRAM_LOGIN = OAuthProvider(
    name="instagram_login",
    authorize_url="https://www.instagram.com/oauth/authorize",
    default_scopes=(
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_comments",  # the first comment with product links
        "instagram_business_manage_insights",  # Insights
    ),
)
PROVIDERS = {
    "facebook": FACEBOOK,
    "instagram": FACEBOOK,
    "instagram_login": INSTAGRAM_LOGIN,
    "pinterest": PINTEREST,
}


def new_state() -> str:
    """An unguessable `state` value (CSRF protection)."""
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) — a 64-char verifier from the RFC's unreserved alphabet."""
    verifier = secrets.token_urlsafe(48)  # 64 chars of [A-Za-z0-9_-]
    return verifier, pkce_challenge(verifier)


def build_authorize_url(
    provider: OAuthProvider,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Sequence[str] | None = None,
    code_challenge: str | None = None,
) -> str:
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": provider.scope_separator.join(scopes or provider.default_scopes),
        "state": state,
    }
    if code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    return f"{provider.authorize_url}?{urlencode(params)}"


# --- loopback receiver -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """The query parameters the browser brought back to the loopback redirect."""

    params: dict[str, str] = field(repr=False)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def error_description(self) -> str | None:
        return self.params.get("error_description") or self.params.get("error_reason")


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:15vh auto;text-align:center;color:#222}}
h1{{font-size:1.4em}}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"""


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 that catches the OAuth redirect.

    Only the first request to `path` counts; it gets a friendly "you can close this tab" page.
    Server logging is silenced (the request line carries the authorization code).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        path: str = "/callback",
        expected_state: str | None = None,
        app_name: str = "Shoppable Studio",
    ) -> None:
        self.path = path
        self._expected_state = expected_state
        self._app = app_name
        self._result: CallbackResult | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return  # never print request lines: they contain the code

        self._server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="oauth-loopback",
            daemon=True,
        )
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path != self.path:
            self._reply(request, 404, "Not found", "This address only receives the sign-in redirect.")
            return
        if self._done.is_set():
            self._reply(request, 200, "Already connected", "You can close this tab.")
            return
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        result = CallbackResult(params)
        if result.error:
            title, text = (
                "Not connected",
                f"The sign-in was not completed ({result.error}). You can close this tab.",
            )
        elif self._expected_state is not None and not secrets.compare_digest(
            result.state or "", self._expected_state
        ):
            title, text = "Not connected", "This sign-in did not come from this app. You can close this tab."
        else:
            title, text = f"Connected to {self._app}", f"You can close this tab and return to {self._app}."
        self._reply(request, 200, title, text)
        self._result = result
        self._done.set()

    @staticmethod
    def _reply(request: http.server.BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(body)

    def wait(self, timeout: float | None = None) -> CallbackResult | None:
        """Block until the redirect arrives (None on timeout)."""
        self._done.wait(timeout)
        return self._result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the flow -----------------------------------------------------------------------------------------


def authorize(
    provider: OAuthProvider,
    *,
    client_id: str,
    client_secret: str,
    session: ApiSession,
    scopes: Sequence[str] | None = None,
    open_browser: Callable[[str], Any] = webbrowser.open,
    timeout: float = 300.0,
    port: int = 0,
    now: Callable[[], float] = time.time,
    long_lived: bool = True,
) -> TokenSet:
    """Run the whole browser flow and return the user's tokens (Meta: already long-lived).

    `session` is an `ApiSession` for the provider's API host (Graph / Pinterest production); the token
    endpoints live there, so the test base-URL overrides apply. `port` 0 picks a free port; give a
    fixed one if the app registration insists on an exact redirect URI.
    """
    register_secret(client_secret)
    state = new_state()
    verifier, challenge = pkce_pair() if provider.supports_pkce else (None, None)
    wanted = tuple(scopes or provider.default_scopes)
    with LoopbackReceiver(port=port, expected_state=state) as receiver:
        url = build_authorize_url(
            provider,
            client_id=client_id,
            redirect_uri=receiver.redirect_uri,
            state=state,
            scopes=wanted,
            code_challenge=challenge,
        )
        log.info("opening the %s sign-in page in the browser", provider.name)
        open_browser(url)
        result = receiver.wait(timeout)
        redirect_uri = receiver.redirect_uri
    if result is None:
        raise AuthorizationFailed(
            f"No answer from the {provider.name.title()} sign-in page within {timeout:.0f} s.",
            platform=provider.name,
            hint="Try connecting again and finish the sign-in in the browser window that opens.",
        )
    if result.error:
        raise AuthorizationFailed(
            f"The {provider.name.title()} sign-in was not completed: "
            f"{result.error_description or result.error}.",
            platform=provider.name,
            hint="Connect again and accept the requested permissions.",
        )
    if not secrets.compare_digest(result.state or "", state):
        raise AuthorizationFailed(
            "The sign-in answer did not match the request (state mismatch); it was rejected as a possible "
            "cross-site request forgery.",
            platform=provider.name,
            hint="Start the connection again from the app.",
        )
    if not result.code:
        raise AuthorizationFailed("The sign-in answer carried no authorization code.", platform=provider.name)
    tokens = exchange_code(
        provider,
        session,
        client_id=client_id,
        client_secret=client_secret,
        code=result.code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        scopes=wanted,
        now=now(),
    )
    if provider.name == "instagram_login" and long_lived:
        from studio.publish.http import make_session

        tokens = instagram_long_lived(
            make_session("instagram_login"), client_secret=client_secret, token=tokens, now=now()
        )
    if provider.name == "facebook" and long_lived:
        tokens = meta_long_lived(
            session, client_id=client_id, client_secret=client_secret, token=tokens, now=now()
        )
    return tokens


def exchange_code(
    provider: OAuthProvider,
    session: ApiSession,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    scopes: Sequence[str] = (),
    now: float,
) -> TokenSet:
    """Authorization code → tokens. Not retried after sending: a code is single-use."""
    register_secret(code)
    if provider.name == "instagram_login":
        # POST https://api.instagram.com/oauth/access_token (form) → short-lived (1 h) token (§1.0).
        form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code": code,
        }
        doc = session.post_json("/oauth/access_token", data=form, idempotent=False)
        if isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc["data"]:
            doc = doc["data"][0]  # some answers wrap the token in a one-element list
        if isinstance(doc, dict) and doc.get("expires_in") is None:
            doc = {**doc, "expires_in": 3600}
        return token_set_from_response(doc, now=now, scopes=scopes)
    if provider.name == "facebook":
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "client_secret": client_secret,
            "code": code,
        }
        if code_verifier:
            params["code_verifier"] = code_verifier
        doc = session.get_json("/oauth/access_token", params=params, idempotent=False)
    else:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        doc = session.post_json("/oauth/token", data=data, auth=(client_id, client_secret), idempotent=False)
    return token_set_from_response(doc, now=now, scopes=scopes)


def meta_long_lived(
    session: ApiSession, *, client_id: str, client_secret: str, token: TokenSet, now: float
) -> TokenSet:
    """Exchange a (short- or long-lived) Meta user token for a fresh ~60-day one (`fb_exchange_token`)."""
    if token.is_expired(now):
        raise ReconnectNeeded(
            "Reconnect the Facebook account: its login expired and Meta cannot extend an expired login.",
            platform="facebook",
        )
    doc = session.get_json(
        "/oauth/access_token",
        params={
            "grant_type": "fb_exchange_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "fb_exchange_token": token.access_token,
        },
        idempotent=True,  # exchanging twice only yields another valid token
    )
    return token_set_from_response(doc, now=now, scopes=token.scopes)


def instagram_long_lived(session: ApiSession, *, client_secret: str, token: TokenSet, now: float) -> TokenSet:
    """Instagram Login: short-lived → 60-day token (`GET graph.instagram.com/access_token`,
    grant_type=ig_exchange_token, publishing.md §1.0)."""
    doc = session.get_json(
        "/access_token",
        params={
            "grant_type": "ig_exchange_token",
            "client_secret": client_secret,
            "access_token": token.access_token,
        },
        idempotent=True,
    )
    return token_set_from_response(doc, now=now, scopes=token.scopes)


def instagram_refresh(session: ApiSession, *, token: TokenSet, now: float) -> TokenSet:
    """Instagram Login: renew a long-lived token (`GET /refresh_access_token`, grant_type=ig_refresh_token).

    publishing.md §1.0: the token must be at least 24 h old and not expired; an expired one cannot be
    renewed (Reconnect)."""
    if token.is_expired(now):
        raise ReconnectNeeded(
            "Reconnect the Instagram account: its login expired and cannot be renewed.", platform="instagram"
        )
    doc = session.get_json(
        "/refresh_access_token",
        params={"grant_type": "ig_refresh_token", "access_token": token.access_token},
        idempotent=True,
    )
    return token_set_from_response(doc, now=now, scopes=token.scopes)


@dataclass(frozen=True, slots=True)
class MetaPage:
    """A Facebook Page the user manages, its Page token, and the linked Instagram business account."""

    id: str
    name: str
    access_token: str = field(repr=False)
    tasks: tuple[str, ...] = ()
    ig_user_id: str | None = None
    ig_username: str | None = None


def meta_pages(session: ApiSession, user_token: TokenSet, *, max_pages: int = 20) -> list[MetaPage]:
    """`GET /me/accounts` (following paging): the Pages with their tokens and linked IG accounts."""
    pages: list[MetaPage] = []
    params: dict[str, Any] | None = {
        "fields": "id,name,access_token,tasks,instagram_business_account{id,username}",
        "limit": 100,
    }
    path = "/me/accounts"
    for _ in range(max_pages):
        doc = session.get_json(path, params=params, token=user_token.access_token)
        for item in doc.get("data", []) if isinstance(doc, dict) else []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            ig = item.get("instagram_business_account") or {}
            register_secret(item.get("access_token"))
            pages.append(
                MetaPage(
                    id=str(item["id"]),
                    name=str(item.get("name") or item["id"]),
                    access_token=str(item.get("access_token") or ""),
                    tasks=tuple(str(t) for t in item.get("tasks") or ()),
                    ig_user_id=str(ig["id"]) if isinstance(ig, dict) and ig.get("id") else None,
                    ig_username=str(ig.get("username"))
                    if isinstance(ig, dict) and ig.get("username")
                    else None,
                )
            )
        after = (
            (((doc.get("paging") or {}).get("cursors") or {}).get("after")) if isinstance(doc, dict) else None
        )
        has_next = isinstance(doc, dict) and (doc.get("paging") or {}).get("next")
        if not after or not has_next:
            break
        params = {**(params or {}), "after": after}
    return pages


def pinterest_refresh(
    session: ApiSession,
    *,
    client_id: str,
    client_secret: str,
    token: TokenSet,
    now: float,
    continuous: bool = True,
) -> TokenSet:
    """`grant_type=refresh_token` with Basic auth; keeps the new (rotated) refresh token."""
    if not token.can_refresh(now):
        raise ReconnectNeeded(
            "Reconnect the Pinterest account: its login can no longer be renewed.", platform="pinterest"
        )
    data = {"grant_type": "refresh_token", "refresh_token": token.refresh_token or ""}
    if continuous:
        data["continuous_refresh"] = "true"  # needed by apps created before 25 Sep 2025; harmless after
    doc = session.post_json("/oauth/token", data=data, auth=(client_id, client_secret), idempotent=False)
    return token_set_from_response(doc, now=now, scopes=token.scopes, previous=token)


#: Renew this long before expiry: Meta's 60-day tokens a week ahead, Pinterest's ~30-day ones a day ahead.
REFRESH_MARGIN = {"facebook": 7 * DAY, "instagram": 7 * DAY, "instagram_login": 7 * DAY, "pinterest": 1 * DAY}


class TokenRefresher:
    """Callable `TokenSet -> TokenSet` that renews a token the platform's way."""

    def __init__(
        self,
        platform: str,
        session: ApiSession,
        *,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.session = session
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        register_secret(client_secret)

    def __call__(self, token: TokenSet) -> TokenSet:
        now = self.clock()
        if self.platform == "instagram_login":
            return instagram_refresh(self.session, token=token, now=now)
        if self.platform == "pinterest":
            return pinterest_refresh(
                self.session, client_id=self.client_id, client_secret=self.client_secret, token=token, now=now
            )
        return meta_long_lived(
            self.session, client_id=self.client_id, client_secret=self.client_secret, token=token, now=now
        )


def ensure_fresh(
    token_set: TokenSet,
    now: float,
    refresher: Callable[[TokenSet], TokenSet] | None = None,
    *,
    margin: float = 3 * DAY,
    account: str | None = None,
    platform: str = "oauth",
) -> TokenSet:
    """Return a token good for a while: `token_set` itself, or a renewed one (store it!).

    Renews when fewer than `margin` seconds are left. A token that is already expired and cannot be
    renewed raises `ReconnectNeeded`; a failed renewal of a still-valid token is logged and the old
    token is used (the next call tries again).
    """
    if token_set.expires_at is None or token_set.expires_at - now > margin:
        return token_set
    expired = token_set.is_expired(now)
    who = account or "the account"
    if refresher is None:
        if expired:
            raise ReconnectNeeded(f"Reconnect {who}: its login expired.", platform=platform, account=account)
        return token_set
    if expired and not token_set.can_refresh(now):
        raise ReconnectNeeded(f"Reconnect {who}: its login expired.", platform=platform, account=account)
    try:
        return refresher(token_set)
    except ReconnectNeeded:
        raise
    except PublishError as exc:
        if expired:
            raise
        log.warning("could not renew the login of %s yet (%s); using the current one", who, exc.what)
        return token_set
