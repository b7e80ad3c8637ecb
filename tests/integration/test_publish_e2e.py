"""End to end over real HTTP: demo workspace → checker → render → outbox → fake Graph/Pinterest/S3.

Each post must exist exactly once on the fakes, Instagram with native product tags at the rendered
image's normalized x/y, the Pinterest pin (sandbox) with the labeled image and a UTM link, and the
history must list permalinks and the natively tagged products.
"""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.core.model import Post
from studio.core.post_rules import new_post
from studio.core.workspace import Workspace
from studio.jobs.demo import ensure_demo_workspace
from studio.jobs.publish import (
    MediaHostSettings,
    PublishBlocked,
    default_clients_factory,
    dry_run,
    enqueue_post,
    history,
    read_quota,
    run_outbox,
)
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.outbox import ACTIVE, Outbox
from studio.publish.secrets import EncryptedFileStore, SecretStore

TARGETS = ["instagram", "facebook", "pinterest"]


def make_registry(fp: Any, folder: Path) -> AccountRegistry:
    """Accounts as `connect_accounts` registers them, tokens in an encrypted-file SecretStore."""
    store = SecretStore(EncryptedFileStore("test-passphrase", folder / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, folder / "accounts.json")
    g = fp.graph
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=g.ig_user_id,
        name="Shop IG",
        tokens=TokenSet(g.user_token, None, None),
        extra={"login": "facebook_login", "page_id": g.page_id, "product_tag_eligible": True},
    )
    reg.connect(
        platform="facebook",
        kind="fb_page",
        remote_id=g.page_id,
        name="Shop Page",
        tokens=TokenSet(g.page_token, None, None),
    )
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="u1",
        name="Shop Pins",
        tokens=TokenSet(fp.pinterest_sandbox.access_token, None, None),
        sandbox=True,
    )
    return reg


def accounts_of(reg: AccountRegistry) -> dict[str, Account]:
    return {a.platform: a for a in reg.list()}


def host_settings(fp: Any) -> MediaHostSettings:
    return MediaHostSettings(bucket=fp.s3.bucket, endpoint_url=fp.s3.endpoint_url)


def add_posts(root: Path) -> tuple[str, str]:
    """A single image with 2 product tags and a carousel of 3 images, from the demo media."""
    with Workspace.open(root) as ws:
        tagged = [m for m in ws.project.media if m.kind == "image" and len(m.tags) >= 2]
        images = [m for m in ws.project.media if m.kind == "image"]
        single = new_post([tagged[0].id], ("instagram", "facebook", "pinterest"))
        single.caption = "Breakfast, slowly. #odaetlune"
        single.platforms["pinterest"] = {"board_id": "Studio picks", "title": "Breakfast table"}
        carousel = new_post([m.id for m in images[:3]], ("instagram", "facebook", "pinterest"))
        carousel.caption = "Three rooms, one mood."
        carousel.platforms["pinterest"] = {"board_id": "Studio picks", "title": "Three rooms"}
        ws.project.posts += [single, carousel]
        ws.save()
        return single.id, carousel.id


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return ensure_demo_workspace(target=tmp_path / "demo")


