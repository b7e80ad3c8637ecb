"""A post × target × fallback decision turned into an ordered list of steps — and a dry-run of them.

Why a plan at all: the outbox stores it *before* any network call, and each step has a stable key,
so after a crash the worker knows exactly which step was done (its remote ids are recorded), which
one was running (probe it before redoing it, see docs/decisions/0005-outbox-exactly-once.md) and
which are still to do. The same plan prints `studio publish --dry-run` — the exact requests that
would be sent — so what the user reviews is what runs.

Each `Step` says whether it is *idempotent* (repeating it cannot make a visible duplicate: uploads
to our own bucket, containers that expire unpublished, unpublished photos, status polls) and, for
the ones that are not (publish, create pin, feed post, first comment), how to *probe* whether it
already happened. Values only known at run time are placeholders `{<step key>.<id name>}` (e.g.
`{ig.container.med_1.container_id}`) resolved from the ids recorded by earlier steps;
`{account_id}` is the IG user / Page id. Request shapes follow publishing.md §1.1–1.4 (Instagram),
§2.2–2.4 (Facebook), §4.2–4.3 (Pinterest). No token is ever stored in a plan: `describe()` shows
where one goes as "***".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from studio.core.model import MediaKind, Post, Project
from studio.core.platform_caps import TargetCaps, caps
from studio.core.post_rules import post_media
from studio.core.utm import UtmConfig
from studio.publish.fallback import (
    FACEBOOK_LOGIN,
    AccountInfo,
    CatalogLike,
    FallbackDecision,
    final_caption,
    first_comment,
    pin_link,
)

REDACTED = "***"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\.([a-z_]+)\}")

_DEFAULT_BASES = {
    "graph": "https://graph.facebook.com/v26.0",
    "rupload": "https://rupload.facebook.com",
    "pinterest": "https://api.pinterest.com/v5",
}


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as it will be sent (placeholders aside). `host` names the API root."""

    method: str
    host: str  # graph | rupload | pinterest | s3 | upload_url | local
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: str = "query"  # query | form | json | multipart | bytes | none
    auth: str = "query_token"  # query_token | bearer | oauth_header | presigned | none
    file: str | None = None  # local file sent as the body / multipart part


@dataclass(frozen=True, slots=True)
class Step:
    """One unit the outbox tracks: stable key, idempotency, recorded ids and the exactly-once probe."""

    key: str
    action: str
    title: str
    idempotent: bool
    records: tuple[str, ...] = ()
    request: Request | None = None
    media_id: str | None = None
    probe: str | None = None  # how to tell "already happened" for a non-idempotent step
    poll: bool = False  # repeat until the recorded status is final

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["records"] = list(self.records)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Step:
        req = doc.get("request")
        return cls(
            key=str(doc["key"]),
            action=str(doc["action"]),
            title=str(doc.get("title", "")),
            idempotent=bool(doc["idempotent"]),
            records=tuple(doc.get("records", ())),
            request=Request(**req) if isinstance(req, dict) else None,
            media_id=doc.get("media_id"),
            probe=doc.get("probe"),
            poll=bool(doc.get("poll", False)),
        )


@dataclass(slots=True)
class PublishPlan:
    """Everything the worker needs for one post on one target, JSON-serialisable for the outbox."""

    post_id: str
    platform: str
    target: str
    account: str  # account name or id (never a token)
    steps: list[Step] = field(default_factory=list)
    caption: str = ""
    scheduled_at: float | None = None
    native_scheduling: bool = False  # Facebook keeps the schedule itself
    sandbox: bool = False
    decision: dict[str, Any] = field(default_factory=dict)  # FallbackDecision.to_dict()

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.steps]

    @property
    def native_products(self) -> list[str]:
        if not self.decision:
            return []
        return FallbackDecision.from_dict(self.decision).native_product_ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "platform": self.platform,
            "target": self.target,
            "account": self.account,
            "steps": [s.to_dict() for s in self.steps],
            "caption": self.caption,
            "scheduled_at": self.scheduled_at,
            "native_scheduling": self.native_scheduling,
            "sandbox": self.sandbox,
            "decision": self.decision,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> PublishPlan:
        return cls(
            post_id=str(doc["post_id"]),
            platform=str(doc["platform"]),
            target=str(doc["target"]),
            account=str(doc.get("account", "")),
            steps=[Step.from_dict(s) for s in doc.get("steps", [])],
            caption=str(doc.get("caption", "")),
            scheduled_at=doc.get("scheduled_at"),
            native_scheduling=bool(doc.get("native_scheduling", False)),
            sandbox=bool(doc.get("sandbox", False)),
            decision=dict(doc.get("decision") or {}),
        )

    @classmethod
    def from_json(cls, text: str) -> PublishPlan:
        return cls.from_dict(json.loads(text))


