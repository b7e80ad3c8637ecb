"""Clean photo outputs: orientation applied, location stripped, sRGB, size limits, atomic writes."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from conftest import ADOBE_RGB_PRIMARIES_D50, GREEN, RED, close_to, corner_marked, icc_profile
from PIL import Image

from studio.core.errors import Cancelled, MediaError
from studio.core.utm import UtmConfig, add_utm
from studio.render.image_export import ExportError, encode, load_source, write_atomic
from studio.render.presets import ExportPreset


def _gps_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return exif.tobytes()


def test_clean_export_applies_orientation_and_strips_gps(tmp_path: Path):
    src = tmp_path / "phone.jpg"
    # Stored 60×40 landscape with markers on the stored top edge; orientation 6 = turn 90° clockwise.
    corner_marked((60, 40)).save(src, "JPEG", quality=95, exif=_gps_exif(6))
    with Image.open(src) as raw:
        assert raw.getexif().get_ifd(0x8825)  # the fixture really has GPS
    img = load_source(src)
    assert img.size == (40, 60)  # upright
    # After turning clockwise, the stored top-left (red) is at the top-right, stored top-right
    # (green) at the bottom-right.
    assert close_to(img.getpixel((36, 3)), RED) and close_to(img.getpixel((36, 56)), GREEN)
    data = encode(img, ExportPreset("t", "t", "custom", 40, 60)).data
    with Image.open(io.BytesIO(data)) as out:
        exif = out.getexif()
        assert not exif.get_ifd(0x8825) and 0x8825 not in exif and 0x0112 not in exif
        assert b"PhoneMaker" not in data and b"Exif" not in data[:200]
        assert out.info.get("progressive") or out.info.get("progression")
        assert out.info.get("icc_profile")  # tagged sRGB


def test_draft_decode_keeps_enough_resolution(sources):
    big = sources.big_jpeg()  # 4000×3000
    img = load_source(big, (1080, 1080))
    assert img.width >= 1080 and img.height >= 1080 and img.width < 4000


def test_embedded_profile_is_converted_to_srgb(tmp_path: Path):
    src = tmp_path / "adobe.jpg"
    profile = icc_profile("Adobe RGB (1998)", *ADOBE_RGB_PRIMARIES_D50, gamma=2.2)
    Image.new("RGB", (32, 32), (60, 160, 60)).save(src, "JPEG", quality=98, icc_profile=profile)
    img = load_source(src)
    r, g, _ = img.getpixel((16, 16))
    # The same numbers mean a more saturated green in Adobe RGB: in sRGB red drops to near 0
    # (an untagged file would keep ~60).
    assert r < 25 and g > 140
    assert "icc_profile" not in img.info


def test_corrupt_source_names_the_file(tmp_path: Path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50)
    with pytest.raises(MediaError) as err:
        load_source(bad, (100, 100))
    assert "broken.jpg" in err.value.message()


def _noisy(size: tuple[int, int]) -> Image.Image:
    rnd = random.Random(3)
    return Image.frombytes("RGB", size, bytes(rnd.randrange(256) for _ in range(size[0] * size[1] * 3)))


def test_quality_steps_down_to_meet_max_bytes():
    img = _noisy((160, 160))
    plain = ExportPreset("t", "t", "custom", 160, 160, quality=95)
    high = len(encode(img, plain).data)
    limit = int(high * 0.7)
    limited = ExportPreset("t", "t", "custom", 160, 160, quality=95, max_bytes=max(10_000, limit))
    if limited.max_bytes is not None and high <= limited.max_bytes:
        pytest.skip("image too small to need stepping")
    result = encode(img, limited)
    assert limited.max_bytes is not None and len(result.data) <= limited.max_bytes
    assert result.quality is not None and result.quality < 95


def test_output_that_cannot_fit_is_an_error_not_an_oversize_file():
    preset = ExportPreset("t", "t", "custom", 400, 400, quality=95, min_quality=90, max_bytes=10_000)
    with pytest.raises(ExportError) as err:
        encode(_noisy((400, 400)), preset, name="x.clean.jpg")
    assert "10,000-byte limit" in err.value.message() and "x.clean.jpg" in err.value.message()


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "out" / "a.clean.jpg"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["a.clean.jpg"]
    with pytest.raises(Cancelled):
        write_atomic(target, b"three", cancelled=lambda: True)
    assert target.read_bytes() == b"two" and os.listdir(target.parent) == ["a.clean.jpg"]


def test_write_into_a_blocked_folder_is_a_clear_error(tmp_path: Path):
    (tmp_path / "preset").write_text("a file where the folder should be")
    with pytest.raises(ExportError) as err:
        write_atomic(tmp_path / "preset" / "a.clean.jpg", b"x")
    assert "preset" in err.value.message() and "in the way" in err.value.message()


def test_disk_full_and_read_only_errors_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import errno

    from studio.render import image_export

    def full(*args: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(image_export.os, "replace", full)
    with pytest.raises(ExportError) as err:
        write_atomic(tmp_path / "a.clean.jpg", b"x" * 100)
    assert "disk is full" in err.value.message() and "a.clean.jpg" in err.value.message()
    assert os.listdir(tmp_path) == []  # the temp file went with the failure
    ro = image_export.write_error(tmp_path / "b.jpg", OSError(errno.EROFS, "Read-only file system"))
    assert "not writable" in ro.message()


def test_utm_added_per_platform_and_tag_keeping_existing_query():
    cfg = UtmConfig(campaign="spring", content="{product_id}-{tag_id}", sources={"instagram": "ig"})
    url = add_utm(
        "https://shop.example/p/1?ref=a%20b&color=red",
        cfg,
        platform="instagram",
        product_id="p1",
        tag_id="t9",
    )
    assert url.startswith("https://shop.example/p/1?ref=a%20b&color=red&")
    assert "utm_source=ig" in url and "utm_medium=social" in url and "utm_campaign=spring" in url
    assert "utm_content=p1-t9" in url
    kept = add_utm("https://shop.example/?utm_source=newsletter", cfg, platform="facebook", product_id="p1")
    assert "utm_source=newsletter" in kept and kept.count("utm_source") == 1
    assert add_utm("javascript:alert(1)", cfg, platform="x") == "javascript:alert(1)"
    assert add_utm("https://s.example/", UtmConfig(enabled=False), platform="x") == "https://s.example/"
