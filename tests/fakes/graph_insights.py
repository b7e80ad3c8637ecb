"""Fake Graph insights: `GET /{ig-media-id}/insights` and `GET /{page-post-id}/insights`.

Rules from ../shared/platforms/insights.md:
- Instagram (§1.2, §1.5): the metric set depends on the media product type; ONE metric the type does
  not support fails the whole call with `(#100) The Media Insights API does not support the <metric>
  metric for this media product type.`; a deprecated/unknown name fails with #100 too (§1.3 — the
  exact wording for removed names is the fake's choice: "metric[i] must be one of the following
  values"). Story metrics exist for 24 h only (afterwards: an empty data set, §1.2 "missing data →
  empty data set"); a Story with fewer than 5 viewers answers error code 10 "(#10) Not enough viewers
  for the media to show insights". Carousel children have no insights (#100).
- Facebook (§2.3, §2.4): only the current post metrics answer; removed ones (`post_impressions*`,
  `post_reach`, `post_engaged_users`, …) fail the whole call with `(#100) … must be a valid insights
  metric`. `post_total_media_view_unique` answers a `lifetime` AND a stale `day` row (§2.4 quirk).
  Page token of the post's Page required (else #200, as the Page write routes do).

Fake's own choices: which metrics a *carousel* supports is UNCONFIRMED in the research; the fake takes
the strict reading (no `profile_visits`, `follows`, `profile_activity` on CAROUSEL_ALBUM), which is
what makes the clients' metric-by-metric fallback necessary. Values are deterministic per
(media id, metric, UTC day) — `daily_value()` — and lifetime values are the sum of the daily ones
since publication, so repeated pulls grow monotonically day by day.

State on the fake: `fake.insights` (`GraphInsightsState`): `story_viewers[id] = n` (force a Story's
reach), `broken[id] = (status, code, message)` (that object's insights always fail),
`supported[type]` (per media product type, editable), `add_media(...)` to create a published object
without going through publishing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .graph import Published, graph_error
from .server import Request, Response

V = r"^/(?:v\d+\.\d+/)?"

IG_COMMON = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
IG_SUPPORTED: dict[str, frozenset[str]] = {
    "FEED": frozenset((*IG_COMMON, "profile_visits", "follows", "profile_activity", "reposts")),
    "CAROUSEL_ALBUM": frozenset((*IG_COMMON, "reposts")),
    "REELS": frozenset(
        (
            *IG_COMMON,
            "ig_reels_avg_watch_time",
            "ig_reels_video_view_total_time",
            "reels_skip_rate",
            "reposts",
            "crossposted_views",
            "facebook_views",
        )
    ),
    "STORY": frozenset(
        (
            "views",
            "reach",
            "replies",
            "shares",
            "follows",
            "profile_visits",
            "profile_activity",
            "navigation",
            "total_interactions",
        )
    ),
}
#: every current IG media metric name (SDK v25 enum, §1.4); others are unknown/deprecated → #100
IG_KNOWN = frozenset(
    [
        "comments",
        "content_views",
        "crossposted_views",
        "facebook_views",
        "follows",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "likes",
        "link_clicks",
        "navigation",
        "profile_activity",
        "profile_visits",
        "reach",
        "reels_skip_rate",
        "replies",
        "reposts",
        "saved",
        "shares",
        "total_comments",
        "total_interactions",
        "total_likes",
        "total_views",
        "views",
    ]
)
IG_DEPRECATED = frozenset(
    [
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
    ]
)
FB_POST_METRICS = frozenset(
    [
        "post_media_view",
        "post_total_media_view_unique",
        "post_clicks",
        "post_clicks_by_type",
        "post_reactions_by_type_total",
        "post_activity_by_action_type",
        "post_activity_by_action_type_unique",
        "post_video_views",
        "post_video_views_unique",
        "post_video_views_organic",
        "post_video_views_paid",
        "post_video_view_time",
        "post_video_avg_time_watched",
    ]
)
FB_VIDEO_ONLY = frozenset(m for m in FB_POST_METRICS if m.startswith("post_video_"))
FB_DEPRECATED = frozenset(
    [
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
    ]
)

# typical daily magnitude per metric (the generated value is 0..2× this, deterministic)
_SCALE = {
    "views": 120,
    "reach": 80,
    "likes": 12,
    "comments": 2,
    "shares": 2,
    "saved": 3,
    "total_interactions": 18,
    "profile_visits": 4,
    "follows": 1,
    "profile_activity": 3,
    "reposts": 1,
    "replies": 1,
    "navigation": 30,
    "ig_reels_avg_watch_time": 4000,
    "ig_reels_video_view_total_time": 90000,
    "reels_skip_rate": 30,
    "crossposted_views": 10,
    "facebook_views": 10,
    "post_media_view": 150,
    "post_total_media_view_unique": 90,
    "post_clicks": 10,
}


def daily_value(key: str, metric: str, day: date) -> int:
    """Deterministic value of `metric` for object `key` on `day` (same inputs → same number)."""
    digest = hashlib.blake2b(f"{key}|{metric}|{day.isoformat()}".encode(), digest_size=4).digest()
    scale = _SCALE.get(metric, 5)
    return int.from_bytes(digest, "big") % (2 * scale + 1)


def lifetime_value(key: str, metric: str, published: datetime, now: datetime) -> int:
    start, end = published.astimezone(UTC).date(), now.astimezone(UTC).date()
    days = max(0, (end - start).days) + 1
    return sum(daily_value(key, metric, start + timedelta(days=i)) for i in range(min(days, 800)))


@dataclass
class GraphInsightsState:
    supported: dict[str, frozenset[str]] = field(default_factory=lambda: dict(IG_SUPPORTED))
    story_viewers: dict[str, int] = field(default_factory=dict)
    broken: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    now: datetime | None = None  # frozen "now" for tests; None = the real clock

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


def product_type(pub: Published) -> str:
    """The fake's media product type for a published IG object (CAROUSEL_ALBUM kept apart from FEED)."""
    kind = pub.kind.upper()
    if kind in ("STORIES", "STORY"):
        return "STORY"
    if kind in ("REELS", "VIDEO"):
        return "REELS"
    if kind in ("CAROUSEL", "CAROUSEL_ALBUM"):
        return "CAROUSEL_ALBUM"
    return "FEED"


