"""Folder expansion, kind detection and content hashing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from studio.core.errors import MediaError
from studio.core.model import MediaKind
from studio.media.formats import check_readable, iter_media_files, kind_for_path, sniff, walk_files
from studio.media.hashing import hash_bytes, hash_file, hex_part


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.jpg", MediaKind.IMAGE),
        ("A.JPEG", MediaKind.IMAGE),
        ("b.HEIC", MediaKind.IMAGE),
        ("c.tif", MediaKind.IMAGE),
        ("d.webp", MediaKind.IMAGE),
        ("e.png", MediaKind.IMAGE),
        ("f.MOV", MediaKind.VIDEO),
        ("g.m4v", MediaKind.VIDEO),
        ("h.webm", MediaKind.VIDEO),
        ("i.mp4", MediaKind.VIDEO),
        ("notes.txt", None),
        ("raw.cr2", None),
        ("noext", None),
    ],
)
def test_kind_for_path(name, kind):
    assert kind_for_path(name) == kind


def test_folders_expand_recursively_sorted_skipping_hidden_and_unsupported(tmp_path):
    root = tmp_path / "shoot"
    for rel in [
        "b.jpg",
        "A.png",
        "sub/c.mov",
        "sub/deeper/d.webp",
        "notes.txt",
        ".DS_Store",
        "._b.jpg",
        ".hidden/x.jpg",
        "__MACOSX/y.jpg",
        "cache/thumbs/zz.jpg",
    ]:
        touch(root / rel)
    files = list(iter_media_files([root], exclude=[root / "cache"]))
    rel = [p.relative_to(root).as_posix() for p in files]
    assert rel == ["A.png", "b.jpg", "sub/c.mov", "sub/deeper/d.webp"]
    assert rel == [p.relative_to(root).as_posix() for p in iter_media_files([root], exclude=[root / "cache"])]


def test_explicit_files_are_kept_even_if_unsupported_or_missing_and_deduplicated(tmp_path):
    photo = touch(tmp_path / "p.jpg")
    notes = touch(tmp_path / "notes.txt")
    missing = tmp_path / "gone.jpg"
    files = list(iter_media_files([notes, photo, tmp_path, str(photo), missing]))
    assert files[0] == notes
    assert files[1] == photo
    assert files.count(photo) == 1  # the folder and the repeated path do not add it twice
    assert files[-1] == missing


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_walk_does_not_follow_symlinked_folders_into_a_loop(tmp_path):
    touch(tmp_path / "a" / "x.jpg")
    try:
        os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    except OSError:
        pytest.skip("cannot create symlinks here")
    assert [p.name for p in walk_files(tmp_path)] == ["x.jpg"]


def test_sniff_names_formats_by_content():
    assert sniff(b"\xff\xd8\xff\xe0....") == "jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n") == "png"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff(b"\x00\x00\x00\x18ftypheic") == "heif"
    assert sniff(b"\x00\x00\x00\x18ftypisom") == "mp4"
    assert sniff(b"\x1a\x45\xdf\xa3") == "webm"
    assert sniff(b"hello") is None


def test_check_readable_explains_missing_empty_and_folder(tmp_path):
    with pytest.raises(MediaError, match=r"gone\.jpg: the file does not exist"):
        check_readable(tmp_path / "gone.jpg")
    empty = touch(tmp_path / "empty.jpg", b"")
    with pytest.raises(MediaError, match=r"empty\.jpg: the file is empty \(0 bytes\) — copy it again"):
        check_readable(empty)
    with pytest.raises(MediaError, match="is a folder"):
        check_readable(tmp_path)
    assert check_readable(touch(tmp_path / "one.jpg", b"12345")) == 5


def test_hash_is_streamed_sha256_with_prefix(tmp_path):
    data = os.urandom(3 * (1 << 20) + 123)  # spans several 1 MiB chunks
    path = touch(tmp_path / "big.bin", data)
    expected = "sha256:" + hashlib.sha256(data).hexdigest()
    assert hash_file(path) == expected == hash_bytes(data)
    assert hex_part(expected) == expected.removeprefix("sha256:")
    with pytest.raises(ValueError):
        hex_part("sha256:")
