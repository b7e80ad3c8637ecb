"""Photo outputs: decoding for export, the clean/labeled encodes, `tags.json`, atomic writes.

* Decoding uses JPEG draft mode (DCT scaling) at the smallest scale that still gives every
  requested preset full resolution: a 12 MP photo exported at 1080 px decodes at 1/2 scale, which
  is most of an export's time saved. Then EXIF orientation is applied and the embedded ICC profile
  converted to sRGB (`studio.media.images.to_display_mode`).
* Nothing of the source's metadata is copied: EXIF (GPS, location, camera serials), XMP and IPTC
  are all dropped; the output carries only a small sRGB ICC profile.
* JPEGs step their quality down until they fit the preset's `max_bytes`; a file that cannot fit at
  `min_quality` is a problem, not a silently oversize upload.
* Files are written to a temp name in the destination folder and `os.replace`d, so a reader (or a
  crash, or Cancel) only ever sees a complete file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps

from studio.core.errors import Cancelled, StudioError, Where
from studio.core.model import Product, Tag, Variant
from studio.core.money import format_money
from studio.core.utm import UtmConfig, add_utm
from studio.media.formats import check_readable, corrupt_image_error, media_error
from studio.media.images import open_image, to_display_mode
from studio.render.fit import Placed
from studio.render.presets import ExportPreset

QUALITY_STEP = 5


class ExportError(StudioError):
    """One output could not be produced (too big, disk full, folder not writable…)."""


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """A small sRGB profile to tag outputs with, so every viewer reads the colours the same way."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


# --- decoding ------------------------------------------------------------------------------------

_ROTATES = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def load_source(
    path: str | Path, need: tuple[int, int] | None = None, data: bytes | None = None
) -> Image.Image:
    """The photo upright, 8-bit RGB in sRGB, at least `need` (displayed w, h) when given.

    JPEGs take the draft path here (decode at 1/2, 1/4, 1/8 scale); other formats go through
    `open_image`. `data` lets the caller hash and decode the same bytes read once.
    """
    path = Path(path)
    if data is None:
        check_readable(path)
        data = path.read_bytes()
    if not data:
        raise media_error(path, "the file is empty (0 bytes)", "copy it again")
    if data[:3] != b"\xff\xd8\xff":
        img = open_image(path)
    else:
        img = _load_jpeg(path, data, need)
    if img.mode == "RGBA":  # JPEG has no alpha: flatten on white, as viewers show transparency
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return img


def _load_jpeg(path: Path, data: bytes, need: tuple[int, int] | None) -> Image.Image:
    try:
        # From memory, so there is no file handle to detach from: the loaded image is returned
        # as is (no defensive copy of 3 megapixels).
        img = Image.open(io.BytesIO(data))
        orientation = _exif_orientation(img)
        if need:
            w, h = need if orientation not in _ROTATES else (need[1], need[0])
            img.draft(None, (max(1, w), max(1, h)))
        img.load()
        icc = img.info.get("icc_profile")
        out = ImageOps.exif_transpose(img) if orientation != 1 else img
        out = to_display_mode(out, icc)
    except StudioError:
        raise
    except Image.DecompressionBombError:
        raise media_error(
            path, "the image is too large to open safely", "resize it and add it again"
        ) from None
    except MemoryError:
        raise media_error(path, "the image is too large to open", "resize it and add it again") from None
    except Exception as exc:
        text = str(exc).strip() or type(exc).__name__
        raise corrupt_image_error(path, text[:160]) from None
    out.info.clear()  # no EXIF/XMP/ICC of the source may leak into an output
    return out


