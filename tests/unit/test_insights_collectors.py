"""Pure parts of the collectors: Graph row parsing (lifetime beats a stale day row), dict flattening,
the Pinterest window, the deprecated-name guard, the media-type mapping and the sandbox refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from studio.publish.http import ApiSession
from studio.publish.insights import (
    PINTEREST_LOOKBACK_DAYS,
    PinterestInsights,
    _flatten,
    _graph_rows,
    _guard,
    ig_metrics_for,
    ig_product_type,
    pinterest_window,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_graph_rows_prefers_lifetime_over_a_stale_day_row() -> None:
    doc = {
        "data": [
            {"name": "post_total_media_view_unique", "period": "day", "values": [{"value": 0}]},
            {"name": "post_total_media_view_unique", "period": "lifetime", "values": [{"value": 42}]},
            {"name": "reach", "period": "lifetime", "values": [{"value": 7}]},
            {"name": "profile_activity", "period": "lifetime", "total_value": {"value": 3}},
            {"name": "broken"},
        ]
    }
    assert _graph_rows(doc) == {"post_total_media_view_unique": 42, "reach": 7, "profile_activity": 3}
    assert _graph_rows({"data": []}) == {} and _graph_rows({"raw": "x"}) == {}


def test_flatten_dict_metrics() -> None:
    values = {
        v.metric: v.value for v in _flatten("post_clicks_by_type", {"link clicks": 4, "other clicks": 2})
    }
    assert values == {
        "post_clicks_by_type.link_clicks": 4.0,
        "post_clicks_by_type.other_clicks": 2.0,
        "post_clicks_by_type": 6.0,
    }
    [bad] = _flatten("reach", "n/a")
    assert bad.value is None and bad.reason


def test_pinterest_window_never_exceeds_the_look_back() -> None:
    assert pinterest_window(NOW - timedelta(days=5), NOW) == (date(2026, 11, 18), date(2026, 11, 23))
    start, end = pinterest_window(NOW - timedelta(days=400), NOW)
    assert (end - start).days == PINTEREST_LOOKBACK_DAYS <= 89
    assert pinterest_window(NOW - timedelta(days=50), NOW, since=date(2026, 11, 20))[0] == date(2026, 11, 20)


def test_guard_and_types() -> None:
    with pytest.raises(ValueError, match="impressions"):
        _guard("instagram", ["views", "impressions"])
    with pytest.raises(ValueError):
        _guard("facebook", ["post_impressions_unique"])
    assert _guard("instagram", ["views"]) == ["views"]
    assert ig_product_type("CAROUSEL") == "CAROUSEL_ALBUM" and ig_product_type("STORIES") == "STORY"
    assert ig_product_type("IMAGE") == "FEED" and ig_product_type("REELS") == "REELS"
    assert "follows" not in ig_metrics_for("REELS") and "replies" in ig_metrics_for("STORY")


def test_pinterest_sandbox_is_reported_without_a_call() -> None:
    session = ApiSession("pinterest", sandbox=True)
    pull = PinterestInsights(session, "pina.secret", sandbox=True).collect(
        "p1", "123", "PIN", published_at=NOW - timedelta(days=1), now=NOW
    )
    assert not pull.ok and pull.requests == 0 and "sandbox" in (pull.error or "")
