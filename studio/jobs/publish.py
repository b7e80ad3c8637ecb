"""Publishing a studio Post: check → render → plan → outbox → platform calls, exactly once.

Why this shape: every decision that the user must see (findings, fallback, exact requests) is made
*before* anything is sent (`enqueue_post`, `dry_run`), and everything that talks to a platform runs
from the persistent outbox (`run_outbox`), so a crash, a kill or a lost answer resumes from the last
recorded step. The outbox (`studio.publish.outbox.run_job`) sequences steps and asks for a *probe*
before redoing a non-idempotent step that was ever attempted; this module supplies the step runner
that maps each plan step onto the typed platform clients, and the probes ("is the container
PUBLISHED? which media has our caption?", "is there a Page post / pin with our text?").

Remote ids are recorded the moment they exist (`record(...)`) — before the next request — and a
presigned S3 URL is never stored (only the object key: URLs are re-signed locally at use), so the
outbox holds no credential of any kind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.core.errors import StudioError, UsageError, Where
from studio.core.model import MediaKind, Post, Project
from studio.core.platform_caps import TargetCaps
from studio.core.post_rules import kind_of, post_media
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import Workspace
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.checker import (
    ERROR,
    WARNING,
    Finding,
    Quota,
    check,
    resolve_target,
    uploads_from_manifest,
)
from studio.publish.errors import ConnectionFailed, PublishError, RateLimited, ReconnectNeeded, ServerError
from studio.publish.fallback import (
    LABELED,
    AccountInfo,
    FallbackDecision,
    ReviewLookup,
    decide,
    workspace_fallback,
)
from studio.publish.outbox import (
    ACTIVE,
    DEFAULT_LEASE_S,
    DONE,
    FAILED,
    QUEUED,
    Job,
    Outbox,
    new_worker_id,
    run_job,
)
from studio.publish.plan import PublishPlan, Step, build_plan, describe, describe_requests, resolve
from studio.publish.secrets import SecretStore
from studio.render.presets import BUILTIN_PRESETS, ExportPreset

log = logging.getLogger(__name__)

PUBLISH_CACHE = "publish"  # <workspace>/.studio-cache/publish/<platform>/...
DEFAULT_POLL_S = 60.0  # Instagram asks for one status poll a minute (publishing.md §1.3)
DEFAULT_POLL_TIMEOUT_S = 300.0
MAX_CONTAINER_RETRIES = 2  # an ERROR/EXPIRED container is re-created at most this often per run
PRESIGN_S = 3600


class PublishBlocked(StudioError):
    """The checker found errors: nothing was queued. `findings` lists every one (errors and warnings)."""

    def __init__(self, message: str, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        errors = [f for f in self.findings if f.severity == ERROR]
        hint = "; ".join(f.message for f in errors[:3]) + (" …" if len(errors) > 3 else "")
        super().__init__(message, hint=hint or None)

    def to_dict(self) -> dict[str, Any]:
        doc = super().to_dict()
        doc["findings"] = [f.to_dict() for f in self.findings]
        return doc


# --- clients -------------------------------------------------------------------------------------


@dataclass(slots=True)
class PlatformClients:
    """The typed clients one account needs; `media_host` hosts Instagram images (presigned URLs)."""

    instagram: Any = None  # InstagramClient
    facebook: Any = None  # FacebookPageClient
    pinterest: Any = None  # PinterestClient
    media_host: Any = None  # S3MediaHost


ClientsFactory = Callable[[Account], PlatformClients]


#: How far back a probe looks for a post whose create/publish answer was lost (newest first).
PROBE_RECENT_LIMIT = 2000
#: A Page post is looked for among its newest 100 only: Page feeds are busy and the lost answer is recent.
FB_PROBE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class MediaHostSettings:
    """Where Instagram images are hosted while they publish. Plain settings; the keys are secrets."""

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    prefix: str = "shoppable-studio/"

    @staticmethod
    def path() -> Path:
        """`<app data>/media_host.json`: plain settings only; the bucket keys live in the SecretStore."""
        from studio.core.app_settings import data_dir

        return data_dir() / "media_host.json"

    def to_dict(self) -> dict[str, Any]:
        """What is written to the settings file (never a credential)."""
        return {
            "endpoint_url": self.endpoint_url,
            "bucket": self.bucket,
            "region": self.region,
            "prefix": self.prefix,
        }

    def save(self) -> Path:
        """Write the settings atomically (a crash mid-write must not leave a half file behind)."""
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load_file(cls) -> MediaHostSettings | None:
        """The saved settings only (None when never configured); a damaged file is a clear error."""
        path = cls.path()
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                bucket=str(doc["bucket"]),
                endpoint_url=doc.get("endpoint_url") or None,
                region=str(doc.get("region") or "us-east-1"),
                prefix=str(doc.get("prefix") if doc.get("prefix") is not None else "shoppable-studio/"),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PublishError(
                f"The media bucket settings in {path} are damaged ({exc})",
                platform="s3",
                hint="Set them again with `studio accounts media-host set`.",
            ) from None

    @classmethod
    def load(cls) -> MediaHostSettings | None:
        """From `<app data>/media_host.json`, else `STUDIO_MEDIA_BUCKET` (+ `AWS_ENDPOINT_URL_S3`)."""
        saved = cls.load_file()
        if saved is not None:
            return saved
        bucket = os.environ.get("STUDIO_MEDIA_BUCKET")
        if not bucket:
            return None
        return cls(
            bucket=bucket,
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
            region=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        )


def default_clients_factory(
    registry: AccountRegistry,
    secrets: SecretStore | None = None,
    *,
    media_host: MediaHostSettings | None = None,
    session_kwargs: Mapping[str, Any] | None = None,
) -> ClientsFactory:
    """Clients built from the registry's (fresh) tokens and the app's media-host settings.

    Tokens are renewed before expiry (`fresh_tokens` with the platform's refresher when the app
    credentials are known); a missing/expired login raises `ReconnectNeeded` for that job only.
    """
    from studio.publish.facebook import FacebookPageClient
    from studio.publish.http import make_session
    from studio.publish.instagram import InstagramClient
    from studio.publish.media_host import S3MediaHost
    from studio.publish.oauth import TokenRefresher
    from studio.publish.pinterest import PinterestClient

    store = secrets or registry.secrets
    extra = dict(session_kwargs or {})
    cache: dict[str, PlatformClients] = {}
    lock = threading.Lock()  # one token refresh per account, even with parallel jobs

    def host() -> Any:
        settings = media_host or MediaHostSettings.load()
        if settings is None:
            return None
        try:
            return S3MediaHost.from_secrets(
                store, settings.endpoint_url, settings.bucket, settings.region, prefix=settings.prefix
            )
        except PublishError:
            access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
            if not (access and secret):
                raise
            return S3MediaHost(
                settings.endpoint_url,
                settings.bucket,
                access,
                secret,
                settings.region,
                prefix=settings.prefix,
            )

    def factory(account: Account) -> PlatformClients:
        with lock:
            return cache.get(account.id) or build(account)

    def build(account: Account) -> PlatformClients:
        ig_login = account.kind == "ig_login"  # graph.instagram.com, its own app credentials
        api = "instagram_login" if ig_login else account.platform
        session = make_session(api, sandbox=account.sandbox, account=account.name, **extra)
        app = store.app_credentials(api)
        refresher = None
        if app is not None and account.platform != "facebook":  # Page tokens do not expire
            refresher = TokenRefresher(api, session, client_id=app[0], client_secret=app[1])
        token = registry.fresh_tokens(account, refresher).access_token
        clients = PlatformClients()
        if account.platform == "instagram":
            clients.instagram = InstagramClient(session, account.remote_id, token)
            clients.media_host = host()
        elif account.platform == "facebook":
            clients.facebook = FacebookPageClient(session, account.remote_id, token)
        else:
            clients.pinterest = PinterestClient(session, token, sandbox=account.sandbox)
        cache[account.id] = clients
        return clients

    factory.media_host = host  # type: ignore[attr-defined]  # for sweep_stranded_uploads
    return factory


# --- preparing: decisions, renders, checks, plans --------------------------------------------------


def _workspace(ws: Workspace | Path | str) -> tuple[Workspace, bool]:
    if isinstance(ws, Workspace):
        return ws, False
    return Workspace.open(ws, write=False), True


def _post(project: Project, post_id: str) -> Post:
    post = next((p for p in project.posts if p.id == post_id), None)
    if post is None:
        raise UsageError(f"No post with id '{post_id}' in this workspace.", where=Where(field="POST_ID"))
    return post


def _aspect_preset(platform: str, width: int, height: int) -> ExportPreset | None:
    """The built-in preset of `platform` whose aspect is closest to the source (least crop)."""
    options = [p for p in BUILTIN_PRESETS if p.platform == platform and p.name != "instagram-story"]
    if not options or width <= 0 or height <= 0:
        return options[0] if options else None
    ratio = width / height
    return min(options, key=lambda p: abs((p.width / p.height) / ratio - 1))


def _account_info(account: Account | None) -> AccountInfo | None:
    return AccountInfo.from_account(account) if account is not None else None


def _default_approved(ws: Workspace, account: Account | None) -> ReviewLookup | None:
    """Which products are in the account's connected catalog, approved, and under which Meta id.

    `project.extra["publish"]["approved"]` ({product_id: status}) still wins when a workspace sets
    it. Otherwise the links `refresh_catalog_links` looked up (kept in the workspace cache) answer;
    a product never looked up is trusted and flagged by the checker (`catalog_unchecked`).
    """
    from studio.publish.catalog_links import CatalogLinks, CatalogLookup

    prefs = (ws.project.extra.get("publish") or {}).get("approved")
    if isinstance(prefs, dict | list):
        return prefs
    info = _account_info(account)
    if account is None or info is None or not info.product_tag_eligible:
        return None
    return CatalogLookup(CatalogLinks.for_account(ws.cache_dir, account.id), ws.catalog, ws.project)


def refresh_catalog_links(
    ws: Workspace | Path | str,
    post_id: str,
    accounts: Mapping[str, Account],
    factory: ClientsFactory,
) -> dict[str, int]:
    """Look the post's tagged products up in each product-tag-eligible Instagram account's catalog
    (network: call it in a worker). Returns {account name: products found}; an account whose catalog
    cannot be read is logged and skipped (the checker then says "unchecked")."""
    from studio.publish.catalog_links import CatalogLinks, refresh_links, retailer_id_for

    workspace, close = _workspace(ws)
    out: dict[str, int] = {}
    try:
        post = _post(workspace.project, post_id)
        account = accounts.get("instagram")
        info = _account_info(account)
        if account is None or info is None or not info.product_tag_eligible:
            return out
        rids: list[str] = []
        for media in post_media(post, workspace.project):
            for tag in media.tags:
                product = workspace.catalog.get(tag.product_id) if tag.product_id else None
                if product is not None:
                    rids.append(retailer_id_for(product, tag.variant_id))
        if not rids:
            return out
        try:
            ig = factory(account).instagram
            catalog_id = info.catalog_id or next(
                (str(c.get("catalog_id")) for c in ig.available_catalogs() if c.get("catalog_id")), ""
            )
            if not catalog_id:
                log.warning("%s has no catalog to tag products from", account.name)
                return out
            links = CatalogLinks.for_account(workspace.cache_dir, account.id)
            out[account.name] = refresh_links(ig, catalog_id, rids, links)
        except (PublishError, StudioError) as exc:
            log.warning("could not look the products up in %s's catalog: %s", account.name, exc)
        return out
    finally:
        if close:
            workspace.close()


@dataclass(slots=True)
class Prepared:
    """One post × target, checked and planned (what `dry_run` shows and `enqueue_post` queues)."""

    target: str
    platform: str
    account: Account | None
    decision: FallbackDecision
    plan: PublishPlan | None
    files: dict[str, str] = field(default_factory=dict)


def render_media(
    ws: Workspace,
    post: Post,
    platform: str,
    decision: FallbackDecision,
    *,
    progress: ProgressFn = no_progress,
) -> tuple[dict[str, str], dict[tuple[str, str], Any], dict[str, dict[str, tuple[float, float]]]]:
    """Render the post's images for `platform` into the workspace cache through the export pipeline.

    Clean JPEG where tags go natively, labeled where the fallback says so. Returns (media id -> file,
    checker uploads, media id -> {tag id: (x, y) in the rendered image}). Videos are rendered only where
    labeled (`_render_videos`), also inside a mixed photo + video carousel; otherwise they keep their
    source.
    """
    from studio.jobs.export_batch import export_batch

    media = post_media(post, ws.project)
    images = [m for m in media if m.kind is MediaKind.IMAGE]
    videos = [m for m in media if m.kind is MediaKind.VIDEO and decision.render.get(m.id) == LABELED]
    # A carousel may mix photos and videos: each labeled video is rendered too, never sent bare.
    video_files = _render_videos(ws, post, platform, videos, progress=progress) if videos else {}
    if not images:
        return video_files, {}, {}
    preset = _aspect_preset(platform, images[0].width, images[0].height)
    if preset is None:
        return video_files, {}, {}
    kinds = sorted({"labeled" if decision.render.get(m.id) == LABELED else "clean" for m in images})
    out = ws.cache_dir / PUBLISH_CACHE / platform
    manifest = export_batch(
        ws.root,
        ws.project,
        ws.catalog_path,
        [preset],
        kinds,
        out,
        only=f"post:{post.id}",
        workers=1,
        progress=progress,
    )
    files: dict[str, str] = {}
    positions: dict[str, dict[str, tuple[float, float]]] = {}
    for item in manifest.items:
        wanted = "labeled" if decision.render.get(item.media_id) == LABELED else "clean"
        for o in item.outputs:
            if o.preset != preset.name:
                continue
            if o.kind == wanted:
                files[item.media_id] = str(out / o.path)
            elif o.kind == "tags":
                try:
                    doc = json.loads((out / o.path).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                positions[item.media_id] = {
                    str(t["tag_id"]): (float(t["x"]), float(t["y"])) for t in doc.get("tags", [])
                }
        for problem in item.problems:
            log.warning("render of %s for %s: %s", item.media_id, platform, problem.get("message"))
    uploads = uploads_from_manifest(manifest, out, {preset.name: preset}, kinds=(wanted_kinds(kinds)))
    return {**files, **video_files}, uploads, positions


def _video_preset(platform: str, width: int, height: int) -> ExportPreset:
    """The source's own geometry (never upscaled, long side ≤ 1920, short side ≤ 1080, even sizes).

    Videos are not cropped to a feed preset: Reels want 9:16 on Instagram and Facebook (min 540×960,
    publishing.md §1.7/§2.4), Pinterest takes 1:2…1.91:1, and the checker already judged the source's
    aspect, so keeping it keeps its findings true for the file that goes up."""
    w, h = max(2, width or 1080), max(2, height or 1920)
    scale = min(1.0, 1920 / max(w, h), 1080 / min(w, h))

    def even(v: int) -> int:  # x264 needs even sizes
        return max(2, int(v * scale) // 2 * 2)

    return ExportPreset(f"{platform}-video", f"{platform.title()} video", platform, even(w), even(h))


def _render_videos(
    ws: Workspace, post: Post, platform: str, videos: Sequence[Any], *, progress: ProgressFn = no_progress
) -> dict[str, str]:
    """Burn the price labels into the post's videos at their own geometry (export_batch →
    `render_video`), for targets whose fallback is the labeled render (no native tags on the video).

    Only labeled videos are rendered: where tags go natively the source is uploaded as it is (a clean
    re-encode would only cost time and quality). A failed render keeps the source and logs why, so
    the checker's findings on the source still hold."""
    from studio.jobs.export_batch import export_batch

    preset = _video_preset(platform, videos[0].width, videos[0].height)
    out = ws.cache_dir / PUBLISH_CACHE / platform
    manifest = export_batch(
        ws.root,
        ws.project,
        ws.catalog_path,
        [preset],
        ["video"],
        out,
        only=f"post:{post.id}",
        workers=1,
        progress=progress,
    )
    wanted = {m.id for m in videos}
    files: dict[str, str] = {}
    for item in manifest.items:
        if item.media_id not in wanted:
            continue
        for o in item.outputs:
            if o.preset == preset.name and o.kind == "video":
                files[item.media_id] = str(out / o.path)
        for problem in item.problems:
            log.warning("video render of %s for %s: %s", item.media_id, platform, problem.get("message"))
    return files


