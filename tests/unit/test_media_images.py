"""Photos: orientation, colour modes, ICC profiles, formats, and every way a file can be broken."""

from __future__ import annotations

import os
import random

import pytest
from conftest import (
    ADOBE_RGB_PRIMARIES_D50,
    GREEN,
    RED,
    SRGB_PRIMARIES_D50,
    close_to,
    corner_marked,
    icc_profile,
    jpeg_bytes,
    png_bytes,
    tiff48_bytes,
    write_bytes,
)
from PIL import Image, ImageCms, ImageFile

from studio.core.errors import MediaError
from studio.core.model import MediaKind
from studio.media.images import ensure_heif_registered, open_image, to_display_mode
from studio.media.probe import probe

# Where the stored top-left (red) and top-right (green) markers must appear once displayed,
# straight from the EXIF spec's "0th row / 0th column" table (independent of Pillow's mapping).
CORNERS = {
    1: ("TL", "TR"),
    2: ("TR", "TL"),
    3: ("BR", "BL"),
    4: ("BL", "BR"),
    5: ("TL", "BL"),
    6: ("TR", "BR"),
    7: ("BR", "TR"),
    8: ("BL", "TL"),
}


def corner_pixel(img: Image.Image, corner: str) -> tuple[int, ...]:
    w, h = img.size
    x = 5 if corner[1] == "L" else w - 6
    y = 5 if corner[0] == "T" else h - 6
    return img.getpixel((x, y))  # type: ignore[return-value]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_sizes_and_pixels(sources, orientation):
    path = sources.oriented_jpeg(orientation)
    with Image.open(path) as raw:
        stored = raw.size
    assert stored == ((40, 60) if orientation >= 5 else (60, 40))

    info = probe(path)
    assert (info.width, info.height) == (60, 40)  # displayed size, swapped for 5-8
    assert info.orientation == orientation
    assert info.mirrored == (orientation in (2, 4, 5, 7))
    assert info.rotation == {1: 0, 2: 0, 3: 180, 4: 180, 5: 270, 6: 90, 7: 90, 8: 270}[orientation]

    img = open_image(path)
    assert img.size == (60, 40) and img.mode == "RGB"
    red_at, green_at = CORNERS[orientation]
    assert close_to(corner_pixel(img, red_at), RED), (orientation, red_at)
    assert close_to(corner_pixel(img, green_at), GREEN), (orientation, green_at)


