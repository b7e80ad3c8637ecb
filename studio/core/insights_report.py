"""Aggregations over the insights store: per post, per product, per platform × format, heatmap.

Why this module exists apart from the store: the store keeps what the platforms said, under the
platforms' own metric names (`views`, `IMPRESSION`, `post_total_media_view_unique`, …); a marketer
wants five comparable numbers. `METRIC_SOURCES` is the one table that maps the platform names onto
the studio's five canonical metrics, so the GUI, the CLI report and the client PDF agree.

Rules every function here keeps:
- **Missing stays None, never 0.** A metric the platform has not delivered yet, or does not offer
  (Pinterest has no reach, Facebook no saves), is `None`; sums and means only use the posts that
  *have* a value and say how many did (`<metric>_n`). A sum over zero known values is None.
- **A date range selects the posts published in it** (UTC days, inclusive), and each post counts
  with its latest lifetime totals — the convention of the platforms' own "posts" reports, and the
  only one that makes two ranges comparable when most metrics are lifetime counters.
- **Orders count by creation date** in the range; revenue is `Decimal` in the order's currency and
  only *attributed* orders (attribution != "none") count for posts and products — the unattributed
  rest is reported by `orders_summary`, never spread by guesswork.
- The heatmap buckets posts by the weekday and hour they were *published*, in the time zone given
  (default: this computer's local zone — the workspace has no zone of its own), because "when to
  post" is a local-time question.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from studio.core.errors import StudioError, UsageError, Where
from studio.core.insights_store import Order, PostRef

By = Literal["post", "product", "platform"]
BY_CHOICES: tuple[str, ...] = ("post", "product", "platform")

#: The studio's canonical metrics, in display order.
METRICS: tuple[str, ...] = ("reach", "impressions", "engagement", "saves", "clicks")
METRIC_LABELS: dict[str, str] = {
    "reach": "Reach",
    "impressions": "Views",
    "engagement": "Engagement",
    "saves": "Saves",
    "clicks": "Link clicks",
}

#: canonical metric -> the stored metric names that carry it, first present wins. Canonical names
#: come first so a collector that already normalizes needs no entry here.
METRIC_SOURCES: dict[str, tuple[str, ...]] = {
    "reach": ("reach", "post_total_media_view_unique"),
    # Instagram `views` replaced `impressions` (Apr 2025); Facebook `post_media_view` replaced
    # `post_impressions` (Nov 2025); Pinterest IMPRESSION. Legacy `impressions` still answers for old media.
    "impressions": ("impressions", "views", "post_media_view", "IMPRESSION"),
    "engagement": ("engagement", "total_interactions", "ENGAGEMENT", "post_activity_by_action_type"),
    "saves": ("saves", "saved", "SAVE"),
    # Pinterest OUTBOUND_CLICK and Facebook "link clicks" are clicks to the post's link; Instagram
    # `link_clicks` is new and only where Meta offers it.
    "clicks": (
        "clicks",
        "link_clicks",
        "OUTBOUND_CLICK",
        "post_clicks_by_type.link clicks",
        "post_clicks_by_type.link_clicks",
        "post_link_clicks",
    ),
}

#: When a platform has no single engagement metric, its documented parts are summed — only when
#: every part is known (Pinterest "engagement" = saves + pin clicks + outbound clicks).
ENGAGEMENT_PARTS: dict[str, tuple[str, ...]] = {"pinterest": ("SAVE", "PIN_CLICK", "OUTBOUND_CLICK")}

#: What a platform (or one of its formats, "platform:MEDIA_TYPE") does not offer at all: shown as
#: "not offered", not "not available yet" — waiting will not make it appear.
NOT_OFFERED: dict[str, frozenset[str]] = {
    "pinterest": frozenset({"reach"}),
    "facebook": frozenset({"saves"}),
    "instagram:STORY": frozenset({"saves"}),
}

FORMAT_LABELS: dict[str, str] = {
    "IMAGE": "Photo",
    "FEED": "Photo",
    "CAROUSEL_ALBUM": "Carousel",
    "CAROUSEL": "Carousel",
    "REELS": "Reel",
    "REEL": "Reel",
    "STORY": "Story",
    "VIDEO": "Video",
    "PIN": "Pin",
    "IMAGE_PIN": "Pin",
    "VIDEO_PIN": "Video Pin",
    "LINK": "Link",
    "PHOTO": "Photo",
}

PLATFORM_LABELS: dict[str, str] = {"instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest"}
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

NOT_AVAILABLE_YET = "not available yet"


class InsightsSource(Protocol):
    """The part of `InsightsStore` the aggregations read (lets tests and the CLI pass the real store)."""

    def posts(self, platform: str | None = None) -> list[PostRef]: ...
    def latest(self, post_id: str, platform: str) -> dict[str, float | None]: ...
    def metrics(self, post_id: str, platform: str) -> list[str]: ...
    def series(self, post_id: str, platform: str, metric: str) -> list[tuple[datetime | date, float]]: ...
    def orders(self, start: date | datetime, end: date | datetime) -> list[Order]: ...
    def daily(
        self, metric: str, start: date, end: date, *, derive: bool = False
    ) -> list[tuple[str, str, date, float]]: ...


# --- small helpers ----------------------------------------------------------------------------


def format_label(media_type: str) -> str:
    """Human name of a platform media type ("REELS" -> "Reel")."""
    key = (media_type or "").upper()
    return FORMAT_LABELS.get(key, key.replace("_", " ").title() or "Other")


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform.title())


def check_range(start: date, end: date) -> None:
    if end < start:
        raise UsageError(
            f"the date range ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            hint="swap --from and --to",
        )


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The range of the same length that ends the day before `start` (for "compare to previous")."""
    check_range(start, end)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def _published_in(ref: PostRef, start: date, end: date) -> bool:
    return start <= ref.published_at.astimezone(UTC).date() <= end


