"""Benchmark: a 30 s 1080p30 clip with audio -> labeled 1080x1920 MP4 (3 price labels).

Run with the project's interpreter:  .venv/bin/python benchmarks/export_video.py [--seconds N]

What it measures (goals for a 2-core machine in brackets):
  * generating the source clip with PyAV (printed separately: setup, not export);
  * `render_video` with 3 tags (one static for the whole clip, one moving along keyframes, one
    shown for a time range) -> realtime factor = clip seconds / export seconds [>= 1x];
  * the same export without labels (how much the labels cost);
  * the `ffmpeg` command line on the same clip with the same crop, scale filter, codec settings
    (libx264 veryfast CRF 20, yuv420p, AAC copied, +faststart) and no labels, in the same run ->
    ratio render_video / ffmpeg [<= 1.3x].
The ffmpeg used is the system one if there is one, else the static build of the PyPI package
`imageio-ffmpeg` (a benchmark-only dependency: `.venv/bin/pip install imageio-ffmpeg`).
A script, not a test: it prints figures and never asserts on timings.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402

from studio.core.geometry import Crop  # noqa: E402
from studio.core.model import Keyframe, LabelStyle, Tag  # noqa: E402
from studio.render.labels import LabelContent  # noqa: E402
from studio.render.video_export import _layout, render_video  # noqa: E402

OUT_SIZE = (1080, 1920)
CRF, PRESET = 20, "veryfast"


def make_clip(path: Path, seconds: int, fps: int = 30, size: tuple[int, int] = (1920, 1080)) -> None:
    """Moving gradients plus a scrolling grain texture (so the encoder has real work), and a tone.

    Planes are written as yuv420p straight into the frame's buffers (no RGB conversion)."""
    w, h = size
    rng = np.random.default_rng(7)
    grain = (rng.random((h, 2 * w), dtype=np.float32) * 24).astype(np.float32)
    xs, ys = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    cxs, cys = xs[: w // 2], ys[: h // 2]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "18"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for i in range(seconds * fps):
            t = i / fps
            shift = (i * 4) % w
            luma = np.outer(np.cos(ys / 61 - t * 1.3), np.sin(xs / 97 + t * 2.0)) * 60 + 128
            luma += grain[:, shift : shift + w]
            planes = (
                luma,
                np.broadcast_to(128 + 50 * np.sin(cxs / 53 + t), (h // 2, w // 2)),
                np.broadcast_to((128 + 50 * np.cos(cys / 41 - t * 0.7))[:, None], (h // 2, w // 2)),
            )
            frame = av.VideoFrame(w, h, "yuv420p")
            for plane, values in zip(frame.planes, planes, strict=True):
                pixels = np.clip(values, 0, 255).astype(np.uint8)
                view = np.frombuffer(plane, np.uint8, count=plane.line_size * pixels.shape[0])
                view.reshape(pixels.shape[0], plane.line_size)[:, : pixels.shape[1]] = pixels
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        per, total, pts = 1024, 48000 * seconds, 0
        while pts < total:
            tone = (0.2 * np.sin(2 * np.pi * 440 * (pts + np.arange(per)) / 48000)).astype(np.float32)
            chunk = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, pts
            out.mux(audio.encode(chunk))
            pts += per
        out.mux(audio.encode(None))


def find_ffmpeg() -> tuple[str, str]:
    """(executable, which build) — the system ffmpeg, else imageio-ffmpeg's static binary."""
    exe = shutil.which("ffmpeg")
    if exe:
        where = "system"
    else:
        try:
            import imageio_ffmpeg
        except ImportError:
            sys.exit("no ffmpeg: install one, or `.venv/bin/pip install imageio-ffmpeg` (benchmark only)")
        exe, where = imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg static build"
    first = subprocess.run([exe, "-version"], capture_output=True, text=True, check=True).stdout.splitlines()[
        0
    ]
    return exe, f"{first} ({where}: {exe})"


def tags(seconds: float) -> list[tuple[Tag, LabelContent, str]]:
    static = Tag(id="static", product_id="p1", x=0.5, y=0.35)
    moving = Tag(
        id="moving",
        product_id="p2",
        x=0.45,
        y=0.55,
        keyframes=[Keyframe(0.0, 0.45, 0.55), Keyframe(seconds / 2, 0.55, 0.7), Keyframe(seconds, 0.48, 0.6)],
    )
    ranged = Tag(id="ranged", product_id="p3", x=0.52, y=0.2, start=seconds * 0.2, end=seconds * 0.8)
    return [
        (static, LabelContent(price="$89.00", compare_at="$120.00"), "pill"),
        (moving, LabelContent(price="$24.50", title="Linen tote bag"), "callout"),
        (ranged, LabelContent(price="19,90\u00a0€"), "pointer"),
    ]


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:  # pragma: no cover - not on Windows
        return "load average n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="clip length (default 30)")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds, best kept (default 2)")
    parser.add_argument(
        "--keep", type=Path, help="keep the clip and outputs in this folder (and reuse the clip next time)"
    )
    args = parser.parse_args()
    exe, build = find_ffmpeg()
    print(f"machine: {os.cpu_count()} cores, {load()}; PyAV {av.__version__}")
    print(f"ffmpeg: {build}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        src = folder / f"source-1080p30-{args.seconds}s.mp4"
        if src.exists():  # --keep folder from an earlier run: generating takes minutes
            print(f"setup: reusing {src}")
        else:
            gen_time, _ = timed(make_clip, src, args.seconds)
            print(
                f"setup: generated {args.seconds} s 1920x1080 30 fps + AAC in {gen_time:.1f} s"
                " (not in the figures)"
            )

        layout = _layout((1920, 1080), OUT_SIZE, None, tags(args.seconds))
        x, y, w, h = layout.crop_px
        crop = Crop(x / 1920, y / 1080, (x + w) / 1920, (y + h) / 1080)
        ff_cmd = [
            exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
            "-vf", f"crop={w}:{h}:{x}:{y},scale={OUT_SIZE[0]}:{OUT_SIZE[1]}:flags=bicubic,format=yuv420p",
            "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
            "-c:a", "copy", "-movflags", "+faststart", str(folder / "ffmpeg.mp4"),
        ]  # fmt: skip
        print(
            f"crop {w}x{h}+{x}+{y} -> scale {OUT_SIZE[0]}x{OUT_SIZE[1]},"
            f" libx264 {PRESET} CRF {CRF}, AAC copied"
        )
        best = {"ffmpeg": math.inf, "clean": math.inf, "labeled": math.inf}
        result: Any = None
        for round_no in range(1, max(1, args.repeat) + 1):
            ff, _ = timed(subprocess.run, ff_cmd, check=True)
            labeled, result = timed(
                render_video, src, folder / "labeled.mp4", size=OUT_SIZE, crop=crop, tags=tags(args.seconds),
                style=LabelStyle(), crf=CRF, preset=PRESET,
            )  # fmt: skip
            clean, _ = timed(
                render_video, src, folder / "clean.mp4", size=OUT_SIZE, crop=crop, crf=CRF, preset=PRESET
            )
            print(
                f"  round {round_no}: ffmpeg {ff:.1f} s, labeled {labeled:.1f} s,"
                f" no labels {clean:.1f} s ({load()})"
            )
            for key, value in (("ffmpeg", ff), ("labeled", labeled), ("clean", clean)):
                best[key] = min(best[key], value)

        secs = float(args.seconds)
        ff, clean, labeled = best["ffmpeg"], best["clean"], best["labeled"]
        print(f"best of {max(1, args.repeat)}:")
        print(f"  ffmpeg CLI, no labels:   {ff:6.1f} s  {secs / ff:5.2f}x realtime")
        print(
            f"  render_video, no labels: {clean:6.1f} s  {secs / clean:5.2f}x realtime"
            f"  ({clean / ff:.2f}x ffmpeg)"
        )
        print(
            f"  render_video, 3 labels:  {labeled:6.1f} s  {secs / labeled:5.2f}x realtime"
            f"  ({labeled / ff:.2f}x ffmpeg)"
        )
        print(
            f"  output: {result.frames} frames, {result.duration:.2f} s, audio copied: {result.audio_copied}"
        )
        print(
            f"goals: >= 1x realtime: {'met' if secs / labeled >= 1 else 'NOT met'};"
            f" <= 1.3x ffmpeg: {'met' if labeled / ff <= 1.3 else 'NOT met'}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
