"""One HTTP session type for every platform client: timeouts, safe retries, usage headers, rate limits.

Why one place: retry safety is the difference between "posted once" and "posted twice". The rules:

- A request is retried automatically only when repeating it cannot duplicate anything:
  *idempotent* requests (GET/HEAD/PUT/DELETE by default, or a POST the caller marks idempotent) on
  429, 503, timeouts and connection errors; *non-idempotent* POSTs only when the failure happened
  before the request left the machine (connection refused, DNS, connect timeout). A POST whose
  connection dropped after sending raises `ConnectionFailed(maybe_done=True)`: the outbox verifies.
- `Retry-After` (seconds or HTTP date) and the platforms' usage headers set the pause; exponential
  backoff with jitter is the floor. Total retry time is bounded (`RetryPolicy.max_total`); a pause
  longer than the budget raises `RateLimited(retry_after=…)` so the outbox can reschedule instead of
  blocking a worker for an hour.
- `ReconnectNeeded` (Meta 190, Pinterest 401) is never retried.
- Usage headers (Meta `X-App-Usage`, `X-Business-Use-Case-Usage`, `X-Ad-Account-Usage`,
  `X-Page-Usage`; Pinterest `X-RateLimit-Limit/Remaining/Reset`) are parsed into a `UsageReport`,
  kept per account (`ApiSession.usage(account)`), and when usage is ≥ 90 % the next call pauses.
- A per-account token-bucket `RateLimiter` spaces calls.
- `sleep`, `clock` (monotonic) and `wall_clock` (epoch) are injectable: tests never really wait.

Tokens: Meta tokens go in the `access_token` query parameter, Pinterest tokens in an
`Authorization: Bearer` header. They are registered with `redact`, never stored on the session,
and never appear in exception text, logs or `repr()`.

Base URLs — production hosts are fixed; **for tests and developers only** they are overridden by
environment variables (there is deliberately no API or setting to point the app elsewhere):

- ``STUDIO_GRAPH_BASE_URL``              Graph API (Instagram + Facebook), default https://graph.facebook.com
- ``STUDIO_RUPLOAD_BASE_URL``            Meta resumable uploads, default https://rupload.facebook.com
- ``STUDIO_PINTEREST_BASE_URL``          Pinterest v5, default https://api.pinterest.com
- ``STUDIO_PINTEREST_SANDBOX_BASE_URL``  Pinterest sandbox, default https://api-sandbox.pinterest.com

A value with no path (``http://127.0.0.1:8123``) gets the API version appended (``/v26.0``, ``/v5``);
a value with a path is used as is.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError

from studio import __version__
from studio.publish.errors import (
    ConnectionFailed,
    PublishError,
    RateLimited,
    ReconnectNeeded,
    parse_meta_error,
    parse_pinterest_error,
)
from studio.publish.redact import redact, redact_url, register_secret

log = logging.getLogger(__name__)

GRAPH_API_VERSION = "v26.0"
PINTEREST_API_VERSION = "v5"
PLATFORMS = ("instagram", "facebook", "pinterest")
#: "instagram_login": the Instagram API with Instagram Login (graph.instagram.com, publishing.md §1.0);
#: "instagram_login_oauth": its code exchange host (api.instagram.com).
META_PLATFORMS = frozenset({"instagram", "facebook", "meta", "instagram_login", "instagram_login_oauth"})
DEFAULT_USER_AGENT = f"ShoppableStudio/{__version__}"
#: Usage (percent of the platform's budget) at which calls start to pause.
USAGE_BACKOFF_PERCENT = 90.0

_DEFAULT_HOSTS = {
    "graph": ("STUDIO_GRAPH_BASE_URL", "https://graph.facebook.com", GRAPH_API_VERSION),
    "rupload": ("STUDIO_RUPLOAD_BASE_URL", "https://rupload.facebook.com", ""),
    "ig_graph": ("STUDIO_IG_GRAPH_BASE_URL", "https://graph.instagram.com", GRAPH_API_VERSION),
    "ig_oauth": ("STUDIO_IG_OAUTH_BASE_URL", "https://api.instagram.com", ""),
    "pinterest": ("STUDIO_PINTEREST_BASE_URL", "https://api.pinterest.com", PINTEREST_API_VERSION),
    "pinterest_sandbox": (
        "STUDIO_PINTEREST_SANDBOX_BASE_URL",
        "https://api-sandbox.pinterest.com",
        PINTEREST_API_VERSION,
    ),
}

Sleep = Callable[[float], None]
Clock = Callable[[], float]


def base_url(platform: str, *, sandbox: bool = False) -> str:
    """The API root for `platform` (no trailing slash), honouring the test-only env overrides."""
    if platform == "instagram_login":
        key = "ig_graph"
    elif platform == "instagram_login_oauth":
        key = "ig_oauth"
    elif platform in META_PLATFORMS or platform == "graph":
        key = "graph"
    elif platform == "rupload":
        key = "rupload"
    elif platform == "pinterest":
        key = "pinterest_sandbox" if sandbox else "pinterest"
    else:
        raise ValueError(f"unknown platform {platform!r}")
    env, default, version = _DEFAULT_HOSTS[key]
    override = os.environ.get(env, "").strip()
    if override:
        root = override.rstrip("/")
        if urlsplit(root).path not in ("", "/"):
            return root
        return f"{root}/{version}" if version else root
    return f"{default}/{version}" if version else default


# --- usage headers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsageReport:
    """The latest usage the platform reported for one account (percentages are 0–100+)."""

    platform: str
    observed_at: float  # clock() when the response arrived
    app: Mapping[str, float] | None = None  # X-App-Usage: call_count, total_cputime, total_time
    page: Mapping[str, float] | None = None  # X-Page-Usage (legacy Page limit), same fields
    business: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)  # X-Business-Use-Case-Usage
    ad_account: Mapping[str, Any] | None = None  # X-Ad-Account-Usage
    limit: int | None = None  # Pinterest X-RateLimit-Limit
    remaining: int | None = None  # Pinterest X-RateLimit-Remaining
    reset_after: float | None = None  # Pinterest X-RateLimit-Reset, as seconds from observed_at

    @property
    def percent(self) -> float:
        """The highest usage percentage across every reported budget (0 if none reported)."""
        values: list[float] = []
        for block in (self.app, self.page):
            if block:
                values += [float(v) for k, v in block.items() if _is_pct_key(k) and _num(v)]
        for entries in self.business.values():
            for entry in entries:
                values += [float(v) for k, v in entry.items() if _is_pct_key(k) and _num(v)]
        if self.ad_account and _num(self.ad_account.get("acc_id_util_pct")):
            values.append(float(self.ad_account["acc_id_util_pct"]))
        if self.limit and self.remaining is not None and self.limit > 0:
            values.append(100.0 * (self.limit - self.remaining) / self.limit)
        return max(values, default=0.0)

    @property
    def regain_after(self) -> float | None:
        """Seconds until access is back (BUC estimate / ad-account reset / Pinterest reset), if said."""
        waits: list[float] = []
        for entries in self.business.values():
            for entry in entries:
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and minutes > 0:
                    waits.append(float(minutes) * 60.0)
        ad = self.ad_account
        if (
            ad
            and _num(ad.get("reset_time_duration"))
            and float(ad.get("acc_id_util_pct") or 0) >= USAGE_BACKOFF_PERCENT
        ):
            waits.append(float(ad["reset_time_duration"]))
        if self.reset_after is not None and self.remaining is not None and self.remaining <= 0:
            waits.append(self.reset_after)
        return max(waits) if waits else None

    def pause_needed(self, now: float, *, base_pause: float = 10.0) -> float:
        """How long to wait before the next call given this report (0 when usage is below 90 %)."""
        elapsed = max(0.0, now - self.observed_at)
        regain = self.regain_after
        if regain is not None:
            return max(0.0, regain - elapsed)
        pct = self.percent
        if pct < USAGE_BACKOFF_PERCENT:
            return 0.0
        if self.reset_after is not None:  # Pinterest: spread what is left until the window resets
            left = max(0.0, self.reset_after - elapsed)
            if self.remaining is not None and self.remaining > 0:
                return min(left, left / self.remaining)
            return left
        # Meta: rolling one-hour window, no reset time given: pause longer the closer we are to 100 %.
        return base_pause * (6.0 if pct >= 100.0 else 1.0 + (pct - USAGE_BACKOFF_PERCENT) / 2.0)


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_pct_key(key: str) -> bool:
    return key in ("call_count", "total_cputime", "total_time")


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return jsonlib.loads(raw)
    except ValueError:
        log.debug("ignoring unparsable %s header", name)
        return None


def parse_usage_headers(
    platform: str, headers: Mapping[str, str], *, now: float, wall_now: float | None = None
) -> UsageReport | None:
    """A `UsageReport` from response headers, or None when the response carried no usage headers.

    (Meta only sends them "once enough calls have been made": absence is not zero usage, so a missing
    header keeps the previous report instead of resetting it.)
    """
    if platform in META_PLATFORMS:
        app = _json_header(headers, "X-App-Usage")
        page = _json_header(headers, "X-Page-Usage")
        buc = _json_header(headers, "X-Business-Use-Case-Usage")
        ad = _json_header(headers, "X-Ad-Account-Usage")
        business: dict[str, list[Mapping[str, Any]]] = {}
        if isinstance(buc, dict):
            for key, entries in buc.items():
                items = entries if isinstance(entries, list) else [entries]
                business[str(key)] = [e for e in items if isinstance(e, dict)]
        if not any((isinstance(app, dict), isinstance(page, dict), business, isinstance(ad, dict))):
            return None
        return UsageReport(
            platform=platform,
            observed_at=now,
            app=app if isinstance(app, dict) else None,
            page=page if isinstance(page, dict) else None,
            business=business,
            ad_account=ad if isinstance(ad, dict) else None,
        )
    limit = _int_header(headers, "X-RateLimit-Limit")
    remaining = _int_header(headers, "X-RateLimit-Remaining")
    if remaining is None:  # v3/v4-era name some proxies still send
        remaining = _int_header(headers, "X-Userendpoint-Ratelimit-Remaining")
    reset_raw = headers.get("X-RateLimit-Reset")
    reset_after: float | None = None
    if reset_raw:
        try:
            reset = float(reset_raw)
        except ValueError:
            reset = None
        if reset is not None:
            # Undocumented whether this is seconds-from-now or an epoch time: big values are epochs.
            if reset > 1_000_000_000:
                reset = reset - (time.time() if wall_now is None else wall_now)
            reset_after = max(0.0, reset)
    if limit is None and remaining is None and reset_after is None:
        return None
    return UsageReport(
        platform=platform, observed_at=now, limit=limit, remaining=remaining, reset_after=reset_after
    )


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw.split(",")[0].strip()))
    except ValueError:
        return None


# --- rate limiter ------------------------------------------------------------------------------------


class RateLimiter:
    """Token bucket per key (account): at most `burst` calls at once, then one every 1/`rate` seconds.

    `reserve()` books a slot and says how long to wait for it (so concurrent callers queue fairly
    without holding the lock while sleeping); `acquire()` also sleeps.
    """

    def __init__(
        self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst ≥ 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}

    def reserve(self, key: str = "") -> float:
        """Take one token for `key`; returns the seconds the caller must wait before calling."""
        with self._lock:
            now = self._clock()
            tokens = self._tokens.get(key, float(self.burst))
            last = self._stamp.get(key, now)
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            tokens -= 1.0
            self._tokens[key] = tokens
            self._stamp[key] = now
            return 0.0 if tokens >= 0 else -tokens / self.rate

    def acquire(self, key: str = "") -> float:
        """Wait (via the injected sleep) until a call for `key` is allowed; returns the time waited."""
        wait = self.reserve(key)
        if wait > 0:
            self._sleep(wait)
        return wait


#: (calls per second, burst) per platform. Pinterest org_write is 100/min on Standard access;
#: Meta publishes no per-user number, so stay gentle.
DEFAULT_RATES: dict[str, tuple[float, int]] = {
    "instagram": (2.0, 10),
    "facebook": (2.0, 10),
    "meta": (2.0, 10),
    "pinterest": (1.5, 10),
}


# --- retry policy ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts, exponential backoff with jitter, and a cap on the total wait."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_total: float = 300.0  # seconds of waiting (backoff + Retry-After + usage pauses) per request
    jitter: float = 0.25  # each delay is multiplied by 1 + uniform(0, jitter)
    retry_statuses: frozenset[int] = frozenset({429, 503})
    usage_pause: float = 10.0
    #: A rate-limit refusal (HTTP 429, or Meta's throttling codes 4/17/32/613/80xxx) is a rejection
    #: *before* processing, so resending even a POST cannot create a duplicate. Never after a 5xx or
    #: a dropped connection (those may have been processed: the outbox probes the platform instead).
    retry_rejected_posts: bool = True

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number `attempt` (1-based)."""
        delay = min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))
        return delay * (1.0 + rng.uniform(0.0, self.jitter))


