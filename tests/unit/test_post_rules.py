"""Post kinds and the per-platform publishing rules (Qt-free)."""

from __future__ import annotations

from studio.core.model import Media, MediaKind, Post, Project, Tag
from studio.core.post_rules import (
    LIMITS,
    PLATFORMS,
    PostKind,
    caption_count,
    count_hashtags,
    count_mentions,
    enabled_platforms,
    new_post,
    post_kind,
    validate_post,
)


def _media(
    mid: str, kind: MediaKind = MediaKind.IMAGE, duration: float | None = None, tags: int = 0
) -> Media:
    return Media(
        id=mid,
        path=f"{mid}.jpg",
        content_hash=f"h:{mid}",
        kind=kind,
        width=100,
        height=100,
        duration=duration,
        tags=[Tag(id=f"t{mid}{i}", product_id=f"p{i}", x=0.5, y=0.5) for i in range(tags)],
    )


def _project(*media: Media) -> Project:
    return Project(name="p", media=list(media))


def test_platforms_and_documented_limits() -> None:
    assert PLATFORMS == ("instagram", "facebook", "pinterest")
    assert (LIMITS["instagram"].caption_chars, LIMITS["instagram"].hashtags) == (2200, 30)
    assert LIMITS["facebook"].caption_chars == 63206
    assert (LIMITS["pinterest"].caption_chars, LIMITS["pinterest"].title_chars) == (800, 100)


def test_new_post_is_a_draft_without_duplicates() -> None:
    post = new_post(["a", "b", "a"])
    assert post.id.startswith("post_")
    assert post.media_ids == ["a", "b"]
    assert enabled_platforms(post) == ["instagram"]
    assert new_post(["a"]).id != post.id


def test_kinds_follow_the_media() -> None:
    project = _project(_media("i1"), _media("i2"), _media("v1", MediaKind.VIDEO, 10.0))
    assert post_kind(Post(id="x"), project) is PostKind.EMPTY
    assert post_kind(new_post(["i1"]), project) is PostKind.SINGLE_IMAGE
    assert post_kind(new_post(["v1"]), project) is PostKind.SINGLE_VIDEO
    assert post_kind(new_post(["i1", "v1"]), project) is PostKind.CAROUSEL
    assert post_kind(new_post(["i1", "gone"]), project) is PostKind.SINGLE_IMAGE


def test_a_good_post_has_no_problem() -> None:
    project = _project(_media("i1"), _media("i2"))
    post = new_post(["i1", "i2"], platforms=PLATFORMS)
    post.caption = "Linen for summer #linen #summer @maison"
    assert validate_post(post, project) == []


def test_empty_and_missing_and_no_platform() -> None:
    project = _project(_media("i1"))
    problems = validate_post(Post(id="x", media_ids=["gone"]), project)
    assert any("empty" in p for p in problems)
    assert any("no longer in the workspace" in p for p in problems)
    assert any("No platform" in p for p in problems)


def test_more_than_ten_items() -> None:
    media = [_media(f"i{n}") for n in range(11)]
    problems = validate_post(new_post([m.id for m in media]), _project(*media))
    assert any("at most 10" in p for p in problems)
    assert len(validate_post(new_post([m.id for m in media[:10]]), _project(*media))) == 0


def test_caption_limits_per_platform() -> None:
    project = _project(_media("i1"))
    post = new_post(["i1"], platforms=PLATFORMS)
    post.caption = "x" * 801
    problems = validate_post(post, project)
    assert problems == ["Pinterest: the caption has 801 characters, the limit is 800"]
    post.caption = "x" * 2201
    assert {p.split(":")[0] for p in validate_post(post, project)} == {"Instagram", "Pinterest"}
    post.caption = "x" * 63207
    assert any(p.startswith("Facebook: the caption has 63,207") for p in validate_post(post, project))


def test_hashtags_and_mentions_are_counted_like_instagram() -> None:
    assert count_hashtags("#a #b c#d #é_t ##x") == 3
    assert count_mentions("@a b@c @d.e") == 2
    caption = " ".join(f"#tag{n}" for n in range(31))
    count = caption_count(caption, "instagram")
    assert count.hashtags == 31 and count.hashtags_over and count.over and not count.chars_over
    assert not caption_count(caption, "facebook").over
    post = new_post(["i1"])
    post.caption = caption
    assert validate_post(post, _project(_media("i1"))) == ["Instagram: 31 hashtags, the limit is 30"]


def test_pinterest_title_and_mixed_carousels() -> None:
    project = _project(*[_media(f"i{n}") for n in range(6)], _media("v", MediaKind.VIDEO, 10.0))
    post = new_post(["i0", "v"], platforms=("instagram", "facebook", "pinterest"))
    post.platforms["pinterest"]["title"] = "t" * 101
    problems = validate_post(post, project)
    assert any(p.startswith("Pinterest: the title") for p in problems)
    assert any(p.startswith("Pinterest:") and "only contain photos" in p for p in problems)
    assert any(p.startswith("Facebook:") and "only contain photos" in p for p in problems)
    assert not any(p.startswith("Instagram") for p in problems)  # Instagram carousels mix both
    six = new_post([f"i{n}" for n in range(6)], platforms=("pinterest",))
    assert validate_post(six, project) == ["Pinterest: a carousel holds at most 5 items, this one has 6"]


def test_video_duration_and_product_tag_caps() -> None:
    project = _project(_media("short", MediaKind.VIDEO, 2.0), _media("crowded", tags=6), _media("i2", tags=1))
    assert any("minimum is 3 s" in p for p in validate_post(new_post(["short"]), project))
    assert validate_post(new_post(["crowded"]), project) == []  # a single image takes 20
    problems = validate_post(new_post(["crowded", "i2"]), project)
    assert problems == ["Instagram: item 1 has 6 product tags, at most 5 per item"]


def test_disabled_platform_is_not_checked() -> None:
    post = new_post(["i1"], platforms=PLATFORMS)
    post.platforms["pinterest"]["enabled"] = False
    post.caption = "x" * 900
    assert enabled_platforms(post) == ["instagram", "facebook"]
    assert validate_post(post, _project(_media("i1"))) == []