# Facebook schedules natively between 10 minutes and 29 days ahead (publishing.md §2.2: the sources
# say 30 d / 75 d / 29 d for Reels — the narrowest is used).
FB_SCHEDULE_MIN_S = 10 * 60
FB_SCHEDULE_MAX_S = 29 * 86400


def build_plan(
    post: Post,
    project: Project,
    target: TargetCaps | str,
    decision: FallbackDecision,
    *,
    account: AccountInfo,
    catalog: CatalogLike | None = None,
    files: Mapping[str, str] | None = None,
    scheduled_at: float | None = None,
    now: float | None = None,
) -> PublishPlan:
    """The ordered steps for `post` on `target`, following the fallback `decision`.

    `files`: media id -> the file to upload (the export output — labeled where the decision says
    so); missing ones upload the source. `scheduled_at` (Unix seconds): Facebook schedules natively
    when it is 10 min – 29 days after `now`; elsewhere the outbox waits until then.
    """
    tc = caps(target) if isinstance(target, str) else target
    utm = UtmConfig.from_project(project)
    settings = post.platforms.get(tc.platform, {}) or {}
    text = (
        str(settings.get("description") or post.caption or "") if tc.platform == "pinterest" else post.caption
    )
    caption = final_caption(text, decision, catalog, utm=utm) if tc.caption_chars != 0 else ""
    media = post_media(post, project)
    if not media:
        raise ValueError(f"post {post.id} has no media to publish")
    chosen = dict(files or {})
    paths = {m.id: chosen.get(m.id) or m.path for m in media}
    plan = PublishPlan(
        post_id=post.id,
        platform=tc.platform,
        target=tc.target,
        account=account.name,
        caption=caption,
        scheduled_at=scheduled_at,
        sandbox=account.sandbox,
        decision=decision.to_dict(),
    )
    comment = first_comment(decision, catalog, utm=utm)
    if tc.platform == "instagram":
        _instagram(plan, tc, media, paths, decision, settings, account, comment)
    elif tc.platform == "facebook":
        native = (
            scheduled_at is not None
            and now is not None
            and FB_SCHEDULE_MIN_S <= scheduled_at - now <= FB_SCHEDULE_MAX_S
        )
        plan.native_scheduling = native
        _facebook(plan, tc, media, paths, settings, comment, scheduled_at if native else None)
    elif tc.platform == "pinterest":
        link = str(settings.get("link") or "") or pin_link(decision, catalog, utm=utm)
        _pinterest(plan, tc, media, paths, settings, link)
    else:
        raise ValueError(f"unknown platform {tc.platform!r}")
    return plan


def _ext(path: str) -> str:
    return PurePath(path).suffix.lower().lstrip(".") or "bin"


def _ref(step_key: str, name: str) -> str:
    return "{" + f"{step_key}.{name}" + "}"


def _product_tags(decision: FallbackDecision, media_id: str) -> str | None:
    tags = []
    for td in decision.native_for(media_id):
        tag: dict[str, Any] = {"product_id": td.platform_product_id or td.product_id}
        if td.x is not None and td.y is not None:  # images only (§1.6: never on videos)
            tag["x"], tag["y"] = round(td.x, 4), round(td.y, 4)
        tags.append(tag)
    return json.dumps(tags, separators=(",", ":")) if tags else None


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v not in (None, "")}


