"""Labeled video export, on tiny real clips encoded with PyAV and read back with PyAV.

The label is painted with a magenta card, a colour the source clips (black and white bars) never
contain, so "label pixels here" is a count of magenta pixels and "where is the label" is the centre
of the magenta blob.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import MediaSources, encode_video, index_frame

from studio.core.errors import Cancelled, MediaError
from studio.core.geometry import Crop
from studio.core.model import Keyframe, LabelStyle, Tag
from studio.core.progress import CancelToken
from studio.render.fit import FitPlan
from studio.render.labels import LabelContent
from studio.render.video_export import VideoResult, render_video

SIZE = (270, 480)  # 9:16, small so the test file runs in a few seconds
FPS = 10
STYLE = LabelStyle(preset="pill", background="#FF00FF", foreground="#FFFFFF")
CONTENT = LabelContent(price="$19.00")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s, 160x284 (about 9:16), 10 fps, H.264 + AAC."""
    return encode_video(
        tmp_path_factory.mktemp("vx") / "clip.mp4", frames=20, fps=FPS, size=(160, 284), gop=5
    )


def read_back(path: Path) -> tuple[list[np.ndarray], dict[str, float]]:
    """RGB frames and facts of an output file."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        facts = {
            "width": v.width,
            "height": v.height,
            "video_duration": float(v.duration * v.time_base),
            "fps": float(v.average_rate),
            "codec": v.codec_context.name,
            "pix_fmt": v.codec_context.pix_fmt,
            "audio": 0.0,
        }
        if c.streams.audio:
            a = c.streams.audio[0]
            facts["audio"] = float(a.duration * a.time_base)
            facts["audio_codec"] = a.codec_context.name  # type: ignore[assignment]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return frames, facts


def audio_packets(path: Path) -> list[tuple[float, bytes]]:
    with av.open(str(path)) as c:
        return [
            (round(float(p.pts * p.time_base), 4), bytes(p))
            for p in c.demux(audio=0)
            if p.size and p.pts is not None
        ]


def magenta(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (r > 150) & (b > 150) & (g < 100)


def blob_centre(rgb: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(magenta(rgb))
    assert len(xs) > 50, "no label on this frame"
    return float(xs.mean()), float(ys.mean())


def moving_tag(**kw: object) -> Tag:
    return Tag(id="t_move", product_id="p1", x=0.3, y=0.25, **kw)  # type: ignore[arg-type]


def test_output_size_duration_codecs_and_audio(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "clip.video.mp4"
    result = render_video(clip, out, size=SIZE, tags=[], style=STYLE)
    assert isinstance(result, VideoResult)
    assert result.frames == 20 and result.has_audio and result.audio_copied
    frames, facts = read_back(out)
    assert (facts["width"], facts["height"]) == SIZE
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert len(frames) == 20
    assert abs(facts["video_duration"] - 2.0) <= 1 / FPS
    assert facts["fps"] == pytest.approx(FPS)
    assert facts["audio_codec"] == "aac"
    assert abs(facts["audio"] - 2.0) < 0.1
    # AAC is copied packet for packet: same bytes at the same times (priming samples included)
    assert audio_packets(out) == audio_packets(clip)
    # +faststart: the index (moov) comes before the media data, so phones can stream it
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
    assert [p.name for p in out.parent.iterdir()] == ["clip.video.mp4"]  # no temp file left behind


def test_label_only_inside_its_time_range(clip: Path, tmp_path: Path) -> None:
    clean_path, labeled_path = tmp_path / "clean.mp4", tmp_path / "labeled.mp4"
    render_video(clip, clean_path, size=SIZE, crop=Crop(0, 0, 1, 1), style=STYLE)
    tag = Tag(id="t1", product_id="p1", x=0.5, y=0.3, start=0.5, end=1.5)
    result = render_video(
        clip,
        labeled_path,
        size=SIZE,
        crop=Crop(0, 0, 1, 1),
        tags=[(tag, CONTENT, "pill")],
        style=STYLE,
        label_scale=1.0,
    )
    assert result.outside_crop == ()
    clean, _ = read_back(clean_path)
    labeled, _ = read_back(labeled_path)
    for n in range(20):  # frame n is on screen from n/10 s: visible on [0.5, 1.5) = frames 5..14
        count = int(magenta(labeled[n]).sum())
        diff = np.abs(labeled[n].astype(int) - clean[n].astype(int)).max(axis=2)
        if 5 <= n <= 14:
            assert count > 500, f"frame {n}: label missing"
            assert (diff > 60).sum() > 500, f"frame {n}: no different from the clean render"
        else:
            assert count == 0, f"frame {n}: label outside its time range"
            assert (diff > 60).sum() < 20, f"frame {n}: differs from the clean render"
        assert int(magenta(clean[n]).sum()) == 0
    card = np.median(labeled[10][magenta(labeled[10])], axis=0)  # colours survive the YUV blend
    assert np.abs(card - (255, 0, 255)).max() < 12


@pytest.mark.parametrize(
    ("source", "matrix", "name"), [((160, 284), 6, "itu601"), ((1280, 720), 1, "itu709")]
)
def test_label_colour_matches_the_declared_matrix(
    tmp_path: Path, source: tuple[int, int], matrix: int, name: str
) -> None:
    """Untagged sources: SD is BT.601, HD is BT.709 (what players assume); the output says which,
    and the label was converted with that same matrix, so it decodes to the colour it was painted."""
    src = encode_video(tmp_path / "s.mp4", frames=3, fps=FPS, size=source, acodec=None)
    out = tmp_path / "o.mp4"
    tag = Tag(id="t", product_id="p", x=0.5, y=0.5)
    render_video(src, out, size=(320, 180), tags=[(tag, CONTENT, "pill")], style=STYLE, label_scale=1.5)
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0))
        assert (frame.colorspace, frame.color_range) == (matrix, 1)
        rgb = frame.to_ndarray(format="rgb24", src_colorspace=name)
    assert np.abs(np.median(rgb[magenta(rgb)], axis=0) - (255, 0, 255)).max() < 12


def test_label_follows_keyframes(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "moving.mp4"
    tag = moving_tag(keyframes=[Keyframe(0.0, 0.3, 0.25), Keyframe(2.0, 0.7, 0.65)])
    render_video(
        clip,
        out,
        size=SIZE,
        crop=Crop(0, 0, 1, 1),
        tags=[(tag, CONTENT, "pill")],
        style=STYLE,
        label_scale=1.0,
    )
    frames, _ = read_back(out)
    (x5, y5), (x15, y15) = blob_centre(frames[5]), blob_centre(frames[15])
    # between t=0.5 and t=1.5 the anchor moves half the way: 0.2 of the width, 0.2 of the height
    assert x15 - x5 == pytest.approx(0.2 * SIZE[0], abs=4)
    assert y15 - y5 == pytest.approx(0.2 * SIZE[1], abs=4)
    # and steadily: frame 10 sits halfway between
    x10, y10 = blob_centre(frames[10])
    assert x10 == pytest.approx((x5 + x15) / 2, abs=3) and y10 == pytest.approx((y5 + y15) / 2, abs=3)


def test_tag_outside_the_crop_is_reported_and_not_drawn(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "cropped.mp4"
    inside = Tag(id="in", product_id="p1", x=0.5, y=0.5)
    outside = Tag(id="out", product_id="p2", x=0.5, y=0.05)
    result = render_video(
        clip,
        out,
        size=(160, 160),
        crop=Crop(0.0, 0.3, 1.0, 0.3 + 160 / 284),
        tags=[(inside, CONTENT, "pill"), (outside, CONTENT, "pill")],
        style=STYLE,
    )
    assert result.outside_crop == ("out",)
    frames, facts = read_back(out)
    assert (facts["width"], facts["height"]) == (160, 160)
    assert magenta(frames[0]).sum() > 0


def test_letterbox_with_colour_fill(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "box.mp4"
    plan = FitPlan((320, 320), Crop(0, 0, 1, 1), (0.21875, 0.0, 0.78125, 1.0), "#00FF00")
    tag = Tag(id="t", product_id="p", x=0.5, y=0.5)
    render_video(clip, out, size=(320, 320), crop=plan, tags=[(tag, CONTENT, "pill")], style=STYLE)
    frames, facts = read_back(out)
    assert (facts["width"], facts["height"]) == (320, 320)
    left_bar = frames[3][100:200, 5:60].reshape(-1, 3).mean(axis=0)
    assert left_bar[1] > 200 and left_bar[0] < 60 and left_bar[2] < 60  # green bars
    _ys, xs = np.nonzero(magenta(frames[3]))
    assert abs(xs.mean() - 160) < 40  # the label is on the picture in the middle


def test_letterbox_with_blurred_fill(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "blur.mp4"
    plan = FitPlan((320, 320), Crop(0, 0, 1, 1), (0.21875, 0.0, 0.78125, 1.0), "blur")
    result = render_video(clip, out, size=(320, 320), crop=plan, style=STYLE)
    _frames, facts = read_back(out)
    assert (facts["width"], facts["height"], result.frames) == (320, 320, 20)


def test_rotation_metadata_is_applied(sources: MediaSources, tmp_path: Path) -> None:
    # Stored landscape 284x160 with an iPhone-style -90 display matrix: displayed portrait 160x284.
    src = sources.video("vx_rot.mov", frames=10, fps=FPS, size=(284, 160), rotation_ccw=-90, acodec=None)
    out = tmp_path / "upright.mp4"
    result = render_video(src, out, size=(160, 284), crop=Crop(0, 0, 1, 1))
    assert not result.has_audio
    frames, facts = read_back(out)
    assert (facts["width"], facts["height"]) == (160, 284)
    with av.open(str(out)) as c:  # upright pixels, and no display matrix left to rotate them again
        first = next(c.decode(video=0))
        assert not first.rotation
    # Frame 1 lights only the stored right-most bar; turned clockwise, it is the bottom band.
    expected = np.asarray(index_frame(1, (284, 160)).rotate(-90, expand=True))
    assert expected.shape[:2] == (284, 160)
    got = frames[1].astype(int)
    assert got[270, 80].min() > 200 and got[10, 80].max() < 60 and got[142, 150].max() < 60
    assert np.abs(got - expected.astype(int)).mean() < 12


def test_non_aac_audio_is_reencoded_in_sync(tmp_path: Path) -> None:
    src = encode_video(tmp_path / "pcm.mov", acodec="pcm_s16le", frames=20, fps=FPS, size=(160, 284))
    out = tmp_path / "pcm.video.mp4"
    result = render_video(src, out, size=SIZE)
    assert result.has_audio and not result.audio_copied
    _, facts = read_back(out)
    assert facts["audio_codec"] == "aac"
    assert abs(facts["audio"] - 2.0) < 0.1
    with av.open(str(out)) as c:
        first_audio = next(p for p in c.demux(audio=0) if p.pts is not None)
        assert abs(float(first_audio.pts * first_audio.time_base)) < 0.05


def test_cancel_leaves_no_file(clip: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    token = CancelToken()
    calls: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        calls.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        render_video(clip, out_dir / "c.mp4", size=SIZE, progress=progress, cancel=token)
    assert calls  # it was under way
    assert list(out_dir.iterdir()) == []


def test_cancel_keeps_an_existing_output(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous export")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        render_video(clip, out, size=SIZE, cancel=token)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def test_truncated_input_is_a_media_error(clip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    data = clip.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out" / "broken.video.mp4"
    with pytest.raises(MediaError) as info:
        render_video(broken, out, size=SIZE)
    assert "broken.mp4" in str(info.value)
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_not_a_video_is_a_media_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_bytes(b"this is not a video at all" * 100)
    with pytest.raises(MediaError) as info:
        render_video(bogus, tmp_path / "o.mp4", size=SIZE)
    assert "notes.mp4" in str(info.value)
    assert not (tmp_path / "o.mp4").exists()


def test_unwritable_folder_is_an_export_error(clip: Path, tmp_path: Path) -> None:
    from studio.core.errors import StudioError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StudioError) as info:
        render_video(clip, blocker / "sub" / "o.mp4", size=SIZE)
    assert not isinstance(info.value, MediaError)


def test_source_copy_untouched(clip: Path, tmp_path: Path) -> None:
    """The export reads the source only (a shared, read-only file in the batch)."""
    copy = tmp_path / "src.mp4"
    shutil.copyfile(clip, copy)
    before = copy.read_bytes()
    render_video(copy, tmp_path / "o.mp4", size=SIZE)
    assert copy.read_bytes() == before
