"""Reading photos the way a viewer shows them: upright, 8-bit, in sRGB.

Everything downstream (tag coordinates, detection, the canvas, exports) assumes the *displayed*
image, so the three traps of real-world photos are handled here once:

* EXIF orientation — phones store pixels sideways and a tag says how to turn them. Sizes are
  reported after turning, and `open_image` returns turned pixels (`ImageOps.exif_transpose`).
* Modes — CMYK JPEGs (Photoshop's Adobe-inverted kind, which Pillow decodes correctly), 16-bit PNG
  and TIFF (`I;16*`: must be scaled by 1/256, a plain `convert("L")` clips everything to white),
  palettes, grey with alpha… all become 8-bit RGB or RGBA.
* Colour — an embedded ICC profile (iPhone Display P3, Adobe RGB, a CMYK press profile) is
  converted to sRGB with LittleCMS, so colours match what the photographer saw.

`read_image_info` (used by probe) never decodes full pixels: it reads the header and EXIF and
checks the file's integrity as cheaply as each format allows (see `_verify`), so adding 500
photos is quick. `ImageFile.LOAD_TRUNCATED_IMAGES` is never set: a truncated photo is an error.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from studio.core.errors import MediaError, StudioError
from studio.media.formats import (
    IMAGE_LABEL,
    check_readable,
    corrupt_image_error,
    media_error,
    permission_error,
    sniff_file,
)

#: Pillow format name -> our short name. MPO is how Pillow names camera JPEGs that carry a second
#: (depth or preview) picture; it is a JPEG for every purpose here.
PIL_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "TIFF": "tiff", "HEIF": "heif"}

#: EXIF orientation -> (clockwise degrees, mirrored) applied to show the photo upright
#: (exiftool's wording: 5 = "mirror horizontal and rotate 270 CW").
ORIENTATIONS: dict[int, tuple[int, bool]] = {
    1: (0, False),
    2: (0, True),
    3: (180, False),
    4: (180, True),
    5: (270, True),
    6: (90, False),
    7: (90, True),
    8: (270, False),
}

_heif_lock = threading.Lock()
_heif_registered = False


def ensure_heif_registered() -> None:
    """Teach Pillow to open HEIC/HEIF, once per process, on first need (thread-safe).

    Lazy because importing pillow-heif loads libheif, which most sessions (no iPhone photos) never need.
    """
    global _heif_registered
    if _heif_registered:
        return
    with _heif_lock:
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_registered = True


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What probe needs from a photo, read from its header only."""

    width: int  # displayed, i.e. after EXIF orientation
    height: int
    format_name: str  # "jpeg", "png", "webp", "tiff", "heif"
    mode: str  # Pillow mode of the stored pixels ("RGB", "CMYK", "I;16"…)
    orientation: int  # EXIF orientation 1..8 as found in the file
    rotation: int  # clockwise degrees turned to display it (0, 90, 180, 270)
    mirrored: bool
    has_icc: bool


def _orientation(img: Image.Image) -> int:
    """EXIF orientation (1 when absent or nonsense), or what pillow-heif already applied."""
    value = img.info.get("original_orientation")  # pillow-heif turns HEIC itself and keeps this
    if value is None:
        try:
            # The base-class method: PngImageFile.getexif() would decode all pixels looking for
            # an eXIf chunk after the image data.
            value = Image.Image.getexif(img).get(ExifTags.Base.Orientation)
        except Exception:  # broken EXIF must not make a good photo unreadable
            value = None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1
    return number if number in ORIENTATIONS else 1


def _stored_size(img: Image.Image) -> tuple[int, int]:
    """Size of the pixels as stored, before any orientation.

    Needed for TIFF: recent Pillow reports a TIFF's size already turned (and turns it on load),
    older Pillow does not; the header tags say the truth either way.
    """
    if img.format == "TIFF":
        tags = getattr(img, "tag_v2", {})
        width, height = tags.get(256), tags.get(257)
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return img.size


def _needs_transpose(img: Image.Image) -> bool:
    """True when the pixels still have to be turned (HEIC comes turned by libheif already)."""
    return "original_orientation" not in img.info and _orientation(img) != 1


