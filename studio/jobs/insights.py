"""Pull post metrics for the published history into the workspace's `insights.sqlite`.

Why a job: the GUI's "Refresh" button, its background timer and `studio insights pull` must do the
same thing — read the outbox history (which post went where, with which remote id), get each
account's token, run the platform collectors (`studio.publish.insights`) and store the values — with
progress, cancel, and a per-post report. A failure on one post never stops the others; a login that
needs reconnecting or a platform rate limit stops only the remaining posts of *that* account (no
point hammering), and says so per post.

Refresh schedule (`due_for_refresh`), chosen from the platforms' data life (insights.md §5.1):
Stories first — their insights vanish 24 h after posting — every 3 h, and every 30 min in their last
2 h; then posts younger than 2 days every 6 h, younger than 7 days every 12 h, younger than 30 days
daily, younger than 90 days (Pinterest's look-back) weekly. Older posts refresh on demand only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from studio.core.errors import Problem, StudioError, UsageError, Where
from studio.core.insights_store import InsightsStore, PostRef
from studio.core.orders import OrdersImport, attribute, read_orders_csv
from studio.core.post_rules import post_media
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import Workspace
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.http import ApiSession, make_session
from studio.publish.insights import (
    STORY_WINDOW,
    FacebookInsights,
    InstagramInsights,
    PinterestInsights,
    PostPull,
)
from studio.publish.outbox import HistoryEntry, Outbox

log = logging.getLogger(__name__)

#: outbox target → `PostRef.media_type`
TARGET_MEDIA_TYPE = {
    "instagram.feed_image": "IMAGE",
    "instagram.carousel": "CAROUSEL_ALBUM",
    "instagram.reel": "REELS",
    "instagram.story": "STORY",
    "facebook.photo": "IMAGE",
    "facebook.multi_photo": "CAROUSEL_ALBUM",
    "facebook.video": "VIDEO",
    "pinterest.image_pin": "PIN",
    "pinterest.video_pin": "VIDEO_PIN",
    "pinterest.carousel_pin": "CAROUSEL_PIN",
}
#: remote id recorded by the publishing steps, per platform (studio/jobs/publish.py)
REMOTE_ID_KEY = {"instagram": "media_id", "facebook": "post_id", "pinterest": "pin_id"}

#: (max age, refresh interval) for non-Story posts, first match wins
REFRESH_STEPS: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=2), timedelta(hours=6)),
    (timedelta(days=7), timedelta(hours=12)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
)
STORY_EVERY = timedelta(hours=3)
STORY_LAST_CALL = timedelta(hours=2)  # in the window's last 2 h …
STORY_LAST_CALL_EVERY = timedelta(minutes=30)  # … refresh every 30 min

SessionFactory = Callable[[Account], ApiSession]


@dataclass(slots=True)
class PullReport:
    """What a pull did, per post; `ok`/`failed` count posts, `requests` HTTP calls."""

    started_at: datetime
    finished_at: datetime | None = None
    posts: list[PostPull] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> int:
        return sum(1 for p in self.posts if p.ok)

    @property
    def failed(self) -> int:
        return sum(1 for p in self.posts if not p.ok)

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.posts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "ok": self.ok,
            "failed": self.failed,
            "requests": self.requests,
            "cancelled": self.cancelled,
            "warnings": list(self.warnings),
            "posts": [p.to_dict() for p in self.posts],
        }


# --- history → PostRef -----------------------------------------------------------------------------


def _remote_id(outbox: Outbox, entry: HistoryEntry) -> str | None:
    key = REMOTE_ID_KEY.get(entry.platform)
    if key is None:
        return None
    job = outbox.get(entry.job_id)
    found: str | None = None
    for step in job.steps:
        value = step.remote_ids.get(key)
        if value:
            found = str(value)  # the last step that recorded it (the publish step) wins
    return found


def _published_at(outbox: Outbox, entry: HistoryEntry) -> datetime:
    """When it went live: the native schedule for Facebook-scheduled posts, else the completion time."""
    job = outbox.get(entry.job_id)
    when = entry.completed_at
    if job.plan.native_scheduling and job.plan.scheduled_at:
        when = max(when, float(job.plan.scheduled_at))
    return datetime.fromtimestamp(when, UTC)


def _tagged_products(project: Any, post_id: str) -> list[str]:
    post = next((p for p in getattr(project, "posts", []) if p.id == post_id), None)
    if post is None:
        return []
    out: list[str] = []
    for media in post_media(post, project):
        for tag in media.tags:
            if tag.product_id and tag.product_id not in out:
                out.append(tag.product_id)
    return out


def history_posts(outbox: Outbox, project: Any = None) -> tuple[list[PostRef], list[str]]:
    """The published history as `PostRef`s (newest per post × platform) and what could not be used."""
    refs: dict[tuple[str, str], PostRef] = {}
    problems: list[str] = []
    for entry in outbox.history():  # newest first
        if (entry.post_id, entry.platform) in refs:
            continue
        remote = _remote_id(outbox, entry)
        if not remote:
            problems.append(f"post {entry.post_id} on {entry.platform}: no remote id in the outbox history")
            continue
        products = _tagged_products(project, entry.post_id) if project is not None else []
        for pid in entry.native_products:
            if pid not in products:
                products.append(pid)
        refs[(entry.post_id, entry.platform)] = PostRef(
            post_id=entry.post_id,
            platform=entry.platform,
            remote_id=remote,
            media_type=TARGET_MEDIA_TYPE.get(entry.target, entry.target.split(".")[-1].upper()),
            published_at=_published_at(outbox, entry),
            permalink=entry.permalinks[0] if entry.permalinks else "",
            product_ids=products,
            account=entry.account,
        )
    return list(refs.values()), problems


def sync_posts(workspace: Workspace, store: InsightsStore) -> list[str]:
    """Copy the outbox history into the store's `posts` table; returns problems (one line each)."""
    with Outbox.open(workspace.root) as outbox:
        refs, problems = history_posts(outbox, workspace.project)
    for ref in refs:
        store.upsert_post(ref)
    return problems


