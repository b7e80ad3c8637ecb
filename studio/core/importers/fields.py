"""Field-level helpers shared by the importers: HTML to text, link checks, handles, ids.

Kept free of any format knowledge so Shopify and the feeds apply the same rules.
"""

from __future__ import annotations

import html
import re
import unicodedata
from decimal import Decimal
from urllib.parse import quote, urlsplit

from studio.core.money import parse_amount

# Every pattern below is linear: tags cannot span a `<`, and blocks are skipped by searching for
# their end, so a garbled 100 kB description cannot make the import hang on regex backtracking.
_BLOCK_START = re.compile(r"(?i)<(script|style|head|template)\b|<!--")
_BLOCK_END = {name: re.compile(rf"(?i)</{name}\s*>") for name in ("script", "style", "head", "template")}
_LINE_TAGS = re.compile(r"(?i)<\s*/?\s*(?:br|p|div|li|h[1-6]|tr|ul|ol|table)\b[^<>]*>")
_TAG = re.compile(r"<[^<>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The common shape of a valid link, checked without urlsplit (an import checks ~100k of them).
_SIMPLE_URL = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:[/?#][!#-~]*)?\Z"
)
_PLAIN_AMOUNT = re.compile(r"\d{1,15}(?:\.\d{1,10})?\Z")


def amount(text: str) -> Decimal:
    """`parse_amount` with a fast path for the plain `89.00` that exports almost always contain."""
    return Decimal(text) if _PLAIN_AMOUNT.match(text) else parse_amount(text)


def html_to_text(value: str) -> str:
    """Shopify descriptions are HTML; keep their text (paragraphs as lines) for display and search."""
    if "<" not in value and "&" not in value:
        return _tidy(value)
    text = _drop_blocks(value)
    text = _LINE_TAGS.sub("\n", text)
    text = _TAG.sub("", text)
    return _tidy(html.unescape(text))


def _drop_blocks(text: str) -> str:
    """Remove comments and script/style/head/template blocks; an unclosed one runs to the end."""
    parts: list[str] = []
    pos = 0
    while (start := _BLOCK_START.search(text, pos)) is not None:
        parts.append(text[pos : start.start()])
        if start.group(1) is None:  # <!--
            end = text.find("-->", start.end())
            pos = -1 if end < 0 else end + 3
        else:
            close = _BLOCK_END[start.group(1).lower()].search(text, start.end())
            pos = -1 if close is None else close.end()
        if pos < 0:
            return " ".join(parts)
        parts.append(" ")
    parts.append(text[pos:])
    return "".join(parts)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL, else raise ValueError saying why.

    Anything else (`javascript:`, `data:`, `ftp:`, relative paths) would end up in a clickable
    product link or an image fetch, so it is refused rather than stored. `//cdn…` is read as https.
    """
    url = value.strip()
    if _SIMPLE_URL.match(url):
        return url
    if url.startswith("//"):
        url = "https:" + url
    if _CONTROL.search(url) or " " in url:
        raise ValueError("contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"is not an http(s) link (scheme '{parts.scheme or 'none'}')")
    if not parts.netloc or not parts.hostname:
        raise ValueError("has no host name")
    return url


def product_link(store_url: str, handle: str) -> str:
    """`<store>/products/<handle>`, the storefront URL of a Shopify product."""
    return f"{store_url.rstrip('/')}/products/{quote(handle, safe='')}"


_SLUG_DROP = re.compile(r"[^\w\s-]")
_SLUG_DASH = re.compile(r"[\s_-]+")


def slugify(text: str) -> str:
    """A Shopify-style handle from a title: `Chemise Été!` → `chemise-ete`."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _SLUG_DROP.sub("", text.lower())
    return _SLUG_DASH.sub("-", text).strip("-")


def split_list(value: str, sep: str = ",") -> list[str]:
    """`a, b,,c` → `['a', 'b', 'c']` (tags, additional image links)."""
    return [part.strip() for part in value.split(sep) if part.strip()]
