"""What can go wrong when talking to Meta and Pinterest, as errors a user (and the outbox) can act on.

Every failure becomes a `PublishError` carrying the platform's own facts (HTTP status, error code and
subcode, trace/request id) plus two decisions the rest of the app needs:

- `retryable`: may the *same* request be sent again automatically? (`ApiSession` and the outbox obey
  it; a `ReconnectNeeded` is never retryable, so an expired token can never cause a retry loop.)
- `maybe_done`: might the operation have taken effect even though we got an error (a dropped
  connection after a POST was sent, Meta's "duplicate post" or "activity restricted")? The outbox must
  then *verify* on the platform before posting again, never blindly repeat.

The parsers follow the documented shapes (../shared/platforms/publishing.md §1.8, §2.5, §4.6):
Meta `{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"is_transient", "fbtrace_id"}}` and Pinterest `{"code": int, "message": str}`.
Messages are passed through `redact()`: servers sometimes echo request parameters back.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from typing import TYPE_CHECKING, Any

from studio.core.errors import StudioError, Where
from studio.publish.redact import redact

if TYPE_CHECKING:  # requests is only needed for type hints here; parsers duck-type the response
    import requests

PLATFORM_LABELS = {"instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest", "meta": "Meta"}

# --- Meta code tables (publishing.md §2.5; the 32/80xxx family is community-documented) -------------
META_AUTH_CODES = frozenset({102, 190})
META_AUTH_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})
META_RATE_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80000, 80015))
META_PERMISSION_CODES = frozenset({3, 10}) | frozenset(range(200, 300))
META_TRANSIENT_CODES = frozenset({1, 2})
#: Instagram subcodes the docs say to simply retry (download timeout, IG server error, create failed, …)
META_RETRY_SUBCODES = frozenset({2207001, 2207003, 2207032, 2207082, 1363047, 1609010})
#: Instagram subcodes after which the container is dead and a *new* container must be created.
META_NEW_CONTAINER_SUBCODES = frozenset({2207006, 2207008, 2207020, 2207053})
#: Responses meaning "this may already be posted": verify before trying again.
META_MAYBE_DONE_CODES = frozenset({506})
META_MAYBE_DONE_SUBCODES = frozenset({2207051, 1366051})
#: Instagram's 24-hour publishing limit (code 9 / 2207042): wait for quota, do not hammer.
META_PUBLISH_LIMIT_SUBCODE = 2207042
META_POSTING_TOO_FAST_SUBCODE = 1390008
#: Pinterest: Trial-access apps may not create Pins in production.
PINTEREST_TRIAL_CODE = 29


class PublishError(StudioError):
    """A request to a platform failed. Attributes are the platform's facts plus what to do next."""

    default_hint: str | None = None

    def __init__(
        self,
        what: str,
        *,
        platform: str,
        status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        trace_id: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        field: str | None = None,
        account: str | None = None,
        maybe_done: bool = False,
        user_title: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.platform = platform
        self.status = status
        self.code = code
        self.subcode = subcode
        self.trace_id = trace_id
        self.retryable = retryable
        self.retry_after = retry_after
        self.account = account
        self.maybe_done = maybe_done
        self.user_title = user_title
        super().__init__(
            redact(what),
            where=Where(field=field, platform=PLATFORM_LABELS.get(platform, platform)),
            hint=redact(hint)
            if hint
            else (self.default_hint.format(account=account or "the account") if self.default_hint else None),
        )

    @property
    def field(self) -> str | None:
        return self.where.field

    def message(self) -> str:
        text = super().message()
        facts = []
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        if self.code is not None:
            facts.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode is not None else ""))
        if self.trace_id:
            facts.append(f"trace {self.trace_id}")
        return f"{text} ({', '.join(facts)})" if facts else text

    def to_dict(self) -> dict[str, Any]:
        doc = super().to_dict()
        doc.update(
            platform=self.platform,
            status=self.status,
            code=self.code,
            subcode=self.subcode,
            trace_id=self.trace_id,
            retryable=self.retryable,
            retry_after=self.retry_after,
            account=self.account,
            maybe_done=self.maybe_done,
        )
        return doc

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message()!r})"


class ReconnectNeeded(PublishError):
    """The token is expired, revoked or invalid (Meta 190/102, Pinterest 401). Never retried."""

    default_hint = "Open Settings → Accounts → Reconnect (or run `studio accounts connect PLATFORM`)."

    def __init__(self, what: str, **kwargs: Any) -> None:
        kwargs["retryable"] = False
        super().__init__(what, **kwargs)