def wanted_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    return tuple(k for k in ("labeled", "clean") if k in kinds)


def _remap(decision: FallbackDecision, positions: Mapping[str, Mapping[str, tuple[float, float]]]) -> None:
    """Native tag x/y must be those of the *uploaded* image (crop/letterbox moves them)."""
    for td in decision.tags:
        where = positions.get(td.media_id, {}).get(td.tag_id)
        if where is not None and td.x is not None and td.y is not None:
            td.x = min(1.0, max(0.0, where[0]))
            td.y = min(1.0, max(0.0, where[1]))


def prepare(
    ws: Workspace,
    post_id: str,
    targets: Sequence[str],
    accounts: Mapping[str, Account],
    *,
    at: float | None = None,
    now: float | None = None,
    quota: Mapping[str, Quota | None] | None = None,
    approved: ReviewLookup | None = None,
    render: bool = True,
) -> tuple[list[Finding], list[Prepared]]:
    """Check `post_id` on every target and build its plans (no network). Findings cover all targets."""
    project = ws.project
    post = _post(project, post_id)
    kind = kind_of(post_media(post, project))
    findings: list[Finding] = []
    prepared: list[Prepared] = []
    now = time.time() if now is None else now
    catalog = ws.catalog
    for target in targets:
        platform = target.split(".", 1)[0]
        account = accounts.get(platform)
        info = _account_info(account)
        lookup = approved if approved is not None else _default_approved(ws, account)
        tc: TargetCaps | None = (
            resolve_target(target, kind) if platform in ("instagram", "facebook", "pinterest") else None
        )
        files: dict[str, str] = {}
        uploads: dict[tuple[str, str], Any] = {}
        positions: dict[str, dict[str, tuple[float, float]]] = {}
        if tc is not None and render:
            pre = decide(post, project, tc, account=info, approved=lookup, catalog=catalog)
            files, uploads, positions = render_media(ws, post, platform, pre)
        result = check(
            post,
            project,
            catalog,
            [target],
            accounts_info={platform: info},
            quota=dict(quota or {}),
            uploads=uploads,
            approved=lookup,
            prefs=workspace_fallback(project),
        )
        findings.extend(result.findings)
        if tc is None or tc.target not in result.decisions:
            continue
        decision = result.decisions[tc.target]
        _remap(decision, positions)
        for m in post_media(post, project):
            files.setdefault(m.id, str(ws.media_path(m)))
        plan = None
        if account is not None and not any(
            f.severity == ERROR and f.target == tc.target for f in result.findings
        ):
            plan = build_plan(
                post,
                project,
                tc,
                decision,
                account=info or AccountInfo(platform),
                catalog=catalog,
                files=files,
                scheduled_at=at,
                now=now,
            )
        prepared.append(Prepared(tc.target, platform, account, decision, plan, files))
    return findings, prepared


