"""`studio detect` end to end: a generated workspace, the real pipeline, the CLI in a subprocess.

The catalog has textured product photos (local files); one scene photo has a product photo pasted in
(scaled and rotated a little, on a busy background), another shows an EAN-13 barcode that is the GTIN
of a third product. Nothing is mocked: the index is built, the photos analysed, tags written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from benchmarks.tracking import encode
from studio.core.model import Product, Tag
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.shop_the_look import remember_rejection
from studio.vision.proposals import Proposal, iou
from tests.barcode_symbols import ean13_rgb as ean13_image

ROOT = Path(__file__).resolve().parents[2]
GTIN = "4006381333931"


def product_photo(seed: int) -> np.ndarray:
    """A textured 'packshot': coloured blocks and words on white (like a printed box)."""
    rng = np.random.default_rng(seed)
    img = np.full((420, 340, 3), 255, np.uint8)
    cv2.rectangle(img, (40, 30), (300, 390), tuple(int(v) for v in rng.integers(40, 200, 3)), -1)
    for _ in range(30):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        x, y = int(rng.integers(45, 260)), int(rng.integers(35, 350))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(8, 40)), y + int(rng.integers(8, 40))), c, -1)
    for i, word in enumerate(("ACME", f"No.{seed}", "TEA")):
        cv2.putText(img, word, (60, 110 + 90 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (255, 255, 255), 4)
    return img


def busy_background(w: int, h: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([90 + 70 * xx / w, 100 + 50 * yy / h, 120 + 30 * np.sin(xx / 41.0)], -1).astype(np.uint8)
    img = np.ascontiguousarray(img)
    for _ in range(20):
        c = tuple(int(v) for v in rng.integers(40, 200, 3))
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(15, 60)), c, -1)
    return img


def paste(scene: np.ndarray, photo: np.ndarray, at: tuple[int, int], scale: float, angle: float) -> tuple:
    """Paste the photo's product region rotated/scaled at `at`; returns the true box (normalized)."""
    crop = photo[30:390, 40:300]
    h, w = crop.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[0, 2] += at[0] - w / 2 + w * scale / 2
    m[1, 2] += at[1] - h / 2 + h * scale / 2
    H, W = scene.shape[:2]
    warped = cv2.warpAffine(crop, m, (W, H))
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, (W, H))
    scene[mask > 0] = warped[mask > 0]
    ys, xs = np.nonzero(mask)
    return (xs.min() / W, ys.min() / H, xs.max() / W, ys.max() / H)


@pytest.fixture(scope="module")
def shop_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("detect")
    root = tmp / "ws"
    facts: dict[str, Any] = {}
    with Workspace.create(root, currency="EUR", locale="en_US") as ws:
        photos = root / "catalog"
        photos.mkdir()
        products = []
        for n in range(1, 7):
            path = photos / f"p{n}.png"
            Image.fromarray(product_photo(n)).save(path)
            products.append(
                Product(
                    id=f"prod-{n}",
                    title=f"Tea tin no. {n}",
                    price=Decimal("12.50") + n,
                    currency="EUR",
                    sku=f"TEA-{n}",
                    images=[f"catalog/p{n}.png"],
                    product_type="kitchen",
                    gtin=GTIN if n == 6 else "",
                )
            )
        ws.catalog.upsert(products, "test")
        media = root / "media"
        media.mkdir()
        scene = busy_background(1200, 800, 1)
        facts["box"] = paste(scene, product_photo(3), (640, 260), 0.9, 8.0)
        Image.fromarray(scene).save(media / "scene.jpg", quality=92)
        shelf = busy_background(900, 700, 2)
        code = ean13_image(GTIN, module=3, height=120)
        shelf[200 : 200 + code.shape[0], 150 : 150 + code.shape[1]] = code
        Image.fromarray(shelf).save(media / "shelf.png")
        frames = []
        for i in range(16):  # a product moving right, in a short video
            frame = busy_background(480, 320, 3)
            paste(frame, product_photo(4), (60 + 6 * i, 60), 0.5, 0.0)
            frames.append(frame)
        encode(SimpleNamespace(frames=frames, fps=10.0), media / "clip.mp4")  # type: ignore[arg-type]
        report = add_media([media], ws.project, root)
        assert not report.problems, report.problems
        ws.save()
    return root, facts


