"""Videos: probing, rotation, frame-accurate seeking and damaged files, on clips encoded with PyAV."""

from __future__ import annotations

import math

import pytest
from conftest import encode_video, has_encoder, read_index, write_bytes

from studio.core.errors import MediaError
from studio.core.model import MediaKind
from studio.media.probe import probe
from studio.media.video import display_rotation, frame_at, poster_frame, poster_time, rotate_clockwise

needs_h264 = pytest.mark.skipif(not has_encoder("libx264"), reason="bundled FFmpeg has no libx264 encoder")


@needs_h264
def test_probe_mp4_h264_aac(sources):
    info = probe(sources.mp4())
    assert info.kind is MediaKind.VIDEO
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.fps == pytest.approx(25.0)
    assert info.codec == "h264"
    assert info.has_audio is True
    assert info.rotation == 0
    assert info.format_name == "mp4"
    assert info.size_bytes == sources.mp4().stat().st_size


@needs_h264
@pytest.mark.parametrize(("ccw", "clockwise"), [(-90, 90), (90, 270), (180, 180)])
def test_mov_display_matrix_rotation(sources, ccw, clockwise):
    path = sources.video(f"rot{ccw}.mov", rotation_ccw=ccw, acodec=None, frames=5)
    info = probe(path)
    assert info.format_name == "mov"
    assert info.rotation == clockwise
    if clockwise in (90, 270):
        assert (info.width, info.height) == (240, 320)  # portrait phone clip: width < height
    else:
        assert (info.width, info.height) == (320, 240)
    img = frame_at(path, 0.0)
    assert img.size == (info.width, info.height)
    # frame 3 has only its two rightmost bars lit (binary 00000011): see where they went
    img = frame_at(path, 3 / 25 + 0.01)
    w, h = img.size
    lit = img.convert("L").getpixel
    if clockwise == 90:  # stored right edge (lowest bits, white) is now the bottom edge
        assert lit((w // 2, h - 3)) > 128 and lit((w // 2, 3)) < 128
    elif clockwise == 270:  # ...and here the top edge
        assert lit((w // 2, 3)) > 128 and lit((w // 2, h - 3)) < 128
    else:  # 180: now the left edge
        assert lit((3, h // 2)) > 128 and lit((w - 3, h // 2)) < 128


@needs_h264
def test_m4v_is_probed(sources):
    path = sources.video("clip.m4v", container_format="mp4", frames=10, acodec=None)
    info = probe(path)
    assert (info.format_name, info.codec, info.has_audio) == ("m4v", "h264", False)


@pytest.mark.skipif(
    not (has_encoder("libvpx-vp9") and has_encoder("libopus")), reason="no VP9/Opus encoder in this FFmpeg"
)
def test_webm_vp9_opus(sources):
    path = sources.video("clip.webm", vcodec="libvpx-vp9", acodec="libopus", options={"deadline": "realtime"})
    info = probe(path)
    assert (info.format_name, info.codec, info.has_audio) == ("webm", "vp9", True)
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert read_index(frame_at(path, 0.5)) == 12


@needs_h264
def test_frame_at_is_frame_accurate(sources):
    """Frame n shows n; frame_at(t) must be frame floor(t * fps), across keyframes and B-frames."""
    path = sources.long_mp4()
    fps, frames = 25, 50
    times = [k * 0.037 for k in range(54)]  # arbitrary positions, both sides of every keyframe
    times += [n / fps for n in (0, 1, 11, 12, 13, 24, 25, 36, 48, 49)]  # exact frame starts
    for t in times:
        expected = min(frames - 1, math.floor(t * fps + 1e-9))
        assert read_index(frame_at(path, t)) == expected, t
    assert read_index(frame_at(path, -1.0)) == 0
    assert read_index(frame_at(path, 99.0)) == frames - 1


@needs_h264
def test_poster_frame_is_at_ten_percent(sources):
    path = sources.long_mp4()  # 2 s -> 0.2 s -> frame 5
    assert poster_time(2.0) == pytest.approx(0.2)
    assert poster_time(None) == 1.0
    assert read_index(poster_frame(path)) == 5
    small = poster_frame(path, max_side=80)
    assert max(small.size) == 80


# --- damage ------------------------------------------------------------------------------------


def cut(path, dest, fraction=0.5):
    data = path.read_bytes()
    return write_bytes(dest, data[: int(len(data) * fraction)])


@needs_h264
@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "faststart"])
def test_truncated_mp4_is_a_clear_error(sources, tmp_path, faststart):
    src = sources.video(
        f"whole-{faststart}.mp4",
        frames=50,
        container_options={"movflags": "+faststart"} if faststart else None,
    )
    for fraction in (0.5, 0.9):
        bad = cut(src, tmp_path / "half.mp4", fraction)
        with pytest.raises(MediaError) as err:
            probe(bad)
        text = str(err.value)
        assert text.startswith("half.mp4: the video")
        assert "truncated" in text and "copy it again" in text


@pytest.mark.skipif(not has_encoder("libvpx"), reason="no VP8 encoder in this FFmpeg")
def test_truncated_webm_is_a_clear_error(sources, tmp_path):
    src = sources.video(
        "whole.webm", vcodec="libvpx", acodec=None, frames=50, options={"deadline": "realtime"}
    )
    bad = cut(src, tmp_path / "half.webm")
    with pytest.raises(MediaError, match=r"half\.webm: the video file is truncated"):
        probe(bad)


def test_garbage_text_and_empty_videos(tmp_path):
    import random

    rng = random.Random(5)
    noise = write_bytes(tmp_path / "noise.mp4", bytes(rng.getrandbits(8) for _ in range(5000)))
    text = write_bytes(tmp_path / "notes.mov", b"not a video at all\n" * 50)
    empty = write_bytes(tmp_path / "empty.mp4", b"")
    for path in (noise, text):
        with pytest.raises(MediaError, match=rf"{path.name}: is not a (video|photo)"):
            probe(path)
    with pytest.raises(MediaError, match=r"empty\.mp4: the file is empty"):
        probe(empty)
    with pytest.raises(MediaError):
        frame_at(text, 0.0)


def test_audio_only_mp4_has_no_video_track(tmp_path):
    path = tmp_path / "voice.mp4"
    import av
    from conftest import _encode_tone

    with av.open(str(path), "w") as out:
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        _encode_tone(out, audio, seconds=0.3)
    with pytest.raises(MediaError, match=r"voice\.mp4: has no video track"):
        probe(path)


@needs_h264
def test_photo_saved_as_mp4(tmp_path):
    from PIL import Image

    path = tmp_path / "still.mp4"
    Image.new("RGB", (16, 16)).save(path, "JPEG")
    with pytest.raises(MediaError, match=r"still\.mp4: is a photo saved with a video extension"):
        probe(path)


def test_encode_helper_writes_real_h264(sources):
    if not has_encoder("libx264"):
        pytest.skip("no libx264")
    path = encode_video(sources.root / "tiny.mp4", frames=3, acodec=None)
    assert probe(path).codec == "h264"


# --- rotation helpers (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame_rotation", "tag", "expected"),
    [
        (0, None, 0),
        (-90, None, 90),  # iPhone portrait: display matrix says -90 (counter-clockwise)
        (90, None, 270),
        (180, None, 180),
        (-180, None, 180),
        (-89.98, None, 90),
        (0, "90", 90),  # legacy rotate tag, already clockwise
        (0, "270", 270),
        (0, "junk", 0),
        (None, None, 0),
    ],
)
def test_display_rotation(frame_rotation, tag, expected):
    assert display_rotation(frame_rotation, tag) == expected


def test_rotate_clockwise_moves_top_left_to_top_right():
    from PIL import Image

    img = Image.new("L", (4, 2), 0)
    img.putpixel((0, 0), 255)
    turned = rotate_clockwise(img, 90)
    assert turned.size == (2, 4)
    assert turned.getpixel((1, 0)) == 255
    assert rotate_clockwise(img, 0) is img


@needs_h264
def test_damaged_files_never_raise_anything_but_media_error(sources, tmp_path):
    """Seeded fuzz: flip runs of bytes anywhere in a JPEG and an MP4; probe either works or says why."""
    import random

    from conftest import jpeg_bytes

    rng = random.Random(11)
    originals = {"f.jpg": jpeg_bytes((160, 120)), "f.mp4": sources.mp4().read_bytes()}
    for name, data in originals.items():
        for _ in range(25):
            damaged = bytearray(data)
            start = rng.randrange(len(data))
            for i in range(start, min(len(data), start + rng.randrange(1, 400))):
                damaged[i] = rng.getrandbits(8)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(1, len(damaged))]
            path = write_bytes(tmp_path / name, bytes(damaged))
            try:
                probe(path)
            except MediaError as exc:
                assert str(exc).startswith(name)


@pytest.mark.skipif(not (has_encoder("libvpx") and has_encoder("libopus")), reason="no VP8/Opus encoder")
def test_webm_whose_audio_outlasts_the_video_is_not_called_truncated(sources):
    path = sources.video(
        "long-audio.webm",
        vcodec="libvpx",
        acodec="libopus",
        frames=10,
        audio_seconds=2.0,
        options={"deadline": "realtime"},
    )
    info = probe(path)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert read_index(frame_at(path, 0.2)) == 5
