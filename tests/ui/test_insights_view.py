"""The Insights view over a real seeded InsightsStore (pytest-qt, offscreen)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from matplotlib.figure import Figure
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from studio.core.insights_store import InsightsStore, Order, OrderLine, PostRef
from studio.ui.insights_view import CatalogTitles, InsightsView
from studio.ui.workers import WorkerBridge

TODAY = date(2026, 5, 28)
PUBLISHED = [
    datetime(2026, m, d, h, mi, tzinfo=UTC)
    for m, d, h, mi in (
        (4, 10, 19, 0),
        (4, 20, 7, 30),
        (4, 25, 19, 0),
        (4, 29, 12, 0),
        (5, 3, 19, 0),
        (5, 8, 7, 30),
        (5, 12, 19, 0),
        (5, 16, 19, 0),
        (5, 23, 12, 0),
        (5, 26, 19, 0),
    )
]


def _seed(store: InsightsStore) -> None:
    """Ten posts from 10 Apr to 26 May (four in April); p9 is fresh and has no reach yet."""
    kinds = [("instagram", "REELS"), ("facebook", "IMAGE"), ("pinterest", "PIN"), ("instagram", "STORY")]
    for n in range(10):
        platform, media_type = kinds[n % 4]
        published = PUBLISHED[n]
        store.upsert_post(
            PostRef(
                f"p{n}",
                platform,
                f"r{n}",
                media_type,
                published,
                f"https://example.com/{n}",
                [f"prod{n % 3}"],
            )
        )
        if platform == "pinterest":
            store.record_many(
                f"p{n}",
                platform,
                [
                    ("IMPRESSION", 300 + n, published.date()),
                    ("SAVE", 5, published.date()),
                    ("PIN_CLICK", 4, published.date()),
                    ("OUTBOUND_CLICK", 3, published.date()),
                ],
                at=published + timedelta(days=1),
            )
            continue
        if n == 9:
            store.record_unavailable(f"p{n}", platform, "reach", "(#10) Not enough viewers", published)
            continue
        names = ("reach", "views", "total_interactions")
        if platform == "facebook":
            names = ("post_total_media_view_unique", "post_media_view", "total_interactions")
        for h in (3, 48):
            store.record_many(
                f"p{n}",
                platform,
                [(names[0], 100 * n + h, None), (names[1], 200 * n + h, None), (names[2], 10 * n + 1, None)],
                at=published + timedelta(hours=h),
            )
    store.add_orders(
        [
            Order(
                "o1",
                datetime(2026, 5, 20, tzinfo=UTC),
                "EUR",
                Decimal("30.00"),
                lines=[OrderLine("S1", "prod1", 1, Decimal("30.00"))],
                attributed_post_id="p7",
                attributed_platform="instagram",
                attribution="utm",
            ),
            Order("o2", datetime(2026, 5, 21, tzinfo=UTC), "EUR", Decimal("9.00"), lines=[]),
        ]
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InsightsStore]:
    s = InsightsStore.open(tmp_path)
    _seed(s)
    yield s
    s.close()


class Recorder:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.save_path: Path | None = None
        self.asked: list[tuple[str, str]] = []


@pytest.fixture
def view(qtbot: Any, store: InsightsStore) -> Iterator[InsightsView]:
    bridge = WorkerBridge(immediate=True)
    v = InsightsView(bridge, today=lambda: TODAY, tz=UTC)
    rec = Recorder()

    def ask_save_path(caption: str, name_filter: str, suggested: str) -> Path | None:
        rec.asked.append((caption, suggested))
        return rec.save_path

    v.ask_save_path = ask_save_path  # type: ignore[method-assign]
    v.show_error = lambda error: rec.errors.append(str(error))  # type: ignore[method-assign]
    v.rec = rec  # type: ignore[attr-defined]
    qtbot.addWidget(v)
    v.resize(1200, 800)
    v.show()
    products = {"prod1": SimpleNamespace(title="Ceramic mug")}
    v.set_store(store, titles=CatalogTitles(products.get), locale="en_US")
    yield v
    v.set_store(None)
    assert v.shutdown()


def _fig(chart: Any) -> Figure:
    """The Figure of the picture a ChartView shows (it has rendered by now)."""
    assert chart.figure is not None, f"{chart.objectName()} has not rendered"
    return chart.figure


def _rows(table: Any) -> int:
    return int(table.model().rowCount())


def _texts(table: Any, column: int) -> list[str]:
    model = table.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_shows_posts_products_and_missing_as_not_available(view: InsightsView) -> None:
    assert view.range() == (TODAY - timedelta(days=27), TODAY)
    assert _rows(view.posts_table) == 6  # p4..p9: p0..p3 were published in April
    assert view.cards["posts"].value.text() == "6"
    assert not view.empty_label.isVisibleTo(view)
    # p9 (newest, first row) has no reach yet: shown as such, never as 0
    assert _texts(view.posts_table, 1)[0] == "p9"
    reach = view.posts_table.model().index(0, 4)
    assert reach.data() == "—" and reach.data(Qt.ItemDataRole.ToolTipRole) == "not available yet"
    assert reach.data(Qt.ItemDataRole.ForegroundRole) is not None  # drawn muted
    view.select_post_row(0)
    assert view.post_cards["reach"].missing and view.post_cards["reach"].value.text() == "not available yet"
    assert _fig(view.post_canvas).axes[0].texts[0].get_text() == "not available yet"
    # a Pinterest pin: reach is not offered at all
    pin_row = _texts(view.posts_table, 1).index("p6")
    view.select_post_row(pin_row)
    assert view.post_cards["reach"].value.text() == "not offered by Pinterest"
    assert view.post_cards["impressions"].value.text() == "306"
    # a Reel with two snapshots: the small chart has a line of two points
    reel_row = _texts(view.posts_table, 1).index("p4")
    view.select_post_row(reel_row)
    assert len(list(_fig(view.post_canvas).axes[0].lines[0].get_xdata())) == 2  # type: ignore[arg-type]
    products = _texts(view.products_table, 0)
    assert "Ceramic mug" in products
    mug = products.index("Ceramic mug")
    assert _texts(view.products_table, 7)[mug] == "1"  # one attributed order
    assert view.cards["revenue"].note.text() == "1 orders · 1 not attributed"
    assert "Suggested time to post" in view.best_label.text()


def test_range_presets_custom_and_compare(view: InsightsView, qtbot: Any) -> None:
    view.set_range_days(7)
    assert view.range() == (TODAY - timedelta(days=6), TODAY)
    assert _rows(view.posts_table) == 2  # p8, p9
    assert not view.from_edit.isEnabled()
    view.preset_combo.setCurrentIndex(view.preset_combo.count() - 1)  # Custom
    assert view.from_edit.isEnabled()
    view.set_range(date(2026, 4, 1), date(2026, 4, 30))
    assert _rows(view.posts_table) == 4  # p0..p3
    view.compare_box.setChecked(True)
    assert view.data is not None and view.data.previous == (date(2026, 3, 2), date(2026, 3, 31))
    assert view.cards["posts"].note.text() == "no earlier value"
    view.set_range_days(28)
    assert "vs previous" in view.cards["posts"].note.text()
    with qtbot.waitSignal(view.refresh_requested, timeout=1000):
        view.refresh_button.click()


def test_charts_follow_a_dark_palette(view: InsightsView) -> None:
    view.tabs.setCurrentIndex(2)
    light_bg = _fig(view.bars_canvas).get_facecolor()
    assert not view.chart_theme.dark
    dark = QPalette(view.palette())
    for role, colour in (
        (QPalette.ColorRole.Window, "#1e1f22"),
        (QPalette.ColorRole.Base, "#1e1f22"),
        (QPalette.ColorRole.AlternateBase, "#2b2d31"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
    ):
        dark.setColor(role, QColor(colour))
    view.setPalette(dark)
    assert view.chart_theme.dark
    assert _fig(view.bars_canvas).get_facecolor() != light_bg
    view.tabs.setCurrentIndex(3)  # hidden charts render when their tab is shown
    assert _fig(view.heat_canvas).get_facecolor()[:3] == pytest.approx((0x1E / 255, 0x1F / 255, 0x22 / 255))
    assert view.cards["posts"].note.palette().color(QPalette.ColorRole.WindowText).lightnessF() > 0.5


def test_export_csv_and_reports_through_patched_dialogs(
    view: InsightsView, qtbot: Any, tmp_path: Path
) -> None:
    rec = view.rec  # type: ignore[attr-defined]
    rec.save_path = tmp_path / "series"  # no suffix: the view adds .csv
    with qtbot.waitSignal(view.exported, timeout=5000) as blocker:
        view.csv_button.click()
    assert blocker.args == [tmp_path / "series.csv"]
    with (tmp_path / "series.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["metric"] for r in rows} >= {"reach", "IMPRESSION"}
    rec.save_path = tmp_path / "report"  # no suffix: PDF is the default (PNG is covered in tests/unit)
    with qtbot.waitSignal(view.exported, timeout=20000):
        view.report_button.click()
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert view.status_label.text() == "Saved report.pdf"
    rec.save_path = None  # the user cancelled the dialog: nothing happens
    view.csv_button.click()
    (tmp_path / "not-a-folder").write_text("x")
    rec.save_path = tmp_path / "not-a-folder" / "r.pdf"
    view.report_button.click()
    assert len(rec.errors) == 1 and "not-a-folder" in rec.errors[0] and "unexpected" not in rec.errors[0]
    assert view.report_button.isEnabled()


def test_loads_in_a_real_worker_and_screenshot(qtbot: Any, store: InsightsStore, tmp_path: Path) -> None:
    bridge = WorkerBridge(immediate=False)
    v = InsightsView(bridge, today=lambda: TODAY, tz=UTC)
    qtbot.addWidget(v)
    v.resize(1280, 800)
    v.show()
    with qtbot.waitSignal(v.loaded, timeout=10000):
        v.set_store(store)
    assert _rows(v.posts_table) == 6
    # two quick requests: only the newest one's numbers may reach the screen
    v.set_range_days(7)
    with qtbot.waitSignal(v.loaded, timeout=10000):
        v.set_range_days(90)
    qtbot.waitUntil(lambda: not bridge.running, timeout=10000)
    assert _rows(v.posts_table) == 10 and v.data is not None and v.data.start == TODAY - timedelta(days=89)
    v.tabs.setCurrentIndex(3)
    # the heatmap is rendered on the chart worker thread and then painted
    qtbot.waitUntil(lambda: v.heat_canvas.figure is not None, timeout=10000)
    assert "Mon" in [t.get_text() for t in _fig(v.heat_canvas).axes[0].get_yticklabels()]
    shot = tmp_path / "insights.png"
    assert v.grab().save(str(shot))
    with Image.open(shot) as img:
        assert img.size[0] >= 1280 and len(img.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 20
    assert bridge.wait(10000) and v.shutdown()
    v.set_store(None)
    assert _rows(v.posts_table) == 0 and not v.refresh_button.isEnabled()