@contextmanager
def _opened(path: Path) -> Iterator[Image.Image]:
    """Image.open with every way it fails turned into a MediaError that names the file."""
    check_readable(path)
    ensure_heif_registered()
    try:
        img = Image.open(path)
    except UnidentifiedImageError:
        raise _not_readable_error(path) from None
    except Image.DecompressionBombError as exc:
        raise _too_large_error(path, exc) from None
    except FileNotFoundError:
        check_readable(path)  # the file vanished between the check and the open: say so
        raise
    except PermissionError:
        raise permission_error(path) from None
    except StudioError:
        raise
    except Exception as exc:  # plugins raise OSError, SyntaxError, ValueError, struct.error…
        raise corrupt_image_error(path, _short(exc)) from None
    try:
        fmt = PIL_FORMATS.get(img.format or "")
        if fmt is None:
            raise media_error(
                path,
                f"is a {img.format or 'unknown'} image, which Studio does not support",
                "convert it to JPEG or PNG and add that file",
            )
        yield img
    finally:
        img.close()


def _not_readable_error(path: Path) -> MediaError:
    kind = sniff_file(path)
    if kind in ("jpeg", "png", "webp", "tiff", "heif"):
        return corrupt_image_error(path)
    if kind in ("mp4", "webm"):
        return media_error(
            path, "is a video saved with a photo extension", "rename it to .mp4 (or .webm) and add it again"
        )
    return media_error(
        path,
        f"is not a photo (its content is not {IMAGE_LABEL})",
        "it may have the wrong extension; open it in its original app and export it as JPEG or PNG",
    )