def add_media(fake: Any, platform: str, kind: str, published_at: datetime | None = None) -> str:
    """A published IG media (kind IMAGE/CAROUSEL/REELS/STORIES) or FB post (photo/feed/video/reel),
    without going through the publishing routes; returns its id."""
    ts = (published_at or datetime.now(UTC)).timestamp()
    with fake.lock:
        n = next(fake._ids)
        if platform == "instagram":
            oid, account = str(n), fake.ig_user_id
            link = f"https://www.instagram.com/p/fake{n}/"
        else:
            oid, account = f"{fake.page_id}_{n}", fake.page_id
            link = f"https://www.facebook.com/{fake.page_id}/posts/{n}"
        fake.published.append(Published(platform, kind, oid, account, permalink=link, timestamp=ts))
    return oid


def install(fake: Any) -> None:
    state = GraphInsightsState()
    fake.insights = state
    fake.add_media = lambda platform, kind, published_at=None: add_media(fake, platform, kind, published_at)

    def find(oid: str) -> Published | None:
        for pub in fake.published:
            if pub.id == oid and pub.scheduled_publish_time is None:
                return pub
        return None

    def insights(req: Request, m: re.Match[str]) -> Response:
        oid = m["id"]
        token = fake._auth(req)
        raw = str(req.params.get("metric") or "").strip()
        if not raw:
            raise graph_error(100, "(#100) No metric was specified to be fetched", 1504028)
        metrics = [x.strip() for x in raw.split(",") if x.strip()]
        if oid in state.broken:
            status, code, message = state.broken[oid]
            raise graph_error(code, message, status=status)
        pub = find(oid)
        if pub is None:
            for c in fake.containers.values():
                if (c.media_id == oid or c.id == oid) and c.is_carousel_item:
                    raise graph_error(100, "(#100) Insights are not available for carousel children")
            raise graph_error(
                100,
                f"Unsupported get request. Object with ID '{oid}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation",
                33,
            )
        now = state.clock()
        published = datetime.fromtimestamp(pub.timestamp, UTC)
        if pub.platform == "instagram":
            return _ig(state, pub, metrics, published, now)
        if token.kind != "page" or token.page_id != pub.account_id:
            raise graph_error(
                200,
                "(#200) Requires read_insights and pages_read_engagement on the Page (Page token)",
                status=403,
            )
        return _fb(pub, metrics, published, now)

    fake.route("GET", V + r"(?P<id>\d+(?:_\d+)?)/insights$", insights)


