"""OAuth: loopback redirect, state (CSRF) check, PKCE, token exchange/refresh — real HTTP on 127.0.0.1.

The "browser" is a function that reads the authorize URL and drives the redirect with requests.get,
exactly as the user's browser would after consent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
from test_publish_http import FakeTime, Reply, ScriptedServer, meta_error, session_for

from studio.publish.errors import AuthorizationFailed, InvalidRequest, ReconnectNeeded, ServerError
from studio.publish.oauth import (
    FACEBOOK,
    PINTEREST,
    LoopbackReceiver,
    TokenRefresher,
    TokenSet,
    authorize,
    build_authorize_url,
    ensure_fresh,
    meta_pages,
    pinterest_refresh,
    pkce_challenge,
    pkce_pair,
)
from studio.publish.redact import install_redaction

NOW = 1_700_000_000.0
APP_SECRET = "pinterest-app-secret-0001"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime(NOW)


def browser(
    *, state: str | None = None, extra: dict[str, str] | None = None, pages: list[str] | None = None
) -> tuple[Callable[[str], bool], list[str]]:
    """A fake system browser: consent is instant; the redirect goes to the loopback receiver."""
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        q = dict(parse_qsl(urlsplit(url).query))
        params = {
            "code": "AUTH-CODE-123456",
            "state": q["state"] if state is None else state,
            **(extra or {}),
        }
        if extra and "error" in extra:
            params.pop("code")
        page = requests.get(f"{q['redirect_uri']}?{urlencode(params)}", timeout=5)
        if pages is not None:
            pages.append(page.text)
        return True

    return open_url, opened


PIN_TOKEN = {
    "access_token": "pina_ACCESS_abcdefghijklmnop",
    "refresh_token": "pinr.REFRESH_abcdefghijklmnop",
    "token_type": "bearer",
    "expires_in": 2592000,
    "refresh_token_expires_in": 5184000,
    "scope": "boards:read,pins:read,pins:write",
    "response_type": "authorization_code",
}


def test_pkce_challenge_matches_rfc7636_example() -> None:
    # RFC 7636 Appendix B
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == digest and pkce_pair()[0] != verifier


def test_pinterest_flow_loopback_receives_code_and_exchanges_with_basic_auth(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("POST", "/v5/oauth/token", Reply(200, PIN_TOKEN))
    session = session_for("pinterest", fake_time, monkeypatch, server)
    pages: list[str] = []
    open_url, opened = browser(pages=pages)
    tokens = authorize(
        PINTEREST,
        client_id="1500001",
        client_secret=APP_SECRET,
        session=session,
        open_browser=open_url,
        timeout=10,
        now=lambda: NOW,
    )
    url = urlsplit(opened[0])
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.pinterest.com/oauth/"
    assert q["client_id"] == "1500001" and q["response_type"] == "code"
    assert q["scope"] == ",".join(PINTEREST.default_scopes)  # Pinterest wants commas
    assert q["redirect_uri"].startswith("http://127.0.0.1:") and q["redirect_uri"].endswith("/callback")
    assert len(q["state"]) >= 32 and "code_challenge" not in q  # no PKCE on Pinterest
    assert "You can close this tab" in pages[0]

    sent = server.seen[-1]
    assert (
        sent.headers["Authorization"]
        == "Basic " + base64.b64encode(f"1500001:{APP_SECRET}".encode()).decode()
    )
    form = dict(parse_qsl(sent.body.decode()))
    assert form == {
        "grant_type": "authorization_code",
        "code": "AUTH-CODE-123456",
        "redirect_uri": q["redirect_uri"],
    }

    assert (
        tokens.access_token == PIN_TOKEN["access_token"]
        and tokens.refresh_token == PIN_TOKEN["refresh_token"]
    )
    assert tokens.expires_at == NOW + 2592000 and tokens.refresh_expires_at == NOW + 5184000
    assert tokens.scopes == ("boards:read", "pins:read", "pins:write")
    assert "pina_ACCESS" not in repr(tokens)


def test_state_mismatch_is_rejected_before_any_token_request(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("POST", "/v5/oauth/token", Reply(200, PIN_TOKEN))
    session = session_for("pinterest", fake_time, monkeypatch, server)
    pages: list[str] = []
    open_url, _ = browser(state="forged-state", pages=pages)
    with pytest.raises(AuthorizationFailed, match="state mismatch"):
        authorize(
            PINTEREST,
            client_id="1",
            client_secret=APP_SECRET,
            session=session,
            open_browser=open_url,
            timeout=10,
        )
    assert server.count("POST", "/v5/oauth/token") == 0
    assert "did not come from this app" in pages[0]


def test_declined_and_timed_out_sign_ins(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = session_for("pinterest", fake_time, monkeypatch, server)
    declined, _ = browser(extra={"error": "access_denied", "error_description": "User declined"})
    with pytest.raises(AuthorizationFailed, match="User declined"):
        authorize(
            PINTEREST,
            client_id="1",
            client_secret=APP_SECRET,
            session=session,
            open_browser=declined,
            timeout=10,
        )
    with pytest.raises(AuthorizationFailed, match="No answer"):
        authorize(
            PINTEREST,
            client_id="1",
            client_secret=APP_SECRET,
            session=session,
            open_browser=lambda url: True,
            timeout=0.2,
        )
    assert server.count("POST", "/v5/oauth/token") == 0


def test_pkce_verifier_sent_matches_challenge_when_provider_supports_it(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("POST", "/v5/oauth/token", Reply(200, PIN_TOKEN))
    session = session_for("pinterest", fake_time, monkeypatch, server)
    open_url, opened = browser()
    authorize(
        replace(PINTEREST, supports_pkce=True),
        client_id="1",
        client_secret=APP_SECRET,
        session=session,
        open_browser=open_url,
        timeout=10,
    )
    q = dict(parse_qsl(urlsplit(opened[0]).query))
    assert q["code_challenge_method"] == "S256"
    verifier = dict(parse_qsl(server.seen[-1].body.decode()))["code_verifier"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert digest == q["code_challenge"]


def test_meta_flow_exchanges_for_long_lived_token_and_lists_pages(
    server: ScriptedServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction()
    caplog.set_level(logging.DEBUG)
    short = {"access_token": "EAAshortshortshortshort01", "token_type": "bearer", "expires_in": 3600}
    long = {"access_token": "EAAlonglonglonglonglong02", "token_type": "bearer", "expires_in": 5183944}
    server.script("GET", "/v26.0/oauth/access_token", Reply(200, short), Reply(200, long))
    session = session_for("facebook", fake_time, monkeypatch, server)
    open_url, opened = browser()
    meta_secret = "meta-app-secret-000001"
    tokens = authorize(
        FACEBOOK,
        client_id="42",
        client_secret=meta_secret,
        session=session,
        open_browser=open_url,
        timeout=10,
        now=lambda: NOW,
    )
    assert urlsplit(opened[0]).netloc == "www.facebook.com" and "code_challenge" not in opened[0]
    first, second = (s.query for s in server.seen[-2:])
    assert first["code"] == "AUTH-CODE-123456" and first["client_secret"] == meta_secret
    assert (
        second["grant_type"] == "fb_exchange_token" and second["fb_exchange_token"] == short["access_token"]
    )
    assert tokens.access_token == long["access_token"] and tokens.expires_at == NOW + 5183944
    assert tokens.scopes == FACEBOOK.default_scopes
    for secret in (meta_secret, "AUTH-CODE-123456", short["access_token"], long["access_token"]):
        assert secret not in caplog.text

    server.script(
        "GET",
        "/v26.0/me/accounts",
        Reply(
            200,
            {
                "data": [
                    {
                        "id": "P1",
                        "name": "Shop Page",
                        "access_token": "EAApagepagepagepage0001",
                        "tasks": ["CREATE_CONTENT", "MANAGE"],
                        "instagram_business_account": {"id": "IG1", "username": "shop"},
                    }
                ],
                "paging": {"cursors": {"after": "CUR"}, "next": "https://graph.facebook.com/next"},
            },
        ),
        Reply(
            200,
            {
                "data": [{"id": "P2", "name": "Other", "access_token": "EAApagepagepagepage0002"}],
                "paging": {"cursors": {"after": "END"}},
            },
        ),
    )
    pages = meta_pages(session, tokens)
    assert [(p.id, p.ig_user_id, p.ig_username) for p in pages] == [("P1", "IG1", "shop"), ("P2", None, None)]
    assert server.seen[-1].query["after"] == "CUR" and "EAApage" not in repr(pages)


def test_code_exchange_error_is_clear_and_secret_free(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script(
        "GET",
        "/v26.0/oauth/access_token",
        Reply(400, meta_error(100, message="Invalid verification code format.")),
    )
    session = session_for("facebook", fake_time, monkeypatch, server)
    open_url, _ = browser()
    with pytest.raises(InvalidRequest) as info:
        authorize(
            FACEBOOK,
            client_id="42",
            client_secret="meta-app-secret-000002",
            session=session,
            open_browser=open_url,
            timeout=10,
        )
    assert "Invalid verification code" in str(info.value)
    assert "meta-app-secret-000002" not in str(info.value) and "AUTH-CODE" not in str(info.value)
    assert server.count("GET", "/v26.0/oauth/access_token") == 1  # a code is single-use: never resent


def test_pinterest_refresh_rotates_refresh_token(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotated = {
        **PIN_TOKEN,
        "access_token": "pina_NEW_abcdefghijklmnop",
        "refresh_token": "pinr.NEW_abcdefghijklm",
        "response_type": "refresh_token",
    }
    server.script("POST", "/v5/oauth/token", Reply(200, rotated))
    session = session_for("pinterest", fake_time, monkeypatch, server)
    old = TokenSet(
        "pina_OLD_abcdefghijklmnop",
        "pinr.OLD_abcdefghijklm",
        NOW + 3600,
        ("pins:read",),
        "bearer",
        NOW + 86400 * 30,
    )
    new = pinterest_refresh(session, client_id="1", client_secret=APP_SECRET, token=old, now=NOW)
    form = dict(parse_qsl(server.seen[-1].body.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "pinr.OLD_abcdefghijklm",
        "continuous_refresh": "true",
    }
    assert server.seen[-1].headers["Authorization"].startswith("Basic ")
    assert (new.access_token, new.refresh_token) == ("pina_NEW_abcdefghijklmnop", "pinr.NEW_abcdefghijklm")

    server.script(
        "POST", "/v5/oauth/token", Reply(200, {"access_token": "pina_NEWER_abcdefghijkl", "expires_in": 60})
    )
    newer = pinterest_refresh(session, client_id="1", client_secret=APP_SECRET, token=new, now=NOW)
    assert newer.refresh_token == new.refresh_token  # not rotated this time: keep the one we have

    dead = replace(old, refresh_expires_at=NOW - 1)
    with pytest.raises(ReconnectNeeded):
        pinterest_refresh(session, client_id="1", client_secret=APP_SECRET, token=dead, now=NOW)


def test_ensure_fresh_policy() -> None:
    calls: list[TokenSet] = []

    def refresher(t: TokenSet) -> TokenSet:
        calls.append(t)
        return TokenSet("pina_refreshed_abcdefghij", t.refresh_token, NOW + 30 * 86400)

    fresh = TokenSet("pina_fresh_abcdefghijklm", "pinr.r_abcdefghijklm", NOW + 10 * 86400)
    assert ensure_fresh(fresh, NOW, refresher, margin=86400) is fresh and calls == []
    page = TokenSet("EAApagetokennoexpiry0001", None, None)
    assert ensure_fresh(page, NOW, refresher) is page

    soon = replace(fresh, expires_at=NOW + 600)
    assert ensure_fresh(soon, NOW, refresher, margin=86400).access_token == "pina_refreshed_abcdefghij"
    assert calls == [soon]

    expired_meta = TokenSet("EAAexpiredexpired000001", None, NOW - 1)
    with pytest.raises(ReconnectNeeded, match="Reconnect Shop"):
        ensure_fresh(expired_meta, NOW, refresher, account="Shop")
    with pytest.raises(ReconnectNeeded):
        ensure_fresh(expired_meta, NOW, None)

    def failing(t: TokenSet) -> TokenSet:
        raise ServerError("down", platform="pinterest", retryable=True)

    assert ensure_fresh(soon, NOW, failing, margin=86400) is soon  # still valid: use it, retry later
    with pytest.raises(ServerError):
        ensure_fresh(replace(soon, expires_at=NOW - 1), NOW, failing)


def test_token_refresher_meta_extends_via_fb_exchange_token(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script(
        "GET",
        "/v26.0/oauth/access_token",
        Reply(200, {"access_token": "EAAextendedextended0001", "expires_in": 5183944}),
    )
    session = session_for("facebook", fake_time, monkeypatch, server)
    refresher = TokenRefresher(
        "facebook", session, client_id="42", client_secret="meta-secret-9999", clock=lambda: NOW
    )
    current = TokenSet("EAAcurrentcurrent000001", None, NOW + 86400)
    out = ensure_fresh(current, NOW, refresher, margin=7 * 86400)
    assert out.access_token == "EAAextendedextended0001" and out.expires_at == NOW + 5183944
    assert server.seen[-1].query["grant_type"] == "fb_exchange_token"


def test_loopback_receiver_is_one_shot_and_local() -> None:
    with LoopbackReceiver(expected_state="s1") as rx:
        assert rx.redirect_uri.startswith("http://127.0.0.1:")
        assert requests.get(f"http://127.0.0.1:{rx.port}/favicon.ico", timeout=5).status_code == 404
        assert rx.wait(0) is None
        first = requests.get(f"{rx.redirect_uri}?code=c1&state=s1", timeout=5)
        second = requests.get(f"{rx.redirect_uri}?code=c2&state=s1", timeout=5)
        result = rx.wait(5)
        assert result is not None and (result.code, result.state) == ("c1", "s1")
        assert "You can close this tab" in first.text and "Already" in second.text
        assert "c1" not in repr(result)


def test_build_authorize_url_encodes_everything() -> None:
    url = build_authorize_url(
        FACEBOOK,
        client_id="42",
        redirect_uri="http://127.0.0.1:5000/callback",
        state="st&x",
        scopes=["a", "b"],
        code_challenge="ch",
    )
    q = dict(parse_qsl(urlsplit(url).query))
    assert q == {
        "client_id": "42",
        "redirect_uri": "http://127.0.0.1:5000/callback",
        "response_type": "code",
        "scope": "a,b",
        "state": "st&x",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
    }
    assert json.dumps(q)  # plain strings only
