"""Reading short videos with PyAV (FFmpeg's libraries inside the wheel; no system ffmpeg).

Three things matter for a shoppable post and are easy to get wrong:

* Rotation — phones record portrait video as landscape pixels plus a display matrix. Sizes are
  reported as displayed (a portrait clip has width < height) and frames come back upright.
  PyAV exposes the matrix as `VideoFrame.rotation` (counter-clockwise degrees, FFmpeg convention);
  FFmpeg's own autorotate turns by the negation, clockwise, and so do we.
* Frame accuracy — tags are keyed to times, so `frame_at(t)` must return the frame on screen at
  `t` (the one whose presentation time is the last ≤ t), not the nearest keyframe: seek to the
  keyframe before, then decode forward.
* Damage — a half-copied file must give a clear MediaError, never a crash or a hang: every
  `av.error.*` is caught, at least one frame must decode, and the file must hold the bytes its
  index points at (MP4/MOV) or the packets its header duration promises (WebM).

Containers are always closed (context managers); each call opens its own, so calls are safe from
several worker threads at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from PIL import Image

from studio.core.errors import MediaError, StudioError
from studio.media.formats import (
    RECOPY_HINT,
    VIDEO_LABEL,
    check_readable,
    media_error,
    permission_error,
    sniff_file,
)

#: A frame "covers" time t if it starts at most this much after t (float times vs exact pts).
_EPS = 1e-6
#: Packets to demux while waiting for the first decodable frame before calling the file corrupt.
_MAX_PACKETS_FOR_FIRST_FRAME = 600
#: Longer than any plausible social clip or header glitch ("duration: 106751991 days").
_MAX_DURATION = 7 * 24 * 3600.0
#: WebM has no byte index; a file whose packets end this much before its header's duration is cut.
_TRUNCATION_SLACK = 0.5

_CLOCKWISE_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # Pillow's ROTATE_n is counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What probe needs from a video."""

    width: int  # displayed, i.e. after rotation
    height: int
    duration: float  # seconds
    fps: float | None
    codec: str  # FFmpeg codec name: "h264", "hevc", "vp9"…
    has_audio: bool
    audio_codec: str
    rotation: int  # clockwise degrees turned to display it (0, 90, 180, 270)
    format_name: str  # "mp4", "mov", "m4v", "webm"


def display_rotation(frame_rotation: float | int | None, rotate_tag: str | None = None) -> int:
    """Clockwise degrees (0/90/180/270) to turn decoded pixels so they display upright.

    `frame_rotation` is PyAV's `VideoFrame.rotation`: the display matrix's counter-clockwise angle
    (-90 for an iPhone portrait clip). Old files may carry only a `rotate` metadata tag, which is
    already clockwise. Angles are snapped to the nearest quarter turn.
    """
    clockwise = 0.0
    if frame_rotation:
        clockwise = -float(frame_rotation)
    elif rotate_tag:
        try:
            clockwise = float(rotate_tag)
        except ValueError:
            clockwise = 0.0
    return (round(clockwise / 90.0) % 4) * 90


def rotate_clockwise(img: Image.Image, degrees: int) -> Image.Image:
    method = _CLOCKWISE_TRANSPOSE.get(degrees % 360)
    return img.transpose(method) if method is not None else img


# --- opening and failing well ------------------------------------------------------------------


def _corrupt(path: Path, detail: str = "") -> MediaError:
    extra = f" ({detail})" if detail else ""
    return media_error(path, f"the video is truncated or corrupt{extra}", RECOPY_HINT)


