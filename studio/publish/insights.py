"""Collect per-post metrics from Instagram, Facebook Pages and Pinterest (facts: platforms/insights.md).

Why per-platform collectors with their own metric tables:
- Instagram (§1.2–1.5): the metric set differs per media product type and ONE metric the type does
  not support fails the whole call (`#100 … does not support the <m> metric for this media product
  type`). We ask for the type's set in one call; on that error we fall back to one call per metric,
  keep what answers and mark the rest "not supported for this type" (remembered for the rest of the
  pull via `learned`, so the next post of that type costs one call again). Story insights exist for
  24 h; a Story with < 5 viewers answers code 10 "Not enough viewers" → every metric "not available
  yet", never 0.
- Facebook (§2.3–2.5): only the current post metrics (`post_media_view`, `post_total_media_view_unique`,
  clicks/reactions/activity dicts); `post_impressions*`, `post_reach`, `post_engaged_users` are gone.
  Dict-valued metrics are stored flattened (`post_clicks_by_type.link_clicks`) plus their total.
  `post_total_media_view_unique` can come with a stale `day` row: only `lifetime` rows are read.
- Pinterest (§3.1–3.2): `GET /v5/pins/{id}/analytics` per day (READY and ESTIMATE days stored; an
  ESTIMATE is replaced when a later pull sees the day READY) over a window that never starts more
  than `PINTEREST_LOOKBACK_DAYS` back (the API refuses > 90; 89 keeps a UTC safety margin, as
  Postiz does). Lifetime: the window summary when it covers the whole life of the pin, else
  `GET /v5/pins/{id}?pin_metrics=true` (`clickthrough` read as outbound clicks — UNCONFIRMED).
  The analytics operations are `x-sandbox: disabled`: sandbox accounts are reported, not called.

Deprecated metric names (`DEPRECATED`) can never be sent: `_guard` refuses them before any request,
and a unit test checks every table against them.

No storage here (that is `studio.core.insights_store`, written by `studio.jobs.insights`): a
collector returns a `PostPull` — values, "not available" reasons, what was unsupported, warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from studio.publish.errors import InvalidRequest, PublishError
from studio.publish.http import ApiSession

# --- metric tables ------------------------------------------------------------------------------

IG_COMMON = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
#: Requested per media type (`PostRef.media_type`). §1.5 "safe request sets".
IG_METRICS: dict[str, tuple[str, ...]] = {
    # FEED image/video: profile_visits/follows/profile_activity observed working 2026 [OSS]
    "FEED": (*IG_COMMON, "profile_visits", "follows", "profile_activity", "reposts"),
    # Carousel parent: whether profile_visits/follows/profile_activity are supported is UNCONFIRMED —
    # asked for, and the metric-by-metric fallback drops them if Meta refuses.
    "CAROUSEL_ALBUM": (*IG_COMMON, "profile_visits", "follows", "profile_activity", "reposts"),
    # Reels: follows/profile_visits are rejected (#100, observed 2026-09-10 [OSS]); times in ms
    "REELS": (
        *IG_COMMON,
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "reels_skip_rate",
        "reposts",
        "crossposted_views",
        "facebook_views",
    ),
    "STORY": (
        "views",
        "reach",
        "replies",
        "shares",
        "follows",
        "profile_visits",
        "profile_activity",
        "navigation",
        "total_interactions",
    ),
}
#: `link_clicks` (SDK enum since 2026-06) — which media types support it is UNCONFIRMED; off by default
#: because every refusal costs a fallback round. Set True to probe it on FEED/REELS.
IG_PROBE_LINK_CLICKS = False

FB_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_clicks_by_type",
    "post_reactions_by_type_total",
    "post_activity_by_action_type",
)
FB_VIDEO_METRICS = ("post_video_views", "post_video_avg_time_watched", "post_video_view_time")

PIN_METRICS = (
    "IMPRESSION",
    "OUTBOUND_CLICK",
    "PIN_CLICK",
    "SAVE",
    "SAVE_RATE",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
    "USER_FOLLOW",
    "PROFILE_VISIT",
)
PIN_VIDEO_METRICS = (
    "IMPRESSION",
    "OUTBOUND_CLICK",
    "PIN_CLICK",
    "SAVE",
    "SAVE_RATE",
    "VIDEO_MRC_VIEW",
    "VIDEO_10S_VIEW",
    "QUARTILE_95_PERCENT_VIEW",
    "VIDEO_V50_WATCH_TIME",
    "VIDEO_START",
    "VIDEO_AVG_WATCH_TIME",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
)
PIN_LIFETIME_ONLY = frozenset({"TOTAL_COMMENTS", "TOTAL_REACTIONS"})
PINTEREST_LOOKBACK_DAYS = 89  # API: ≤ 90 days back; one day of margin for the UTC date boundary
PIN_TRUSTED_STATUS = frozenset({"READY", "ESTIMATE"})
#: `pin_metrics=true` lifetime keys → our metric names (`clickthrough` = outbound: UNCONFIRMED)
PIN_LIFETIME_KEYS = {
    "impression": "IMPRESSION",
    "pin_click": "PIN_CLICK",
    "clickthrough": "OUTBOUND_CLICK",
    "reaction": "TOTAL_REACTIONS",
    "comment": "TOTAL_COMMENTS",
    "save": "SAVE",
}

#: Never requested (§1.3, §2.3). Adding a name here is how a future deprecation is handled.
DEPRECATED: dict[str, frozenset[str]] = {
    "instagram": frozenset(
        {
            "impressions",
            "plays",
            "clips_replays_count",
            "ig_reels_aggregated_all_plays_count",
            "video_views",
            "engagement",
            "taps_forward",
            "taps_back",
            "exits",
            "carousel_album_impressions",
            "carousel_album_reach",
            "carousel_album_engagement",
            "carousel_album_saved",
            "carousel_album_video_views",
        }
    ),
    "facebook": frozenset(
        {
            "post_impressions",
            "post_impressions_unique",
            "post_impressions_paid",
            "post_impressions_paid_unique",
            "post_impressions_fan",
            "post_impressions_fan_unique",
            "post_impressions_organic",
            "post_impressions_organic_unique",
            "post_impressions_viral",
            "post_impressions_viral_unique",
            "post_impressions_nonviral",
            "post_impressions_nonviral_unique",
            "post_reach",
            "post_engaged_users",
            "post_clicks_unique",
            "post_negative_feedback",
            "post_negative_feedback_unique",
            "post_views",
            "post_media_view_unique",
            "post_total_media_view",
            "post_engagements",
            "post_consumptions",
        }
    ),
    "pinterest": frozenset(),
}

STORY_WINDOW = timedelta(hours=24)
NOT_ENOUGH_VIEWERS = "not enough viewers yet (Instagram needs 5)"


def ig_product_type(media_type: str) -> str:
    """Our `PostRef.media_type` → the key of `IG_METRICS` (IMAGE/VIDEO are FEED media)."""
    kind = media_type.upper()
    if kind in ("STORY", "STORIES"):
        return "STORY"
    if kind in ("REELS", "REEL"):
        return "REELS"
    if kind in ("CAROUSEL_ALBUM", "CAROUSEL"):
        return "CAROUSEL_ALBUM"
    return "FEED"


def ig_metrics_for(media_type: str) -> tuple[str, ...]:
    ptype = ig_product_type(media_type)
    metrics = IG_METRICS[ptype]
    if IG_PROBE_LINK_CLICKS and ptype in ("FEED", "REELS"):
        metrics = (*metrics, "link_clicks")
    return metrics


def _guard(platform: str, metrics: Iterable[str]) -> list[str]:
    """The metrics, refusing any deprecated name (a programming error, never sent)."""
    out = list(metrics)
    bad = [m for m in out if m in DEPRECATED.get(platform, frozenset())]
    if bad:
        raise ValueError(f"deprecated {platform} metric(s) must not be requested: {', '.join(bad)}")
    return out


# --- results ------------------------------------------------------------------------------------


@dataclass(slots=True)
class MetricValue:
    """One value; `value=None` = not available, with `reason`. `day=None` = lifetime snapshot."""

    metric: str
    value: float | None
    day: date | None = None
    reason: str = ""


@dataclass(slots=True)
class PostPull:
    """What one collector call produced for one post on one platform."""

    post_id: str
    platform: str
    remote_id: str
    ok: bool = True
    values: list[MetricValue] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # refused for this media type (#100)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None  # PublishError subclass name, e.g. "ReconnectNeeded"
    requests: int = 0

    def unavailable(self, metrics: Iterable[str], reason: str) -> None:
        self.values.extend(MetricValue(m, None, None, reason) for m in metrics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "platform": self.platform,
            "remote_id": self.remote_id,
            "ok": self.ok,
            "metrics": {v.metric: v.value for v in self.values if v.day is None},
            "daily_values": sum(1 for v in self.values if v.day is not None),
            "not_available": {v.metric: v.reason for v in self.values if v.value is None},
            "unsupported": list(self.unsupported),
            "warnings": list(self.warnings),
            "error": self.error,
            "requests": self.requests,
        }


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _key(text: str) -> str:
    return str(text).strip().lower().replace(" ", "_")


def _flatten(metric: str, value: Any) -> list[MetricValue]:
    """A number → one value; a dict (`post_clicks_by_type`) → its parts plus the total."""
    if isinstance(value, Mapping):
        parts = [(f"{metric}.{_key(k)}", _num(v)) for k, v in value.items()]
        out = [MetricValue(name, v) for name, v in parts if v is not None]
        out.append(MetricValue(metric, sum(v.value or 0.0 for v in out)))
        return out
    num = _num(value)
    return [MetricValue(metric, num, None, "" if num is not None else "not a number")]


def _graph_rows(doc: Any) -> dict[str, Any]:
    """Graph `{"data": [{name, period, values: [{value}], total_value?}]}` → name → value (lifetime rows)."""
    out: dict[str, Any] = {}
    rows = doc.get("data") if isinstance(doc, Mapping) else None
    for row in rows or []:
        if not isinstance(row, Mapping) or "name" not in row:
            continue
        period = str(row.get("period") or "lifetime")
        name = str(row["name"])
        if period != "lifetime" and name in out:
            continue  # §2.4: a stale `day` row next to the lifetime one
        values = row.get("values") or []
        if values and isinstance(values[-1], Mapping) and "value" in values[-1]:
            value = values[-1]["value"]
        elif isinstance(row.get("total_value"), Mapping):
            value = row["total_value"].get("value")
        else:
            continue
        if period == "lifetime" or name not in out:
            out[name] = value
    return out


def _unsupported_metric(exc: PublishError) -> bool:
    """The IG "does not support the <m> metric for this media product type" / FB "valid insights metric"."""
    text = (exc.what or "").lower()
    return (
        isinstance(exc, InvalidRequest)
        and exc.code == 100
        and exc.subcode in (None, 0)
        and (
            re.search(r"does not support the \S+ metric", text) is not None
            or "valid insights metric" in text
            or re.search(r"metric\[\d+\] must be one of", text) is not None
        )
    )


def _not_enough_viewers(exc: PublishError) -> bool:
    return exc.code == 10 and "not enough viewers" in (exc.what or "").lower()


# --- Meta ---------------------------------------------------------------------------------------


class _GraphCollector:
    platform = "facebook"

    def __init__(self, session: ApiSession, token: str, *, account: str | None = None) -> None:
        self.session = session
        self._token = token
        self.account = account

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account!r})"

    def _get(self, pull: PostPull, remote_id: str, metrics: list[str]) -> dict[str, Any]:
        pull.requests += 1
        doc = self.session.get_json(
            f"/{remote_id}/insights",
            params={"metric": ",".join(_guard(self.platform, metrics))},
            token=self._token,
            account=self.account,
        )
        return _graph_rows(doc)

    def _fetch(
        self, pull: PostPull, remote_id: str, metrics: list[str], learned: set[str], type_label: str
    ) -> dict[str, Any]:
        """All `metrics` in one call; on the unsupported-metric error, one call per metric."""
        wanted = [m for m in metrics if m not in learned]
        skipped = [m for m in metrics if m in learned]
        if skipped:
            pull.unsupported.extend(skipped)
            pull.unavailable(skipped, f"not supported for {type_label} posts")
        if not wanted:
            return {}
        try:
            return self._get(pull, remote_id, wanted)
        except PublishError as exc:
            if not _unsupported_metric(exc):
                raise
        rows: dict[str, Any] = {}
        for metric in wanted:
            try:
                rows.update(self._get(pull, remote_id, [metric]))
            except PublishError as exc:
                if not _unsupported_metric(exc):
                    raise
                learned.add(metric)
                pull.unsupported.append(metric)
                pull.unavailable([metric], f"not supported for {type_label} posts")
        return rows

    def _values(
        self, pull: PostPull, rows: Mapping[str, Any], asked: Iterable[str], empty_reason: str
    ) -> None:
        got = set()
        for name, value in rows.items():
            pull.values.extend(_flatten(name, value))
            got.add(name)
        missing = [m for m in asked if m not in got and m not in pull.unsupported]
        if missing:
            pull.unavailable(missing, empty_reason)


class InstagramInsights(_GraphCollector):
    """`GET /{ig-media-id}/insights` per media product type, with the metric-by-metric fallback."""

    platform = "instagram"

    def collect(
        self,
        post_id: str,
        remote_id: str,
        media_type: str,
        *,
        published_at: datetime,
        now: datetime | None = None,
        learned: dict[str, set[str]] | None = None,
    ) -> PostPull:
        """Never raises for a platform error: the `PostPull` says what failed (`ok=False`)."""
        now = now or datetime.now(UTC)
        pull = PostPull(post_id, self.platform, remote_id)
        ptype = ig_product_type(media_type)
        metrics = list(ig_metrics_for(media_type))
        seen = (learned if learned is not None else {}).setdefault(ptype, set())
        story_expired = ptype == "STORY" and now - published_at > STORY_WINDOW
        try:
            rows = self._fetch(pull, remote_id, metrics, seen, ptype)
        except PublishError as exc:
            if _not_enough_viewers(exc):
                pull.unavailable(metrics, NOT_ENOUGH_VIEWERS)
                if story_expired:
                    pull.warnings.append(
                        "the Story expired with fewer than 5 viewers: no insights will exist"
                    )
                return pull
            return _failed(pull, exc)
        if story_expired and not rows:
            reason = "Story insights end 24 h after posting (not pulled in time)"
            pull.warnings.append(reason)
        else:
            reason = "not available yet (Instagram can take up to 48 h)"
        self._values(pull, rows, metrics, reason)
        return pull


class FacebookInsights(_GraphCollector):
    """`GET /{page-post-id}/insights` with the current (non-deprecated) post metrics; Page token."""

    platform = "facebook"

    def collect(self, post_id: str, remote_id: str, media_type: str, **_: Any) -> PostPull:
        pull = PostPull(post_id, self.platform, remote_id)
        metrics = list(FB_METRICS)
        if media_type.upper() in ("VIDEO", "REELS", "REEL"):
            metrics += FB_VIDEO_METRICS
        try:
            rows = self._fetch(pull, remote_id, metrics, set(), media_type.upper() or "Facebook")
        except PublishError as exc:
            return _failed(pull, exc)
        if not rows:
            pull.warnings.append(
                "Facebook returned no insights: the Page may have < 100 likes, or the login lacks "
                "read_insights — reconnect the Page if this persists"
            )
        self._values(pull, rows, metrics, "not available yet (Page insights update once a day)")
        return pull


def _failed(pull: PostPull, exc: PublishError) -> PostPull:
    pull.ok = False
    pull.error = exc.message()
    pull.error_kind = type(exc).__name__
    return pull


# --- Pinterest ----------------------------------------------------------------------------------


def pinterest_window(published_at: datetime, now: datetime, since: date | None = None) -> tuple[date, date]:
    """The `start_date`..`end_date` to ask: never older than the 89-day look-back, nor before the pin."""
    today = now.astimezone(UTC).date()
    start = max(published_at.astimezone(UTC).date(), today - timedelta(days=PINTEREST_LOOKBACK_DAYS))
    if since is not None:
        start = max(start, since)
    return min(start, today), today


class PinterestInsights:
    """`GET /v5/pins/{id}/analytics` (daily + window summary + lifetime) and `pin_metrics=true`."""

    platform = "pinterest"

    def __init__(
        self, session: ApiSession, token: str, *, account: str | None = None, sandbox: bool = False
    ) -> None:
        self.session = session
        self._token = token
        self.account = account
        self.sandbox = sandbox

    def __repr__(self) -> str:
        return f"PinterestInsights(account={self.account!r}, sandbox={self.sandbox})"

    def collect(
        self,
        post_id: str,
        remote_id: str,
        media_type: str,
        *,
        published_at: datetime,
        now: datetime | None = None,
        since: date | None = None,
        **_: Any,
    ) -> PostPull:
        now = now or datetime.now(UTC)
        pull = PostPull(post_id, self.platform, remote_id)
        if self.sandbox:
            pull.ok = False
            pull.error = (
                "Pinterest has no analytics for sandbox pins (the operation is disabled in the sandbox); "
                "publish to production to measure"
            )
            pull.error_kind = "Unsupported"
            return pull
        video = "VIDEO" in media_type.upper()
        metrics = list(PIN_VIDEO_METRICS if video else PIN_METRICS)
        start, end = pinterest_window(published_at, now, since)
        born = published_at.astimezone(UTC).date()
        whole_life = start <= born
        too_old = (end - born).days > PINTEREST_LOOKBACK_DAYS
        try:
            pull.requests += 1
            doc = self.session.get_json(
                f"pins/{remote_id}/analytics",
                params={
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "metric_types": ",".join(_guard(self.platform, metrics)),
                    "app_types": "ALL",
                    "split_field": "NO_SPLIT",
                },
                token=self._token,
                account=self.account,
            )
        except PublishError as exc:
            return _failed(pull, exc)
        block = doc.get("all") if isinstance(doc, Mapping) else None
        if not isinstance(block, Mapping):
            pull.warnings.append("Pinterest returned no analytics for this pin")
            pull.unavailable(metrics, "not available yet")
            return pull
        for row in block.get("daily_metrics") or []:
            if not isinstance(row, Mapping) or row.get("data_status") not in PIN_TRUSTED_STATUS:
                continue
            try:
                day = date.fromisoformat(str(row.get("date")))
            except ValueError:
                continue
            for name, value in (row.get("metrics") or {}).items():
                num = _num(value)
                if name in PIN_LIFETIME_ONLY or num is None:
                    continue
                pull.values.append(MetricValue(str(name), num, day))
        lifetime: dict[str, float] = {}
        for name, value in (block.get("lifetime_metrics") or {}).items():
            num = _num(value)
            if num is not None:
                lifetime[str(name)] = num
        if whole_life:
            for name, value in (block.get("summary_metrics") or {}).items():
                num = _num(value)
                if num is not None and name not in PIN_LIFETIME_ONLY:
                    lifetime[str(name)] = num
        elif too_old:
            lifetime.update(self._lifetime(pull, remote_id))
        for name, num in lifetime.items():
            pull.values.append(MetricValue(name, num))
        missing = [m for m in metrics if m not in lifetime]
        if whole_life:
            pull.unavailable(missing, "not available yet")
        elif too_old:
            pull.unavailable(
                missing, "lifetime total unknown: the pin is older than Pinterest's 90-day window"
            )
        # else: a `since`-limited window — its sums are not lifetime totals; the last ones stay current
        return pull

    def _lifetime(self, pull: PostPull, remote_id: str) -> dict[str, float]:
        """Lifetime totals of a pin older than the window (`pin_metrics=true`); {} if not offered."""
        try:
            pull.requests += 1
            doc = self.session.get_json(
                f"pins/{remote_id}", params={"pin_metrics": "true"}, token=self._token, account=self.account
            )
        except PublishError as exc:
            pull.warnings.append(f"lifetime totals unavailable: {exc.what}")
            return {}
        metrics = (doc.get("pin_metrics") or {}) if isinstance(doc, Mapping) else {}
        raw = metrics.get("lifetime_metrics") if isinstance(metrics, Mapping) else None
        out: dict[str, float] = {}
        for key, value in (raw or {}).items():
            name = PIN_LIFETIME_KEYS.get(str(key))
            num = _num(value)
            if name and num is not None:
                out[name] = num
        return out


__all__ = [
    "DEPRECATED",
    "FB_METRICS",
    "FB_VIDEO_METRICS",
    "IG_METRICS",
    "PIN_METRICS",
    "PIN_VIDEO_METRICS",
    "FacebookInsights",
    "InstagramInsights",
    "MetricValue",
    "PinterestInsights",
    "PostPull",
    "ig_metrics_for",
    "ig_product_type",
    "pinterest_window",
]