def read_quota(accounts: Mapping[str, Account], factory: ClientsFactory) -> dict[str, Quota | None]:
    """The live publishing quota per platform (Instagram `content_publishing_limit`, §1.5), for the
    checker and the user; None where it cannot be read now (the checker then says "unknown")."""
    out: dict[str, Quota | None] = {}
    for platform, account in accounts.items():
        if platform != "instagram":
            continue
        try:
            live = factory(account).instagram.publishing_limit()
        except (PublishError, StudioError) as exc:
            log.warning("could not read the publishing quota of %s: %s", account.name, exc)
            out[platform] = None
            continue
        out[platform] = Quota(live.used, live.total) if live.total is not None else None
    return out


def resolve_accounts(
    registry: AccountRegistry, targets: Sequence[str], names: Sequence[str] = ()
) -> dict[str, Account]:
    """platform -> the account to use: the named ones (`--account`), else the first of each platform."""
    chosen: dict[str, Account] = {}
    for name in names:
        acc = registry.get(name)
        chosen[acc.platform] = acc
    for target in targets:
        platform = target.split(".", 1)[0]
        if platform not in chosen:
            found = registry.list(platform)
            if found:
                chosen[platform] = found[0]
    return chosen


def enqueue_post(
    ws: Workspace | Path | str,
    post_id: str,
    targets: Sequence[str],
    *,
    accounts: Mapping[str, Account],
    at: float | None = None,
    now: float | None = None,
    quota: Mapping[str, Quota | None] | None = None,
    approved: ReviewLookup | None = None,
    warnings: list[Finding] | None = None,
) -> list[str]:
    """Check, render and plan `post_id` for each target, then write the jobs to the outbox.

    Errors block everything (`PublishBlocked`, nothing queued: a post never goes out half-checked);
    warnings and notes are appended to `warnings` (and logged). `at` (Unix seconds) schedules: the
    outbox holds the job until then, except Facebook in its native window, which is sent at once
    with `scheduled_publish_time`. Enqueuing the same post/target again while active returns the
    existing job id.
    """
    workspace, close = _workspace(ws)
    try:
        findings, prepared = prepare(
            workspace, post_id, targets, accounts, at=at, now=now, quota=quota, approved=approved
        )
        if warnings is not None:
            warnings.extend(f for f in findings if f.severity != ERROR)
        for f in findings:
            if f.severity == WARNING:
                log.warning("%s on %s: %s", f.post_id, f.target, f.message)
        if any(f.severity == ERROR for f in findings):
            raise PublishBlocked(f"Post {post_id} cannot be published as it is.", findings)
        ids: list[str] = []
        with Outbox.open(workspace.root) as outbox:
            for item in prepared:
                assert item.plan is not None and item.account is not None
                held = at if (at is not None and not item.plan.native_scheduling) else None
                ids.append(outbox.enqueue(post_id, item.platform, item.account.name, item.plan, held))
        return ids
    finally:
        if close:
            workspace.close()


