"""End to end over real HTTP for the demo video: Instagram Reel, Facebook video/Reel, Pinterest video pin.

Video steps (rupload / video_url, Reel upload phases, Pinterest media register → upload → poll) were
planned but never run against the fakes; this drives them through the outbox and checks each post
exists exactly once, the Reel with product tags and no x/y (§1.6: never on videos).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio.core.post_rules import new_post
from studio.core.workspace import Workspace
from studio.jobs.demo import ensure_demo_workspace
from studio.jobs.publish import default_clients_factory, enqueue_post, history, run_outbox
from studio.media.video import read_video_info
from studio.publish.outbox import ACTIVE, Outbox
from tests.integration.test_publish_e2e import TARGETS, accounts_of, host_settings, make_registry


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return ensure_demo_workspace(target=tmp_path / "demo")


def add_video_post(root: Path) -> tuple[str, set[str]]:
    """A post of the demo's tagged video; returns its id and the product ids tagged on it."""
    with Workspace.open(root) as ws:
        video = next(m for m in ws.project.media if m.kind == "video" and m.tags)
        post = new_post([video.id], tuple(TARGETS))
        post.caption = "Light it, slowly. #odaetlune"
        post.platforms["pinterest"] = {"board_id": "Studio picks", "title": "Candle moment"}
        ws.project.posts.append(post)
        ws.save()
        return post.id, {t.product_id for t in video.tags}


def test_publish_demo_video_exactly_once(fake_platforms: Any, demo: Path, tmp_path: Path) -> None:
    fp = fake_platforms
    reg = make_registry(fp, tmp_path / "app")
    accounts = accounts_of(reg)
    post_id, product_ids = add_video_post(demo)

    jobs = enqueue_post(demo, post_id, TARGETS, accounts=accounts)
    assert len(jobs) == 3
    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(
        demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=10
    )
    with Outbox.open(demo) as ob:
        errors = [j.last_error for j in ob.jobs() if j.last_error]
    assert sorted(summary.published) == sorted(jobs), errors

    [reel] = fp.graph.published_on("instagram")
    assert reel.kind == "REELS"
    assert reel.caption.startswith("Light it, slowly.")
    assert {str(t["product_id"]) for t in reel.product_tags} == product_ids
    assert all("x" not in t and "y" not in t for t in reel.product_tags)

    [fb] = fp.graph.published_on("facebook")
    assert fb.kind.lower() in ("video", "reel", "reels")

    [pin] = fp.pinterest_sandbox.pins
    source = pin["media_source"] if isinstance(pin, dict) else pin.media_source
    assert source["source_type"] == "video_id"
    assert fp.pinterest.pins == []

    # what went up: Instagram the source (tags are native), Facebook and Pinterest the labeled render
    with Workspace.open(demo, write=False) as ws:
        video = next(m for m in ws.project.media if m.kind == "video" and m.tags)
        source_bytes = ws.media_path(video).read_bytes()
    renders = demo / "cache" / "publish"
    [fb_render] = (renders / "facebook").rglob("*.video.mp4")
    [pin_render] = (renders / "pinterest").rglob("*.video.mp4")
    for render in (fb_render, pin_render):  # labels burned in, the source's 9:16 kept (Reels need it)
        facts = read_video_info(render)
        assert (facts.width, facts.height) == (video.width, video.height)
        assert facts.codec == "h264" and facts.duration >= 3.0
    [ig_up] = fp.graph.requests_to("POST", r"^/ig-api-upload/")
    assert ig_up.body == source_bytes
    [fb_up] = fp.graph.requests_to("POST", r"^/video-upload/")
    assert fb_up.body == fb_render.read_bytes() != source_bytes
    [pin_up] = fp.pinterest_sandbox.requests_to("POST", r"^/media-upload/")
    assert pin_up.files["file"].data == pin_render.read_bytes()

    assert fp.s3.keys() == []  # hosted copies are removed after publishing
    hist = [h for h in history(demo) if h["post_id"] == post_id]
    assert len(hist) == 3 and all(h["permalinks"] for h in hist)
    with Outbox.open(demo) as outbox:
        assert outbox.jobs(ACTIVE) == []

    again = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0)
    assert again.published == []
    assert len(fp.graph.published) == 2 and len(fp.pinterest_sandbox.pins) == 1


def test_a_mixed_carousel_renders_its_labeled_video_too(demo: Path) -> None:
    from studio.jobs.publish import render_media
    from studio.publish.fallback import LABELED, FallbackDecision

    with Workspace.open(demo) as ws:
        video = next(m for m in ws.project.media if m.kind == "video" and m.tags)
        photo = next(m for m in ws.project.media if m.kind == "image" and m.tags)
        post = new_post([photo.id, video.id], ("instagram",))
        ws.project.posts.append(post)
        ws.save()
        decision = FallbackDecision(post.id, "instagram", "instagram.carousel")
        decision.render = {photo.id: LABELED, video.id: LABELED}  # e.g. an account without product tags
        files, _uploads, _positions = render_media(ws, post, "instagram", decision)
        source = ws.media_path(video)
    assert set(files) == {photo.id, video.id}
    assert files[video.id].endswith(".video.mp4") and Path(files[video.id]) != source
    assert read_video_info(Path(files[video.id])).codec == "h264"
    assert files[photo.id].endswith(".jpg")
