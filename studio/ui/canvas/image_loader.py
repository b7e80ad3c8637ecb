"""Progressive, off-thread loading of the picture behind the canvas.

Opening a 24-megapixel photo must not freeze the window: the loader first asks the worker bridge
for a screen-sized preview (JPEG DCT scaling makes that ~10x faster than a full decode), hands it
to the canvas at once, then decodes the full resolution in the background and hands that over
too. Videos get their poster frame. Every request carries a generation number; a newer `load`
cancels the old jobs and any late result of theirs is dropped, so flicking through the library
never shows the wrong photo.

PIL -> QImage conversion happens in the worker too (QImage is safe off the GUI thread; QPixmap
is not, so the canvas converts to a pixmap on arrival).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio.core.errors import StudioError
from studio.core.model import Media, MediaKind
from studio.core.progress import CancelToken
from studio.ui.canvas.label_pixmaps import Backdrop
from studio.ui.qimage import pil_to_qimage
from studio.ui.workers import Job, WorkerBridge

PREVIEW_MAX_SIDE = 2048
#: The backdrop kept for label luminance: small, since only means over label-sized boxes are read.
BACKDROP_MAX_SIDE = 1024


def _backdrop(img: Image.Image) -> Image.Image:
    small = img.convert("RGB")
    if max(small.size) > BACKDROP_MAX_SIDE:
        small.thumbnail((BACKDROP_MAX_SIDE, BACKDROP_MAX_SIDE), Image.Resampling.BILINEAR)
    return small


def preview_job(
    path: Path, kind: MediaKind, max_side: int, *, progress: Any, cancel: CancelToken
) -> tuple[QImage, Image.Image]:
    """Worker: the screen-sized picture (photo preview or video poster) and a small luminance backdrop."""
    cancel.raise_if_cancelled()
    if kind is MediaKind.VIDEO:
        from studio.media.video import poster_frame

        img = poster_frame(path, max_side=max_side)
    else:
        from studio.media.images import open_image

        img = open_image(path, max_side=max_side)
    cancel.raise_if_cancelled()
    return pil_to_qimage(img), _backdrop(img)


def full_job(path: Path, *, progress: Any, cancel: CancelToken) -> QImage:
    """Worker: the photo at full resolution."""
    from studio.media.images import open_image

    cancel.raise_if_cancelled()
    img = open_image(path)
    cancel.raise_if_cancelled()
    return pil_to_qimage(img)


class ImageLoader(QObject):
    """Loads one media at a time for the canvas; results arrive as signals on the GUI thread."""

    previewReady = Signal(str, QImage)  # media id, screen-sized picture
    fullReady = Signal(str, QImage)  # media id, full-resolution picture
    failed = Signal(str, str)  # media id, message for the user

    def __init__(
        self, bridge: WorkerBridge, parent: QObject | None = None, *, preview_max_side: int = PREVIEW_MAX_SIDE
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.preview_max_side = preview_max_side
        self._generation = 0
        self._jobs: list[Job] = []
        self._media_id: str | None = None
        self.backdrop: Backdrop | None = None

    def cancel(self) -> None:
        """Forget the current media: running jobs are cancelled and their results ignored."""
        self._generation += 1
        for job in self._jobs:
            job.cancel()
        self._jobs.clear()
        self._media_id = None
        self.backdrop = None

    def load(self, media: Media, path: Path) -> None:
        """Start loading `media` from `path` (preview first, then full resolution for big photos)."""
        self.cancel()
        self._media_id = media.id
        generation = self._generation
        if not path.is_file():
            self.failed.emit(
                media.id,
                f"“{media.name or path.name}” was not found at {path}.\n"
                "It may have been moved or renamed: relink the workspace's media to find it again.",
            )
            return
        self._submit(
            preview_job,
            path,
            media.kind,
            self.preview_max_side,
            label=f"Opening {media.name or path.name}",
            on_result=lambda result: self._preview_done(generation, media, path, result),
            on_error=lambda err: self._failed(generation, media.id, err),
        )

    def _submit(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        job = self.bridge.submit(fn, *args, **kwargs)
        if not self.bridge.immediate:
            self._jobs.append(job)
            job.signals.finished.connect(lambda: self._jobs.remove(job) if job in self._jobs else None)

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _preview_done(
        self, generation: int, media: Media, path: Path, result: tuple[QImage, Image.Image]
    ) -> None:
        if not self._current(generation):
            return
        qimage, small = result
        width = media.width or qimage.width()
        self.backdrop = Backdrop(small, small.width / max(1, width))
        self.previewReady.emit(media.id, qimage)
        full_is_bigger = max(media.width, media.height) > max(qimage.width(), qimage.height())
        if media.kind is MediaKind.IMAGE and full_is_bigger and self._current(generation):
            self._submit(
                full_job,
                path,
                label=f"Decoding {media.name or path.name}",
                on_result=lambda img: self._full_done(generation, media.id, img),
                on_error=lambda err: None,  # the preview is on screen: a failed upgrade is not worth a dialog
            )

    def _full_done(self, generation: int, media_id: str, qimage: QImage) -> None:
        if self._current(generation):
            self.fullReady.emit(media_id, qimage)

    def _failed(self, generation: int, media_id: str, error: StudioError) -> None:
        if self._current(generation):
            self.failed.emit(media_id, error.message() if isinstance(error, StudioError) else str(error))
