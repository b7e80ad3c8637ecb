"""The add-media job: folders, duplicates, bad files reported by name, cancel, relink."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime

import pytest
from conftest import has_encoder, jpeg_bytes, write_bytes
from PIL import Image

import studio.jobs.add_media as job
from studio.core.errors import Cancelled
from studio.core.model import MediaKind, Project
from studio.core.progress import CancelToken
from studio.jobs.add_media import (
    add_media,
    missing_media,
    relink_missing,
    resolve_media_path,
    stored_path,
)
from studio.media.hashing import hash_file


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    return root


def test_folder_is_added_recursively_with_relative_paths(ws, sources, copy_to):
    copy_to(sources.oriented_jpeg(6), "ws/media/a-portrait.jpg")
    Image.new("RGB", (30, 20), "navy").save(write_bytes(ws / "media/sub/b.png", b""))
    write_bytes(ws / "media/.hidden.jpg", jpeg_bytes())
    write_bytes(ws / "media/readme.txt", b"not media")
    write_bytes(ws / "cache/thumbs/ab/x.jpg", jpeg_bytes())  # the workspace's own cache is never media
    video = has_encoder("libx264")
    if video:
        copy_to(sources.mp4(), "ws/media/sub/deeper/clip.mp4")
    project = Project(name="t")

    report = add_media([ws], project, ws)

    assert report.problems == [] and report.duplicates == []
    paths = [m.path for m in report.added]
    expected = ["media/a-portrait.jpg", "media/sub/b.png"] + (["media/sub/deeper/clip.mp4"] if video else [])
    assert paths == expected
    assert project.media == report.added  # appended to the project

    photo = report.added[0]
    assert photo.id.startswith("med_") and photo.name == "a-portrait.jpg"
    assert photo.kind is MediaKind.IMAGE and (photo.width, photo.height) == (60, 40) and photo.rotation == 90
    assert photo.content_hash == hash_file(ws / "media/a-portrait.jpg")
    assert photo.size_bytes == (ws / "media/a-portrait.jpg").stat().st_size
    stamp = datetime.fromisoformat(photo.added_at.replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    if video:
        clip = report.added[-1]
        assert clip.kind is MediaKind.VIDEO and clip.codec == "h264" and clip.has_audio
        assert clip.duration == pytest.approx(1.0, abs=0.05) and clip.fps == pytest.approx(25)


def test_files_outside_the_workspace_are_stored_absolute(ws, tmp_path, sources, copy_to):
    outside = copy_to(sources.jpeg(), "elsewhere/look.jpg")
    project = Project(name="t")
    report = add_media([str(outside)], project, ws)
    assert report.added[0].path == str(outside.resolve()) or report.added[0].path == str(outside)
    assert resolve_media_path(ws, report.added[0]) == outside
    inside = ws / "m" / "x.jpg"
    assert stored_path(inside, ws) == "m/x.jpg"


def test_duplicates_are_skipped_not_errors(ws, sources, copy_to):
    first = copy_to(sources.jpeg(), "ws/a.jpg")
    copy_to(sources.jpeg(), "ws/again/same-bytes.jpg")
    project = Project(name="t")
    report = add_media([ws], project, ws)
    assert [m.name for m in report.added] == ["a.jpg"]
    original_id = report.added[0].id
    assert report.duplicates == [(str(ws / "again" / "same-bytes.jpg"), original_id)]

    again = add_media([first], project, ws)
    assert again.added == [] and again.duplicates == [(str(first), original_id)]
    assert len(project.media) == 1


def test_bad_files_are_reported_by_name_and_good_ones_added(ws, sources, copy_to, tmp_path):
    copy_to(sources.jpeg(), "ws/in/good.jpg")
    good = jpeg_bytes((200, 150))
    write_bytes(ws / "in/holiday.jpg", good[: len(good) // 2])
    write_bytes(ws / "in/empty.jpg", b"")
    write_bytes(ws / "in/fake.png", b"this is text\n" * 10)
    notes = write_bytes(tmp_path / "notes.txt", b"hello")
    missing = tmp_path / "gone.jpg"
    if has_encoder("libx264"):
        data = sources.mp4().read_bytes()
        write_bytes(ws / "in/cut.mp4", data[: len(data) // 2])
    project = Project(name="t")

    report = add_media([ws / "in", notes, missing], project, ws)

    assert [m.name for m in report.added] == ["good.jpg"]
    problems = dict(report.problems)
    assert problems[str(ws / "in/holiday.jpg")].startswith(
        "holiday.jpg: the image data is truncated or corrupt"
    )
    assert "file is empty" in problems[str(ws / "in/empty.jpg")]
    assert "fake.png: is not a photo" in problems[str(ws / "in/fake.png")]
    assert "not a supported photo or video" in problems[str(notes)]
    assert "does not exist" in problems[str(missing)]
    if has_encoder("libx264"):
        assert re.search(r"cut\.mp4: the video.*truncated", problems[str(ws / "in/cut.mp4")])
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["added"][0]["name"] == "good.jpg" and doc["added"][0]["kind"] == "image"
    assert {p["path"] for p in doc["problems"]} == set(problems)


def test_progress_is_reported_per_file(ws, sources, copy_to):
    for i in range(3):
        write_bytes(ws / f"p{i}.jpg", jpeg_bytes((64 + i, 48)))
    calls = []
    add_media([ws], Project(name="t"), ws, progress=lambda d, t, m: calls.append((d, t, m)))
    assert calls[0][:2] == (0, 3)
    assert [c[:2] for c in calls[1:]] == [(1, 3), (2, 3), (3, 3)]
    assert [c[2] for c in calls[1:]] == ["p0.jpg", "p1.jpg", "p2.jpg"]


def test_cancel_leaves_the_project_unchanged(ws, sources):
    for i in range(6):
        write_bytes(ws / f"p{i}.jpg", jpeg_bytes((64 + i, 48)))
    project = Project(name="t")
    token = CancelToken()

    def progress(done, total, message):  # type: ignore[no-untyped-def]
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        add_media([ws], project, ws, progress=progress, cancel=token)
    assert project.media == []

    already = CancelToken()
    already.cancel()
    with pytest.raises(Cancelled):
        add_media([ws], project, ws, cancel=already)
    assert project.media == []


# --- relink ------------------------------------------------------------------------------------


def test_relink_after_moving_and_renaming(ws, tmp_path, sources, copy_to, monkeypatch):
    copy_to(sources.jpeg(), "ws/media/look.jpg")
    copy_to(sources.png_alpha(), "ws/media/cutout.png")
    project = Project(name="t")
    add_media([ws / "media"], project, ws)
    cutout, look = project.media  # sorted by name
    assert (cutout.name, look.name) == ("cutout.png", "look.jpg")
    assert missing_media(project, ws) == []

    new_home = ws / "archive" / "2024"
    new_home.mkdir(parents=True)
    shutil.move(ws / "media/look.jpg", new_home / "look-final.jpg")
    (ws / "media/cutout.png").unlink()
    write_bytes(new_home / "other.jpg", jpeg_bytes((300, 200)))  # different size: never hashed
    assert missing_media(project, ws) == [cutout, look]

    hashed = []
    real_hash = job.hash_file

    def counting_hash(path, **kwargs):  # type: ignore[no-untyped-def]
        hashed.append(path.name)
        return real_hash(path, **kwargs)

    monkeypatch.setattr(job, "hash_file", counting_hash)
    report = relink_missing(project, ws, ws / "archive")

    assert report.relinked == [(look.id, "media/look.jpg", "archive/2024/look-final.jpg")]
    assert look.path == "archive/2024/look-final.jpg" and look.name == "look-final.jpg"
    assert report.still_missing == [cutout]
    assert hashed == ["look-final.jpg"]
    assert missing_media(project, ws) == [cutout]
    assert resolve_media_path(ws, look) == new_home / "look-final.jpg"
    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["still_missing"][0]["media_id"] == cutout.id


def test_relink_with_nothing_missing_is_a_no_op(ws, sources, copy_to):
    copy_to(sources.jpeg(), "ws/a.jpg")
    project = Project(name="t")
    add_media([ws], project, ws)
    report = relink_missing(project, ws, ws)
    assert report.relinked == [] and report.still_missing == []


def test_relink_into_a_missing_folder_is_a_usage_error(ws):
    from studio.core.errors import UsageError

    with pytest.raises(UsageError, match="no such folder"):
        relink_missing(Project(name="t"), ws, ws / "nope")