def _instagram(
    plan: PublishPlan,
    tc: TargetCaps,
    media: list[Any],
    paths: dict[str, str],
    decision: FallbackDecision,
    settings: Mapping[str, Any],
    account: AccountInfo,
    comment: str,
) -> None:
    """§1.9: upload → container(s) → poll until FINISHED → media_publish → (comment) → permalink → cleanup."""
    steps = plan.steps
    resumable = account.login == FACEBOOK_LOGIN  # rupload: Facebook Login only (§1.2)
    alt = settings.get("alt_text")
    children: list[str] = []
    uploaded: list[str] = []
    carousel = tc.target == "instagram.carousel"
    story = tc.target == "instagram.story"
    for item in media:
        video = item.kind is MediaKind.VIDEO
        container_key = f"ig.container.{item.id}"
        use_rupload = video and resumable and not carousel
        if not use_rupload:
            upload_key = f"ig.upload.{item.id}"
            steps.append(
                Step(
                    upload_key,
                    "upload",
                    f"Upload {PurePath(paths[item.id]).name} to the media bucket",
                    idempotent=True,  # PUT to a deterministic key
                    records=("url", "object_key"),
                    request=Request(
                        "PUT",
                        "s3",
                        f"studio/{plan.post_id}/{item.id}.{_ext(paths[item.id])}",
                        body="bytes",
                        auth="presigned",
                        file=paths[item.id],
                    ),
                    media_id=item.id,
                )
            )
            uploaded.append(upload_key)
        source: dict[str, Any]
        if use_rupload:
            source = {"upload_type": "resumable"}
        elif video:
            source = {"video_url": _ref(f"ig.upload.{item.id}", "url")}
        else:
            source = {"image_url": _ref(f"ig.upload.{item.id}", "url")}
        if story:
            params = {"media_type": "STORIES", **source}
        elif carousel:
            params = {**source, "is_carousel_item": "true", "media_type": "VIDEO" if video else None}
            params["product_tags"] = _product_tags(decision, item.id)
            params["alt_text"] = None if video else alt
        else:
            params = {
                "media_type": "REELS" if video else None,
                **source,
                "caption": plan.caption,
                "alt_text": None if video else alt,
                "share_to_feed": "true" if video else None,
                "product_tags": _product_tags(decision, item.id),
                "location_id": settings.get("location_id"),
            }
        steps.append(
            Step(
                container_key,
                "create_container",
                f"Create the {'carousel item' if carousel else 'media'} container for {item.name or item.id}",
                # an unpublished container is invisible and expires after 24 h (§1.1): redoing it is safe
                idempotent=True,
                records=("container_id", "uri") if use_rupload else ("container_id",),
                request=Request("POST", "graph", "/{account_id}/media", _clean(params)),
                media_id=item.id,
            )
        )
        container = _ref(container_key, "container_id")
        if use_rupload:
            steps.append(
                Step(
                    f"ig.rupload.{item.id}",
                    "upload",
                    f"Upload {PurePath(paths[item.id]).name} (resumable)",
                    idempotent=True,  # resumes at the offset the server reports (§1.2)
                    request=Request(
                        "POST",
                        "rupload",
                        f"/ig-api-upload/{_graph_version()}/{container}",
                        {"offset": "0", "file_size": "{file_size}"},
                        body="bytes",
                        auth="oauth_header",
                        file=paths[item.id],
                    ),
                    media_id=item.id,
                )
            )
        if video or not carousel:
            steps.append(_ig_poll(f"ig.poll.{item.id}", container, item.id))
        children.append(container)
    publish_id = _ref(f"ig.container.{media[0].id}", "container_id") if media else ""
    if carousel:
        params = {
            "media_type": "CAROUSEL",
            "children": ",".join(children),
            "caption": plan.caption,
            "location_id": settings.get("location_id"),
        }
        steps.append(
            Step(
                "ig.container.carousel",
                "create_container",
                f"Create the carousel container ({len(children)} items)",
                idempotent=True,
                records=("container_id",),
                request=Request("POST", "graph", "/{account_id}/media", _clean(params)),
            )
        )
        publish_id = _ref("ig.container.carousel", "container_id")
        steps.append(_ig_poll("ig.poll.carousel", publish_id, None))
    steps.append(
        Step(
            "ig.publish",
            "publish",
            "Publish",
            idempotent=False,
            records=("media_id",),
            request=Request("POST", "graph", "/{account_id}/media_publish", {"creation_id": publish_id}),
            probe=(
                f"GET /{publish_id}?fields=status_code: PUBLISHED means done; the media id is then the "
                "newest item of GET /{account_id}/media?fields=id,caption,timestamp whose caption "
                "matches and timestamp is after the step started"
            ),
        )
    )
    media_id = _ref("ig.publish", "media_id")
    if comment and tc.first_comment:
        steps.append(
            Step(
                "ig.comment",
                "comment",
                "Post the product links as the first comment",
                idempotent=False,
                records=("comment_id",),
                request=Request("POST", "graph", f"/{media_id}/comments", {"message": comment}),
                probe=f"GET /{media_id}/comments?fields=id,text: a comment with the same text exists",
            )
        )
    steps.append(
        Step(
            "ig.permalink",
            "permalink",
            "Fetch the permalink",
            idempotent=True,
            records=("permalink",),
            request=Request("GET", "graph", f"/{media_id}", {"fields": "permalink"}),
        )
    )
    for key in uploaded:
        mid = key.rsplit(".", 1)[1]
        steps.append(
            Step(
                f"ig.cleanup.{mid}",
                "cleanup",
                "Delete the uploaded file from the media bucket",
                idempotent=True,  # deleting a missing object is not an error in S3
                request=Request("DELETE", "s3", _ref(key, "object_key"), auth="presigned"),
                media_id=mid,
            )
        )


