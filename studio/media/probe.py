"""One question for every file at intake: what is it, how big, and can we read it?

`probe` answers with a `MediaInfo` or a `MediaError` whose message names the file, the reason
and what to do — the text the media library and `studio media add` show for a skipped file.
It is cheap by design (header, EXIF, one decoded video frame, no full photo decode) because it
runs once per file when a whole folder is added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from studio.core.model import MediaKind
from studio.media.formats import check_readable, kind_for_path, unsupported_error
from studio.media.images import read_image_info
from studio.media.video import read_video_info


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """Facts about a photo or video, as displayed (width/height after EXIF or video rotation)."""

    kind: MediaKind
    width: int
    height: int
    duration: float | None = None  # seconds; None for photos
    fps: float | None = None
    codec: str = ""  # video codec ("h264", "hevc", "vp9"…); "" for photos
    has_audio: bool = False
    rotation: int = 0  # clockwise degrees applied to display it (EXIF orientation / display matrix)
    format_name: str = ""  # "jpeg", "png", "webp", "tiff", "heif", "mp4", "mov", "m4v", "webm"
    size_bytes: int = 0
    mirrored: bool = False  # EXIF orientations 2, 4, 5, 7
    orientation: int = 1  # EXIF orientation value as stored (photos)

    @property
    def is_portrait(self) -> bool:
        return self.height > self.width

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["kind"] = self.kind.value
        return doc


def probe(path: str | Path) -> MediaInfo:
    """Read a media file's facts, proving it decodes. Raises MediaError (never anything else for
    a bad file): missing, empty, unsupported, truncated, corrupt — each with a hint."""
    path = Path(path)
    size = check_readable(path)
    kind = kind_for_path(path)
    if kind is None:
        raise unsupported_error(path)
    if kind is MediaKind.IMAGE:
        image = read_image_info(path)
        return MediaInfo(
            kind=MediaKind.IMAGE,
            width=image.width,
            height=image.height,
            rotation=image.rotation,
            format_name=image.format_name,
            size_bytes=size,
            mirrored=image.mirrored,
            orientation=image.orientation,
        )
    video = read_video_info(path)
    return MediaInfo(
        kind=MediaKind.VIDEO,
        width=video.width,
        height=video.height,
        duration=video.duration,
        fps=video.fps,
        codec=video.codec,
        has_audio=video.has_audio,
        rotation=video.rotation,
        format_name=video.format_name,
        size_bytes=size,
    )
