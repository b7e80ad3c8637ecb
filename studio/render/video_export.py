"""Labeled MP4 export: H.264 + AAC at a preset size, price labels that follow their tags in time.

Where the time goes, and why the pipeline looks like this:

* The pixels never leave FFmpeg except where a label is drawn. Decoded frames go through one
  libavfilter graph (display rotation -> crop -> scale [-> letterbox pad or blurred fill] ->
  yuv420p) and straight into libx264, just as `ffmpeg -vf ...` would. Measured on a 30 s 1080p30
  clip to 1080x1920 on 2 cores: the graph path runs at the speed of the ffmpeg command line, while
  `VideoFrame.reformat` (swscale called from Python, one frame at a time) was ~1.6x slower.
* Labels are composited in YUV, only inside each label's rectangle, on a copy of the frame (one
  memcpy: the graph's frame may be shown again in the next slot, or still be referenced by the
  decoder). Converting every frame to RGB and back would cost two full-frame colour conversions
  (as much as the scale itself); blending a 300x80 label into the Y, U and V planes with numpy
  costs well under a millisecond. The label's RGB is converted with the matrix the output declares
  (the source's, else BT.601 for SD and BT.709 for HD sources), so its colours read back true. Each
  label is painted once by the studio's painter (`studio.render.labels`) and converted to
  premultiplied YUV once; moving it is only a change of offset. Odd offsets get their own chroma
  phase (the label is subsampled at the phase it lands on), so a moving label does not jitter by a
  pixel.
* Placement (direction flips and sideways slides near the frame's edges) is exactly the canvas's:
  the painter's layout step runs per frame (cheap arithmetic) and a new bitmap is painted only when
  the chosen geometry changes. Label colours are decided once per tag, on the backdrop under it
  on the first frame it is shown, so a label does not flicker as the video changes under it.
* Output is constant frame rate at the source's rate: frame n shows what is on screen at n/fps
  (duplicating or dropping frames of a variable-rate phone clip), and a label is drawn on frame n
  when its tag is visible at n/fps, the same rule as the editor's timeline.
* Audio: AAC is copied packet for packet (bit-exact and in sync by construction, priming samples
  included); anything else (PCM in MOV, Opus in WebM, MP3) is decoded and re-encoded to AAC with
  its timestamps kept. Timestamps are taken relative to the video stream's start, which is what
  "t = 0" means in the editor.
* The MP4 is written to a hidden temp file in the output folder, `+faststart`, then renamed; a
  cancel or any error removes the temp file, so there is never a half-written video.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import av
import av.error
import av.filter
import numpy as np
from PIL import Image

from studio.core.errors import Cancelled, StudioError, Where
from studio.core.geometry import FULL, Box, Crop, bounds_center, fit_crop, remap_point
from studio.core.keyframes import position_at, visible_at
from studio.core.model import LabelStyle, Tag
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.media.formats import RECOPY_HINT, media_error
from studio.media.video import VideoFacts, _open, _short, read_video_info
from studio.render import label_styles
from studio.render import labels as painter
from studio.render.contrast import parse_color
from studio.render.fit import FitPlan
from studio.render.image_export import TMP_SUFFIX, ExportError, write_error
from studio.render.labels import LabelContent, paint_layout, place_layout, prepare_layout

#: (tag, what its label says, label preset) — the same triple the image exporter burns in.
TagItem = tuple[Tag, LabelContent, str]

#: A decoded stream that ends this much before its header's duration is a truncated file.
_TRUNCATION_SLACK = 0.5
#: Progress is reported every this many output frames (the worker bridge coalesces anyway).
_PROGRESS_EVERY = 10
#: Colour matrices (Kr, Kb) by FFmpeg's AVColorSpace number; 1 = BT.709, 5/6 = BT.601.
_MATRICES: dict[int, tuple[float, float]] = {
    1: (0.2126, 0.0722),
    5: (0.299, 0.114),
    6: (0.299, 0.114),
    9: (0.2627, 0.0593),
    10: (0.2627, 0.0593),
}
_BT709, _BT601 = 1, 6


@dataclass(frozen=True, slots=True)
class VideoResult:
    """What was written: the caller's manifest needs the facts, and the tags it must report."""

    path: Path
    size: tuple[int, int]
    duration: float  # seconds of video written (frames / fps)
    frames: int
    fps: float
    has_audio: bool
    audio_copied: bool  # True: the source's AAC packets were copied; False: re-encoded (or no audio)
    outside_crop: tuple[str, ...] = ()  # ids of tags whose anchor the crop cut away (at some time)


