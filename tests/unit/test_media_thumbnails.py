"""Thumbnail cache: keyed by content, JPEG or PNG, atomic, concurrent, decoded at most once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import RED, close_to, has_encoder, read_index
from PIL import Image

import studio.media.thumbnails as thumbnails
from studio.core.errors import MediaError
from studio.media.hashing import hash_file
from studio.media.thumbnails import cached_thumbnail, make_thumbnail, thumbnail_path


def test_path_is_keyed_by_hash_and_size_and_sharded(tmp_path):
    h = "sha256:" + "ab" * 32
    assert thumbnail_path(tmp_path, h, 320) == tmp_path / "thumbs" / "ab" / f"{'ab' * 32}_320.jpg"
    assert thumbnail_path(tmp_path, h, 64, alpha=True).name.endswith("_64.png")


def test_photo_thumbnail_is_an_upright_jpeg_within_size(sources, tmp_path):
    src = sources.oriented_jpeg(6)  # stored 40x60 portrait, displayed 60x40
    out = make_thumbnail(src, tmp_path / "cache", hash_file(src), size=30)
    assert out.suffix == ".jpg" and out.parent.parent.name == "thumbs"
    with Image.open(out) as img:
        assert img.format == "JPEG" and img.size == (30, 20)
        assert close_to(img.convert("RGB").getpixel((27, 2)), RED, tol=60)  # red marker: top-right


def test_big_jpeg_thumbnail(sources, tmp_path):
    src = sources.big_jpeg()
    out = make_thumbnail(src, tmp_path, hash_file(src))
    with Image.open(out) as img:
        assert img.size == (320, 240)


def test_alpha_gives_png_and_opaque_rgba_gives_jpeg(sources, tmp_path):
    src = sources.png_alpha()
    out = make_thumbnail(src, tmp_path, hash_file(src), size=32)
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "RGBA" and img.size == (32, 24)
    opaque = tmp_path / "opaque.png"
    Image.new("RGBA", (50, 50), (1, 2, 3, 255)).save(opaque)
    assert make_thumbnail(opaque, tmp_path, hash_file(opaque), size=32).suffix == ".jpg"


def test_cached_thumbnail_is_returned_without_decoding(sources, tmp_path, monkeypatch):
    src = sources.jpeg()
    h = hash_file(src)
    first = make_thumbnail(src, tmp_path, h, size=64)

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("decoded again")

    monkeypatch.setattr(thumbnails, "render_thumbnail", boom)
    assert make_thumbnail(src, tmp_path, h, size=64) == first
    assert cached_thumbnail(tmp_path, h, 64) == first
    # a different size is a different thumbnail
    with pytest.raises(AssertionError, match="decoded again"):
        make_thumbnail(src, tmp_path, h, size=65)


def test_a_failed_write_leaves_no_file_and_no_temp(sources, tmp_path, monkeypatch):
    src = sources.jpeg()
    h = hash_file(src)

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(Exception, match="thumbnail cache"):
        make_thumbnail(src, tmp_path, h, size=48)
    monkeypatch.undo()
    shard = thumbnail_path(tmp_path, h, 48).parent
    assert list(shard.iterdir()) == []  # neither a half thumbnail nor a temp file
    assert cached_thumbnail(tmp_path, h, 48) is None
    assert make_thumbnail(src, tmp_path, h, size=48).exists()


def test_zero_byte_leftover_is_not_trusted(sources, tmp_path):
    src = sources.jpeg()
    h = hash_file(src)
    stale = thumbnail_path(tmp_path, h, 40)
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    out = make_thumbnail(src, tmp_path, h, size=40)
    assert out.stat().st_size > 0


def test_concurrent_calls_for_the_same_media(sources, tmp_path):
    src = sources.big_jpeg()
    h = hash_file(src)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: make_thumbnail(src, tmp_path, h, size=100), range(12)))
    assert len(set(results)) == 1
    with Image.open(results[0]) as img:
        img.load()
        assert img.size == (100, 75)
    assert [p.name for p in results[0].parent.iterdir()] == [results[0].name]


@pytest.mark.skipif(not has_encoder("libx264"), reason="no libx264 encoder")
def test_video_thumbnail_is_the_frame_at_ten_percent(sources, tmp_path):
    src = sources.long_mp4()  # 2 s, frame n shows n
    out = make_thumbnail(src, tmp_path, hash_file(src), size=160)
    with Image.open(out) as img:
        assert img.size == (160, 120)
        assert read_index(img.resize((320, 240))) == 5


def test_broken_file_raises_media_error_and_caches_nothing(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    with pytest.raises(MediaError, match=r"bad\.jpg"):
        make_thumbnail(bad, tmp_path / "cache", "sha256:" + "0" * 64)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.jpg"))
