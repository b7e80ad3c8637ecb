"""Which files are photos or videos, and how a set of dropped paths becomes a list of files.

Kinds are decided by extension first because that is what the user sees and what a folder walk
can check without opening thousands of files; the decoders then confirm the content (a PNG saved
as `.jpg` is fine, a text file saved as `.jpg` is reported). Folder walks are sorted so that the
same folder always imports in the same order (stable ids in tests, predictable undo/redo).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from studio.core.errors import MediaError, Where
from studio.core.model import MediaKind

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".hif"}
)
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".webm"})
SUPPORTED_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS

#: The list users read in error messages and file dialogs.
SUPPORTED_LABEL = "JPEG, PNG, WebP, TIFF, HEIC, MP4, MOV, M4V, WebM"
IMAGE_LABEL = "JPEG, PNG, WebP, TIFF or HEIC"
VIDEO_LABEL = "MP4, MOV, M4V or WebM"

#: Folders that are never media, whatever their content (macOS zip debris, OS thumbnail caches).
_JUNK_DIRS = frozenset({"__MACOSX", "@eaDir", "$RECYCLE.BIN", "System Volume Information"})


def kind_for_path(path: str | Path) -> MediaKind | None:
    """IMAGE or VIDEO from the file extension (any case), None when not a supported extension."""
    ext = Path(path).suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return MediaKind.IMAGE
    if ext in VIDEO_EXTENSIONS:
        return MediaKind.VIDEO
    return None


def is_supported(path: str | Path) -> bool:
    return kind_for_path(path) is not None


def file_dialog_filter() -> str:
    """A Qt-style name filter ("Media (*.jpg *.png …)") so the GUI offers exactly what we read."""
    patterns = " ".join(f"*{e}" for e in sorted(SUPPORTED_EXTENSIONS))
    return f"Photos and videos ({patterns})"


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    """Dot-files (Unix, macOS `._` resource forks) and, on Windows, the hidden attribute."""
    if entry.name.startswith("."):
        return True
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        try:
            attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        except OSError:
            return False
        return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0x2))
    return False


def _sort_key(rel: Path) -> tuple[tuple[str, str], ...]:
    """Case-insensitive, per-path-component order ("b.jpg" before "B2.jpg" before "c/a.jpg")."""
    return tuple((part.casefold(), part) for part in rel.parts)


def walk_files(folder: str | Path, *, exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Every non-hidden regular file under `folder`, recursively, in a deterministic order.

    Symlinked folders are not followed (a link back to a parent would loop forever); symlinked
    files are listed. Folders in `exclude` (e.g. the workspace's own cache) are skipped.
    Unreadable sub-folders are skipped rather than failing the whole walk.
    """
    root = Path(folder)
    excluded = {_key(Path(p)) for p in exclude}
    found: list[Path] = []
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            if _is_hidden(entry):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    path = Path(entry.path)
                    if entry.name not in _JUNK_DIRS and _key(path) not in excluded:
                        stack.append(path)
                elif entry.is_file(follow_symlinks=True):
                    found.append(Path(entry.path))
            except OSError:
                continue
    found.sort(key=lambda p: _sort_key(p.relative_to(root)))
    return found


def _key(path: Path) -> str:
    """Identity of a path for de-duplication: absolute, symlinks resolved, case-folded where the OS is."""
    try:
        resolved = path.resolve()
    except OSError:
        resolved = Path(os.path.abspath(path))
    return os.path.normcase(str(resolved))


def iter_media_files(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Expand dropped paths into media files, each at most once.

    Folders are walked recursively and yield only files with a supported extension (a folder of
    photos usually also holds sidecars, PDFs and `.DS_Store` that nobody wants reported).
    Paths named explicitly are yielded whatever their extension, or even if missing, so the caller
    can tell the user why that file was not added. Order: as given, folders sorted inside.
    """
    excluded = list(exclude)
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = [p for p in walk_files(path, exclude=excluded) if is_supported(p)]
        else:
            candidates = [path]
        for candidate in candidates:
            key = _key(candidate)
            if key in seen:
                continue
            seen.add(key)
            yield candidate


# --- what a file really is, and how to say it is broken ----------------------------------------

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


def sniff(head: bytes) -> str | None:
    """Name the format from the first bytes of a file ("jpeg", "png", "mp4"…), None if unknown.

    Only used to word error messages well: "truncated photo" vs "not a photo at all" vs "a video
    saved with a photo extension". Decoders, not this, decide what is accepted.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return "heif" if head[8:12] in _HEIF_BRANDS else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    return None


def sniff_file(path: str | Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return sniff(handle.read(32))
    except OSError:
        return None


def media_error(path: str | Path, what: str, hint: str) -> MediaError:
    """A MediaError that names the file (by its name, as the user knows it)."""
    return MediaError(what, where=Where(file=Path(path).name), hint=hint)


RECOPY_HINT = (
    "copy it again if the copy or download did not finish, otherwise re-export it from the original app"
)


def corrupt_image_error(path: str | Path, detail: str = "") -> MediaError:
    extra = f"; {detail}" if detail else ""
    return media_error(
        path,
        f"the image data is truncated or corrupt (cannot decode{extra})",
        "re-export it from the original app, or copy it again if the copy or download did not finish",
    )


def unsupported_error(path: str | Path) -> MediaError:
    return media_error(
        path,
        f"not a supported photo or video ({SUPPORTED_LABEL})",
        "export it as JPEG or PNG (photos) or MP4 (videos) and add that file",
    )


def permission_error(path: str | Path) -> MediaError:
    return media_error(path, "the file cannot be read (permission denied)", "check its permissions")


def check_readable(path: str | Path) -> int:
    """The file's size in bytes, or a MediaError saying why it cannot be read at all."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise media_error(
            p, "the file does not exist (moved, renamed or deleted?)", "check the path, or relink the media"
        ) from None
    except PermissionError:
        raise permission_error(p) from None
    except OSError as exc:
        raise media_error(p, f"the file cannot be read ({exc.strerror or exc})", RECOPY_HINT) from None
    if stat.S_ISDIR(st.st_mode):
        raise media_error(p, "is a folder, not a file", "add the folder itself to import everything in it")
    if st.st_size == 0:
        raise media_error(p, "the file is empty (0 bytes)", RECOPY_HINT)
    return st.st_size
