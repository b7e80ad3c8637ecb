"""Plays and scrubs one video without ever decoding on the GUI thread.

`VideoPlayer` owns a `FrameSource` (studio.media.frames) and a one-thread `WorkerBridge`; every
decode is a job whose result (a `QImage`, converted in the worker) comes back as `frameReady`.

Why it is shaped like this:

* Scrubbing coalesces: at most one decode is in flight and at most one is waiting, and the waiting
  one is always the *latest* request. Dragging the playhead across 300 frames decodes a handful,
  ending on exactly the frame under the mouse.
* Playback follows the wall clock: each timer tick asks for the frame that should be on screen
  *now*. If the previous decode is still running the tick is skipped, so a slow decoder drops
  frames instead of building a backlog that would make the video lag further and further.
* When the playhead rests, neighbouring frames are prefetched (cancellable), so stepping with
  `,`/`.` is instant.
* Every open bumps a generation number; results of jobs from an older file or an older request
  are dropped, so a late frame never appears over a newer one.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QImage

from studio.core.errors import StudioError
from studio.core.progress import CancelToken, ProgressFn
from studio.media.frames import DEFAULT_CACHE_BYTES, FrameSource
from studio.ui.qimage import pil_to_qimage
from studio.ui.workers import Job, WorkerBridge

_emit_fix_lock = threading.Lock()
_emit_fix_state: bool | None = None  # None = not checked yet; True = patched; False = not needed


class _EmitProbe(QObject):
    ping = Signal()


def ensure_signal_emit_fix() -> bool:
    """Work around PySide6 6.12.0 on Python < 3.12: `SignalInstance.emit()` returns `True`
    without taking a reference, so every emit from Python drops one reference to `True`.

    A player emits several signals per frame; after a few thousand emits the interpreter aborts
    ("Fatal Python error: bool_dealloc"). The bug is *detected* (emit once, watch the count), so
    this is a no-op on fixed PySide6 versions and on Python >= 3.12 (immortal bools). When present,
    `emit` is wrapped to add back the missing reference. Idempotent; returns whether it patched.
    Belongs in `studio/ui/__init__.py` once the lead moves it there (see the helper's report).
    """
    global _emit_fix_state
    with _emit_fix_lock:
        if _emit_fix_state is None:
            probe = _EmitProbe()
            before = sys.getrefcount(True)
            for _ in range(8):
                probe.ping.emit()
            leaked = before - sys.getrefcount(True)
            if leaked >= 8:
                original = SignalInstance.emit
                incref = ctypes.pythonapi.Py_IncRef
                incref.argtypes = [ctypes.py_object]
                incref.restype = None
                incref(True)  # give back what the probe took
                for _ in range(leaked - 1):
                    incref(True)

                def emit(self: SignalInstance, *args: object) -> object:
                    result = original(self, *args)
                    if result is True or result is False:
                        incref(result)
                    return result

                SignalInstance.emit = emit  # type: ignore[method-assign,assignment]
            _emit_fix_state = leaked >= 8
        return _emit_fix_state


ensure_signal_emit_fix()

#: Long side of the pictures decoded for the editor; the canvas scales, exports decode full size.
DEFAULT_MAX_SIDE = 1280
#: Frames decoded ahead and behind a resting playhead.
DEFAULT_PREFETCH_RADIUS = 4


# --- jobs (run on the worker thread) ---------------------------------------------------------------


def _open_job(path: str, cache_bytes: int, *, progress: ProgressFn, cancel: CancelToken) -> FrameSource:
    return FrameSource(path, cache_bytes=cache_bytes)


def _decode_job(
    source: FrameSource, index: int, max_side: int | None, *, progress: ProgressFn, cancel: CancelToken
) -> tuple[int, float, QImage]:
    image = source.frame(index, max_side)
    return index, source.time_of(index), pil_to_qimage(image)


def _prefetch_job(
    source: FrameSource,
    center: int,
    radius: int,
    max_side: int | None,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> int:
    if source.closed or cancel.cancelled:
        return 0
    return source.prefetch(center, radius, max_side, should_stop=lambda: cancel.cancelled)


def _close_job(source: FrameSource, *, progress: ProgressFn, cancel: CancelToken) -> None:
    source.close()


class VideoPlayer(QObject):
    """Open, seek, step, play and pause one video; frames arrive as `frameReady(QImage, t)`.

    `position` is the playhead (the start time of the current frame), which moves as soon as a
    seek is asked for; `frameReady` follows when that frame is decoded.
    """

    frameReady = Signal(QImage, float)
    positionChanged = Signal(float)
    stateChanged = Signal(bool)
    error = Signal(object)  # a StudioError
    mediaOpened = Signal(float, float, int)  # duration (s), fps, frame count

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        bridge: WorkerBridge | None = None,
        max_side: int | None = DEFAULT_MAX_SIDE,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        prefetch_radius: int = DEFAULT_PREFETCH_RADIUS,
    ) -> None:
        super().__init__(parent)
        # A private one-thread bridge: decodes are serial anyway (one container), and hundreds of
        # tiny frame jobs must not show up in the window's list of running jobs.
        self.bridge = bridge if bridge is not None else WorkerBridge(self, max_threads=1)
        self._own_bridge = bridge is None
        self.max_side = max_side
        self.cache_bytes = cache_bytes
        self.prefetch_radius = prefetch_radius
        self._source: FrameSource | None = None
        self._path: Path | None = None
        self._generation = 0
        self._index = 0
        self._busy = False
        self._inflight = -1  # index being decoded while busy
        self._shown = -1  # index of the last frame delivered
        self._pending: int | None = None
        self._seek_on_open: float | None = None
        self._prefetch: Job | None = None
        self._playing = False
        self._play_origin = 0.0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    # --- facts -------------------------------------------------------------------------------

    @property
    def source(self) -> FrameSource | None:
        return self._source

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def position(self) -> float:
        """Start time of the frame at the playhead, in seconds."""
        return self._source.time_of(self._index) if self._source else 0.0

    @property
    def frame_number(self) -> int:
        return self._index

    @property
    def duration(self) -> float:
        return self._source.duration if self._source else 0.0

    @property
    def fps(self) -> float:
        return self._source.fps if self._source else 0.0

    @property
    def frame_count(self) -> int:
        return self._source.frame_count if self._source else 0

    @property
    def is_playing(self) -> bool:
        return self._playing

    @property
    def busy(self) -> bool:
        """A decode is in flight (tests and the status bar may want to know)."""
        return self._busy

    # --- commands ----------------------------------------------------------------------------

    def open(self, path: str | Path) -> None:
        """Open `path` off the GUI thread; `mediaOpened` then `frameReady` for frame 0 follow."""
        self.pause()
        self._drop_source()
        self._path = Path(path)
        self._seek_on_open = None
        generation = self._generation
        self.bridge.submit(
            _open_job,
            str(path),
            self.cache_bytes,
            label="open video",
            on_result=lambda source: self._opened(generation, source),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def close(self) -> None:
        """Stop, forget the video and release the file (waits for the private worker)."""
        self.pause()
        self._drop_source()
        self._path = None
        if self._own_bridge:
            self.bridge.wait()

    def seek(self, t: float) -> None:
        """Move the playhead to the frame on screen at `t`; fast repeated calls coalesce."""
        if self._source is None:
            self._seek_on_open = float(t)
            return
        self._go_to(self._source.frame_index(t))
        if self._playing:
            self._restart_clock()

    def step(self, delta: int) -> None:
        """Pause and move by `delta` frames (±1 for the frame-step keys)."""
        self.pause()
        if self._source is not None:
            self._go_to(self._index + int(delta))

    def play(self) -> None:
        if self._source is None or self._playing:
            return
        if self._index >= self._source.frame_count - 1:
            self._go_to(0)  # play at the end starts over, like every player
        self._playing = True
        self._cancel_prefetch()
        self._restart_clock()
        self._timer.start(max(5, round(1000 / max(self._source.fps, 1.0))))
        self.stateChanged.emit(True)

    def pause(self) -> None:
        if not self._playing:
            return
        self._playing = False
        self._timer.stop()
        self.stateChanged.emit(False)
        if not self._busy:
            self._start_prefetch()

    def toggle(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    # --- internals ---------------------------------------------------------------------------

    def _drop_source(self) -> None:
        self._generation += 1
        self._cancel_prefetch()
        self._pending = None
        self._busy = False
        self._shown = -1
        old, self._source = self._source, None
        self._index = 0
        if old is not None:
            # Queued behind any running decode; the source's lock makes it safe on a shared pool.
            self.bridge.submit(_close_job, old, label="close video")

    def _opened(self, generation: int, source: FrameSource) -> None:
        if generation != self._generation:
            source.close()  # a newer open() won
            return
        self._source = source
        self.mediaOpened.emit(source.duration, source.fps, source.frame_count)
        start = source.frame_index(self._seek_on_open) if self._seek_on_open is not None else 0
        self._seek_on_open = None
        self._index = -1
        self._go_to(start)

    def _failed(self, generation: int, exc: StudioError) -> None:
        if generation == self._generation:
            self.error.emit(exc)

    def _go_to(self, index: int) -> None:
        assert self._source is not None
        index = min(max(index, 0), self._source.frame_count - 1)
        if index != self._index:
            self._index = index
            self.positionChanged.emit(self._source.time_of(index))
        self._request(index)

    def _request(self, index: int) -> None:
        """Decode `index` now, or remember it as the one waiting if a decode is in flight."""
        if self._source is None:
            return
        if self._busy:
            self._pending = None if index == self._inflight else index
            return
        if index == self._shown:
            self._pending = None
            return  # already on screen (e.g. a click on the frame under the playhead)
        self._cancel_prefetch()
        self._busy = True
        self._inflight = index
        self._pending = None
        generation = self._generation
        self.bridge.submit(
            _decode_job,
            self._source,
            index,
            self.max_side,
            label="decode frame",
            on_result=lambda result: self._decoded(generation, result),
            on_error=lambda exc: self._decode_failed(generation, exc),
        )

    def _decoded(self, generation: int, result: tuple[int, float, QImage]) -> None:
        if generation != self._generation:
            return
        self._busy = False
        index, t, image = result
        self._shown = index
        self.frameReady.emit(image, t)
        self._after_decode()

    def _decode_failed(self, generation: int, exc: StudioError) -> None:
        if generation != self._generation:
            return
        self._busy = False
        self.pause()
        self.error.emit(exc)

    def _after_decode(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._request(pending)
        elif not self._playing:
            self._start_prefetch()

    def _start_prefetch(self) -> None:
        if self._source is None or self.prefetch_radius <= 0 or self._prefetch is not None:
            return
        state: dict[str, Job | bool | None] = {"job": None, "done": False}

        def done(*_: object) -> None:
            state["done"] = True
            if self._prefetch is not None and self._prefetch is state["job"]:
                self._prefetch = None

        job = self.bridge.submit(
            _prefetch_job,
            self._source,
            self._index,
            self.prefetch_radius,
            self.max_side,
            label="prefetch frames",
            on_result=done,
            on_error=done,  # a prefetch failure is not news: the next real decode reports it
            on_cancelled=done,
        )
        if not state["done"]:  # an immediate bridge has already run it
            state["job"] = job
            self._prefetch = job

    def _cancel_prefetch(self) -> None:
        if self._prefetch is not None:
            self._prefetch.cancel()
            self._prefetch = None

    def _restart_clock(self) -> None:
        self._play_origin = self.position
        self._clock.start()

    def _tick(self) -> None:
        """Show the frame the wall clock says is due; skip the tick while a decode runs."""
        source = self._source
        if source is None or not self._playing:
            return
        due = self._play_origin + self._clock.elapsed() / 1000.0
        last = source.frame_count - 1
        if self._busy:
            return  # drop this frame rather than queue it: the next tick asks for a newer one
        index = source.frame_index(due)
        if index != self._index:
            self._go_to(index)
        if due >= source.duration or index >= last:
            self.pause()
