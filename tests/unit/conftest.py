"""Fixtures for the media tests: real photo and video files generated at test time.

Nothing binary is committed: every JPEG/PNG/TIFF/WebP/HEIC is drawn with Pillow (16-bit PNG and
48-bit TIFF are written byte by byte, Pillow cannot), ICC profiles are assembled from primaries,
and every video is encoded with PyAV. Videos are made once per session (encoding dominates the
time) in a read-only source folder; tests copy what they modify.
"""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image, ImageDraw

# --- colours and patterns ------------------------------------------------------------------------

RED = (255, 0, 0)
GREEN = (0, 255, 0)
WHITE = (255, 255, 255)
MARK = 12  # marker squares, big enough to survive JPEG


def corner_marked(size: tuple[int, int]) -> Image.Image:
    """White image, red square at the stored top-left pixel, green square at the stored top-right."""
    img = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, MARK - 1, MARK - 1], fill=RED)
    draw.rectangle([size[0] - MARK, 0, size[0] - 1, MARK - 1], fill=GREEN)
    return img


def index_frame(n: int, size: tuple[int, int]) -> Image.Image:
    """A frame whose 8 vertical bars spell `n` in binary (white = 1), most significant bit left."""
    w, h = size
    img = Image.new("RGB", size, (0, 0, 0))
    draw = ImageDraw.Draw(img)
    bar = w // 8
    for bit in range(8):
        if (n >> (7 - bit)) & 1:
            draw.rectangle([bit * bar, 0, (bit + 1) * bar - 1, h - 1], fill=WHITE)
    return img


