"""Cached thumbnails: decode a photo or video once, show it many times.

The cache key is the *content hash* plus the size, never the path: a renamed or relinked file keeps
its thumbnail, and an edited file (new hash) gets a new one. Files are written atomically (temp
file in the same folder + fsync + `os.replace`, via `studio.core.atomic`) so a crash or two workers
racing on the same media never leave half a JPEG; the last complete write wins. The cache folder
is always safe to delete.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from studio.core.atomic import atomic_write_bytes
from studio.core.errors import StudioError, Where
from studio.core.model import MediaKind
from studio.media.formats import kind_for_path
from studio.media.hashing import hex_part
from studio.media.images import open_image
from studio.media.video import poster_frame

THUMBS_DIR = "thumbs"
DEFAULT_SIZE = 320
_JPEG_QUALITY = 85


def thumbnail_path(cache_dir: str | Path, content_hash: str, size: int, *, alpha: bool = False) -> Path:
    """Where the thumbnail of this content at this size lives (JPEG, or PNG when it has alpha).

    Sharded by the first two hex digits so a 10 000-photo workspace has no 10 000-entry folder.
    """
    digest = hex_part(content_hash)
    name = f"{digest}_{int(size)}.{'png' if alpha else 'jpg'}"
    return Path(cache_dir) / THUMBS_DIR / digest[:2] / name


def cached_thumbnail(cache_dir: str | Path, content_hash: str, size: int) -> Path | None:
    """The existing thumbnail file, if any (a zero-byte leftover of a power cut does not count)."""
    for alpha in (False, True):
        candidate = thumbnail_path(cache_dir, content_hash, size, alpha=alpha)
        try:
            if candidate.stat().st_size > 0:
                return candidate
        except OSError:
            continue
    return None


def render_thumbnail(path: str | Path, size: int = DEFAULT_SIZE) -> Image.Image:
    """The thumbnail image (fits size × size, upright, sRGB) without touching any cache."""
    if kind_for_path(path) is MediaKind.VIDEO:
        return poster_frame(path, max_side=size)
    img = open_image(path, max_side=size)
    if img.mode == "RGBA" and img.getchannel("A").getextrema()[0] == 255:
        img = img.convert("RGB")  # fully opaque: a JPEG is a tenth of the PNG
    return img


def make_thumbnail(
    path: str | Path, cache_dir: str | Path, content_hash: str, size: int = DEFAULT_SIZE
) -> Path:
    """Path of the cached thumbnail, creating it if needed. Safe to call from several threads.

    Returns at once, without decoding, when it exists. Raises MediaError if the file cannot be
    decoded, StudioError if the cache cannot be written.
    """
    if size < 1:
        raise ValueError("thumbnail size must be at least 1")
    existing = cached_thumbnail(cache_dir, content_hash, size)
    if existing is not None:
        return existing
    img = render_thumbnail(path, size)
    alpha = img.mode == "RGBA"
    target = thumbnail_path(cache_dir, content_hash, size, alpha=alpha)
    buffer = io.BytesIO()
    if alpha:
        img.save(buffer, "PNG", optimize=False)
    else:
        img.convert("RGB").save(buffer, "JPEG", quality=_JPEG_QUALITY, progressive=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, buffer.getvalue(), keep_backup=False)
    except OSError as exc:
        raise StudioError(
            f"cannot write the thumbnail cache ({exc.strerror or exc})",
            where=Where(file=str(target.parent)),
            hint="check free disk space and the folder's permissions; the cache folder is safe to delete",
        ) from None
    return target
