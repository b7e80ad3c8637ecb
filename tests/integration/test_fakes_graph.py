"""The fake Graph API answers the documented shapes (publishing.md §1, §2) over real HTTP.

These raw `requests` calls pin the contract the Instagram/Facebook clients are tested against: if a
shape here drifts from the docs, every client test built on the fake would be wrong in the same way.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from tests.fakes.conftest_plugin import FakePlatforms
from tests.fakes.graph import FakeGraph
from tests.fakes.s3 import FakeS3, make_png

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2048  # enough of an MP4 header for the fake's sniffing


def post(g: FakeGraph, path: str, token: str | None = None, **params: Any) -> requests.Response:
    data = {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in params.items()}
    return requests.post(
        f"{g.url}/v26.0/{path}", data={**data, "access_token": token or g.user_token}, timeout=5
    )


def get(g: FakeGraph, path: str, token: str | None = None, **params: Any) -> requests.Response:
    return requests.get(
        f"{g.url}/v26.0/{path}", params={**params, "access_token": token or g.user_token}, timeout=5
    )


def error(resp: requests.Response) -> dict[str, Any]:
    assert resp.status_code >= 400, resp.text
    return resp.json()["error"]


def tags(n: int, xy: bool = True) -> list[dict[str, Any]]:
    return [{"product_id": str(1000 + i), **({"x": 0.5, "y": 0.25} if xy else {})} for i in range(n)]


def test_image_container_poll_publish_appears_once(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("p/1.jpg")
    resp = post(
        g,
        f"{g.ig_user_id}/media",
        image_url=url,
        caption="Linen #summer",
        alt_text="A shirt",
        product_tags=tags(2),
    )
    assert resp.status_code == 200, resp.text
    cid = resp.json()["id"]
    status = get(g, cid, fields="status_code,status").json()
    assert status["id"] == cid and status["status_code"] == "FINISHED"

    media_id = post(g, f"{g.ig_user_id}/media_publish", creation_id=cid).json()["id"]
    again = post(g, f"{g.ig_user_id}/media_publish", creation_id=cid)
    assert error(again)["code"] == 100 and "already been published" in error(again)["message"]

    assert [p.id for p in g.published_on("instagram")] == [media_id]
    assert g.published[0].product_tags == tags(2) and g.published[0].caption == "Linen #summer"
    assert get(g, cid, fields="status_code").json()["status_code"] == "PUBLISHED"
    media = get(g, media_id, fields="id,permalink").json()
    assert media["permalink"].startswith("https://www.instagram.com/p/")


def test_relaxed_product_tag_syntax_from_the_docs_is_accepted(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    resp = post(
        fake_graph,
        f"{fake_graph.ig_user_id}/media",
        image_url=fake_s3.put_jpeg("r.jpg"),
        product_tags="[{product_id:'3231775643511089',x:0.5,y:0.8}]",
    )
    assert resp.status_code == 200, resp.text
    assert fake_graph.containers[resp.json()["id"]].product_tags[0]["product_id"] == "3231775643511089"


def test_publishing_quota_is_read_and_enforced(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    g.quota_total = 2
    url = fake_s3.put_jpeg("q.jpg")
    for _ in range(2):
        cid = post(g, f"{g.ig_user_id}/media", image_url=url).json()["id"]
        assert post(g, f"{g.ig_user_id}/media_publish", creation_id=cid).status_code == 200
    limit = get(g, f"{g.ig_user_id}/content_publishing_limit", fields="quota_usage,config").json()
    assert limit == {"data": [{"quota_usage": 2, "config": {"quota_total": 2, "quota_duration": 86400}}]}
    cid = post(g, f"{g.ig_user_id}/media", image_url=url).json()["id"]
    err = error(post(g, f"{g.ig_user_id}/media_publish", creation_id=cid))
    assert (err["code"], err["error_subcode"]) == (9, 2207042)
    assert len(g.published) == 2


def test_product_tag_limits_and_positions(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("t.jpg")
    assert post(g, f"{g.ig_user_id}/media", image_url=url, product_tags=tags(20)).status_code == 200
    err = error(post(g, f"{g.ig_user_id}/media", image_url=url, product_tags=tags(21)))
    assert (err["code"], err["error_subcode"]) == (100, 2207040)
    err = error(
        post(g, f"{g.ig_user_id}/media", image_url=url, is_carousel_item="true", product_tags=tags(6))
    )
    assert err["error_subcode"] == 2207040
    assert post(g, f"{g.ig_user_id}/media", image_url=url, is_carousel_item="true", product_tags=tags(5)).ok
    err = error(post(g, f"{g.ig_user_id}/media", image_url=url, product_tags=tags(1, xy=False)))
    assert err["error_subcode"] == 2207036
    bad_xy = [{"product_id": "1", "x": 1.5, "y": 0.2}]
    assert error(post(g, f"{g.ig_user_id}/media", image_url=url, product_tags=bad_xy))["code"] == 100


def test_catalog_review_status_decides_taggable_products(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    g.catalog = {"111": "approved", "222": "rejected", "333": "pending"}
    url = fake_s3.put_jpeg("c.jpg")
    for pid, ok in (("111", True), ("333", True), ("222", False), ("999", False)):
        resp = post(
            g, f"{g.ig_user_id}/media", image_url=url, product_tags=[{"product_id": pid, "x": 0.1, "y": 0.1}]
        )
        assert resp.ok is ok, (pid, resp.text)
        if not ok:
            assert error(resp)["error_subcode"] == 2207037
    found = get(g, f"{g.ig_user_id}/catalog_product_search", catalog_id=g.catalog_id, q="111").json()["data"]
    assert [(p["product_id"], p["review_status"]) for p in found] == [(111, "approved")]


def test_reel_product_tags_without_positions_then_processing(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    video = fake_s3.put("v.mp4", MP4, "video/mp4")
    err = error(post(g, f"{g.ig_user_id}/media", media_type="REELS", video_url=video, product_tags=tags(1)))
    assert (err["code"], err["error_subcode"]) == (100, 2207035)
    err = error(
        post(g, f"{g.ig_user_id}/media", media_type="REELS", video_url=video, product_tags=tags(31, False))
    )
    assert err["error_subcode"] == 2207040
    resp = post(
        g,
        f"{g.ig_user_id}/media",
        media_type="REELS",
        video_url=video,
        caption="Reel",
        share_to_feed="true",
        product_tags=tags(30, xy=False),
    )
    assert resp.status_code == 200, resp.text
    cid = resp.json()["id"]
    early = error(post(g, f"{g.ig_user_id}/media_publish", creation_id=cid))
    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    seen = [get(g, cid, fields="status_code").json()["status_code"] for _ in range(g.video_polls + 1)]
    assert seen[0] == "IN_PROGRESS" and seen[-1] == "FINISHED"
    assert post(g, f"{g.ig_user_id}/media_publish", creation_id=cid).ok
    assert g.published[-1].kind == "REELS" and len(g.published[-1].product_tags) == 30


def test_container_error_and_bad_video(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    g.next_container_error("Error: The video format is not supported. 2207026")
    cid = post(g, f"{g.ig_user_id}/media", image_url=fake_s3.put_jpeg("e.jpg")).json()["id"]
    status = get(g, cid, fields="status_code,status").json()
    assert status["status_code"] == "ERROR" and "2207026" in status["status"]
    not_video = fake_s3.put("nv.mp4", b"not a video at all", "video/mp4")
    cid = post(g, f"{g.ig_user_id}/media", media_type="REELS", video_url=not_video).json()["id"]
    for _ in range(g.video_polls + 1):
        status = get(g, cid, fields="status_code,status").json()
    assert status["status_code"] == "ERROR" and "2207026" in status["status"]
    assert error(post(g, f"{g.ig_user_id}/media_publish", creation_id=cid))["code"] == 9007


def test_image_checks_follow_documented_errors(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    cases = {
        fake_s3.put("a.png", make_png(), "image/png"): (36001, 2207005),
        fake_s3.put_jpeg("big.jpg", pad_to=8 * 1024 * 1024 + 1): (36000, 2207004),
        fake_s3.put_jpeg("tall.jpg", size=(500, 1000)): (36003, 2207009),
        f"{fake_s3.endpoint_url}/{fake_s3.bucket}/missing.jpg": (9004, 2207052),
    }
    for url, (code, sub) in cases.items():
        err = error(post(g, f"{g.ig_user_id}/media", image_url=url))
        assert (err["code"], err["error_subcode"]) == (code, sub), url
        assert err["type"] == "OAuthException" and "fbtrace_id" in err and err["is_transient"] is False
    assert not g.containers


def test_carousel_flow_and_item_count(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("k.jpg")
    kids = [
        post(g, f"{g.ig_user_id}/media", image_url=url, is_carousel_item="true", product_tags=tags(5)).json()[
            "id"
        ]
        for _ in range(2)
    ]
    err = error(post(g, f"{g.ig_user_id}/media", media_type="CAROUSEL", children=kids[0]))
    assert err["error_subcode"] == 2207028
    err = error(post(g, f"{g.ig_user_id}/media", image_url=url, is_carousel_item="true", caption="no"))
    assert err["code"] == 100
    parent = post(g, f"{g.ig_user_id}/media", media_type="CAROUSEL", children=",".join(kids), caption="Two")
    assert parent.ok, parent.text
    assert error(post(g, f"{g.ig_user_id}/media_publish", creation_id=kids[0]))["code"] == 100
    assert post(g, f"{g.ig_user_id}/media_publish", creation_id=parent.json()["id"]).ok
    (pub,) = g.published
    assert pub.kind == "CAROUSEL" and len(pub.children) == 2 and len(pub.product_tags) == 10
    assert g.quota_usage() == 1  # a carousel counts as one post


def test_resumable_reel_upload(fake_graph: FakeGraph) -> None:
    g = fake_graph
    created = post(
        g, f"{g.ig_user_id}/media", media_type="REELS", upload_type="resumable", caption="R"
    ).json()
    assert created["uri"].endswith(f"/ig-api-upload/v26.0/{created['id']}")
    auth = {"Authorization": f"OAuth {g.user_token}"}
    part = requests.post(
        created["uri"], data=MP4[:100], headers={**auth, "offset": "0", "file_size": str(len(MP4))}
    )
    assert part.json() == {"success": True, "message": "Upload successful."}
    assert get(g, created["id"], fields="status_code").json()["status_code"] == "IN_PROGRESS"
    headers = {**auth, "file_size": str(len(MP4))}
    gap = requests.post(created["uri"], data=MP4[200:], headers={**headers, "offset": "200"}, timeout=5)
    assert gap.status_code == 400 and gap.json()["debug_info"]["type"] == "OffsetInvalidError"
    resend = requests.post(created["uri"], data=MP4[50:], headers={**headers, "offset": "50"}, timeout=5)
    assert resend.ok  # re-sending an already received range is how a client resumes
    assert g.containers[created["id"]].received == len(MP4)
    for _ in range(g.video_polls + 1):
        status = get(g, created["id"], fields="status_code").json()["status_code"]
    assert status == "FINISHED"


def test_expired_and_unknown_tokens_answer_190(fake_graph: FakeGraph) -> None:
    g = fake_graph
    g.expire_token(g.user_token)
    err = error(get(g, f"{g.ig_user_id}/content_publishing_limit"))
    assert (err["code"], err["error_subcode"], err["type"]) == (190, 463, "OAuthException")
    err = error(get(g, f"{g.ig_user_id}/content_publishing_limit", token="EAAnope"))
    assert err["code"] == 190


def test_injected_429_then_success(fake_graph: FakeGraph) -> None:
    g = fake_graph
    g.fail_next(1, status=429, headers={"Retry-After": "1"}, path="content_publishing_limit")
    first = get(g, f"{g.ig_user_id}/content_publishing_limit")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert error(first)["code"] == 4 and error(first)["is_transient"] is True
    assert get(g, f"{g.ig_user_id}/content_publishing_limit").ok
    assert [r.fault for r in g.requests] == ["fail", None]


def test_dropped_connection_and_timeout(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("d.jpg")
    g.drop_next(1, path="/media$")
    with pytest.raises(requests.ConnectionError):
        post(g, f"{g.ig_user_id}/media", image_url=url)
    assert not g.containers  # dropped before processing
    g.drop_next(1, after_processing=True, path="/media$")
    with pytest.raises(requests.ConnectionError):
        post(g, f"{g.ig_user_id}/media", image_url=url)
    assert len(g.containers) == 1  # the answer was lost, the container exists
    g.timeout_next(1, seconds=2.0, path="content_publishing_limit")
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{g.url}/v26.0/{g.ig_user_id}/content_publishing_limit",
            params={"access_token": g.user_token},
            timeout=0.3,
        )
    assert get(g, f"{g.ig_user_id}/content_publishing_limit").ok


def test_fail_rate_is_reproducible(fake_graph: FakeGraph) -> None:
    def run() -> list[int]:
        fake_graph.fail_rate(0.5, seed=7, statuses=(500, 503))
        return [get(fake_graph, "me").status_code for _ in range(12)]

    first, second = run(), run()
    fake_graph.fail_rate(0)
    assert first == second and {500, 503} & set(first) and 200 in first


def test_usage_headers(fake_graph: FakeGraph) -> None:
    g = fake_graph
    g.set_usage(call_count=95, total_cputime=20, total_time=30)
    resp = get(g, f"{g.page_id}", token=g.page_token, fields="name")
    assert json.loads(resp.headers["X-App-Usage"]) == {
        "call_count": 95,
        "total_cputime": 20,
        "total_time": 30,
    }
    buc = json.loads(resp.headers["X-Business-Use-Case-Usage"])
    assert buc[g.page_id][0]["type"] == "pages" and buc[g.page_id][0]["estimated_time_to_regain_access"] == 0


def test_oauth_code_exchange_and_accounts_paging(fake_graph: FakeGraph) -> None:
    g = fake_graph
    for i in range(3):
        g.add_page(f"20000000000000{i}", f"Page {i}")
    code = g.issue_code("http://127.0.0.1:5555/cb")
    base = {"client_id": g.app_id, "client_secret": g.app_secret}
    short = requests.get(
        f"{g.url}/v26.0/oauth/access_token",
        params={**base, "redirect_uri": "http://127.0.0.1:5555/cb", "code": code},
    ).json()
    assert short["token_type"] == "bearer" and short["expires_in"] > 0
    long = requests.get(
        f"{g.url}/v26.0/oauth/access_token",
        params={**base, "grant_type": "fb_exchange_token", "fb_exchange_token": short["access_token"]},
    ).json()
    token = long["access_token"]
    seen: list[dict[str, Any]] = []
    page = get(
        g, "me/accounts", token=token, fields="id,name,access_token,instagram_business_account", limit=2
    ).json()
    seen += page["data"]
    while "next" in page["paging"]:
        page = requests.get(page["paging"]["next"], params={"access_token": token}, timeout=5).json()
        seen += page["data"]
    assert [p["id"] for p in seen] == [g.page_id] + [f"20000000000000{i}" for i in range(3)]
    assert seen[0]["instagram_business_account"] == {"id": g.ig_user_id}
    assert seen[0]["access_token"] == g.page_token


def test_facebook_photo_multiphoto_and_schedule(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("fb.jpg")
    denied = post(g, f"{g.page_id}/photos", url=url, message="user token")
    assert denied.status_code == 403 and error(denied)["code"] == 200
    photo = post(g, f"{g.page_id}/photos", token=g.page_token, url=url, message="Hello").json()
    assert set(photo) == {"id", "post_id"} and photo["post_id"].startswith(f"{g.page_id}_")
    ids = [
        post(g, f"{g.page_id}/photos", token=g.page_token, url=url, published="false").json()["id"]
        for _ in "ab"
    ]
    feed = post(
        g,
        f"{g.page_id}/feed",
        token=g.page_token,
        message="Two photos",
        attached_media=[{"media_fbid": i} for i in ids],
    )
    assert feed.ok and feed.json()["id"].startswith(f"{g.page_id}_")
    reuse = post(g, f"{g.page_id}/feed", token=g.page_token, attached_media=[{"media_fbid": ids[0]}])
    assert error(reuse)["code"] == 100
    too_soon = post(
        g,
        f"{g.page_id}/feed",
        token=g.page_token,
        message="Soon",
        published="false",
        scheduled_publish_time=int(time.time()) + 60,
    )
    assert error(too_soon)["code"] == 100
    later = int(time.time()) + 3 * 86400
    ok = post(
        g,
        f"{g.page_id}/feed",
        token=g.page_token,
        message="Later",
        published="false",
        scheduled_publish_time=later,
    )
    assert ok.ok
    assert error(post(g, f"{g.page_id}/feed", token=g.page_token, message="Later"))["code"] == 506
    fb = g.published_on("facebook")
    assert [p.kind for p in fb] == ["photo", "feed", "feed"] and fb[1].attached_media == ids
    assert fb[2].scheduled_publish_time == later


def test_facebook_reel_upload_flow(fake_graph: FakeGraph) -> None:
    g = fake_graph
    start = post(g, f"{g.page_id}/video_reels", token=g.page_token, upload_phase="start").json()
    vid = start["video_id"]
    assert start["upload_url"].endswith(f"/video-upload/v26.0/{vid}")
    early = post(
        g,
        f"{g.page_id}/video_reels",
        token=g.page_token,
        upload_phase="finish",
        video_id=vid,
        video_state="PUBLISHED",
    )
    assert error(early)["code"] == 100
    up = requests.post(
        start["upload_url"],
        data=MP4,
        timeout=5,
        headers={"Authorization": f"OAuth {g.page_token}", "offset": "0", "file_size": str(len(MP4))},
    )
    assert up.json() == {"success": True}
    status = get(g, vid, token=g.page_token, fields="status").json()["status"]
    assert status["uploading_phase"] == {"status": "complete", "bytes_transfered": len(MP4)}
    done = post(
        g,
        f"{g.page_id}/video_reels",
        token=g.page_token,
        upload_phase="finish",
        video_id=vid,
        video_state="PUBLISHED",
        description="Reel",
    )
    assert done.json() == {"success": True}
    again = post(
        g,
        f"{g.page_id}/video_reels",
        token=g.page_token,
        upload_phase="finish",
        video_id=vid,
        video_state="PUBLISHED",
    )
    assert error(again)["code"] == 100
    assert [p.kind for p in g.published_on("facebook")] == ["reel"]


def test_lost_publish_answer_is_visible_for_reconciliation(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    cid = post(g, f"{g.ig_user_id}/media", image_url=fake_s3.put_jpeg("l.jpg"), caption="Once").json()["id"]
    g.drop_next(1, after_processing=True, path="media_publish")
    with pytest.raises(requests.ConnectionError):
        post(g, f"{g.ig_user_id}/media_publish", creation_id=cid)
    assert get(g, cid, fields="status_code").json()["status_code"] == "PUBLISHED"
    listed = get(g, f"{g.ig_user_id}/media", fields="id,caption,permalink,timestamp").json()["data"]
    assert [(m["id"], m["caption"]) for m in listed] == [(g.published[0].id, "Once")]
    assert error(post(g, f"{g.ig_user_id}/media_publish", creation_id=cid))["code"] == 100
    assert len(g.published) == 1


def test_page_post_listings_split_published_and_scheduled(fake_graph: FakeGraph) -> None:
    g = fake_graph
    post(g, f"{g.page_id}/feed", token=g.page_token, message="Now")
    post(
        g,
        f"{g.page_id}/feed",
        token=g.page_token,
        message="Later",
        published="false",
        scheduled_publish_time=int(time.time()) + 86400,
    )
    msgs = {
        edge: [p["message"] for p in get(g, f"{g.page_id}/{edge}", token=g.page_token).json()["data"]]
        for edge in ("feed", "published_posts", "scheduled_posts")
    }
    assert msgs == {"feed": ["Later", "Now"], "published_posts": ["Now"], "scheduled_posts": ["Later"]}


def test_fake_platforms_sets_the_client_overrides(fake_platforms: FakePlatforms) -> None:
    import os

    assert os.environ["STUDIO_GRAPH_BASE_URL"] == fake_platforms.graph.url
    assert os.environ["STUDIO_RUPLOAD_BASE_URL"] == fake_platforms.graph.url
    assert os.environ["STUDIO_PINTEREST_BASE_URL"] == fake_platforms.pinterest.url
    assert os.environ["STUDIO_PINTEREST_SANDBOX_BASE_URL"] == fake_platforms.pinterest_sandbox.url
    assert os.environ["AWS_ENDPOINT_URL_S3"] == fake_platforms.s3.endpoint_url


def test_fail_rate_lost_answers_still_process(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    url = fake_s3.put_jpeg("lost.jpg")
    g.fail_rate(1.0, seed=1, path="/media$", lost_answers=1.0)
    with pytest.raises(requests.ConnectionError):
        post(g, f"{g.ig_user_id}/media", image_url=url)
    g.fail_rate(0)
    assert len(g.containers) == 1 and g.requests[-1].fault == "drop"


def test_chunked_request_bodies_are_read(fake_graph: FakeGraph) -> None:
    g = fake_graph
    created = post(g, f"{g.ig_user_id}/media", media_type="REELS", upload_type="resumable").json()
    chunks = (MP4[i : i + 1000] for i in range(0, len(MP4), 1000))  # a generator → chunked encoding
    headers = {"Authorization": f"OAuth {g.user_token}", "offset": "0", "file_size": str(len(MP4))}
    assert requests.post(created["uri"], data=chunks, headers=headers, timeout=5).ok
    assert g.requests[-1].headers.get("transfer-encoding") == "chunked"
    assert g.containers[created["id"]].received == len(MP4)


def test_throttle_and_container_error_rate(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    g.throttle_next(1, code=80001, minutes=3, path="/photos$")
    throttled = post(g, f"{g.page_id}/photos", token=g.page_token, url="http://127.0.0.1:9/x.jpg")
    assert error(throttled)["code"] == 80001 and error(throttled)["is_transient"] is True
    buc = json.loads(throttled.headers["X-Business-Use-Case-Usage"])
    assert buc[g.page_id][0]["estimated_time_to_regain_access"] == 3
    assert json.loads(throttled.headers["X-App-Usage"])["call_count"] == 100

    g.container_error_rate(0.5, seed=3)
    url = fake_s3.put_jpeg("rate.jpg")
    ids = [post(g, f"{g.ig_user_id}/media", image_url=url).json()["id"] for _ in range(10)]
    codes = {get(g, cid, fields="status_code").json()["status_code"] for cid in ids}
    assert codes == {"ERROR", "FINISHED"}


def test_story_accepts_any_aspect_but_no_product_tags(fake_graph: FakeGraph, fake_s3: FakeS3) -> None:
    g = fake_graph
    tall = fake_s3.put_jpeg("story.jpg", size=(540, 960))
    err = error(post(g, f"{g.ig_user_id}/media", media_type="STORIES", image_url=tall, product_tags=tags(1)))
    assert err["code"] == 100
    cid = post(g, f"{g.ig_user_id}/media", media_type="STORIES", image_url=tall).json()["id"]
    assert post(g, f"{g.ig_user_id}/media_publish", creation_id=cid).ok
    assert g.published[0].kind == "STORIES"
