"""InsightsStore: schema/versioning, time series (lifetime snapshots and daily values), "not available"
kept apart from 0, pulls, orders with exact Decimals, and use from a second thread."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from studio.core.errors import UsageError, WorkspaceError
from studio.core.insights_store import (
    FILE_NAME,
    SCHEMA_VERSION,
    InsightsStore,
    Order,
    OrderLine,
    PostRef,
)
from studio.publish.insights import (
    DEPRECATED,
    FB_METRICS,
    FB_VIDEO_METRICS,
    IG_METRICS,
    PIN_METRICS,
    PIN_VIDEO_METRICS,
)

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def ref(post_id: str = "p1", platform: str = "instagram", **kw: object) -> PostRef:
    base: dict[str, object] = dict(
        remote_id="m1",
        media_type="REELS",
        published_at=T0,
        permalink="https://x/p1",
        product_ids=["a", "b"],
        account="Shop IG",
    )
    base.update(kw)
    return PostRef(post_id, platform, **base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> InsightsStore:
    s = InsightsStore.open(tmp_path)
    yield s  # type: ignore[misc]
    s.close()


def test_file_schema_version_and_wal(tmp_path: Path) -> None:
    InsightsStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="newer version"):
        InsightsStore.open(tmp_path)
    with pytest.raises(WorkspaceError):
        InsightsStore.open(tmp_path / "missing")


def test_posts_upsert_and_filter(store: InsightsStore) -> None:
    store.upsert_post(ref())
    store.upsert_post(ref(media_type="STORY", product_ids=["c"]))  # same key: updated, not added
    store.upsert_post(ref("p2", "pinterest", published_at=T0 + timedelta(days=1), media_type="PIN"))
    assert [(p.post_id, p.platform) for p in store.posts()] == [("p2", "pinterest"), ("p1", "instagram")]
    [p1] = store.posts("instagram")
    assert p1.media_type == "STORY" and p1.product_ids == ["c"] and p1.published_at == T0
    with pytest.raises(UsageError):
        store.upsert_post(ref(platform="myspace"))


def test_lifetime_snapshots_latest_and_series(store: InsightsStore) -> None:
    store.record("p1", "instagram", "views", 10, at=T0 + timedelta(hours=1))
    store.record("p1", "instagram", "views", 25, at=T0 + timedelta(hours=5))
    store.record("p1", "instagram", "reach", 7, at=T0 + timedelta(hours=1))
    store.record_unavailable("p1", "instagram", "reach", "not enough viewers", T0 + timedelta(hours=5))
    store.record("p1", "instagram", "saved", None, at=T0 + timedelta(hours=5))
    latest = store.latest("p1", "instagram")
    assert latest == {"reach": None, "saved": None, "views": 25.0}
    assert store.unavailable("p1", "instagram") == {"reach": "not enough viewers", "saved": ""}
    # the series keeps the known points only — a missing value is a gap, never a 0
    assert store.series("p1", "instagram", "views") == [
        (T0 + timedelta(hours=1), 10.0),
        (T0 + timedelta(hours=5), 25.0),
    ]
    assert store.series("p1", "instagram", "reach") == [(T0 + timedelta(hours=1), 7.0)]
    assert store.metrics("p1", "instagram") == ["reach", "saved", "views"]
    assert store.latest("p1", "facebook") == {}


def test_daily_values_replace_per_day_and_range(store: InsightsStore) -> None:
    d = date(2026, 11, 3)
    store.record("pin", "pinterest", "IMPRESSION", 5, at=T0, day=d)  # ESTIMATE …
    store.record("pin", "pinterest", "IMPRESSION", 9, at=T0 + timedelta(days=1), day=d)  # … settled
    store.record("pin", "pinterest", "IMPRESSION", 4, at=T0, day=d + timedelta(days=1))
    store.record("pin", "pinterest", "IMPRESSION", 1, at=T0, day=d + timedelta(days=5))
    assert store.series("pin", "pinterest", "IMPRESSION") == [
        (d, 9.0),
        (d + timedelta(days=1), 4.0),
        (d + timedelta(days=5), 1.0),
    ]
    assert store.daily("IMPRESSION", d, d + timedelta(days=1)) == [
        ("pin", "pinterest", d, 9.0),
        ("pin", "pinterest", d + timedelta(days=1), 4.0),
    ]
    assert store.latest("pin", "pinterest") == {}  # daily rows are not lifetime snapshots


def test_daily_derived_from_snapshots(store: InsightsStore) -> None:
    store.record("p1", "instagram", "views", 10, at=datetime(2026, 11, 1, 10, tzinfo=UTC))
    store.record("p1", "instagram", "views", 30, at=datetime(2026, 11, 1, 20, tzinfo=UTC))
    store.record("p1", "instagram", "views", 45, at=datetime(2026, 11, 3, 8, tzinfo=UTC))
    assert store.daily("views", date(2026, 11, 1), date(2026, 11, 3)) == []
    assert store.daily("views", date(2026, 11, 1), date(2026, 11, 3), derive=True) == [
        ("p1", "instagram", date(2026, 11, 1), 30.0),
        ("p1", "instagram", date(2026, 11, 3), 15.0),
    ]


def test_record_many_in_one_transaction_and_pulls(store: InsightsStore) -> None:
    n = store.record_many(
        "p1",
        "facebook",
        [("post_media_view", 3, None), ("post_clicks", None, None, "not available yet")],
        at=T0,
    )
    assert n == 2
    assert store.unavailable("p1", "facebook") == {"post_clicks": "not available yet"}
    assert store.last_pull("p1", "facebook") is None
    store.record_pull("p1", "facebook", T0, False, "boom")
    assert store.last_pull("p1", "facebook") is None
    assert store.last_pull("p1", "facebook", ok_only=False) == T0
    store.record_pull("p1", "facebook", T0 + timedelta(hours=1), True)
    assert store.last_pull("p1", "facebook") == T0 + timedelta(hours=1)


def test_orders_round_trip_exact_and_replace(store: InsightsStore) -> None:
    order = Order(
        "#1001",
        datetime(2026, 11, 2, 23, 59, tzinfo=UTC),
        "EUR",
        Decimal("0.10") + Decimal("0.20"),
        ["ODA-ABC234"],
        [OrderLine("SKU-1", "prod-1", 2, Decimal("12.345")), OrderLine("SKU-2", None, 1, Decimal("1"))],
        {"utm_source": "instagram"},
        "p1",
        "instagram",
        "discount_code",
    )
    store.add_orders([order])
    [back] = store.orders(date(2026, 11, 2), date(2026, 11, 2))  # end date covers the whole day
    assert back == order and back.total == Decimal("0.30")
    order.lines = order.lines[:1]
    store.add_orders([order])  # re-import: replaced, no duplicate lines
    [again] = store.orders(date(2026, 11, 1), date(2026, 11, 30))
    assert len(again.lines) == 1
    assert store.orders(date(2026, 11, 3), date(2026, 11, 4)) == []
    with pytest.raises(UsageError):
        store.add_orders([Order("#2", T0, "EUR", Decimal(1), attribution="guess")])


def test_second_thread_reads_and_writes(store: InsightsStore) -> None:
    store.record("p1", "instagram", "views", 1, at=T0)
    seen: list[object] = []

    def worker() -> None:
        store.record("p1", "instagram", "views", 2, at=T0 + timedelta(hours=1))
        seen.append(store.latest("p1", "instagram")["views"])
        store.close_thread()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [2.0]
    assert store.latest("p1", "instagram")["views"] == 2.0


def test_metric_tables_hold_no_deprecated_name() -> None:
    ig = {m for metrics in IG_METRICS.values() for m in metrics}
    assert not ig & DEPRECATED["instagram"]
    assert not set(FB_METRICS + FB_VIDEO_METRICS) & DEPRECATED["facebook"]
    assert "impressions" not in ig and "post_impressions" not in FB_METRICS
    assert set(PIN_METRICS) | set(PIN_VIDEO_METRICS)


def test_migrates_a_version_1_file(tmp_path: Path) -> None:
    from studio.core.insights_store import _SCHEMA_V1

    conn = sqlite3.connect(tmp_path / FILE_NAME)
    conn.executescript(_SCHEMA_V1 + "PRAGMA user_version = 1;")
    rows = [("p1", "instagram", "views", "2026-11-01T10:00:00.000000+00:00", None, 5.0, "ok", "")]
    rows.append(("p1", "instagram", "views", "2026-11-02T10:00:00.000000+00:00", None, 9.0, "ok", ""))
    rows.append(
        ("p1", "instagram", "reach", "2026-11-02T10:00:00.000000+00:00", None, None, "unavailable", "later")
    )
    conn.executemany(
        "INSERT INTO observations (post_id, platform, metric, at, day, value, status, reason) "
        "VALUES (?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.close()
    with InsightsStore.open(tmp_path) as store:
        assert store.latest("p1", "instagram") == {"reach": None, "views": 9.0}
        assert store.unavailable("p1", "instagram") == {"reach": "later"}
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    conn.close()
