"""Per-photo time of the bundled models on this machine: objects + pose + 10 embeddings at 1080 px.

Why here: it measures the assets this folder builds (a sanity check after `build_models.py`), not
the whole shop-the-look pipeline (that is benchmarks/shop_the_look.py). Prints p50/p95 in ms.

Usage: .venv/bin/python packaging/models/bench_runtime.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from studio.vision import objects, pose
from studio.vision.embed import Embedder

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "vision"


def _photos() -> list[np.ndarray]:
    out = []
    for name in ("coffee.jpg", "astronaut.jpg"):
        rgb = cv2.imread(str(DATA / name))[:, :, ::-1]
        h, w = rgb.shape[:2]
        scale = 1080 / min(h, w)  # 1080 px on the short side (1620×1080, 1080×1080)
        out.append(np.ascontiguousarray(cv2.resize(rgb, (round(w * scale), round(h * scale)))))
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    load0 = os.getloadavg()
    photos = _photos()
    embedder = Embedder()
    t = time.perf_counter()
    objects.detect_scene(photos[0])
    pose.detect_people(photos[0])
    embedder.embed([photos[0][:200, :200]])
    print(f"first call (loads 3 models): {(time.perf_counter() - t) * 1000:.0f} ms")
    timings: dict[str, list[float]] = {
        "objects": [],
        "pose+zones": [],
        "embed x10": [],
        "total": [],
        "cpu": [],
    }
    for i in range(args.runs):
        rgb = photos[i % len(photos)]
        h, w = rgb.shape[:2]
        c0 = time.process_time()
        t0 = time.perf_counter()
        scene = objects.detect_scene(rgb)
        t1 = time.perf_counter()
        zones = [
            z for k, p in enumerate(pose.detect_people(rgb), 1) for z in pose.outfit_zones(p, (w, h), index=k)
        ]
        t2 = time.perf_counter()
        boxes = [p.box for p in scene.proposals + zones] or [(0.1, 0.1, 0.5, 0.5)]
        crops = []
        for k in range(10):
            x0, y0, x1, y1 = boxes[k % len(boxes)]
            crops.append(
                rgb[
                    int(y0 * h) : max(int(y1 * h), int(y0 * h) + 2),
                    int(x0 * w) : max(int(x1 * w), int(x0 * w) + 2),
                ]
            )
        embedder.embed(crops)
        t3 = time.perf_counter()
        timings["cpu"].append((time.process_time() - c0) * 1000)  # all threads; less load-sensitive
        for key, value in (
            ("objects", t1 - t0),
            ("pose+zones", t2 - t1),
            ("embed x10", t3 - t2),
            ("total", t3 - t0),
        ):
            timings[key].append(value * 1000)
    print(f"load average before/after: {load0} / {os.getloadavg()}")
    for key, values in timings.items():
        print(f"{key:12s} p50 {statistics.median(values):6.1f} ms   p95 {_pct(values, 0.95):6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