# --- schedule -----------------------------------------------------------------------------------------


def _is_story(ref: PostRef) -> bool:
    return ref.platform == "instagram" and ref.media_type.upper() in ("STORY", "STORIES")


def _interval(ref: PostRef, now: datetime) -> timedelta | None:
    age = now - ref.published_at
    if _is_story(ref):
        if age >= STORY_WINDOW:
            return None
        return STORY_LAST_CALL_EVERY if STORY_WINDOW - age <= STORY_LAST_CALL else STORY_EVERY
    for max_age, every in REFRESH_STEPS:
        if age < max_age:
            return every
    return None


def due_for_refresh(store: InsightsStore, now: datetime | None = None) -> list[PostRef]:
    """Posts whose metrics should be pulled now: Stories closest to expiry first, then newest first."""
    now = now or datetime.now(UTC)
    stories: list[tuple[datetime, PostRef]] = []
    others: list[PostRef] = []
    for ref in store.posts():
        every = _interval(ref, now)
        if every is None:
            continue
        last = store.last_pull(ref.post_id, ref.platform)
        if last is not None and now - last < every:
            continue
        if _is_story(ref):
            stories.append((ref.published_at + STORY_WINDOW, ref))
        else:
            others.append(ref)
    stories.sort(key=lambda item: item[0])
    others.sort(key=lambda r: r.published_at, reverse=True)
    return [r for _, r in stories] + others


def story_warnings(
    store: InsightsStore, now: datetime | None = None, *, next_check: timedelta | None = None
) -> list[str]:
    """Stories whose insights are lost or at risk: expired without a good pull, or closing before the
    next check (`next_check`: when the caller will look again, e.g. the GUI timer period)."""
    now = now or datetime.now(UTC)
    out: list[str] = []
    for ref in store.posts("instagram"):
        if not _is_story(ref):
            continue
        closes = ref.published_at + STORY_WINDOW
        last = store.last_pull(ref.post_id, ref.platform)
        if now >= closes:
            if last is None or last < ref.published_at:
                out.append(
                    f"Story {ref.post_id}: its insights window closed at {closes:%Y-%m-%d %H:%M} UTC before "
                    "they were pulled — they are lost"
                )
            continue
        if (
            next_check is not None
            and now + next_check >= closes
            and (last is None or now - last > STORY_EVERY)
        ):
            out.append(
                f"Story {ref.post_id}: insights close at {closes:%H:%M} UTC, before the next automatic "
                "refresh — pull now or keep the studio running"
            )
    return out


# --- pull ------------------------------------------------------------------------------------------


def _default_registry() -> AccountRegistry:
    import os

    from studio.publish.secrets import SecretStore

    return AccountRegistry(SecretStore.open(passphrase=os.environ.get("STUDIO_SECRETS_PASSPHRASE") or None))


def _default_session(account: Account) -> ApiSession:
    return make_session(account.platform, sandbox=account.sandbox, account=account.name)


