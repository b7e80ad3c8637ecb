"""PinterestClient over real HTTP against the fake Pinterest v5 (schema-validated), real ApiSession."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from studio.publish.errors import InvalidRequest, PermissionMissing, ReconnectNeeded
from studio.publish.http import ApiSession, make_session
from studio.publish.pinterest import CarouselImage, MediaFailed, PinterestClient, encode_image
from tests.fakes.s3 import make_jpeg

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 8192


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session(fake_pinterest, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> ApiSession:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STUDIO_PINTEREST_BASE_URL", fake_pinterest.url)
    monkeypatch.setenv("STUDIO_PINTEREST_SANDBOX_BASE_URL", "http://127.0.0.1:9")  # never used unless sandbox
    return make_session("pinterest", account="pin:demo", sleep=sleeps.append)


@pytest.fixture
def client(session: ApiSession, fake_pinterest) -> PinterestClient:  # type: ignore[no-untyped-def]
    return PinterestClient(session, fake_pinterest.access_token)


@pytest.fixture
def board(fake_pinterest) -> str:  # type: ignore[no-untyped-def]
    return str(fake_pinterest.add_board("Summer looks"))


def test_list_boards_follows_bookmarks(client: PinterestClient, fake_pinterest) -> None:  # type: ignore[no-untyped-def]
    for n in range(260):
        fake_pinterest.add_board(f"Board {n:03d}", privacy="SECRET" if n % 2 else "PUBLIC")
    boards = client.list_boards()
    assert [b.name for b in boards] == [f"Board {n:03d}" for n in range(260)]
    calls = fake_pinterest.requests_to("GET", r"^/v5/boards$")
    assert len(calls) == 2 and "bookmark" not in calls[0].query and calls[1].query["bookmark"]
    assert calls[0].query["page_size"] == "250"
    assert {b.privacy for b in boards} == {"PUBLIC", "SECRET"}
    assert len(client.list_boards(privacy="SECRET")) == 130


def test_create_board_and_section_then_list_them(client: PinterestClient, fake_pinterest) -> None:  # type: ignore[no-untyped-def]
    created = client.create_board("Linen", "Breathable summer pieces", privacy="PROTECTED")
    assert created.id.isdigit() and created.name == "Linen" and created.privacy == "PROTECTED"
    assert [b.id for b in client.list_boards()] == [created.id]
    section = client.create_section(created.id, "Shirts")
    assert section.name == "Shirts"
    for n in range(3):
        fake_pinterest.add_section(created.id, f"Extra {n}")
    assert [s.name for s in client.list_sections(created.id)] == ["Shirts", "Extra 0", "Extra 1", "Extra 2"]


def test_image_pin_by_url_in_a_section(client: PinterestClient, fake_pinterest, fake_s3, board: str) -> None:  # type: ignore[no-untyped-def]
    section = client.create_section(board, "Tops")
    url = fake_s3.put_jpeg("pin.jpg", (1000, 1500))
    pin = client.create_image_pin(
        board,
        image_url=url,
        title="Linen shirt",
        description="Washed linen, five colours",
        link="https://shop.example/p/linen?utm_source=pinterest",
        alt_text="A blue linen shirt",
        board_section_id=section.id,
    )
    [stored] = fake_pinterest.pins
    assert stored["id"] == pin.id and stored["board_section_id"] == section.id
    assert stored["media_source"] == {"source_type": "image_url", "url": url}
    assert pin.link == "https://shop.example/p/linen?utm_source=pinterest"
    assert pin.url == f"https://www.pinterest.com/pin/{pin.id}/"
    assert client.get_pin(pin.id).title == "Linen shirt"


def test_image_pin_from_base64_and_carousel(
    client: PinterestClient, fake_pinterest, fake_s3, board: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_jpeg((600, 900)))
    ctype, data = encode_image(photo)
    client.create_image_pin(board, image_base64=data, content_type=ctype, title="Inline")
    urls = [fake_s3.put_jpeg(f"c{n}.jpg", (1000, 1000)) for n in range(3)]
    carousel = client.create_carousel_pin(
        board,
        [CarouselImage(url=u, title=f"Slide {n}", link="https://shop.example/") for n, u in enumerate(urls)],
        title="Three colours",
    )
    assert [p["creative_type"] for p in fake_pinterest.pins] == ["REGULAR", "CAROUSEL"]
    assert fake_pinterest.pins[1]["id"] == carousel.id
    assert [i["url"] for i in fake_pinterest.pins[1]["media_source"]["items"]] == urls
    b64 = base64.b64encode(make_jpeg((500, 500))).decode()
    client.create_carousel_pin(board, [CarouselImage(data=b64), CarouselImage(data=b64)])
    assert fake_pinterest.pins[2]["media_source"]["source_type"] == "multiple_image_base64"


def test_video_pin_upload_flow_with_status_polling(
    client: PinterestClient, fake_pinterest, board: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fake_pinterest.media_polls = 3
    video = tmp_path / "clip.mp4"
    video.write_bytes(MP4)
    upload = client.register_media_upload()
    assert upload.media_id.isdigit() and upload.upload_url.startswith(fake_pinterest.url)
    assert "x-amz-signature" in upload.upload_parameters
    client.upload_media(upload.upload_url, upload.upload_parameters, video)
    assert client.media_status(upload.media_id).status == "processing"
    polls: list[float] = []
    status = client.wait_for_media(upload.media_id, poll=2, timeout=60, sleep=polls.append)
    assert status.succeeded and len(polls) >= 2
    pin = client.create_video_pin(board, upload.media_id, cover_image_key_frame_time=1, title="Clip")
    [stored] = fake_pinterest.pins
    assert stored["id"] == pin.id and stored["creative_type"] == "VIDEO"
    # the S3-style upload carried no Pinterest token
    [form_post] = fake_pinterest.requests_to("POST", r"^/media-upload/")
    assert "authorization" not in form_post.headers
    assert form_post.files["file"].data == MP4 and form_post.form["key"] == upload.upload_parameters["key"]


def test_failed_video_processing(client: PinterestClient, fake_pinterest) -> None:  # type: ignore[no-untyped-def]
    upload = client.register_media_upload()
    client.upload_media(upload.upload_url, upload.upload_parameters, b"not a video at all")
    with pytest.raises(MediaFailed):
        client.wait_for_media(upload.media_id, poll=0, sleep=lambda s: None)


def test_sandbox_host_is_selectable(
    fake_pinterest, fake_pinterest_sandbox, fake_s3, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STUDIO_PINTEREST_BASE_URL", fake_pinterest.url)
    monkeypatch.setenv("STUDIO_PINTEREST_SANDBOX_BASE_URL", fake_pinterest_sandbox.url)
    fake_pinterest.trial = True  # a Trial app: production refuses Pins
    fake_pinterest_sandbox.tokens[fake_pinterest.access_token] = fake_pinterest_sandbox.tokens[
        fake_pinterest_sandbox.access_token
    ]
    session = make_session("pinterest", sleep=lambda s: None)
    url = fake_s3.put_jpeg("s.jpg")
    production = PinterestClient(session, fake_pinterest.access_token)
    with pytest.raises(PermissionMissing, match="sandbox"):
        production.create_image_pin(fake_pinterest.add_board("Prod"), image_url=url)
    sandbox = PinterestClient(session, fake_pinterest.access_token, sandbox=True)
    assert sandbox.base == f"{fake_pinterest_sandbox.url}/v5"
    pin = sandbox.create_image_pin(fake_pinterest_sandbox.add_board("Sandbox"), image_url=url, title="Trial")
    assert [p["id"] for p in fake_pinterest_sandbox.pins] == [pin.id]
    assert fake_pinterest.pins == []


def test_429_with_retry_after_is_retried_on_safe_calls(
    client: PinterestClient, fake_pinterest, sleeps: list[float]
) -> None:  # type: ignore[no-untyped-def]
    fake_pinterest.add_board("One")
    fake_pinterest.fail_next(1, status=429, headers={"Retry-After": "3"}, path=r"^/v5/boards$", method="GET")
    assert [b.name for b in client.list_boards()] == ["One"]
    assert any(s >= 3 for s in sleeps)
    fake_pinterest.fail_next(1, status=429, headers={"Retry-After": "2"}, path=r"^/v5/media$", method="POST")
    upload = client.register_media_upload()
    assert list(fake_pinterest.media) == [upload.media_id]  # the throttled call created nothing


def test_429_on_pin_creation_is_retried_and_the_pin_exists_once(  # type: ignore[no-untyped-def]
    client: PinterestClient, fake_pinterest, fake_s3, board: str, sleeps: list[float]
) -> None:
    url = fake_s3.put_jpeg("r.jpg")
    fake_pinterest.fail_next(1, status=429, headers={"Retry-After": "1"}, path=r"^/v5/pins$", method="POST")
    pin = client.create_image_pin(board, image_url=url, title="Once")  # refused before processing: resent
    assert [p["id"] for p in fake_pinterest.pins] == [pin.id]
    assert any(s >= 1 for s in sleeps)


def test_expired_token_means_reconnect(client: PinterestClient, fake_pinterest, sleeps: list[float]) -> None:  # type: ignore[no-untyped-def]
    fake_pinterest.expire_token(fake_pinterest.access_token)
    with pytest.raises(ReconnectNeeded) as info:
        client.list_boards()
    assert len(fake_pinterest.requests) == 1 and sleeps == []
    assert fake_pinterest.access_token not in str(info.value)


LOCAL_CASES: list[tuple[Any, str]] = [
    (lambda c: c.create_image_pin("1", image_url="https://x/i.jpg", title="t" * 101), "title"),
    (lambda c: c.create_image_pin("1", image_url="https://x/i.jpg", description="d" * 801), "description"),
    (lambda c: c.create_image_pin("1", image_url="https://x/i.jpg", alt_text="a" * 501), "alt_text"),
    (lambda c: c.create_image_pin("1", image_url="https://x/i.jpg", link="https://x/" + "l" * 2040), "link"),
    (lambda c: c.create_image_pin("1", image_url="https://x/i.jpg", link="javascript:alert(1)"), "link"),
    (lambda c: c.create_image_pin("board-1", image_url="https://x/i.jpg"), "board_id"),
    (lambda c: c.create_image_pin("1"), "media_source"),
    (lambda c: c.create_image_pin("1", image_base64="not base64!"), "image_base64"),
    (lambda c: c.create_image_pin("1", image_base64="QUJD", content_type="image/gif"), "content_type"),
    (lambda c: c.create_carousel_pin("1", ["https://x/1.jpg"]), "media_source.items"),
    (lambda c: c.create_carousel_pin("1", [f"https://x/{n}.jpg" for n in range(6)]), "media_source.items"),
    (
        lambda c: c.create_carousel_pin(
            "1", [CarouselImage(url="https://x/1.jpg"), CarouselImage(data="QUJD")]
        ),
        "media_source.items",
    ),
    (lambda c: c.create_video_pin("1", "2"), "media_source.cover_image_url"),
    (lambda c: c.create_section("1", "s" * 181), "name"),
    (lambda c: c.create_board("  "), "name"),
    (lambda c: c.create_board("x", privacy="FRIENDS"), "privacy"),
]


def test_field_limits_are_enforced_locally(client: PinterestClient, fake_pinterest) -> None:  # type: ignore[no-untyped-def]
    for n, (call, field) in enumerate(LOCAL_CASES):
        with pytest.raises(InvalidRequest) as info:
            call(client)
        assert info.value.field == field, n
        assert info.value.platform == "pinterest"
    assert fake_pinterest.requests == []
