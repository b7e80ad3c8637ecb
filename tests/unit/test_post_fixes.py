"""The checker's one-click post fixes: what each does to the text and media list, and when it is a no-op."""

from __future__ import annotations

from studio.core.model import Post
from studio.core.post_fixes import _HASHTAG as HASHTAG
from studio.core.post_fixes import apply_post_fix, keep_first, shorten


def make_post(**kw: object) -> Post:
    base: dict[str, object] = {"id": "p1", "media_ids": ["a", "b", "c"], "caption": "Hello world"}
    base.update(kw)
    return Post(**base)  # type: ignore[arg-type]


def test_shorten_prefers_a_word_boundary_and_never_exceeds_the_limit() -> None:
    text = "Linen shirts for slow summer mornings, now in stock"
    cut = shorten(text, 30)
    assert len(cut) <= 30 and text.startswith(cut) and cut == "Linen shirts for slow summer"
    assert shorten("x" * 50, 10) == "x" * 10  # no space to use: hard cut
    assert shorten("short", 10) == "short"


def test_hashtags_and_mentions_beyond_the_limit_are_removed_in_order() -> None:
    text = "New drop #linen #summer #slow and #more @oda @lune @shop"
    assert keep_first(text, HASHTAG, 2) == "New drop #linen #summer and @oda @lune @shop"
    post = make_post(caption=text)
    after = apply_post_fix(post, {"action": "remove_mentions", "max": 1})
    assert after is not None and after.caption == "New drop #linen #summer #slow and #more @oda"
    assert post.caption == text  # the original is untouched (the GUI keeps it for undo)
    html_entity = "Prices &#8364; stay #one #two"
    assert keep_first(html_entity, HASHTAG, 1) == "Prices &#8364; stay #one"


def test_caption_title_alt_text_and_description_fixes() -> None:
    post = make_post(caption="word " * 600, platforms={"pinterest": {"title": "T" * 120}})
    after = apply_post_fix(post, {"action": "trim_caption", "field": "caption", "max_chars": 2200})
    assert after is not None and len(after.caption) <= 2200 and "instagram" not in after.platforms
    pin = apply_post_fix(
        post, {"action": "trim_caption", "field": "description", "max_chars": 500, "platform": "pinterest"}
    )
    assert pin is not None and pin.caption == post.caption  # other platforms keep the full caption
    assert len(pin.platforms["pinterest"]["description"]) <= 500
    title = apply_post_fix(post, {"action": "trim_title", "max_chars": 100, "platform": "pinterest"})
    assert title is not None and title.platforms["pinterest"]["title"] == "T" * 100
    assert (
        apply_post_fix(post, {"action": "trim_alt_text", "max_chars": 500, "platform": "pinterest"}) is None
    )


def test_media_fixes_and_unknown_actions() -> None:
    post = make_post()
    removed = apply_post_fix(post, {"action": "remove_media", "media_id": "b"})
    assert removed is not None and removed.media_ids == ["a", "c"]
    kept = apply_post_fix(post, {"action": "remove_items", "keep": 2})
    assert kept is not None and kept.media_ids == ["a", "b"]
    assert apply_post_fix(post, {"action": "remove_items", "keep": 10}) is None
    assert apply_post_fix(post, {"action": "rerender", "media_id": "a"}) is None
    assert apply_post_fix(post, {"action": "trim_caption", "field": "caption", "max_chars": 100}) is None