def test_publish_demo_posts_exactly_once(fake_platforms: Any, demo: Path, tmp_path: Path) -> None:
    fp = fake_platforms
    fp.graph.image_polls = 1  # one IN_PROGRESS answer, so polling is exercised
    reg = make_registry(fp, tmp_path / "app")
    single_id, carousel_id = add_posts(demo)
    accounts = accounts_of(reg)

    report = dry_run(demo, single_id, TARGETS, accounts)
    assert report["ok"], [f for f in report["findings"] if f["severity"] == "error"]
    text = json.dumps(report)
    assert fp.graph.user_token not in text and fp.pinterest_sandbox.access_token not in text
    assert any("media_publish" in line for t in report["targets"] for line in t["lines"])

    warnings: list[Any] = []
    jobs = enqueue_post(demo, single_id, TARGETS, accounts=accounts, warnings=warnings)
    jobs += enqueue_post(demo, carousel_id, TARGETS, accounts=accounts)
    assert len(jobs) == 6
    # a double click does not queue twice
    assert enqueue_post(demo, single_id, TARGETS, accounts=accounts) == jobs[:3]

    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    with Outbox.open(demo) as ob:
        errors = [j.last_error for j in ob.jobs() if j.last_error]
    assert sorted(summary.published) == sorted(jobs), errors

    ig = fp.graph.published_on("instagram")
    fb = fp.graph.published_on("facebook")
    pins = fp.pinterest_sandbox.pins
    assert len(ig) == 2 and len(fb) == 2 and len(pins) == 2
    assert fp.pinterest.pins == []  # the sandbox account never touches production
    assert sorted(p.kind for p in ig) == ["CAROUSEL", "IMAGE"]
    single_ig = next(p for p in ig if p.kind == "IMAGE")
    assert single_ig.caption.startswith("Breakfast, slowly.")
    tags = single_ig.product_tags
    assert len(tags) == 2
    for tag in tags:
        assert 0.0 <= float(tag["x"]) <= 1.0 and 0.0 <= float(tag["y"]) <= 1.0
    # the rendered image is what was tagged: positions come from the export's tags sidecar
    with Workspace.open(demo, write=False) as ws:
        media = ws.project.media_by_id(next(p for p in ws.project.posts if p.id == single_id).media_ids[0])
        assert media is not None
        product_ids = {t.product_id for t in media.tags}
    assert {str(t["product_id"]) for t in tags} == product_ids

    # Pinterest: labeled image (it differs from the clean render) and a UTM link
    boards = [b for b in fp.pinterest_sandbox.boards.values() if b.name == "Studio picks"]
    assert len(boards) == 1  # created once, by name, reused by the second post
    for pin in pins:
        assert "utm_source=pinterest" in (pin["link"] if isinstance(pin, dict) else pin.link)
    single_pin = next(p for p in pins if _field(p, "title") == "Breakfast table")
    source = _field(single_pin, "media_source")
    sent = base64.b64decode(source["data"])
    assert Image.open(io.BytesIO(sent)).format == "JPEG"
    renders = demo / "cache" / "publish" / "pinterest"
    labeled = [f for f in renders.rglob("*.labeled.jpg") if f.read_bytes() == sent]
    assert labeled, "the single pin must carry the labeled render"
    assert all(f.read_bytes() != sent for f in renders.rglob("*.clean.jpg"))

    # S3 objects were deleted after publishing
    assert fp.s3.keys() == []

    quota = read_quota(accounts, factory)["instagram"]
    assert quota is not None and (quota.used, quota.total) == (2, fp.graph.quota_total)

    hist = history(demo)
    assert len(hist) == 6
    assert all(h["permalinks"] and h["permalinks"][0].startswith("http") for h in hist)
    ig_hist = [h for h in hist if h["platform"] == "instagram" and h["post_id"] == single_id]
    assert sorted(ig_hist[0]["native_products"]) == sorted(product_ids)
    with Outbox.open(demo) as outbox:
        assert outbox.jobs(ACTIVE) == []

    # running again publishes nothing more
    again = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0)
    assert again.published == []
    assert len(fp.graph.published) == 4 and len(fp.pinterest_sandbox.pins) == 2


def test_checker_errors_block_enqueue(fake_platforms: Any, demo: Path, tmp_path: Path) -> None:
    reg = make_registry(fake_platforms, tmp_path / "app")
    with Workspace.open(demo) as ws:
        post: Post = new_post([ws.project.media[0].id], ("instagram",))
        post.caption = "#a " * 40  # 40 hashtags: Instagram allows 30
        ws.project.posts.append(post)
        ws.save()
    with pytest.raises(PublishBlocked) as err:
        enqueue_post(demo, post.id, ["instagram"], accounts=accounts_of(reg))
    assert any(f.code for f in err.value.findings if f.severity == "error")
    with Outbox.open(demo) as outbox:
        assert outbox.jobs() == []