class _Collectors:
    """One collector per account, built lazily; remembers accounts that cannot be used this run."""

    def __init__(self, registry: AccountRegistry, session_factory: SessionFactory) -> None:
        self.registry = registry
        self.session_factory = session_factory
        self.cache: dict[str, Any] = {}
        self.blocked: dict[str, str] = {}  # account name → why the rest of its posts are skipped
        self.learned: dict[str, set[str]] = {}  # IG: media type → metrics refused this run

    def get(self, account_name: str) -> Any:
        if account_name in self.blocked:
            raise _Blocked(self.blocked[account_name])
        if account_name in self.cache:
            return self.cache[account_name]
        account = self.registry.find(account_name)
        if account is None:
            raise UsageError(
                f"the account '{account_name}' that published this post is not connected",
                hint="connect it again (Settings → Accounts or `studio accounts connect`)",
            )
        session = self.session_factory(account)
        refresher = None
        if account.platform != "facebook":
            from studio.publish.oauth import TokenRefresher

            app = self.registry.secrets.app_credentials(account.platform)
            if app is not None:
                refresher = TokenRefresher(account.platform, session, client_id=app[0], client_secret=app[1])
        token = self.registry.fresh_tokens(account, refresher).access_token
        collector: Any
        if account.platform == "instagram":
            collector = InstagramInsights(session, token, account=account.name)
        elif account.platform == "facebook":
            collector = FacebookInsights(session, token, account=account.name)
        else:
            collector = PinterestInsights(session, token, account=account.name, sandbox=account.sandbox)
        self.cache[account_name] = collector
        return collector


class _Blocked(Exception):
    pass


def _open(ws: Workspace | Path | str) -> tuple[Workspace, bool]:
    if isinstance(ws, Workspace):
        return ws, False
    return Workspace.open(ws, write=False), True


def pull(
    workspace: Workspace | Path | str,
    *,
    post_id: str | None = None,
    post_ids: Sequence[str] | None = None,
    since: date | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    registry: AccountRegistry | None = None,
    session_factory: SessionFactory | None = None,
    now: datetime | None = None,
) -> PullReport:
    """Pull metrics for the published history (or `post_id` / `post_ids`) into `insights.sqlite`.

    `since`: only posts published on/after that day, and Pinterest daily values from that day on.
    Cancel is checked between posts; what was pulled before stays stored (`cancelled=True`).
    """
    ws, close_ws = _open(workspace)
    report = PullReport(started_at=now or datetime.now(UTC))
    store = InsightsStore.open(ws.root)
    try:
        report.warnings.extend(sync_posts(ws, store))
        refs = _select(store.posts(), post_id=post_id, post_ids=post_ids, since=since)
        clock_now = now or datetime.now(UTC)
        for ref in [r for r in refs if r.published_at > clock_now]:
            refs.remove(ref)
            report.warnings.append(
                f"{ref.platform} {ref.post_id}: scheduled for {ref.published_at:%Y-%m-%d %H:%M} UTC, "
                "not live yet"
            )
        refs.sort(key=lambda r: (not _is_story(r), -r.published_at.timestamp()))
        if refs:
            collectors = _Collectors(registry or _default_registry(), session_factory or _default_session)
        total = len(refs)
        progress(0, total, "pulling insights")
        for i, ref in enumerate(refs):
            if cancel is not None and cancel.cancelled:
                report.cancelled = True
                break
            at = now or datetime.now(UTC)
            result = _pull_one(collectors, ref, at, since)
            _store(store, ref, result, at)
            closes = ref.published_at + STORY_WINDOW
            if _is_story(ref) and not result.ok and at < closes:
                result.warnings.append(
                    f"its insights could not be pulled and the Story's 24 h window closes at "
                    f"{closes:%Y-%m-%d %H:%M} UTC — fix the problem and pull again before then"
                )
            report.posts.append(result)
            progress(i + 1, total, f"{ref.platform} {ref.post_id}")
        report.warnings.extend(story_warnings(store, clock_now))
        for p in report.posts:
            report.warnings.extend(f"{p.platform} {p.post_id}: {w}" for w in p.warnings)
    finally:
        report.finished_at = datetime.now(UTC)
        store.close()
        if close_ws:
            ws.close()
    return report


def _select(
    refs: Iterable[PostRef], *, post_id: str | None, post_ids: Sequence[str] | None, since: date | None
) -> list[PostRef]:
    wanted = set(post_ids or ())
    if post_id:
        wanted.add(post_id)
    out = [r for r in refs if (not wanted or r.post_id in wanted)]
    if wanted and not out:
        raise UsageError(
            f"no published post with id {', '.join(sorted(wanted))} in the outbox history",
            where=Where(field="--post"),
            hint="`studio outbox list` shows the published posts",
        )
    if since is not None:
        out = [r for r in out if r.published_at.date() >= since]
    return out