def _sum_known(values: Iterable[float | None]) -> tuple[float | None, int]:
    known = [v for v in values if v is not None]
    return (float(sum(known)) if known else None), len(known)


# --- one post ---------------------------------------------------------------------------------


@dataclass(slots=True)
class PostMetrics:
    """The canonical metrics of one post; `missing` says why a None is None."""

    values: dict[str, float | None]
    missing: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # canonical -> stored name used


class MetricsMemo:
    """One aggregation pass's cache: each post's metrics computed once, daily values read in bulk.

    Why: a view load asks for the same posts' numbers many times (posts, products, platforms,
    totals, two heatmaps, the previous period). With a memo each post costs one `latest()` query,
    and each daily metric name (Pinterest's IMPRESSION, SAVE, …) one query for all posts, instead
    of one query per post × name.
    """

    def __init__(self, store: InsightsSource) -> None:
        self.store = store
        self.posts: dict[tuple[str, str], PostMetrics] = {}
        self._daily: dict[str, dict[tuple[str, str], float]] = {}

    def daily_sum(self, name: str, post_id: str, platform: str) -> float | None:
        sums = self._daily.get(name)
        if sums is None:
            sums = {}
            for p, pl, _day, value in self.store.daily(name, date.min, date.max):
                sums[(p, pl)] = sums.get((p, pl), 0.0) + value
            self._daily[name] = sums
        return sums.get((post_id, platform))


def _daily_sum_of(store: InsightsSource, ref: PostRef, name: str) -> float | None:
    points = [
        v for when, v in store.series(ref.post_id, ref.platform, name) if not isinstance(when, datetime)
    ]
    return float(sum(points)) if points else None