def _ig_poll(key: str, container: str, media_id: str | None) -> Step:
    return Step(
        key,
        "poll",
        "Wait until the container is FINISHED",
        idempotent=True,
        records=("status_code",),
        request=Request("GET", "graph", f"/{container}", {"fields": "status_code,status"}),
        media_id=media_id,
        poll=True,
    )


def _graph_version() -> str:
    try:
        from studio.publish.http import GRAPH_API_VERSION

        return GRAPH_API_VERSION
    except Exception:  # the http module is optional for planning (dry-run, tests)
        return "v26.0"


def _facebook(
    plan: PublishPlan,
    tc: TargetCaps,
    media: list[Any],
    paths: dict[str, str],
    settings: Mapping[str, Any],
    comment: str,
    native_at: float | None,
) -> None:
    """§2.2–2.4: photos unpublished → feed with attached_media; Reels: start → rupload → poll → finish."""
    steps = plan.steps
    schedule = {"published": "false", "scheduled_publish_time": int(native_at)} if native_at else {}
    if tc.target == "facebook.video":
        item = media[0]
        steps.append(
            Step(
                "fb.reel.start",
                "upload_start",
                "Start the Reel upload",
                idempotent=True,  # an unfinished upload session is invisible
                records=("video_id", "upload_url"),
                request=Request(
                    "POST", "graph", "/{account_id}/video_reels", {"upload_phase": "start"}, body="json"
                ),
                media_id=item.id,
            )
        )
        video = _ref("fb.reel.start", "video_id")
        steps.append(
            Step(
                "fb.reel.upload",
                "upload",
                f"Upload {PurePath(paths[item.id]).name} (resumable)",
                idempotent=True,  # resumes at bytes_transfered (§2.4)
                request=Request(
                    "POST",
                    "rupload",
                    f"/video-upload/{_graph_version()}/{video}",
                    {"offset": "0", "file_size": "{file_size}"},
                    body="bytes",
                    auth="oauth_header",
                    file=paths[item.id],
                ),
                media_id=item.id,
            )
        )
        steps.append(
            Step(
                "fb.reel.poll",
                "poll",
                "Wait until the upload is processed",
                idempotent=True,
                records=("video_status",),
                request=Request("GET", "graph", f"/{video}", {"fields": "status"}),
                media_id=item.id,
                poll=True,
            )
        )
        finish = {
            "video_id": video,
            "upload_phase": "finish",
            "video_state": "SCHEDULED" if native_at else "PUBLISHED",
            "description": plan.caption,
            "title": settings.get("title"),
            "scheduled_publish_time": int(native_at) if native_at else None,
        }
        steps.append(
            Step(
                "fb.reel.finish",
                "publish",
                "Publish the Reel",
                idempotent=False,
                records=("post_id",),
                request=Request("POST", "graph", "/{account_id}/video_reels", _clean(finish)),
                probe=f"GET /{video}?fields=status: publishing_phase.status is not not_started",
            )
        )
        post_ref = video
    else:
        photo_refs = []
        for item in media:
            key = f"fb.photo.{item.id}"
            steps.append(
                Step(
                    key,
                    "upload",
                    f"Upload {PurePath(paths[item.id]).name} as an unpublished photo",
                    idempotent=True,  # an unpublished photo is invisible until attached
                    records=("photo_id",),
                    request=Request(
                        "POST",
                        "graph",
                        "/{account_id}/photos",
                        _clean(
                            {
                                "published": "false",
                                "source": f"@{PurePath(paths[item.id]).name}",
                                "alt_text_custom": settings.get("alt_text"),
                            }
                        ),
                        body="multipart",
                        file=paths[item.id],
                    ),
                    media_id=item.id,
                )
            )
            photo_refs.append(_ref(key, "photo_id"))
        attached = json.dumps([{"media_fbid": ref} for ref in photo_refs], separators=(",", ":"))
        steps.append(
            Step(
                "fb.feed",
                "publish",
                "Schedule the Page post" if native_at else "Publish the Page post",
                idempotent=False,
                records=("post_id",),
                request=Request(
                    "POST",
                    "graph",
                    "/{account_id}/feed",
                    _clean({"message": plan.caption, "attached_media": attached, **schedule}),
                ),
                probe=(
                    "GET /{account_id}/"
                    + ("scheduled_posts" if native_at else "feed")
                    + "?fields=id,attachments{target{id}}: a post attaching the recorded photo ids exists"
                ),
            )
        )
        post_ref = _ref("fb.feed", "post_id")
    if comment and tc.first_comment and not native_at:
        steps.append(
            Step(
                "fb.comment",
                "comment",
                "Post the product links as the first comment",
                idempotent=False,
                records=("comment_id",),
                request=Request("POST", "graph", f"/{post_ref}/comments", {"message": comment}),
                probe=f"GET /{post_ref}/comments?fields=id,message: a comment with the same text exists",
            )
        )
    steps.append(
        Step(
            "fb.permalink",
            "permalink",
            "Fetch the permalink",
            idempotent=True,
            records=("permalink",),
            request=Request("GET", "graph", f"/{post_ref}", {"fields": "permalink_url"}),
        )
    )


