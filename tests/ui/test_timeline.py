"""Timeline gestures (one range edit per drag, frame-snapped seeks) and VideoPlayer on a real clip.

The clip is encoded here with PyAV: 2 s at 10 fps, frame n shows n in binary as 8 vertical bars,
so every check on a delivered QImage reads the frame number from its pixels.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from studio.core.errors import MediaError
from studio.ui.timeline import ROW_HEIGHT, Timeline, format_time
from studio.ui.video_player import VideoPlayer, ensure_signal_emit_fix, pil_to_qimage
from studio.ui.workers import WorkerBridge

FPS = 10
FRAMES = 20
SIZE = (160, 96)


def index_frame(n: int) -> Image.Image:
    w, h = SIZE
    img = Image.new("RGB", SIZE, (0, 0, 0))
    draw = ImageDraw.Draw(img)
    bar = w // 8
    for bit in range(8):
        if (n >> (7 - bit)) & 1:
            draw.rectangle([bit * bar, 0, (bit + 1) * bar - 1, h - 1], fill=(255, 255, 255))
    return img


def read_index(image: QImage) -> int:
    bar = image.width() // 8
    value = 0
    for bit in range(8):
        if image.pixelColor(bit * bar + bar // 2, image.height() // 2).green() > 128:
            value |= 1 << (7 - bit)
    return value


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s, 10 fps H.264 (B-frames, a keyframe every 5 frames); frame n shows n."""
    try:
        av.codec.Codec("libx264", "w")
    except Exception:
        pytest.skip("bundled FFmpeg has no libx264 encoder")
    path = tmp_path_factory.mktemp("timeline") / "index.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 5
        for n in range(FRAMES):
            frame = av.VideoFrame.from_image(index_frame(n))
            frame.pts = n
            frame.time_base = Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


# --- Timeline --------------------------------------------------------------------------------------


@pytest.fixture
def timeline(qtbot) -> Timeline:
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(640, 240)
    tl.set_media(5.0, 10.0)
    tl.set_tags([("tag_a", "Mug", 1.0, 3.0, [1.5, 2.5]), ("tag_b", "Tote", None, None, [])])
    tl.show()
    qtbot.waitExposed(tl)
    return tl


def _y(row: int) -> int:
    return row * ROW_HEIGHT + ROW_HEIGHT // 2


def _drag(qtbot, widget, start: QPoint, end: QPoint, steps: int = 6) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, steps + 1):
        x = start.x() + (end.x() - start.x()) * k // steps
        qtbot.mouseMove(widget, QPoint(x, end.y()))


def test_dragging_a_bar_end_emits_one_range_edit_on_release(qtbot, timeline: Timeline):
    edits: list[tuple[str, float, float]] = []
    timeline.timeRangeEdited.connect(lambda tid, s, e: edits.append((tid, s, e)))
    tracks = timeline.tracks
    start = QPoint(round(timeline.time_to_x(3.0)) - 2, _y(0))  # grab the out point
    end = QPoint(round(timeline.time_to_x(4.2)) - 2, _y(0))
    _drag(qtbot, tracks, start, end)
    assert edits == []  # nothing while dragging: the drag is previewed, not applied
    assert tracks.range_of(timeline.rows[0])[1] == pytest.approx(4.2, abs=0.1)  # ...but previewed
    qtbot.mouseRelease(tracks, Qt.MouseButton.LeftButton, pos=end)
    assert len(edits) == 1
    tag_id, s, e = edits[0]
    assert tag_id == "tag_a"
    assert s == pytest.approx(1.0)
    assert e == pytest.approx(4.2, abs=1 / FPS)
    assert e * FPS == pytest.approx(round(e * FPS))  # snapped to a frame boundary