class RateLimited(PublishError):
    """The platform throttled us (HTTP 429, Meta 4/17/32/613/80xxx). `retry_after` is seconds, if known."""

    default_hint = "The platform is rate limiting {account}; publishing resumes automatically after a pause."


class PermissionMissing(PublishError):
    """The token lacks a permission/task (Meta 10, 200–299, 3; Pinterest 403)."""

    default_hint = "Reconnect {account} and grant every permission the app asks for."

    def __init__(self, what: str, **kwargs: Any) -> None:
        kwargs["retryable"] = False
        super().__init__(what, **kwargs)


class InvalidRequest(PublishError):
    """The platform rejected what we sent (4xx); `field` names the parameter when the platform says."""

    default_hint = "Fix the post (see the message) and publish again."

    def __init__(self, what: str, **kwargs: Any) -> None:
        kwargs.setdefault("retryable", False)
        super().__init__(what, **kwargs)


class ServerError(PublishError):
    """The platform failed (5xx, Meta codes 1/2, transient IG errors). Retryable only if idempotent."""

    default_hint = "The platform had a temporary problem; try again in a few minutes."


class ConnectionFailed(PublishError):
    """No usable HTTP response (refused, DNS, timeout, dropped connection).

    `maybe_done` is True when the request may have reached the server (anything after connecting),
    so a non-idempotent step must be verified, not repeated.
    """

    default_hint = "Check the internet connection; publishing resumes when the platform is reachable."


class AuthorizationFailed(PublishError):
    """The OAuth flow failed: the user declined, the `state` did not match (CSRF), or it timed out."""

    def __init__(self, what: str, **kwargs: Any) -> None:
        kwargs["retryable"] = False
        super().__init__(what, **kwargs)


class SecretsUnavailable(StudioError):
    """No usable OS keyring, and the encrypted-file fallback was not chosen (or cannot be opened)."""


# --- helpers ---------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_FIELD_RES = (
    re.compile(r"\bparam(?:eter)?\s+['\"]?([A-Za-z_][\w.\[\]]*)", re.IGNORECASE),
    re.compile(r"\b([a-z_][a-z0-9_]*) (?:is|are) (?:required|invalid|too long|missing)", re.IGNORECASE),
)


def _guess_field(message: str) -> str | None:
    for regex in _FIELD_RES:
        m = regex.search(message)
        if m:
            return m.group(1)
    return None