def _pinterest(
    plan: PublishPlan,
    tc: TargetCaps,
    media: list[Any],
    paths: dict[str, str],
    settings: Mapping[str, Any],
    link: str,
) -> None:
    """§4.2–4.3: (video: register media → upload → poll) → create pin; permalink is derived."""
    steps = plan.steps
    body: dict[str, Any] = _clean(
        {
            "board_id": settings.get("board_id") or "{board_id}",
            "board_section_id": settings.get("board_section_id"),
            "title": settings.get("title"),
            "description": plan.caption,
            "link": link,
            "alt_text": settings.get("alt_text"),
        }
    )
    files: list[str] = []
    if tc.target == "pinterest.video_pin":
        item = media[0]
        steps.append(
            Step(
                "pin.media.register",
                "upload_start",
                "Register the video upload",
                idempotent=True,  # an unused media registration is invisible
                records=("media_id", "upload_url", "upload_parameters"),
                request=Request(
                    "POST", "pinterest", "/media", {"media_type": "video"}, body="json", auth="bearer"
                ),
                media_id=item.id,
            )
        )
        steps.append(
            Step(
                "pin.media.upload",
                "upload",
                f"Upload {PurePath(paths[item.id]).name}",
                idempotent=True,  # same presigned key, same bytes
                request=Request(
                    "POST",
                    "upload_url",
                    _ref("pin.media.register", "upload_url"),
                    {"upload_parameters": "{pin.media.register.upload_parameters}", "file": "@file"},
                    body="multipart",
                    auth="presigned",
                    file=paths[item.id],
                ),
                media_id=item.id,
            )
        )
        steps.append(
            Step(
                "pin.media.poll",
                "poll",
                "Wait until the video is processed",
                idempotent=True,
                records=("status",),
                request=Request(
                    "GET", "pinterest", f"/media/{_ref('pin.media.register', 'media_id')}", auth="bearer"
                ),
                media_id=item.id,
                poll=True,
            )
        )
        body["media_source"] = {
            "source_type": "video_id",
            "media_id": _ref("pin.media.register", "media_id"),
            "cover_image_key_frame_time": int(settings.get("cover_time", 0) or 0),
        }
    elif tc.target == "pinterest.carousel_pin":
        body["media_source"] = {
            "source_type": "multiple_image_base64",
            "items": [
                {
                    "content_type": _content_type(paths[m.id]),
                    "data": f"<base64 of {PurePath(paths[m.id]).name}>",
                }
                for m in media
            ],
            "index": 0,
        }
        files = [paths[m.id] for m in media]
    else:
        item = media[0]
        body["media_source"] = {
            "source_type": "image_base64",
            "content_type": _content_type(paths[item.id]),
            "data": f"<base64 of {PurePath(paths[item.id]).name}>",
        }
        files = [paths[item.id]]
    steps.append(
        Step(
            "pin.create",
            "publish",
            "Create the pin",
            idempotent=False,
            records=("pin_id",),
            request=Request(
                "POST", "pinterest", "/pins", body, body="json", auth="bearer", file=";".join(files) or None
            ),
            probe=(
                "GET /boards/{board_id}/pins: a pin with the same title, description and link created after "
                "the step started"
            ),
        )
    )
    steps.append(
        Step(
            "pin.permalink",
            "permalink",
            "Derive the pin's URL",
            idempotent=True,
            records=("permalink",),
            request=Request(
                "GET", "local", "https://www.pinterest.com/pin/{pin.create.pin_id}/", auth="none"
            ),
        )
    )


