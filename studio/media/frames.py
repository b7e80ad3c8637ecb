"""Frame-accurate, cached access to one video for the editor (scrubbing, stepping, playback).

`video.frame_at` opens the file per call, which is right for thumbnails and exports but far too
slow for a timeline: a player asks for the next frame 25–60 times a second. `FrameSource` keeps
one container open and remembers where its decoder is:

* Frames are addressed by *index* (0..frame_count-1). The index is built once by demuxing the
  video packets (no decoding), so frame times are the real presentation times (variable frame
  rate clips work) and "frame n" means the n-th picture on screen, as in `video.frame_at`.
* `frame(i)` decodes forward from the current decoder position when frame i is ahead of it and no
  keyframe lies between (sequential playback never seeks); otherwise it seeks to the keyframe at
  or before i and decodes forward.
* Decoded pictures (upright, optionally down-scaled) are kept in an LRU cache bounded by bytes.
* Every public method takes the source's lock, so one worker thread may decode while another asks
  for cached frames; the container is never used by two threads at once.

Damage (a truncated or corrupt file) raises `MediaError` naming the file, like the rest of media.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.error
from PIL import Image

from studio.media.formats import media_error
from studio.media.video import (
    _corrupt,
    _open,
    _short,
    read_video_info,
    rotate_clockwise,
)

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
#: A time "is on" frame n when it is at least frame n's start minus this (float times vs exact pts).
_EPS = 1e-6

Decoded = Iterator[av.VideoFrame]
StopFn = Callable[[], bool]


class FrameSource:
    """One open video: frame index <-> time, frame-accurate decoding and a byte-bounded frame cache.

    Use as a context manager or call `close()`; returned images are shared with the cache and must
    be treated as read-only (copy before drawing on them).
    """

    def __init__(self, path: str | Path, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.path = Path(path)
        self.cache_limit = max(0, int(cache_bytes))
        # read_video_info proves the file is whole (index vs size, packets vs duration) and that
        # a frame decodes, with the same messages as intake; the cost is one extra open.
        facts = read_video_info(self.path)
        self.rotation: int = facts.rotation
        self.width: int = facts.width  # as displayed (after rotation)
        self.height: int = facts.height
        self._lock = threading.RLock()
        self._stack = ExitStack()
        self._closed = False
        try:
            self._container, self._stream = self._stack.enter_context(_open(self.path))
            self._stream.thread_type = "AUTO"
            self._pts, self._keyframes = self._build_index()
        except BaseException:
            self._stack.close()
            raise
        self._pts_to_index = {pts: i for i, pts in enumerate(self._pts)}
        time_base = self._stream.time_base or Fraction(1, 1000)  # as video.py assumes
        origin = self._stream.start_time if self._stream.start_time is not None else self._pts[0]
        self._times = [float((p - origin) * time_base) for p in self._pts]
        self.frame_count: int = len(self._pts)
        self.duration: float = max(facts.duration, self._times[-1]) if self._times else facts.duration
        self.fps: float = facts.fps or (self.frame_count / self.duration if self.duration > 0 else 25.0)
        self._decoder: Decoded | None = None
        self._next_index = 0  # index of the frame the decoder yields next (valid when _decoder)
        self._cache: OrderedDict[tuple[int, int | None], Image.Image] = OrderedDict()
        self._cache_used = 0
        self.seek_count = 0  # statistics, for tests and benchmarks
        self.decoded_count = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the container and drop the cache; later calls raise MediaError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._decoder = None
            self._cache.clear()
            self._cache_used = 0
            self._stack.close()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # --- time <-> index ----------------------------------------------------------------------

    def frame_index(self, t: float) -> int:
        """The frame on screen at `t` seconds (the last one starting at or before t), clamped."""
        i = bisect_right(self._times, float(t) + _EPS) - 1
        return min(max(i, 0), self.frame_count - 1)

    def time_of(self, index: int) -> float:
        """When frame `index` starts, in seconds (index clamped to the clip)."""
        return self._times[self._clamp(index)]

    @property
    def frame_times(self) -> list[float]:
        """Start time of every frame (a copy)."""
        return list(self._times)

    @property
    def keyframe_indices(self) -> list[int]:
        """Indices of frames the decoder can start at (a copy)."""
        return list(self._keyframes)

    def _clamp(self, index: int) -> int:
        return min(max(int(index), 0), self.frame_count - 1)

    # --- frames ------------------------------------------------------------------------------

    def frame(self, index: int, max_side: int | None = None) -> Image.Image:
        """Frame `index` (clamped), upright RGB, at most `max_side` pixels on its long side."""
        with self._lock:
            self._check_open()
            index = self._clamp(index)
            key = (index, _side(max_side))
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            return self._decode_to(index, keep=range(index, index + 1), max_side=key[1])

    def is_cached(self, index: int, max_side: int | None = None) -> bool:
        with self._lock:
            return (self._clamp(index), _side(max_side)) in self._cache

    def prefetch(
        self,
        center_index: int,
        radius: int,
        max_side: int | None = None,
        *,
        should_stop: StopFn | None = None,
    ) -> int:
        """Decode the frames within `radius` of `center_index` into the cache; returns how many.

        Frames ahead are decoded first (that is where playback and "next frame" go), then the ones
        behind in one seek + forward pass. `should_stop` is polled between frames so a newer
        request (the user scrubbed on) is not kept waiting.
        """
        side = _side(max_side)
        with self._lock:
            self._check_open()
            center = self._clamp(center_index)
            lo, hi = self._clamp(center - radius), self._clamp(center + radius)
            before = self.decoded_count
            for wanted in (range(center, hi + 1), range(lo, center)):
                missing = [i for i in wanted if (i, side) not in self._cache]
                if missing:
                    self._decode_to(
                        missing[-1], keep=wanted, max_side=side, should_stop=should_stop, first=missing[0]
                    )
                if should_stop is not None and should_stop():
                    break
            return self.decoded_count - before

    @property
    def cache_bytes(self) -> int:
        """Bytes of decoded pictures held now (≤ the limit)."""
        return self._cache_used

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cache_used = 0

    # --- internals ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise media_error(self.path, "the video was closed", "open it again")

    def _build_index(self) -> tuple[list[int], list[int]]:
        """Presentation times of every video packet (sorted) and which ones are keyframes."""
        stream = self._stream
        entries: list[tuple[int, bool]] = []
        try:
            for packet in self._container.demux(stream):
                if packet.pts is not None and packet.size:
                    entries.append((packet.pts, bool(packet.is_keyframe)))
        except av.error.FFmpegError as exc:
            if not entries:
                raise _corrupt(self.path, _short(exc)) from None
            # a damaged tail: keep the frames before it (read_video_info accepted the file)
        if not entries:
            raise _corrupt(self.path, "it has no video frames")
        entries.sort()
        pts = [p for p, _ in entries]
        keyframes = [i for i, (_, key) in enumerate(entries) if key] or [0]
        if keyframes[0] != 0:
            keyframes.insert(0, 0)  # decoding from the very start always works
        return pts, keyframes

    def _keyframe_at_or_before(self, index: int) -> int:
        return self._keyframes[bisect_right(self._keyframes, index) - 1]

    def _seek(self, key_index: int) -> None:
        self._decoder = None
        self.seek_count += 1
        try:
            self._container.seek(self._pts[key_index], stream=self._stream, backward=True, any_frame=False)
        except av.error.FFmpegError as exc:
            raise _corrupt(self.path, _short(exc)) from None
        self._decoder = self._container.decode(self._stream)
        self._next_index = key_index

    def _decode_to(
        self,
        index: int,
        *,
        keep: range,
        max_side: int | None,
        should_stop: StopFn | None = None,
        first: int | None = None,
    ) -> Image.Image:
        """Decode from frame `first` (default `index`) up to frame `index`, caching the frames in
        `keep` on the way; return frame `index`.

        Decodes forward when the decoder is at or before `first` with no closer keyframe to jump
        to; otherwise seeks. If a seek lands after the target (a demuxer quirk), retries from
        earlier keyframes, finally from the start.
        """
        first = index if first is None else min(first, index)
        key = self._keyframe_at_or_before(first)
        starts: list[int] = []
        if self._decoder is not None and key <= self._next_index <= first:
            starts.append(-1)  # -1 = go on from where the decoder is
        starts.append(key)
        earlier = self._keyframe_at_or_before(max(0, key - 1))
        starts += [earlier, 0]
        for start in dict.fromkeys(starts):
            if start >= 0:
                self._seek(start)
            image = self._forward(index, keep=keep, max_side=max_side, should_stop=should_stop)
            if image is not None:
                return image
        raise _corrupt(self.path, f"no frame could be decoded at {self.time_of(index):.2f} s")

    def _forward(
        self, index: int, *, keep: range, max_side: int | None, should_stop: StopFn | None
    ) -> Image.Image | None:
        """Pull frames until frame `index`; None if the decoder started past it."""
        assert self._decoder is not None
        previous: av.VideoFrame | None = None
        previous_index = -1
        try:
            while True:
                try:
                    frame = next(self._decoder)
                except StopIteration:
                    self._decoder = None
                    break
                self.decoded_count += 1
                i = self._index_of(frame, previous_index)
                if i > index:
                    # a frame the index promised was not produced (damage): show the last good one
                    # frame i is consumed: the decoder now stands after it
                    self._next_index = i + 1
                    if previous is None:
                        return None
                    return self._store(previous_index, previous, max_side)
                if i in keep and i != index:
                    self._store(i, frame, max_side)
                self._next_index = i + 1
                if i == index:
                    return self._store(i, frame, max_side)
                previous, previous_index = frame, i
                if should_stop is not None and should_stop():
                    return self._store(previous_index, previous, max_side)
        except av.error.FFmpegError as exc:
            self._decoder = None
            if previous is None:
                raise _corrupt(self.path, _short(exc)) from None
            raise media_error(
                self.path,
                f"the video is damaged after {self.time_of(previous_index):.2f} s ({_short(exc)})",
                "re-export it from the original app, or copy it again if the copy did not finish",
            ) from None
        # end of stream before `index` (the index counted a packet that did not decode)
        if previous is None:
            return None
        return self._store(previous_index, previous, max_side)

    def _index_of(self, frame: av.VideoFrame, previous_index: int) -> int:
        pts = frame.pts
        if pts is None:
            return previous_index + 1 if previous_index >= 0 else self._next_index
        found = self._pts_to_index.get(pts)
        if found is not None:
            return found
        return max(0, bisect_right(self._pts, pts) - 1)

    def _store(self, index: int, frame: av.VideoFrame, max_side: int | None) -> Image.Image:
        key = (index, max_side)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        image = self._to_image(frame, max_side)
        size = image.width * image.height * len(image.getbands())
        if size <= self.cache_limit:
            self._cache[key] = image
            self._cache_used += size
            while self._cache_used > self.cache_limit and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cache_used -= old.width * old.height * len(old.getbands())
        return image

    def _to_image(self, frame: av.VideoFrame, max_side: int | None) -> Image.Image:
        """Upright RGB, scaled by FFmpeg's swscale in the same pass as the colour conversion."""
        try:
            if max_side and max(frame.width, frame.height) > max_side:
                scale = max_side / max(frame.width, frame.height)
                w = max(1, round(frame.width * scale))
                h = max(1, round(frame.height * scale))
                image = frame.to_image(width=w, height=h, interpolation="AREA")
            else:
                image = frame.to_image()
        except (av.error.FFmpegError, ValueError) as exc:
            raise _corrupt(self.path, _short(exc)) from None
        return rotate_clockwise(image, self.rotation)


def _side(max_side: int | None) -> int | None:
    return int(max_side) if max_side and max_side > 0 else None