def run_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `studio` entry point in its own process (imports, exit code, stdout/stderr split)."""
    env = {**os.environ, "STUDIO_QT_FREE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    """`studio.cli.main` in this process (the models load once for the whole file)."""
    from studio.cli import main

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)

    return call


def _by_name(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in doc["media"] if m["name"] == name)


def test_detect_lists_proposals_and_accepts_confident_ones(tmp_path: Path, shop_workspace, run) -> None:
    import shutil

    src, facts = shop_workspace
    root = tmp_path / "ws"
    shutil.copytree(src, root)

    out = run_subprocess("detect", "--workspace", str(root), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {m["name"] for m in doc["media"]} == {"scene.jpg", "shelf.png"}  # none named = all photos
    assert doc["accepted"] == 0 and doc["index"]["failed"] == []

    scene = _by_name(doc, "scene.jpg")
    hits = [p for p in scene["proposals"] if p["matches"] and p["matches"][0]["product_id"] == "prod-3"]
    assert hits, scene["proposals"]
    best = hits[0]
    assert iou(tuple(best["box"]), facts["box"]) >= 0.5
    assert best["matches"][0]["why"] == "exact match" and best["matches"][0]["title"] == "Tea tin no. 3"
    for p in scene["proposals"]:
        assert all(0.0 <= v <= 1.0 for v in p["box"]) and p["kind"] and p["reason"]
        assert len(p["matches"]) <= 5
        assert [m["score"] for m in p["matches"]] == sorted((m["score"] for m in p["matches"]), reverse=True)

    shelf = _by_name(doc, "shelf.png")
    codes = [p for p in shelf["proposals"] if p["kind"] == "barcode"]
    assert codes and codes[0]["matches"][0]["product_id"] == "prod-6", shelf["proposals"]
    assert GTIN in codes[0]["reason"] and codes[0]["matches"][0]["why"] == "barcode"

    # nothing written without --accept-above
    with Workspace.open(root, write=False) as ws:
        assert not any(m.tags for m in ws.project.media)

    out = run("detect", "shelf.png", "scene.jpg", "-w", str(root), "--accept-above", "0.8", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["accepted"] >= 2
    with Workspace.open(root, write=False) as ws:
        tags = {m.name: m.tags for m in ws.project.media}
    assert "prod-6" in {t.product_id for t in tags["shelf.png"]}
    tin = next(t for t in tags["scene.jpg"] if t.product_id == "prod-3")
    assert tin.box is not None and iou(tin.box, facts["box"]) >= 0.5
    assert tin.box[0] <= tin.x <= tin.box[2] and tin.box[1] <= tin.y <= tin.box[3]

    # idempotent: a second run tags nothing new
    again = json.loads(run("detect", "-w", str(root), "--accept-above", "0.8", "--json").stdout)
    assert again["accepted"] == 0
    with Workspace.open(root, write=False) as ws:
        assert sum(len(m.tags) for m in ws.project.media) == sum(len(v) for v in tags.values())


def test_rejections_are_honoured_and_text_output_reads_well(tmp_path: Path, shop_workspace, run) -> None:
    import shutil

    src, _facts = shop_workspace
    root = tmp_path / "ws"
    shutil.copytree(src, root)
    doc = json.loads(run("detect", "shelf.png", "-w", str(root), "--json").stdout)
    code = next(p for p in doc["media"][0]["proposals"] if p["kind"] == "barcode")
    with Workspace.open(root) as ws:
        media = ws.find_media("shelf.png")
        proposal = Proposal(tuple(code["box"]), code["kind"], code["reason"], code["score"], code["category"])
        remember_rejection(ws.project, media.id, proposal, ["prod-6"])
        ws.save()
    doc = json.loads(run("detect", "shelf.png", "-w", str(root), "--json").stdout)
    assert not [p for p in doc["media"][0]["proposals"] if p["kind"] == "barcode"]

    text = run("detect", "scene.jpg", "-w", str(root))
    assert text.returncode == 0, text.stderr
    assert "scene.jpg: " in text.stdout and "Tea tin no. 3" in text.stdout and "€" in text.stdout


def test_clear_errors(tmp_path: Path, shop_workspace, run) -> None:
    src, _facts = shop_workspace
    out = run("detect", "nope.jpg", "-w", str(src))
    assert out.returncode == 2 and "no media 'nope.jpg'" in out.stderr
    out = run("detect", "-w", str(src), "--accept-above", "2")
    assert out.returncode == 2 and "between 0 and 1" in out.stderr
    out = run("detect", "-w", str(tmp_path / "missing"))
    assert out.returncode == 2 and "workspace folder not found" in out.stderr


def test_accepted_tag_shape_matches_a_manual_tag() -> None:
    """What `accept` writes is an ordinary Tag (the export/publish code needs nothing special)."""
    from studio.jobs.shop_the_look import tag_for
    from studio.vision.proposals import Match

    p = Proposal(
        (0.2, 0.3, 0.4, 0.7), "product", "found", 0.9, "home", (Match("prod-1", 0.93, "exact match"),)
    )
    tag = tag_for(p, style="pill")
    assert isinstance(tag, Tag) and tag.product_id == "prod-1" and tag.box == (0.2, 0.3, 0.4, 0.7)
    assert (round(tag.x, 6), round(tag.y, 6)) == (0.3, 0.5)


def test_video_frame_detection_and_tracking(tmp_path: Path, shop_workspace, run) -> None:
    """`--at` analyses a video frame; the accepted tag starts there and the tracking job follows it."""
    import shutil

    from studio.jobs.shop_the_look import analyze_keyframes, apply_track, track_tag

    src, _facts = shop_workspace
    root = tmp_path / "ws"
    shutil.copytree(src, root)
    with Workspace.open(root) as ws:  # before anything is tagged: every keyframe shows the tin
        clip = ws.find_media("clip.mp4")
        per_frame = analyze_keyframes(ws, clip.id, times=[0.0, 1.0, 99.0])  # past the end: skipped
    assert [f.t for f in per_frame] == [0.0, 1.0]
    for found in per_frame:
        assert any(p.best and p.best.product_id == "prod-4" for p in found.proposals)
    out = run("detect", "clip.mp4", "-w", str(root), "--at", "0.5", "--accept-above", "0.8", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["media"][0]["t"] == 0.5 and doc["accepted"] >= 1
    with Workspace.open(root) as ws:
        clip = ws.find_media("clip.mp4")
        tag = next(t for t in clip.tags if t.product_id == "prod-4")
        assert tag.start == 0.5 and tag.box is not None
        result = track_tag(ws, clip.id, tag.id)
        # once tagged where it is, the tin is not suggested again on that frame
        [at_tag] = analyze_keyframes(ws, clip.id, times=[0.5])
        assert not any(m.product_id == "prod-4" for p in at_tag.proposals for m in p.matches)
        tracked = apply_track(tag, result)
    # tracked back to the first frame (the product is there from the start) and forward to the end
    assert tracked.start is None and tracked.end is None and tracked.keyframes[0].t == 0.0
    assert tracked.keyframes[-1].x > tracked.keyframes[0].x + 0.05  # it moved right with the product
    assert {st.method for st in result.steps} == {
        "features"
    }  # found again from the catalog photo / its own look
    out = run("detect", "clip.mp4", "-w", str(root), "--at", "99")
    assert out.returncode == 2 and "past the end" in out.stderr


def test_a_product_tagged_once_is_found_in_other_photos_even_without_catalog_images(tmp_path: Path) -> None:
    """Catalog image URLs are remote (offline here): the brand's own tagged box is the reference."""
    from studio.jobs.shop_the_look import analyze_media, products_for_index

    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", locale="en_US") as ws:
        ws.catalog.upsert(
            [
                Product(
                    id="tin",
                    title="Tea tin",
                    price=Decimal("14.00"),
                    currency="EUR",
                    images=["https://cdn.invalid/tin.jpg"],  # never reachable
                ),
                Product(id="other", title="Other", price=Decimal("9.00"), currency="EUR"),
            ],
            "test",
        )
        media = root / "media"
        media.mkdir()
        first = busy_background(1000, 700, 5)
        tagged_box = paste(first, product_photo(11), (300, 150), 0.9, 0.0)
        Image.fromarray(first).save(media / "first.jpg", quality=92)
        second = busy_background(1100, 760, 6)
        true_box = paste(second, product_photo(11), (620, 260), 0.7, 10.0)
        Image.fromarray(second).save(media / "second.jpg", quality=92)
        add_media([media], ws.project, root)
        by_name = {m.name: m for m in ws.project.media}
        x0, y0, x1, y1 = tagged_box
        by_name["first.jpg"].tags.append(Tag("t1", "tin", (x0 + x1) / 2, (y0 + y1) / 2, box=(x0, y0, x1, y1)))
        ws.save()
        indexed = {p.id: p.images for p in products_for_index(ws)}
        assert indexed["tin"][0].endswith(".jpg") and "exemplars" in indexed["tin"][0]
        found = analyze_media(ws, by_name["second.jpg"].id)
        hit = next(p for p in found if p.best is not None and p.best.product_id == "tin")
        assert iou(hit.box, true_box) >= 0.5 and hit.best is not None and hit.best.why == "exact match"
        # where it is already tagged, nothing is suggested for it again
        again = analyze_media(ws, by_name["first.jpg"].id, update_index=False)
        assert not any(m.product_id == "tin" for p in again for m in p.matches)