def dry_run(
    ws: Workspace | Path | str,
    post_id: str,
    targets: Sequence[str],
    accounts: Mapping[str, Account],
    *,
    at: float | None = None,
    now: float | None = None,
    quota: Mapping[str, Quota | None] | None = None,
    approved: ReviewLookup | None = None,
) -> dict[str, Any]:
    """What `publish` would do: findings, fallback reasons and the exact requests (secrets as ***)."""
    workspace, close = _workspace(ws)
    try:
        findings, prepared = prepare(
            workspace, post_id, targets, accounts, at=at, now=now, quota=quota, approved=approved
        )
        return {
            "post_id": post_id,
            "ok": not any(f.severity == ERROR for f in findings),
            "findings": [f.to_dict() for f in findings],
            "targets": [
                {
                    "target": p.target,
                    "account": p.account.name if p.account else None,
                    "native_products": p.decision.native_product_ids,
                    "fallback": p.decision.reasons,
                    "render": dict(p.decision.render),
                    "lines": describe(p.plan) if p.plan else [],
                    "requests": describe_requests(p.plan) if p.plan else [],
                }
                for p in prepared
            ],
        }
    finally:
        if close:
            workspace.close()


# --- running: the step runner ----------------------------------------------------------------------


def _extra_ids(job: Job, account: Account) -> dict[str, str]:
    return {"account_id": account.remote_id}