def post_metrics(store: InsightsSource, ref: PostRef, *, memo: MetricsMemo | None = None) -> PostMetrics:
    """Latest lifetime value of each canonical metric; a post with only daily values sums them.

    Pinterest analytics arrive as daily values (90-day look-back); a post that has them and no
    lifetime snapshot counts the sum of its stored days, which is its total as far as we measured.
    """
    key = (ref.post_id, ref.platform)
    if memo is not None and key in memo.posts:
        return memo.posts[key]
    latest = store.latest(ref.post_id, ref.platform)
    cache: dict[str, tuple[bool, float | None]] = {}

    def value_of(name: str) -> tuple[bool, float | None]:
        """(present, value) for one stored metric name; a lifetime snapshot wins over daily values."""
        if name not in cache:
            if name in latest:
                cache[name] = (True, latest[name])
            else:
                total = (
                    memo.daily_sum(name, ref.post_id, ref.platform)
                    if memo is not None
                    else _daily_sum_of(store, ref, name)
                )
                cache[name] = (total is not None, total)
        return cache[name]

    out = PostMetrics(values={})
    offered_not = NOT_OFFERED.get(ref.platform, frozenset()) | NOT_OFFERED.get(
        f"{ref.platform}:{ref.media_type.upper()}", frozenset()
    )
    for metric in METRICS:
        found = False
        for name in METRIC_SOURCES[metric]:
            present, value = value_of(name)
            if present:
                out.values[metric] = value
                out.sources[metric] = name
                if value is None:
                    out.missing[metric] = NOT_AVAILABLE_YET
                found = True
                break
        if not found and metric == "engagement" and ref.platform in ENGAGEMENT_PARTS:
            parts = [value_of(name) for name in ENGAGEMENT_PARTS[ref.platform]]
            if all(present and value is not None for present, value in parts):
                out.values[metric] = float(sum(v for _p, v in parts if v is not None))
                out.sources[metric] = "+".join(ENGAGEMENT_PARTS[ref.platform])
                found = True
        if not found:
            out.values[metric] = None
            if metric in NOT_OFFERED.get(ref.platform, frozenset()):
                out.missing[metric] = f"not offered by {platform_label(ref.platform)}"
            elif metric in offered_not:
                where = f"{platform_label(ref.platform)} {format_label(ref.media_type)}"
                out.missing[metric] = f"not offered for this format ({where})"
            else:
                out.missing[metric] = NOT_AVAILABLE_YET
    if memo is not None:
        memo.posts[key] = out
    return out


def engagement_rate(values: Mapping[str, float | None]) -> float | None:
    """engagement / reach (or / views where reach is not offered); None when either is unknown.

    The formula is shown next to the number in the GUI: rates are only comparable when everyone
    knows what was divided by what.
    """
    engagement = values.get("engagement")
    base = values.get("reach") or values.get("impressions")
    if engagement is None or not base:
        return None
    return engagement / base


# --- orders -----------------------------------------------------------------------------------


def _line_revenue(order: Order, product_id: str | None = None) -> Decimal:
    return sum(
        (ln.price * ln.quantity for ln in order.lines if product_id is None or ln.product_id == product_id),
        Decimal(0),
    )


def orders_summary(store: InsightsSource, start: date, end: date) -> dict[str, Any]:
    """How many orders in the range were attributed (and how), and what stayed unattributed.

    Revenue per currency (`{"EUR": Decimal}`): amounts in different currencies are never added.
    """
    check_range(start, end)
    orders = store.orders(start, end)
    by_how: dict[str, int] = {}
    attributed_revenue: dict[str, Decimal] = {}
    unattributed_revenue: dict[str, Decimal] = {}
    for o in orders:
        by_how[o.attribution] = by_how.get(o.attribution, 0) + 1
        bucket = unattributed_revenue if o.attribution == "none" else attributed_revenue
        bucket[o.currency] = bucket.get(o.currency, Decimal(0)) + o.total
    return {
        "orders": len(orders),
        "attributed": sum(n for how, n in by_how.items() if how != "none"),
        "unattributed": by_how.get("none", 0),
        "by_attribution": dict(sorted(by_how.items())),
        "attributed_revenue": attributed_revenue,
        "unattributed_revenue": unattributed_revenue,
    }


# --- reports ----------------------------------------------------------------------------------