def read_index(img: Image.Image) -> int:
    """Inverse of `index_frame`, sampling the middle of each bar."""
    rgb = img.convert("RGB")
    w, h = rgb.size
    bar = w // 8
    value = 0
    for bit in range(8):
        if rgb.getpixel((bit * bar + bar // 2, h // 2))[1] > 128:
            value |= 1 << (7 - bit)
    return value


def close_to(actual: Iterable[int], expected: Iterable[int], tol: int = 24) -> bool:
    return all(abs(a - e) <= tol for a, e in zip(actual, expected, strict=True))


# --- byte-level writers for what Pillow cannot save ------------------------------------------------


def png_bytes(width: int, height: int, color_type: int, bit_depth: int, pixel: bytes) -> bytes:
    """A minimal PNG (one IDAT, filter 0) filled with `pixel` (already packed big-endian)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + pixel * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def tiff48_bytes(width: int, height: int, rgb16: tuple[int, int, int], *, big_endian: bool = False) -> bytes:
    """An uncompressed 16-bit-per-channel RGB TIFF (48 bits per pixel), one strip."""
    e = ">" if big_endian else "<"
    data = struct.pack(e + "HHH", *rgb16) * (width * height)
    entries = [
        (256, 3, 1, width),
        (257, 3, 1, height),
        (258, 3, 3, "bps"),
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, 1, "data"),
        (277, 3, 1, 3),
        (278, 3, 1, height),
        (279, 4, 1, len(data)),
        (284, 3, 1, 1),
    ]
    ifd_offset = 8
    bps_offset = ifd_offset + 2 + len(entries) * 12 + 4
    data_offset = bps_offset + 6
    out = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(e + "I", ifd_offset)
    out += struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        if value == "bps":
            out += struct.pack(e + "HHII", tag, kind, count, bps_offset)
        elif value == "data":
            out += struct.pack(e + "HHII", tag, kind, count, data_offset)
        elif kind == 3:
            out += struct.pack(e + "HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(e + "HHII", tag, kind, count, value)
    out += struct.pack(e + "I", 0) + struct.pack(e + "HHH", 16, 16, 16) + data
    return out


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def icc_profile(
    description: str,
    red: tuple[float, float, float],
    green: tuple[float, float, float],
    blue: tuple[float, float, float],
    gamma: float,
) -> bytes:
    """A valid ICC v2 RGB matrix/TRC display profile (D50 PCS) built from primaries and a gamma."""

    def xyz(v: tuple[float, float, float]) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(c) for c in v)

    ascii_text = description.encode("ascii") + b"\x00"
    desc = (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + b"\x00" * 8  # unicode language code + count
        + b"\x00\x00\x00"  # scriptcode code + count
        + b"\x00" * 67
    )
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\x00\x00\x00\x00test\x00"),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table = struct.pack(">I", len(tags))
    body = b""
    for sig, data in tags:
        data += b"\x00" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + len(table) + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\x00" * 24  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # rendering intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\x00" * 4  # creator
        + b"\x00" * 44  # profile id + reserved
    )
    assert len(header) == 128
    return header + table + body


SRGB_PRIMARIES_D50 = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))
ADOBE_RGB_PRIMARIES_D50 = ((0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446))


# --- video encoding ------------------------------------------------------------------------------


def has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


def encode_video(
    path: Path,
    *,
    vcodec: str = "libx264",
    acodec: str | None = "aac",
    frames: int = 25,
    fps: int = 25,
    size: tuple[int, int] = (320, 240),
    gop: int = 10,
    rotation_ccw: int | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    container_format: str | None = None,
    audio_seconds: float | None = None,
) -> Path:
    """Encode `frames` frames of `index_frame` (frame n shows n) with optional sine-wave audio.

    `rotation_ccw` is written as the display matrix (PyAV's counter-clockwise convention:
    -90 is what an iPhone writes for a portrait clip).
    """
    with av.open(str(path), "w", format=container_format, options=container_options or {}) as out:
        video = out.add_stream(vcodec, rate=fps)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = gop
        if options:
            video.options = options
        if rotation_ccw is not None:
            video.set_display_rotation(rotation_ccw)
        audio = out.add_stream(acodec, rate=48000) if acodec else None
        if audio is not None:
            audio.layout = "stereo"
        for n in range(frames):
            frame = av.VideoFrame.from_image(index_frame(n, size))
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            _encode_tone(out, audio, seconds=audio_seconds if audio_seconds is not None else frames / fps)
    return path


def _encode_tone(
    out: av.container.OutputContainer, audio: av.audio.stream.AudioStream, seconds: float
) -> None:
    import math

    rate = 48000
    per_frame = audio.codec_context.frame_size or 1024
    fmt = audio.codec_context.format.name
    total = int(rate * seconds)
    pts = 0
    while pts < total:
        samples = [0.2 * math.sin(2 * math.pi * 440 * (pts + i) / rate) for i in range(per_frame)]
        frame = av.AudioFrame(format=fmt, layout="stereo", samples=per_frame)
        frame.sample_rate = rate
        frame.pts = pts
        if fmt == "fltp":
            packed = struct.pack(f"<{per_frame}f", *samples)
            frame.planes[0].update(packed)
            frame.planes[1].update(packed)
        elif fmt == "s16":
            ints = [int(s * 32767) for s in samples for _ in range(2)]
            frame.planes[0].update(struct.pack(f"<{len(ints)}h", *ints))
        elif fmt == "flt":
            frame.planes[0].update(struct.pack(f"<{per_frame * 2}f", *[s for s in samples for _ in range(2)]))
        else:  # pragma: no cover - depends on the bundled encoder
            raise RuntimeError(f"no sample writer for {fmt}")
        out.mux(audio.encode(frame))
        pts += per_frame
    out.mux(audio.encode(None))


# --- the session's source files ------------------------------------------------------------------


class MediaSources:
    """Lazily generated, cached source files; treat them as read-only (copy before changing)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def get(self, name: str, make: Callable[[Path], object]) -> Path:
        if name not in self._made:
            path = self.root / name
            make(path)
            self._made[name] = path
        return self._made[name]

    # photos

    def jpeg(self, name: str = "photo.jpg", size: tuple[int, int] = (640, 480), **save: object) -> Path:
        return self.get(name, lambda p: corner_marked(size).save(p, "JPEG", quality=92, **save))

    def big_jpeg(self) -> Path:
        return self.jpeg("big.jpg", (4000, 3000))

    def oriented_jpeg(self, orientation: int) -> Path:
        """Stored pixels 40×60 (5–8) or 60×40 (1–4), markers at stored top corners, EXIF tag set."""
        size = (40, 60) if orientation >= 5 else (60, 40)

        def make(p: Path) -> None:
            exif = Image.Exif()
            exif[0x0112] = orientation
            corner_marked(size).save(p, "JPEG", quality=95, exif=exif.tobytes())

        return self.get(f"orient{orientation}.jpg", make)

    def png_alpha(self) -> Path:
        def make(p: Path) -> None:
            img = corner_marked((64, 48)).convert("RGBA")
            img.putalpha(Image.new("L", img.size, 128))
            img.save(p, "PNG")

        return self.get("alpha.png", make)

    def video(self, name: str, **kwargs: object) -> Path:
        return self.get(name, lambda p: encode_video(p, **kwargs))  # type: ignore[arg-type]

    def mp4(self) -> Path:
        """1 s, 320×240, 25 fps, H.264 + AAC, keyframe every 10 frames (with B-frames)."""
        return self.video("clip.mp4")

    def long_mp4(self) -> Path:
        """2 s, 50 frames, GOP 12 with B-frames: for frame-accurate seeking."""
        return self.video("long.mp4", frames=50, gop=12, acodec=None)


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> MediaSources:
    return MediaSources(tmp_path_factory.mktemp("media-src"))


@pytest.fixture
def copy_to(tmp_path: Path) -> Callable[..., Path]:
    """copy_to(src, "sub/dir/name.ext") -> a private copy under this test's tmp_path."""

    def copy(src: Path, rel: str | None = None) -> Path:
        dest = tmp_path / (rel or src.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return dest

    return copy


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def jpeg_bytes(size: tuple[int, int] = (640, 480), **save: object) -> bytes:
    buffer = io.BytesIO()
    corner_marked(size).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()