def test_expired_token_waits_for_reconnect(fake_platforms: Any, demo: Path, tmp_path: Path) -> None:
    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    single_id, _ = add_posts(demo)
    [job] = enqueue_post(demo, single_id, ["facebook"], accounts=accounts_of(reg))
    fp.graph.expire_token(fp.graph.page_token)
    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=2)
    assert summary.reconnect[job].startswith("Reconnect Shop Page")
    assert fp.graph.published_on("facebook") == []
    photo_posts = len(fp.graph.requests_to("POST", r"/photos$"))
    again = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, wait_s=2)
    assert again.published == [] and len(fp.graph.requests_to("POST", r"/photos$")) == photo_posts


def _field(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def test_schedule_facebook_natively_and_hold_instagram(
    fake_platforms: Any, demo: Path, tmp_path: Path
) -> None:
    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    single_id, _ = add_posts(demo)
    at = time.time() + 3600
    fb_job, ig_job = (
        enqueue_post(demo, single_id, [t], accounts=accounts_of(reg), at=at)[0]
        for t in ("facebook", "instagram")
    )
    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0)
    assert summary.published == [fb_job]  # Facebook keeps the schedule itself
    [scheduled] = fp.graph.published_on("facebook")
    assert abs(int(scheduled.scheduled_publish_time) - int(at)) <= 1
    assert fp.graph.published_on("instagram") == []  # held by the outbox until `at`
    with Outbox.open(demo) as outbox:
        assert outbox.state(ig_job) == "queued"
    later = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, now=lambda: at + 1)
    assert later.published == [ig_job] and len(fp.graph.published_on("instagram")) == 1


IMAGE_TOO_LARGE = {
    "error": {
        "message": "The image size is too large.",
        "type": "OAuthException",
        "code": 36000,
        "error_subcode": 2207004,
        "is_transient": False,
        "error_user_msg": "The image is too large to download. It should be less than 8 MiB.",
    }
}


def test_stopped_jobs_leave_no_files_in_the_bucket_and_retry_uploads_again(
    fake_platforms: Any, demo: Path, tmp_path: Path
) -> None:
    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    single_id, carousel_id = add_posts(demo)
    accounts = accounts_of(reg)
    factory = default_clients_factory(reg, media_host=host_settings(fp))

    [job] = enqueue_post(demo, single_id, ["instagram"], accounts=accounts)
    fp.graph.fail_next(
        1, status=400, body=IMAGE_TOO_LARGE, path=r"/media$", method="POST"
    )  # the container is refused
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=2)
    assert summary.failed == [job], (summary, fp.graph.requests_to("POST", r"/media$"))
    assert summary.swept == 1 and fp.s3.keys() == []  # the image does not stay in the bucket

    with Outbox.open(demo) as ob:
        assert ob.retry(job)
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=2)
    assert summary.published == [job]  # Retry uploaded the file again (its URL had been deleted)
    assert len(fp.graph.published_on("instagram")) == 1 and fp.s3.keys() == []

    [cjob] = enqueue_post(demo, carousel_id, ["instagram"], accounts=accounts)
    fp.graph.fail_next(1, status=400, body=IMAGE_TOO_LARGE, path=r"/media$", method="POST")
    run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=2)
    with Outbox.open(demo) as ob:
        assert ob.cancel(cjob)
        assert ob.stranded_uploads() == []  # the failed run already deleted its upload
    assert fp.s3.keys() == []
    again = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0)
    assert again.swept == 0 and len(fp.graph.published_on("instagram")) == 1