def test_dragging_the_start_past_the_end_keeps_one_frame(qtbot, timeline: Timeline):
    edits: list[tuple[str, float, float]] = []
    timeline.timeRangeEdited.connect(lambda tid, s, e: edits.append((tid, s, e)))
    start = QPoint(round(timeline.time_to_x(1.0)) + 2, _y(0))
    end = QPoint(round(timeline.time_to_x(4.5)), _y(0))
    _drag(qtbot, timeline.tracks, start, end)
    qtbot.mouseRelease(timeline.tracks, Qt.MouseButton.LeftButton, pos=end)
    assert edits == [("tag_a", pytest.approx(2.9), pytest.approx(3.0))]


def test_dragging_the_middle_moves_the_range_and_an_open_range_gets_times(qtbot, timeline: Timeline):
    edits: list[tuple[str, float, float]] = []
    timeline.timeRangeEdited.connect(lambda tid, s, e: edits.append((tid, s, e)))
    tracks = timeline.tracks
    a = QPoint(round(timeline.time_to_x(2.0)), _y(0) + 6)  # inside the bar, below the diamonds
    b = QPoint(round(timeline.time_to_x(3.0)), _y(0) + 6)
    _drag(qtbot, tracks, a, b)
    qtbot.mouseRelease(tracks, Qt.MouseButton.LeftButton, pos=b)
    assert len(edits) == 1
    assert edits[0][1:] == (pytest.approx(2.0, abs=0.1), pytest.approx(4.0, abs=0.1))
    assert edits[0][2] - edits[0][1] == pytest.approx(2.0)  # length kept exactly
    # the second tag has no range (whole clip): pulling its in point gives both ends as times
    a = QPoint(round(timeline.time_to_x(0.0)) + 1, _y(1))
    b = QPoint(round(timeline.time_to_x(0.8)) + 1, _y(1))
    _drag(qtbot, tracks, a, b)
    qtbot.mouseRelease(tracks, Qt.MouseButton.LeftButton, pos=b)
    assert edits[1] == ("tag_b", pytest.approx(0.8, abs=0.1), pytest.approx(5.0))


def test_a_click_without_moving_edits_nothing(qtbot, timeline: Timeline):
    edits: list[object] = []
    selected: list[str] = []
    timeline.timeRangeEdited.connect(lambda *a: edits.append(a))
    timeline.selectedTagChanged.connect(selected.append)
    qtbot.mouseClick(
        timeline.tracks, Qt.MouseButton.LeftButton, pos=QPoint(round(timeline.time_to_x(2.0)), _y(1))
    )
    assert edits == [] and selected == ["tag_b"] and timeline.selected_tag == "tag_b"


def test_clicking_a_keyframe_diamond_seeks_there(qtbot, timeline: Timeline):
    clicked: list[tuple[str, float]] = []
    seeks: list[float] = []
    timeline.keyframeClicked.connect(lambda tid, t: clicked.append((tid, t)))
    timeline.seekRequested.connect(seeks.append)
    qtbot.mouseClick(
        timeline.tracks, Qt.MouseButton.LeftButton, pos=QPoint(round(timeline.time_to_x(2.5)), _y(0))
    )
    assert clicked == [("tag_a", 2.5)]
    assert seeks == [pytest.approx(2.5)]


def test_clicking_the_scrubber_seeks_to_that_frame(qtbot, timeline: Timeline):
    seeks: list[float] = []
    timeline.seekRequested.connect(seeks.append)
    x = round(timeline.time_to_x(2.34))
    qtbot.mouseClick(timeline.scrubber, Qt.MouseButton.LeftButton, pos=QPoint(x, 14))
    assert len(seeks) == 1
    assert seeks[0] == pytest.approx(timeline.x_to_time(x), abs=0.5 / FPS)
    assert seeks[0] == pytest.approx(2.3)
    assert timeline.time_label.text() == "00:02.30 / 00:05.00 · frame 23"
    # past the end: the last frame, never the clip's end
    qtbot.mouseClick(timeline.scrubber, Qt.MouseButton.LeftButton, pos=QPoint(timeline.width() - 2, 14))
    assert seeks[-1] == pytest.approx(4.9)


