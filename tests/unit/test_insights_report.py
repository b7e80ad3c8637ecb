"""Aggregations over a real `InsightsStore` seeded with known numbers.

The seed (all UTC): in May 2026
- p1 Instagram Reel, Mon 2026-05-04 09:10, tags A+B: reach 1000, views 2500, total_interactions 120,
  saved 30 (an older snapshot had reach 400 — the newest must win); link_clicks not available yet.
- p1 Facebook post, same post: post_total_media_view_unique 300, post_media_view 500,
  "post_clicks_by_type.link clicks" 12; no saves (Facebook offers none).
- p2 Pinterest Pin, Mon 2026-05-11 09:40, tags A only: daily IMPRESSION 100+150, SAVE 4+6,
  PIN_CLICK 3+2, OUTBOUND_CLICK 7+8 (no lifetime snapshot) → engagement = 10 + 5 + 15 = 30.
- p3 Instagram Story, Fri 2026-05-08 18:00, tags B: reach unavailable (under 5 viewers).
- p0 Instagram photo, 2026-04-20 (previous period), tags A: reach 500, total_interactions 40.
Orders: o1 (code → p1 instagram) A×2 @ 10.00 + B×1 @ 5.50; o2 (sku → p2 pinterest) A×1 @ 10.00;
o3 unattributed B×1 @ 5.50; o4 in April, utm → p0, A×1 @ 10.00.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from studio.core import insights_report as ir
from studio.core.errors import StudioError, UsageError
from studio.core.insights_store import InsightsStore, Order, OrderLine, PostRef

MAY = (date(2026, 5, 1), date(2026, 5, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def _dt(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InsightsStore]:
    s = InsightsStore.open(tmp_path)
    at = _dt(2026, 5, 20, 12)
    s.upsert_post(
        PostRef("p1", "instagram", "ig1", "REELS", _dt(2026, 5, 4, 9, 10), "https://ig/p1", ["A", "B"])
    )
    s.record("p1", "instagram", "reach", 400, at=at - timedelta(days=5))
    s.record_many(
        "p1",
        "instagram",
        [
            ("reach", 1000, None),
            ("views", 2500, None),
            ("total_interactions", 120, None),
            ("saved", 30, None),
        ],
        at=at,
    )
    s.record_unavailable("p1", "instagram", "link_clicks", "not offered for this media type", at)
    s.upsert_post(PostRef("p1", "facebook", "fb1", "VIDEO", _dt(2026, 5, 4, 9, 10), "", ["A", "B"]))
    s.record_many(
        "p1",
        "facebook",
        [
            ("post_total_media_view_unique", 300, None),
            ("post_media_view", 500, None),
            ("post_clicks_by_type.link clicks", 12, None),
        ],
        at=at,
    )
    s.upsert_post(PostRef("p2", "pinterest", "pin2", "PIN", _dt(2026, 5, 11, 9, 40), "", ["A"]))
    for day, (imp, save, pin, out) in {
        date(2026, 5, 11): (100, 4, 3, 7),
        date(2026, 5, 12): (150, 6, 2, 8),
    }.items():
        s.record_many(
            "p2",
            "pinterest",
            [
                ("IMPRESSION", imp, day),
                ("SAVE", save, day),
                ("PIN_CLICK", pin, day),
                ("OUTBOUND_CLICK", out, day),
            ],
            at=at,
        )
    s.upsert_post(PostRef("p3", "instagram", "ig3", "STORY", _dt(2026, 5, 8, 18, 0), "", ["B"]))
    s.record_unavailable("p3", "instagram", "reach", "(#10) Not enough viewers", at)
    s.upsert_post(PostRef("p0", "instagram", "ig0", "IMAGE", _dt(2026, 4, 20, 9, 0), "", ["A"]))
    s.record_many(
        "p0", "instagram", [("reach", 500, None), ("total_interactions", 40, None)], at=_dt(2026, 4, 25)
    )
    s.add_orders(
        [
            Order(
                "o1",
                _dt(2026, 5, 5, 10),
                "EUR",
                Decimal("25.50"),
                ["P1CODE"],
                [OrderLine("SKU-A", "A", 2, Decimal("10.00")), OrderLine("SKU-B", "B", 1, Decimal("5.50"))],
                attributed_post_id="p1",
                attributed_platform="instagram",
                attribution="discount_code",
            ),
            Order(
                "o2",
                _dt(2026, 5, 12, 10),
                "EUR",
                Decimal("10.00"),
                [],
                [OrderLine("SKU-A", "A", 1, Decimal("10.00"))],
                attributed_post_id="p2",
                attributed_platform="pinterest",
                attribution="sku",
            ),
            Order(
                "o3",
                _dt(2026, 5, 13, 10),
                "EUR",
                Decimal("5.50"),
                [],
                [OrderLine("SKU-B", "B", 1, Decimal("5.50"))],
            ),
            Order(
                "o4",
                _dt(2026, 4, 21, 10),
                "EUR",
                Decimal("10.00"),
                [],
                [OrderLine("SKU-A", "A", 1, Decimal("10.00"))],
                utm={"utm_content": "p0"},
                attributed_post_id="p0",
                attributed_platform="instagram",
                attribution="utm",
            ),
        ]
    )
    yield s
    s.close()


def _by_key(rows: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in rows}


def test_post_rows_keep_missing_as_none_with_reason(store: InsightsStore) -> None:
    rows = _by_key(ir.build_report(store, *MAY, "post"), "post_id", "platform")
    assert set(rows) == {("p1", "instagram"), ("p1", "facebook"), ("p2", "pinterest"), ("p3", "instagram")}
    reel = rows["p1", "instagram"]
    assert reel["format"] == "Reel"
    assert (reel["reach"], reel["impressions"], reel["engagement"], reel["saves"]) == (1000, 2500, 120, 30)
    assert reel["clicks"] is None and reel["missing"]["clicks"] == ir.NOT_AVAILABLE_YET
    assert reel["engagement_rate"] == pytest.approx(0.12)
    assert reel["orders"] == 1 and reel["revenue"] == Decimal("25.50") and reel["currency"] == "EUR"
    fb = rows["p1", "facebook"]
    assert (fb["reach"], fb["impressions"], fb["clicks"]) == (300, 500, 12)
    assert fb["saves"] is None and fb["missing"]["saves"] == "not offered by Facebook"
    assert fb["orders"] == 0  # o1 was attributed to the Instagram copy of p1
    pin = rows["p2", "pinterest"]
    assert pin["reach"] is None and pin["missing"]["reach"] == "not offered by Pinterest"
    assert (pin["impressions"], pin["saves"], pin["clicks"], pin["engagement"]) == (250, 10, 15, 30)
    story = rows["p3", "instagram"]
    assert story["reach"] is None and story["missing"]["reach"] == ir.NOT_AVAILABLE_YET
    assert story["impressions"] is None and story["engagement_rate"] is None
    assert (
        story["saves"] is None
        and story["missing"]["saves"] == "not offered for this format (Instagram Story)"
    )


def test_product_rows_sum_reach_and_attributed_sales(store: InsightsStore) -> None:
    rows = _by_key(ir.build_report(store, *MAY, "product", titles={"A": "Linen shirt"}), "product_id")
    a, b = rows["A",], rows["B",]
    assert a["title"] == "Linen shirt" and b["title"] == "B"
    assert a["posts"] == 3  # p1 instagram, p1 facebook, p2 pinterest
    assert a["reach"] == 1300 and a["reach_n"] == 2  # Pinterest reach unknown: not counted as 0
    assert a["clicks"] == 15 and a["clicks_posts"] == 1  # only p2 links a single product
    assert a["orders"] == 2 and a["units"] == 3 and a["revenue"] == Decimal("30.00")
    assert b["orders"] == 1 and b["revenue"] == Decimal("5.50")  # o3 is not attributed
    assert b["clicks"] is None
    assert rows["A",]["currency"] == "EUR"


def test_platform_rows_sum_and_mean_over_known(store: InsightsStore) -> None:
    rows = _by_key(ir.build_report(store, *MAY, "platform"), "platform", "format")
    assert set(rows) == {
        ("instagram", "Reel"),
        ("instagram", "Story"),
        ("facebook", "Video"),
        ("pinterest", "Pin"),
    }
    story = rows["instagram", "Story"]
    assert (
        story["posts"] == 1
        and story["reach"] is None
        and story["reach_mean"] is None
        and story["reach_n"] == 0
    )
    assert rows["pinterest", "Pin"]["clicks_mean"] == 15


def test_compare_deltas_and_previous_period(store: InsightsStore) -> None:
    assert ir.previous_period(*MAY) == (date(2026, 3, 31), date(2026, 4, 30))
    rows = _by_key(ir.compare(store, MAY, APRIL, "product"), "product_id")
    a = rows["A",]
    assert a["a"]["reach"] == 1300 and a["b"]["reach"] == 500
    assert a["delta"]["reach"] == 800 and a["change"]["reach"] == pytest.approx(1.6)
    assert a["delta"]["revenue"] == Decimal("20.00")
    b = rows["B",]
    assert b["b"]["reach"] is None and b["delta"]["reach"] is None  # B was not posted in April
    plat = _by_key(ir.compare(store, MAY, APRIL, "platform"), "platform", "format")
    assert plat["instagram", "Photo"]["a"]["posts"] is None and plat["instagram", "Photo"]["b"]["posts"] == 1


def test_heatmap_cells_and_best_time(store: InsightsStore) -> None:
    hm = ir.heatmap(store, *MAY, "engagement", tz=UTC)
    assert hm.tz_name == "UTC"
    assert hm.values[0][9] == pytest.approx((120 + 30) / 2)  # Monday 09:xx: the reel and the pin
    assert hm.counts[0][9] == 2
    assert hm.values[4][18] is None and hm.counts[4][18] == 0  # the story has no engagement yet
    assert hm.total_posts == 2
    assert ir.best_time(hm) == (0, 9)
    assert ir.best_time(hm, min_posts=3) is None
    assert ir.describe_slot((0, 9)) == "Mon 09:00–10:00"
    from zoneinfo import ZoneInfo

    paris = ir.heatmap(store, *MAY, tz=ZoneInfo("Europe/Paris"))
    assert paris.counts[0][11] == 2 and paris.tz_name == "Europe/Paris"


def test_totals_and_orders_summary(store: InsightsStore) -> None:
    t = ir.totals(store, *MAY)
    assert t["posts"] == 4 and t["reach"] == 1300 and t["reach_n"] == 2
    assert t["orders"] == 2 and t["unattributed_orders"] == 1
    assert t["revenue"] == {"EUR": Decimal("35.50")}
    s = ir.orders_summary(store, *MAY)
    assert s["by_attribution"] == {"discount_code": 1, "none": 1, "sku": 1}
    assert s["unattributed_revenue"] == {"EUR": Decimal("5.50")}


def test_series_csv_has_raw_points_and_no_zero_for_missing(store: InsightsStore, tmp_path: Path) -> None:
    out = tmp_path / "series.csv"
    n = ir.series_csv(store, out, *MAY)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == n
    assert tuple(rows[0]) == ir.SERIES_COLUMNS
    reach = [
        r for r in rows if r["post_id"] == "p1" and r["platform"] == "instagram" and r["metric"] == "reach"
    ]
    assert [r["value"] for r in reach] == ["400", "1000"] and {r["kind"] for r in reach} == {"lifetime"}
    daily = [r for r in rows if r["metric"] == "IMPRESSION"]
    assert [(r["when"], r["value"]) for r in daily] == [("2026-05-11", "100"), ("2026-05-12", "150")]
    assert not [r for r in rows if r["metric"] == "link_clicks"]  # unavailable is not a value
    assert not [r for r in rows if r["post_id"] == "p0"]  # April points are outside the range
    assert not list(tmp_path.glob(".series.csv.*"))  # no temp file left behind


def test_export_errors_name_the_file_and_files_are_shareable(store: InsightsStore, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(StudioError, match="blocker") as info:
        ir.series_csv(store, tmp_path / "blocker" / "s.csv", *MAY)
    assert info.value.hint
    out = tmp_path / "ok.csv"
    ir.series_csv(store, out, *MAY)
    assert out.stat().st_mode & 0o044  # readable by others (umask permitting), unlike 0600 temp files
    assert not list(tmp_path.glob("*.bak"))


def test_rows_csv_flattens_and_guards_formulas(store: InsightsStore, tmp_path: Path) -> None:
    rows = ir.build_report(store, *MAY, "post")
    rows[0]["account"] = "=HYPERLINK(1)"
    out = tmp_path / "r.csv"
    assert ir.rows_csv(rows, out) == 4
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and "clicks: not available yet" in text


def test_bad_ranges_and_groupings_are_usage_errors(store: InsightsStore) -> None:
    with pytest.raises(UsageError, match="before it starts"):
        ir.build_report(store, date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(UsageError, match="unknown grouping"):
        ir.build_report(store, *MAY, "campaign")
    with pytest.raises(UsageError, match="unknown metric"):
        ir.heatmap(store, *MAY, "likes")
