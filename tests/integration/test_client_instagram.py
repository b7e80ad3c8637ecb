"""InstagramClient end to end over real HTTP: fake Graph API + moto S3 on 127.0.0.1, real ApiSession."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from studio.core.model import Tag
from studio.publish.errors import InvalidRequest, ReconnectNeeded
from studio.publish.http import ApiSession, make_session
from studio.publish.instagram import (
    ContainerCode,
    ContainerFailed,
    InstagramClient,
    ProductTag,
    UserTag,
    product_tags_from_studio,
)
from studio.publish.media_host import S3MediaHost
from tests.fakes.s3 import make_jpeg

#: A minimal MP4 header ("ftyp" box) is what the fake checks for a video.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4096


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session(fake_graph, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> ApiSession:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", fake_graph.url)
    monkeypatch.setenv("STUDIO_RUPLOAD_BASE_URL", fake_graph.url)
    return make_session("instagram", account="ig:demo", sleep=sleeps.append)


@pytest.fixture
def client(session: ApiSession, fake_graph) -> InstagramClient:  # type: ignore[no-untyped-def]
    return InstagramClient(session, fake_graph.ig_user_id, fake_graph.user_token)


@pytest.fixture
def host(fake_s3) -> S3MediaHost:  # type: ignore[no-untyped-def]
    return S3MediaHost(
        fake_s3.endpoint_url, fake_s3.bucket, fake_s3.access_key, fake_s3.secret_key, fake_s3.region
    )


def write_jpeg(tmp_path: Path, name: str, size: tuple[int, int] = (1080, 1350)) -> Path:
    path = tmp_path / name
    path.write_bytes(make_jpeg(size))
    return path


def sent_params(fake: Any, path_regex: str) -> list[dict[str, Any]]:
    return [r.params for r in fake.requests_to("POST", path_regex)]


def test_single_image_with_product_tags_end_to_end(  # type: ignore[no-untyped-def]
    client: InstagramClient, host: S3MediaHost, fake_graph, fake_s3, tmp_path: Path
) -> None:
    photo = write_jpeg(tmp_path, "look.jpg")
    studio_tags = [
        Tag("t1", "prod-shirt", 0.25, 0.4),
        Tag("t2", "prod-bag", 0.7, 0.82, variant_id="var-bag-red"),
    ]
    id_map = {"prod-shirt": "3231775643511089", "var-bag-red": "7478222675582505", "prod-bag": "1"}
    tags = product_tags_from_studio(studio_tags, id_map)
    assert tags == [
        {"product_id": "3231775643511089", "x": 0.25, "y": 0.4},
        {"product_id": "7478222675582505", "x": 0.7, "y": 0.82},  # the variant wins over the product
    ]
    before = client.publishing_limit()
    with host.temporary() as uploads:
        url = uploads.upload(photo, "image/jpeg")
        container = client.create_image_container(
            url,
            caption="Linen season #linen",
            alt_text="A shirt and a bag",
            product_tags=tags,
            user_tags=[UserTag("@friend", 0.5, 0.5)],
            location_id="110843418940484",
        )
        status = client.wait_until_finished(container, poll=0, sleep=lambda s: None)
        assert status.code is ContainerCode.FINISHED
        media_id = client.publish(container)
        assert fake_s3.keys() != []  # still hosted while publishing
    assert fake_s3.keys() == []  # deleted right after
    link = client.permalink(media_id)

    assert [p.id for p in fake_graph.published] == [media_id]  # exactly one post
    post = fake_graph.published[0]
    assert post.caption == "Linen season #linen"
    assert [t["product_id"] for t in post.product_tags] == ["3231775643511089", "7478222675582505"]
    assert link == post.permalink and link.startswith("https://www.instagram.com/p/")
    assert client.container_status(container).code is ContainerCode.PUBLISHED
    after = client.publishing_limit()
    assert after.used == before.used + 1
    # the token travelled as access_token and the tags as JSON
    params = sent_params(fake_graph, r"/media$")[0]
    assert json.loads(params["product_tags"])[0] == {"product_id": "3231775643511089", "x": 0.25, "y": 0.4}
    assert json.loads(params["user_tags"]) == [{"username": "friend", "x": 0.5, "y": 0.5}]


def test_carousel_with_three_items(  # type: ignore[no-untyped-def]
    client: InstagramClient, host: S3MediaHost, fake_graph, tmp_path: Path
) -> None:
    fake_graph.carousel_polls = 2  # parent needs polling before FINISHED
    with host.temporary() as uploads:
        children = []
        for n in range(3):
            url = uploads.upload(write_jpeg(tmp_path, f"{n}.jpg", (1080, 1080)), "image/jpeg")
            tags = [ProductTag(f"90{n}{k}", 0.1 + 0.2 * k, 0.5) for k in range(n + 1)]
            children.append(client.create_image_container(url, product_tags=tags, is_carousel_item=True))
        parent = client.create_carousel_container(children, caption="Three looks", collaborators=["@partner"])
        polls: list[float] = []
        assert client.wait_until_finished(parent, poll=60, timeout=600, sleep=polls.append).ready
        assert polls  # it really had to wait
        media_id = client.publish(parent)
    [post] = fake_graph.published
    assert post.id == media_id and post.kind == "CAROUSEL" and post.caption == "Three looks"
    assert [c["container_id"] for c in post.children] == children
    assert len(post.product_tags) == 1 + 2 + 3
    assert sent_params(fake_graph, r"/media$")[-1]["children"] == ",".join(children)


def test_reel_product_tags_have_no_position_and_resumable_upload(client: InstagramClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    tags = product_tags_from_studio(
        [Tag("t", "p1", 0.3, 0.3), Tag("u", "p2", 0.6, 0.6)], {"p1": "11", "p2": "22"}, kind="reel"
    )
    assert tags == [{"product_id": "11"}, {"product_id": "22"}]
    container = client.create_reel_container(
        resumable=True, caption="New drop", product_tags=tags, share_to_feed=True
    )
    assert client.upload_uri(container).startswith(fake_graph.url + "/ig-api-upload/")
    assert client.upload_video(container, MP4)["success"] is True
    assert client.wait_until_finished(container, poll=1, timeout=30, sleep=lambda s: None).ready
    media_id = client.publish(container)
    [post] = fake_graph.published
    assert post.id == media_id and post.kind == "REELS"
    assert post.product_tags == [{"product_id": "11"}, {"product_id": "22"}]
    sent = sent_params(fake_graph, r"/media$")[0]
    assert sent["media_type"] == "REELS" and sent["upload_type"] == "resumable" and "video_url" not in sent
    assert all("x" not in t for t in json.loads(sent["product_tags"]))
    upload = fake_graph.requests_to("POST", r"/ig-api-upload/")[0]
    assert upload.header("authorization", "").startswith("OAuth ") and "access_token" not in upload.query
    assert upload.header("file_size") == str(len(MP4)) and upload.header("offset") == "0"


def test_reel_from_public_url(client: InstagramClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    url = fake_s3.put("reel.mp4", MP4, "video/mp4")
    container = client.create_reel_container(url, caption="Hosted", product_tags=[ProductTag("5")])
    assert client.wait_until_finished(container, poll=1, timeout=30, sleep=lambda s: None).ready
    client.publish(container)
    assert [p.kind for p in fake_graph.published] == ["REELS"]


def test_story_has_no_caption_or_tags(client: InstagramClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    url = fake_s3.put_jpeg("story.jpg", (1080, 1920))
    container = client.create_story_container(url)
    client.publish(client.wait_until_finished(container, poll=0, sleep=lambda s: None).id)
    assert [p.kind for p in fake_graph.published] == ["STORIES"]
    with pytest.raises(InvalidRequest):
        client.create_story_container(url, video_url="https://x.example/v.mp4")


LOCAL_LIMIT_CASES: list[tuple[Any, str]] = [
    (
        lambda c: c.create_image_container(
            "https://x/i.jpg", product_tags=[ProductTag(str(i), 0.5, 0.5) for i in range(21)]
        ),
        "product_tags",
    ),
    (
        lambda c: c.create_image_container(
            "https://x/i.jpg",
            is_carousel_item=True,
            product_tags=[ProductTag(str(i), 0.5, 0.5) for i in range(6)],
        ),
        "product_tags",
    ),
    (
        lambda c: c.create_reel_container(
            "https://x/v.mp4", product_tags=[ProductTag(str(i)) for i in range(31)]
        ),
        "product_tags",
    ),
    (
        lambda c: c.create_reel_container("https://x/v.mp4", product_tags=[ProductTag("1", 0.5, 0.5)]),
        "product_tags",
    ),
    (lambda c: c.create_image_container("https://x/i.jpg", product_tags=[ProductTag("1")]), "product_tags"),
    (
        lambda c: c.create_image_container("https://x/i.jpg", product_tags=[ProductTag("1", 1.2, 0.5)]),
        "product_tags",
    ),
    (
        lambda c: c.create_image_container(
            "https://x/i.jpg", product_tags=[ProductTag("1", 0.1, 0.1), ProductTag("1", 0.2, 0.2)]
        ),
        "product_tags",
    ),
    (
        lambda c: c.create_carousel_video_item(
            "https://x/v.mp4", product_tags=[ProductTag(str(i)) for i in range(6)]
        ),
        "product_tags",
    ),
    (lambda c: c.create_image_container("https://x/i.jpg", caption="#a " * 31), "caption"),
    (lambda c: c.create_image_container("https://x/i.jpg", caption="x" * 2201), "caption"),
    (
        lambda c: c.create_image_container("https://x/i.jpg", collaborators=["a", "b", "c", "d"]),
        "collaborators",
    ),
    (lambda c: c.create_image_container("https://x/i.jpg", caption="hi", is_carousel_item=True), "caption"),
    (lambda c: c.create_carousel_container(["1"]), "children"),
    (lambda c: c.create_carousel_container([str(i) for i in range(11)]), "children"),
]


def test_limits_are_enforced_locally_before_sending(client: InstagramClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    for n, (call, field) in enumerate(LOCAL_LIMIT_CASES):
        with pytest.raises(InvalidRequest) as info:
            call(client)
        assert info.value.field == field, n
        assert info.value.platform == "instagram"
    assert fake_graph.requests == []  # nothing was sent


def test_carousel_total_tag_limit_checked_before_the_parent_is_sent(  # type: ignore[no-untyped-def]
    client: InstagramClient, fake_graph, fake_s3
) -> None:
    url = fake_s3.put_jpeg("c.jpg", (1080, 1080))
    children = [
        client.create_image_container(
            url,
            is_carousel_item=True,
            product_tags=[ProductTag(f"{n}{k}", 0.5, 0.1 * (k + 1)) for k in range(5)],
        )
        for n in range(5)
    ]  # 25 tags in all, 5 per item (allowed per item)
    fake_graph.clear_log()
    with pytest.raises(InvalidRequest, match="25 product tags across the carousel"):
        client.create_carousel_container(children)
    assert fake_graph.requests == []


def test_studio_tags_for_unmapped_products_are_refused_not_dropped() -> None:
    with pytest.raises(InvalidRequest, match="prod-x") as info:
        product_tags_from_studio([Tag("t", "prod-x", 0.5, 0.5), Tag("u", "p", 0.5, 0.5)], {"p": "1"})
    assert info.value.field == "product_tags"
    with pytest.raises(InvalidRequest):
        product_tags_from_studio(
            [Tag(str(i), f"p{i}", 0.5, 0.5) for i in range(6)],
            {f"p{i}": str(i) for i in range(6)},
            kind="carousel_item",
        )


def test_quota_is_read_from_the_api(client: InstagramClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    fake_graph.quota_total = 37
    quota = client.publishing_limit()
    assert (quota.used, quota.total, quota.window, quota.remaining) == (0, 37, 86400, 37)
    assert (
        fake_graph.requests_to("GET", r"/content_publishing_limit$")[0].params["fields"]
        == "quota_usage,config"
    )


def test_container_error_raises_container_failed(client: InstagramClient, fake_graph, fake_s3) -> None:  # type: ignore[no-untyped-def]
    fake_graph.next_container_error("Error: The image could not be processed. 2207032")
    container = client.create_image_container(fake_s3.put_jpeg("e.jpg"))
    with pytest.raises(ContainerFailed, match="2207032") as info:
        client.wait_until_finished(container, poll=0, sleep=lambda s: None)
    assert not info.value.retryable
    assert fake_graph.published == []


def test_eligibility_and_catalog_search(client: InstagramClient, fake_graph) -> None:  # type: ignore[no-untyped-def]
    fake_graph.catalog = {"3231775643511089": "approved", "555": "rejected"}
    assert client.product_tag_eligibility() is True
    [catalog] = client.available_catalogs()
    found = client.catalog_product_search(catalog["catalog_id"])
    assert {(p.product_id, p.review_status) for p in found} == {
        ("3231775643511089", "approved"),
        ("555", "rejected"),
    }


def test_expired_token_means_reconnect_without_retrying(  # type: ignore[no-untyped-def]
    client: InstagramClient, fake_graph, sleeps: list[float]
) -> None:
    fake_graph.expire_token(fake_graph.user_token)
    with pytest.raises(ReconnectNeeded) as info:
        client.publishing_limit()
    assert len(fake_graph.requests) == 1 and sleeps == []
    assert fake_graph.user_token not in str(info.value)


def test_rate_limited_container_creation_is_retried_by_the_session(  # type: ignore[no-untyped-def]
    client: InstagramClient, fake_graph, fake_s3, sleeps: list[float]
) -> None:
    url = fake_s3.put_jpeg("r.jpg")
    fake_graph.fail_next(1, status=429, headers={"Retry-After": "2"}, path=r"/media$", method="POST")
    container = client.create_image_container(url)
    assert 2.0 in sleeps or any(s >= 2.0 for s in sleeps)
    client.publish(container)
    assert len(fake_graph.published) == 1


def test_resumable_upload_streams_a_file_and_survives_a_dropped_connection(  # type: ignore[no-untyped-def]
    client: InstagramClient, fake_graph, tmp_path: Path
) -> None:
    video = tmp_path / "reel.mp4"
    video.write_bytes(MP4 * 8)
    container = client.create_reel_container(resumable=True, caption="Big file")
    fake_graph.drop_next(1, path=r"/ig-api-upload/")  # lost before the fake read it: safe to resend
    assert client.upload_video(container, video)["success"] is True
    uploads = fake_graph.requests_to("POST", r"/ig-api-upload/")
    assert len(uploads) == 2 and uploads[-1].body == video.read_bytes()
    assert fake_graph.containers[container].received == video.stat().st_size
    with pytest.raises(InvalidRequest, match="offset"):
        client.upload_video(container, video, offset=10**9)
