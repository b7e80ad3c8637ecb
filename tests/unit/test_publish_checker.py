"""Pre-publish checker (one test per rule, each with its fix) and the publish plan / dry-run (Qt-free)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from studio.core.model import Media, MediaKind, Post, Product, Project, Tag
from studio.core.platform_caps import caps
from studio.publish.checker import ERROR, INFO, WARNING, Finding, Quota, UploadFile, check, check_post
from studio.publish.fallback import FACEBOOK_LOGIN, INSTAGRAM_LOGIN, AccountInfo, decide
from studio.publish.plan import PublishPlan, build_plan, describe, describe_requests, resolve

IG = AccountInfo("instagram", "shop", login=FACEBOOK_LOGIN, product_tag_eligible=True)
ACCOUNTS: dict[str, AccountInfo | None] = {
    "instagram": IG,
    "facebook": AccountInfo("facebook", "page", login=FACEBOOK_LOGIN),
    "pinterest": AccountInfo("pinterest", "pins"),
}
QUOTA: dict[str, Quota | None] = {"instagram": Quota(used=3, total=50)}


class Catalog(dict[str, Product]):
    def get(self, key: str, default: Product | None = None) -> Product | None:  # type: ignore[override]
        return dict.get(self, key, default)


CAT = Catalog(
    {
        f"p{i}": Product(
            id=f"p{i}",
            title=f"Shirt {i}",
            price=Decimal("10"),
            currency="USD",
            url=f"https://shop.example/p{i}",
        )
        for i in range(10)
    }
)


def img(
    mid: str, w: int = 1080, h: int = 1350, *, path: str | None = None, size: int = 400_000, tags: int = 0
) -> Media:
    return Media(
        id=mid,
        path=path or f"media/{mid}.jpg",
        content_hash=f"h:{mid}",
        kind=MediaKind.IMAGE,
        width=w,
        height=h,
        size_bytes=size,
        name=f"{mid}.jpg",
        tags=[Tag(id=f"{mid}_t{i}", product_id=f"p{i}", x=0.5, y=0.5) for i in range(tags)],
    )


def vid(
    mid: str,
    duration: float = 10.0,
    *,
    codec: str = "h264",
    fps: float = 30.0,
    w: int = 1080,
    h: int = 1920,
    size: int = 5_000_000,
) -> Media:
    return Media(
        id=mid,
        path=f"media/{mid}.mp4",
        content_hash=f"h:{mid}",
        kind=MediaKind.VIDEO,
        width=w,
        height=h,
        size_bytes=size,
        duration=duration,
        fps=fps,
        codec=codec,
        name=f"{mid}.mp4",
    )


def run(
    media: list[Media],
    targets: list[str],
    *,
    caption: str = "Hello",
    settings: dict[str, Any] | None = None,
    accounts: Mapping[str, AccountInfo | None] | None = None,
    quota: Mapping[str, Quota | None] | None = None,
    **kw: Any,
) -> list[Finding]:
    project = Project(name="Spring", media=media)
    post = Post(
        id="post_9",
        media_ids=[m.id for m in media],
        caption=caption,
        platforms={t.split(".")[0]: dict((settings or {}).get(t.split(".")[0], {})) for t in targets},
    )
    return check_post(
        post,
        project,
        CAT,
        targets,
        accounts_info=ACCOUNTS if accounts is None else accounts,
        quota=QUOTA if quota is None else quota,
        approved=set(CAT),
        **kw,
    )


def only(findings: list[Finding], code: str) -> Finding:
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, [f.message for f in findings]
    return hits[0]


def codes(findings: list[Finding], severity: str = ERROR) -> set[str]:
    return {f.code for f in findings if f.severity == severity}


def test_a_good_post_has_no_error_and_reports_the_quota() -> None:
    findings = run([img("m1", tags=2)], ["instagram"])
    assert codes(findings) == set() and codes(findings, WARNING) == set()
    assert only(findings, "quota").message.endswith("47 of 50 posts left in the 24-hour quota")


def test_aspect_ratio_offers_a_rerender_at_the_closest_preset() -> None:
    f = only(run([img("m1", 1000, 2000)], ["instagram"]), "aspect_ratio")
    assert f.severity == ERROR and f.media_id == "m1" and f.media_name == "m1.jpg" and f.post_id == "post_9"
    assert f.fix == {"action": "rerender", "media_id": "m1", "preset": "instagram-portrait"}
    assert "Post post_9 → Instagram photo: item 1 “m1.jpg”: aspect ratio 0.50:1" in f.message
    assert "4:5 … 1.91:1" in f.message and "Fix: re-render with the instagram-portrait preset" in f.message
    wide = only(run([img("m1", 2000, 1000)], ["instagram"]), "aspect_ratio")
    assert wide.fix is not None and wide.fix["preset"] == "instagram-landscape"
    assert "aspect_ratio" not in codes(run([img("m1", 1080, 1351)], ["instagram"]))  # rounding tolerated


def test_format_resolution_and_size_of_the_file_that_will_be_uploaded() -> None:
    png = img("m1", path="media/m1.png")
    assert only(run([png], ["instagram"]), "image_format").fix == {
        "action": "rerender",
        "media_id": "m1",
        "preset": "instagram-portrait",
    }
    assert "image_format" not in codes(run([png], ["pinterest"], settings={"pinterest": {"board_id": "1"}}))
    small = only(run([img("m1", 300, 300)], ["instagram"]), "resolution")
    assert small.severity == ERROR and "at least 320 px" in small.message
    big = img("m1", size=9_500_000)
    f = only(run([big], ["instagram"]), "file_size")
    assert "9.5 MB" in f.message and f.fix is not None and f.fix["action"] == "rerender"
    # the export output is what gets uploaded: a small 4:5 JPEG render clears the source's problems
    out = UploadFile("export/m1.jpg", 1080, 1350, 700_000, "jpeg", preset="instagram-portrait")
    assert (
        codes(run([img("m1", 4000, 2000, size=9_500_000)], ["instagram"], uploads={("m1", "instagram"): out}))
        == set()
    )
    fb = only(run([img("m1", size=5_000_000)], ["facebook"]), "file_size")
    assert "UNCONFIRMED" in fb.message and fb.fix is not None and fb.fix["preset"] == "facebook-feed"


def test_video_duration_codec_fps_and_media_type() -> None:
    short = only(run([vid("v1", 2.0)], ["instagram"]), "video_duration")
    assert short.fix == {"action": "replace_media", "media_id": "v1", "min_s": 3.0}
    long = only(run([vid("v1", 1000.0)], ["instagram"]), "video_duration")
    assert long.fix == {"action": "trim_video", "media_id": "v1", "max_s": 900.0}
    assert only(run([vid("v1", 120.0)], ["facebook"]), "video_duration").fix == {
        "action": "trim_video",
        "media_id": "v1",
        "max_s": 90.0,
    }
    codec = only(run([vid("v1", codec="vp9")], ["instagram"]), "video_codec")
    assert codec.fix is not None and codec.fix["action"] == "transcode" and codec.fix["codec"] == "h264"
    fps = only(run([vid("v1", fps=15.0)], ["instagram"]), "video_fps")
    assert fps.fix is not None and fps.fix["fps"] == 30
    mixed = run([img("m1"), vid("v1")], ["facebook"])
    f = only(mixed, "media_type")
    assert (
        f.media_id == "v1" and f.fix == {"action": "remove_media", "media_id": "v1"} and "item 2" in f.message
    )


def test_item_count_and_same_dimensions_on_pinterest() -> None:
    six = [img(f"m{i}") for i in range(6)]
    f = only(run(six, ["pinterest"], settings={"pinterest": {"board_id": "1"}}), "item_count")
    assert f.fix == {"action": "remove_items", "keep": 5}
    two = [img("a"), img("b", 1000, 1500)]
    d = only(run(two, ["pinterest"], settings={"pinterest": {"board_id": "1"}}), "same_dimensions")
    assert d.fix == {"action": "rerender", "preset": "pinterest-standard", "media_ids": ["a", "b"]}


def test_tags_per_media_over_the_limit() -> None:
    findings = run([img("m1", tags=7), img("m2")], ["instagram"])
    f = only(findings, "tags_per_media")
    assert f.severity == WARNING and f.media_id == "m1"
    assert f.fix == {"action": "remove_tags", "media_id": "m1", "tag_ids": ["m1_t5", "m1_t6"], "keep": 5}
    assert codes(findings) == set()  # nothing lost: the extra two go to the fallback


def test_caption_hashtags_title_and_alt_text_lengths() -> None:
    f = only(run([img("m1")], ["instagram"], caption="x" * 2201), "caption_length")
    assert f.fix == {"action": "trim_caption", "field": "caption", "max_chars": 2200, "platform": "instagram"}
    # the product links the fallback appends count too
    linked = only(run([img("m1", tags=1)], ["facebook"], caption="x" * 63150), "caption_length")
    assert "with the product links" in linked.message and linked.fix is not None
    assert linked.fix["max_chars"] < 63206
    tags = only(
        run([img("m1")], ["instagram"], caption=" ".join(f"#t{i}" for i in range(31))), "hashtag_count"
    )
    assert tags.fix == {"action": "remove_hashtags", "max": 30}
    pin = {
        "pinterest": {"board_id": "1", "title": "t" * 101, "alt_text": "a" * 501, "link": "https://x.example"}
    }
    findings = run([img("m1")], ["pinterest"], settings=pin)
    assert only(findings, "title_length").fix == {
        "action": "trim_title",
        "max_chars": 100,
        "platform": "pinterest",
    }
    assert only(findings, "alt_text_length").fix == {
        "action": "trim_alt_text",
        "max_chars": 500,
        "platform": "pinterest",
    }
    desc = only(
        run([img("m1")], ["pinterest"], caption="d" * 801, settings={"pinterest": {"board_id": "1"}}),
        "description_length",
    )
    assert desc.fix is not None and desc.fix["field"] == "description"
    story = run([img("m1")], ["instagram.story"], caption="hi")
    assert only(story, "caption_ignored").severity == INFO


def test_pinterest_board_and_link() -> None:
    findings = run([img("m1")], ["pinterest"])
    assert only(findings, "board_missing").fix == {"action": "choose_board"}
    assert only(findings, "link_missing").fix == {"action": "add_link"}
    tagged = run([img("m1", tags=1)], ["pinterest"], settings={"pinterest": {"board_id": "1"}})
    assert "link_missing" not in {f.code for f in tagged}  # the fallback links the tagged product
    info = only(tagged, "product_fallback")
    assert info.message.startswith(
        "Post post_9 → Pinterest image pin: Pinterest has no product tags on organic"
    )


def test_product_lost_and_unknown_product() -> None:
    project_media = [img("m1", tags=1)]
    findings = run(project_media, ["instagram.story"], prefs=["links_in_caption"])
    f = only(findings, "product_lost")
    assert f.severity == ERROR and f.tag_id == "m1_t0" and f.product_id == "p0"
    assert f.fix == {"action": "set_fallback", "modes": ["labeled"]}
    assert "tag m1_t0 (product “Shirt 0”)" in f.message
    ghost = img("m2")
    ghost.tags.append(Tag(id="tg", product_id="gone", x=0.1, y=0.1))
    g = only(run([ghost], ["instagram"]), "unknown_product")
    assert g.fix == {"action": "remove_tags", "media_id": "m2", "tag_ids": ["tg"]}


def test_quota_account_and_sandbox() -> None:
    used_up = only(run([img("m1")], ["instagram"], quota={"instagram": Quota(50, 50)}), "quota")
    assert used_up.severity == ERROR and used_up.fix == {"action": "schedule_later", "hours": 24}
    unknown = only(run([img("m1")], ["instagram"], quota={}), "quota_unknown")
    assert unknown.severity == INFO and unknown.fix == {"action": "refresh_quota"}
    none = only(run([img("m1")], ["facebook"], accounts={}), "no_account")
    assert none.fix == {"action": "choose_account", "platform": "facebook"}
    sandbox = {"pinterest": AccountInfo("pinterest", "trial", sandbox=True)}
    assert only(run([img("m1")], ["pinterest"], accounts=sandbox), "sandbox").severity == INFO


def test_empty_post_and_missing_media_and_json() -> None:
    project = Project(name="p", media=[])
    post = Post(id="post_0", media_ids=["gone"], platforms={"instagram": {}})
    findings = check_post(post, project, CAT, ["instagram"], accounts_info=ACCOUNTS, quota=QUOTA)
    assert {f.code for f in findings} == {"missing_media", "empty_post"}
    odd = run([img("m1")], ["tiktok", "instagram.live"])
    assert [f.code for f in odd] == ["unknown_target", "unknown_target"]
    json.dumps(
        [f.to_dict() for f in run([img("m1", 10, 10, tags=8)], ["instagram", "pinterest", "facebook"])]
    )


# --- plan and dry-run ---------------------------------------------------------------------------


def plan_for(
    media: list[Media],
    target: str,
    *,
    account: AccountInfo,
    settings: dict[str, Any] | None = None,
    scheduled_at: float | None = None,
    now: float | None = None,
) -> PublishPlan:
    project = Project(name="Spring", media=media)
    platform = target.split(".")[0]
    post = Post(
        id="post_9",
        media_ids=[m.id for m in media],
        caption="Hello",
        platforms={platform: dict(settings or {})},
    )
    result = check(
        post, project, CAT, [target], accounts_info={platform: account}, quota=QUOTA, approved=set(CAT)
    )
    decision = next(iter(result.decisions.values()))
    return build_plan(
        post,
        project,
        decision.target,
        decision,
        account=account,
        catalog=CAT,
        scheduled_at=scheduled_at,
        now=now,
    )


def test_instagram_plans_per_kind() -> None:
    single = plan_for([img("m1", tags=2)], "instagram", account=IG)
    assert single.keys == [
        "ig.upload.m1",
        "ig.container.m1",
        "ig.poll.m1",
        "ig.publish",
        "ig.permalink",
        "ig.cleanup.m1",
    ]
    container = single.step("ig.container.m1").request
    assert container is not None and json.loads(container.params["product_tags"]) == [
        {"product_id": "p0", "x": 0.5, "y": 0.5},
        {"product_id": "p1", "x": 0.5, "y": 0.5},
    ]
    assert not single.step("ig.publish").idempotent and single.step("ig.publish").probe
    assert single.native_products == ["p0", "p1"]
    carousel = plan_for([img("a", tags=1), vid("v")], "instagram", account=IG)
    assert carousel.keys == [
        "ig.upload.a",
        "ig.container.a",
        "ig.upload.v",
        "ig.container.v",
        "ig.poll.v",
        "ig.container.carousel",
        "ig.poll.carousel",
        "ig.publish",
        "ig.permalink",
        "ig.cleanup.a",
        "ig.cleanup.v",
    ]
    parent = carousel.step("ig.container.carousel").request
    assert parent is not None and parent.params["children"] == (
        "{ig.container.a.container_id},{ig.container.v.container_id}"
    )
    reel = plan_for([vid("v")], "instagram", account=IG)
    assert reel.keys == ["ig.container.v", "ig.rupload.v", "ig.poll.v", "ig.publish", "ig.permalink"]
    ig_login = AccountInfo("instagram", "shop", login=INSTAGRAM_LOGIN)
    assert plan_for([vid("v")], "instagram", account=ig_login).keys[0] == "ig.upload.v"  # no rupload
    story = plan_for([img("m1")], "instagram.story", account=IG)
    req = story.step("ig.container.m1").request
    assert req is not None and req.params["media_type"] == "STORIES" and "caption" not in req.params
    commented = plan_for([img("m1", tags=1)], "instagram", account=ig_login)
    assert "ig.comment" not in commented.keys  # default fallback: caption links, not a comment


def test_facebook_and_pinterest_plans() -> None:
    fb = ACCOUNTS["facebook"]
    assert fb is not None
    multi = plan_for([img("a"), img("b")], "facebook", account=fb)
    assert multi.keys == ["fb.photo.a", "fb.photo.b", "fb.feed", "fb.permalink"]
    feed = multi.step("fb.feed").request
    assert feed is not None and json.loads(feed.params["attached_media"]) == [
        {"media_fbid": "{fb.photo.a.photo_id}"},
        {"media_fbid": "{fb.photo.b.photo_id}"},
    ]
    scheduled = plan_for([img("a")], "facebook", account=fb, scheduled_at=10_000.0 + 3600, now=10_000.0)
    sreq = scheduled.step("fb.feed").request
    assert scheduled.native_scheduling and sreq is not None and sreq.params["published"] == "false"
    assert not plan_for(
        [img("a")], "facebook", account=fb, scheduled_at=10_000.0 + 60, now=10_000.0
    ).native_scheduling
    reel = plan_for([vid("v", 30.0)], "facebook", account=fb)
    assert reel.keys == ["fb.reel.start", "fb.reel.upload", "fb.reel.poll", "fb.reel.finish", "fb.permalink"]
    pins = AccountInfo("pinterest", "pins")
    image = plan_for([img("a", tags=1)], "pinterest", account=pins, settings={"board_id": "42"})
    assert image.keys == ["pin.create", "pin.permalink"]
    body = image.step("pin.create").request
    assert body is not None and body.params["board_id"] == "42"
    assert body.params["media_source"]["source_type"] == "image_base64"
    assert body.params["link"].startswith("https://shop.example/p0?utm_source=pinterest")
    video = plan_for([vid("v")], "pinterest", account=pins, settings={"board_id": "42"})
    assert video.keys == [
        "pin.media.register",
        "pin.media.upload",
        "pin.media.poll",
        "pin.create",
        "pin.permalink",
    ]
    carousel = plan_for([img("a"), img("b")], "pinterest", account=pins, settings={"board_id": "42"})
    creq = carousel.step("pin.create").request
    assert creq is not None and creq.params["media_source"]["source_type"] == "multiple_image_base64"


def test_every_plan_round_trips_and_keys_are_stable() -> None:
    for media, target in [
        ([img("a", tags=1)], "instagram"),
        ([vid("v")], "facebook"),
        ([img("a")], "pinterest"),
    ]:
        account = ACCOUNTS[target]
        assert account is not None
        plan = plan_for(media, target, account=account)
        assert PublishPlan.from_json(plan.to_json()) == plan
        assert plan_for(media, target, account=account).keys == plan.keys
        assert len(set(plan.keys)) == len(plan.keys)


def test_dry_run_lists_requests_without_secrets() -> None:
    from studio.publish.redact import forget_secret, register_secret

    secret = "EAAsupersecrettoken1234567890abcdef"
    register_secret(secret)
    try:
        plan = plan_for([img("a", tags=1)], "instagram", account=IG)
        lines = describe(plan)
        text = "\n".join(lines)
        assert "access_token=***" in text and secret not in text
        assert any("POST https://graph.facebook.com/" in line and "/media_publish" in line for line in lines)
        reqs = describe_requests(plan)
        assert all(r["params"].get("access_token") in (None, "***") for r in reqs)
        pin = describe(
            plan_for(
                [img("a")],
                "pinterest",
                account=AccountInfo("pinterest", "p", sandbox=True),
                settings={"board_id": "1"},
            )
        )
        assert "[Authorization: Bearer ***]" in "\n".join(pin) and "api-sandbox.pinterest.com" in "\n".join(
            pin
        )
        plain = "\n".join(describe(plan, redact=False))
        assert secret not in plain and "<access token>" in plain  # plans never hold a token at all
    finally:
        forget_secret(secret)


def test_resolve_fills_placeholders_from_recorded_ids() -> None:
    recorded = {"ig.container.m1": {"container_id": "C1"}}
    value = {
        "creation_id": "{ig.container.m1.container_id}",
        "path": "/{account_id}/media",
        "x": ["{nope.id}"],
    }
    assert resolve(value, recorded, {"account_id": "178"}) == {
        "creation_id": "C1",
        "path": "/178/media",
        "x": ["{nope.id}"],
    }


@pytest.mark.parametrize("target", ["instagram", "facebook", "pinterest"])
def test_decision_is_the_same_the_checker_used(target: str) -> None:
    media = [img("m1", tags=2)]
    project = Project(name="Spring", media=media)
    post = Post(id="p", media_ids=["m1"], platforms={target: {"board_id": "1"}})
    account = ACCOUNTS[target]
    result = check(
        post, project, CAT, [target], accounts_info={target: account}, quota=QUOTA, approved=set(CAT)
    )
    (decision,) = result.decisions.values()
    assert decision == decide(
        post, project, caps(decision.target), account=account, approved=set(CAT), catalog=CAT
    )


def test_uploads_from_an_export_manifest_are_what_gets_checked(tmp_path: Any) -> None:
    from studio.publish.checker import uploads_from_manifest
    from studio.render.manifest import ItemRecord, Manifest, OutputRecord
    from studio.render.presets import all_presets

    manifest = Manifest(
        presets=["instagram-portrait", "pinterest-standard"],
        kinds=["clean", "labeled"],
        items=[
            ItemRecord(
                "m1",
                "media/m1.png",
                "h",
                "exported",
                [
                    OutputRecord("instagram-portrait", "clean", "ig/m1.clean.jpg", 900_000, "f"),
                    OutputRecord("instagram-portrait", "labeled", "ig/m1.labeled.jpg", 9_100_000, "f"),
                    OutputRecord(
                        "pinterest-standard", "clean", "pinterest-standard/m1.clean.jpg", 800_000, "f"
                    ),
                ],
            )
        ],
    )
    uploads = uploads_from_manifest(manifest, tmp_path, all_presets())
    ig = uploads[("m1", "instagram")]
    assert (ig.width, ig.height, ig.bytes, ig.format, ig.preset) == (
        1080,
        1350,
        9_100_000,
        "jpeg",
        "instagram-portrait",
    )
    assert ig.path.endswith("m1.labeled.jpg") and uploads[("m1", "pinterest")].height == 1500
    source = img("m1", 4000, 1000, path="media/m1.png")
    findings = run([source], ["instagram"], uploads=uploads)
    assert codes(findings) == {"file_size"}  # judged on the labeled export, not the PNG source
