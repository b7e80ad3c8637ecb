"""`studio.jobs.insights.pull` over real HTTP against the fake Graph and Pinterest insights endpoints.

Covers: per-media-type metric sets with the metric-by-metric fallback (and learning it once per
pull), Stories "not enough viewers" → "not available" (never 0), Facebook lifetime rows, Pinterest's
90-day window, a failing post or an expired login not stopping the rest, and that no deprecated
metric name is ever sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from studio.core.insights_store import InsightsStore, PostRef
from studio.jobs.insights import due_for_refresh, pull, story_warnings
from studio.publish.http import RateLimiter, make_session
from studio.publish.insights import DEPRECATED, IG_METRICS
from tests.fakes import graph_insights, pinterest_insights
from tests.integration.insights_helpers import Published, make_registry, make_workspace, seed_history

NOW = datetime.now(UTC).replace(microsecond=0)


def fast_session(account: Any) -> Any:
    """Real sessions, without the production pacing (2 calls/s) so the test stays quick."""
    return make_session(
        account.platform, sandbox=account.sandbox, account=account.name, limiter=RateLimiter(1000.0, 1000)
    )


@pytest.fixture
def env(
    fake_graph: Any, fake_pinterest: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Any]:
    for fake in (fake_graph, fake_pinterest):
        for key, value in fake.env.items():
            monkeypatch.setenv(key, value)
    fake_graph.insights.now = NOW
    fake_pinterest.pin_insights.now = NOW

    class Env:
        graph = fake_graph
        pinterest = fake_pinterest
        root = make_workspace(tmp_path / "ws")
        registry = make_registry(fake_graph, fake_pinterest, tmp_path / "app")

        def run(self, **kwargs: Any) -> Any:
            return pull(self.root, registry=self.registry, session_factory=fast_session, now=NOW, **kwargs)

    yield Env()


def ig(
    env: Any, post_id: str, kind: str, target: str, age: timedelta, products: list[str] | None = None
) -> Published:
    mid = env.graph.add_media("instagram", kind, NOW - age)
    return Published(post_id, "instagram", target, mid, NOW - age, products or [])


def insight_requests(fake: Any, remote_id: str) -> list[Any]:
    return [r for r in fake.requests if r.path.rstrip("/").endswith(f"{remote_id}/insights")]


def test_pull_every_type_falls_back_and_never_sends_deprecated_metrics(env: Any) -> None:
    feed = ig(env, "p_feed", "IMAGE", "instagram.feed_image", timedelta(days=3), ["prod-1"])
    car1 = ig(env, "p_car1", "CAROUSEL", "instagram.carousel", timedelta(days=2))
    car2 = ig(env, "p_car2", "CAROUSEL", "instagram.carousel", timedelta(days=1, hours=2))
    reel = ig(env, "p_reel", "REELS", "instagram.reel", timedelta(days=1))
    fb_id = env.graph.add_media("facebook", "photo", NOW - timedelta(days=2))
    fb = Published("p_feed", "facebook", "facebook.photo", fb_id, NOW - timedelta(days=2))
    seed_history(env.root, [feed, car1, car2, reel, fb])

    report = env.run()

    assert report.failed == 0, [p.error for p in report.posts]
    assert report.ok == 5
    store = InsightsStore.open(env.root)
    try:
        # feed: one call, values exactly what the platform said
        assert len(insight_requests(env.graph, feed.remote_id)) == 1
        latest = store.latest("p_feed", "instagram")
        assert latest["views"] == graph_insights.lifetime_value(feed.remote_id, "views", feed.at, NOW)
        assert set(IG_METRICS["FEED"]) <= set(latest)
        # the newest carousel is pulled first: the whole call fails (#100), then one call per metric
        first = insight_requests(env.graph, car2.remote_id)
        assert len(first) == 1 + len(IG_METRICS["CAROUSEL_ALBUM"])
        car_latest = store.latest("p_car2", "instagram")
        assert car_latest["profile_visits"] is None and car_latest["follows"] is None
        assert car_latest["reach"] == graph_insights.lifetime_value(car2.remote_id, "reach", car2.at, NOW)
        assert "not supported" in store.unavailable("p_car2", "instagram")["profile_visits"]
        # the older carousel: learned in this pull → one call without the refused metrics
        assert "not supported" in store.unavailable("p_car1", "instagram")["profile_visits"]
        second = insight_requests(env.graph, car1.remote_id)
        assert len(second) == 1
        assert "profile_visits" not in second[0].query["metric"]
        # reel: its own set (watch time etc.), no follows/profile_visits requested
        reel_q = insight_requests(env.graph, reel.remote_id)[0].query["metric"].split(",")
        assert "ig_reels_avg_watch_time" in reel_q and "follows" not in reel_q
        # facebook: lifetime row wins over the stale day row; dicts flattened
        fb_latest = store.latest("p_feed", "facebook")
        assert fb_latest["post_total_media_view_unique"] == graph_insights.lifetime_value(
            fb_id, "post_total_media_view_unique", fb.at, NOW
        )
        assert fb_latest["post_clicks_by_type.link_clicks"] is not None
        assert "post_video_views" not in fb_latest  # video metrics only for video posts
        posts = {(p.post_id, p.platform): p for p in store.posts()}
        assert posts[("p_feed", "instagram")].media_type == "IMAGE"
        assert posts[("p_feed", "instagram")].product_ids == ["prod-1"]
        assert posts[("p_car1", "instagram")].media_type == "CAROUSEL_ALBUM"
    finally:
        store.close()
    # no deprecated name in any request, on any platform
    sent = [
        (r.path, m)
        for r in env.graph.requests
        if r.path.endswith("/insights")
        for m in str(r.query.get("metric", "")).split(",")
    ]
    assert sent
    banned = DEPRECATED["instagram"] | DEPRECATED["facebook"]
    assert not [s for s in sent if s[1] in banned]


def test_story_not_enough_viewers_is_not_available_never_zero(env: Any) -> None:
    story = ig(env, "p_story", "STORIES", "instagram.story", timedelta(hours=3))
    busy = ig(env, "p_story2", "STORIES", "instagram.story", timedelta(hours=5))
    env.graph.insights.story_viewers[story.remote_id] = 3
    env.graph.insights.story_viewers[busy.remote_id] = 40
    seed_history(env.root, [story, busy])

    report = env.run()

    assert report.ok == 2
    with InsightsStore.open(env.root) as store:
        latest = store.latest("p_story", "instagram")
        assert latest and all(v is None for v in latest.values())
        assert "not enough viewers" in store.unavailable("p_story", "instagram")["reach"]
        assert store.series("p_story", "instagram", "reach") == []  # nothing plotted as 0
        assert store.latest("p_story2", "instagram")["reach"] == 40
        # stories come first in the refresh schedule while their window is open
        due = due_for_refresh(store, NOW + timedelta(hours=4))
        assert [r.post_id for r in due[:2]] == ["p_story2", "p_story"]  # p_story2 closes first


def test_expired_story_never_pulled_is_warned(env: Any) -> None:
    story = ig(env, "p_old_story", "STORIES", "instagram.story", timedelta(hours=30))
    seed_history(env.root, [story])
    with InsightsStore.open(env.root) as store:
        store.upsert_post(
            PostRef("p_old_story", "instagram", story.remote_id, "STORY", story.at, "", [], "Shop IG")
        )
        warnings = story_warnings(store, NOW)
    assert any("p_old_story" in w and "lost" in w for w in warnings)
    report = env.run()
    assert any("24 h" in w or "lost" in w for w in report.warnings)
    # a story about to close before the next timer tick is warned too
    with InsightsStore.open(env.root) as store:
        fresh = PostRef(
            "p_new_story", "instagram", "1", "STORY", NOW - timedelta(hours=23, minutes=30), "", [], ""
        )
        store.upsert_post(fresh)
        assert any("p_new_story" in w for w in story_warnings(store, NOW, next_check=timedelta(hours=1)))


def test_pinterest_daily_and_lifetime_inside_the_90_day_window(env: Any) -> None:
    young_id = env.pinterest.add_pin(NOW - timedelta(days=10))
    old_id = env.pinterest.add_pin(NOW - timedelta(days=200))
    seed_history(
        env.root,
        [
            Published("p_pin", "pinterest", "pinterest.image_pin", young_id, NOW - timedelta(days=10)),
            Published("p_oldpin", "pinterest", "pinterest.image_pin", old_id, NOW - timedelta(days=200)),
        ],
    )

    report = env.run()

    assert report.failed == 0, [p.error for p in report.posts]
    calls = env.pinterest.requests_to("GET", r"/analytics$")
    assert len(calls) == 2
    today = NOW.date()
    for call in calls:
        start = date.fromisoformat(call.query["start_date"])
        assert (today - start).days <= 89 and call.query["end_date"] == today.isoformat()
    with InsightsStore.open(env.root) as store:
        series = store.series("p_pin", "pinterest", "IMPRESSION")
        days = [d for d, _ in series]
        # READY days and yesterday's ESTIMATE; not today (PROCESSING), not before the pin existed
        assert days[0] == (NOW - timedelta(days=10)).date() and days[-1] == today - timedelta(days=1)
        assert series[0][1] == pinterest_insights.daily_value(young_id, "IMPRESSION", days[0])
        latest = store.latest("p_pin", "pinterest")
        assert latest["IMPRESSION"] == sum(v for _, v in series)  # window covers the pin's whole life
        assert latest["TOTAL_COMMENTS"] is not None
        old = store.latest("p_oldpin", "pinterest")
        assert old["IMPRESSION"] is None  # lifetime unknown beyond 90 days: not available, not a partial sum
        assert "90-day" in store.unavailable("p_oldpin", "pinterest")["IMPRESSION"]
        assert len(store.series("p_oldpin", "pinterest", "IMPRESSION")) == 89
        assert store.daily("IMPRESSION", today - timedelta(days=5), today)


def test_fake_refuses_a_window_older_than_90_days(env: Any) -> None:
    pin_id = env.pinterest.add_pin(NOW - timedelta(days=200))
    start = (NOW - timedelta(days=120)).date()
    resp = requests.get(
        f"{env.pinterest.url}/v5/pins/{pin_id}/analytics",
        params={
            "start_date": start.isoformat(),
            "end_date": NOW.date().isoformat(),
            "metric_types": "IMPRESSION",
        },
        headers={"Authorization": f"Bearer {env.pinterest.access_token}"},
        timeout=5,
    )
    assert resp.status_code == 400
    assert "90 days" in resp.json()["message"]


def test_one_failing_post_or_expired_login_does_not_stop_the_others(env: Any) -> None:
    a = ig(env, "p_a", "IMAGE", "instagram.feed_image", timedelta(days=1))
    b = ig(env, "p_b", "IMAGE", "instagram.feed_image", timedelta(days=2))
    pin_ok = env.pinterest.add_pin(NOW - timedelta(days=3))
    pin_gone = env.pinterest.add_pin(NOW - timedelta(days=4))
    env.graph.insights.broken[a.remote_id] = (400, 100, "(#100) Object with ID does not exist")
    env.pinterest.pin_insights.broken[pin_gone] = (404, 404, "Pin not found.")
    seed_history(
        env.root,
        [
            a,
            b,
            Published("p_pin_ok", "pinterest", "pinterest.image_pin", pin_ok, NOW - timedelta(days=3)),
            Published("p_pin_gone", "pinterest", "pinterest.image_pin", pin_gone, NOW - timedelta(days=4)),
        ],
    )

    report = env.run()

    by_id = {p.post_id: p for p in report.posts}
    assert not by_id["p_a"].ok and "does not exist" in (by_id["p_a"].error or "")
    assert by_id["p_b"].ok and by_id["p_pin_ok"].ok
    assert not by_id["p_pin_gone"].ok
    with InsightsStore.open(env.root) as store:
        assert store.latest("p_b", "instagram")["views"] is not None
        assert store.latest("p_a", "instagram") == {}
        assert store.last_pull("p_a", "instagram") is None
        assert store.last_pull("p_a", "instagram", ok_only=False) == NOW

    # an expired login: the first IG post says "reconnect", the rest of that account is skipped
    env.graph.insights.broken.clear()
    env.graph.expire_token(env.graph.user_token)
    env.graph.clear_log()
    again = env.run()
    ig_posts = [p for p in again.posts if p.platform == "instagram"]
    assert all(not p.ok for p in ig_posts)
    assert sum(p.requests for p in ig_posts) == 1
    assert any(p.error_kind == "ReconnectNeeded" for p in ig_posts)
    assert {p.post_id: p.ok for p in again.posts if p.platform == "pinterest"} == {
        "p_pin_ok": True,
        "p_pin_gone": False,
    }
    assert env.graph.user_token not in str(again.to_dict())


def test_post_and_since_filters(env: Any) -> None:
    a = ig(env, "p_a", "IMAGE", "instagram.feed_image", timedelta(days=1))
    b = ig(env, "p_b", "IMAGE", "instagram.feed_image", timedelta(days=20))
    seed_history(env.root, [a, b])
    assert [p.post_id for p in env.run(post_id="p_b").posts] == ["p_b"]
    assert [p.post_id for p in env.run(since=(NOW - timedelta(days=5)).date()).posts] == ["p_a"]
    from studio.core.errors import UsageError

    with pytest.raises(UsageError):
        env.run(post_id="nope")


def test_facebook_video_metrics_and_scheduled_posts_are_skipped(env: Any) -> None:
    vid = env.graph.add_media("facebook", "video", NOW - timedelta(days=1))
    seed_history(env.root, [Published("p_vid", "facebook", "facebook.video", vid, NOW - timedelta(days=1))])
    with InsightsStore.open(env.root) as store:  # a natively scheduled post, not live yet
        store.upsert_post(
            PostRef("p_later", "facebook", "1_2", "IMAGE", NOW + timedelta(days=2), "", [], "Shop Page")
        )
    report = env.run()
    assert [p.post_id for p in report.posts] == ["p_vid"]
    assert any("p_later" in w and "not live yet" in w for w in report.warnings)
    with InsightsStore.open(env.root) as store:
        latest = store.latest("p_vid", "facebook")
        assert latest["post_video_views"] == graph_insights.lifetime_value(
            vid, "post_video_views", NOW - timedelta(days=1), NOW
        )
        assert store.posts("facebook")[-1].media_type == "VIDEO"


def test_story_that_cannot_be_pulled_warns_before_its_window_closes(env: Any) -> None:
    story = ig(env, "p_story", "STORIES", "instagram.story", timedelta(hours=22))
    env.graph.insights.broken[story.remote_id] = (500, 1, "An unknown error has occurred.")
    seed_history(env.root, [story])
    report = env.run()
    assert not report.posts[0].ok
    assert any("p_story" in w and "window closes" in w for w in report.warnings)


def test_refresh_due_pulls_only_what_the_schedule_says(env: Any) -> None:
    from studio.jobs.insights import refresh_due

    young = ig(env, "p_young", "IMAGE", "instagram.feed_image", timedelta(days=1))
    old = ig(env, "p_old", "IMAGE", "instagram.feed_image", timedelta(days=200))
    seed_history(env.root, [young, old])
    first = env.run()
    assert first.ok == 2
    env.graph.clear_log()
    kwargs: dict[str, Any] = {"registry": env.registry, "session_factory": fast_session}
    quiet = refresh_due(env.root, now=NOW + timedelta(hours=1), **kwargs)
    assert quiet.posts == [] and env.graph.requests == []
    later = refresh_due(env.root, now=NOW + timedelta(hours=7), **kwargs)
    assert [p.post_id for p in later.posts] == ["p_young"]  # 200 days old: on demand only


def test_pull_after_a_real_publish_reads_the_recorded_remote_ids(fake_platforms: Any, tmp_path: Path) -> None:
    """Publish through the real outbox path, then pull: the history → remote id mapping is the real one."""
    from studio.jobs.demo import ensure_demo_workspace
    from studio.jobs.publish import default_clients_factory, enqueue_post, run_outbox
    from tests.integration.test_publish_e2e import accounts_of, add_posts, host_settings
    from tests.integration.test_publish_e2e import make_registry as e2e_registry

    fp = fake_platforms
    demo = ensure_demo_workspace(target=tmp_path / "demo")
    reg = e2e_registry(fp, tmp_path / "app")
    single_id, _ = add_posts(demo)
    jobs = enqueue_post(demo, single_id, ["instagram", "facebook"], accounts=accounts_of(reg))
    factory = default_clients_factory(reg, media_host=host_settings(fp))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    assert sorted(summary.published) == sorted(jobs)

    report = pull(demo, registry=reg, session_factory=fast_session)

    assert report.ok == 2 and report.failed == 0
    [ig_pub] = fp.graph.published_on("instagram")
    [fb_pub] = fp.graph.published_on("facebook")
    with InsightsStore.open(demo) as store:
        refs = {r.platform: r for r in store.posts()}
        assert refs["instagram"].remote_id == ig_pub.id and refs["facebook"].remote_id == fb_pub.id
        assert refs["instagram"].media_type == "IMAGE"
        assert sorted(refs["instagram"].product_ids) == sorted(
            str(t["product_id"]) for t in ig_pub.product_tags
        )
        assert store.latest(single_id, "instagram")["views"] is not None
        assert store.latest(single_id, "facebook")["post_media_view"] is not None
