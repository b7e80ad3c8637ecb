"""The capability table: documented values, internal consistency, and post_rules reading it (Qt-free)."""

from __future__ import annotations

import dataclasses

import pytest

from studio.core import platform_caps as pc
from studio.core.post_rules import LIMITS
from studio.render.presets import BUILTIN_PRESETS

EXPECTED_TARGETS = {
    "instagram.feed_image",
    "instagram.carousel",
    "instagram.reel",
    "instagram.story",
    "facebook.photo",
    "facebook.multi_photo",
    "facebook.video",
    "pinterest.image_pin",
    "pinterest.video_pin",
    "pinterest.carousel_pin",
}


def test_every_target_is_present_and_consistent() -> None:
    assert set(pc.CAPS) == EXPECTED_TARGETS
    names = {f.name for f in dataclasses.fields(pc.TargetCaps)}
    presets = {p.name for p in BUILTIN_PRESETS}
    for name, row in pc.CAPS.items():
        assert row.target == name and name.startswith(row.platform + ".")
        assert row.platform in pc.PLATFORMS
        assert row.media_types and row.media_types <= {pc.IMAGE, pc.VIDEO}
        assert 1 <= row.items_min <= row.items_max
        if row.aspect_min is not None and row.aspect_max is not None:
            assert row.aspect_min < row.aspect_max
        if row.duration_min_s is not None and row.duration_max_s is not None:
            assert row.duration_min_s < row.duration_max_s
        assert "publishing.md §" in row.source, name
        assert row.unconfirmed <= names, f"{name}: unknown field in unconfirmed {row.unconfirmed - names}"
        assert set(row.presets) <= presets, name
        if pc.IMAGE in row.media_types:
            assert row.image_formats, name
        if pc.VIDEO in row.media_types:
            assert row.video_formats, name
        if not row.native_product_tags:
            assert row.tags_per_item is None and row.tags_total is None


def test_instagram_documented_limits() -> None:
    feed = pc.caps("instagram.feed_image")
    assert feed.image_formats == {"jpeg"}  # JPEG only (§1.7)
    assert feed.image_max_bytes == 8_000_000
    assert (feed.aspect_min, feed.aspect_max) == (0.8, 1.91)
    assert (feed.width_min, feed.width_max) == (320, 1440)
    assert (feed.caption_chars, feed.hashtags, feed.mentions) == (2200, 30, 20)
    assert feed.native_product_tags and feed.tag_positions and feed.tags_per_item == 20
    carousel = pc.caps("instagram.carousel")
    assert (carousel.items_min, carousel.items_max) == (2, 10)
    assert (carousel.tags_per_item, carousel.tags_total) == (5, 20)
    assert carousel.media_types == {"image", "video"}
    reel = pc.caps("instagram.reel")
    assert reel.tags_per_item == 30 and not reel.tag_positions  # no x/y on videos (§1.6)
    assert (reel.duration_min_s, reel.duration_max_s) == (3.0, 900.0)
    assert (reel.fps_min, reel.fps_max) == (23.0, 60.0) and reel.video_codecs == {"h264", "hevc"}
    assert reel.is_unconfirmed("video_max_bytes")  # 300 MB vs 1 GB conflict (§7 item 3)
    story = pc.caps("instagram.story")
    assert not story.native_product_tags and story.caption_chars == 0 and story.duration_max_s == 60.0


def test_facebook_and_pinterest_limits() -> None:
    for name in ("facebook.photo", "facebook.multi_photo", "facebook.video"):
        row = pc.caps(name)
        assert not row.native_product_tags and row.is_unconfirmed("native_product_tags")
    assert pc.caps("facebook.photo").image_max_bytes == 4_000_000
    assert pc.caps("facebook.multi_photo").media_types == {"image"}
    assert (pc.caps("facebook.video").duration_min_s, pc.caps("facebook.video").duration_max_s) == (3.0, 90.0)
    for name in ("pinterest.image_pin", "pinterest.video_pin", "pinterest.carousel_pin"):
        row = pc.caps(name)
        assert not row.native_product_tags
        assert (row.title_chars, row.caption_chars, row.link_chars, row.alt_text_chars) == (
            100,
            800,
            2048,
            500,
        )
        assert row.board_required and row.link_field
    carousel = pc.caps("pinterest.carousel_pin")
    assert (carousel.items_min, carousel.items_max) == (2, 5) and carousel.media_types == {"image"}
    assert not pc.has_native_product_tags("pinterest") and not pc.has_native_product_tags("facebook")
    assert pc.has_native_product_tags("instagram")


def test_lookup_helpers() -> None:
    assert pc.caps_for("instagram", "single_image").target == "instagram.feed_image"
    assert pc.caps_for("instagram", "single_video").target == "instagram.reel"
    assert pc.caps_for("facebook", "carousel").target == "facebook.multi_photo"
    assert pc.caps_for("pinterest", "single_video").target == "pinterest.video_pin"
    assert pc.caps_for("instagram.story", "single_image").target == "instagram.story"  # explicit wins
    assert pc.target_for("instagram", "empty") is None
    with pytest.raises(KeyError):
        pc.caps_for("instagram", "empty")
    with pytest.raises(KeyError, match="known"):
        pc.caps("tiktok.video")
    assert [c.target for c in pc.targets_of("pinterest")] == [
        "pinterest.image_pin",
        "pinterest.video_pin",
        "pinterest.carousel_pin",
    ]
    assert pc.strictest("instagram", "image_max_bytes") == 8_000_000
    assert pc.platform_of("facebook.video") == "facebook"


def test_post_rules_reads_the_same_table() -> None:
    ig = LIMITS["instagram"]
    assert ig.caption_chars == pc.caps("instagram.feed_image").caption_chars
    assert (ig.tags_per_post, ig.tags_per_reel) == (20, 30)
    assert (ig.tags_per_carousel, ig.tags_per_slide) == (20, 5)
    assert LIMITS["pinterest"].carousel_max == pc.caps("pinterest.carousel_pin").items_max
    assert LIMITS["pinterest"].title_chars == pc.caps("pinterest.image_pin").title_chars
    assert LIMITS["facebook"].carousel_videos is False
