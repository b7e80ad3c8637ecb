"""The insights charts and the one-page report, rendered offscreen with Agg/PDF (no Qt)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from studio.core import insights_report as ir
from studio.core.errors import Cancelled, UsageError
from studio.core.insights_store import InsightsStore, Order, OrderLine, PostRef
from studio.core.progress import CancelToken
from studio.render import insights_charts as charts

START, END = date(2026, 5, 1), date(2026, 5, 28)
NOW = datetime(2026, 5, 29, 8, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InsightsStore]:
    """Twelve posts over four weeks on three platforms, a few orders, one unavailable metric."""
    s = InsightsStore.open(tmp_path)
    kinds = [("instagram", "REELS"), ("instagram", "IMAGE"), ("facebook", "IMAGE"), ("pinterest", "PIN")]
    for n in range(12):
        platform, media_type = kinds[n % 4]
        published = datetime(2026, 5, 1 + 2 * n, 18 if n % 3 else 9, 30, tzinfo=UTC)
        s.upsert_post(PostRef(f"p{n}", platform, f"r{n}", media_type, published, "", [f"prod{n % 3}"]))
        if platform == "pinterest":
            for d in range(3):
                day = published.date() + timedelta(days=d)
                s.record_many(
                    f"p{n}",
                    platform,
                    [
                        ("IMPRESSION", 100 + 10 * n, day),
                        ("SAVE", 3, day),
                        ("PIN_CLICK", 2, day),
                        ("OUTBOUND_CLICK", 1, day),
                    ],
                    at=NOW,
                )
            continue
        for h in (2, 24, 72):
            s.record_many(
                f"p{n}",
                platform,
                [
                    ("reach", 100 * n + h, None),
                    ("views", 150 * n + h, None),
                    ("total_interactions", 10 * n + 1, None),
                ],
                at=published + timedelta(hours=h),
            )
    s.record_unavailable("p1", "instagram", "saved", "still processing", NOW)
    s.add_orders(
        [
            Order(
                "o1",
                datetime(2026, 5, 3, tzinfo=UTC),
                "EUR",
                Decimal("20.00"),
                lines=[OrderLine("S0", "prod0", 1, Decimal("20.00"))],
                attributed_post_id="p0",
                attributed_platform="instagram",
                attribution="discount_code",
            )
        ]
    )
    yield s
    s.close()


def test_png_report_is_a4_and_drawn(store: InsightsStore, tmp_path: Path) -> None:
    out = tmp_path / "report.png"
    steps: list[tuple[int, int, str]] = []
    result = charts.write_report(
        store,
        START,
        END,
        out,
        title="May",
        titles={"prod0": "Linen shirt"},
        tz=UTC,
        now=NOW,
        progress=lambda d, t, m: steps.append((d, t, m)),
    )
    assert result == out and out.stat().st_size > 50_000
    with Image.open(out) as img:
        w, h = img.size
        assert abs(w - 8.27 * charts.REPORT_DPI) <= 2 and abs(h - 11.69 * charts.REPORT_DPI) <= 2
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # charts, not a blank page
        assert img.convert("RGB").getpixel((5, 5)) == (255, 255, 255)  # light theme background
    assert steps[-1][2] == "saved report.png"
    assert not list(tmp_path.glob(".report.png.*"))


def test_pdf_report_is_one_a4_page(store: InsightsStore, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    charts.write_report(store, START, END, out, title="May", tz=UTC, now=NOW)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) == 1  # one page
    width, height = (float(v) for v in boxes[0])
    assert width == pytest.approx(8.27 * 72, abs=1) and height == pytest.approx(11.69 * 72, abs=1)


def test_report_of_an_empty_store_still_renders(tmp_path: Path) -> None:
    with InsightsStore.open(tmp_path) as empty:
        fig = charts.render_report(empty, START, END, title="Empty", theme=charts.ChartTheme.light(), tz=UTC)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert charts.NOT_AVAILABLE in texts and "no posts in this range" in texts
    assert charts.figure_bytes(fig, "png", dpi=30).startswith(b"\x89PNG")


def test_bad_format_and_cancel(store: InsightsStore, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.png or \.pdf"):
        charts.write_report(store, START, END, tmp_path / "r.jpg")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        charts.write_report(store, START, END, tmp_path / "r.png", cancel=token)
    assert not (tmp_path / "r.png").exists()


def test_heatmap_marks_best_cell_and_bars_skip_missing(store: InsightsStore) -> None:
    hm = ir.heatmap(store, START, END, tz=UTC)
    best = ir.best_time(hm)
    assert best is not None
    fig = Figure()
    ax = fig.add_subplot()
    charts.draw_heatmap(ax, hm, charts.ChartTheme.light(), best=best, show_counts=True)
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert [(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in outlines] == [(best[1], best[0])]
    counts = [t.get_text() for t in ax.texts]
    assert sum(int(c) for c in counts) == hm.total_posts

    rows = ir.build_report(store, START, END, "platform")
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    charts.draw_comparison_bars(ax2, rows, "reach", charts.ChartTheme.dark_theme())
    # Pinterest offers no reach: three groups with bars, the Pin group says n/a instead of a 0 bar
    assert len([p for p in ax2.patches if isinstance(p, Rectangle) and p.get_height() > 0]) == 3
    assert "n/a" in [t.get_text() for t in ax2.texts]


def test_series_without_points_says_not_available() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    charts.draw_series(ax, {"instagram": []}, charts.ChartTheme.light(), title="Reach")
    assert [t.get_text() for t in ax.texts] == [charts.NOT_AVAILABLE]
    assert not ax.lines


def test_theme_and_number_formatting() -> None:
    dark = charts.ChartTheme.custom(
        background="#202020",
        text="#eeeeee",
        surface="#303030",
        muted="#aaaaaa",
        grid="#444444",
        accent="#3574f0",
    )
    assert dark.dark and dark.platform("pinterest") == charts.ChartTheme.dark_theme().platform("pinterest")
    assert not charts.ChartTheme.custom(
        background="#fafafa",
        text="#111111",
        surface="#eeeeee",
        muted="#666666",
        grid="#dddddd",
        accent="#0969da",
    ).dark
    with pytest.raises(UsageError):
        charts.ChartTheme.named("sepia")
    assert charts.compact(None) == "—"
    assert (
        charts.compact(12_345) == "12.3k"
        and charts.compact(2_000_000) == "2M"
        and charts.compact(7.25) == "7.2"
    )
    assert (
        charts.percent(0.123) == "▲ 12 %" and charts.percent(-0.5) == "▼ 50 %" and charts.percent(None) == ""
    )