def _buc_regain_seconds(response: requests.Response) -> float | None:
    """Longest `estimated_time_to_regain_access` (minutes) in X-Business-Use-Case-Usage, as seconds."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    best: float | None = None
    if isinstance(doc, dict):
        for entries in doc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict):
                    minutes = entry.get("estimated_time_to_regain_access")
                    if isinstance(minutes, int | float) and minutes > 0:
                        best = max(best or 0.0, float(minutes) * 60.0)
    return best


def parse_meta_error(
    response: requests.Response,
    *,
    platform: str = "facebook",
    account: str | None = None,
    idempotent: bool = True,
    now: float | None = None,
) -> PublishError:
    """Turn a failed Graph API response into the matching `PublishError` subclass.

    `idempotent` decides whether server-side failures may be retried with the same request.
    """
    status = response.status_code
    body = _json_body(response)
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = {}
    code = _int(err.get("code"))
    subcode = _int(err.get("error_subcode"))
    raw_message = str(err.get("message") or "").strip()
    user_msg = str(err.get("error_user_msg") or "").strip()
    user_title = str(err.get("error_user_title") or "").strip() or None
    trace_id = err.get("fbtrace_id") or response.headers.get("x-fb-trace-id")
    label = PLATFORM_LABELS.get(platform, platform)
    message = user_msg or raw_message or (response.reason or f"HTTP {status}")
    field = None
    blame = (err.get("error_data") or {}) if isinstance(err.get("error_data"), dict) else {}
    specs = blame.get("blame_field_specs") if isinstance(blame, dict) else None
    if isinstance(specs, list) and specs:
        first = specs[0]
        field = str(first[0] if isinstance(first, list) and first else first)
    common: dict[str, Any] = dict(
        platform=platform,
        status=status,
        code=code,
        subcode=subcode,
        trace_id=trace_id,
        account=account,
        user_title=user_title,
    )
    retry_header = parse_retry_after(response.headers.get("Retry-After"), now=now)

    if code in META_AUTH_CODES or subcode in META_AUTH_SUBCODES or (status == 401 and code is None):
        who = account or f"the {label} account"
        return ReconnectNeeded(
            f"Reconnect {who}: {label} no longer accepts the saved login — {message}", **common
        )
    if subcode == META_PUBLISH_LIMIT_SUBCODE or code == 9:
        return RateLimited(
            f"Instagram's 24-hour publishing limit is reached: {message}",
            retryable=False,
            retry_after=retry_header,
            hint="The post waits in the outbox until the daily quota frees up; nothing is lost.",
            **common,
        )
    if code in META_RATE_CODES or status == 429 or subcode == META_POSTING_TOO_FAST_SUBCODE:
        retry_after = retry_header
        regain = _buc_regain_seconds(response)
        if regain is not None:
            retry_after = max(retry_after or 0.0, regain)
        return RateLimited(
            f"{label} is rate limiting the app: {message}", retryable=True, retry_after=retry_after, **common
        )
    if code in META_PERMISSION_CODES or (status == 403 and code is None):
        return PermissionMissing(f"{label} refused: a permission is missing: {message}", **common)
    if code in META_MAYBE_DONE_CODES or subcode in META_MAYBE_DONE_SUBCODES:
        return InvalidRequest(
            f"{label} says this may already be posted: {message}",
            maybe_done=True,
            hint="Check the account before publishing again; the outbox verifies instead of reposting.",
            **common,
        )
    if code == 368:
        return PublishError(
            f"{label} temporarily blocked posting for policy reasons: {message}",
            retryable=False,
            hint="Wait before publishing again and review the platform's notifications.",
            **common,
        )
    transient = (
        bool(err.get("is_transient")) or code in META_TRANSIENT_CODES or subcode in META_RETRY_SUBCODES
    )
    if status >= 500 or transient:
        return ServerError(
            f"{label} had a temporary problem: {message}",
            retryable=idempotent,
            retry_after=retry_header,
            **common,
        )
    if subcode in META_NEW_CONTAINER_SUBCODES:
        return InvalidRequest(
            f"{label} dropped the prepared media: {message}",
            retryable=False,
            hint="The media will be prepared again (a new container) on the next attempt.",
            field=field,
            **common,
        )
    return InvalidRequest(
        f"{label} rejected the request: {message}",
        field=field or _guess_field(raw_message or message),
        **common,
    )


def parse_pinterest_error(
    response: requests.Response,
    *,
    account: str | None = None,
    idempotent: bool = True,
    now: float | None = None,
    reset_after: float | None = None,
) -> PublishError:
    """Turn a failed Pinterest v5 response (`{"code": int, "message": str}`) into a `PublishError`.

    `reset_after` is the seconds-until-reset already parsed from the `X-RateLimit-Reset` header
    (see `http.parse_usage_headers`); Pinterest documents no Retry-After, but we honour one if sent.
    """
    status = response.status_code
    body = _json_body(response)
    body = body if isinstance(body, dict) else {}
    code = _int(body.get("code"))
    message = str(body.get("message") or "").strip() or (response.reason or f"HTTP {status}")
    detail = str(body.get("message_detail") or "").strip()
    if detail:
        message = f"{message} ({detail})"
    trace_id = response.headers.get("x-pinterest-rid")
    common: dict[str, Any] = dict(
        platform="pinterest", status=status, code=code, trace_id=trace_id, account=account
    )
    if status == 401:
        who = account or "the Pinterest account"
        return ReconnectNeeded(
            f"Reconnect {who}: Pinterest no longer accepts the saved login — {message}", **common
        )
    if code == PINTEREST_TRIAL_CODE:
        return PermissionMissing(
            f"Pinterest refused: {message}",
            hint="This app has Trial access: choose the Pinterest sandbox account for {account}, "
            "or apply for Standard access.".format(account=account or "this account"),
            **common,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=now)
        if retry_after is None:
            retry_after = reset_after
        return RateLimited(
            f"Pinterest is rate limiting the app: {message}",
            retryable=True,
            retry_after=retry_after,
            **common,
        )
    if status == 403:
        return PermissionMissing(f"Pinterest refused: {message}", **common)
    if status >= 500:
        return ServerError(
            f"Pinterest had a temporary problem: {message}",
            retryable=idempotent,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now=now),
            **common,
        )
    return InvalidRequest(f"Pinterest rejected the request: {message}", field=_guess_field(message), **common)