def _failed_before_sending(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (safe to resend even a POST)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        # urllib3: NewConnectionError / NameResolutionError subclass ConnectTimeoutError.
        return isinstance(inner, ConnectTimeoutError)
    return False


# --- the session -------------------------------------------------------------------------------------


class ApiSession:
    """A `requests.Session` wrapper bound to one platform. Thread-safe enough for a worker pool.

    Build with `make_session()`. Call `request()` (or `get`/`post`/`get_json`/`post_json`).
    """

    def __init__(
        self,
        platform: str,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: tuple[float, float] = (5, 60),
        sandbox: bool = False,
        account: str | None = None,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if platform not in (*PLATFORMS, *META_PLATFORMS):
            raise ValueError(f"unknown platform {platform!r}")
        self.platform = platform
        self.sandbox = sandbox
        self.account = account
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self._rng = rng or random.Random()
        rate, burst = DEFAULT_RATES.get(platform, (2.0, 10))
        self.limiter = limiter or RateLimiter(rate, burst, clock=clock, sleep=sleep)
        self._http = session or requests.Session()
        self._http.headers["User-Agent"] = user_agent
        self._http.headers["Accept"] = "application/json"
        self._usage: dict[str, UsageReport] = {}
        self._lock = threading.Lock()
        self.base_url = base_url(platform, sandbox=sandbox)

    # -- bookkeeping ---------------------------------------------------------------------------------

    @property
    def is_meta(self) -> bool:
        return self.platform in META_PLATFORMS

    def url(self, path: str) -> str:
        """Absolute URL for `path` ("/me/accounts", "pins"); absolute URLs pass through unchanged."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def usage(self, account: str | None = None) -> UsageReport | None:
        """The latest usage report for `account` (default: the session's account)."""
        with self._lock:
            return self._usage.get(self._key(account))

    def all_usage(self) -> dict[str, UsageReport]:
        """Latest usage report per account key (a copy), e.g. for a status bar or the dry-run."""
        with self._lock:
            return dict(self._usage)

    def _key(self, account: str | None) -> str:
        return account or self.account or self.platform

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApiSession(platform={self.platform!r}, base_url={self.base_url!r}, account={self.account!r})"

    # -- requests --------------------------------------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return _json_of(self.request("GET", path, **kwargs))

    def post_json(self, path: str, **kwargs: Any) -> Any:
        return _json_of(self.request("POST", path, **kwargs))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        json: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        token: str | None = None,
        auth: tuple[str, str] | None = None,
        account: str | None = None,
        timeout: tuple[float, float] | float | None = None,
    ) -> requests.Response:
        """Send one API call, retrying only where safe; returns the 2xx/3xx response or raises.

        - `idempotent`: None = by method (GET/HEAD/PUT/DELETE/OPTIONS yes, POST/PATCH no). Mark a POST
          idempotent only when repeating it cannot create a duplicate (e.g. an unpublished IG container).
        - `token`: the access token for this call (Meta: `access_token` param; Pinterest: Bearer).
        - `auth`: HTTP Basic (client_id, client_secret) — Pinterest's token endpoint.
        - `account`: key for the rate limiter and usage reports (default: the session's account).
        Raises a `PublishError` subclass (see errors.py); its text never contains a secret.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        key = self._key(account)
        who = account or self.account
        send_params = dict(params or {})
        send_headers = dict(headers or {})
        if token:
            register_secret(token)
            if self.is_meta:
                send_params["access_token"] = token
            else:
                send_headers["Authorization"] = f"Bearer {token}"
        if auth is not None:
            register_secret(auth[1])
        url = self.url(path)
        shown = f"{method} {redact_url(url).split('?')[0]}"
        started = self._clock()
        waited = 0.0
        attempt = 0

        def budget_left() -> float:
            return self.policy.max_total - waited

        while True:
            attempt += 1
            # 1. usage-based pause and the token bucket
            pause = self._usage_pause(key)
            if pause > 0:
                if pause > budget_left():
                    raise RateLimited(
                        f"{shown}: usage is at the limit; pausing {pause:.0f} s exceeds the retry budget",
                        platform=self.platform,
                        retryable=True,
                        retry_after=pause,
                        account=who,
                    )
                log.info("%s: usage ≥ %.0f%%, pausing %.1f s", shown, USAGE_BACKOFF_PERCENT, pause)
                self._sleep(pause)
                waited += pause
            self.limiter.acquire(key)  # spacing, not a retry: does not eat the retry budget
            if files is not None:
                _rewind(files)
            # 2. send
            try:
                log.debug("%s (attempt %d)", shown, attempt)
                response = self._http.request(
                    method,
                    url,
                    params=send_params or None,
                    data=data,
                    json=json,
                    files=files,
                    headers=send_headers or None,
                    auth=auth,
                    timeout=timeout if timeout is not None else self.timeout,
                )
            except requests.RequestException as exc:
                before = _failed_before_sending(exc)
                error = ConnectionFailed(
                    f"{shown} failed: {type(exc).__name__}: {redact(exc)}",
                    platform=self.platform,
                    retryable=idempotent or before,
                    account=who,
                    maybe_done=not before and not idempotent,
                )
                delay = self.policy.backoff(attempt, self._rng)
                if error.retryable and attempt < self.policy.max_attempts and delay <= budget_left():
                    log.warning("%s; retrying in %.1f s", error.what, delay)
                    self._sleep(delay)
                    waited += delay
                    continue
                raise error from None
            # 3. bookkeeping from headers (every response, success or not)
            report = parse_usage_headers(
                self.platform, response.headers, now=self._clock(), wall_now=self._wall()
            )
            if report is not None:
                with self._lock:
                    self._usage[key] = report
            if response.status_code < 400:
                return response
            # 4. failure: classify, then retry only where safe
            failure = self._error_for(response, idempotent=idempotent, account=who, report=report)
            delay = self.policy.backoff(attempt, self._rng)
            if failure.retry_after is not None:
                delay = max(delay, failure.retry_after)
            rejected = response.status_code == 429 or isinstance(failure, RateLimited)
            resend_ok = idempotent or (self.policy.retry_rejected_posts and rejected)
            safe = (
                failure.retryable
                and resend_ok
                and not isinstance(failure, ReconnectNeeded)
                and (response.status_code in self.policy.retry_statuses or _is_rate_limit(failure))
            )
            if safe and attempt < self.policy.max_attempts and delay <= budget_left():
                log.warning("%s → HTTP %d; retrying in %.1f s", shown, response.status_code, delay)
                self._sleep(delay)
                waited += delay
                continue
            elapsed = self._clock() - started
            log.info("%s failed after %d attempt(s), %.1f s: %s", shown, attempt, elapsed, failure.what)
            raise failure

    def _usage_pause(self, key: str) -> float:
        with self._lock:
            report = self._usage.get(key)
        if report is None:
            return 0.0
        return report.pause_needed(self._clock(), base_pause=self.policy.usage_pause)

    def _error_for(
        self,
        response: requests.Response,
        *,
        idempotent: bool,
        account: str | None,
        report: UsageReport | None,
    ) -> PublishError:
        now = self._wall()
        if self.is_meta:
            platform = "facebook" if self.platform in ("facebook", "meta") else "instagram"
            return parse_meta_error(
                response, platform=platform, account=account, idempotent=idempotent, now=now
            )
        reset = report.reset_after if report is not None else None
        return parse_pinterest_error(
            response, account=account, idempotent=idempotent, now=now, reset_after=reset
        )


def _is_rate_limit(error: PublishError) -> bool:
    return isinstance(error, RateLimited)


def _rewind(files: Any) -> None:
    """Seek file objects back to 0 so a retried upload sends the whole body again."""
    values = files.values() if isinstance(files, Mapping) else files
    for item in values:
        obj = item[1] if isinstance(item, tuple) and len(item) > 1 else item
        if isinstance(obj, tuple) and len(obj) > 1:
            obj = obj[1]
        seek = getattr(obj, "seek", None)
        if callable(seek):
            seek(0)


def _json_of(response: requests.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text}


def make_session(
    platform: str,
    *,
    user_agent: str = DEFAULT_USER_AGENT,
    timeout: tuple[float, float] = (5, 60),
    **kwargs: Any,
) -> ApiSession:
    """The one factory every client uses. kwargs: sandbox, account, policy, limiter, sleep, clock,
    wall_clock, rng, session (see `ApiSession`)."""
    return ApiSession(platform, user_agent=user_agent, timeout=timeout, **kwargs)
