"""A workspace is a folder: `project.json`, `catalog.sqlite`, `cache/` (always safe to delete).

`Workspace` is the one object front ends hold: it owns the writer lock for as long as it is open,
so a second window or CLI process gets "already open in another window" instead of clobbering
saves, and it hands out the catalog store and the cache folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from studio.core import project_file
from studio.core.errors import UsageError, Where, WorkspaceError
from studio.core.lock import WorkspaceLock
from studio.core.model import Media, Project
from studio.core.money import normalize_currency, normalize_locale

if TYPE_CHECKING:
    from studio.core.catalog_store import CatalogStore

PROJECT_FILE = "project.json"
CATALOG_FILE = "catalog.sqlite"
CACHE_DIR = "cache"


def normalize_store_url(url: str) -> str:
    """`shop.example.com/` → `https://shop.example.com`; refuses anything but http(s)."""
    url = (url or "").strip().rstrip("/")
    if not url:
        return ""
    hint = "use e.g. https://shop.example.com"
    if "://" not in url:
        # `javascript:alert(1)` or `mailto:x@y` have a scheme but no `//`: refuse them rather than
        # turning them into the nonsense host `https://javascript:alert(1)`.
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d+(/|$))", url):
            raise UsageError(f"'{url}' is not a web address", hint=hint)
        url = "https://" + url
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"'{url}' is not a web address", hint=hint)
    if any(ch.isspace() for ch in url) or not re.fullmatch(r"[A-Za-z0-9.-]+", parsed.hostname):
        raise UsageError(f"'{url}' is not a web address", hint=hint)
    try:
        parsed.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise UsageError(f"'{url}' is not a web address", hint=hint) from None
    return url


def _sweep_interrupted_saves(root: Path) -> None:
    """Delete temp files a killed save left behind; only ever called while holding the lock."""
    for leftover in root.glob(f".{PROJECT_FILE}.*.tmp"):
        leftover.unlink(missing_ok=True)


class Workspace:
    """An open workspace. Open for writing (the default) holds the lock until `close()`."""

    def __init__(self, root: Path, project: Project, lock: WorkspaceLock | None) -> None:
        self.root = root
        self.project = project
        self._lock = lock
        self._catalog: CatalogStore | None = None

    # --- lifecycle --------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path | str,
        *,
        name: str | None = None,
        currency: str = "USD",
        locale: str = "en_US",
        store_url: str = "",
    ) -> Workspace:
        """Make a new workspace folder (or adopt an empty/non-workspace folder) and open it."""
        root = Path(root).expanduser().resolve()
        if (root / PROJECT_FILE).exists():
            raise UsageError(
                "a workspace already exists here",
                where=Where(file=str(root)),
                hint=f"open it with `studio open {root}`",
            )
        project = Project(
            name=name or root.name,
            currency=normalize_currency(currency),
            locale=normalize_locale(locale),
            store_url=normalize_store_url(store_url),
        )
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / CACHE_DIR).mkdir(exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot create the folder ({exc.strerror})", where=Where(file=str(root))
            ) from exc
        lock = WorkspaceLock(root)
        lock.acquire()
        ws = cls(root, project, lock)
        try:
            ws.save()
            ws.catalog  # noqa: B018 - creates catalog.sqlite with its schema now
        except BaseException:
            ws.close()
            raise
        return ws

    @classmethod
    def open(cls, root: Path | str, *, write: bool = True) -> Workspace:
        """Open an existing workspace; `write=False` reads without taking the lock."""
        root = Path(root).expanduser().resolve()
        if not root.is_dir():
            raise WorkspaceError(
                "workspace folder not found", where=Where(file=str(root)), hint="create it with `studio init`"
            )
        if not (root / PROJECT_FILE).exists():
            raise WorkspaceError(
                "this folder is not a Shoppable Studio workspace (no project.json)",
                where=Where(file=str(root)),
                hint="create one with `studio init FOLDER`",
            )
        lock = WorkspaceLock(root) if write else None
        if lock:
            lock.acquire()
        try:
            project = project_file.load(root / PROJECT_FILE)
            (root / CACHE_DIR).mkdir(exist_ok=True)
            if lock:
                _sweep_interrupted_saves(root)
        except BaseException:
            if lock:
                lock.release()
            raise
        return cls(root, project, lock)

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- parts ------------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return self._lock is not None and self._lock.held

    @property
    def project_path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def cache_dir(self) -> Path:
        return self.root / CACHE_DIR

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG_FILE

    @property
    def catalog(self) -> CatalogStore:
        if self._catalog is None:
            from studio.core.catalog_store import CatalogStore

            self._catalog = CatalogStore(self.catalog_path)
        return self._catalog

    def save(self) -> None:
        if not self.writable:
            raise WorkspaceError(
                "this workspace was opened read-only",
                where=Where(file=str(self.root)),
                hint="open it for writing",
            )
        project_file.save(self.project, self.project_path)

    # --- media paths ------------------------------------------------------------------------

    def media_path(self, media: Media) -> Path:
        """Absolute path of a media file (stored relative when inside the workspace)."""
        p = Path(media.path)
        return p if p.is_absolute() else self.root / p

    def find_media(self, ref: str) -> Media | None:
        """A media by id, by stored path, by file name, or by a path on disk."""
        project = self.project
        found = project.media_by_id(ref)
        if found:
            return found
        for m in project.media:
            if m.path == ref or m.name == ref:
                return m
        candidate = Path(ref).expanduser()
        try:
            resolved = candidate.resolve()
        except OSError:
            return None
        for m in project.media:
            if self.media_path(m).resolve() == resolved:
                return m
        return None
