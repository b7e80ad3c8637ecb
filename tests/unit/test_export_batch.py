"""Batch export: layout, manifest, resume, cancel, per-item problems, datasets and kits."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled
from studio.core.model import Media, MediaKind, Post, Product, Project, Tag
from studio.core.progress import CancelToken
from studio.jobs.export_batch import export_batch
from studio.render.presets import ExportPreset, get_presets

SQUARE = ExportPreset("sq", "Square", "instagram", 120, 120, max_bytes=8_000_000)
WIDE = ExportPreset("wide", "Wide", "facebook", 160, 90, fit="letterbox", fill="#ffffff")


def _photo(path: Path, color: tuple[int, int, int] = (90, 120, 160)) -> Path:
    img = Image.new("RGB", (200, 100), color)
    ImageDraw.Draw(img).rectangle([90, 40, 110, 60], fill=(255, 0, 0))
    img.save(path, "JPEG", quality=90)
    return path


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Path, Project, Path]:
    root = tmp_path / "ws"
    root.mkdir()
    catalog = root / "catalog.sqlite"
    store = CatalogStore(catalog)
    store.upsert(
        [
            Product(
                "p1",
                "Linen shirt <b>",
                Decimal("89.00"),
                "EUR",
                sku="LS-1",
                url="https://shop.example/shirt?c=blue",
            ),
            Product("p2", "Edge vase", Decimal("24.50"), "EUR", sku="EV-1", url="https://shop.example/vase"),
        ],
        "test",
    )
    store.close()
    project = Project(name="Spring Drop", currency="EUR", locale="fr_FR")
    for n in range(3):
        _photo(root / f"photo{n}.jpg")
        tags = [Tag(f"t{n}a", "p1", 0.5, 0.5, box=(0.45, 0.4, 0.55, 0.6))]
        if n == 0:
            tags.append(Tag("t0b", "p2", 0.02, 0.5))  # far left: outside a centred square crop
        project.media.append(
            Media(
                f"m{n}",
                f"photo{n}.jpg",
                f"sha256:{n:064x}",
                MediaKind.IMAGE,
                200,
                100,
                name=f"photo{n}.jpg",
                tags=tags,
            )
        )
    project.media.append(
        Media("m3", "plain.jpg", "sha256:" + "f" * 64, MediaKind.IMAGE, 200, 100, name="plain.jpg")
    )
    _photo(root / "plain.jpg", (10, 10, 10))
    project.posts.append(Post("post_1", ["m0", "m1"], caption="New in: linen #spring"))
    return root, project, catalog


def _export(ws, out: Path, kinds=("clean", "labeled"), presets=(SQUARE, WIDE), **kw):
    root, project, catalog = ws
    return export_batch(
        root, project, catalog, list(presets), list(kinds), out, workers=kw.pop("workers", 1), **kw
    )


def _temps(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]


def test_layout_manifest_and_tags_in_output_coords(ws, tmp_path: Path):
    out = tmp_path / "out"
    # By default the crop centres on the tags' bounds; the user moved it back to the middle.
    ws[1].extra["focus"] = {"m0": {"sq": [0.5, 0.5]}}
    manifest = _export(ws, out, kinds=("clean", "labeled", "html"))
    assert manifest.summary()["exported"] == 4 and manifest.summary()["problems"] == 0
    for preset in ("sq", "wide"):
        for kind, ext in (("clean", "jpg"), ("labeled", "jpg"), ("html", "html"), ("tags", "json")):
            assert (out / preset / f"photo0.{kind}.{ext}").is_file()
    with Image.open(out / "sq" / "photo0.clean.jpg") as img:
        assert img.size == (120, 120)
    doc = json.loads((out / "sq" / "photo0.tags.json").read_text())
    (tag,) = doc["tags"]
    assert (
        tag["product_id"] == "p1"
        and tag["sku"] == "LS-1"
        and tag["price"] == "89.00"
        and tag["currency"] == "EUR"
    )
    assert (tag["x"], tag["y"]) == pytest.approx((0.5, 0.5), abs=0.01)
    assert tag["box"] == pytest.approx([0.4, 0.4, 0.6, 0.6], abs=0.01)  # 0.45..0.55 of 200px in a 100px crop
    assert tag["link"].startswith("https://shop.example/shirt?c=blue&utm_source=instagram&utm_medium=social")
    assert "utm_campaign=spring-drop" in tag["link"] and "utm_term=p1" in tag["link"]
    assert "utm_content=photo0" in tag["link"]  # outside a post: the media name
    # the far-left tag is reported by product name, per preset, in the tags file and the manifest
    assert doc["outside_crop"] == [{"tag_id": "t0b", "product_id": "p2", "title": "Edge vase"}]
    item = manifest.to_dict()["items"][0]
    assert item["tags_outside_crop"] == [
        {"preset": "sq", "tag_id": "t0b", "product_id": "p2", "title": "Edge vase"}
    ]
    wide = json.loads((out / "wide" / "photo0.tags.json").read_text())
    assert len(wide["tags"]) == 2 and not wide["outside_crop"]  # letterbox keeps everything
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["items"][0]["content_hash"].startswith("sha256:") and saved["items"][0]["source"].endswith(
        "photo0.jpg"
    )
    assert all(o["fingerprint"] for i in saved["items"] for o in i["outputs"])
    assert "&lt;b&gt;" in (out / "sq" / "photo0.html.html").read_text()


def test_labeled_output_differs_from_clean_where_the_label_is(ws, tmp_path: Path):
    out = tmp_path / "out"
    _export(ws, out, presets=(SQUARE,))
    with (
        Image.open(out / "sq" / "photo1.clean.jpg") as clean,
        Image.open(out / "sq" / "photo1.labeled.jpg") as lab,
    ):
        diff = sum(
            1
            for x in range(0, 120, 4)
            for y in range(0, 120, 4)
            if sum(abs(a - b) for a, b in zip(clean.getpixel((x, y)), lab.getpixel((x, y)))) > 60
        )
    assert diff > 5


def test_resume_skips_unchanged_and_redoes_changed(ws, tmp_path: Path):
    _, project, _ = ws
    project.extra["focus"] = {"m0": {"sq": [0.5, 0.5]}}  # keeps the far-left tag out of the crop
    out = tmp_path / "out"
    _export(ws, out)
    clean1 = out / "sq" / "photo1.clean.jpg"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")}
    again = _export(ws, out)
    assert again.summary()["unchanged"] == 4 and again.summary()["outputs_written"] == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")} == before
    # move a tag on photo1: its outputs are redone, the others are not
    project.media[1].tags[0].x = 0.4
    third = _export(ws, out)
    statuses = {i.media_id: i.status for i in third.items}
    assert statuses == {"m0": "unchanged", "m1": "exported", "m2": "unchanged", "m3": "unchanged"}
    assert (out / "sq" / "photo0.clean.jpg").stat().st_mtime_ns == before[out / "sq" / "photo0.clean.jpg"]
    # a style change redoes only labeled outputs; a deleted output is made again
    project.label_style.background = "#AA0000"
    clean1.unlink()
    fourth = _export(ws, out)
    m1 = {(o.preset, o.kind): o.status for o in fourth.items[1].outputs}
    assert (
        m1[("sq", "clean")] == "written"
        and m1[("sq", "labeled")] == "written"
        and m1[("wide", "clean")] == "unchanged"
    )
    m2 = {(o.preset, o.kind): o.status for o in fourth.items[2].outputs}
    assert m2[("sq", "labeled")] == "written" and m2[("sq", "clean")] == "unchanged"
    # what lies outside the crop is still reported on resumed items, once per preset
    for run in (third, fourth):
        assert [o["title"] for o in run.items[0].outside] == ["Edge vase"]


def test_cancel_stops_and_leaves_no_partial_files(ws, tmp_path: Path):
    out = tmp_path / "out"
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        if done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        _export(ws, out, progress=progress, cancel=token)
    assert not _temps(out)
    manifest = json.loads((out / "manifest.json").read_text())
    statuses = [i["status"] for i in manifest["items"]]
    assert statuses[0] == "exported" and set(statuses[1:]) == {"cancelled"}
    with Image.open(out / "sq" / "photo0.clean.jpg") as img:
        img.load()  # what was kept is complete
    assert not (out / "sq" / "photo1.clean.jpg").exists()
    # running again finishes the job, reusing what was done
    done = _export(ws, out)
    assert {i.status for i in done.items} == {"exported", "unchanged"} and done.items[0].status == "unchanged"


def test_cancel_with_worker_processes_leaves_no_partial_files(ws, tmp_path: Path):
    out = tmp_path / "out"
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        if done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        _export(ws, out, progress=progress, cancel=token, workers=2)
    assert not _temps(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["cancelled"] is True
    for item in manifest["items"]:
        for o in item["outputs"]:
            assert (out / o["path"]).stat().st_size == o["bytes"]  # every listed output is complete


def test_cancel_inside_an_item_removes_its_temp_file(ws, tmp_path: Path):
    """Cancel noticed right before the first rename: the temp file is deleted, nothing renamed."""

    class CancelOnFourthPoll(CancelToken):
        """Polls: batch loop, item start, before the first output, before its rename."""

        polls = 0

        @property
        def cancelled(self) -> bool:  # type: ignore[override]
            type(self).polls += 1
            return type(self).polls >= 4

    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        _export(ws, out, cancel=CancelOnFourthPoll())
    assert CancelOnFourthPoll.polls >= 4
    assert not _temps(out)
    assert not list(out.rglob("*.jpg")) and not list(out.rglob("*.tags.json"))


def test_corrupt_source_is_reported_while_others_export(ws, tmp_path: Path):
    root = ws[0]
    (root / "photo1.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00not really a jpeg" * 40)
    (root / "photo2.jpg").unlink()
    out = tmp_path / "out"
    manifest = _export(ws, out, workers=2)  # through the process pool
    by_id = {i.media_id: i for i in manifest.items}
    assert by_id["m0"].status == "exported" and by_id["m3"].status == "exported"
    assert by_id["m1"].status == "failed" and "photo1.jpg" in by_id["m1"].problems[0]["message"]
    assert "corrupt" in by_id["m1"].problems[0]["message"]
    assert by_id["m2"].status == "failed" and "does not exist" in by_id["m2"].problems[0]["message"]
    assert (out / "sq" / "photo0.labeled.jpg").is_file() and not _temps(out)


def test_unwritable_preset_folder_is_a_problem_per_item(ws, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "wide").write_text("a file in the way")
    manifest = _export(ws, out)
    item = manifest.items[0]
    assert item.status == "partial"
    assert {o.preset for o in item.outputs} == {"sq"}
    messages = [p["message"] for p in item.problems]
    assert messages and all("wide" in m and "in the way" in m for m in messages)


def test_only_filters_and_dataset_and_kit(ws, tmp_path: Path):
    out = tmp_path / "out"
    manifest = _export(ws, out, kinds=("dataset", "kit"), presets=(SQUARE,), only="post:post_1")
    assert [i.media_id for i in manifest.items] == ["m0", "m1"]
    coco = json.loads((out / "sq" / "dataset.coco.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["photo0.clean.jpg", "photo1.clean.jpg"]
    assert len(coco["annotations"]) == 2 and coco["categories"][0]["name"] == "Linen shirt <b>"
    with zipfile.ZipFile(out / "sq" / "post_1.kit.zip") as z:
        assert sorted(z.namelist()) == [
            "01-photo0.jpg",
            "02-photo1.jpg",
            "caption.txt",
            "links.csv",
            "tags.json",
        ]
        assert z.read("caption.txt").decode() == "New in: linen #spring\n"
    untagged = _export(ws, tmp_path / "out2", only="untagged", presets=(SQUARE,))
    assert [i.media_id for i in untagged.items] == ["m3"]
    again = _export(ws, out, kinds=("dataset", "kit"), presets=(SQUARE,), only="post:post_1")
    assert {o.status for o in again.extras} == {"unchanged"}


def test_builtin_presets_render_at_their_size(ws, tmp_path: Path):
    out = tmp_path / "out"
    presets = get_presets("instagram-story,facebook-link")
    manifest = _export(ws, out, kinds=("clean",), presets=presets, only="post:post_1")
    assert manifest.summary()["problems"] == 0
    with (
        Image.open(out / "instagram-story" / "photo0.clean.jpg") as a,
        Image.open(out / "facebook-link" / "photo0.clean.jpg") as b,
    ):
        assert a.size == (1080, 1920) and b.size == (1200, 630)


def test_video_media_go_through_the_video_exporter(ws, tmp_path: Path, sources):
    import av

    root, project, catalog = ws
    clip = sources.mp4()  # 1 s, 320×240, H.264 + AAC
    project.media.append(
        Media(
            "v1",
            str(clip),
            "sha256:" + "e" * 64,
            MediaKind.VIDEO,
            320,
            240,
            name="clip.mp4",
            duration=1.0,
            tags=[Tag("tv", "p1", 0.5, 0.5, start=0.0, end=1.0)],
        )
    )
    out = tmp_path / "out"
    reel = ExportPreset("reel", "Reel", "instagram", 180, 320)
    manifest = export_batch(root, project, catalog, [reel], ["clean", "video"], out, workers=1)
    video = next(i for i in manifest.items if i.media_id == "v1")
    assert video.status == "exported", video.problems
    with av.open(str(out / "reel" / "clip.video.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (180, 320) and container.streams.audio
    assert not _temps(out)


def test_bad_options_are_usage_errors(ws, tmp_path: Path):
    from studio.core.errors import UsageError

    with pytest.raises(UsageError):
        _export(ws, tmp_path / "o", only="post:nope")
    with pytest.raises(UsageError):
        _export(ws, tmp_path / "o", only="recent")
    with pytest.raises(UsageError):
        _export(ws, tmp_path / "o", kinds=("clean", "gif"))