def _pull_one(collectors: _Collectors, ref: PostRef, at: datetime, since: date | None) -> PostPull:
    from studio.publish.errors import RateLimited, ReconnectNeeded

    try:
        collector = collectors.get(ref.account)
    except _Blocked as exc:
        return PostPull(
            ref.post_id, ref.platform, ref.remote_id, ok=False, error=str(exc), error_kind="Skipped"
        )
    except StudioError as exc:
        collectors.blocked[ref.account] = exc.message()
        return PostPull(
            ref.post_id,
            ref.platform,
            ref.remote_id,
            ok=False,
            error=exc.message(),
            error_kind=type(exc).__name__,
        )
    kwargs: dict[str, Any] = {"published_at": ref.published_at, "now": at}
    if ref.platform == "instagram":
        kwargs["learned"] = collectors.learned
    if ref.platform == "pinterest":
        kwargs["since"] = since
    try:
        result: PostPull = collector.collect(ref.post_id, ref.remote_id, ref.media_type, **kwargs)
    except Exception as exc:  # a bug or an odd answer for one post must not stop the others
        log.exception("insights pull failed for %s on %s", ref.post_id, ref.platform)
        return _skipped(ref, f"unexpected error ({type(exc).__name__}); see the log", "InternalError")
    if result.error_kind in (ReconnectNeeded.__name__, RateLimited.__name__):
        collectors.blocked[ref.account] = f"skipped: {result.error}"
    return result


def _skipped(ref: PostRef, error: str, kind: str) -> PostPull:
    return PostPull(ref.post_id, ref.platform, ref.remote_id, ok=False, error=error, error_kind=kind)


def _store(store: InsightsStore, ref: PostRef, result: PostPull, at: datetime) -> None:
    if result.values:
        rows = [(v.metric, v.value, v.day, v.reason) for v in result.values]
        store.record_many(ref.post_id, ref.platform, rows, at=at)
    store.record_pull(ref.post_id, ref.platform, at, result.ok, result.error or "")


# --- orders ------------------------------------------------------------------------------------------


def import_orders(
    workspace: Workspace | Path | str,
    path: Path | str,
    *,
    columns: dict[str, str] | None = None,
    extra_codes: dict[str, str] | None = None,
) -> OrdersImport:
    """Read an orders CSV, attribute each order (code → UTM → SKU), store them in `insights.sqlite`.

    The published history is synced first, so posts published since the last pull count too.
    Re-importing the same file replaces its orders (by order id); nothing is duplicated.
    """
    ws, close_ws = _open(workspace)
    store = InsightsStore.open(ws.root)
    try:
        result = read_orders_csv(path, columns=columns, default_currency=ws.project.currency)
        try:
            result.problems.extend(
                Problem(None, None, None, line, severity="warning") for line in sync_posts(ws, store)
            )
        except StudioError as exc:
            result.problems.append(Problem(None, None, None, exc.message(), severity="warning"))
        catalog = ws.catalog

        def product_for_sku(sku: str) -> str | None:
            product = catalog.find(sku)
            return product.id if product is not None else None

        result.unattributed = attribute(
            result.orders, store.posts(), product_for_sku=product_for_sku, extra_codes=extra_codes
        )
        store.add_orders(result.orders)
    finally:
        store.close()
        if close_ws:
            ws.close()
    return result


def refresh_due(
    workspace: Workspace | Path | str,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    registry: AccountRegistry | None = None,
    session_factory: SessionFactory | None = None,
    now: datetime | None = None,
    next_check: timedelta | None = None,
) -> PullReport:
    """What the GUI's timer runs: pull only the posts `due_for_refresh` says are due (Stories first).

    `next_check`: the timer period — Stories that will close before the next tick are warned about.
    Returns an empty report (no network) when nothing is due.
    """
    ws, close_ws = _open(workspace)
    try:
        when = now or datetime.now(UTC)
        store = InsightsStore.open(ws.root)
        try:
            sync_posts(ws, store)
            due = [r.post_id for r in due_for_refresh(store, when)]
            warnings = story_warnings(store, when, next_check=next_check)
        finally:
            store.close()
        if not due:
            return PullReport(started_at=when, finished_at=when, warnings=warnings)
        report = pull(
            ws,
            post_ids=list(dict.fromkeys(due)),
            progress=progress,
            cancel=cancel,
            registry=registry,
            session_factory=session_factory,
            now=now,
        )
        report.warnings.extend(w for w in warnings if w not in report.warnings)
        return report
    finally:
        if close_ws:
            ws.close()