def _exif_orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(0x0112, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


# --- encoding ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    quality: int | None  # JPEG quality finally used


def encode(img: Image.Image, preset: ExportPreset, *, name: str = "") -> Encoded:
    """Encode for the preset, stepping JPEG quality down until under `max_bytes`."""
    if preset.format == "png":
        buf = io.BytesIO()
        img.save(buf, "PNG", icc_profile=srgb_icc())
        data = buf.getvalue()
        _check_size(data, preset, name, None)
        return Encoded(data, None)
    quality = preset.quality
    while True:
        buf = io.BytesIO()
        img.save(
            buf,
            "JPEG",
            quality=quality,
            progressive=preset.progressive,
            icc_profile=srgb_icc(),
        )
        data = buf.getvalue()
        if preset.max_bytes is None or len(data) <= preset.max_bytes or quality <= preset.min_quality:
            _check_size(data, preset, name, quality)
            return Encoded(data, quality)
        quality = max(preset.min_quality, quality - QUALITY_STEP)


def _check_size(data: bytes, preset: ExportPreset, name: str, quality: int | None) -> None:
    if preset.max_bytes is not None and len(data) > preset.max_bytes:
        at = f" even at quality {quality}" if quality is not None else ""
        raise ExportError(
            f"the {preset.name} output is {len(data):,} bytes{at}, over the {preset.max_bytes:,}-byte limit",
            where=Where(file=name or None),
            hint="lower the preset's min_quality or size",
        )


# --- writing -------------------------------------------------------------------------------------

TMP_SUFFIX = ".part"


def write_atomic(path: Path, data: bytes | str, cancelled: Callable[[], bool] | None = None) -> int:
    """Write via a temp file in the same folder + os.replace; OSErrors become ExportError naming
    the file. Returns the bytes written. `cancelled` is checked just before the rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    tmp = Path(tmp_name)
    try:
        if os.name == "posix":  # mkstemp makes 0600; outputs are ordinary files (umask applies)
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        if cancelled is not None and cancelled():
            raise Cancelled()
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise write_error(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return len(payload)


@lru_cache(maxsize=1)
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_error(path: Path, exc: OSError) -> ExportError:
    """A clear, file-naming message for the ways writing an output fails."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what, hint = "the disk is full", "free some space (or choose another --out folder) and run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what, hint = "the folder is not writable", "choose another --out folder or fix its permissions"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        what, hint = (
            "a file is in the way of the output folder",
            "move that file away or choose another --out",
        )
    else:
        what, hint = f"cannot write the file ({exc.strerror or exc})", "check the --out folder"
    return ExportError(what, where=Where(file=str(path)), hint=hint)


# --- tags in output coordinates ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagFacts:
    """A tag with what its product says, resolved once by the batch (products are plain data)."""

    tag: Tag
    product: Product | None
    variant: Variant | None


def resolve_variant(product: Product | None, tag: Tag) -> Variant | None:
    if product is None or not tag.variant_id:
        return None
    return next((v for v in product.variants if v.id == tag.variant_id), None)


def _price(product: Product, variant: Variant | None) -> Decimal:
    return variant.price if variant is not None and variant.price is not None else product.price


def tag_record(
    placed: Placed,
    facts: TagFacts,
    *,
    locale: str,
    utm: UtmConfig,
    platform: str,
    media_name: str,
) -> dict[str, Any]:
    """One entry of tags.json: product facts plus anchor/box in OUTPUT normalized coords."""
    tag, product, variant = facts.tag, facts.product, facts.variant
    doc: dict[str, Any] = {
        "tag_id": tag.id,
        "product_id": tag.product_id,
        "variant_id": tag.variant_id,
        "x": round(placed.x, 6),
        "y": round(placed.y, 6),
        "box": [round(v, 6) for v in placed.box] if placed.box else None,
    }
    if product is None:
        doc.update(missing_product=True, title="", sku="", price=None, currency=None, link="")
        return doc
    price = _price(product, variant)
    compare = (
        variant.compare_at if variant is not None and variant.compare_at is not None else product.compare_at
    )
    on_sale = compare is not None and compare > price
    sku = (variant.sku if variant is not None and variant.sku else "") or product.sku
    doc.update(
        sku=sku,
        title=product.title,
        price=format(price, "f"),
        currency=product.currency,
        price_label=format_money(price, product.currency, locale),
        compare_at=format(compare, "f") if compare is not None and on_sale else None,
        compare_label=format_money(compare, product.currency, locale)
        if compare is not None and on_sale
        else None,
        link=add_utm(
            product.url,
            utm,
            platform=platform,
            product_id=product.id,
            tag_id=tag.id,
            sku=sku,
            media=media_name,
        ),
    )
    return doc


def outside_record(facts: TagFacts) -> dict[str, Any]:
    title = facts.product.title if facts.product else f"(missing product {facts.tag.product_id})"
    return {"tag_id": facts.tag.id, "product_id": facts.tag.product_id, "title": title}


def label_items(
    placed: Sequence[Placed], facts: dict[str, TagFacts], style: Any, locale: str
) -> list[tuple[tuple[float, float], Any, str]]:
    """(anchor, LabelContent, preset) for `burn_labels`, in output normalized coords."""
    from studio.render.label_styles import resolve_preset
    from studio.render.labels import label_content

    items = []
    for p in placed:
        f = facts[p.tag.id]
        items.append(
            (
                (p.x, p.y),
                label_content(f.product, f.variant, p.tag, locale),
                resolve_preset(p.tag.style, style.preset),
            )
        )
    return items