def test_max_side_uses_jpeg_draft_and_fits(sources, monkeypatch):
    path = sources.big_jpeg()
    calls = []
    original = ImageFile.ImageFile.load

    def spy(self):  # type: ignore[no-untyped-def]
        calls.append((self.format, self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    img = open_image(path, max_side=320)
    assert max(img.size) == 320 and img.size == (320, 240)
    decoded = [size for fmt, size in calls if fmt == "JPEG"]
    assert decoded and max(decoded[0]) <= 1000, f"decoded at {decoded[0]}, expected a reduced DCT scale"


def test_probe_never_decodes_full_pixels(sources, tmp_path, monkeypatch):
    big = sources.big_jpeg()
    png = corner_marked((1200, 900))
    png_path = tmp_path / "big.png"
    png.save(png_path)
    calls = []
    original = ImageFile.ImageFile.load

    def spy(self):  # type: ignore[no-untyped-def]
        calls.append((self.format, self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    assert (probe(big).width, probe(big).height) == (4000, 3000)
    assert all(max(size) <= 500 for _, size in calls), calls  # 1/8-scale integrity check only
    calls.clear()
    assert probe(png_path).width == 1200
    assert calls == []  # PNG: chunk CRCs are verified, pixels never inflated


def test_cmyk_jpeg_adobe_inverted_becomes_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(path, "JPEG", quality=95)  # pure red ink
    assert b"Adobe" in path.read_bytes()  # Pillow/libjpeg write the Adobe (inverted) marker
    assert probe(path).width == 64
    img = open_image(path)
    assert img.mode == "RGB"
    assert close_to(img.getpixel((32, 24)), RED)  # not cyan: the inversion was handled


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_16bit_grey_tiff_and_png_are_scaled_not_clipped(tmp_path, mode):
    for fmt in ("TIFF", "PNG"):
        if fmt == "PNG" and mode == "I;16B":
            continue
        path = tmp_path / f"grey16.{fmt.lower()}"
        Image.new(mode, (16, 8), 0x4000).save(path, fmt)
        with Image.open(path) as raw:
            assert raw.mode.startswith("I")
        img = open_image(path)
        assert img.mode == "RGB"
        assert close_to(img.getpixel((3, 3)), (64, 64, 64), tol=1), (fmt, img.getpixel((3, 3)))
        assert probe(path).width == 16


def test_48bit_png_and_tiff_become_8bit_rgb(tmp_path):
    png = write_bytes(tmp_path / "rgb48.png", png_bytes(8, 4, 2, 16, bytes.fromhex("80004000ffff")))
    tif_le = write_bytes(tmp_path / "rgb48.tif", tiff48_bytes(8, 4, (0x8000, 0x4000, 0xFFFF)))
    tif_be = write_bytes(
        tmp_path / "rgb48be.tiff", tiff48_bytes(8, 4, (0x8000, 0x4000, 0xFFFF), big_endian=True)
    )
    for path in (png, tif_le, tif_be):
        img = open_image(path)
        assert img.mode == "RGB"
        assert close_to(img.getpixel((1, 1)), (128, 64, 255), tol=1), (path.name, img.getpixel((1, 1)))
        assert probe(path).kind is MediaKind.IMAGE


def test_png_with_alpha_keeps_alpha(sources):
    img = open_image(sources.png_alpha())
    assert img.mode == "RGBA"
    assert img.getpixel((30, 30))[3] == 128


def test_palette_and_grey_alpha_modes(tmp_path):
    pal = corner_marked((32, 32)).convert("P")
    pal.info["transparency"] = 0
    pal.save(tmp_path / "pal.png")
    la = Image.new("LA", (8, 8), (200, 100))
    la.save(tmp_path / "la.png")
    assert open_image(tmp_path / "pal.png").mode == "RGBA"
    out = open_image(tmp_path / "la.png")
    assert out.mode == "RGBA" and out.getpixel((1, 1)) == (200, 200, 200, 100)


@pytest.mark.parametrize(("fmt", "ext", "name"), [("WEBP", "webp", "webp"), ("TIFF", "tif", "tiff")])
def test_webp_and_tiff(tmp_path, fmt, ext, name):
    path = tmp_path / f"photo.{ext}"
    corner_marked((80, 60)).save(path, fmt)
    info = probe(path)
    assert (info.kind, info.width, info.height, info.format_name) == (MediaKind.IMAGE, 80, 60, name)
    assert close_to(corner_pixel(open_image(path), "TL"), RED)


def test_heic_with_orientation(tmp_path):
    ensure_heif_registered()
    plain = tmp_path / "plain.heic"
    corner_marked((64, 48)).save(plain, "HEIF", quality=90)
    info = probe(plain)
    assert (info.width, info.height, info.format_name) == (64, 48, "heif")

    turned = tmp_path / "turned.heic"
    exif = Image.Exif()
    exif[0x0112] = 6
    corner_marked((48, 64)).save(turned, "HEIF", quality=90, exif=exif.tobytes())
    info = probe(turned)
    assert (info.width, info.height, info.rotation) == (64, 48, 90)
    img = open_image(turned)
    assert img.size == (64, 48)
    assert close_to(corner_pixel(img, "TR"), RED, tol=40)
    assert close_to(corner_pixel(img, "BR"), GREEN, tol=40)


# --- colour management ---------------------------------------------------------------------------


def test_icc_profile_is_converted_to_srgb(tmp_path):
    linear = icc_profile("Linear sRGB test", *SRGB_PRIMARIES_D50, gamma=1.0)
    path = tmp_path / "linear.png"
    Image.new("RGB", (8, 8), (128, 128, 128)).save(path, icc_profile=linear)
    img = open_image(path)
    # linear 0.5 is sRGB-encoded ~188: proves the profile was applied, not ignored
    assert close_to(img.getpixel((2, 2)), (188, 188, 188), tol=3), img.getpixel((2, 2))
    assert "icc_profile" not in img.info


def test_wide_gamut_profile_on_jpeg_and_alpha_png(tmp_path):
    adobe = icc_profile("Adobe RGB like", *ADOBE_RGB_PRIMARIES_D50, gamma=2.2)
    jpg = tmp_path / "adobe.jpg"
    Image.new("RGB", (32, 32), (40, 200, 40)).save(jpg, quality=95, icc_profile=adobe)
    assert probe(jpg).width == 32
    out = open_image(jpg, max_side=16)
    assert out.mode == "RGB" and out.size == (16, 16)
    r, g, b = out.getpixel((8, 8))
    assert g > 180 and r < 40 and b < 60  # still green, now more saturated in sRGB terms

    png = tmp_path / "adobe-alpha.png"
    Image.new("RGBA", (8, 8), (40, 200, 40, 77)).save(png, icc_profile=adobe)
    out = open_image(png)
    assert out.mode == "RGBA" and out.getpixel((1, 1))[3] == 77


def test_srgb_profile_and_broken_profile_leave_pixels_alone(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = Image.new("RGB", (4, 4), (128, 60, 30))
    assert to_display_mode(img, srgb).getpixel((0, 0)) == (128, 60, 30)
    assert to_display_mode(img, b"not a profile").getpixel((0, 0)) == (128, 60, 30)


# --- broken files ------------------------------------------------------------------------------


def test_corrupt_jpeg_random_bytes_after_header(tmp_path):
    good = jpeg_bytes((400, 300))
    sos = good.index(b"\xff\xda")
    rng = random.Random(7)
    bad = good[: sos + 20] + bytes(rng.getrandbits(8) for _ in range(len(good) - sos - 20))
    path = write_bytes(tmp_path / "holiday.jpg", bad)
    with pytest.raises(MediaError) as err:
        probe(path)
    text = str(err.value)
    assert text.startswith("holiday.jpg: the image data is truncated or corrupt (cannot decode")
    assert "re-export it from the original app" in text


def test_truncated_jpeg(tmp_path):
    good = jpeg_bytes((400, 300))
    path = write_bytes(tmp_path / "cut.jpg", good[: len(good) // 2])
    with pytest.raises(MediaError, match=r"cut\.jpg: the image data is truncated or corrupt"):
        probe(path)
    with pytest.raises(MediaError):
        open_image(path, max_side=64)


def test_text_renamed_jpg_empty_file_and_unsupported(tmp_path):
    text = write_bytes(tmp_path / "notes.jpg", b"shopping list\n" * 20)
    with pytest.raises(MediaError, match=r"notes\.jpg: is not a photo \(its content is not JPEG"):
        probe(text)
    empty = write_bytes(tmp_path / "empty.jpg", b"")
    with pytest.raises(MediaError, match=r"empty\.jpg: the file is empty"):
        probe(empty)
    txt = write_bytes(tmp_path / "notes.txt", b"hello")
    with pytest.raises(MediaError) as err:
        probe(txt)
    assert str(err.value).startswith(
        "notes.txt: not a supported photo or video (JPEG, PNG, WebP, TIFF, HEIC, MP4, MOV, M4V, WebM)"
    )


def test_other_image_format_with_photo_extension(tmp_path):
    path = tmp_path / "scan.jpg"
    Image.new("RGB", (8, 8)).save(path, "BMP")
    with pytest.raises(MediaError, match="is a BMP image, which Studio does not support"):
        probe(path)


def _truncate(path, fraction=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "HEIF"])
def test_truncated_other_formats(tmp_path, fmt):
    ensure_heif_registered()
    rng = random.Random(3)
    img = Image.frombytes("RGB", (96, 64), bytes(rng.getrandbits(8) for _ in range(96 * 64 * 3)))
    path = tmp_path / f"cut.{fmt.lower()}"
    img.save(path, fmt)
    probe(path)  # whole file is fine
    _truncate(path)
    with pytest.raises(
        MediaError, match=r"cut\.\w+: the image (data is truncated or corrupt|file is truncated)"
    ):
        probe(path)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="does not exist"):
        probe(tmp_path / "nope.jpg")
    with pytest.raises(MediaError, match="does not exist"):
        open_image(tmp_path / "nope.jpg")


def test_png_saved_as_jpg_is_accepted_by_content(tmp_path):
    path = tmp_path / "actually-png.jpg"
    Image.new("RGB", (10, 7)).save(path, "PNG")
    assert (probe(path).width, probe(path).format_name) == (10, "png")


def test_open_image_result_is_detached_from_the_file(tmp_path):
    path = tmp_path / "p.png"
    Image.new("RGB", (5, 5), (1, 2, 3)).save(path)
    img = open_image(path)
    os.remove(path)
    assert img.getpixel((0, 0)) == (1, 2, 3)
    assert isinstance(img.tobytes(), bytes)


def test_32bit_int_and_float_greys(tmp_path):
    wide = to_display_mode(Image.new("I", (4, 4), 40000))
    assert wide.mode == "RGB" and close_to(wide.getpixel((0, 0)), (156, 156, 156), tol=1)
    small = to_display_mode(Image.new("I", (4, 4), 200))  # already 8-bit range: kept
    assert close_to(small.getpixel((0, 0)), (200, 200, 200), tol=1)
    unit = to_display_mode(Image.new("F", (4, 4), 0.5))
    assert close_to(unit.getpixel((0, 0)), (128, 128, 128), tol=1)


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tif")])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_in_other_formats(tmp_path, fmt, ext, orientation):
    path = tmp_path / f"turned.{ext}"
    exif = Image.Exif()
    exif[0x0112] = orientation
    corner_marked((40, 60) if orientation >= 5 else (60, 40)).save(path, fmt, exif=exif.tobytes())
    info = probe(path)
    assert (info.width, info.height, info.orientation) == (60, 40, orientation)
    for img in (open_image(path), open_image(path, max_side=30).resize((60, 40))):
        assert img.size == (60, 40)
        red_at, green_at = CORNERS[orientation]
        assert close_to(corner_pixel(img, red_at), RED, tol=60), (fmt, orientation)
        assert close_to(corner_pixel(img, green_at), GREEN, tol=60), (fmt, orientation)