def test_scrubbing_emits_only_when_the_frame_changes(qtbot, timeline: Timeline):
    seeks: list[float] = []
    timeline.seekRequested.connect(seeks.append)
    x0 = round(timeline.time_to_x(1.0))
    qtbot.mousePress(timeline.scrubber, Qt.MouseButton.LeftButton, pos=QPoint(x0, 14))
    for dx in (0, 1, 0, 1):  # sub-frame jitter of the hand
        qtbot.mouseMove(timeline.scrubber, QPoint(x0 + dx, 14))
    qtbot.mouseMove(timeline.scrubber, QPoint(round(timeline.time_to_x(2.0)), 14))
    qtbot.mouseRelease(
        timeline.scrubber, Qt.MouseButton.LeftButton, pos=QPoint(round(timeline.time_to_x(2.0)), 14)
    )
    assert seeks == [pytest.approx(1.0), pytest.approx(2.0)]


def test_keys_and_buttons_emit_intents(qtbot, timeline: Timeline):
    steps: list[int] = []
    toggles: list[bool] = []
    timeline.stepRequested.connect(steps.append)
    timeline.playToggled.connect(lambda: toggles.append(True))
    timeline.setFocus()
    for key in (Qt.Key.Key_Period, Qt.Key.Key_Comma, Qt.Key.Key_Right, Qt.Key.Key_Left):
        qtbot.keyClick(timeline, key)
    qtbot.mouseClick(timeline.forward_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(timeline.play_button, Qt.MouseButton.LeftButton)
    assert steps == [1, -1, 1, -1, 1]
    assert toggles == [True]
    timeline.set_playing(True)
    assert timeline.is_playing


def test_set_position_updates_the_label_and_clamps(timeline: Timeline):
    timeline.set_position(1.2)
    assert timeline.time_label.text() == "00:01.20 / 00:05.00 · frame 12"
    timeline.set_position(99)
    assert timeline.position == pytest.approx(4.9)
    assert format_time(65.432) == "01:05.43"


def test_set_tags_replaces_rows_and_drops_a_vanished_selection(timeline: Timeline):
    timeline.set_selected_tag("tag_b")
    timeline.set_tags([("tag_c", "Lamp", 0.5, 1.0, [])])
    assert [r.tag_id for r in timeline.rows] == ["tag_c"]
    assert timeline.selected_tag is None
    timeline.grab()  # paints without error, also with rows and a playhead


# --- VideoPlayer -----------------------------------------------------------------------------------


@pytest.fixture
def player(qtbot):
    p = VideoPlayer(max_side=None)
    yield p
    p.close()
    assert p.bridge.wait(10000)
    qtbot.waitUntil(lambda: not p.bridge.running, timeout=5000)


def _collect(player: VideoPlayer) -> list[tuple[int, float]]:
    shown: list[tuple[int, float]] = []
    player.frameReady.connect(lambda image, t: shown.append((read_index(image), t)))
    return shown


def test_player_opens_seeks_and_steps_frame_accurately(qtbot, player: VideoPlayer, clip: Path):
    shown = _collect(player)
    with qtbot.waitSignal(player.mediaOpened, timeout=10000) as opened:
        player.open(clip)
    duration, fps, count = opened.args
    assert (fps, count) == (FPS, FRAMES) and duration == pytest.approx(2.0, abs=0.05)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    assert shown == [(0, 0.0)]

    for t, n in ((1.23, 12), (0.31, 3), (1.99, 19), (0.5, 5)):
        player.seek(t)
        assert player.position == pytest.approx(n / FPS)  # the playhead moves at once
        qtbot.waitUntil(lambda n=n: shown[-1][0] == n, timeout=5000)
        assert shown[-1] == (n, pytest.approx(n / FPS))

    before = len(shown)
    player.step(+1)
    qtbot.waitUntil(lambda: len(shown) == before + 1, timeout=5000)
    assert shown[-1][0] == 6 and player.frame_number == 6
    player.step(-1)
    player.step(-1)
    qtbot.waitUntil(lambda: shown[-1][0] == 4, timeout=5000)
    assert player.position == pytest.approx(0.4)


def test_fast_seeks_coalesce_to_the_latest(qtbot, player: VideoPlayer, clip: Path):
    shown = _collect(player)
    with qtbot.waitSignal(player.mediaOpened, timeout=10000):
        player.open(clip)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    for k in range(1, 20):  # no event loop in between: one decode starts, the rest wait as one
        player.seek(k / FPS)
    qtbot.waitUntil(lambda: shown[-1][0] == 19, timeout=5000)
    qtbot.waitUntil(lambda: not player.busy, timeout=5000)
    assert [n for n, _ in shown] == [0, 1, 19]


def test_play_advances_and_pause_stops(qtbot, player: VideoPlayer, clip: Path):
    shown = _collect(player)
    states: list[bool] = []
    player.stateChanged.connect(states.append)
    with qtbot.waitSignal(player.mediaOpened, timeout=10000):
        player.open(clip)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    player.play()
    assert player.is_playing and states == [True]
    qtbot.waitUntil(lambda: shown[-1][0] >= 3, timeout=5000)
    player.pause()
    assert states == [True, False] and not player.is_playing
    qtbot.waitUntil(lambda: not player.busy, timeout=5000)
    frames = [n for n, _ in shown]
    assert frames == sorted(frames)  # playback only moves forward
    stopped_at, count = player.position, len(shown)
    qtbot.wait(400)  # four frame periods: a running player would have moved on
    assert player.position == stopped_at and len(shown) == count
    assert shown[-1][0] == player.frame_number


def test_play_stops_on_the_last_frame(qtbot, player: VideoPlayer, clip: Path):
    shown = _collect(player)
    with qtbot.waitSignal(player.mediaOpened, timeout=10000):
        player.open(clip)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    player.seek(1.7)
    with qtbot.waitSignal(player.stateChanged, timeout=5000, check_params_cb=lambda playing: not playing):
        player.play()
    qtbot.waitUntil(lambda: shown[-1][0] == FRAMES - 1, timeout=5000)
    assert player.frame_number == FRAMES - 1 and not player.is_playing


def test_player_reports_a_broken_file(qtbot, player: VideoPlayer, tmp_path: Path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    with qtbot.waitSignal(player.error, timeout=10000) as err:
        player.open(bad)
    assert isinstance(err.args[0], MediaError)
    assert str(err.args[0]).startswith("broken.mp4: ")


def test_immediate_bridge_delivers_synchronously(qtbot, clip: Path):
    player = VideoPlayer(bridge=WorkerBridge(immediate=True), max_side=80)
    shown = _collect(player)
    player.open(clip)
    assert shown == [(0, 0.0)]
    player.step(3)
    assert shown[-1] == (3, pytest.approx(0.3))
    player.close()
    assert not player.bridge.running


def test_pil_to_qimage_owns_its_pixels():
    img = Image.new("RGB", (7, 3), (10, 200, 30))  # odd width: rows are not 4-byte aligned
    q = pil_to_qimage(img)
    del img
    assert (q.width(), q.height()) == (7, 3)
    assert q.pixelColor(6, 2).getRgb()[:3] == (10, 200, 30)
    assert pil_to_qimage(Image.new("L", (4, 4), 255)).pixelColor(0, 0).getRgb()[:3] == (255, 255, 255)


def test_emitting_signals_does_not_leak_references_to_true(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to True per emit; the player emits a lot."""
    ensure_signal_emit_fix()
    timeline = Timeline()
    before = sys.getrefcount(True)
    for _ in range(5000):
        timeline.seekRequested.emit(1.0)
    assert sys.getrefcount(True) > before - 50  # unfixed: 5000 fewer
