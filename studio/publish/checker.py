"""The pre-publish checker: offline, instant, one finding per problem, each with a fix the GUI can offer.

Every post is checked against the row of its target in `studio.core.platform_caps` (the one table
the renderer and clients read too) — media type, aspect ratio, resolution, file size, video
duration/codec/fps, item count, product tags per media, caption/title/description/alt lengths,
hashtags, link, board, product eligibility (through `fallback.decide`, so what the checker says
is exactly what the planner will do) and the remaining daily quota (a value read from the API by
the caller and passed in — never hard-coded: publishing.md §1.5/§7 item 1 lists 25, 50 and 100).

No network, no file reads: sizes come from the *file that will be uploaded* — the export output
when the caller knows it (`UploadFile`, e.g. from the export manifest), otherwise the source facts
recorded at intake (`Media.width/height/size_bytes/codec/fps/duration`).

Each `Finding` names the post, the media (id and name), the tag and product where relevant, and
carries a machine-readable `fix` ({"action": "rerender", "preset": "instagram-portrait", ...},
"trim_caption", "remove_tags", "choose_board", ...), so `studio publish --dry-run` prints it and
the GUI turns it into a button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal

from studio.core.model import Media, MediaKind, Post, Project
from studio.core.platform_caps import CAPS, IMAGE, PLATFORMS, VIDEO, TargetCaps, caps, caps_for
from studio.core.post_rules import count_hashtags, count_mentions, kind_of, post_media
from studio.core.utm import UtmConfig
from studio.publish.fallback import (
    LABELED,
    AccountInfo,
    CatalogLike,
    FallbackDecision,
    ReviewLookup,
    carried_by,
    decide,
    final_caption,
    pin_link,
)
from studio.render.manifest import Manifest
from studio.render.presets import BUILTIN_PRESETS, ExportPreset

Severity = Literal["error", "warning", "info"]
ERROR: Severity = "error"
WARNING: Severity = "warning"
INFO: Severity = "info"

_ASPECT_TOLERANCE = 0.01  # relative; a 1080×1351 export must not fail a 4:5 rule

_IMAGE_FORMATS = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "png": "png",
    "webp": "webp",
    "heic": "heic",
    "heif": "heif",
    "tif": "tiff",
    "tiff": "tiff",
    "gif": "gif",
    "bmp": "bmp",
    "avif": "avif",
}
_CODECS = {
    "h264": "h264",
    "avc": "h264",
    "avc1": "h264",
    "x264": "h264",
    "hevc": "hevc",
    "h265": "hevc",
    "hvc1": "hevc",
    "hev1": "hevc",
    "vp9": "vp9",
    "av1": "av1",
    "av01": "av1",
}


@dataclass(frozen=True, slots=True)
class Quota:
    """A daily publishing quota as read from the platform (IG `content_publishing_limit`, §1.5)."""

    used: int
    total: int

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used)


@dataclass(frozen=True, slots=True)
class UploadFile:
    """Facts of the file that will actually be uploaded for one media on one platform."""

    path: str
    width: int
    height: int
    bytes: int
    format: str  # "jpeg", "png", "mp4", "mov", ...
    preset: str = ""  # the export preset that made it ("" = the source itself)
    codec: str = ""
    fps: float | None = None
    duration: float | None = None

    @classmethod
    def from_media(cls, media: Media) -> UploadFile:
        """The source file as recorded at intake (used when no export output is known)."""
        ext = PurePath(media.path).suffix.lower().lstrip(".")
        fmt = _IMAGE_FORMATS.get(ext, ext) if media.kind is MediaKind.IMAGE else ext
        return cls(
            path=media.path,
            width=media.width,
            height=media.height,
            bytes=media.size_bytes,
            format=fmt,
            codec=_CODECS.get(media.codec.lower(), media.codec.lower()) if media.codec else "",
            fps=media.fps,
            duration=media.duration,
        )

    @classmethod
    def from_preset(cls, media: Media, preset: ExportPreset, path: str, size_bytes: int) -> UploadFile:
        """An export output (manifest record) of `preset` for this media."""
        return cls(path, preset.width, preset.height, size_bytes, preset.format, preset=preset.name)


@dataclass(slots=True)
class Finding:
    """One problem (or note) about one post on one target, with the fix the GUI can offer."""

    severity: Severity
    code: str  # stable machine name: "aspect_ratio", "caption_length", ...
    post_id: str
    platform: str
    target: str
    message: str
    media_id: str | None = None
    media_name: str | None = None
    tag_id: str | None = None
    product_id: str | None = None
    fix: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "post_id": self.post_id,
            "platform": self.platform,
            "target": self.target,
            "message": self.message,
            "media_id": self.media_id,
            "media_name": self.media_name,
            "tag_id": self.tag_id,
            "product_id": self.product_id,
            "fix": dict(self.fix) if self.fix else None,
        }


@dataclass(slots=True)
class CheckResult:
    """Findings plus the fallback decision per target (the planner needs the same decisions)."""

    findings: list[Finding] = field(default_factory=list)
    decisions: dict[str, FallbackDecision] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def uploads_from_manifest(
    manifest: Manifest,
    export_dir: Path | str,
    presets: Mapping[str, ExportPreset],
    *,
    kinds: Sequence[str] = ("labeled", "clean"),
) -> dict[tuple[str, str], UploadFile]:
    """(media id, platform) -> the exported file the checker should judge, from a batch `manifest.json`.

    Per media and platform the first output in `kinds` order of a preset of that platform wins
    (the labeled render when the fallback needs it, else the clean one). Images only: videos are
    judged on their recorded facts.
    """
    out: dict[tuple[str, str], UploadFile] = {}
    rank = {k: n for n, k in enumerate(kinds)}
    for item in manifest.items:
        candidates = sorted(
            (o for o in item.outputs if o.kind in rank and o.preset in presets),
            key=lambda o: rank[o.kind],
        )
        for output in candidates:
            preset = presets[output.preset]
            key = (item.media_id, preset.platform)
            if key not in out:
                path = str(Path(export_dir) / output.path)
                out[key] = UploadFile(
                    path, preset.width, preset.height, output.bytes, preset.format, preset.name
                )
    return out


def resolve_target(target: str, post_kind: str) -> TargetCaps | None:
    """ "instagram" → the default target for the post kind; "instagram.story" → that target."""
    if "." in target:
        return caps(target)
    try:
        return caps_for(target, post_kind)
    except KeyError:
        return None


def check_post(
    post: Post,
    project: Project,
    catalog: CatalogLike | None,
    targets: Sequence[str],
    *,
    accounts_info: Mapping[str, AccountInfo | None],
    quota: Mapping[str, Quota | None],
    uploads: Mapping[tuple[str, str], UploadFile] | None = None,
    approved: ReviewLookup | None = None,
    prefs: Sequence[str] | None = None,
) -> list[Finding]:
    """Every finding for `post` on each target ("instagram", "pinterest", "instagram.story", …)."""
    return check(
        post,
        project,
        catalog,
        targets,
        accounts_info=accounts_info,
        quota=quota,
        uploads=uploads,
        approved=approved,
        prefs=prefs,
    ).findings


def check(
    post: Post,
    project: Project,
    catalog: CatalogLike | None,
    targets: Sequence[str],
    *,
    accounts_info: Mapping[str, AccountInfo | None],
    quota: Mapping[str, Quota | None],
    uploads: Mapping[tuple[str, str], UploadFile] | None = None,
    approved: ReviewLookup | None = None,
    prefs: Sequence[str] | None = None,
) -> CheckResult:
    """`check_post` plus the fallback decisions (keyed by target name) the plan is built from.

    `accounts_info` and `quota` are keyed by platform; `uploads` by (media id, platform);
    `approved` answers "is this product approved in the connected catalog" (see `fallback`).
    """
    result = CheckResult()
    media = post_media(post, project)
    kind = kind_of(media)
    missing = [mid for mid in post.media_ids if project.media_by_id(mid) is None]
    for target_name in targets:
        platform = target_name.split(".", 1)[0]
        if platform not in PLATFORMS or ("." in target_name and target_name not in CAPS):
            _Ctx(post, project, catalog, result.findings, platform, target_name).add(
                ERROR,
                "unknown_target",
                f"“{target_name}” is not a publishing target",
                fix={"action": "choose_target", "known": sorted(CAPS)},
                fix_words="choose instagram, facebook or pinterest",
            )
            continue
        tc = resolve_target(target_name, kind)
        ctx = _Ctx(post, project, catalog, result.findings, platform, tc.target if tc else target_name)
        for mid in missing:
            ctx.add(
                ERROR,
                "missing_media",
                f"item {mid} is no longer in the workspace",
                media_id=mid,
                fix={"action": "remove_media", "media_id": mid},
                fix_words="remove it from the post",
            )
        if tc is None:
            ctx.add(
                ERROR,
                "empty_post",
                "the post has no photo or video",
                fix={"action": "add_media"},
                fix_words="add a photo or video",
            )
            continue
        account = accounts_info.get(platform)
        if account is None:
            ctx.add(
                ERROR,
                "no_account",
                f"no {_title(platform)} account is chosen",
                fix={"action": "choose_account", "platform": platform},
                fix_words=f"choose or connect a {_title(platform)} account",
            )
        decision = decide(post, project, tc, account=account, approved=approved, catalog=catalog, prefs=prefs)
        result.decisions[tc.target] = decision
        _check_items(ctx, tc, media, uploads or {}, decision)
        _check_tags(ctx, tc, media, decision)
        _check_text(ctx, tc, decision)
        _check_quota(ctx, tc, quota.get(platform), decision)
        if account is not None and account.sandbox:
            ctx.add(
                INFO,
                "sandbox",
                f"{account.name or 'the account'} publishes to the Pinterest sandbox: "
                "the pin is visible only to you",
            )
    return result


# --- helpers ------------------------------------------------------------------------------------


def _title(platform: str) -> str:
    return {"instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest"}.get(
        platform, platform
    )


@dataclass(slots=True)
class _Ctx:
    post: Post
    project: Project
    catalog: CatalogLike | None
    out: list[Finding]
    platform: str
    target: str

    def add(
        self,
        severity: Severity,
        code: str,
        text: str,
        *,
        media: Media | None = None,
        media_id: str | None = None,
        index: int | None = None,
        tag_id: str | None = None,
        product_id: str | None = None,
        fix: dict[str, Any] | None = None,
        fix_words: str = "",
    ) -> None:
        """Add a finding whose message names post, target, media, tag/product and the fix."""
        title = CAPS[self.target].title if self.target in CAPS else self.target
        parts = [f"Post {self.post.id} → {title}"]
        name = None
        if media is not None:
            name = media.name or PurePath(media.path).name
            parts.append(f"item {index} “{name}”" if index is not None else f"“{name}”")
            media_id = media.id
        if product_id:
            tag_part = f"tag {tag_id} ({self._product(product_id)})" if tag_id else self._product(product_id)
            parts.append(tag_part)
        message = ": ".join(parts) + f": {text}"
        if fix_words:
            message += f". Fix: {fix_words}"
        self.out.append(
            Finding(
                severity,
                code,
                self.post.id,
                self.platform,
                self.target,
                message,
                media_id,
                name,
                tag_id,
                product_id,
                fix,
            )
        )

    def _product(self, product_id: str) -> str:
        product = self.catalog.get(product_id) if self.catalog is not None else None
        return f"product “{product.title}”" if product is not None else f"product {product_id}"


def _unconfirmed(tc: TargetCaps, name: str) -> str:
    return " (this limit is UNCONFIRMED in the platform docs)" if tc.is_unconfirmed(name) else ""


def _best_preset(tc: TargetCaps, width: int, height: int) -> str | None:
    """The target's preset whose aspect is closest to the media's (least cropping)."""
    table = {p.name: p for p in BUILTIN_PRESETS}
    options = [table[n] for n in tc.presets if n in table]
    if not options:
        return None
    aspect = width / height if height else 1.0
    return min(options, key=lambda p: abs(p.width / p.height - aspect)).name


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _check_items(
    ctx: _Ctx,
    tc: TargetCaps,
    media: list[Media],
    uploads: Mapping[tuple[str, str], UploadFile],
    decision: FallbackDecision,
) -> None:
    n = len(media)
    if n > tc.items_max:
        ctx.add(
            ERROR,
            "item_count",
            f"{n} items, {tc.title} takes at most {tc.items_max}" + _unconfirmed(tc, "items_max"),
            fix={"action": "remove_items", "keep": tc.items_max},
            fix_words=f"keep {tc.items_max} items (or split the post)",
        )
    elif n < tc.items_min:
        ctx.add(
            ERROR,
            "item_count",
            f"{n} item(s), {tc.title} needs at least {tc.items_min}",
            fix={"action": "add_media", "min": tc.items_min},
            fix_words=f"add {tc.items_min - n} more",
        )
    sizes: set[tuple[int, int]] = set()
    for index, item in enumerate(media, start=1):
        mtype = VIDEO if item.kind is MediaKind.VIDEO else IMAGE
        if not tc.accepts(mtype):
            what = "a video" if mtype == VIDEO else "a photo"
            takes = " and ".join(sorted(tc.media_types))
            ctx.add(
                ERROR,
                "media_type",
                f"is {what}; {tc.title} takes {takes} only",
                media=item,
                index=index,
                fix={"action": "remove_media", "media_id": item.id},
                fix_words="remove it from the post or publish it separately",
            )
            continue
        up = uploads.get((item.id, tc.platform)) or UploadFile.from_media(item)
        sizes.add((up.width, up.height))
        preset = _best_preset(tc, up.width, up.height)
        rerender = {"action": "rerender", "media_id": item.id, "preset": preset}
        rerender_words = f"re-render with the {preset} preset" if preset else "re-render at a supported size"
        if decision.render.get(item.id) == LABELED:
            rerender["kind"] = LABELED
        if mtype == IMAGE:
            _check_image(ctx, tc, item, index, up, rerender, rerender_words)
        else:
            _check_video(ctx, tc, item, index, up)
    if tc.same_dimensions and len(sizes) > 1:
        preset = tc.presets[0] if tc.presets else None
        ctx.add(
            ERROR,
            "same_dimensions",
            f"the items have different sizes ({len(sizes)} different); "
            f"{tc.title} needs all items the same size" + _unconfirmed(tc, "same_dimensions"),
            fix={"action": "rerender", "preset": preset, "media_ids": [m.id for m in media]},
            fix_words=f"re-render every item with the {preset} preset",
        )


def _check_image(
    ctx: _Ctx, tc: TargetCaps, item: Media, index: int, up: UploadFile, rerender: dict[str, Any], words: str
) -> None:
    if tc.image_formats and up.format and up.format not in tc.image_formats:
        allowed = "/".join(sorted(f.upper() for f in tc.image_formats))
        ctx.add(
            ERROR,
            "image_format",
            f"is {up.format.upper()}; {tc.title} takes {allowed} only" + _unconfirmed(tc, "image_formats"),
            media=item,
            index=index,
            fix=rerender,
            fix_words=words,
        )
    if up.width > 0 and up.height > 0:
        aspect = up.width / up.height
        lo, hi = tc.aspect_min, tc.aspect_max
        if (lo is not None and aspect < lo * (1 - _ASPECT_TOLERANCE)) or (
            hi is not None and aspect > hi * (1 + _ASPECT_TOLERANCE)
        ):
            ctx.add(
                ERROR,
                "aspect_ratio",
                f"aspect ratio {aspect:.2f}:1 ({up.width}×{up.height}) is outside "
                f"{_ratio(lo)} … {_ratio(hi)}",
                media=item,
                index=index,
                fix=rerender,
                fix_words=words,
            )
        if tc.width_min is not None and up.width < tc.width_min:
            ctx.add(
                ERROR,
                "resolution",
                f"is {up.width} px wide, {tc.title} needs at least {tc.width_min} px",
                media=item,
                index=index,
                fix=rerender,
                fix_words=words,
            )
        elif tc.width_max is not None and up.width > tc.width_max:
            ctx.add(
                INFO,
                "resolution",
                f"is {up.width} px wide; {tc.title} scales it down to {tc.width_max} px",
                media=item,
                index=index,
                fix=rerender,
                fix_words=words,
            )
    if tc.image_max_bytes is not None and up.bytes > tc.image_max_bytes:
        ctx.add(
            ERROR,
            "file_size",
            f"the file is {_mb(up.bytes)}, {tc.title} takes at most "
            f"{_mb(tc.image_max_bytes)}" + _unconfirmed(tc, "image_max_bytes"),
            media=item,
            index=index,
            fix=rerender,
            fix_words=words + " (it caps the file size)",
        )


def _ratio(value: float | None) -> str:
    if value is None:
        return "any"
    known = {0.8: "4:5", 1.91: "1.91:1", 0.5625: "9:16"}
    for v, text in known.items():
        if abs(value - v) < 1e-6:
            return text
    return f"{value:g}:1"


def _check_video(ctx: _Ctx, tc: TargetCaps, item: Media, index: int, up: UploadFile) -> None:
    transcode: dict[str, Any] = {
        "action": "transcode",
        "media_id": item.id,
        "container": "mp4",
        "codec": "h264",
    }
    if tc.video_formats and up.format and up.format not in tc.video_formats:
        ctx.add(
            ERROR,
            "video_format",
            f"is a .{up.format} file; {tc.title} takes "
            f"{'/'.join(sorted(tc.video_formats)).upper()}" + _unconfirmed(tc, "video_formats"),
            media=item,
            index=index,
            fix=transcode,
            fix_words="convert it to H.264 MP4",
        )
    if tc.video_codecs and up.codec and up.codec not in tc.video_codecs:
        ctx.add(
            ERROR,
            "video_codec",
            f"is encoded as {up.codec}; {tc.title} takes {', '.join(sorted(tc.video_codecs))}",
            media=item,
            index=index,
            fix=transcode,
            fix_words="convert it to H.264 MP4",
        )
    if up.fps is not None and (
        (tc.fps_min is not None and up.fps < tc.fps_min) or (tc.fps_max is not None and up.fps > tc.fps_max)
    ):
        fps = 30 if (tc.fps_min or 0) <= 30 <= (tc.fps_max or 60) else tc.fps_min
        ctx.add(
            ERROR,
            "video_fps",
            f"runs at {up.fps:g} fps; {tc.title} takes {tc.fps_min:g}–{tc.fps_max:g} fps",
            media=item,
            index=index,
            fix={**transcode, "fps": fps},
            fix_words=f"convert it to {fps} fps",
        )
    d = up.duration
    if d is not None and tc.duration_min_s is not None and d < tc.duration_min_s:
        ctx.add(
            ERROR,
            "video_duration",
            f"is {d:.1f} s long, {tc.title} needs at least {tc.duration_min_s:g} s"
            + _unconfirmed(tc, "duration_min_s"),
            media=item,
            index=index,
            fix={"action": "replace_media", "media_id": item.id, "min_s": tc.duration_min_s},
            fix_words="use a longer clip",
        )
    if d is not None and tc.duration_max_s is not None and d > tc.duration_max_s:
        ctx.add(
            ERROR,
            "video_duration",
            f"is {d:.1f} s long, {tc.title} takes at most {tc.duration_max_s:g} s"
            + _unconfirmed(tc, "duration_max_s"),
            media=item,
            index=index,
            fix={"action": "trim_video", "media_id": item.id, "max_s": tc.duration_max_s},
            fix_words=f"trim it to {tc.duration_max_s:g} s",
        )
    if tc.video_max_bytes is not None and up.bytes > tc.video_max_bytes:
        ctx.add(
            ERROR,
            "file_size",
            f"the file is {_mb(up.bytes)}, {tc.title} takes at most "
            f"{_mb(tc.video_max_bytes)}" + _unconfirmed(tc, "video_max_bytes"),
            media=item,
            index=index,
            fix={**transcode, "max_bytes": tc.video_max_bytes},
            fix_words="re-encode it smaller",
        )
    if up.width > 0 and up.height > 0:
        aspect = up.width / up.height
        if (tc.aspect_min is not None and aspect < tc.aspect_min) or (
            tc.aspect_max is not None and aspect > tc.aspect_max
        ):
            ctx.add(
                ERROR,
                "aspect_ratio",
                f"aspect ratio {aspect:.2f}:1 is outside {_ratio(tc.aspect_min)} … {_ratio(tc.aspect_max)}",
                media=item,
                index=index,
                fix={**transcode, "aspect": "9:16"},
                fix_words="crop it to 9:16",
            )
        if (tc.width_min is not None and up.width < tc.width_min) or (
            tc.height_min is not None and up.height < tc.height_min
        ):
            ctx.add(
                ERROR,
                "resolution",
                f"is {up.width}×{up.height}; {tc.title} needs at least "
                f"{tc.width_min or 0}×{tc.height_min or 0}",
                media=item,
                index=index,
                fix={**transcode, "min_width": tc.width_min, "min_height": tc.height_min},
                fix_words="use a higher-resolution source",
            )
        elif tc.width_max is not None and up.width > tc.width_max:
            ctx.add(
                INFO,
                "resolution",
                f"is {up.width} px wide; {tc.title} scales it down to {tc.width_max} px",
                media=item,
                index=index,
            )


def _check_tags(ctx: _Ctx, tc: TargetCaps, media: list[Media], decision: FallbackDecision) -> None:
    by_id = {m.id: (i, m) for i, m in enumerate(media, start=1)}
    over: dict[str, list[str]] = {}
    for td in decision.tags:
        index, item = by_id[td.media_id]
        if ctx.catalog is not None and ctx.catalog.get(td.product_id) is None:
            ctx.add(
                WARNING,
                "unknown_product",
                "the product is not in the workspace catalog",
                media=item,
                index=index,
                tag_id=td.tag_id,
                product_id=td.product_id,
                fix={"action": "remove_tags", "media_id": item.id, "tag_ids": [td.tag_id]},
                fix_words="remove the tag or re-import the catalog",
            )
        if td.native:
            continue
        if "product tags per" in td.reason:
            over.setdefault(td.media_id, []).append(td.tag_id)
            continue
        if td in decision.lost or decision.blocked:
            continue
        ctx.add(
            INFO,
            "product_fallback",
            f"not tagged natively ({td.reason}); {carried_by(decision, td.product_id)}",
            media=item,
            index=index,
            tag_id=td.tag_id,
            product_id=td.product_id,
        )
    for mid, tag_ids in over.items():
        index, item = by_id[mid]
        keep = tc.tags_per_item or 0
        ctx.add(
            WARNING,
            "tags_per_media",
            f"{len(tag_ids)} product tag(s) over the limit of {tc.tags_per_item} "
            f"per {'carousel item' if tc.carousel else 'post'} (or {tc.tags_total} per post); they go to "
            "the fallback instead",
            media=item,
            index=index,
            fix={"action": "remove_tags", "media_id": mid, "tag_ids": tag_ids, "keep": keep},
            fix_words=f"remove {len(tag_ids)} tag(s) to tag every product natively",
        )
    unchecked = sorted({td.product_id for td in decision.tags if td.native and td.unchecked})
    if unchecked:
        ctx.add(
            INFO,
            "catalog_unchecked",
            f"{len(unchecked)} tagged product(s) were not looked up in the shop's catalog yet, so their "
            "approval is assumed",
            fix={"action": "check_catalog"},
            fix_words="check the catalog (Publish does it before sending)",
        )
    if decision.blocked and decision.tags and decision.reasons:
        ctx.add(INFO, "product_fallback", decision.reasons[0])
    for td in decision.lost:
        index, item = by_id[td.media_id]
        ctx.add(
            ERROR,
            "product_lost",
            f"no native tag ({td.reason}) and no fallback carries it, so the post would lose this product",
            media=item,
            index=index,
            tag_id=td.tag_id,
            product_id=td.product_id,
            fix={"action": "set_fallback", "modes": [LABELED]},
            fix_words="turn on the labeled render (or product links) for fallbacks",
        )
    for pid in decision.no_link:
        if any(t.product_id == pid for t in decision.lost):
            continue
        ctx.add(
            WARNING,
            "product_no_link",
            "has no link in the catalog, so it cannot be linked",
            product_id=pid,
            fix={"action": "edit_product", "product_id": pid},
            fix_words="add the product's URL in the catalog",
        )


def _check_text(ctx: _Ctx, tc: TargetCaps, decision: FallbackDecision) -> None:
    settings = ctx.post.platforms.get(tc.platform, {}) or {}
    text = str(settings.get("description") or ctx.post.caption or "")
    field_name = "description" if tc.platform == "pinterest" else "caption"
    # the same text the plan sends: the user's caption plus the fallback's links with their UTM
    sent = final_caption(text, decision, ctx.catalog, utm=UtmConfig.from_project(ctx.project))
    if tc.caption_chars == 0:
        if text.strip():
            ctx.add(INFO, "caption_ignored", f"{tc.title} has no caption; the text is not sent")
    elif tc.caption_chars is not None and len(sent) > tc.caption_chars:
        extra = f" with the product links ({len(sent) - len(text)} characters)" if sent != text else ""
        budget = tc.caption_chars - (len(sent) - len(text))
        ctx.add(
            ERROR,
            f"{field_name}_length",
            f"the {field_name} has {len(sent):,} characters{extra}, "
            f"the limit is {tc.caption_chars:,}" + _unconfirmed(tc, "caption_chars"),
            fix={
                "action": "trim_caption",
                "field": field_name,
                "max_chars": max(0, budget),
                "platform": tc.platform,
            },
            fix_words=f"shorten the {field_name} to {max(0, budget):,} characters",
        )
    if tc.hashtags is not None and count_hashtags(sent) > tc.hashtags:
        ctx.add(
            ERROR,
            "hashtag_count",
            f"{count_hashtags(sent)} hashtags, the limit is {tc.hashtags}",
            fix={"action": "remove_hashtags", "max": tc.hashtags},
            fix_words=f"keep at most {tc.hashtags} hashtags",
        )
    if tc.mentions is not None and count_mentions(sent) > tc.mentions:
        ctx.add(
            ERROR,
            "mention_count",
            f"{count_mentions(sent)} @-mentions, the limit is {tc.mentions}",
            fix={"action": "remove_mentions", "max": tc.mentions},
            fix_words=f"keep at most {tc.mentions} @-mentions",
        )
    title = str(settings.get("title") or "")
    if tc.title_chars is not None and len(title) > tc.title_chars:
        ctx.add(
            ERROR,
            "title_length",
            f"the title has {len(title)} characters, the limit is {tc.title_chars}",
            fix={"action": "trim_title", "max_chars": tc.title_chars, "platform": tc.platform},
            fix_words=f"shorten the title to {tc.title_chars} characters",
        )
    alt = str(settings.get("alt_text") or "")
    if alt and tc.alt_text_chars is not None and len(alt) > tc.alt_text_chars:
        ctx.add(
            ERROR,
            "alt_text_length",
            f"the alt text has {len(alt)} characters, the limit is {tc.alt_text_chars}",
            fix={"action": "trim_alt_text", "max_chars": tc.alt_text_chars, "platform": tc.platform},
            fix_words=f"shorten the alt text to {tc.alt_text_chars} characters",
        )
    if tc.link_field:
        link = str(settings.get("link") or "") or pin_link(
            decision, ctx.catalog, utm=UtmConfig.from_project(ctx.project)
        )
        if not link and tc.link_required:
            ctx.add(
                WARNING,
                "link_missing",
                f"the {tc.title} has no destination link, so it leads nowhere",
                fix={"action": "add_link"},
                fix_words="add a link (or tag a product that has one)",
            )
        elif tc.link_chars is not None and len(link) > tc.link_chars:
            ctx.add(
                ERROR,
                "link_length",
                f"the link has {len(link)} characters, the limit is {tc.link_chars}",
                fix={"action": "edit_link", "max_chars": tc.link_chars},
                fix_words="use a shorter link",
            )
    if tc.board_required and not settings.get("board_id"):
        ctx.add(
            ERROR,
            "board_missing",
            "no board is chosen",
            fix={"action": "choose_board"},
            fix_words="choose (or create) a board",
        )


def _check_quota(ctx: _Ctx, tc: TargetCaps, quota: Quota | None, decision: FallbackDecision) -> None:
    if tc.platform != "instagram":
        return
    if quota is None:
        ctx.add(
            INFO,
            "quota_unknown",
            "the daily publishing quota has not been read yet",
            fix={"action": "refresh_quota"},
            fix_words="refresh the account (the quota is read when online)",
        )
        return
    if quota.remaining <= 0:
        ctx.add(
            ERROR,
            "quota",
            f"the daily publishing quota is used up ({quota.used} of {quota.total} posts in the last 24 h)",
            fix={"action": "schedule_later", "hours": 24},
            fix_words="schedule the post for later",
        )
    else:
        ctx.add(INFO, "quota", f"{quota.remaining} of {quota.total} posts left in the 24-hour quota")