def _short(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "…"


def _family(container: av.container.InputContainer) -> str | None:
    name = container.format.name or ""
    if "mp4" in name or "mov" in name:
        return "mp4"
    if "matroska" in name or "webm" in name:
        return "webm"
    return None


@contextmanager
def _open(path: Path) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """Open the container and its first video stream, or raise a MediaError that says why."""
    check_readable(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except PermissionError:  # av.error.PermissionError is also the builtin one
        raise permission_error(path) from None
    except av.error.FFmpegError as exc:
        raise _open_error(path, exc) from None
    except (OSError, ValueError, UnicodeError) as exc:
        raise _corrupt(path, _short(exc)) from None
    try:
        if _family(container) is None:  # FFmpeg reads almost anything: AVI, GIF, even a JPEG
            if sniff_file(path) in _PHOTO_KINDS:
                raise _photo_as_video_error(path)
            raise media_error(
                path,
                f"is not a video in a supported format ({VIDEO_LABEL})",
                "export it as MP4 (H.264) and add that file",
            )
        if not container.streams.video:
            raise media_error(path, "has no video track (audio only?)", "add a video that has pictures")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise _codec_error(path, stream)
        yield container, stream
    except StudioError:
        raise
    except (av.error.FFmpegError, ValueError) as exc:  # ValueError: frame conversion of odd formats
        raise _corrupt(path, _short(exc)) from None
    finally:
        container.close()


def _open_error(path: Path, exc: Exception) -> MediaError:
    kind = sniff_file(path)
    if kind in ("mp4", "webm"):
        return media_error(path, "the video is truncated or corrupt (cannot read its header)", RECOPY_HINT)
    if kind in _PHOTO_KINDS:
        return _photo_as_video_error(path)
    return media_error(
        path,
        f"is not a video (its content is not {VIDEO_LABEL})",
        "it may have the wrong extension; export it as MP4 from its original app",
    )


_PHOTO_KINDS = frozenset({"jpeg", "png", "webp", "tiff", "heif"})


def _photo_as_video_error(path: Path) -> MediaError:
    return media_error(
        path, "is a photo saved with a video extension", "rename it to .jpg (or .png) and add it again"
    )


def _codec_error(path: Path, stream: av.video.stream.VideoStream) -> MediaError:
    name = getattr(getattr(stream, "codec_context", None), "name", None) or "its"
    return media_error(
        path, f"uses the {name} video codec, which cannot be decoded here", "convert it to H.264 MP4"
    )


# --- facts -------------------------------------------------------------------------------------


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            value = float(rate)
            if 0 < value <= 1000:
                return value
    return None


def _header_duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _codec_name(context: av.CodecContext | None) -> str:
    """The format's name ("av1"), not the decoder's ("libdav1d")."""
    if context is None:
        return ""
    codec = context.codec
    return getattr(codec, "canonical_name", None) or codec.name or context.name or ""


def _format_name(container: av.container.InputContainer, path: Path) -> str:
    if _family(container) == "webm":
        return "webm"
    ext = path.suffix.lower().lstrip(".")
    if ext in ("mp4", "mov", "m4v"):
        return ext
    brand = (container.metadata.get("major_brand") or "").strip().lower()
    return "mov" if brand == "qt" else "m4v" if brand == "m4v" else "mp4"


def _index_end(container: av.container.InputContainer) -> int | None:
    """Furthest byte any sample in the MP4/MOV index points at (cheap: the index is in memory)."""
    furthest: int | None = None
    for stream in container.streams:
        entries = getattr(stream, "index_entries", None)
        if entries is None:
            return None  # PyAV < 15: fall back to scanning packets
        for entry in entries:
            if entry.pos >= 0 and entry.size > 0:
                end = entry.pos + entry.size
                furthest = end if furthest is None else max(furthest, end)
    return furthest


def read_video_info(path: str | Path) -> VideoFacts:
    """Header facts of a video after proving that a frame decodes and the file is whole."""
    path = Path(path)
    size = check_readable(path)
    with _open(path) as (container, stream):
        header_duration = _header_duration(container, stream)
        family = _family(container)
        scan = True
        if family == "mp4":
            end = _index_end(container)
            if end is not None:
                scan = False
                if end > size:
                    raise media_error(
                        path,
                        f"the video file is truncated (its index needs {end:,} bytes, the file has {size:,})",
                        RECOPY_HINT,
                    )
        first, packets_end = _first_frame(path, container, stream, scan_to_end=scan)
        duration = header_duration
        if scan and packets_end is not None:
            if duration is None:
                duration = packets_end
            elif duration - packets_end > max(_TRUNCATION_SLACK, 0.05 * duration):
                raise media_error(
                    path,
                    f"the video file is truncated (it plays {packets_end:.1f} s of {duration:.1f} s)",
                    RECOPY_HINT,
                )
        if duration is None or not math.isfinite(duration) or not 0 < duration <= _MAX_DURATION:
            raise _corrupt(path, "its duration cannot be read")
        rotation = display_rotation(first.rotation, stream.metadata.get("rotate"))
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        audio = container.streams.audio
        return VideoFacts(
            width=width,
            height=height,
            duration=duration,
            fps=_fps(stream),
            codec=_codec_name(stream.codec_context),
            has_audio=bool(audio),
            audio_codec=_codec_name(audio[0].codec_context) if audio else "",
            rotation=rotation,
            format_name=_format_name(container, path),
        )


def _first_frame(
    path: Path,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    *,
    scan_to_end: bool,
) -> tuple[av.VideoFrame, float | None]:
    """Decode the first video frame; with `scan_to_end`, also demux (not decode) every later packet
    of every stream and return where the last one ends, in seconds from the file's start.

    All streams count, so a clip whose audio legitimately outlasts its video is not "truncated".
    """
    first: av.VideoFrame | None = None
    last_end = 0.0
    packets = 0
    origin = container.start_time / av.time_base if container.start_time else 0.0
    source = container.demux() if scan_to_end else container.demux(stream)
    try:
        for packet in source:
            if packet.pts is not None and packet.size and packet.time_base:
                end = float((packet.pts + (packet.duration or 0)) * packet.time_base) - origin
                last_end = max(last_end, end)
            if first is None and packet.stream.index == stream.index:
                packets += 1
                try:
                    frames = packet.decode()
                except av.error.DecoderNotFoundError:
                    raise _codec_error(path, stream) from None
                except av.error.FFmpegError:
                    frames = []  # a damaged leading packet; a later keyframe may still decode
                if frames:
                    first = frames[0]
                elif packets > _MAX_PACKETS_FOR_FIRST_FRAME:
                    break
            if first is not None and not scan_to_end:
                break
    except StudioError:
        raise
    except av.error.FFmpegError as exc:
        if first is None:
            raise _corrupt(path, _short(exc)) from None
        raise media_error(
            path, f"the video file is truncated or damaged ({_short(exc)})", RECOPY_HINT
        ) from None
    if first is None:
        raise _corrupt(path, "no frame could be decoded")
    return first, (last_end if scan_to_end and last_end > 0 else None)


# --- frames ------------------------------------------------------------------------------------


def frame_at(path: str | Path, seconds: float, *, max_side: int | None = None) -> Image.Image:
    """The frame on screen at `seconds` (clamped to the clip), upright, as an RGB image.

    "On screen" = the last frame whose presentation time is ≤ seconds, so with 25 fps,
    `frame_at(p, t)` is frame `floor(t * 25)`.
    """
    path = Path(path)
    with _open(path) as (container, stream):
        frame = _decode_at(path, container, stream, max(0.0, float(seconds)))
        rotation = display_rotation(frame.rotation, stream.metadata.get("rotate"))
        img = frame.to_image()
    img = rotate_clockwise(img, rotation)
    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return img


def poster_time(duration: float | None) -> float:
    """Where a video's thumbnail is taken: 10% in (past fade-ins and black first frames), or 1 s."""
    if duration is None or not math.isfinite(duration) or duration <= 0:
        return 1.0
    return duration * 0.1


def poster_frame(path: str | Path, *, max_side: int | None = None) -> Image.Image:
    """The thumbnail frame of a video (see `poster_time`), upright."""
    path = Path(path)
    with _open(path) as (container, stream):
        duration = _header_duration(container, stream)
        frame = _decode_at(path, container, stream, poster_time(duration))
        rotation = display_rotation(frame.rotation, stream.metadata.get("rotate"))
        img = frame.to_image()
    img = rotate_clockwise(img, rotation)
    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return img


def _decode_at(
    path: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream, seconds: float
) -> av.VideoFrame:
    """Seek to the keyframe at or before `seconds`, decode forward to the frame covering it.

    If the demuxer lands after the target (it can when a keyframe's decode time precedes its
    presentation time), retry from 2 s earlier, then from the start.
    """
    time_base = stream.time_base or Fraction(1, 1000)
    start = stream.start_time or 0
    target = Fraction(seconds) + Fraction(_EPS)
    target_pts = start + math.floor(Fraction(seconds) / time_base)
    earlier = start + math.floor(max(Fraction(0), Fraction(seconds) - 2) / time_base)
    for seek_pts in dict.fromkeys((target_pts, earlier, start)):
        try:
            container.seek(seek_pts, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            continue
        frame, overshoot = _decode_forward(path, container, stream, target, start, time_base)
        if frame is not None and (not overshoot or seek_pts == start):
            return frame
    raise _corrupt(path, f"no frame could be decoded at {seconds:.2f} s")


def _decode_forward(
    path: Path,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    target: Fraction,
    start: int,
    time_base: Fraction,
) -> tuple[av.VideoFrame | None, bool]:
    """(frame covering target, False), or (first frame, True) if decoding began after target."""
    previous: av.VideoFrame | None = None
    try:
        for frame in container.decode(stream):
            if frame.pts is None:
                previous = frame
                continue
            if (frame.pts - start) * time_base > target:
                return (previous, False) if previous is not None else (frame, True)
            previous = frame
    except av.error.FFmpegError as exc:
        if previous is None:
            raise _corrupt(path, _short(exc)) from None
        # damaged tail: the last good frame is the best answer for a time past it
    return previous, False
