"""A polite, cached, resumable fetcher for catalog product images.

Why polite: a catalog of thousands of products means thousands of image requests to the
brand's shop (or its CDN); hammering it gets the user rate-limited or blocked. So requests to one
host are spaced (`min_interval`), a 429/503 `Retry-After` is honoured once, and the User-Agent
names the app. Why cached on disk keyed by URL: indexing is resumable and repeatable — an image
fetched once is never fetched again (a re-index after a catalog update only fetches new URLs),
and `cache/` stays safe to delete. Files are written atomically, so a kill mid-download leaves no
half image that would later decode as garbage.

Local entries (a path relative to the workspace, an absolute path or a `file://` URL) are read
directly. Failures raise `FetchError` naming the URL and what to do; callers (the index) report
them per product and go on.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from studio import __version__
from studio.core.atomic import atomic_write_bytes
from studio.core.errors import InputError, Where

MAX_BYTES = 25 * 1024 * 1024
USER_AGENT = f"ShoppableStudio/{__version__} (product image indexer; local, offline matching)"


class FetchError(InputError):
    """An image entry could not be read or downloaded."""


def local_path(entry: str, root: Path | None) -> Path | None:
    """The local file an image entry names (path or file:// URL), or None for http(s) entries."""
    text = (entry or "").strip()
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme == "file":
        return Path(url2pathname(unquote(parsed.path)))
    if parsed.scheme and len(parsed.scheme) > 1:  # http, https, data… (a 1-letter scheme is C:\)
        return None
    path = Path(text).expanduser()
    if not path.is_absolute() and root is not None:
        path = root / path
    return path


class ImageFetcher:
    """Reads image bytes for catalog image entries; http(s) downloads are cached under `cache_dir`."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        root: Path | None = None,
        min_interval: float = 0.25,
        timeout: float = 20.0,
        session: object | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.root = root
        self.min_interval = min_interval
        self.timeout = timeout
        self._session = session
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.downloads = 0  # network requests made (tests and reports)

    def cached_path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.cache_dir / digest[:2] / digest

    def _http(self) -> object:
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._session = session
        return self._session

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(host, 0.0) + self.min_interval
            self._last[host] = max(now, ready)
        if ready > now:
            time.sleep(ready - now)

    def get(self, entry: str) -> bytes:
        """The bytes of an image entry (local file, or a cached/downloaded http(s) URL)."""
        local = local_path(entry, self.root)
        if local is not None:
            try:
                return local.read_bytes()
            except OSError as exc:
                raise FetchError(
                    f"product image cannot be read ({exc.strerror or exc})",
                    where=Where(file=str(local)),
                    hint="fix the image path in the catalog or put the file back",
                ) from None
        parsed = urlparse(entry.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise FetchError(
                f"'{entry[:200]}' is neither a file nor an http(s) address", hint="fix the image entry"
            )
        cached = self.cached_path(entry.strip())
        if cached.is_file():
            return cached.read_bytes()
        data = self._download(entry.strip(), parsed.hostname)
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(cached, data, keep_backup=False)
        return data

    def _download(self, url: str, host: str) -> bytes:
        import requests

        session = self._http()
        for attempt in range(2):
            self._wait_turn(host)
            self.downloads += 1
            try:
                resp = session.get(url, timeout=self.timeout, stream=True)  # type: ignore[attr-defined]
            except requests.RequestException as exc:
                raise FetchError(
                    f"product image download failed ({type(exc).__name__})",
                    where=Where(file=_safe(url)),
                    hint="check the network connection; indexing resumes where it stopped",
                ) from None
            with resp:
                if resp.status_code in (429, 503) and attempt == 0:
                    delay = _retry_after(resp.headers.get("Retry-After"))
                    if delay is not None and delay <= 30:
                        time.sleep(delay)
                        continue
                if resp.status_code != 200:
                    raise FetchError(
                        f"product image download failed: HTTP {resp.status_code}",
                        where=Where(file=_safe(url)),
                        hint="fix the image URL in the catalog (re-import it) or use a local file",
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_content(1 << 16):
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise FetchError(
                            f"product image is larger than {MAX_BYTES // (1024 * 1024)} MB",
                            where=Where(file=_safe(url)),
                            hint="use a smaller image",
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
        raise FetchError("product image download failed: server busy", where=Where(file=_safe(url)))


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _safe(url: str) -> str:
    """The URL without its query string (signed CDN URLs carry tokens that must not reach logs)."""
    parsed = urlparse(url)
    return parsed._replace(query="", fragment="").geturl()
