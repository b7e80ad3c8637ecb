"""What each publishing target accepts: one table of pure data, read by everyone.

The renderer (which preset fits), the pre-publish checker (`studio.publish.checker`), the fallback
decision (`studio.publish.fallback`), the request planner and the caption rules in
`studio.core.post_rules` all read `CAPS`, so when a platform changes a limit it changes here, once.

Every row cites the section of /work/shared/platforms/publishing.md it comes from. A field named in
a row's `unconfirmed` set is a value that document marks UNCONFIRMED / CONFLICT or does not state
at all (then it is our conservative choice); the checker says so in its message, so a user is never
told "Instagram forbids this" on our guess alone.

A *target* is one way of publishing on one platform: `instagram.feed_image`, `instagram.carousel`,
`instagram.reel`, `instagram.story`, `facebook.photo`, `facebook.multi_photo`, `facebook.video`,
`pinterest.image_pin`, `pinterest.video_pin`, `pinterest.carousel_pin`. A post's kind (single image,
single video, carousel — `post_rules.PostKind`) picks the default target per platform
(`caps_for`); a story is chosen explicitly (`instagram.story`).

No imports of our own: `post_rules` imports this module, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PLATFORMS: tuple[str, ...] = ("instagram", "facebook", "pinterest")

MB = 1_000_000

IMAGE = "image"
VIDEO = "video"


@dataclass(frozen=True, slots=True)
class TargetCaps:
    """The rules of one publishing target. `None` means "no limit known" (nothing is checked)."""

    platform: str
    target: str  # "<platform>.<kind>", e.g. "instagram.carousel"
    title: str
    source: str  # publishing.md sections the row comes from
    media_types: frozenset[str]  # "image" / "video" allowed per item
    image_formats: frozenset[str] = frozenset()  # "jpeg", "png"
    video_formats: frozenset[str] = frozenset()  # container: "mp4", "mov", "m4v"
    video_codecs: frozenset[str] = frozenset()  # "h264", "hevc", ...; empty = not checked
    aspect_min: float | None = None  # width / height
    aspect_max: float | None = None
    width_min: int | None = None
    width_max: int | None = None  # larger is scaled down by the platform (a warning, not an error)
    height_min: int | None = None
    image_max_bytes: int | None = None
    video_max_bytes: int | None = None
    duration_min_s: float | None = None
    duration_max_s: float | None = None
    fps_min: float | None = None
    fps_max: float | None = None
    items_min: int = 1
    items_max: int = 1
    same_dimensions: bool = False  # every item must have the same pixel size
    native_product_tags: bool = False
    tag_positions: bool = False  # x/y sent with each product tag (images) — never on videos
    tags_per_item: int | None = None  # product tags on one media (a carousel item, or the single media)
    tags_total: int | None = None  # product tags on the whole post
    caption_chars: int | None = None  # 0 = no caption at all (stories)
    hashtags: int | None = None
    mentions: int | None = None
    title_chars: int | None = None
    alt_text_chars: int | None = None
    link_chars: int | None = None
    link_field: bool = False  # a destination link field (Pinterest `link`)
    link_required: bool = False  # a missing link is worth a warning (a pin without link sells nothing)
    clickable_caption_links: bool = False
    first_comment: bool = False  # the API can post a first comment (fallback "links_in_first_comment")
    board_required: bool = False
    presets: tuple[str, ...] = ()  # export presets (studio.render.presets) that fit; the first is the default
    unconfirmed: frozenset[str] = field(default_factory=frozenset)

    def accepts(self, media_type: str) -> bool:
        return media_type in self.media_types

    def is_unconfirmed(self, name: str) -> bool:
        return name in self.unconfirmed

    @property
    def carousel(self) -> bool:
        return self.items_max > 1


def _fs(*values: str) -> frozenset[str]:
    return frozenset(values)


_IG_CAPTION = {"caption_chars": 2200, "hashtags": 30, "mentions": 20}  # §1.1 caption row
_IG_IMAGE = {  # §1.7 Image (feed/carousel)
    "image_formats": _fs("jpeg"),
    "aspect_min": 4 / 5,
    "aspect_max": 1.91,
    "width_min": 320,
    "width_max": 1440,
    # "max 8 MB (2207004 'should be less than 8 MiB')": 8 MB decimal is the smaller reading.
    "image_max_bytes": 8 * MB,
}
_IG_VIDEO = {  # §1.7 Reels
    "video_formats": _fs("mp4", "mov"),
    "video_codecs": _fs("h264", "hevc"),
    "fps_min": 23.0,
    "fps_max": 60.0,
    # 300 MB in the 2026 copy, 1 GB in older copies (§7 item 3): the smaller one.
    "video_max_bytes": 300 * MB,
}

CAPS: dict[str, TargetCaps] = {
    t.target: t
    for t in (
        TargetCaps(
            platform="instagram",
            target="instagram.feed_image",
            title="Instagram photo",
            source="publishing.md §1.1, §1.6, §1.7",
            media_types=_fs(IMAGE),
            **_IG_IMAGE,  # type: ignore[arg-type]
            **_IG_CAPTION,  # type: ignore[arg-type]
            native_product_tags=True,
            tag_positions=True,
            tags_per_item=20,
            tags_total=20,
            alt_text_chars=1000,
            # Links in Instagram captions are not clickable: not in publishing.md, common knowledge.
            clickable_caption_links=False,
            # POST /{ig-media-id}/comments?message=… → {"id"}; GET …/comments → {data:[{id,text}]}
            # (Meta: instagram-platform/instagram-graph-api/reference/ig-media/comments; not in
            # publishing.md). Needs instagram_manage_comments; the GET makes it probe-able (exactly once).
            first_comment=True,
            presets=("instagram-portrait", "instagram-square", "instagram-landscape"),
            unconfirmed=_fs("clickable_caption_links"),
        ),
        TargetCaps(
            platform="instagram",
            target="instagram.carousel",
            title="Instagram carousel",
            source="publishing.md §1.1 (children 2–10), §1.6 (5 tags per item, 20 per carousel), §1.7",
            media_types=_fs(IMAGE, VIDEO),
            **_IG_IMAGE,  # type: ignore[arg-type]
            **_IG_VIDEO,  # type: ignore[arg-type]
            **_IG_CAPTION,  # type: ignore[arg-type]
            # Carousel video items: the Reels limits are the only documented ones (§1.7).
            duration_min_s=3.0,
            duration_max_s=15 * 60.0,
            items_min=2,
            items_max=10,  # 20-item carousels via the API: UNCONFIRMED (§7 item 3), 10 kept
            native_product_tags=True,
            tag_positions=True,
            tags_per_item=5,
            tags_total=20,
            alt_text_chars=1000,
            first_comment=True,  # see instagram.feed_image
            presets=("instagram-portrait", "instagram-square", "instagram-landscape"),
            unconfirmed=_fs("duration_min_s", "duration_max_s", "video_max_bytes"),
        ),
        TargetCaps(
            platform="instagram",
            target="instagram.reel",
            title="Instagram Reel",
            source="publishing.md §1.1 (single videos are Reels), §1.6 (30 tags, no x/y), §1.7 Reels",
            media_types=_fs(VIDEO),
            **_IG_VIDEO,  # type: ignore[arg-type]
            **_IG_CAPTION,  # type: ignore[arg-type]
            aspect_min=0.01,
            aspect_max=10.0,
            width_max=1920,
            duration_min_s=3.0,
            duration_max_s=15 * 60.0,
            native_product_tags=True,  # §1.6: Reels tagging documented in the guide (CONFLICT noted there)
            tag_positions=False,
            tags_per_item=30,
            tags_total=30,
            first_comment=True,  # see instagram.feed_image
            presets=("instagram-story",),
            unconfirmed=_fs("video_max_bytes"),
        ),
        TargetCaps(
            platform="instagram",
            target="instagram.story",
            title="Instagram Story",
            source="publishing.md §1.1 (stories: no caption, user tags only), §1.6 (no product tags), §1.7",
            media_types=_fs(IMAGE, VIDEO),
            image_formats=_fs("jpeg"),
            image_max_bytes=8 * MB,
            video_formats=_fs("mp4", "mov"),
            video_codecs=_fs("h264", "hevc"),
            aspect_min=0.1,  # story video 0.1:1–10:1; story images: 9:16 only "recommended"
            aspect_max=10.0,
            fps_min=23.0,
            fps_max=60.0,
            duration_min_s=3.0,
            duration_max_s=60.0,
            video_max_bytes=100 * MB,
            native_product_tags=False,
            caption_chars=0,
            presets=("instagram-story",),
        ),
        TargetCaps(
            platform="facebook",
            target="facebook.photo",
            title="Facebook photo",
            source="publishing.md §2.2, §2.3 (4 MB JPG/PNG only via postiz, §7 item 6)",
            media_types=_fs(IMAGE),
            image_formats=_fs("jpeg", "png"),
            image_max_bytes=4 * MB,
            # The Pages API in publishing.md has no product-tag parameter on /photos or /feed.
            native_product_tags=False,
            # 63,206: Facebook's well-known post text limit, not stated in publishing.md.
            caption_chars=63206,
            clickable_caption_links=True,
            first_comment=False,  # POST /{post-id}/comments: not in publishing.md
            presets=("facebook-feed", "facebook-link"),
            unconfirmed=_fs(
                "image_formats",
                "image_max_bytes",
                "native_product_tags",
                "caption_chars",
                "clickable_caption_links",
                "first_comment",
            ),
        ),
        TargetCaps(
            platform="facebook",
            target="facebook.multi_photo",
            title="Facebook multi-photo post",
            source="publishing.md §2.2 (attached_media), §2.3",
            media_types=_fs(IMAGE),  # a video in attached_media is not documented: refused
            image_formats=_fs("jpeg", "png"),
            image_max_bytes=4 * MB,
            items_min=2,
            items_max=10,  # not stated in publishing.md; kept equal to Instagram's
            native_product_tags=False,
            caption_chars=63206,
            clickable_caption_links=True,
            first_comment=False,  # comments API undocumented (publishing.md): no probe, no exactly-once
            presets=("facebook-feed",),
            unconfirmed=_fs(
                "image_formats",
                "image_max_bytes",
                "items_max",
                "native_product_tags",
                "caption_chars",
                "clickable_caption_links",
                "first_comment",
            ),
        ),
        TargetCaps(
            platform="facebook",
            target="facebook.video",
            title="Facebook Reel",
            source="publishing.md §2.4 Reels (mp4, 3–90 s, 24–60 fps, min 540×960, H.264/H.265/VP9/AV1)",
            media_types=_fs(VIDEO),
            video_formats=_fs("mp4"),
            video_codecs=_fs("h264", "hevc", "vp9", "av1"),
            width_min=540,
            height_min=960,
            duration_min_s=3.0,
            duration_max_s=90.0,
            fps_min=24.0,
            fps_max=60.0,
            native_product_tags=False,
            caption_chars=63206,
            clickable_caption_links=True,
            first_comment=False,  # comments API undocumented (publishing.md): no probe, no exactly-once
            presets=("instagram-story",),
            unconfirmed=_fs("native_product_tags", "caption_chars", "first_comment"),
        ),
        TargetCaps(
            platform="pinterest",
            target="pinterest.image_pin",
            title="Pinterest image pin",
            source="publishing.md §4.2 PinCreate (title 100, description 800, link 2048, alt 500), §7 #14",
            media_types=_fs(IMAGE),
            image_formats=_fs("jpeg", "png"),  # image_base64 content_type image/jpeg | image/png
            image_max_bytes=20 * MB,  # help-centre figure, not in publishing.md
            native_product_tags=False,  # no product tags on organic pins (§4.2, §7 item 14)
            caption_chars=800,
            title_chars=100,
            alt_text_chars=500,
            link_chars=2048,
            link_field=True,
            link_required=True,
            board_required=True,
            presets=("pinterest-standard", "pinterest-square"),
            unconfirmed=_fs("image_max_bytes"),
        ),
        TargetCaps(
            platform="pinterest",
            target="pinterest.video_pin",
            title="Pinterest video pin",
            source="publishing.md §4.2 (video_id source, cover required), §4.3 (MP4/MOV/M4V ≤2 GB, 4–900 s)",
            media_types=_fs(VIDEO),
            video_formats=_fs("mp4", "mov", "m4v"),
            video_max_bytes=2000 * MB,
            duration_min_s=4.0,
            duration_max_s=15 * 60.0,
            native_product_tags=False,
            caption_chars=800,
            title_chars=100,
            alt_text_chars=500,
            link_chars=2048,
            link_field=True,
            link_required=True,
            board_required=True,
            unconfirmed=_fs("video_formats", "video_max_bytes", "duration_min_s", "duration_max_s"),
        ),
        TargetCaps(
            platform="pinterest",
            target="pinterest.carousel_pin",
            title="Pinterest carousel pin",
            source="publishing.md §4.2 (multiple_image_* 2..5 items; same dimensions per postiz)",
            media_types=_fs(IMAGE),
            image_formats=_fs("jpeg", "png"),
            image_max_bytes=20 * MB,
            items_min=2,
            items_max=5,
            same_dimensions=True,
            native_product_tags=False,
            caption_chars=800,
            title_chars=100,
            alt_text_chars=500,
            link_chars=2048,
            link_field=True,
            link_required=True,
            board_required=True,
            presets=("pinterest-standard", "pinterest-square"),
            unconfirmed=_fs("image_max_bytes", "same_dimensions"),
        ),
    )
}

# post_rules.PostKind value -> default target per platform ("empty" has none).
_DEFAULT_TARGET: dict[tuple[str, str], str] = {
    ("instagram", "single_image"): "instagram.feed_image",
    ("instagram", "single_video"): "instagram.reel",
    ("instagram", "carousel"): "instagram.carousel",
    ("facebook", "single_image"): "facebook.photo",
    ("facebook", "single_video"): "facebook.video",
    ("facebook", "carousel"): "facebook.multi_photo",
    ("pinterest", "single_image"): "pinterest.image_pin",
    ("pinterest", "single_video"): "pinterest.video_pin",
    ("pinterest", "carousel"): "pinterest.carousel_pin",
}


def caps(target: str) -> TargetCaps:
    """The row of `target` ("instagram.story"); KeyError naming the known targets otherwise."""
    try:
        return CAPS[target]
    except KeyError:
        raise KeyError(f"unknown target {target!r}; known: {', '.join(CAPS)}") from None


def target_for(platform: str, post_kind: str) -> str | None:
    """The default target name for a post kind (`post_rules.PostKind` value) on `platform`."""
    return _DEFAULT_TARGET.get((platform, str(post_kind)))


def caps_for(platform: str, post_kind: str) -> TargetCaps:
    """The caps a post of this kind is checked against on `platform`.

    `platform` may also be a full target ("instagram.story"), which wins over the kind: the user
    picked that form explicitly.
    """
    if "." in platform:
        return caps(platform)
    name = target_for(platform, post_kind)
    if name is None:
        raise KeyError(f"no target for a {post_kind} post on {platform}")
    return CAPS[name]


def targets_of(platform: str) -> list[TargetCaps]:
    """Every target of one platform, in table order (for pickers and docs)."""
    return [c for c in CAPS.values() if c.platform == platform]


def platform_of(target: str) -> str:
    return target.split(".", 1)[0]


def has_native_product_tags(platform: str) -> bool:
    """Does any target of `platform` take product tags through the API at all?"""
    return any(c.native_product_tags for c in targets_of(platform))


def strictest(platform: str, name: str) -> int | float | None:
    """The smallest non-None value of numeric field `name` over the platform's targets that set it.

    Used for per-platform summaries (`post_rules.LIMITS`) where the target is not known yet.
    """
    values = [getattr(c, name) for c in targets_of(platform) if getattr(c, name) not in (None, 0)]
    return min(values) if values else None
