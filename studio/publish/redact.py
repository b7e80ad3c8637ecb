"""Keep tokens out of logs, exception text and reports.

Two layers, because either alone leaks:

- *Known secrets*: every token, refresh token and app secret the app handles is passed to
  `register_secret()` (the `SecretStore` and `ApiSession` do it automatically), and `redact()`
  replaces each occurrence wherever it appears — even inside text we did not anticipate.
- *Patterns*: `access_token=…`, `client_secret=…`, `Bearer …`, JSON `"access_token": "…"`, and the
  recognisable token shapes (Meta `EAA…`, Pinterest `pina_…`/`pinr.…`) are scrubbed even if a secret
  was never registered (e.g. a token from a previous run echoed back by a server).

`install_redaction()` hooks the logging record factory, so *every* record, from every logger and
to every handler (including ones added later, like pytest's caplog), is scrubbed once at creation;
`RedactingFilter` is also available to attach to individual handlers.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

#: Secrets shorter than this are not registered: scrubbing "abc" everywhere would mangle ordinary text,
#: and no real token is that short.
MIN_SECRET_LENGTH = 8

#: Parameter names whose values are always secret, in URLs, form bodies, JSON and dict reprs.
SECRET_PARAMS = (
    "access_token",
    "refresh_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "appsecret_proof",
    "code_verifier",
    "password",
    "passphrase",
    "token",
    "code",
)

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None

_names = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # query strings / form bodies: access_token=XYZ (stop at & whitespace quote or end)
    (re.compile(rf"(?<![\w-])({_names})=([^&\s'\"<>]+)", re.IGNORECASE), rf"\1={REDACTED}"),
    # JSON / Python reprs: "access_token": "XYZ"  or 'access_token': 'XYZ'
    (
        re.compile(rf"([\"']({_names})[\"']\s*:\s*[\"'])([^\"']+)([\"'])", re.IGNORECASE),
        rf"\1{REDACTED}\4",
    ),
    # HTTP auth headers, however they got into the text
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), rf"\1 {REDACTED}"),
    # Basic credentials are base64: require a digit, + / or = so prose ("Basic information") survives
    (re.compile(r"\b(Basic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}"), rf"\1 {REDACTED}"),
    # Recognisable token shapes: Meta user/page tokens, Pinterest access/refresh tokens
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(r"\bpin[ar][._][A-Za-z0-9._-]{8,}"), REDACTED),
)


def register_secret(value: str | None) -> None:
    """Remember `value` as a secret so `redact()` scrubs it from any text from now on."""
    global _secret_re
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        _secret_re = _compile(_secrets)


def forget_secret(value: str | None) -> None:
    """Stop scrubbing `value` (after a disconnect; harmless to keep, but keeps the set small)."""
    global _secret_re
    with _lock:
        _secrets.discard(value or "")
        _secret_re = _compile(_secrets) if _secrets else None


def _compile(values: Iterable[str]) -> re.Pattern[str]:
    # Longest first so a secret that contains another is replaced whole.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def redact(text: Any) -> str:
    """`text` as a string with every registered secret and every token-looking value replaced."""
    out = text if isinstance(text, str) else str(text)
    pattern = _secret_re
    if pattern is not None:
        out = pattern.sub(REDACTED, out)
    for regex, repl in _PATTERNS:
        out = regex.sub(repl, out)
    return out


def redact_url(url: str) -> str:
    """`url` with secret query parameters replaced (keeps the rest readable for debugging)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if not parts.query:
        return redact(url)
    pairs = [
        (k, REDACTED if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return redact(urlunsplit(parts._replace(query=urlencode(pairs, safe="*"))))


def _scrub_record(record: logging.LogRecord) -> None:
    if getattr(record, "_studio_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not break logging; keep the raw parts
        message = f"{record.msg} {record.args}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._studio_redacted = True


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from the message, its args and any traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_record(record)
        return True


_installed = False


def install_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Scrub every log record from now on; idempotent. Returns the filter (also added to handlers).

    The record factory is wrapped because logger- and handler-level filters only see part of the
    traffic (a filter on the root logger never sees records propagated from child loggers).
    """
    global _installed
    flt = RedactingFilter()
    with _lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _scrub_record(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed = True
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