def _row(oid: str, name: str, value: Any, period: str = "lifetime") -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        "values": [{"value": value}],
        "title": name.replace("_", " ").title(),
        "description": f"fake {name}",
        "id": f"{oid}/insights/{name}/{period}",
    }


def _ig(
    state: GraphInsightsState, pub: Published, metrics: list[str], published: datetime, now: datetime
) -> Response:
    ptype = product_type(pub)
    for i, name in enumerate(metrics):
        if name in IG_DEPRECATED or name not in IG_KNOWN:
            raise graph_error(
                100, f"(#100) metric[{i}] must be one of the following values: {', '.join(sorted(IG_KNOWN))}"
            )
    for name in metrics:
        if name not in state.supported.get(ptype, frozenset()):
            raise graph_error(
                100,
                f"(#100) The Media Insights API does not support the {name} metric for this media "
                "product type.",
            )
    if ptype == "STORY":
        if now - published > timedelta(hours=24):
            return Response(200, {"data": []})  # expired: empty data set, not zeros
        reach = state.story_viewers.get(pub.id, lifetime_value(pub.id, "reach", published, now))
        if reach < 5:
            raise graph_error(
                10, "(#10) Not enough viewers for the media to show insights", type_="OAuthException"
            )
    data = []
    for name in metrics:
        if ptype == "STORY" and name == "reach" and pub.id in state.story_viewers:
            value: Any = state.story_viewers[pub.id]
        else:
            value = lifetime_value(pub.id, name, published, now)
        if name == "reels_skip_rate":
            value = round(min(100.0, value / max(1, (now - published).days + 1)), 2)
        data.append(_row(pub.id, name, value))
    return Response(200, {"data": data})


def _fb(pub: Published, metrics: list[str], published: datetime, now: datetime) -> Response:
    for name in metrics:
        if name in FB_DEPRECATED or name not in FB_POST_METRICS:
            raise graph_error(100, f"(#100) The value must be a valid insights metric: {name}")
    video = pub.kind in ("video", "reel")
    data = []
    for name in metrics:
        if name in FB_VIDEO_ONLY and not video:
            continue  # not applicable: simply absent, as Graph leaves out what it has no data for
        lv = lifetime_value(pub.id, name, published, now)
        if name == "post_clicks_by_type":
            value: Any = {
                "link clicks": lifetime_value(pub.id, "link_clicks", published, now),
                "photo view": lifetime_value(pub.id, "photo_view", published, now),
                "other clicks": lifetime_value(pub.id, "other_clicks", published, now),
            }
        elif name == "post_reactions_by_type_total":
            value = {
                "like": lifetime_value(pub.id, "like", published, now),
                "love": lifetime_value(pub.id, "love", published, now),
            }
        elif name.startswith("post_activity_by_action_type"):
            value = {
                "share": lifetime_value(pub.id, "share", published, now),
                "like": lifetime_value(pub.id, "like", published, now),
                "comment": lifetime_value(pub.id, "comment", published, now),
            }
        else:
            value = lv
        data.append(_row(pub.id, name, value))
        if name == "post_total_media_view_unique":
            stale = _row(pub.id, name, 0, "day")
            stale["values"][0]["end_time"] = "2020-01-01T08:00:00+0000"
            data.append(stale)
    return Response(200, {"data": data, "paging": {}})