class StepRunner:
    """Maps plan steps onto the typed clients (see module doc); one per job run."""

    def __init__(
        self,
        ws: Workspace,
        account: Account,
        clients: PlatformClients,
        *,
        poll_s: float = DEFAULT_POLL_S,
        poll_timeout_s: float = DEFAULT_POLL_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        outbox: Outbox | None = None,
        worker: str | None = None,
    ) -> None:
        self.ws = ws
        self.account = account
        self.clients = clients
        self.poll_s = poll_s
        self.poll_timeout_s = poll_timeout_s
        self.sleep = sleep
        self.outbox = outbox
        self.worker = worker
        self.started_at = time.time()

    # -- helpers ----------------------------------------------------------------------------------

    def _params(self, step: Step, recorded: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        assert step.request is not None
        view = {k: dict(v) for k, v in recorded.items()}
        host = self.clients.media_host
        for key, ids in view.items():  # presigned URLs are made here, never stored
            if key.startswith("ig.upload.") and ids.get("object_key") and host is not None:
                ids["url"] = host.presigned_url(ids["object_key"], PRESIGN_S)
        return dict(resolve(dict(step.request.params), view, {"account_id": self.account.remote_id}))

    def _file(self, job: Job, step: Step) -> str:
        """The step's file; re-rendered into the cache if it was cleared since planning."""
        assert step.request is not None and step.request.file
        path = step.request.file
        if Path(path).exists() or step.media_id is None:
            return path
        post = _post(self.ws.project, job.post_id)
        decision = FallbackDecision.from_dict(job.plan.decision)
        files, _, _ = render_media(self.ws, post, job.platform, decision)
        return files.get(step.media_id, path)

    # -- protocol ---------------------------------------------------------------------------------

    def run(
        self,
        job: Job,
        step: Step,
        recorded: Mapping[str, Mapping[str, str]],
        record: Callable[[Mapping[str, Any]], None],
    ) -> Mapping[str, Any]:
        handler = getattr(self, "_" + step.key.split(".", 2)[0] + "_" + step.action, None)
        if handler is None:
            raise PublishError(f"step {step.key} ({step.action}) is not supported yet", platform=job.platform)
        return handler(job, step, recorded, record)

    def probe(
        self, job: Job, step: Step, recorded: Mapping[str, Mapping[str, str]]
    ) -> Mapping[str, Any] | None:
        handler = getattr(self, "_probe_" + step.key.replace(".", "_"), None)
        if handler is None:
            handler = getattr(self, "_probe_" + step.key.split(".", 2)[0] + "_" + step.action, None)
        if handler is None:
            return None
        return handler(job, step, recorded)

    # -- Instagram --------------------------------------------------------------------------------

    def _ig_upload(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        if step.key.startswith("ig.rupload."):
            return self._ig_rupload(job, step, recorded, record)
        host = self.clients.media_host
        if host is None:
            raise UsageError(
                "Instagram needs a media bucket to host images while they publish.",
                hint="Set the S3 bucket in Settings → Accounts → Media hosting.",
            )
        assert step.request is not None
        key = host.prefix + step.request.path
        record({"object_key": key})  # known before the upload: a resumed run overwrites, no orphan
        host.upload(self._file(job, step), "image/jpeg", key=key)
        return {"object_key": key}

    def _ig_create_container(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        cid = self._create_container(step, recorded)
        return {"container_id": cid}

    def _create_container(self, step: Step, recorded: Any) -> str:
        ig = self.clients.instagram
        p = self._params(step, recorded)
        tags = json.loads(p["product_tags"]) if p.get("product_tags") else ()
        item = p.get("is_carousel_item") == "true"
        if p.get("media_type") == "CAROUSEL":
            return str(
                ig.create_carousel_container(
                    p["children"].split(","), caption=p.get("caption"), location_id=p.get("location_id")
                )
            )
        if p.get("media_type") == "STORIES":
            return str(
                ig.create_story_container(
                    p.get("image_url"), video_url=p.get("video_url"), resumable="upload_type" in p
                )
            )
        if "image_url" in p:
            return str(
                ig.create_image_container(
                    p["image_url"],
                    caption=p.get("caption"),
                    alt_text=p.get("alt_text"),
                    product_tags=tags,
                    location_id=p.get("location_id"),
                    is_carousel_item=item,
                )
            )
        if item:
            return str(
                ig.create_carousel_video_item(
                    p.get("video_url"), resumable="upload_type" in p, product_tags=tags
                )
            )
        return str(
            ig.create_reel_container(
                p.get("video_url"),
                resumable="upload_type" in p,
                caption=p.get("caption"),
                product_tags=tags,
                location_id=p.get("location_id"),
            )
        )

    def _ig_rupload(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        container = recorded.get(f"ig.container.{step.media_id}", {}).get("container_id")
        self.clients.instagram.upload_video(container, self._file(job, step))
        return {}

    def _ig_poll(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        from studio.publish.instagram import ContainerFailed

        ig = self.clients.instagram
        source_key = "ig.container." + step.key.split(".", 2)[2]
        for attempt in range(MAX_CONTAINER_RETRIES + 1):
            container = recorded.get(source_key, {}).get("container_id")
            try:
                status = ig.wait_until_finished(
                    container, poll=self.poll_s, timeout=self.poll_timeout_s, sleep=self.sleep
                )
                return {"status_code": str(status.code)}
            except ContainerFailed:
                if attempt == MAX_CONTAINER_RETRIES or self.outbox is None:
                    raise
                # An ERROR/EXPIRED container is dead: make a new one (containers are idempotent)
                # and record it on the container step before polling again.
                new_id = self._create_container(job.plan.step(source_key), recorded)
                self.outbox.record_step(job.id, source_key, {"container_id": new_id}, worker=self.worker)
                recorded[source_key]["container_id"] = new_id
        raise AssertionError("unreachable")

    def _ig_publish(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        creation = self._params(step, recorded)["creation_id"]
        self.started_at = time.time()
        return {"media_id": self.clients.instagram.publish(creation)}

    def _probe_ig_publish(self, job: Job, step: Step, recorded: Any) -> Mapping[str, Any] | None:
        """PUBLISHED container → find the media by caption (newest first) instead of publishing again."""
        from studio.publish.instagram import ContainerCode

        ig = self.clients.instagram
        creation = self._params(step, recorded)["creation_id"]
        if ig.container_status(creation).code != ContainerCode.PUBLISHED:
            return None
        # newest first; a post found late may be a few pages down
        for row in ig.recent_media(limit=PROBE_RECENT_LIMIT):
            if (row.get("caption") or "") == job.plan.caption:
                return {"media_id": str(row["id"])}
        raise PublishError(
            "Instagram says the post was published, but it is not among the account's recent media",
            platform="instagram",
            retryable=True,
        )

    def _ig_comment(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        p = self._params(step, recorded)
        media = recorded.get("ig.publish", {}).get("media_id")
        return {"comment_id": self.clients.instagram.comment(media, p["message"])}

    def _probe_ig_comment(self, job: Job, step: Step, recorded: Any) -> Mapping[str, Any] | None:
        """The comment request may have reached Instagram: look for our text before sending it again."""
        message = self._params(step, recorded)["message"]
        media = recorded.get("ig.publish", {}).get("media_id")
        for row in self.clients.instagram.comments(media):
            if (row.get("text") or "") == message:
                return {"comment_id": str(row["id"])}
        return None

    def _ig_permalink(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        media = recorded.get("ig.publish", {}).get("media_id")
        return {"permalink": self.clients.instagram.permalink(media) or ""}

    def _ig_cleanup(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        key = recorded.get(f"ig.upload.{step.media_id}", {}).get("object_key")
        if key and self.clients.media_host is not None:
            self.clients.media_host.delete(key)
        return {}

    # -- Facebook ---------------------------------------------------------------------------------

    def _fb_upload(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        fb = self.clients.facebook
        if step.key == "fb.reel.upload":
            video = recorded.get("fb.reel.start", {}).get("video_id")
            fb.upload_reel(video, self._file(job, step))
            return {}
        p = self._params(step, recorded)
        return {
            "photo_id": fb.upload_unpublished_photo(
                path=self._file(job, step), alt_text=p.get("alt_text_custom")
            )
        }

    def _fb_upload_start(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        started = self.clients.facebook.start_reel_upload()
        return {"video_id": started.video_id, "upload_url": started.upload_url}

    def _fb_poll(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        fb = self.clients.facebook
        video = recorded.get("fb.reel.start", {}).get("video_id")
        deadline = time.monotonic() + self.poll_timeout_s
        while True:
            status = fb.video_status(video)
            if status.ready or status.failed or time.monotonic() > deadline:
                if status.failed:
                    raise PublishError("Facebook could not process the video", platform="facebook")
                if not status.ready:
                    raise PublishError(
                        "Facebook is still processing the video", platform="facebook", retryable=True
                    )
                return {"video_status": status.video_status}
            self.sleep(self.poll_s)

    def _fb_publish(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        fb = self.clients.facebook
        p = self._params(step, recorded)
        when = p.get("scheduled_publish_time")
        if step.key == "fb.reel.finish":
            doc = fb.publish_reel(
                p["video_id"],
                description=p.get("description"),
                title=p.get("title"),
                scheduled_publish_time=int(when) if when else None,
            )
            return {"post_id": str(doc.get("post_id") or p["video_id"])}
        photos = [
            recorded.get(s.key, {}).get("photo_id") for s in job.plan.steps if s.key.startswith("fb.photo.")
        ]
        post_id = fb.create_multi_photo_post(
            photos, p.get("message"), scheduled_publish_time=int(when) if when else None
        )
        return {"post_id": post_id}

    def _probe_fb_publish(self, job: Job, step: Step, recorded: Any) -> Mapping[str, Any] | None:
        """A Page post (or scheduled post) with our exact message among the newest ones."""
        fb = self.clients.facebook
        if step.key == "fb.reel.finish":
            video = recorded.get("fb.reel.start", {}).get("video_id")
            status = fb.video_status(video)
            return {"post_id": video} if status.publishing not in (None, "not_started") else None
        for row in fb.recent_posts(scheduled=bool(job.plan.native_scheduling), limit=FB_PROBE_LIMIT):
            if (row.get("message") or "") == job.plan.caption:
                return {"post_id": str(row["id"])}
        return None

    def _fb_comment(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        fb = self.clients.facebook
        post = recorded.get("fb.feed", recorded.get("fb.reel.finish", {})).get("post_id")
        doc = fb.session.post_json(
            f"{post}/comments", data=self._params(step, recorded), token=fb._token, idempotent=False
        )
        return {"comment_id": str(doc.get("id", ""))}

    def _fb_permalink(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        post = (recorded.get("fb.feed") or recorded.get("fb.reel.finish") or {}).get("post_id")
        return {"permalink": self.clients.facebook.permalink(post) or ""}

    # -- Pinterest --------------------------------------------------------------------------------

    def _board(self, job: Job, record: Callable[[Mapping[str, Any]], None], recorded: Any) -> str:
        """The pin's board from `post.platforms["pinterest"]["board_id"]`: a numeric id is used as is;
        anything else is a board *name*, found on the account or created once (the listing before the
        create is its probe, so a lost create answer is found on the next run, not made twice)."""
        known = recorded.get("pin.create", {}).get("board_id")
        if known:
            return str(known)
        settings = _post(self.ws.project, job.post_id).platforms.get("pinterest", {}) or {}
        wanted = str(settings.get("board_id") or settings.get("board") or "Shoppable Studio").strip()
        if wanted.isdigit():
            return wanted
        pin = self.clients.pinterest
        board = next((b for b in pin.list_boards() if b.name.casefold() == wanted.casefold()), None)
        if board is None:
            board = pin.create_board(wanted)
        record({"board_id": board.id})
        return str(board.id)

    def _pin_publish(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        from studio.publish.pinterest import CarouselImage, encode_image

        pin = self.clients.pinterest
        assert step.request is not None
        body = dict(step.request.params)
        board = self._board(job, record, recorded)
        common = {
            "title": body.get("title"),
            "description": body.get("description"),
            "link": body.get("link"),
            "alt_text": body.get("alt_text"),
            "board_section_id": body.get("board_section_id"),
        }
        source = body.get("media_source") or {}
        files = self._files(job, step)
        self.started_at = time.time()
        if source.get("source_type") == "video_id":
            media = recorded.get("pin.media.register", {}).get("media_id")
            created = pin.create_video_pin(
                board,
                media,
                cover_image_key_frame_time=int(source.get("cover_image_key_frame_time") or 0),
                **common,
            )
        elif source.get("source_type") == "multiple_image_base64":
            images = []
            for f in files:
                ctype, data = encode_image(f)
                images.append(CarouselImage(data=data, content_type=ctype))
            created = pin.create_carousel_pin(board, images, **common)
        else:
            ctype, data = encode_image(files[0])
            created = pin.create_image_pin(board, image_base64=data, content_type=ctype, **common)
        return {"pin_id": created.id, "board_id": board}

    def _files(self, job: Job, step: Step) -> list[str]:
        """Every file of a multi-file step (carousel pin), re-rendered if the cache was cleared."""
        assert step.request is not None
        files = [f for f in (step.request.file or "").split(";") if f]
        if all(Path(f).exists() for f in files):
            return files
        post = _post(self.ws.project, job.post_id)
        fresh, _, _ = render_media(self.ws, post, job.platform, FallbackDecision.from_dict(job.plan.decision))
        ordered = [fresh[m] for m in post.media_ids if m in fresh]
        return ordered if len(ordered) == len(files) else files

    def _probe_pin_publish(self, job: Job, step: Step, recorded: Any) -> Mapping[str, Any] | None:
        """A pin on the board with our description and link (newest first)."""
        assert step.request is not None
        board = recorded.get("pin.create", {}).get("board_id") or (
            _post(self.ws.project, job.post_id).platforms.get("pinterest", {}) or {}
        ).get("board_id")
        if not board or not str(board).isdigit():  # a board *name* not yet resolved: no pin was made
            return None
        body = step.request.params
        pin = self.clients.pinterest
        for found in pin.board_pins(str(board), limit=PROBE_RECENT_LIMIT):
            if (found.raw.get("description") or "") == (body.get("description") or "") and (
                found.link or ""
            ) == (body.get("link") or ""):
                return {"pin_id": found.id, "board_id": str(board)}
        return None

    def _pin_upload_start(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        up = self.clients.pinterest.register_media_upload()
        # a short-lived presigned upload policy (no account token): recorded so a resumed run can upload
        return {
            "media_id": up.media_id,
            "upload_url": up.upload_url,
            "upload_parameters": json.dumps(up.upload_parameters, sort_keys=True),
        }

    def _pin_upload(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        reg = recorded.get("pin.media.register", {})
        params = json.loads(reg.get("upload_parameters") or "{}")
        self.clients.pinterest.upload_media(reg.get("upload_url", ""), params, self._file(job, step))
        return {}

    def _pin_poll(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        media = recorded.get("pin.media.register", {}).get("media_id")
        status = self.clients.pinterest.wait_for_media(
            media, poll=self.poll_s, timeout=self.poll_timeout_s, sleep=self.sleep
        )
        return {"status": status.status}

    def _pin_permalink(self, job: Job, step: Step, recorded: Any, record: Any) -> Mapping[str, Any]:
        pin_id = recorded.get("pin.create", {}).get("pin_id")
        return {"permalink": f"https://www.pinterest.com/pin/{pin_id}/"}


# --- running: the loop -------------------------------------------------------------------------------


def retry_delay_for(
    base_s: float = 30.0, max_s: float = 3600.0
) -> Callable[[BaseException, int], float | None]:
    """Which failures come back by themselves, and when.

    RateLimited → at its `retry_after`; ReconnectNeeded → never (the job waits, "Reconnect <account>");
    a retryable or maybe-done error (5xx, dropped connection, lost answer) → exponential backoff
    (the probe then decides whether the step really has to be sent again); anything else (invalid
    post, missing permission) → failed, for the user to fix and `outbox retry`.
    """

    def delay(exc: BaseException, attempts: int) -> float | None:
        if isinstance(exc, ReconnectNeeded):
            return None
        if isinstance(exc, RateLimited):
            return float(exc.retry_after if exc.retry_after is not None else base_s)
        if isinstance(exc, ServerError | ConnectionFailed) or (
            isinstance(exc, PublishError) and (exc.retryable or exc.maybe_done)
        ):  # safe at the outbox level: a non-idempotent step is probed before it is sent again
            return min(max_s, base_s * (2 ** min(attempts - 1, 10)))
        if isinstance(exc, OSError):
            return min(max_s, base_s * (2 ** min(attempts - 1, 10)))
        return None

    return delay


@dataclass(slots=True)
class OutboxSummary:
    """What one `run_outbox` call did (for the CLI, the GUI status line and the tests)."""

    published: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    reconnect: dict[str, str] = field(default_factory=dict)  # job id -> "Reconnect <account>"
    swept: int = 0  # bucket objects of stopped jobs deleted by this run
    pending: int = 0
    permalinks: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": list(self.published),
            "failed": list(self.failed),
            "rescheduled": list(self.rescheduled),
            "reconnect": dict(self.reconnect),
            "swept": self.swept,
            "pending": self.pending,
            "permalinks": {k: list(v) for k, v in self.permalinks.items()},
        }


def run_outbox(
    ws: Workspace | Path | str,
    *,
    registry: AccountRegistry,
    secrets: SecretStore | None = None,
    clients_factory: ClientsFactory | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    poll_s: float = DEFAULT_POLL_S,
    retry_base_s: float = 30.0,
    wait_s: float = 0.0,
    worker: str | None = None,
    lease_s: float = DEFAULT_LEASE_S,
    workers: int = 1,
    on_published: Callable[[Job], None] | None = None,
) -> OutboxSummary:
    """Claim every due job and drive it to the end (or to its next retry time).

    `wait_s` > 0 keeps going while jobs come due within that many seconds (retries after faults),
    sleeping in between — the CLI and tests use it to drain the outbox; the GUI calls this
    periodically with 0. `workers` > 1 drives that many *jobs* at once (threads; steps within a job
    stay in order, and the per-account rate limiter of each session still spaces the calls).
    A job whose account cannot be used (`ReconnectNeeded`) stops with
    "Reconnect <account>" and is not retried until the user reconnects and retries it.
    """
    workspace, close = _workspace(ws)
    outbox = Outbox.open(workspace.root, clock=now)
    factory = clients_factory or default_clients_factory(registry, secrets)
    me = worker or new_worker_id()
    summary = OutboxSummary()
    delay = retry_delay_for(retry_base_s)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") if workers > 1 else None
    done = 0

    def one(job: Job) -> Job | None:
        if cancel is not None and cancel.cancelled:
            return None
        return _run_one(workspace, outbox, job, registry, factory, me, poll_s, sleep, delay, lease_s)

    def note(result: Job | None, total: int) -> None:
        nonlocal done
        done += 1
        if result is None:
            return
        progress(done, total, f"{result.platform}: post {result.post_id} {result.state}")
        if result.state == DONE:
            summary.published.append(result.id)
            summary.permalinks[result.id] = list(result.permalinks)
            _record_post_prices(workspace, result)
            if on_published is not None:
                on_published(result)
        elif result.last_error and result.last_error.startswith("Reconnect "):
            summary.reconnect[result.id] = result.last_error
        elif result.state == FAILED:
            summary.failed.append(result.id)

    try:
        while not (cancel is not None and cancel.cancelled):
            due = outbox.next_due(now())
            total = done + len(due)
            if pool is not None:
                for result in pool.map(one, due):
                    note(result, total)
            else:
                for job in due:
                    note(one(job), total)
            if wait_s <= 0:
                break
            wake = _next_wake(outbox)
            if wake is None or wake - now() > wait_s:
                break
            if not due:
                sleep(max(0.0, wake - now()) + 0.01)
        summary.swept = sweep_stranded_uploads(outbox, getattr(factory, "media_host", None), now())
        active = outbox.jobs(ACTIVE)
        summary.pending = len(active)
        summary.rescheduled = [j.id for j in active if j.retry_at is not None]
        progress(done, done, "Outbox done")
        return summary
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        outbox.close()
        if close:
            workspace.close()


def sweep_stranded_uploads(outbox: Outbox, host_fn: Callable[[], Any] | None, now: float) -> int:
    """Delete from the media bucket the files of jobs that stopped before their cleanup step.

    A cancelled or permanently failed Instagram job would otherwise leave the brand's (maybe
    unreleased) image in the bucket for good. Deleting never costs a later Retry anything: the
    outbox records whether Retry must upload again. Problems (bucket unreachable) are not fatal: the
    next run tries again. Returns how many objects were deleted.
    """
    stranded = outbox.stranded_uploads(now)
    if not stranded or host_fn is None:
        return 0
    try:
        host = host_fn()
    except (PublishError, UsageError) as exc:
        log.info("Media bucket not reachable for cleanup: %s", exc)
        return 0
    if host is None:
        return 0
    deleted = 0
    for upload in stranded:
        try:
            host.delete(upload.object_key)
        except PublishError as exc:
            log.info("Could not delete a stopped job's upload yet: %s", exc)
            continue
        outbox.release_upload(upload)
        deleted += 1
    return deleted


def _next_wake(outbox: Outbox) -> float | None:
    """When the next active job can be claimed (retry time, schedule, or a dead worker's lease end)."""
    times: list[float] = []
    for job in outbox.jobs(ACTIVE):
        if job.state == QUEUED:
            times.append(max(job.retry_at or 0.0, job.scheduled_at or 0.0))
        elif job.lease_expires is not None:
            times.append(job.lease_expires)
    return min(times) if times else None


def _run_one(
    ws: Workspace,
    outbox: Outbox,
    job: Job,
    registry: AccountRegistry,
    factory: ClientsFactory,
    worker: str,
    poll_s: float,
    sleep: Callable[[float], None],
    delay: Callable[[BaseException, int], float | None],
    lease_s: float,
) -> Job | None:
    account = registry.find(job.account)
    try:
        if account is None:
            raise ReconnectNeeded(f"{job.account} is no longer connected.", platform=job.platform)
        clients = factory(account)
    except ReconnectNeeded as exc:
        if outbox.claim(job.id, worker, lease_s=lease_s) is None:
            return None
        outbox.fail(job.id, f"Reconnect {job.account}: {exc.what}", None, worker=worker)
        return outbox.get(job.id)
    runner = StepRunner(ws, account, clients, poll_s=poll_s, sleep=sleep, outbox=outbox, worker=worker)
    reconnect: list[BaseException] = []

    def retry(exc: BaseException, attempts: int) -> float | None:
        if isinstance(exc, ReconnectNeeded):
            reconnect.append(exc)
        return delay(exc, attempts)

    try:
        result = run_job(outbox, job.id, runner, worker=worker, retry_delay=retry, lease_s=lease_s)
    except (PublishError, OSError) as exc:  # a probe failed (the step's fate is still unknown): later
        wait = delay(exc, 1)
        if outbox.state(job.id) == "running":
            outbox.fail(job.id, f"Checking what was already sent: {exc}", (outbox.clock() + (wait or 60.0)))
        return outbox.get(job.id)
    if result is not None and reconnect and result.state == FAILED:
        # "Reconnect <account>" leads the message: the job waits for the user, it never loops.
        outbox.fail(job.id, f"Reconnect {job.account}: {result.last_error}", None)
        result = outbox.get(job.id)
    return result


# --- accounts (connect) --------------------------------------------------------------------------------


def connect_accounts(
    platform: str,
    registry: AccountRegistry,
    *,
    client_id: str,
    client_secret: str,
    open_browser: Callable[[str], Any] | None = None,
    sandbox: bool = False,
    timeout: float = 300.0,
) -> list[Account]:
    """The OAuth loopback flow for `platform`, then register what the login gives access to.

    Meta: every Page (with its Page token) and each Instagram business account linked to one
    (user token, Facebook Login, product-tag eligibility read now). Pinterest: the user account
    (`sandbox=True` publishes to the API sandbox, for Trial-tier apps).
    """
    import webbrowser

    from studio.publish.http import make_session
    from studio.publish.instagram import InstagramClient
    from studio.publish.oauth import FACEBOOK, INSTAGRAM_LOGIN, PINTEREST, TokenSet, authorize, meta_pages

    opener = open_browser or webbrowser.open
    registry.secrets.set_app_credentials(platform, client_id, client_secret)
    if platform == "instagram_login":
        # Instagram API with Instagram Login: the account itself, no Page; publishing works, product
        # tags do not (the fallback carries the products).
        tokens = authorize(
            INSTAGRAM_LOGIN,
            client_id=client_id,
            client_secret=client_secret,
            session=make_session("instagram_login_oauth"),
            open_browser=opener,
            timeout=timeout,
        )
        me = make_session("instagram_login").get_json(
            "me", params={"fields": "user_id,username,name"}, token=tokens.access_token, idempotent=True
        )
        user_id = str(me.get("user_id") or me.get("id") or "")
        if not user_id:
            raise PublishError("Instagram did not say which account signed in.", platform="instagram")
        username = str(me.get("username") or "")
        return [
            registry.connect(
                platform="instagram",
                kind="ig_login",
                remote_id=user_id,
                name=username or f"Instagram {user_id}",
                tokens=tokens,
                extra={"login": "instagram_login", "username": username, "product_tag_eligible": False},
            )
        ]
    if platform in ("instagram", "facebook"):
        session = make_session("facebook")
        tokens = authorize(
            FACEBOOK,
            client_id=client_id,
            client_secret=client_secret,
            session=session,
            open_browser=opener,
            timeout=timeout,
        )
        out: list[Account] = []
        for page in meta_pages(session, tokens):
            out.append(
                registry.connect(
                    platform="facebook",
                    kind="fb_page",
                    remote_id=page.id,
                    name=page.name,
                    tokens=TokenSet(page.access_token, None, None),
                )
            )
            ig_id, ig_name = page.ig_user_id, page.ig_username
            if not ig_id:  # nested fields are not always expanded in /me/accounts: ask the Page
                doc = session.get_json(
                    page.id, params={"fields": "instagram_business_account"}, token=tokens.access_token
                )
                ig_id = str((doc.get("instagram_business_account") or {}).get("id") or "") or None
            if ig_id:
                ig = InstagramClient(make_session("instagram"), ig_id, tokens.access_token)
                if not ig_name:
                    with contextlib.suppress(PublishError):
                        ig_name = (
                            str(
                                ig.session.get_json(
                                    ig_id, params={"fields": "username"}, token=tokens.access_token
                                ).get("username")
                                or ""
                            )
                            or None
                        )
                try:
                    eligible = ig.product_tag_eligibility()
                except PublishError:
                    eligible = False
                out.append(
                    registry.connect(
                        platform="instagram",
                        kind="ig_business",
                        remote_id=ig_id,
                        name=ig_name or f"{page.name} (Instagram)",
                        tokens=tokens,
                        extra={
                            "login": "facebook_login",
                            "page_id": page.id,
                            "username": ig_name or "",
                            "product_tag_eligible": eligible,
                        },
                    )
                )
        return out
    if platform == "pinterest":
        session = make_session("pinterest")
        tokens = authorize(
            PINTEREST,
            client_id=client_id,
            client_secret=client_secret,
            session=session,
            open_browser=opener,
            timeout=timeout,
        )
        api = make_session("pinterest", sandbox=sandbox)
        user = api.get_json("user_account", token=tokens.access_token, idempotent=True)
        name = str(user.get("username") or user.get("id") or "Pinterest")
        return [
            registry.connect(
                platform="pinterest",
                kind="pinterest",
                remote_id=str(user.get("id") or name),
                name=name + (" (sandbox)" if sandbox else ""),
                tokens=tokens,
                sandbox=sandbox,
                extra={"username": name},
            )
        ]
    raise UsageError(
        f"Unknown platform '{platform}'.", hint="Use instagram, facebook, pinterest or instagram_login."
    )


def parse_when(text: str) -> float:
    """`--at` ISO 8601 time → Unix seconds (a time without zone is local time)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not an ISO time", where=Where(field="--at"), hint="e.g. 2026-12-01T09:30+01:00"
        ) from None
    return value.timestamp()


def _record_post_prices(ws: Workspace, job: Job) -> None:
    """Price ledger (studio.core.price_ledger): remember the prices a just-published post shows, so
    a later catalog change lists it as stale. Prices are those of the catalog now — the post was
    rendered from it moments ago. Never fails publishing: the ledger is a warning system."""
    try:
        from studio.core.price_ledger import PriceLedger, shown_for_media

        post = next((p for p in ws.project.posts if p.id == job.post_id), None)
        media = [m for mid in (post.media_ids if post else []) if (m := ws.project.media_by_id(mid))]
        products = {t.product_id: ws.catalog.get(t.product_id) for m in media for t in m.tags}
        rows = [s for m in media for s in shown_for_media(m, products)]
        if rows:
            with PriceLedger.for_workspace(ws.root) as ledger:
                permalink = job.permalinks[0] if job.permalinks else ""
                ledger.record_post(
                    job.id, rows, platform=job.platform, permalink=permalink, post_id=job.post_id
                )
    except Exception as exc:  # logged, never raised
        log.warning("Could not record the prices of published post %s: %s", job.post_id, exc)


def history(ws: Workspace | Path | str) -> list[dict[str, Any]]:
    """Published posts with their permalinks and natively tagged products, newest first."""
    workspace, close = _workspace(ws)
    try:
        with Outbox.open(workspace.root) as outbox:
            return [h.to_dict() for h in outbox.history()]
    finally:
        if close:
            workspace.close()


#: Public names for helpers the GUI (studio/ui/publish_dialog.py) mirrors: the same preset choice
#: and the same "approved in the connected catalog" rule as `enqueue_post`.
aspect_preset = _aspect_preset
default_approved = _default_approved
