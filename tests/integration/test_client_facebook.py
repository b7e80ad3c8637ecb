"""FacebookPageClient over real HTTP against the fake Graph API (Pages) with the real ApiSession."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio.publish.errors import InvalidRequest, ReconnectNeeded
from studio.publish.facebook import FacebookPageClient, schedule_timestamp
from studio.publish.http import ApiSession, make_session
from tests.fakes.s3 import make_jpeg

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4096


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session(fake_graph, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> ApiSession:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", fake_graph.url)
    monkeypatch.setenv("STUDIO_RUPLOAD_BASE_URL", fake_graph.url)
    return make_session("facebook", account="fb:page", sleep=sleeps.append)


@pytest.fixture
def page(session: ApiSession, fake_graph) -> FacebookPageClient:  # type: ignore[no-untyped-def]
    return FacebookPageClient(session, fake_graph.page_id, fake_graph.page_token)


def test_photo_post_by_url_then_permalink(page: FacebookPageClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    url = fake_s3.put_jpeg("fb.jpg")
    result = page.create_photo_post(url, "New linen shirts")
    assert result.post_id
    [post] = fake_graph.published_on("facebook")
    assert post.id == result.post_id and post.caption == "New linen shirts" and post.kind == "photo"
    assert page.permalink(result.post_id) == post.permalink
    sent = fake_graph.requests_to("POST", r"/photos$")[0]
    assert sent.params["access_token"] == fake_graph.page_token and sent.params["published"] == "true"


def test_photo_post_from_a_local_file(page: FacebookPageClient, fake_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "p.jpg"
    photo.write_bytes(make_jpeg((800, 800)))
    result = page.create_photo_post(path=photo, caption="From disk")
    assert [p.id for p in fake_graph.published_on("facebook")] == [result.post_id]
    assert "source" in fake_graph.requests_to("POST", r"/photos$")[0].files


def test_multi_photo_post(page: FacebookPageClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    urls = [fake_s3.put_jpeg(f"m{n}.jpg") for n in range(3)]
    photo_ids = [page.upload_unpublished_photo(u) for u in urls]
    assert fake_graph.published == []  # unpublished photos are invisible
    post_id = page.create_multi_photo_post(photo_ids, "Three colours")
    [post] = fake_graph.published_on("facebook")
    assert post.id == post_id and post.attached_media == photo_ids and post.caption == "Three colours"
    sent = fake_graph.requests_to("POST", r"/feed$")[0].params
    assert json.loads(sent["attached_media"]) == [{"media_fbid": i} for i in photo_ids]


def test_native_scheduling_inside_the_window(page: FacebookPageClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    when = datetime.now(UTC) + timedelta(days=2)
    photo_ids = [page.upload_unpublished_photo(fake_s3.put_jpeg(f"s{n}.jpg")) for n in range(2)]
    page.create_multi_photo_post(photo_ids, "Later", scheduled_publish_time=when)
    [post] = fake_graph.published_on("facebook")
    assert post.scheduled_publish_time == int(when.timestamp())
    single = page.create_photo_post(
        fake_s3.put_jpeg("s.jpg"), "Later too", scheduled_publish_time=when.timestamp()
    )
    assert single.post_id is None  # scheduled photos answer with the photo id only
    assert fake_graph.requests_to("POST", r"/photos$")[-1].params["published"] == "false"


def test_schedule_outside_the_window_is_refused_locally(page: FacebookPageClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    for bad in (now + 60, now + 30 * 86400, now - 10):
        with pytest.raises(InvalidRequest) as info:
            page.create_multi_photo_post(["1", "2"], "x", scheduled_publish_time=bad)
        assert info.value.field == "scheduled_publish_time"
    with pytest.raises(InvalidRequest, match="time zone"):
        schedule_timestamp(datetime.now() + timedelta(days=1))  # naive datetimes are ambiguous
    assert schedule_timestamp(now + 3600, now=now) == int(now + 3600)
    with pytest.raises(InvalidRequest):
        page.create_multi_photo_post([], "no photos")
    assert fake_graph.requests == []


def test_reel_start_upload_status_publish(page: FacebookPageClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    upload = page.start_reel_upload()
    assert upload.upload_url.startswith(fake_graph.url + "/video-upload/")
    assert page.upload_reel(upload.video_id, MP4) == {"success": True}
    statuses = [page.video_status(upload.video_id) for _ in range(4)]
    assert statuses[0].bytes_transferred == len(MP4)
    assert statuses[-1].ready and not statuses[-1].failed
    assert page.publish_reel(upload.video_id, description="Behind the scenes")["success"] is True
    [post] = fake_graph.published_on("facebook")
    assert post.kind == "reel" and post.caption == "Behind the scenes"
    rupload = fake_graph.requests_to("POST", r"/video-upload/")[0]
    assert rupload.header("authorization") == f"OAuth {fake_graph.page_token}"


def test_feed_video_from_local_file(page: FacebookPageClient, fake_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "v.mp4"
    video.write_bytes(MP4)
    video_id = page.create_video_post(path=video, description="A video", title="Video")
    [post] = fake_graph.published_on("facebook")
    assert post.kind == "video" and post.attached_media == [video_id]


def test_expired_page_token_means_reconnect(page: FacebookPageClient, fake_graph, fake_s3, sleeps) -> None:  # type: ignore[no-untyped-def]
    url = fake_s3.put_jpeg("x.jpg")
    fake_graph.expire_token(fake_graph.page_token)
    with pytest.raises(ReconnectNeeded) as info:
        page.create_photo_post(url, "x")
    assert len(fake_graph.requests) == 1 and sleeps == []
    assert fake_graph.page_token not in str(info.value)
    assert fake_graph.published == []


def test_reel_upload_resumes_from_the_reported_offset(
    page: FacebookPageClient, fake_graph, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "reel.mp4"
    video.write_bytes(MP4 * 4)
    upload = page.start_reel_upload()
    page.upload_reel(upload.video_id, video.read_bytes()[:1000])  # an interrupted first attempt
    fake_graph.videos[upload.video_id].file_size = None  # the fake learns the real size from the next call
    done = page.video_status(upload.video_id).bytes_transferred
    assert done == 1000
    page.upload_reel(upload.video_id, video, offset=done)
    sent = fake_graph.requests_to("POST", r"/video-upload/")[-1]
    assert sent.header("offset") == "1000" and sent.body == video.read_bytes()[1000:]
    assert fake_graph.videos[upload.video_id].received == video.stat().st_size
