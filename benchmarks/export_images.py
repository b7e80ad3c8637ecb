"""Benchmark: batch-export 200 generated 12-megapixel JPEGs (3 tags each) to 2 presets, clean + labeled.

Run with the project's interpreter:  .venv/bin/python benchmarks/export_images.py [--count N]

What it measures (goals in brackets), all in the same run on the same files:
  * the floor: plain Pillow in one process — for each file decode once, then per preset resize the
    same crop window with the same filter and encode two JPEGs (the clean and the labeled output)
    at the same settings (quality, progressive, sRGB profile). The floor ALSO uses JPEG draft mode
    at the same scale as the exporter: draft decoding is a Pillow feature any careful script would
    use, so comparing against a full-size decode would flatter the exporter;
  * `export_batch` with 1 worker (in process) [≤ 1.15 × the floor's time per image];
  * `export_batch` with 2 worker processes [≥ 1.8 × faster than 1 worker — needs 2 idle cores].
The difference to the floor is what the exporter adds: EXIF/ICC handling, tag remapping, label
painting, tags.json, atomic writes, the manifest and fingerprints.
A script, not a test: it prints figures and never asserts on timings.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402

from studio.core.catalog_store import CatalogStore  # noqa: E402
from studio.core.model import Media, MediaKind, Product, Project, Tag  # noqa: E402
from studio.jobs.export_batch import export_batch  # noqa: E402
from studio.render.fit import RESAMPLE, needed_source_size, plan_fit  # noqa: E402
from studio.render.image_export import srgb_icc  # noqa: E402
from studio.render.presets import get_presets  # noqa: E402

SIZE = (4000, 3000)  # 12 MP
PRESETS = "instagram-portrait,instagram-square"


def make_sources(folder: Path, count: int) -> list[Path]:
    """Photo-like content (gradients, shapes, mild noise) so the JPEGs have realistic entropy."""
    rng = random.Random(7)
    base = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(SIZE),
            Image.radial_gradient("L").resize(SIZE),
            Image.linear_gradient("L").rotate(90).resize(SIZE),
        ),
    )
    noise = Image.effect_noise((SIZE[0] // 4, SIZE[1] // 4), 40).resize(SIZE).convert("RGB")
    base = Image.blend(base, noise, 0.25)
    paths = []
    for n in range(count):
        img = base.copy()
        draw = ImageDraw.Draw(img)
        for _ in range(6):
            x, y = rng.randrange(SIZE[0] - 600), rng.randrange(SIZE[1] - 600)
            color = tuple(rng.randrange(256) for _ in range(3))
            draw.rectangle([x, y, x + rng.randrange(100, 600), y + rng.randrange(100, 600)], fill=color)
        path = folder / f"photo{n:04d}.jpg"
        img.save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def make_project(folder: Path, sources: list[Path]) -> tuple[Project, Path]:
    catalog = folder / "catalog.sqlite"
    store = CatalogStore(catalog)
    store.upsert(
        [
            Product(
                f"p{i}",
                f"Product {i}",
                Decimal("49.90") + i,
                "EUR",
                sku=f"SKU-{i}",
                url=f"https://shop.example/p{i}",
            )
            for i in range(3)
        ],
        "bench",
    )
    store.close()
    project = Project(name="bench", currency="EUR", locale="fr_FR")
    for n, path in enumerate(sources):
        tags = [
            Tag(
                f"t{n}_{i}",
                f"p{i}",
                0.3 + 0.2 * i,
                0.4 + 0.1 * i,
                box=(0.25 + 0.2 * i, 0.3, 0.35 + 0.2 * i, 0.6),
            )
            for i in range(3)
        ]
        project.media.append(
            Media(
                f"m{n}",
                str(path),
                f"sha256:{n:064x}",
                MediaKind.IMAGE,
                SIZE[0],
                SIZE[1],
                name=path.name,
                tags=tags,
            )
        )
    return project, catalog


def floor(sources: list[Path], out: Path) -> None:
    """Pillow decode (draft, same scale) → resize (same box, filter) → 2 encodes per preset."""
    presets = get_presets(PRESETS)
    icc = srgb_icc()
    for path in sources:
        plans = [plan_fit(SIZE, p, (0.5, 0.5)) for p in presets]
        need = [needed_source_size(plan, SIZE) for plan in plans]
        with Image.open(path) as img:
            img.draft(None, (max(n[0] for n in need), max(n[1] for n in need)))
            img.load()
            W, H = img.size
            for preset, plan in zip(presets, plans):
                c = plan.crop
                resized = img.resize(plan.out_size, RESAMPLE, box=(c.x0 * W, c.y0 * H, c.x1 * W, c.y1 * H))
                for kind in ("clean", "labeled"):
                    buf = io.BytesIO()
                    resized.save(
                        buf, "JPEG", quality=preset.quality, progressive=preset.progressive, icc_profile=icc
                    )
                    (out / f"{path.stem}.{preset.name}.{kind}.jpg").write_bytes(buf.getvalue())


def run_export(project: Project, catalog: Path, root: Path, out: Path, workers: int) -> dict:
    presets = get_presets(PRESETS)
    return export_batch(root, project, catalog, presets, ["clean", "labeled"], out, workers=workers).summary()


class Clock:
    """Wall and CPU time of this process (CPU is robust to other load on a shared machine)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def run(self, fn, *args):  # type: ignore[no-untyped-def]
        w, c = time.perf_counter(), time.process_time()
        result = fn(*args)
        self.wall += time.perf_counter() - w
        self.cpu += time.process_time() - c
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200, help="number of 12 MP JPEGs (default 200)")
    ap.add_argument("--chunk", type=int, default=20, help="floor and 1-worker runs alternate per chunk")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-export-"))
    try:
        t = time.perf_counter()
        src = tmp / "src"
        src.mkdir()
        sources = make_sources(src, args.count)
        project, catalog = make_project(tmp, sources)
        n = len(sources)
        print(
            f"generated {n} × {SIZE[0]}×{SIZE[1]} JPEGs with 3 tags each in {time.perf_counter() - t:.1f} s; "
            f"presets {PRESETS}; kinds clean+labeled; cores {os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        for d in ("floor", "w1", "w2"):
            (tmp / d).mkdir()
        for p in sources:  # page cache warm for both sides
            p.read_bytes()
        # Floor and exporter alternate chunk by chunk, so a burst of load from other processes
        # hits both alike; each chunk is a separate export_batch call (its fixed costs counted
        # every time, which only disfavours the exporter).
        floor_clock, one_clock = Clock(), Clock()
        for start in range(0, n, args.chunk):
            chunk = sources[start : start + args.chunk]
            floor_clock.run(floor, chunk, tmp / "floor")
            sub = Project(name=project.name, currency=project.currency, locale=project.locale)
            sub.media = project.media[start : start + args.chunk]
            summary = one_clock.run(run_export, sub, catalog, tmp, tmp / "w1" / str(start), 1)
            if summary["exported"] != len(chunk) or summary["problems"]:
                print(f"  WARNING: {summary}")
        fw, fc, ow, oc = floor_clock.wall, floor_clock.cpu, one_clock.wall, one_clock.cpu
        print(f"floor (Pillow, 1 process): {fw:7.2f} s wall {n / fw:6.2f} images/s  ({fc:.2f} s CPU)")
        print(
            f"export_batch, 1 worker:    {ow:7.2f} s wall {n / ow:6.2f} images/s  ({oc:.2f} s CPU)  "
            f"ratio to floor {ow / fw:.3f} wall, {oc / fc:.3f} CPU (goal ≤ 1.15)"
        )
        t = time.perf_counter()
        summary = run_export(project, catalog, tmp, tmp / "w2", 2)
        two = time.perf_counter() - t
        if summary["exported"] != n or summary["problems"]:
            print(f"  WARNING: {summary}")
        print(
            f"export_batch, 2 workers:   {two:7.2f} s wall {n / two:6.2f} images/s  "
            f"speed-up vs 1 worker {ow / two:.2f}× (goal ≥ 1.8; needs 2 idle cores)"
        )
        t = time.perf_counter()
        summary = run_export(project, catalog, tmp, tmp / "w2", 2)
        print(
            f"re-run, nothing changed:   {time.perf_counter() - t:7.2f} s  "
            f"({summary['outputs_unchanged']} outputs skipped by fingerprint)"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
