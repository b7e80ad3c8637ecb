"""Media intake: recognising, probing, decoding and thumbnailing photos and videos (no Qt).

Public entry points: `probe` (facts + proof it decodes), `open_image` (upright 8-bit sRGB photo),
`frame_at` (frame-accurate upright video frame), `make_thumbnail` (cached, atomic),
`hash_file` (content hash for dedupe and relink), `iter_media_files` (folder expansion).
"""

from studio.media.formats import SUPPORTED_EXTENSIONS, iter_media_files, kind_for_path
from studio.media.hashing import hash_file
from studio.media.images import open_image
from studio.media.probe import MediaInfo, probe
from studio.media.thumbnails import make_thumbnail, thumbnail_path
from studio.media.video import frame_at

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "MediaInfo",
    "frame_at",
    "hash_file",
    "iter_media_files",
    "kind_for_path",
    "make_thumbnail",
    "open_image",
    "probe",
    "thumbnail_path",
]