def _post_rows(
    store: InsightsSource, start: date, end: date, orders: Sequence[Order], memo: MetricsMemo
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for ref in store.posts():
        if not _published_in(ref, start, end):
            continue
        pm = post_metrics(store, ref, memo=memo)
        mine = [
            o
            for o in orders
            if o.attribution != "none"
            and o.attributed_post_id == ref.post_id
            and o.attributed_platform in (None, ref.platform)
        ]
        currencies = sorted({o.currency for o in mine})
        row: dict[str, Any] = {
            "post_id": ref.post_id,
            "platform": ref.platform,
            "format": format_label(ref.media_type),
            "media_type": ref.media_type,
            "published_at": ref.published_at,
            "permalink": ref.permalink,
            "account": ref.account,
            "product_ids": list(ref.product_ids),
            **pm.values,
            "engagement_rate": engagement_rate(pm.values),
            "missing": dict(pm.missing),
            "orders": len(mine),
            "revenue": sum((o.total for o in mine), Decimal(0)) if len(currencies) <= 1 else None,
            "currency": currencies[0] if len(currencies) == 1 else ("mixed" if currencies else None),
        }
        rows.append(row)
    rows.sort(key=lambda r: (r["published_at"], r["post_id"], r["platform"]), reverse=True)
    return rows


def _product_rows(
    post_rows: Sequence[Mapping[str, Any]],
    orders: Sequence[Order],
    titles: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Reach/views of the posts that tagged each product; clicks only from single-product posts.

    A click on a post that tags three products is not a click on any one of them, so clicks count
    only where the post links one product (a Pin is one product link) — `clicks_posts` says how
    many posts that was.
    """
    tagged: dict[str, list[Mapping[str, Any]]] = {}
    for row in post_rows:
        for pid in dict.fromkeys(row["product_ids"]):
            tagged.setdefault(pid, []).append(row)
    sales: dict[tuple[str, str], dict[str, Any]] = {}
    for o in orders:
        if o.attribution == "none":
            continue
        for pid in {ln.product_id for ln in o.lines if ln.product_id}:
            assert pid is not None
            entry = sales.setdefault((pid, o.currency), {"orders": 0, "units": 0, "revenue": Decimal(0)})
            entry["orders"] += 1
            entry["units"] += sum(ln.quantity for ln in o.lines if ln.product_id == pid)
            entry["revenue"] += _line_revenue(o, pid)
    currencies_of: dict[str, list[str]] = {}
    for pid, cur in sorted(sales):
        currencies_of.setdefault(pid, []).append(cur)
    rows: list[dict[str, Any]] = []
    for pid in sorted(set(tagged) | set(currencies_of)):
        posts = tagged.get(pid, [])
        reach, reach_n = _sum_known(r["reach"] for r in posts)
        views, views_n = _sum_known(r["impressions"] for r in posts)
        engagement, engagement_n = _sum_known(r["engagement"] for r in posts)
        single = [r for r in posts if len(set(r["product_ids"])) == 1]
        clicks, clicks_n = _sum_known(r["clicks"] for r in single)
        base = {
            "product_id": pid,
            "title": titles.get(pid, pid),
            "posts": len(posts),
            "platforms": sorted({r["platform"] for r in posts}),
            "reach": reach,
            "reach_n": reach_n,
            "impressions": views,
            "impressions_n": views_n,
            "engagement": engagement,
            "engagement_n": engagement_n,
            "clicks": clicks,
            "clicks_posts": clicks_n,
        }
        currencies: list[str | None] = list(currencies_of.get(pid, [])) or [None]
        for currency in currencies:
            sale: dict[str, Any] | None = sales.get((pid, currency)) if currency else None
            rows.append(
                {
                    **base,
                    "orders": sale["orders"] if sale else 0,
                    "units": sale["units"] if sale else 0,
                    "revenue": sale["revenue"] if sale else Decimal(0),
                    "currency": currency,
                }
            )
    rows.sort(key=lambda r: (-(r["revenue"] or 0), -(r["reach"] or 0), r["product_id"]))
    return rows


def _platform_rows(post_rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in post_rows:
        groups.setdefault((row["platform"], row["format"]), []).append(row)
    out: list[dict[str, Any]] = []
    for (platform, fmt), rows in sorted(groups.items()):
        item: dict[str, Any] = {"platform": platform, "format": fmt, "posts": len(rows)}
        for metric in (*METRICS, "engagement_rate"):
            total, n = _sum_known(r[metric] for r in rows)
            if metric != "engagement_rate":
                item[metric] = total
            item[f"{metric}_mean"] = (total / n) if total is not None and n else None
            item[f"{metric}_n"] = n
        item["orders"] = sum(r["orders"] for r in rows)
        out.append(item)
    return out


def build_report(
    store: InsightsSource,
    start: date,
    end: date,
    by: str = "post",
    *,
    titles: Mapping[str, str] | None = None,
    memo: MetricsMemo | None = None,
) -> list[dict[str, Any]]:
    """Rows for the posts published in `start`..`end` (UTC, inclusive), grouped `by`.

    - "post": one row per (post, platform): platform, format, the five metrics (None = missing,
      with the reason in `missing`), engagement rate, attributed orders and revenue.
    - "product": one row per tagged or sold product (per currency): reach/views/engagement of the
      posts that tagged it, clicks from single-product posts, attributed orders, units, revenue.
    - "platform": one row per (platform, format): posts, sums, means over the posts that have a
      value, and how many had one (`<metric>_n`).
    """
    check_range(start, end)
    if by not in BY_CHOICES:
        raise UsageError(f"unknown grouping {by!r}", hint="use post, product or platform")
    orders = store.orders(start, end)
    posts = _post_rows(store, start, end, orders, memo or MetricsMemo(store))
    if by == "post":
        return posts
    if by == "product":
        return _product_rows(posts, orders, titles if titles is not None else {})
    return _platform_rows(posts)


def row_key(row: Mapping[str, Any], by: str) -> tuple[Any, ...]:
    if by == "post":
        return (row["post_id"], row["platform"])
    if by == "product":
        return (row["product_id"], row.get("currency"))
    return (row["platform"], row["format"])


KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "post": ("post_id", "platform", "format"),
    "product": ("product_id", "title", "currency"),
    "platform": ("platform", "format"),
}


def _numeric_fields(by: str) -> tuple[str, ...]:
    if by == "product":
        return ("posts", "reach", "impressions", "engagement", "clicks", "orders", "units", "revenue")
    if by == "platform":
        return ("posts", *METRICS, *(f"{m}_mean" for m in METRICS), "engagement_rate_mean", "orders")
    return (*METRICS, "engagement_rate", "orders", "revenue")


def delta(a: Any, b: Any) -> tuple[Any, float | None]:
    """(a - b, relative change) — None wherever either side is unknown; change None when b is 0."""
    if a is None or b is None:
        return None, None
    diff = a - b
    change = float(diff) / float(b) if b else None
    return diff, change


def compare(
    store: InsightsSource,
    range_a: tuple[date, date],
    range_b: tuple[date, date],
    by: str = "platform",
    *,
    titles: Mapping[str, str] | None = None,
    memo: MetricsMemo | None = None,
) -> list[dict[str, Any]]:
    """Rows of range A matched to range B by key, with `a`, `b`, `delta` and `change` per number.

    A key present in one range only still gets a row (the other side None), so nothing new or
    gone disappears from a comparison. `change` is relative (0.25 = +25 %), None when B is 0/None.
    """
    memo = memo or MetricsMemo(store)
    rows_a = build_report(store, *range_a, by, titles=titles, memo=memo)
    rows_b = build_report(store, *range_b, by, titles=titles, memo=memo)
    index_a = {row_key(r, by): r for r in rows_a}
    index_b = {row_key(r, by): r for r in rows_b}
    out: list[dict[str, Any]] = []
    for key in list(dict.fromkeys([*index_a, *index_b])):
        ra, rb = index_a.get(key), index_b.get(key)
        ref = ra or rb
        assert ref is not None
        item: dict[str, Any] = {name: ref.get(name) for name in KEY_FIELDS[by]}
        item["a"], item["b"], item["delta"], item["change"] = {}, {}, {}, {}
        for name in _numeric_fields(by):
            va = ra.get(name) if ra else None
            vb = rb.get(name) if rb else None
            item["a"][name], item["b"][name] = va, vb
            item["delta"][name], item["change"][name] = delta(va, vb)
        out.append(item)
    return out


def totals(
    store: InsightsSource, start: date, end: date, *, memo: MetricsMemo | None = None
) -> dict[str, Any]:
    """Headline numbers for the cards: posts, the five metrics (sum over known), orders, revenue."""
    posts = build_report(store, start, end, "post", memo=memo)
    out: dict[str, Any] = {"posts": len(posts)}
    for metric in METRICS:
        out[metric], out[f"{metric}_n"] = _sum_known(r[metric] for r in posts)
    summary = orders_summary(store, start, end)
    out["orders"] = summary["attributed"]
    out["unattributed_orders"] = summary["unattributed"]
    out["revenue"] = summary["attributed_revenue"]  # {currency: Decimal}
    return out


def daily_totals(store: InsightsSource, metric: str, start: date, end: date) -> dict[str, dict[date, float]]:
    """Per platform, the day-by-day total of a canonical metric over *all* posts (activity in the range).

    Each (post, platform) counts under the first stored name that carries the metric, so a post
    that has both `views` and legacy `impressions` is not counted twice. Instagram/Facebook days
    are derived from lifetime snapshots (the store's `derive=True`): an approximation, and the
    chart says so.
    """
    check_range(start, end)
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}", hint=f"use one of {', '.join(METRICS)}")
    covered: set[tuple[str, str]] = set()
    out: dict[str, dict[date, float]] = {}
    for name in METRIC_SOURCES[metric]:
        rows = store.daily(name, start, end, derive=True)
        fresh = {(p, pl) for p, pl, _d, _v in rows} - covered
        for post_id, platform, day, value in rows:
            if (post_id, platform) in fresh:
                per_day = out.setdefault(platform, {})
                per_day[day] = per_day.get(day, 0.0) + value
        covered |= fresh
    return {platform: dict(sorted(days.items())) for platform, days in sorted(out.items())}


# --- heatmap ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Heatmap:
    """Mean `metric` per post by publishing weekday (rows, Monday first) × hour (columns).

    `values[d][h]` is None where no post with a known value was published; `counts[d][h]` is the
    number of posts behind each mean, so a cell of one lucky post can be told from a habit.
    """

    metric: str
    tz_name: str
    values: list[list[float | None]]
    counts: list[list[int]]

    @property
    def total_posts(self) -> int:
        return sum(sum(row) for row in self.counts)


def local_tz() -> tzinfo:
    """This computer's current time zone (the heatmap's default)."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def heatmap(
    store: InsightsSource,
    start: date,
    end: date,
    metric: str = "engagement",
    *,
    tz: tzinfo | None = None,
    platform: str | None = None,
    memo: MetricsMemo | None = None,
) -> Heatmap:
    """Weekday × hour of publishing (in `tz`, default local) → mean `metric` per post."""
    check_range(start, end)
    if metric not in (*METRICS, "engagement_rate"):
        raise UsageError(f"unknown metric {metric!r}", hint=f"use one of {', '.join(METRICS)}")
    zone = tz or local_tz()
    sums = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    for ref in store.posts(platform):
        if not _published_in(ref, start, end):
            continue
        values = post_metrics(store, ref, memo=memo).values
        value = engagement_rate(values) if metric == "engagement_rate" else values[metric]
        if value is None:
            continue
        when = ref.published_at.astimezone(zone)
        sums[when.weekday()][when.hour] += value
        counts[when.weekday()][when.hour] += 1
    means: list[list[float | None]] = [
        [sums[d][h] / counts[d][h] if counts[d][h] else None for h in range(24)] for d in range(7)
    ]
    name = getattr(zone, "key", None) or zone.tzname(datetime.now(zone)) or str(zone)
    return Heatmap(metric=metric, tz_name=str(name), values=means, counts=counts)


def best_time(hm: Heatmap, *, min_posts: int = 1) -> tuple[int, int] | None:
    """(weekday 0=Mon, hour) of the best mean; cells with fewer than `min_posts` posts are skipped.

    Ties go to the cell with more posts (more evidence), then to the earlier slot. None when no
    cell qualifies — the GUI then says "not enough posts yet" instead of inventing a time.
    """
    best: tuple[float, int, int, int] | None = None
    for d in range(7):
        for h in range(24):
            value, n = hm.values[d][h], hm.counts[d][h]
            if value is None or n < min_posts:
                continue
            score = (value, n, -d, -h)
            if best is None or score > best:
                best = score
    return None if best is None else (-best[2], -best[3])


def suggest_best_time(hm: Heatmap) -> tuple[int, int] | None:
    """`best_time` asking for a habit, not a lucky post: ≥ 2 posts per cell once there are 20+ posts."""
    if hm.total_posts >= 20:
        slot = best_time(hm, min_posts=2)
        if slot is not None:
            return slot
    return best_time(hm)


def describe_slot(slot: tuple[int, int] | None) -> str:
    if slot is None:
        return "not enough posts yet"
    d, h = slot
    return f"{WEEKDAYS[d]} {h:02d}:00–{(h + 1) % 24:02d}:00"


# --- CSV --------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """CSV text; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


SERIES_COLUMNS = ("post_id", "platform", "format", "published_at", "metric", "kind", "when", "value")


def series_csv(
    store: InsightsSource,
    path: Path,
    start: date,
    end: date,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Every stored point of every post in `start`..`end` (by point date, UTC) to CSV; returns rows.

    Raw platform metric names, one row per point: `kind` is "lifetime" (a snapshot taken at `when`)
    or "daily" (the value of day `when`). "Not available" points are not values and are left out;
    empty cells never mean 0. Written atomically: an interrupted export leaves no half file.
    """
    check_range(start, end)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SERIES_COLUMNS)
    refs = store.posts()
    count = 0
    for i, ref in enumerate(refs):
        if progress:
            progress(i, len(refs), f"{ref.post_id} ({ref.platform})")
        for metric in store.metrics(ref.post_id, ref.platform):
            for when, value in store.series(ref.post_id, ref.platform, metric):
                is_lifetime = isinstance(when, datetime)
                day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
                if not start <= day <= end:
                    continue
                writer.writerow(
                    [
                        _cell(ref.post_id),
                        ref.platform,
                        _cell(format_label(ref.media_type)),
                        _cell(ref.published_at),
                        _cell(metric),
                        "lifetime" if is_lifetime else "daily",
                        _cell(when),
                        _cell(value),
                    ]
                )
                count += 1
    if progress:
        progress(len(refs), len(refs), "writing")
    write_export(Path(path), buf.getvalue())
    return count


def write_export(path: Path, text: str) -> None:
    """Write an export atomically (same-folder temp + rename) with the user's normal permissions.

    Not `atomic_write_text`: that one keeps `.bak` copies and makes 0600 files (right for the
    workspace's own files, wrong for a CSV the user hands to a colleague). OSErrors become a
    StudioError naming the file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StudioError(
            f"cannot write the file ({exc.strerror or exc})",
            where=Where(file=str(path)),
            hint="choose another folder, or check its permissions and free disk space",
        ) from None


def rows_csv(rows: Sequence[Mapping[str, Any]], path: Path) -> int:
    """A `build_report` result to CSV (nested `missing` dicts are flattened to "metric: reason")."""
    columns: list[str] = []
    for row in rows:
        for name in row:
            if name not in columns:
                columns.append(name)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        out: list[str] = []
        for name in columns:
            value = row.get(name)
            if isinstance(value, Mapping):
                value = "; ".join(f"{k}: {v}" for k, v in value.items())
            out.append(_cell(value))
        writer.writerow(out)
    write_export(Path(path), buf.getvalue())
    return len(rows)
