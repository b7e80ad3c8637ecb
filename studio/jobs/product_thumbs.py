"""Product thumbnails for an offline-first app: a local image, else the product in the brand's photos.

Catalog image URLs are remote, and the studio must work on a train. So a product's thumbnail is
(a) a local file named by one of its image entries (a path, relative to the workspace or absolute,
or a `file://` URL) when it exists, else (b) a square crop around the first tagged *box* of that
product in the workspace media (photos before videos: decoding a photo is cheaper), which shows the
product as the brand itself photographed it, else None (the UI draws an initials placeholder).

The cache file name holds a hash of the *source* (file path + mtime + size, or media content hash
+ box + time), so moving a tag's box or replacing the local image yields a new file; older files of
the same product are deleted. Files are written atomically, and `cache/` is always safe to delete.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from PIL import Image, ImageOps

from studio.core.atomic import atomic_write_bytes
from studio.core.errors import StudioError, Where
from studio.core.model import Media, MediaKind, Product, Project
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import CACHE_DIR
from studio.media.images import open_image
from studio.media.video import frame_at

PRODUCTS_DIR = "products"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class ThumbSource:
    """Where a product thumbnail comes from; `key` changes whenever the picture would change."""

    kind: str  # "file" | "box"
    path: Path
    key: str
    media: Media | None = None
    box: tuple[float, float, float, float] | None = None
    time: float = 0.0


def local_image_path(entry: str, ws_root: str | Path) -> Path | None:
    """The local file an image entry names, if it is local and exists (http(s) URLs are not)."""
    text = (entry or "").strip()
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme == "file":
        path = Path(url2pathname(unquote(parsed.path)))
    elif parsed.scheme and len(parsed.scheme) > 1:  # http, https, data… (a 1-letter scheme is C:\)
        return None
    else:
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = Path(ws_root) / path
    try:
        return path if path.is_file() else None
    except OSError:
        return None


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def _media_path(ws_root: Path, media: Media) -> Path:
    p = Path(media.path)
    return p if p.is_absolute() else ws_root / p


def find_source(ws_root: str | Path, project: Project, product: Product, size: int) -> ThumbSource | None:
    """The best available source of this product's thumbnail (cheap: no decoding)."""
    root = Path(ws_root)
    entries = [*product.images, *(v.image for v in product.variants if v.image)]
    for entry in entries:
        path = local_image_path(entry, root)
        if path is not None:
            st = path.stat()
            return ThumbSource("file", path, _digest("file", str(path), st.st_mtime_ns, st.st_size, size))
    for wanted in (MediaKind.IMAGE, MediaKind.VIDEO):
        for media in project.media:
            if media.kind is not wanted:
                continue
            for tag in media.tags:
                if tag.product_id != product.id or tag.box is None:
                    continue
                path = _media_path(root, media)
                if not path.is_file():
                    break  # missing media: try the next one
                box = tuple(round(v, 4) for v in tag.box)
                t = float(tag.start or 0.0)
                key = _digest("box", media.content_hash, box, t, size)
                return ThumbSource("box", path, key, media=media, box=tag.box, time=t)
    return None


def thumbnail_file(ws_root: str | Path, product_id: str, key: str) -> Path:
    """cache/products/<safe id>-<key>.png (the id is sanitized; its hash keeps it unique)."""
    safe = _SAFE.sub("_", product_id)[:48] or "product"
    return Path(ws_root) / CACHE_DIR / PRODUCTS_DIR / f"{safe}-{_digest(product_id)[:6]}{key}.png"


def square_around(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """A pixel square centred on the box, big enough to hold it, moved (not cut) to stay inside.

    A square keeps the product undistorted in a square list icon; when the square is larger than
    the picture's short side it is clipped, and the caller pads.
    """
    x0, y0, x1, y1 = (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
    side = max(x1 - x0, y1 - y0, 1.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = min(max(cx - side / 2, 0.0), max(width - side, 0.0))
    top = min(max(cy - side / 2, 0.0), max(height - side, 0.0))
    right = min(left + side, width)
    bottom = min(top + side, height)
    return (
        int(left),
        int(top),
        max(math.ceil(right), int(left) + 1),
        max(math.ceil(bottom), int(top) + 1),
    )


def _decode_scale(media: Media, box: tuple[float, float, float, float], size: int) -> int | None:
    """Decode just big enough for the crop to have `size` pixels (JPEG DCT scaling does the rest)."""
    w, h = max(media.width, 1), max(media.height, 1)
    crop_px = max(min((box[2] - box[0]) * w, (box[3] - box[1]) * h), 1.0)
    needed = math.ceil(size * max(w, h) / crop_px)
    return None if needed >= max(w, h) else max(needed, size)


def _render(source: ThumbSource, size: int) -> Image.Image:
    if source.kind == "file":
        img = open_image(source.path, max_side=size)
    else:
        assert source.media is not None and source.box is not None
        max_side = _decode_scale(source.media, source.box, size)
        if source.media.kind is MediaKind.VIDEO:
            frame = frame_at(source.path, source.time, max_side=max_side)
        else:
            frame = open_image(source.path, max_side=max_side)
        img = frame.crop(square_around(source.box, frame.width, frame.height))
    img = img.convert("RGBA")
    return ImageOps.pad(img, (size, size), Image.Resampling.LANCZOS, color=(0, 0, 0, 0))


def product_thumbnail(
    ws_root: str | Path,
    project: Project,
    product: Product,
    size: int = 64,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Path | None:
    """Path of the product's cached thumbnail PNG (size × size), making it if needed; None if none.

    A source that fails to decode is skipped for the next candidate; only a cache that cannot be
    written raises (StudioError).
    """
    if size < 1:
        raise ValueError("thumbnail size must be at least 1")
    progress(0, 1, f"thumbnail of {product.title}")
    source = find_source(ws_root, project, product, size)
    if source is None:
        progress(1, 1, "")
        return None
    target = thumbnail_file(ws_root, product.id, source.key)
    try:
        if target.stat().st_size > 0:
            progress(1, 1, "")
            return target
    except OSError:
        pass
    if cancel is not None:
        cancel.raise_if_cancelled()
    try:
        img = _render(source, size)
    except (StudioError, OSError, ValueError):
        progress(1, 1, "")
        return None
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, buffer.getvalue(), keep_backup=False)
    except OSError as exc:
        raise StudioError(
            f"cannot write the product thumbnail cache ({exc.strerror or exc})",
            where=Where(file=str(target.parent)),
            hint="check free disk space and permissions; the cache folder is safe to delete",
        ) from None
    stem = target.name[: -len(source.key) - len(".png")]
    for old in target.parent.glob(f"{stem}*.png"):
        if old != target:
            old.unlink(missing_ok=True)
    progress(1, 1, "")
    return target