def _too_large_error(path: Path, exc: Exception) -> MediaError:
    return media_error(
        path,
        "the image is too large to open safely (decompression-bomb limit)",
        f"resize it below {Image.MAX_IMAGE_PIXELS or 0:,} pixels and add it again ({_short(exc)})",
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "…"


# --- integrity checks that do not decode full pixels -------------------------------------------


def _verify(img: Image.Image, path: Path, fmt: str, size: int) -> None:
    """Prove the pixel data is there and sane, as cheaply as the format allows.

    * JPEG: decode at 1/8 scale (`draft`): every entropy-coded byte is still parsed, so both
      truncation and garbage are caught, at ~1/50 of a full decode's cost.
    * PNG: `verify()` walks every chunk and checks its CRC without inflating the pixels.
    * TIFF: every strip/tile the file points at must lie inside the file (catches truncation).
    * HEIF: every item extent in the `iloc` table must lie inside the file (catches truncation,
      which libheif only notices when decoding).
    * WebP: the RIFF size must fit the file (libwebp already validates the chunk layout on open).
    Damage these checks cannot see surfaces later as a MediaError from `open_image`.
    """
    try:
        if fmt == "jpeg":
            w, h = img.size
            img.draft(None, (max(1, w // 8), max(1, h // 8)))
            img.load()
        elif fmt == "png":
            img.verify()
        elif fmt == "tiff":
            _verify_tiff(img, path, size)
        elif fmt == "heif":
            end = heif_extents_end(path)
            if end is not None and end > size:
                raise _truncated(path, end, size)
        elif fmt == "webp":
            with open(path, "rb") as handle:
                head = handle.read(12)
            riff_size = struct.unpack("<I", head[4:8])[0] + 8 if len(head) >= 12 else 0
            if riff_size > size:
                raise _truncated(path, riff_size, size)
    except StudioError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_large_error(path, exc) from None
    except Exception as exc:
        raise corrupt_image_error(path, _short(exc)) from None


def _truncated(path: Path, needed: int, size: int) -> MediaError:
    return media_error(
        path,
        f"the image file is truncated (it needs {needed:,} bytes but has {size:,})",
        "copy it again; the copy or download did not finish",
    )


def _verify_tiff(img: Image.Image, path: Path, size: int) -> None:
    tags = getattr(img, "tag_v2", {})
    offsets = tags.get(273) or tags.get(324)  # StripOffsets / TileOffsets
    counts = tags.get(279) or tags.get(325)  # StripByteCounts / TileByteCounts
    if not offsets or not counts:
        return
    if isinstance(offsets, int):
        offsets = (offsets,)
    if isinstance(counts, int):
        counts = (counts,)
    end = max(int(o) + int(c) for o, c in zip(offsets, counts))
    if end > size:
        raise _truncated(path, end, size)


def heif_extents_end(path: Path) -> int | None:
    """The furthest byte any item of a HEIF file points at (from its `iloc` box), None if unknown.

    A small ISO-BMFF reader: top-level boxes, the `meta` box, its `iloc` (ISO/IEC 14496-12 §8.11.3).
    Items stored in `idat` or by reference (construction methods 1 and 2) are inside the meta box
    and need no check.
    """
    with open(path, "rb") as f:
        f.seek(0, 2)
        file_size = f.tell()
        pos = 0
        while pos + 8 <= file_size:
            f.seek(pos)
            header = f.read(16)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            header_len = 8
            if box_size == 1:
                box_size = struct.unpack(">Q", header[8:16])[0]
                header_len = 16
            elif box_size == 0:
                box_size = file_size - pos
            if box_size < header_len:
                return None
            if box_type == b"meta":
                f.seek(pos + header_len)
                payload = f.read(min(box_size - header_len, 64 << 20))
                return _iloc_end(payload[4:])  # skip the FullBox version/flags
            pos += box_size
    return None


def _iloc_end(meta_children: bytes) -> int | None:
    pos = 0
    while pos + 8 <= len(meta_children):
        size, kind = struct.unpack(">I4s", meta_children[pos : pos + 8])
        if size < 8:
            return None
        if kind == b"iloc":
            return _parse_iloc(meta_children[pos + 8 : pos + size])
        pos += size
    return None


def _parse_iloc(data: bytes) -> int | None:
    buf = io.BytesIO(data)

    def read(n: int) -> int:
        if n == 0:
            return 0
        raw = buf.read(n)
        if len(raw) != n:
            raise EOFError
        return int.from_bytes(raw, "big")

    try:
        version = read(1)
        read(3)  # flags
        sizes = read(1)
        offset_size, length_size = sizes >> 4, sizes & 0xF
        sizes = read(1)
        base_offset_size = sizes >> 4
        index_size = sizes & 0xF if version in (1, 2) else 0
        item_count = read(2) if version < 2 else read(4)
        furthest = 0
        for _ in range(item_count):
            read(2 if version < 2 else 4)  # item id
            method = read(2) & 0xF if version in (1, 2) else 0
            data_ref = read(2)
            base = read(base_offset_size)
            for _ in range(read(2)):
                read(index_size)
                offset = read(offset_size)
                length = read(length_size)
                if method == 0 and data_ref == 0 and length:
                    furthest = max(furthest, base + offset + length)
        return furthest or None
    except EOFError:
        return None


# --- public API ----------------------------------------------------------------------------------


def read_image_info(path: str | Path) -> ImageFacts:
    """Header facts of a photo after checking it can be decoded; MediaError if not."""
    path = Path(path)
    size = check_readable(path)
    with _opened(path) as img:
        fmt = PIL_FORMATS[img.format or ""]
        orientation = _orientation(img)
        rotation, mirrored = ORIENTATIONS[orientation]
        width, height = _stored_size(img)
        if _needs_transpose(img) and rotation in (90, 270):
            width, height = height, width
        mode = img.mode
        has_icc = bool(img.info.get("icc_profile"))
        _verify(img, path, fmt, size)
    if width <= 0 or height <= 0:
        raise corrupt_image_error(path, "zero size")
    return ImageFacts(width, height, fmt, mode, orientation, rotation, mirrored, has_icc)


def open_image(path: str | Path, max_side: int | None = None) -> Image.Image:
    """The photo as displayed: upright, 8-bit RGB or RGBA, sRGB. Fully loaded; the file is closed.

    With `max_side`, the result fits in max_side × max_side; JPEGs are then decoded at a reduced
    scale (DCT scaling via `draft`), which makes a 24-megapixel thumbnail ~10× faster.
    """
    path = Path(path)
    if max_side is not None and max_side < 1:
        raise ValueError("max_side must be at least 1")
    with _opened(path) as img:
        try:
            if max_side and img.format in ("JPEG", "MPO"):
                w, h = img.size
                scale = max_side / max(w, h)
                if scale < 1:
                    img.draft(None, (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))))
            turn = _needs_transpose(img)  # decided before load(), exactly as read_image_info does
            img.load()
            icc = img.info.get("icc_profile")
            out: Image.Image = img
            if turn:
                out = ImageOps.exif_transpose(img)
            if max_side and out.mode in _RESAMPLABLE:
                # Shrink before colour conversion: converting 1/50 of the pixels is 50× cheaper.
                out = _fit(out, max_side)
            out = to_display_mode(out, icc)
            if max_side:
                out = _fit(out, max_side)
            if out is img:
                out = img.copy()  # detach from the file before it is closed
        except StudioError:
            raise
        except Image.DecompressionBombError as exc:
            raise _too_large_error(path, exc) from None
        except MemoryError:
            raise media_error(path, "the image is too large to open", "resize it and add it again") from None
        except Exception as exc:
            raise corrupt_image_error(path, _short(exc)) from None
    out.info.pop("icc_profile", None)
    return out


_RESAMPLABLE = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    if max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# --- modes and colour ------------------------------------------------------------------------------


def to_display_mode(img: Image.Image, icc: bytes | None = None) -> Image.Image:
    """8-bit RGB or RGBA in sRGB from any Pillow mode, honouring the ICC profile `icc` if given.

    Alpha is split off before colour management (LittleCMS transforms colour channels only) and
    put back after, so transparent PNGs with a profile keep their transparency.
    """
    img = _to_8bit(img)
    if img.mode in ("RGB", "RGBA") and not icc:
        return img
    alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
    color = img.convert({"RGBA": "RGB", "LA": "L"}[img.mode]) if alpha is not None else img
    converted = _icc_to_srgb(color, icc) if icc else None
    if converted is None:
        converted = color if color.mode == "RGB" else color.convert("RGB")
    if alpha is not None:
        converted = converted.copy() if converted is color else converted
        converted.putalpha(alpha)
    converted.info.pop("icc_profile", None)
    return converted


def _to_8bit(img: Image.Image) -> Image.Image:
    """Reduce to one of L, LA, RGB, RGBA, CMYK with 8 bits per channel."""
    mode = img.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return img
    if mode.startswith("I;16") or mode == "I":
        wide = img if mode == "I" else img.convert("I")
        if mode == "I":
            high = _max_value(wide)
            divisor = 1.0 if high <= 255 else 256.0 if high <= 65535 else high / 255.0
        else:
            divisor = 256.0  # 16-bit data: 65535 -> 255, not clipped
        return wide.point(lambda v: v * (1.0 / divisor)).convert("L")
    if mode == "F":
        high = _max_value(img)
        factor = 255.0 if high <= 1.0 else 255.0 / high if high > 255 else 1.0
        return img.point(lambda v: v * factor).convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in img.info
        return img.convert("RGBA" if has_alpha else "RGB")
    if mode in ("RGBa", "RGBX"):
        return img.convert("RGBA" if mode == "RGBa" else "RGB")
    if mode == "La":
        return img.convert("LA")
    if mode == "1":
        return img.convert("L")
    if mode == "LAB":
        lab = ImageCms.createProfile("LAB")
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(img, lab, srgb, outputMode="RGB") or img.convert("RGB")
    return img.convert("RGB")  # YCbCr, HSV


def _max_value(img: Image.Image) -> float:
    """Largest pixel value of a single-band image."""
    extrema = img.getextrema()
    high = extrema[1]
    return float(high) if isinstance(high, (int, float)) else float(max(high))


_COLOR_SPACE_MODE = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}

#: Descriptions of the standard sRGB profiles; matched exactly, since "Linear sRGB" or "scRGB"
#: contain the word but are very different spaces.
_STANDARD_SRGB = frozenset(
    {
        "srgb",
        "srgb built-in",
        "srgb iec61966-2.1",
        "srgb iec61966-2-1",
        "srgb iec61966-2-1 black scaled",
        "srgb iec61966-2-1 no black scaling",
        "srgb2014",
    }
)


def _icc_to_srgb(color: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert with the embedded profile; None when the profile is sRGB already, broken or does
    not match the pixels (then the caller's plain conversion is the best we can do)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except Exception:
        return None
    space = (source.profile.xcolor_space or "").strip()
    if _COLOR_SPACE_MODE.get(space) != color.mode:
        return None
    description = (source.profile.profile_description or "").strip().casefold()
    if space == "RGB" and description in _STANDARD_SRGB:
        return None  # the common case (cameras, exports): skip a no-op transform of every pixel
    srgb = ImageCms.createProfile("sRGB")  # per call: LittleCMS profile handles are not thread-safe
    for intent in (ImageCms.Intent.PERCEPTUAL, ImageCms.Intent.RELATIVE_COLORIMETRIC):
        try:
            result = ImageCms.profileToProfile(color, source, srgb, renderingIntent=intent, outputMode="RGB")
        except Exception:
            continue
        if result is not None:
            return result
    return None