# --- geometry of one export ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Pixel geometry: which window of the upright source lands where in the output.

    The crop is snapped to even pixels (4:2:0 chroma) and the tags are remapped through the
    *snapped* window, so a label sits on the same picture feature it was put on.
    """

    src: tuple[int, int]  # upright source size
    crop_px: tuple[int, int, int, int]  # x, y, w, h in the upright source
    frame_px: tuple[int, int, int, int]  # x, y, w, h in the output
    out: tuple[int, int]
    fill: str  # letterbox background: "blur" or a colour

    @property
    def crop(self) -> Crop:
        x, y, w, h = self.crop_px
        sw, sh = self.src
        return Crop(x / sw, y / sh, (x + w) / sw, (y + h) / sh)

    @property
    def frame(self) -> Box:
        x, y, w, h = self.frame_px
        ow, oh = self.out
        return (x / ow, y / oh, (x + w) / ow, (y + h) / oh)

    @property
    def letterboxed(self) -> bool:
        return self.frame_px != (0, 0, *self.out)


def _even_span(lo: float, hi: float, limit: int) -> tuple[int, int]:
    """An even-aligned [start, start+size) pixel span covering lo..hi as closely as possible."""
    size = max(2, round(hi - lo) // 2 * 2)
    size = min(size, limit - limit % 2)
    start = round(lo) // 2 * 2
    start = min(max(0, start), limit - size)
    start -= start % 2
    return start, size


def _layout(
    src: tuple[int, int], size: tuple[int, int], crop: Crop | FitPlan | None, tags: Sequence[TagItem]
) -> _Layout:
    sw, sh = src
    if crop is None:
        points = [(t.x, t.y) for t, _, _ in tags] + [(k.x, k.y) for t, _, _ in tags for k in t.keyframes]
        window, frame, fill = fit_crop(sw, sh, *size, focus=bounds_center(points)), FULL, "#000000"
    elif isinstance(crop, FitPlan):
        window, frame, fill = crop.crop, crop.frame, crop.fill
    else:
        window, frame, fill = crop, FULL, "#000000"
    cx, cw = _even_span(window.x0 * sw, window.x1 * sw, sw)
    cy, ch = _even_span(window.y0 * sh, window.y1 * sh, sh)
    ow, oh = size
    if frame == FULL:
        frame_px = (0, 0, ow, oh)
    else:
        fx, fw = _even_span(frame[0] * ow, frame[2] * ow, ow)
        fy, fh = _even_span(frame[1] * oh, frame[3] * oh, oh)
        frame_px = (fx, fy, fw, fh)
    return _Layout((sw, sh), (cx, cy, cw, ch), frame_px, (ow, oh), fill)


def _anchor_px(tag: Tag, t: float, layout: _Layout) -> tuple[float, float] | None:
    x, y = position_at(tag, t)
    point = remap_point(x, y, layout.crop, layout.frame)
    if point is None:
        return None
    return point[0] * layout.out[0], point[1] * layout.out[1]


# --- the filter graph ----------------------------------------------------------------------------


def _rotation_filters(rotation: int) -> list[tuple[str, str]]:
    if rotation == 90:
        return [("transpose", "clock")]
    if rotation == 270:
        return [("transpose", "cclock")]
    if rotation == 180:
        return [("hflip", ""), ("vflip", "")]
    return []


class _Pipeline:
    """buffer -> rotate -> crop -> scale [-> pad / blurred fill] -> yuv420p (limited range) -> sink.

    Built from the first decoded frame and rebuilt if the stream changes size or pixel format
    mid-way (it happens with concatenated phone clips).
    """

    def __init__(self, layout: _Layout, rotation: int, time_base: Fraction) -> None:
        self.layout = layout
        self.rotation = rotation
        self.time_base = time_base
        self._key: tuple[int, int, str] | None = None
        self._graph: av.filter.Graph | None = None

    def push(self, frame: av.VideoFrame) -> list[av.VideoFrame]:
        key = (frame.width, frame.height, frame.format.name)
        if key != self._key:
            self._graph = self._build(frame)
            self._key = key
        assert self._graph is not None
        self._graph.push(frame)
        return self._drain()

    def flush(self) -> list[av.VideoFrame]:
        if self._graph is None:
            return []
        with contextlib.suppress(av.error.EOFError, ValueError):
            self._graph.push(None)
        return self._drain()

    def _drain(self) -> list[av.VideoFrame]:
        assert self._graph is not None
        out: list[av.VideoFrame] = []
        while True:
            try:
                out.append(cast(av.VideoFrame, self._graph.pull()))
            except (av.error.BlockingIOError, av.error.EOFError):
                return out

    def _build(self, frame: av.VideoFrame) -> av.filter.Graph:
        lay = self.layout
        graph = av.filter.Graph()
        src = graph.add_buffer(
            width=frame.width, height=frame.height, format=frame.format, time_base=self.time_base
        )
        chain: list[tuple[str, str]] = _rotation_filters(self.rotation)
        cx, cy, cw, ch = lay.crop_px
        if (cx, cy, cw, ch) != (0, 0, *lay.src):
            chain.append(("crop", f"{cw}:{ch}:{cx}:{cy}:exact=1"))
        fx, fy, fw, fh = lay.frame_px
        # bicubic is FFmpeg's default, so the ffmpeg benchmark command line resamples identically.
        chain.append(("scale", f"{fw}:{fh}:flags=bicubic:out_range=tv"))
        ow, oh = lay.out
        blur = lay.letterboxed and lay.fill.strip().lower() == "blur"
        if lay.letterboxed and not blur:
            r, g, b = parse_color(lay.fill, (0, 0, 0))
            chain.append(("pad", f"{ow}:{oh}:{fx}:{fy}:color=0x{r:02x}{g:02x}{b:02x}"))
        chain.append(("format", "yuv420p"))
        if blur:
            head = self._linear(graph, src, _rotation_filters(self.rotation))
            split = graph.add("split", "2")
            head.link_to(split)
            fg = self._linear(graph, split, chain[len(_rotation_filters(self.rotation)) :], output=0)
            cover = fit_crop(*lay.src, ow, oh)
            bx, bw = _even_span(cover.x0 * lay.src[0], cover.x1 * lay.src[0], lay.src[0])
            by, bh = _even_span(cover.y0 * lay.src[1], cover.y1 * lay.src[1], lay.src[1])
            small = (max(2, ow // 16 // 2 * 2), max(2, oh // 16 // 2 * 2))
            bg = self._linear(
                graph,
                split,
                [
                    ("crop", f"{bw}:{bh}:{bx}:{by}"),
                    ("scale", f"{small[0]}:{small[1]}:flags=area:out_range=tv"),
                    ("format", "yuv420p"),
                    ("gblur", "sigma=2"),
                    ("scale", f"{ow}:{oh}:flags=bilinear"),
                ],
                output=1,
            )
            overlay = graph.add("overlay", f"{fx}:{fy}:format=yuv420")
            bg.link_to(overlay, 0, 0)
            fg.link_to(overlay, 0, 1)
            last = self._linear(graph, overlay, [("format", "yuv420p")])
        else:
            last = self._linear(graph, src, chain)
        sink = graph.add("buffersink")
        last.link_to(sink)
        graph.configure()
        return graph

    @staticmethod
    def _linear(
        graph: av.filter.Graph, start: Any, filters: Sequence[tuple[str, str]], output: int = 0
    ) -> Any:
        node = start
        first = True
        for name, args in filters:
            nxt = graph.add(name, args) if args else graph.add(name)
            node.link_to(nxt, output if first else 0, 0)
            node, first = nxt, False
        if first and output:  # nothing added after a multi-output node: caller links the output
            raise ValueError("a split branch needs at least one filter")
        return node


# --- labels in YUV -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sprite:
    """A painted label as premultiplied limited-range YUV planes, with per-phase chroma."""

    alpha: np.ndarray  # (h, w) float32 0..1
    luma: np.ndarray  # (h, w) float32, Y * alpha
    _u: np.ndarray  # (h, w) float32, U * alpha (full resolution, subsampled per phase)
    _v: np.ndarray
    _chroma: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_image(cls, image: Image.Image, matrix: tuple[float, float]) -> _Sprite:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        r, g, b, a = rgba[..., 0], rgba[..., 1], rgba[..., 2], rgba[..., 3] / 255.0
        kr, kb = matrix
        y = kr * r + (1.0 - kr - kb) * g + kb * b  # 0..255
        luma = 16.0 + y * (219.0 / 255.0)
        u = 128.0 + (b - y) * (224.0 / 255.0) / (2.0 * (1.0 - kb))
        v = 128.0 + (r - y) * (224.0 / 255.0) / (2.0 * (1.0 - kr))
        return cls(a, luma * a, u * a, v * a)

    def chroma(self, px: int, py: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(alpha, U*alpha, V*alpha) at half resolution for a label whose top-left luma pixel has
        parity (px, py): pad by the phase, then average 2x2 (premultiplied, so edges stay right)."""
        key = (px, py)
        cached = self._chroma.get(key)
        if cached is None:
            h, w = self.alpha.shape
            ph, pw = py + h + (py + h) % 2, px + w + (px + w) % 2
            out = []
            for plane in (self.alpha, self._u, self._v):
                padded = np.zeros((ph, pw), np.float32)
                padded[py : py + h, px : px + w] = plane
                out.append(padded.reshape(ph // 2, 2, pw // 2, 2).mean(axis=(1, 3)))
            cached = (out[0], out[1], out[2])
            self._chroma[key] = cached
        return cached


def _blend(plane: np.ndarray, x: int, y: int, alpha: np.ndarray, premult: np.ndarray) -> None:
    """plane[y:, x:] = plane * (1 - alpha) + premult, clipped to the plane, in place."""
    h, w = alpha.shape
    ph, pw = plane.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, pw), min(y + h, ph)
    if x1 <= x0 or y1 <= y0:
        return
    sl = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    region = plane[y0:y1, x0:x1]
    mixed = region * (1.0 - alpha[sl]) + premult[sl]
    np.clip(mixed + 0.5, 0, 255, out=mixed)
    region[...] = mixed.astype(np.uint8)


def _planes(frame: av.VideoFrame) -> list[np.ndarray]:
    """Writable numpy views of a yuv420p frame's planes (no copy)."""
    views = []
    for i, plane in enumerate(frame.planes):
        w = frame.width if i == 0 else (frame.width + 1) // 2
        h = frame.height if i == 0 else (frame.height + 1) // 2
        buf = np.frombuffer(plane, np.uint8, count=plane.line_size * h)  # type: ignore[call-overload]
        views.append(buf.reshape(h, plane.line_size)[:, :w])
    return views


def _region_rgb(
    planes: list[np.ndarray], box: tuple[int, int, int, int], matrix: tuple[float, float]
) -> Image.Image:
    """The output picture under `box` as RGB (for the painter's backdrop measure)."""
    x0, y0, x1, y1 = box
    ph, pw = planes[0].shape
    x0, y0, x1, y1 = max(0, x0) // 2 * 2, max(0, y0) // 2 * 2, min(pw, x1), min(ph, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return Image.new("RGB", (1, 1), (128, 128, 128))
    y = (planes[0][y0:y1, x0:x1].astype(np.float32) - 16.0) * (255.0 / 219.0)
    u = planes[1][y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2].astype(np.float32) - 128.0
    v = planes[2][y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2].astype(np.float32) - 128.0
    u = np.repeat(np.repeat(u, 2, 0), 2, 1)[: y.shape[0], : y.shape[1]] * (255.0 / 224.0)
    v = np.repeat(np.repeat(v, 2, 0), 2, 1)[: y.shape[0], : y.shape[1]] * (255.0 / 224.0)
    kr, kb = matrix
    kg = 1.0 - kr - kb
    r = y + 2.0 * (1.0 - kr) * v
    b = y + 2.0 * (1.0 - kb) * u
    g = (y - kr * r - kb * b) / kg
    rgb = np.clip(np.stack([r, g, b], axis=-1) + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


@dataclass(frozen=True, slots=True)
class _Placed:
    track: _LabelTrack
    x: int
    y: int
    what: Any  # the painter's geometry (hashable: one painted bitmap per distinct geometry)

    def draw(self, planes: list[np.ndarray]) -> None:
        sprite = self.track.sprite(self.what)
        x, y = self.x, self.y
        _blend(planes[0], x, y, sprite.alpha, sprite.luma)
        ca, cu, cv = sprite.chroma(x % 2, y % 2)
        _blend(planes[1], x // 2, y // 2, ca, cu)
        _blend(planes[2], x // 2, y // 2, ca, cv)


class _LabelTrack:
    """One tag's label over time: placement per frame, bitmaps painted once per geometry."""

    def __init__(
        self,
        tag: Tag,
        content: LabelContent,
        preset: str,
        style: LabelStyle,
        scale: float,
        matrix: tuple[float, float],
    ) -> None:
        self.tag = tag
        self.content = content
        self.preset = preset
        self.style = style
        self.scale = scale
        self.matrix = matrix
        self.luminance: float | None = None
        self.measured = False
        self._sprites: dict[Any, _Sprite] = {}
        self._block, self._resolved, self._s = prepare_layout(content, style, preset, scale)

    def place(self, planes: list[np.ndarray], anchor: tuple[float, float], size: tuple[int, int]) -> _Placed:
        """Where the label goes on this frame; the first time, also measure its backdrop (call
        before any label of the frame is drawn: colours follow the picture, not other labels)."""
        geometry, (x, y) = place_layout(self._block, self._resolved, self._s, anchor, size)
        if not self.measured:
            self._measure(planes, (x, y, x + geometry.size[0], y + geometry.size[1]))
        return _Placed(self, x, y, geometry)

    def sprite(self, what: Any) -> _Sprite:
        """The YUV bitmap for a geometry, painted the first time it is needed."""
        sprite = self._sprites.get(what)
        if sprite is None:
            image = paint_layout(what, self._block, self.style, self.luminance, self.scale)
            sprite = self._sprites[what] = _Sprite.from_image(image, self.matrix)
        return sprite

    def _measure(self, planes: list[np.ndarray], box: tuple[int, int, int, int]) -> None:
        """Colours follow the backdrop of the first frame the label is on, then stay fixed."""
        region = _region_rgb(planes, box, self.matrix)
        self.luminance = painter.backdrop_luminance(region, (0, 0, region.width, region.height))
        self.measured = True


# --- the export ----------------------------------------------------------------------------------


def _frame_rate(stream: av.video.stream.VideoStream, facts: VideoFacts) -> Fraction:
    """The constant output rate: the stream's average rate, kept exact (30000/1001 stays NTSC)."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) <= 240:
            return Fraction(rate).limit_denominator(1001)
    if facts.fps and 0 < facts.fps <= 240:
        return Fraction(facts.fps).limit_denominator(1001)
    return Fraction(30)


def _matrix_id(colorspace: int | None, source: tuple[int, int]) -> int:
    """The YUV matrix of the output: the source's when it says, else what players assumed for the
    source (BT.601 below 720 lines, BT.709 from HD up). Scaling keeps the source's numbers, so
    this is written to the output stream (an upscaled SD clip must not turn into "HD = BT.709"
    and shift its colours) and used to convert the labels, and the two agree."""
    if colorspace in _MATRICES:
        return int(colorspace)
    return _BT709 if min(source) >= 720 else _BT601


def _check(cancel: CancelToken | Callable[[], bool] | None) -> None:
    if cancel is None:
        return
    if callable(cancel) and not isinstance(cancel, CancelToken):
        if cancel():
            raise Cancelled()
    elif cancel.cancelled:
        raise Cancelled()


def render_video(
    src: str | Path,
    out: str | Path,
    *,
    size: tuple[int, int],
    crop: Crop | FitPlan | None = None,
    tags: Sequence[TagItem] = (),
    style: LabelStyle | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | Callable[[], bool] | None = None,
    crf: int = 20,
    preset: str = "veryfast",
    label_scale: float | None = None,
    audio_bitrate: int = 160_000,
    threads: int = 0,
) -> VideoResult:
    """Render `src` to an MP4 at `size` with the tags' price labels burned in over time.

    `crop`: a normalized window of the upright source (`Crop`), a `FitPlan` (crop + letterbox
    frame + fill), or None for the largest window of the output's aspect centred on the tags.
    `tags`: (tag, label content, label preset) — a tag is drawn only while `visible_at` says so, at
    `position_at` remapped through the crop; one whose anchor leaves the crop is not drawn and is
    listed in `VideoResult.outside_crop`. `threads`: decoder and x264 threads (0 = one per core;
    a batch running N exports in parallel processes passes cores // N so they do not fight).
    Raises MediaError (the source is unreadable, truncated or
    damaged), ExportError (the output cannot be written) or Cancelled; none leaves `out` half-written.
    """
    src, out = Path(src), Path(out)
    width, height = int(size[0]), int(size[1])
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ExportError(
            f"the video size must be even and at least 2x2 (got {width}x{height})", where=Where(file=str(out))
        )
    style = style or LabelStyle()
    facts = read_video_info(src)  # proves the file is whole before any work (MP4 index vs size)
    layout = _layout((facts.width, facts.height), (width, height), crop, tags)
    _check(cancel)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=TMP_SUFFIX, dir=out.parent)
        try:
            if os.name == "posix":  # mkstemp makes 0600; an export is an ordinary file (umask applies)
                os.fchmod(fd, 0o666 & ~_umask())
        finally:
            os.close(fd)
    except OSError as exc:
        raise write_error(out, exc) from None
    tmp = Path(tmp_name)
    try:
        job = _Job(
            src,
            tmp,
            out,
            facts,
            layout,
            tags,
            style,
            progress,
            cancel,
            crf,
            preset,
            label_scale,
            audio_bitrate,
            threads,
        )
        result = _render(job)
        _check(cancel)
        try:
            os.replace(tmp, out)
        except OSError as exc:
            raise write_error(out, exc) from None
        return result
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@lru_cache(maxsize=1)
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


class _OutputFailed(Exception):
    """Wraps an error of the output side so the input's error handling does not misname it."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything one export needs, resolved (facts read, geometry decided)."""

    src: Path
    tmp: Path
    out: Path
    facts: VideoFacts
    layout: _Layout
    tags: Sequence[TagItem]
    style: LabelStyle
    progress: ProgressFn
    cancel: CancelToken | Callable[[], bool] | None
    crf: int
    preset: str
    label_scale: float | None
    audio_bitrate: int
    threads: int


def _render(job: _Job) -> VideoResult:
    try:
        with _open(job.src) as (container, vstream):
            return _transcode(job, container, vstream)
    except _OutputFailed as wrapped:
        exc = wrapped.exc
        if isinstance(exc, OSError) and exc.errno is not None:
            raise write_error(job.out, exc) from None
        raise ExportError(
            f"the video could not be encoded ({_short(exc)})",
            where=Where(file=str(job.out)),
            hint="check the output folder and free disk space",
        ) from None


def _transcode(
    job: _Job, container: av.container.InputContainer, vstream: av.video.stream.VideoStream
) -> VideoResult:
    """Decode -> filter graph -> labels -> encode, with the audio copied or re-encoded alongside."""
    src, facts, layout, tags, style = job.src, job.facts, job.layout, job.tags, job.style
    progress, cancel = job.progress, job.cancel
    vstream.thread_type = "AUTO"
    vstream.codec_context.thread_count = max(0, job.threads)
    rate = _frame_rate(vstream, facts)
    out_tb = 1 / rate
    v_tb = vstream.time_base or Fraction(1, 90000)
    origin_pts: int | None = vstream.start_time
    astream = container.streams.audio[0] if container.streams.audio else None
    copy_audio = astream is not None and (astream.codec_context.name or "") == "aac"
    expected = max(1, round(facts.duration * rate))
    scale = job.label_scale if job.label_scale is not None else painter.label_scale_for(layout.out)

    try:
        output = av.open(str(job.tmp), "w", format="mp4", options={"movflags": "+faststart"})
    except (av.error.FFmpegError, OSError) as exc:
        raise _OutputFailed(exc) from None
    try:  # not `with output`: an error while closing (faststart rewrite) is an output error
        try:
            ov = output.add_stream("libx264", rate=rate)
            ov.width, ov.height = layout.out
            ov.pix_fmt = "yuv420p"
            ov.options = {"preset": job.preset, "crf": str(job.crf)}
            ov.codec_context.thread_count = max(0, job.threads)  # 0: x264's frame threads on every core
            oa = None
            a_encoder = None
            if astream is not None and copy_audio:
                oa = output.add_stream_from_template(astream)
            elif astream is not None:
                a_rate = astream.codec_context.sample_rate or 48000
                a_rate = (
                    a_rate
                    if a_rate in (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
                    else 48000
                )
                a_encoder = output.add_stream("aac", rate=a_rate)
                a_encoder.layout = "mono" if (astream.codec_context.channels or 2) == 1 else "stereo"
                a_encoder.bit_rate = job.audio_bitrate
                oa = a_encoder
        except (av.error.FFmpegError, ValueError) as exc:
            raise _OutputFailed(exc) from None

        # Colour tags must be set before anything is muxed: the first (audio) packet opens the
        # encoders and writes the header.
        matrix = _matrix_id(vstream.codec_context.colorspace, layout.src)
        ov.codec_context.colorspace = matrix
        ov.codec_context.color_range = 1  # limited ("tv"), as the graph produces
        pipeline = _Pipeline(layout, facts.rotation, v_tb)
        tracks = [
            _LabelTrack(
                tag, content, label_styles.resolve_preset(p, style.preset), style, scale, _MATRICES[matrix]
            )
            for tag, content, p in tags
        ]
        outside: dict[str, None] = {}
        state: dict[str, Any] = {"n": 0, "pending": None, "pending_t": 0.0, "last_end": 0.0}

        def emit_until(t_next: float) -> None:
            """Encode the pending picture for every output slot whose middle is before t_next."""
            frame = state["pending"]
            if frame is None:
                return
            while (state["n"] + 0.5) / rate <= t_next:
                n = state["n"]
                _check(cancel)
                picture = frame
                t = n / float(rate)
                visible = [tr for tr in tracks if visible_at(tr.tag, t)]
                if visible:
                    picture = _copy_frame(frame)
                    planes = _planes(picture)
                    placed = []
                    for tr in visible:
                        anchor = _anchor_px(tr.tag, t, layout)
                        if anchor is None:
                            outside[tr.tag.id] = None
                            continue
                        placed.append(tr.place(planes, anchor, layout.out))
                    for label in placed:
                        label.draw(planes)
                picture.pts = n
                picture.time_base = out_tb
                try:
                    for packet in ov.encode(picture):
                        output.mux(packet)
                except (av.error.FFmpegError, OSError) as exc:
                    raise _OutputFailed(exc) from None
                state["n"] = n + 1
                if state["n"] % _PROGRESS_EVERY == 0:
                    progress(state["n"], max(expected, state["n"]), "Encoding video")

        def take(filtered: av.VideoFrame, t: float) -> None:
            emit_until(t)
            state["pending"], state["pending_t"] = filtered, t

        a_origin = 0
        a_tb = (astream.time_base if astream is not None else None) or Fraction(1, 48000)
        if origin_pts is not None:
            a_origin = round(origin_pts * v_tb / a_tb)
        streams = [vstream] + ([astream] if astream is not None else [])
        last_dur = 1 / float(rate)
        try:
            for packet in container.demux(*streams):  # ends with flush packets that drain decoders
                if packet.stream.type == "audio":
                    _audio_packet(packet, output, oa, a_encoder, copy_audio, a_origin)
                    continue
                for frame in cast("list[av.VideoFrame]", packet.decode()):
                    if origin_pts is None:
                        origin_pts = frame.pts if frame.pts is not None else 0
                        a_origin = round(origin_pts * v_tb / a_tb)
                    if frame.pts is None:  # damaged timestamps: the next slot after the last frame
                        frame.pts = origin_pts + round(state["last_end"] / v_tb)
                    t = float((frame.pts - origin_pts) * v_tb)
                    if frame.duration:
                        last_dur = float(frame.duration * v_tb)
                    state["last_end"] = max(state["last_end"], t + last_dur)
                    for filtered in pipeline.push(frame):
                        take(filtered, _time_of(filtered, origin_pts, v_tb, t))
            for filtered in pipeline.flush():
                take(filtered, _time_of(filtered, origin_pts or 0, v_tb, state["pending_t"]))
        except (StudioError, _OutputFailed):
            raise
        except av.error.FFmpegError as exc:
            if state["pending"] is None:
                raise media_error(
                    src, f"the video is truncated or corrupt ({_short(exc)})", RECOPY_HINT
                ) from None
            raise media_error(
                src,
                f"the video is damaged after {state['pending_t']:.2f} s ({_short(exc)})",
                RECOPY_HINT,
            ) from None
        if state["pending"] is None:
            raise media_error(
                src, "the video is truncated or corrupt (no frame could be decoded)", RECOPY_HINT
            )
        if facts.duration - state["last_end"] > max(_TRUNCATION_SLACK, 0.05 * facts.duration):
            raise media_error(
                src,
                f"the video file is truncated (it plays {state['last_end']:.1f} s of {facts.duration:.1f} s)",
                RECOPY_HINT,
            )
        emit_until(state["last_end"])
        try:
            for packet in ov.encode(None):
                output.mux(packet)
            if a_encoder is not None:
                for packet in a_encoder.encode(None):
                    output.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise _OutputFailed(exc) from None
    except BaseException:
        with contextlib.suppress(Exception):
            output.close()
        raise
    try:
        output.close()
    except (av.error.FFmpegError, OSError) as exc:
        raise _OutputFailed(exc) from None
    n = state["n"]
    progress(n, n, "Video written")
    return VideoResult(
        path=job.out,
        size=layout.out,
        duration=n / float(rate),
        frames=n,
        fps=float(rate),
        has_audio=astream is not None,
        audio_copied=copy_audio,
        outside_crop=tuple(outside),
    )


def _time_of(frame: av.VideoFrame, origin_pts: int, time_base: Fraction, fallback: float) -> float:
    """Seconds from the clip's start of a frame out of the graph (which keeps the input's pts)."""
    if frame.pts is None:
        return fallback
    return float((frame.pts - origin_pts) * time_base)


def _copy_frame(frame: av.VideoFrame) -> av.VideoFrame:
    """A writable frame to draw on. The filter graph may hand out a buffer still referenced by
    the decoder (a pass-through scale) or reused for a duplicated slot; drawing on it would paint
    the label into later frames."""
    copy = av.VideoFrame(frame.width, frame.height, "yuv420p")
    for dst, srcp in zip(_planes(copy), _planes(frame), strict=True):
        dst[...] = srcp
    copy.colorspace = frame.colorspace
    copy.color_range = frame.color_range
    return copy


def _audio_packet(
    packet: av.Packet,
    output: av.container.OutputContainer,
    oa: Any,
    encoder: Any,
    copy: bool,
    origin: int,
) -> None:
    """Copy or re-encode one audio packet, shifted so the video's first frame is t = 0."""
    if oa is None:
        return
    if copy:
        if not packet.size or (packet.dts is None and packet.pts is None):
            return  # the demuxer's end-of-stream flush packet
        # Every packet is kept, even before the first picture: the muxer turns negative times into
        # an edit list, and the leading (priming) packet is what the decoder needs to start cleanly.
        if packet.pts is not None:
            packet.pts -= origin
        if packet.dts is not None:
            packet.dts -= origin
        packet.stream = oa
        try:
            output.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise _OutputFailed(exc) from None
        return
    for frame in cast("list[av.AudioFrame]", packet.decode()):
        rate = frame.sample_rate or 48000
        if frame.pts is not None:
            start = float((frame.pts - origin) * (packet.time_base or Fraction(1, rate)))
            if start + frame.samples / rate <= 0:
                continue  # entirely before the first picture
            frame.pts = round(start * rate)
        frame.time_base = Fraction(1, rate)
        try:
            for out_packet in encoder.encode(frame):
                output.mux(out_packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise _OutputFailed(exc) from None