def test_links_in_the_first_comment_exactly_once_even_when_its_answer_is_lost(
    fake_platforms: Any, demo: Path, tmp_path: Path
) -> None:
    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    ig = reg.get("Shop IG")
    reg.connect(  # an account without a shop: its products go to the fallback
        platform="instagram",
        kind="ig_business",
        remote_id=ig.remote_id,
        name=ig.name,
        tokens=reg.tokens(ig.name),
        extra={"product_tag_eligible": False},
    )
    single_id, _ = add_posts(demo)
    with Workspace.open(demo) as ws:
        ws.project.extra["publish"] = {"fallback": ["links_in_first_comment", "labeled"]}
        ws.save()
    [job] = enqueue_post(demo, single_id, ["instagram"], accounts=accounts_of(reg))
    fp.graph.drop_next(1, after_processing=True, path=r"/comments$", method="POST")
    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    assert summary.published == [job]
    [post] = fp.graph.published_on("instagram")
    assert post.product_tags == [] and "https://" not in (post.caption or "")
    [comment] = post.comments  # the lost answer was probed, not sent again
    assert "utm_source=" in comment["text"] and "https://" in comment["text"]
    with Outbox.open(demo) as ob:
        assert ob.get(job).step("ig.comment").remote_ids["comment_id"] == comment["id"]


def test_product_tags_name_the_catalogs_own_ids_and_skip_what_it_lacks(
    fake_platforms: Any, demo: Path, tmp_path: Path
) -> None:
    from studio.jobs.publish import refresh_catalog_links
    from studio.publish.catalog_links import retailer_id_for

    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    single_id, _ = add_posts(demo)
    accounts = accounts_of(reg)
    with Workspace.open(demo, write=False) as ws:
        post = next(p for p in ws.project.posts if p.id == single_id)
        media = ws.project.media_by_id(post.media_ids[0])
        assert media is not None
        first, second = media.tags[0], media.tags[1]
        rid = retailer_id_for(ws.catalog.get(first.product_id), first.variant_id)
    meta_id = fp.graph.add_catalog_product(rid)  # only the first product is in the shop's catalog

    before = dry_run(demo, single_id, ["instagram"], accounts)
    assert "catalog_unchecked" in {f["code"] for f in before["findings"]}  # not looked up yet: said so

    factory = default_clients_factory(reg, media_host=host_settings(fp))
    assert refresh_catalog_links(demo, single_id, accounts, factory) == {"Shop IG": 1}
    after = dry_run(demo, single_id, ["instagram"], accounts)
    codes = {f["code"] for f in after["findings"]}
    assert "catalog_unchecked" not in codes and after["ok"]
    [target] = after["targets"]
    assert any("not in the connected catalog" in r for r in target["fallback"])

    [job] = enqueue_post(demo, single_id, ["instagram"], accounts=accounts)
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    assert summary.published == [job]
    [ig] = fp.graph.published_on("instagram")
    assert [str(t["product_id"]) for t in ig.product_tags] == [meta_id]  # Meta's id, not the shop's
    [entry] = [h for h in history(demo) if h["job_id"] == job]
    assert entry["native_products"] == [first.product_id]  # the history speaks the studio's ids
    assert second.product_id not in entry["native_products"]  # carried by the fallback instead


def test_catalog_synced_to_meta_then_published_with_native_tags(
    fake_platforms: Any, demo: Path, tmp_path: Path
) -> None:
    """The whole shop flow: sync the studio's catalog to Meta, look the post's products up in it,
    publish — the tags name the ids Meta gave the synced items."""
    from studio.jobs.catalog_sync import run_sync
    from studio.jobs.publish import refresh_catalog_links

    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    single_id, _ = add_posts(demo)
    accounts = accounts_of(reg)
    report = run_sync(
        demo,
        "meta",
        registry=reg,
        engine_kwargs={"poll_interval": 0.01, "max_poll_interval": 0.02},
    )
    assert report.confirmed == report.sent > 0 and report.errors == 0
    synced = fp.graph.catalog_state.product_ids  # retailer id -> Meta product id
    assert len(synced) == report.confirmed

    factory = default_clients_factory(reg, media_host=host_settings(fp))
    found = refresh_catalog_links(demo, single_id, accounts, factory)
    assert found == {"Shop IG": 2}
    [job] = enqueue_post(demo, single_id, ["instagram"], accounts=accounts)
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    assert summary.published == [job]
    [ig] = fp.graph.published_on("instagram")
    assert {str(t["product_id"]) for t in ig.product_tags} <= set(synced.values())
    assert len(ig.product_tags) == 2
