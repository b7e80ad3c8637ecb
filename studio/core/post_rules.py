"""What a post is (single image, carousel, single video) and what each platform accepts.

Pure rules over the model, no I/O: the posts panel shows `validate_post` live while the user
types, the pre-publish checker and the CLI run the same function, so a limit lives in one table
(`studio.core.platform_caps.CAPS`, summarised per platform in `LIMITS`) and changes in one place.
Facts come from /work/shared/platforms/publishing.md; each limit cites its section in that table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from studio.core.model import Media, MediaKind, Post, PostState, Project, new_id
from studio.core.platform_caps import PLATFORMS, caps_for

PLATFORM_TITLES: dict[str, str] = {"instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest"}


class PostKind(StrEnum):
    EMPTY = "empty"
    SINGLE_IMAGE = "single_image"
    SINGLE_VIDEO = "single_video"
    CAROUSEL = "carousel"


KIND_TITLES: dict[PostKind, str] = {
    PostKind.EMPTY: "Empty",
    PostKind.SINGLE_IMAGE: "Single image",
    PostKind.SINGLE_VIDEO: "Single video",
    PostKind.CAROUSEL: "Carousel",
}


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """The caption and media rules of one platform (None = no limit known)."""

    caption_chars: int | None
    hashtags: int | None = None
    mentions: int | None = None
    title_chars: int | None = None
    carousel_min: int = 2
    carousel_max: int = 10
    carousel_videos: bool = True  # may a multi-item post contain videos?
    video_min_s: float | None = None
    video_max_s: float | None = None
    tags_per_post: int | None = None  # product tags on a single image post
    tags_per_reel: int | None = None  # product tags on a single video (published as a Reel)
    tags_per_carousel: int | None = None
    tags_per_slide: int | None = None


def _limits(platform: str, *, with_video: bool, with_tags: bool) -> PlatformLimits:
    """Summarise the platform's rows of `platform_caps.CAPS` (the one table) for the live rules.

    Sources and UNCONFIRMED marks live next to the values in `studio.core.platform_caps`:
    Instagram §1.1/§1.6/§1.7 (caption 2200 / 30 # / 20 @, carousel 2–10 mixing photos and videos,
    Reels 3 s – 15 min, tags 20 per post / 30 per Reel / 20 per carousel, 5 per slide); Facebook
    §2.2–2.3 (63,206 chars and 10 attached photos UNCONFIRMED; videos in a multi-photo post refused);
    Pinterest §4.2 (description 800, title 100, carousel 2..5 images). How Instagram counts
    characters (code points vs UTF-16 units) is UNCONFIRMED: we count code points.
    """
    single, video, carousel = (
        caps_for(platform, "single_image"),
        caps_for(platform, "single_video"),
        caps_for(platform, "carousel"),
    )
    return PlatformLimits(
        caption_chars=single.caption_chars,
        hashtags=single.hashtags,
        mentions=single.mentions,
        title_chars=single.title_chars,
        carousel_min=carousel.items_min,
        carousel_max=carousel.items_max,
        carousel_videos="video" in carousel.media_types,
        video_min_s=video.duration_min_s if with_video else None,
        video_max_s=video.duration_max_s if with_video else None,
        tags_per_post=single.tags_per_item if with_tags else None,
        tags_per_reel=video.tags_per_item if with_tags else None,
        tags_per_carousel=carousel.tags_total if with_tags else None,
        tags_per_slide=carousel.tags_per_item if with_tags else None,
    )


# Per platform, what the live posts panel checks before the target form is known. Facebook and
# Pinterest video durations are left to the pre-publish checker (`studio.publish.checker`), which
# knows the exact target; product-tag counts only exist where tags are native (Instagram).
LIMITS: dict[str, PlatformLimits] = {
    "instagram": _limits("instagram", with_video=True, with_tags=True),
    "facebook": _limits("facebook", with_video=False, with_tags=False),
    "pinterest": _limits("pinterest", with_video=False, with_tags=False),
}

MAX_ITEMS = max(limit.carousel_max for limit in LIMITS.values())  # 10: no platform takes more

_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]+)")


def count_hashtags(text: str) -> int:
    """Hashtags as Instagram counts them: `#word` not glued to a previous word (`a#b` is not one)."""
    return len(_HASHTAG.findall(text or ""))


def count_mentions(text: str) -> int:
    return len(_MENTION.findall(text or ""))


@dataclass(frozen=True, slots=True)
class CaptionCount:
    """Live counter for one platform: the posts panel paints it red when `over`."""

    platform: str
    chars: int
    char_limit: int | None
    hashtags: int
    hashtag_limit: int | None
    mentions: int
    mention_limit: int | None

    @property
    def chars_over(self) -> bool:
        return self.char_limit is not None and self.chars > self.char_limit

    @property
    def hashtags_over(self) -> bool:
        return self.hashtag_limit is not None and self.hashtags > self.hashtag_limit

    @property
    def mentions_over(self) -> bool:
        return self.mention_limit is not None and self.mentions > self.mention_limit

    @property
    def over(self) -> bool:
        return self.chars_over or self.hashtags_over or self.mentions_over


def caption_count(caption: str, platform: str) -> CaptionCount:
    limits = LIMITS[platform]
    return CaptionCount(
        platform=platform,
        chars=len(caption or ""),
        char_limit=limits.caption_chars,
        hashtags=count_hashtags(caption),
        hashtag_limit=limits.hashtags,
        mentions=count_mentions(caption),
        mention_limit=limits.mentions,
    )


def kind_of(media: list[Media]) -> PostKind:
    """The post kind for these media, in order (more than one item is always a carousel)."""
    if not media:
        return PostKind.EMPTY
    if len(media) == 1:
        return PostKind.SINGLE_VIDEO if media[0].kind is MediaKind.VIDEO else PostKind.SINGLE_IMAGE
    return PostKind.CAROUSEL


def post_media(post: Post, project: Project) -> list[Media]:
    """The post's media that still exist in the project, in the post's order."""
    found = (project.media_by_id(mid) for mid in post.media_ids)
    return [m for m in found if m is not None]


def post_kind(post: Post, project: Project) -> PostKind:
    return kind_of(post_media(post, project))


def enabled_platforms(post: Post) -> list[str]:
    """Platforms the post goes to: a key in `post.platforms` whose settings do not say enabled=False."""
    return [
        p for p in PLATFORMS if p in post.platforms and post.platforms[p].get("enabled", True) is not False
    ]


def new_post(media_ids: list[str], platforms: tuple[str, ...] = ("instagram",)) -> Post:
    """A draft post over these media (duplicates dropped, order kept).

    Instagram only by default: it is the platform with product tags; the user ticks the others.
    """
    return Post(
        id=new_id("post"),
        media_ids=list(dict.fromkeys(media_ids)),
        caption="",
        platforms={p: {} for p in platforms if p in PLATFORMS},
        state=PostState.DRAFT,
    )


def _fmt(n: int) -> str:
    return f"{n:,}"


def validate_post(post: Post, project: Project) -> list[str]:
    """Every reason this post cannot be published as is, in words a user can act on.

    Empty list = publishable as far as the local rules know (the platforms may still refuse).
    """
    problems: list[str] = []
    media = post_media(post, project)
    missing = len(post.media_ids) - len(media)
    if missing:
        problems.append(f"{missing} item(s) of this post are no longer in the workspace: remove them")
    if not media:
        problems.append("The post is empty: add a photo or video")
    if len(media) > MAX_ITEMS:
        problems.append(f"Too many items ({len(media)}): a carousel holds at most {MAX_ITEMS}")
    platforms = enabled_platforms(post)
    if not platforms:
        problems.append("No platform chosen: tick Instagram, Facebook or Pinterest")
    kind = kind_of(media)
    for platform in platforms:
        name = PLATFORM_TITLES[platform]
        limits = LIMITS[platform]
        count = caption_count(post.caption, platform)
        if count.chars_over:
            problems.append(
                f"{name}: the caption has {_fmt(count.chars)} characters, "
                f"the limit is {_fmt(count.char_limit or 0)}"
            )
        if count.hashtags_over:
            problems.append(f"{name}: {count.hashtags} hashtags, the limit is {count.hashtag_limit}")
        if count.mentions_over:
            problems.append(f"{name}: {count.mentions} @-mentions, the limit is {count.mention_limit}")
        title = str(post.platforms.get(platform, {}).get("title", "") or "")
        if limits.title_chars is not None and len(title) > limits.title_chars:
            problems.append(
                f"{name}: the title has {len(title)} characters, the limit is {limits.title_chars}"
            )
        if kind is PostKind.CAROUSEL:
            if len(media) > limits.carousel_max and limits.carousel_max < MAX_ITEMS:
                problems.append(
                    f"{name}: a carousel holds at most {limits.carousel_max} items, this one has {len(media)}"
                )
            if not limits.carousel_videos and any(m.kind is MediaKind.VIDEO for m in media):
                problems.append(
                    f"{name}: a post with several items can only contain photos (mixed photos and videos)"
                )
        if kind is PostKind.SINGLE_VIDEO:
            duration = media[0].duration
            if duration is not None and limits.video_min_s is not None and duration < limits.video_min_s:
                problems.append(
                    f"{name}: the video is {duration:.1f} s long, the minimum is {limits.video_min_s:g} s"
                )
            if duration is not None and limits.video_max_s is not None and duration > limits.video_max_s:
                problems.append(
                    f"{name}: the video is {duration / 60:.1f} min long, "
                    f"the maximum is {limits.video_max_s / 60:g} min"
                )
        problems.extend(_tag_problems(name, limits, kind, media))
    return problems


def _tag_problems(name: str, limits: PlatformLimits, kind: PostKind, media: list[Media]) -> list[str]:
    """Product-tag counts (Instagram, publishing.md §1.6); only tags with a product count."""
    out: list[str] = []
    counts = [sum(1 for t in m.tags if t.product_id) for m in media]
    if kind is PostKind.CAROUSEL:
        if limits.tags_per_slide is not None:
            for index, n in enumerate(counts, start=1):
                if n > limits.tags_per_slide:
                    out.append(
                        f"{name}: item {index} has {n} product tags, at most {limits.tags_per_slide} per item"
                    )
        if limits.tags_per_carousel is not None and sum(counts) > limits.tags_per_carousel:
            out.append(
                f"{name}: {sum(counts)} product tags in the carousel, at most {limits.tags_per_carousel}"
            )
    elif kind is not PostKind.EMPTY:
        cap = limits.tags_per_reel if kind is PostKind.SINGLE_VIDEO else limits.tags_per_post
        if cap is not None and counts[0] > cap:
            out.append(f"{name}: {counts[0]} product tags, at most {cap}")
    return out
