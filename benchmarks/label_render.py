"""Benchmark: price-label painting (studio.render.labels).

Run with the project's interpreter:  .venv/bin/python benchmarks/label_render.py [--repeat N]

What it measures (target in brackets):
  * one `render_label` per preset at scale 1 and 2, "warm" (text layout and shape masks cached, as
    when the canvas repaints a label being dragged) and "cold" (every cache cleared before each
    call, as for a label never seen before) [< 2 ms typical at scale 1];
  * one `place_label` (placement near an edge + paint) at scale 1;
  * `burn_labels` of 20 labels (all presets, half on sale) on a 1080x1350 photo, cold and warm.
A script, not a test: it prints figures and never asserts on timings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from studio.core.model import LabelStyle  # noqa: E402
from studio.render import labels  # noqa: E402
from studio.render.label_styles import PRESETS  # noqa: E402
from studio.render.labels import LabelContent, burn_labels, place_label, render_label  # noqa: E402


def clear_caches() -> None:
    """Layouts and shapes only: fonts load once per process, which is start-up cost, not a label's."""
    labels._block.cache_clear()
    labels._shape_mask.cache_clear()


def timed(fn: Callable[[], object], repeat: int, cold: bool) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    fn()  # fonts loaded once per process: that cost belongs to start-up, not to a label
    samples = []
    for _ in range(repeat):
        if cold:
            clear_caches()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def photo(size: tuple[int, int]) -> Image.Image:
    """A photo-like gradient with light and dark areas, so contrast decisions vary."""
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 90):
        draw.rectangle((i, 0, i + 40, size[1] // 2), fill=(240, 235, 225))
    return img


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    style = LabelStyle()
    sale = LabelContent("59,00\u00a0€", "89,00\u00a0€", title="Linen shirt, relaxed fit")
    plain = LabelContent("$89.00", title="Leather belt")

    print(f"render_label, ms per label (median / p95), {args.repeat} runs")
    for scale in (1.0, 2.0):
        for preset in PRESETS:
            for name, content in (("plain", plain), ("sale", sale)):
                warm = timed(
                    lambda c=content, p=preset, s=scale: render_label(c, style, p, scale=s),
                    args.repeat,
                    False,
                )
                cold = timed(
                    lambda c=content, p=preset, s=scale: render_label(c, style, p, scale=s),
                    max(20, args.repeat // 5),
                    True,
                )
                print(
                    f"  scale {scale:g} {preset:8s} {name:5s}  warm {warm[0]:6.3f} / {warm[1]:6.3f}"
                    f"   cold {cold[0]:6.3f} / {cold[1]:6.3f}"
                )

    med, p95 = timed(
        lambda: place_label(sale, style, "callout", (1070.0, 1340.0), (1080, 1350)), args.repeat, False
    )
    print(f"place_label callout at the bottom-right corner, scale 1: {med:.3f} / {p95:.3f} ms")

    img = photo((1080, 1350))
    items = [
        (
            (0.05 + 0.9 * ((i * 37) % 20) / 19, 0.05 + 0.9 * i / 19),
            sale if i % 2 else plain,
            PRESETS[i % len(PRESETS)],
        )
        for i in range(20)
    ]
    n = max(10, args.repeat // 10)
    cold = timed(lambda: burn_labels(img, items, style), n, True)
    warm = timed(lambda: burn_labels(img, items, style), n, False)
    print(
        f"burn_labels, 20 labels on 1080x1350 (incl. copy of the photo): "
        f"cold {cold[0]:.2f} / {cold[1]:.2f} ms, warm {warm[0]:.2f} / {warm[1]:.2f} ms"
    )
    copy = timed(lambda: img.convert("RGBA").convert("RGB"), n, False)
    print(f"  of which the RGBA round trip of the photo alone: {copy[0]:.2f} ms")


if __name__ == "__main__":
    main()