def _content_type(path: str) -> str:
    return "image/png" if _ext(path) == "png" else "image/jpeg"


# --- dry run -------------------------------------------------------------------------------------


def _base(host: str, sandbox: bool) -> str:
    if host in ("s3", "upload_url", "local"):
        return ""
    try:
        from studio.publish.http import base_url

        return base_url(
            "pinterest" if host == "pinterest" else ("rupload" if host == "rupload" else "graph"),
            sandbox=sandbox,
        )
    except Exception:  # planning must work without the http layer
        base = _DEFAULT_BASES[host]
        return base.replace("api.pinterest.com", "api-sandbox.pinterest.com") if sandbox else base


def describe_requests(plan: PublishPlan, redact: bool = True) -> list[dict[str, Any]]:
    """The requests `plan` would send, as data (method, url, params, headers), secrets as "***"."""
    token = REDACTED if redact else "<access token>"
    out: list[dict[str, Any]] = []
    for n, step in enumerate(plan.steps, start=1):
        req = step.request
        if req is None:
            continue
        params = dict(req.params)
        headers: dict[str, str] = {}
        if req.auth == "query_token":
            params["access_token"] = token
        elif req.auth == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        elif req.auth == "oauth_header":
            headers["Authorization"] = f"OAuth {token}"
        url = req.path if req.host in ("upload_url", "local") else _base(req.host, plan.sandbox) + req.path
        if req.host == "s3":
            url = f"s3://<bucket>/{req.path} (presigned URL {token})"
        out.append(
            {
                "n": n,
                "step": step.key,
                "title": step.title,
                "idempotent": step.idempotent,
                "method": req.method,
                "url": url,
                "params": params,
                "headers": headers,
                "body": req.body,
                "file": req.file,
                "records": list(step.records),
                "probe": step.probe,
            }
        )
    if redact:
        from studio.publish import redact as redactor

        out = json.loads(redactor.redact(json.dumps(out, ensure_ascii=False)))
    return out


def describe(plan: PublishPlan, redact: bool = True) -> list[str]:
    """One line per request for `studio publish --dry-run` (secrets as "***" unless redact=False)."""
    lines = [
        f"{plan.target} for post {plan.post_id} via {plan.account or '?'}"
        + (" (sandbox)" if plan.sandbox else "")
        + (" — scheduled natively by Facebook" if plan.native_scheduling else "")
    ]
    for req in describe_requests(plan, redact=redact):
        params = " ".join(f"{k}={_short(v)}" for k, v in req["params"].items())
        headers = " ".join(f"[{k}: {v}]" for k, v in req["headers"].items())
        once = "" if req["idempotent"] else "  (exactly once: probed after a crash)"
        lines.append(f"{req['n']:>2}. {req['method']} {req['url']} {params} {headers}".rstrip() + once)
    return lines


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= 160 else text[:157] + "…"


def resolve(
    value: Any, recorded: Mapping[str, Mapping[str, str]], extra: Mapping[str, str] | None = None
) -> Any:
    """Replace `{step.key.name}` placeholders (and `{account_id}` etc. from `extra`) with recorded ids.

    Used by the clients: a placeholder with no recorded value is left as is (a bug to surface, not hide).
    """
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            return str(recorded.get(m.group(1), {}).get(m.group(2), m.group(0)))

        out = PLACEHOLDER.sub(sub, value)
        for k, v in (extra or {}).items():
            out = out.replace("{" + k + "}", v)
        return out
    if isinstance(value, dict):
        return {k: resolve(v, recorded, extra) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, recorded, extra) for v in value]
    return value
