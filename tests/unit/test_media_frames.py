"""FrameSource: frame-accurate decoding, cheap sequential reads, the byte-bounded cache, damage.

Every clip is encoded by conftest's `encode_video`, whose frame n shows n in binary, so "frame(n)
is frame n" is checked on the pixels, not on timestamps.
"""

from __future__ import annotations

import random
import threading

import pytest
from conftest import has_encoder, read_index, write_bytes

from studio.core.errors import MediaError
from studio.media.frames import FrameSource

needs_h264 = pytest.mark.skipif(not has_encoder("libx264"), reason="bundled FFmpeg has no libx264 encoder")


@pytest.fixture
def long_clip(sources):
    """2 s, 50 frames at 25 fps, H.264 with B-frames and several keyframes."""
    return sources.long_mp4()


@needs_h264
def test_facts_and_time_index_round_trip(long_clip):
    with FrameSource(long_clip) as src:
        assert (src.frame_count, src.fps, src.width, src.height, src.rotation) == (50, 25.0, 320, 240, 0)
        assert src.duration == pytest.approx(2.0, abs=0.05)
        for n in range(50):
            assert src.time_of(n) == pytest.approx(n / 25)
            assert src.frame_index(src.time_of(n)) == n
            assert src.frame_index(src.time_of(n) + 0.039) == n  # still on screen just before n+1
        assert src.frame_index(-3.0) == 0
        assert src.frame_index(99.0) == 49
        assert src.time_of(500) == src.time_of(49)
        assert len(src.keyframe_indices) > 1  # the test below really crosses keyframes


@needs_h264
def test_random_access_is_frame_accurate_backwards_and_forwards(long_clip):
    rng = random.Random(7)
    order = [rng.randrange(50) for _ in range(60)] + [49, 0, 48, 1, 25, 24, 26, 12, 11, 13]
    with FrameSource(long_clip, cache_bytes=0) as src:  # no cache: every read really decodes
        for n in order:
            assert read_index(src.frame(n)) == n, n
        assert src.seek_count > 1


@needs_h264
def test_sequential_reads_do_not_seek_again(long_clip):
    with FrameSource(long_clip, cache_bytes=0) as src:
        assert read_index(src.frame(3)) == 3
        seeks, decoded = src.seek_count, src.decoded_count
        for n in range(4, 50):
            assert read_index(src.frame(n)) == n
        assert src.seek_count == seeks  # playback decodes on, across keyframes, never seeks
        assert src.decoded_count - decoded == 46  # exactly one decode per frame
        # skipping a few frames ahead inside the reach of the decoder does not seek either
        assert read_index(src.frame(10)) == 10
        seeks = src.seek_count
        assert read_index(src.frame(13)) == 13
        assert src.seek_count == seeks
        # going back must seek (and still be right)
        assert read_index(src.frame(5)) == 5
        assert src.seek_count == seeks + 1


@needs_h264
def test_cache_hits_and_byte_bound(long_clip):
    frame_bytes = 320 * 240 * 3
    with FrameSource(long_clip, cache_bytes=3 * frame_bytes) as src:
        first = src.frame(20)
        decoded = src.decoded_count
        assert src.frame(20) is first and src.decoded_count == decoded
        for n in (21, 22, 23, 24):
            src.frame(n)
        assert src.cache_bytes <= 3 * frame_bytes
        assert not src.is_cached(20) and src.is_cached(24)  # least recently used went first
        small = src.frame(24, max_side=80)
        assert max(small.size) == 80 and read_index(small) == 24
        assert src.is_cached(24, max_side=80)


@needs_h264
def test_prefetch_fills_the_neighbourhood(long_clip):
    with FrameSource(long_clip) as src:
        made = src.prefetch(30, 6, max_side=160)
        assert made >= 13
        assert all(src.is_cached(n, max_side=160) for n in range(24, 37))
        decoded = src.decoded_count
        for n in range(24, 37):
            assert read_index(src.frame(n, max_side=160)) == n
        assert src.decoded_count == decoded
        # a stop request is honoured between frames
        calls = []

        def stop() -> bool:
            calls.append(1)
            return len(calls) > 2

        src.clear_cache()
        src.prefetch(10, 8, should_stop=stop)
        assert sum(src.is_cached(n) for n in range(2, 19)) < 17


@needs_h264
def test_threads_share_one_source(long_clip):
    errors: list[str] = []
    with FrameSource(long_clip, cache_bytes=4 * 320 * 240 * 3) as src:

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(20):
                n = rng.randrange(50)
                got = read_index(src.frame(n))
                if got != n:
                    errors.append(f"{n} -> {got}")

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


@needs_h264
def test_rotated_clip_comes_back_upright(sources):
    path = sources.video("frames-rot-90.mov", rotation_ccw=-90, acodec=None, frames=5)
    with FrameSource(path) as src:
        assert (src.width, src.height, src.rotation) == (240, 320, 90)
        img = src.frame(3)  # bits 00000011: the stored right edge is lit, now the bottom edge
        assert img.size == (240, 320)
        lit = img.convert("L").getpixel
        assert lit((120, 317)) > 128 and lit((120, 3)) < 128
        assert max(src.frame(3, max_side=100).size) == 100


@pytest.mark.skipif(not has_encoder("libvpx"), reason="no VP8 encoder in this FFmpeg")
def test_webm_is_frame_accurate(sources):
    path = sources.video(
        "frames.webm", vcodec="libvpx", acodec=None, frames=40, options={"deadline": "realtime"}
    )
    with FrameSource(path, cache_bytes=0) as src:
        assert src.frame_count == 40
        for n in (39, 5, 20, 0, 21, 22, 11, 38):
            assert read_index(src.frame(n)) == n


@needs_h264
def test_truncated_and_garbage_files_are_clear_errors(long_clip, tmp_path):
    data = long_clip.read_bytes()
    half = write_bytes(tmp_path / "half.mp4", data[: len(data) // 2])
    with pytest.raises(MediaError) as err:
        FrameSource(half)
    assert str(err.value).startswith("half.mp4: ") and "truncated" in str(err.value)
    junk = write_bytes(tmp_path / "junk.mp4", b"not a video\n" * 100)
    with pytest.raises(MediaError, match=r"^junk\.mp4: "):
        FrameSource(junk)


@needs_h264
def test_closed_source_says_so(long_clip):
    src = FrameSource(long_clip)
    src.close()
    src.close()  # idempotent
    with pytest.raises(MediaError, match="closed"):
        src.frame(0)


@needs_h264
def test_damage_in_the_middle_is_reported_per_frame(long_clip, tmp_path):
    """Garbage over part of the picture data: frames before it still decode exactly, the damaged
    ones raise a MediaError naming the file (never a crash, a hang or a bare FFmpeg error)."""
    data = bytearray(long_clip.read_bytes())
    rng = random.Random(0)
    start = len(data) // 4
    data[start : start + len(data) // 3] = bytes(rng.randrange(256) for _ in range(len(data) // 3))
    bad = write_bytes(tmp_path / "damaged.mp4", bytes(data))
    try:
        src = FrameSource(bad, cache_bytes=0)
    except MediaError as err:  # the demuxer may already refuse it: also a fine answer
        assert str(err).startswith("damaged.mp4: ")
        return
    with src:
        for n in [*range(50), 10, 0, 40]:
            try:
                src.frame(n)
            except MediaError as err:
                assert str(err).startswith("damaged.mp4: ")
        assert read_index(src.frame(0)) == 0 and read_index(src.frame(2)) == 2
