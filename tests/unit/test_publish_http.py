"""ApiSession, error parsing, usage headers, rate limiting and redaction — over real HTTP on 127.0.0.1.

A tiny scripted server answers each (method, path) with the next reply from a list; the session's
sleep and clocks are fakes, so retries and pauses are observed (recorded) rather than waited out.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from studio.publish import http as http_mod
from studio.publish.errors import (
    ConnectionFailed,
    InvalidRequest,
    PermissionMissing,
    PublishError,
    RateLimited,
    ReconnectNeeded,
    ServerError,
    parse_meta_error,
    parse_pinterest_error,
    parse_retry_after,
)
from studio.publish.http import ApiSession, RateLimiter, RetryPolicy, make_session, parse_usage_headers
from studio.publish.redact import install_redaction, redact, redact_url, register_secret

# --- test doubles -------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict → JSON; str → text
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # read the request, then close without answering (request *was* sent)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """Real HTTP server on 127.0.0.1:<ephemeral>; `script(method, path, *replies)`; the last reply repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.seen.append(
                        Seen(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body)
                    )
                    replies = server.routes.get((self.command, parts.path)) or [
                        Reply(404, {"error": "no route"})
                    ]
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.drop:
                    self.close_connection = True
                    return
                payload = (
                    json.dumps(reply.body).encode()
                    if not isinstance(reply.body, str)
                    else reply.body.encode()
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        return sum(1 for s in self.seen if s.method == method and s.path == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeTime:
    """Monotonic + wall clock that only move when the code under test sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def session_for(
    platform: str, ft: FakeTime, monkeypatch: pytest.MonkeyPatch, srv: ScriptedServer | None, **kw: Any
):
    if srv is not None:
        env = "STUDIO_PINTEREST_BASE_URL" if platform == "pinterest" else "STUDIO_GRAPH_BASE_URL"
        monkeypatch.setenv(env, srv.url)
    kw.setdefault("policy", RetryPolicy(max_attempts=4, base_delay=1.0, jitter=0.0))
    kw.setdefault("limiter", RateLimiter(1000, 1000, clock=ft.clock, sleep=ft.sleep))
    return make_session(
        platform, user_agent="StudioTest/1", sleep=ft.sleep, clock=ft.clock, wall_clock=ft.clock, **kw
    )


def meta_error(code: int, subcode: int | None = None, message: str = "boom", **extra: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "TRACE1"}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    return {"error": err}


def fake_response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    resp.headers.update(headers or {})
    resp.reason = "Reason"
    return resp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- base URLs ----------------------------------------------------------------------------------------


def test_base_urls_default_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STUDIO_GRAPH_BASE_URL", "STUDIO_PINTEREST_BASE_URL", "STUDIO_PINTEREST_SANDBOX_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert http_mod.base_url("instagram") == "https://graph.facebook.com/v26.0"
    assert http_mod.base_url("pinterest") == "https://api.pinterest.com/v5"
    assert http_mod.base_url("pinterest", sandbox=True) == "https://api-sandbox.pinterest.com/v5"
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("STUDIO_PINTEREST_SANDBOX_BASE_URL", "http://127.0.0.1:8/custom/v5")
    assert http_mod.base_url("facebook") == "http://127.0.0.1:9/v26.0"
    assert http_mod.base_url("pinterest", sandbox=True) == "http://127.0.0.1:8/custom/v5"
    assert http_mod.base_url("pinterest") == "https://api.pinterest.com/v5"


# --- error parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls", "retryable"),
    [
        (
            400,
            meta_error(190, 460, "Error validating access token: password changed"),
            ReconnectNeeded,
            False,
        ),
        (400, meta_error(190, 463), ReconnectNeeded, False),
        (401, meta_error(102), ReconnectNeeded, False),
        (400, meta_error(4, message="Application request limit reached"), RateLimited, True),
        (400, meta_error(17), RateLimited, True),
        (400, meta_error(32), RateLimited, True),
        (400, meta_error(613), RateLimited, True),
        (400, meta_error(80001), RateLimited, True),
        (400, meta_error(80014), RateLimited, True),
        (403, meta_error(10, message="(#10) Permission denied"), PermissionMissing, False),
        (403, meta_error(200), PermissionMissing, False),
        (400, meta_error(299), PermissionMissing, False),
        (400, meta_error(100, message="(#100) The parameter image_url is required"), InvalidRequest, False),
        (
            400,
            meta_error(36000, 2207004, "The image size is too large.", is_transient=False),
            InvalidRequest,
            False,
        ),
        (500, meta_error(2, message="Service temporarily unavailable"), ServerError, True),
        (400, meta_error(-2, 2207003, "Media download timeout"), ServerError, True),
        (400, meta_error(1, message="An unknown error occurred", is_transient=True), ServerError, True),
        (400, meta_error(9, 2207042, "Max posts reached"), RateLimited, False),
    ],
)
def test_parse_meta_error_shapes(status: int, body: dict, cls: type, retryable: bool) -> None:
    err = parse_meta_error(fake_response(status, body), platform="instagram", account="Shop IG")
    assert type(err) is cls
    assert err.retryable is retryable
    assert err.code == body["error"]["code"]
    assert err.subcode == body["error"].get("error_subcode")
    assert err.trace_id == "TRACE1"
    assert err.status == status
    assert "Instagram" in str(err)


def test_meta_error_details() -> None:
    body = meta_error(
        36000,
        2207004,
        "The image size is too large.",
        error_user_title="Image size too large",
        error_user_msg="The image is too large to download. It should be less than 8 MiB.",
    )
    err = parse_meta_error(fake_response(400, body), platform="instagram")
    assert "less than 8 MiB" in str(err)  # the user-facing text wins
    assert "36000/2207004" in str(err) and "TRACE1" in str(err)
    assert err.user_title == "Image size too large"

    field_err = parse_meta_error(
        fake_response(400, meta_error(100, message="(#100) The parameter image_url is required"))
    )
    assert isinstance(field_err, InvalidRequest) and field_err.field == "image_url"

    reconnect = parse_meta_error(
        fake_response(400, meta_error(190, 467)), platform="facebook", account="My Page"
    )
    assert str(reconnect).startswith("Facebook: Reconnect My Page")

    duplicate = parse_meta_error(fake_response(400, meta_error(506, message="Duplicate status message")))
    assert duplicate.maybe_done and not duplicate.retryable

    server_post = parse_meta_error(
        fake_response(503, {"error": {"message": "x", "code": 2}}), idempotent=False
    )
    assert isinstance(server_post, ServerError) and not server_post.retryable

    buc = {"123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    limited = parse_meta_error(
        fake_response(400, meta_error(80001), {"X-Business-Use-Case-Usage": json.dumps(buc)})
    )
    assert isinstance(limited, RateLimited) and limited.retry_after == 300.0

    not_json = parse_meta_error(fake_response(502, b"<html>Bad gateway</html>"))
    assert isinstance(not_json, ServerError)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, {"code": 2, "message": "Authentication failed."}, ReconnectNeeded),
        (
            403,
            {"code": 29, "message": "Apps with Trial access may not create Pins in production"},
            PermissionMissing,
        ),
        (403, {"code": 3, "message": "Not authorized to access board."}, PermissionMissing),
        (429, {"code": 8, "message": "Rate limit exceeded"}, RateLimited),
        (400, {"code": 1, "message": "Invalid parameters."}, InvalidRequest),
        (404, {"code": 2, "message": "Board not found."}, InvalidRequest),
        (503, {"code": 0, "message": "Service unavailable"}, ServerError),
    ],
)
def test_parse_pinterest_error_shapes(status: int, body: dict, cls: type) -> None:
    err = parse_pinterest_error(
        fake_response(status, body, {"x-pinterest-rid": "RID9", "Retry-After": "12"}), account="Pins"
    )
    assert type(err) is cls
    assert err.code == body["code"] and err.trace_id == "RID9" and err.platform == "pinterest"
    assert body["message"].split(".")[0] in str(err)
    if cls is RateLimited:
        assert err.retry_after == 12.0 and err.retryable
    if cls is ReconnectNeeded:
        assert "Reconnect Pins" in str(err) and not err.retryable
    if body["code"] == 29:
        assert "sandbox" in (err.hint or "")


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert (
        parse_retry_after("  ") is None
        and parse_retry_after(None) is None
        and parse_retry_after("soon") is None
    )
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now=now) == pytest.approx(30.0)
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0.0


# --- usage headers ------------------------------------------------------------------------------------


def test_usage_headers_meta_and_pinterest() -> None:
    headers = {
        "X-App-Usage": json.dumps({"call_count": 28, "total_cputime": 10, "total_time": 12}),
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "1784": [
                    {
                        "type": "instagram",
                        "call_count": 95,
                        "total_cputime": 20,
                        "total_time": 20,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        ),
        "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 9.67, "reset_time_duration": 100}),
    }
    rep = parse_usage_headers("instagram", headers, now=100.0)
    assert rep is not None
    assert rep.app == {"call_count": 28, "total_cputime": 10, "total_time": 12}
    assert rep.business["1784"][0]["type"] == "instagram"
    assert rep.percent == 95
    assert rep.regain_after is None
    assert rep.pause_needed(100.0, base_pause=10.0) > 0  # ≥ 90 % → pause
    low = parse_usage_headers("facebook", {"X-App-Usage": '{"call_count": 50}'}, now=0.0)
    assert low is not None and low.pause_needed(0.0) == 0.0
    assert parse_usage_headers("facebook", {"X-App-Usage": "not json"}, now=0.0) is None
    assert parse_usage_headers("facebook", {}, now=0.0) is None

    blocked = parse_usage_headers(
        "facebook",
        {
            "X-Business-Use-Case-Usage": json.dumps(
                {"9": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]}
            )
        },
        now=0.0,
    )
    assert blocked is not None and blocked.regain_after == 120.0 and blocked.pause_needed(20.0) == 100.0

    pin = parse_usage_headers(
        "pinterest",
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "30"},
        now=0.0,
    )
    assert pin is not None and (pin.limit, pin.remaining, pin.reset_after) == (100, 5, 30.0)
    assert pin.percent == 95.0
    assert pin.pause_needed(0.0) == pytest.approx(6.0)  # 30 s left spread over 5 calls
    epoch = parse_usage_headers(
        "pinterest",
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000060"},
        now=0.0,
        wall_now=1_700_000_000,
    )
    assert epoch is not None and epoch.reset_after == 60.0 and epoch.regain_after == 60.0


# --- rate limiter -------------------------------------------------------------------------------------


def test_rate_limiter_spaces_calls_per_account(fake_time: FakeTime) -> None:
    limiter = RateLimiter(rate=2.0, burst=2, clock=fake_time.clock, sleep=fake_time.sleep)
    waits = [limiter.acquire("a") for _ in range(5)]
    assert waits == [0.0, 0.0, 0.5, 0.5, 0.5]  # burst of two, then one call every 0.5 s
    assert limiter.acquire("b") == 0.0  # another account has its own bucket
    fake_time.now += 10.0  # idle time refills, but never beyond the burst
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.5]
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_session_uses_limiter(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("GET", "/v26.0/me", Reply(200, {"id": "1"}))
    limiter = RateLimiter(rate=1.0, burst=1, clock=fake_time.clock, sleep=fake_time.sleep)
    s = session_for("facebook", fake_time, monkeypatch, server, limiter=limiter, account="acc")
    for _ in range(3):
        s.get("/me", token="EAAtokentokentokentokentoken1")
    assert fake_time.sleeps == [1.0, 1.0]


# --- retry policy -------------------------------------------------------------------------------------


def test_429_retry_after_is_honoured(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script(
        "GET",
        "/v5/boards",
        Reply(429, {"code": 8, "message": "slow down"}, {"Retry-After": "7"}),
        Reply(200, {"items": []}),
    )
    s = session_for("pinterest", fake_time, monkeypatch, server)
    assert s.get_json("/boards", token="pina_testtoken_123456") == {"items": []}
    assert server.count("GET", "/v5/boards") == 2
    assert fake_time.sleeps == [7.0]
    assert server.seen[0].headers["Authorization"] == "Bearer pina_testtoken_123456"
    assert server.seen[0].headers["User-Agent"] == "StudioTest/1"


def test_retry_after_longer_than_budget_raises_without_waiting(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("GET", "/v5/boards", Reply(429, {"code": 8, "message": "quota"}, {"Retry-After": "3600"}))
    s = session_for("pinterest", fake_time, monkeypatch, server, policy=RetryPolicy(max_total=60.0))
    with pytest.raises(RateLimited) as info:
        s.get("/boards")
    assert info.value.retry_after == 3600.0
    assert fake_time.sleeps == [] and server.count("GET", "/v5/boards") == 1


def test_503_retried_for_get_not_for_post(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    unavailable = Reply(503, {"error": {"message": "Service unavailable", "code": 2}})
    server.script("GET", "/v26.0/42", unavailable, unavailable, Reply(200, {"status_code": "FINISHED"}))
    server.script("POST", "/v26.0/17/media_publish", unavailable)
    s = session_for("instagram", fake_time, monkeypatch, server)
    assert s.get_json("/42", params={"fields": "status_code"})["status_code"] == "FINISHED"
    assert server.count("GET", "/v26.0/42") == 3
    assert fake_time.sleeps == [1.0, 2.0]  # exponential backoff (jitter 0 here)

    with pytest.raises(ServerError) as info:
        s.post("/17/media_publish", data={"creation_id": "42"})
    assert server.count("POST", "/v26.0/17/media_publish") == 1
    assert not info.value.retryable

    # with the opt-out, a throttled POST is not resent: the outbox reschedules it (retry_after given)
    server.script("POST", "/v5/pins", Reply(429, {"code": 8, "message": "slow"}, {"Retry-After": "3"}))
    opt_out = RetryPolicy(jitter=0.0, retry_rejected_posts=False)
    p = session_for("pinterest", fake_time, monkeypatch, server, policy=opt_out)
    with pytest.raises(RateLimited) as limited:
        p.post("/pins", json={"board_id": "1"})
    assert server.count("POST", "/v5/pins") == 1 and limited.value.retry_after == 3.0

    # by default a POST the platform refused with 429 (processed nothing) is resent; never after a 503
    server.script(
        "POST",
        "/v5/pins",
        Reply(429, {"code": 8, "message": "slow"}, {"Retry-After": "3"}),
        Reply(201, {"id": "PIN1"}),
    )
    opt_in = RetryPolicy(jitter=0.0, retry_rejected_posts=True)
    p = session_for("pinterest", fake_time, monkeypatch, server, policy=opt_in)
    assert p.post_json("/pins", json={"board_id": "1"}) == {"id": "PIN1"}
    assert server.count("POST", "/v5/pins") == 3
    server.script("POST", "/v5/pins", Reply(503, {"code": 0, "message": "down"}))
    with pytest.raises(ServerError):
        p.post("/pins", json={"board_id": "1"})
    assert server.count("POST", "/v5/pins") == 4


def test_backoff_has_jitter_and_cap() -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.5)
    rng = random.Random(1)
    delays = [policy.backoff(n, rng) for n in range(1, 7)]
    assert all(1.0 * 2 ** (n - 1) <= d or d >= 8.0 for n, d in enumerate(delays, 1))
    assert max(delays) <= 12.0 and len({round(d, 6) for d in delays}) == len(delays)


def test_post_not_retried_after_send_but_retried_before(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("POST", "/v26.0/17/media_publish", Reply(drop=True))
    s = session_for("instagram", fake_time, monkeypatch, server)
    with pytest.raises(ConnectionFailed) as info:
        s.post("/17/media_publish", data={"creation_id": "1"})
    assert server.count("POST", "/v26.0/17/media_publish") == 1  # sent once, never repeated
    assert info.value.maybe_done and not info.value.retryable

    server.script("GET", "/v26.0/flaky", Reply(drop=True), Reply(200, {"ok": True}))
    assert s.get_json("/flaky") == {"ok": True}  # idempotent: retried after a dropped connection

    # connection refused = never sent: a POST may be resent (and here fails every attempt)
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", f"http://127.0.0.1:{free_port()}")
    dead = session_for(
        "instagram", fake_time, monkeypatch, None, policy=RetryPolicy(max_attempts=3, jitter=0.0)
    )
    fake_time.sleeps.clear()
    with pytest.raises(ConnectionFailed) as refused:
        dead.post("/17/media", data={"caption": "x"})
    assert fake_time.sleeps == [1.0, 2.0]
    assert not refused.value.maybe_done


def test_reconnect_needed_is_never_retried(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script("GET", "/v26.0/me", Reply(400, meta_error(190, 463, "Session has expired")))
    s = session_for("facebook", fake_time, monkeypatch, server, account="My Page")
    with pytest.raises(ReconnectNeeded) as info:
        s.get("/me", token="EAAexpiredexpiredexpired123")
    assert server.count("GET", "/v26.0/me") == 1 and fake_time.sleeps == []
    assert "Reconnect My Page" in str(info.value)

    server.script("GET", "/v5/user_account", Reply(401, {"code": 2, "message": "Authentication failed."}))
    p = session_for("pinterest", fake_time, monkeypatch, server)
    with pytest.raises(ReconnectNeeded):
        p.get("/user_account", token="pina_expired_token_x")
    assert server.count("GET", "/v5/user_account") == 1


def test_meta_throttle_code_retried_on_get(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script(
        "GET", "/v26.0/17/content_publishing_limit", Reply(400, meta_error(4)), Reply(200, {"data": []})
    )
    s = session_for("instagram", fake_time, monkeypatch, server)
    assert s.get_json("/17/content_publishing_limit") == {"data": []}
    assert server.count("GET", "/v26.0/17/content_publishing_limit") == 2


def test_high_usage_pauses_next_call_and_is_kept_per_account(
    server: ScriptedServer, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = {"X-App-Usage": json.dumps({"call_count": 95, "total_cputime": 10, "total_time": 10})}
    server.script("GET", "/v26.0/me", Reply(200, {"id": "1"}, busy), Reply(200, {"id": "1"}))
    s = session_for(
        "facebook", fake_time, monkeypatch, server, policy=RetryPolicy(usage_pause=10.0, jitter=0.0)
    )
    s.get("/me", account="A")
    report = s.usage("A")
    assert report is not None and report.percent == 95
    assert s.usage("B") is None
    s.get("/me", account="B")  # another account: no pause
    assert fake_time.sleeps == []
    s.get("/me", account="A")
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] >= 10.0
    # the last response had no usage headers: the report is kept (absence is not zero usage)
    assert s.usage("A") is report
    assert set(s.all_usage()) == {"A"}


# --- redaction ----------------------------------------------------------------------------------------

TOKEN = "EAAGsecretSECRETsecret0123456789"


def test_token_never_in_exception_logs_or_repr(
    server: ScriptedServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction()
    caplog.set_level(logging.DEBUG)
    echo = meta_error(100, message=f"Invalid parameter access_token={TOKEN} in request")
    server.script("POST", "/v26.0/17/media", Reply(400, echo))
    s = session_for("instagram", fake_time, monkeypatch, server, account="Shop")
    with pytest.raises(InvalidRequest) as info:
        s.post("/17/media", data={"caption": "hi"}, token=TOKEN)
    assert server.seen[-1].query["access_token"] == TOKEN  # it was really sent…
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)  # …and never shown
    assert TOKEN not in json.dumps(info.value.to_dict())

    # a connection failure: requests' own message carries the full URL with the query string
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", f"http://127.0.0.1:{free_port()}")
    dead = session_for("instagram", fake_time, monkeypatch, None, policy=RetryPolicy(max_attempts=1))
    with pytest.raises(ConnectionFailed) as refused:
        dead.get("/me", token=TOKEN, params={"fields": "id"})
    assert TOKEN not in str(refused.value) and refused.value.__cause__ is None
    logging.getLogger("anything").error("token %s leaked? url=%s", TOKEN, f"https://x/?access_token={TOKEN}")
    try:
        raise RuntimeError(f"inner {TOKEN}")
    except RuntimeError:
        logging.getLogger("studio.test").exception("failed")
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert TOKEN not in repr(s) and TOKEN not in repr(dead)


def test_redact_patterns_and_registered_secrets() -> None:
    assert redact("GET /x?access_token=abc123&fields=id") == "GET /x?access_token=***&fields=id"
    assert (
        redact('{"access_token": "abcdef", "token_type": "bearer"}')
        == '{"access_token": "***", "token_type": "bearer"}'
    )
    assert redact("Authorization: Bearer pina_abcdefgh1234") == "Authorization: Bearer ***"
    assert redact("client_secret=s3cr3t&grant_type=x") == "client_secret=***&grant_type=x"
    assert redact("Authorization: Basic MTIzOmFiYw==") == "Authorization: Basic ***"
    assert redact("Basic information stays") == "Basic information stays"
    assert "pinr.eyJhbGciOi" not in redact("refresh pinr.eyJhbGciOiJSUzI1")
    assert redact("error_code=190") == "error_code=190"  # not a secret parameter
    register_secret("my-app-secret-value")
    assert redact("oops my-app-secret-value here") == "oops *** here"
    register_secret("short")  # too short to scrub safely: ignored
    assert redact("short") == "short"
    url = redact_url("https://graph.facebook.com/v26.0/me?fields=id&access_token=zzz")
    assert "zzz" not in url and "fields=id" in url


def test_publish_error_is_a_studio_error_with_dict() -> None:
    err = RateLimited("slow", platform="pinterest", retry_after=5.0, retryable=True, account="Pins")
    assert isinstance(err, PublishError)
    doc = err.to_dict()
    assert doc["error"] == "RateLimited" and doc["retry_after"] == 5.0 and doc["account"] == "Pins"
    assert "Pins" in (err.hint or "") or "rate" in (err.hint or "")


def test_session_rejects_unknown_platform() -> None:
    with pytest.raises(ValueError):
        ApiSession("myspace")
