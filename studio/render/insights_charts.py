"""Insights charts with matplotlib's object-oriented API, and the one-page client report.

Why matplotlib (not QtCharts): the same drawing code renders offscreen to PNG/PDF for the client
report (Agg, no display, no Qt — this module is below the Qt line) *and* inside the GUI through
`FigureCanvasQTAgg`. Every function draws on a `Figure`/`Axes` it is given and never touches
pyplot's global state, so the GUI, the CLI and the tests can draw at the same time.

Colours come from a `ChartTheme`: the report uses `ChartTheme.light()`; the GUI builds one from
its QPalette (`ChartTheme.custom`) so the charts follow a light or dark desktop. Platform colours
are brand-like but tuned per theme to stay readable (contrast ≥ 3:1 on the background).

Missing numbers are drawn as missing: no bar, an empty heatmap cell, "—" in a table, and the
words "not available yet" where a whole chart has nothing to show. Never a 0.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.colors import Colormap, LinearSegmentedColormap, to_rgb
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

from studio.core import insights_report as ir
from studio.core.errors import UsageError
from studio.core.money import format_money
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.render.image_export import write_atomic

A4_INCHES = (8.27, 11.69)
REPORT_DPI = 150
NOT_AVAILABLE = "not available yet"
DASH = "—"


# --- theme ------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass(frozen=True, slots=True)
class ChartTheme:
    """Every colour a chart uses; nothing in this module hard-codes one."""

    background: str
    surface: str  # cards, empty heatmap cells
    text: str
    muted: str
    grid: str
    accent: str
    dark: bool
    platform_colors: Mapping[str, str] = field(default_factory=dict)
    heat_low: str = "#deebf7"
    heat_high: str = "#08306b"
    highlight: str = "#e8590c"  # the suggested best cell: must stand out from every heat colour

    @classmethod
    def light(cls) -> ChartTheme:
        return cls(
            background="#ffffff",
            surface="#f3f5f8",
            text="#1f2328",
            muted="#59636e",
            grid="#d8dee4",
            accent="#0969da",
            dark=False,
            platform_colors={"instagram": "#c13584", "facebook": "#1664d9", "pinterest": "#c8001e"},
            heat_low="#e6eef8",
            heat_high="#0b3d91",
        )

    @classmethod
    def dark_theme(cls) -> ChartTheme:
        return cls(
            background="#1e1f22",
            surface="#2b2d31",
            text="#e6e6e6",
            muted="#a0a7b0",
            grid="#3d4147",
            accent="#58a6ff",
            dark=True,
            platform_colors={"instagram": "#f06aa8", "facebook": "#5c9dff", "pinterest": "#ff6b7d"},
            heat_low="#263445",
            heat_high="#8fd3ff",
            highlight="#ffa94d",
        )

    @classmethod
    def named(cls, name: str) -> ChartTheme:
        if name == "light":
            return cls.light()
        if name == "dark":
            return cls.dark_theme()
        raise UsageError(f"unknown chart theme {name!r}", hint="use light or dark")

    @classmethod
    def custom(
        cls, *, background: str, text: str, surface: str, muted: str, grid: str, accent: str
    ) -> ChartTheme:
        """A theme from a desktop palette: platform/heat colours follow its lightness."""
        base = cls.dark_theme() if _luminance(background) < 0.5 else cls.light()
        return cls(
            background=background,
            surface=surface,
            text=text,
            muted=muted,
            grid=grid,
            accent=accent,
            dark=base.dark,
            platform_colors=base.platform_colors,
            heat_low=base.heat_low,
            heat_high=base.heat_high,
            highlight=base.highlight,
        )

    def platform(self, name: str) -> str:
        return self.platform_colors.get(name, self.accent)

    def heat_cmap(self) -> Colormap:
        cmap = LinearSegmentedColormap.from_list("studio_heat", [self.heat_low, self.heat_high])
        return cmap.with_extremes(bad=self.surface)


# --- formatting -------------------------------------------------------------------------------


def compact(value: float | int | Decimal | None) -> str:
    """12 345 -> "12.3k"; None -> "—" (missing is shown as missing, never 0)."""
    if value is None:
        return DASH
    v = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            text = f"{v / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{v:.0f}" if v == int(v) or abs(v) >= 100 else f"{v:.1f}"


def percent(change: float | None) -> str:
    if change is None:
        return ""
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "•")
    return f"{arrow} {abs(change) * 100:.0f} %"


def money_text(amounts: Mapping[str, Decimal], locale: str) -> str:
    if not amounts:
        return DASH
    return " + ".join(format_money(v, cur, locale) for cur, v in sorted(amounts.items()))


def _style_axes(ax: Axes, theme: ChartTheme, *, grid_axis: Literal["x", "y", "both", ""] = "y") -> None:
    ax.set_facecolor(theme.background)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.grid)
    ax.tick_params(colors=theme.muted, labelsize=8, length=0)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color=theme.grid, linewidth=0.6)
        ax.set_axisbelow(True)
    ax.title.set_color(theme.text)
    ax.xaxis.label.set_color(theme.muted)
    ax.yaxis.label.set_color(theme.muted)


def _empty(ax: Axes, theme: ChartTheme, title: str, message: str = NOT_AVAILABLE) -> None:
    _style_axes(ax, theme, grid_axis="")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=theme.text)
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=theme.muted,
        fontsize=10,
        style="italic",
    )


# --- charts -----------------------------------------------------------------------------------


def draw_series(
    ax: Axes,
    series: Mapping[str, Sequence[tuple[date | datetime, float]]],
    theme: ChartTheme,
    *,
    title: str = "",
    ylabel: str = "",
    colors: Mapping[str, str] | None = None,
    message: str = NOT_AVAILABLE,
) -> None:
    """One line per label (a platform or a metric); an empty mapping shows `message`."""
    series = {k: v for k, v in series.items() if v}
    if not series:
        _empty(ax, theme, title, message)
        return
    _style_axes(ax, theme)
    for label, points in series.items():
        xs: list[Any] = [p[0] for p in points]  # dates: matplotlib converts them (its stubs say floats)
        ys = [p[1] for p in points]
        colour = (colors or {}).get(label) or theme.platform(label.lower())
        ax.plot(
            xs,
            ys,
            color=colour,
            linewidth=1.8,
            marker="o" if len(xs) < 12 else None,
            markersize=3.5,
            label=ir.platform_label(label) if label in ir.PLATFORM_LABELS else label,
        )
        if len(series) == 1:
            ax.fill_between(xs, ys, color=colour, alpha=0.12, linewidth=0)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    ax.yaxis.set_major_formatter(lambda v, _pos: compact(v))
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=theme.text)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    if len(series) > 1:
        legend = ax.legend(frameon=False, fontsize=8, loc="upper left", ncols=len(series))
        for text in legend.get_texts():
            text.set_color(theme.text)


def draw_comparison_bars(
    ax: Axes,
    rows: Sequence[Mapping[str, Any]],
    metric: str,
    theme: ChartTheme,
    *,
    previous: Sequence[Mapping[str, Any]] | None = None,
    statistic: str = "mean",
    title: str | None = None,
) -> None:
    """Bars per (platform, format) from `build_report(by="platform")`; previous period hatched beside.

    `statistic="mean"` compares formats fairly (per post); "sum" shows volume. A group without a
    known value gets no bar and the words "n/a" — not a zero-height bar that reads as "0".
    """
    key = f"{metric}_mean" if statistic == "mean" else metric
    label = ir.METRIC_LABELS.get(metric, metric.replace("_", " "))
    title = (
        title
        if title is not None
        else f"{label} {'per post ' if statistic == 'mean' else ''}by platform & format"
    )
    prev_index = {(r["platform"], r["format"]): r for r in previous or []}
    groups = [(r["platform"], r["format"]) for r in rows]
    groups += [g for g in prev_index if g not in groups]
    if not groups:
        _empty(ax, theme, title, "no posts in this range")
        return
    current = {(r["platform"], r["format"]): r for r in rows}
    _style_axes(ax, theme)
    width = 0.38 if previous is not None else 0.62
    known = False
    for i, group in enumerate(groups):
        colour = theme.platform(group[0])
        value = current.get(group, {}).get(key)
        offset = -width / 2 if previous is not None else 0.0
        if value is not None:
            known = True
            ax.bar(i + offset, value, width, color=colour)
            ax.text(i + offset, value, compact(value), ha="center", va="bottom", fontsize=7, color=theme.text)
        else:
            ax.text(
                i + offset, 0, "n/a", ha="center", va="bottom", fontsize=7, color=theme.muted, style="italic"
            )
        if previous is not None:
            pv = prev_index.get(group, {}).get(key)
            if pv is not None:
                known = True
                ax.bar(
                    i + width / 2,
                    pv,
                    width,
                    color=colour,
                    alpha=0.35,
                    hatch="///",
                    edgecolor=colour,
                    linewidth=0,
                )
    ax.set_xticks(range(len(groups)), [f for _p, f in groups], fontsize=7)
    for tick, (platform, _f) in zip(ax.get_xticklabels(), groups, strict=True):
        tick.set_color(theme.platform(platform))
    ax.yaxis.set_major_formatter(lambda v, _pos: compact(v))
    if not known:
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.text(
            0.5, 0.6, NOT_AVAILABLE, transform=ax.transAxes, ha="center", color=theme.muted, style="italic"
        )
    else:
        ax.margins(y=0.18)
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=theme.text, pad=16)
    handles = [
        Patch(color=theme.platform(p), label=ir.platform_label(p))
        for p in dict.fromkeys(g[0] for g in groups)
    ]
    if previous is not None:
        handles.append(Patch(facecolor="none", edgecolor=theme.muted, hatch="///", label="previous period"))
    legend = ax.legend(
        handles=handles,
        frameon=False,
        fontsize=7,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=len(handles),
        handlelength=1.0,
        columnspacing=0.9,
        borderaxespad=0.1,
    )
    for text in legend.get_texts():
        text.set_color(theme.text)


def draw_heatmap(
    ax: Axes,
    hm: ir.Heatmap,
    theme: ChartTheme,
    *,
    best: tuple[int, int] | None = None,
    title: str | None = None,
    colorbar: bool = True,
    show_counts: bool = False,
) -> None:
    """Weekday (rows) × hour (columns); empty cells = no post then; the best cell is outlined.

    `show_counts` writes the number of posts in each cell: a dark cell of one post is luck, not
    a habit, and the reader should see that.
    """
    label = ir.METRIC_LABELS.get(hm.metric, hm.metric.replace("_", " "))
    title = title if title is not None else f"{label} per post by publishing time ({hm.tz_name})"
    if hm.total_posts == 0:
        _empty(ax, theme, title)
        return
    _style_axes(ax, theme, grid_axis="")
    data = [[math.nan if v is None else v for v in row] for row in hm.values]
    image = ax.imshow(data, aspect="auto", cmap=theme.heat_cmap(), interpolation="nearest", origin="upper")
    ax.set_yticks(range(7), list(ir.WEEKDAYS), fontsize=7)
    ax.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)], fontsize=7)
    ax.set_xticks([x - 0.5 for x in range(1, 24)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, 7)], minor=True)
    ax.grid(True, which="minor", color=theme.background, linewidth=1.2)
    ax.tick_params(which="minor", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if show_counts:
        known = [v for row in hm.values for v in row if v is not None]
        lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
        # light theme: dark strong cells take white text; dark theme: bright strong cells take dark text
        on_strong = theme.background if theme.dark else "#ffffff"
        for d in range(7):
            for h in range(24):
                value = hm.values[d][h]
                if value is None or not hm.counts[d][h]:
                    continue
                strong = (value - lo) / (hi - lo) > 0.55 if hi > lo else True
                ink = on_strong if strong else theme.text
                ax.text(h, d, str(hm.counts[d][h]), ha="center", va="center", fontsize=6.5, color=ink)
    if best is not None:
        d, h = best
        ax.add_patch(
            Rectangle((h - 0.5, d - 0.5), 1, 1, fill=False, edgecolor=theme.highlight, linewidth=2.2)
        )
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=theme.text)
    if colorbar and ax.figure is not None:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
        bar.outline.set_visible(False)
        bar.ax.tick_params(colors=theme.muted, labelsize=7, length=0)
        bar.ax.yaxis.set_major_formatter(lambda v, _pos: compact(v))


def draw_table(
    ax: Axes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    theme: ChartTheme,
    *,
    title: str = "",
    col_widths: Sequence[float] | None = None,
    empty: str = "nothing yet",
) -> None:
    """A plain, theme-coloured table (text only): the report's top posts/products."""
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=theme.text)
    if not rows:
        ax.text(0, 0.8, empty, transform=ax.transAxes, color=theme.muted, style="italic", fontsize=9)
        return
    table = ax.table(
        cellText=[list(r) for r in rows],
        colLabels=list(header),
        loc="upper left",
        cellLoc="left",
        colLoc="left",
        colWidths=list(col_widths) if col_widths else None,
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1, 1.35)
    for (r, _c), cell in table.get_celld().items():
        cell.set_edgecolor(theme.grid)
        cell.set_linewidth(0.4)
        cell.visible_edges = "B"
        cell.get_text().set_color(theme.muted if r == 0 else theme.text)
        cell.set_facecolor(theme.background)
        if r == 0:
            cell.get_text().set_fontweight("bold")


def draw_product_table(
    ax: Axes, rows: Sequence[Mapping[str, Any]], theme: ChartTheme, *, locale: str = "en_US", limit: int = 6
) -> None:
    """Top products (rows from `build_report(by="product")`): posts, reach, clicks, orders, revenue."""
    body = [
        [
            _clip(str(r["title"]), 28),
            str(r["posts"]),
            compact(r["reach"]),
            compact(r["clicks"]),
            str(r["orders"]),
            format_money(r["revenue"], r["currency"], locale) if r.get("currency") else DASH,
        ]
        for r in rows[:limit]
    ]
    draw_table(
        ax,
        ("Product", "Posts", "Reach", "Clicks", "Orders", "Revenue"),
        body,
        theme,
        title="Top products",
        col_widths=(0.38, 0.1, 0.12, 0.12, 0.1, 0.18),
        empty="no tagged products",
    )


def draw_post_table(
    ax: Axes,
    rows: Sequence[Mapping[str, Any]],
    theme: ChartTheme,
    *,
    limit: int = 6,
    tz: tzinfo = UTC,
    post_labels: Mapping[str, str] | None = None,
) -> None:
    """Top posts (rows from `build_report(by="post")`, ranked by engagement, known values first).

    `post_labels` maps post ids to something a client recognises (the caption's first words).
    """
    ranked = sorted(rows, key=lambda r: (r["engagement"] is None, -(r["engagement"] or 0)))[:limit]
    body = [
        [
            r["published_at"].astimezone(tz).strftime("%d %b %H:%M"),
            _clip(
                " ".join(
                    (post_labels if post_labels is not None else {}).get(r["post_id"], r["post_id"]).split()
                ),
                26,
            ),
            f"{ir.platform_label(r['platform'])} {r['format']}",
            compact(r["reach"]),
            compact(r["impressions"]),
            compact(r["engagement"]),
            compact(r["clicks"]),
        ]
        for r in ranked
    ]
    draw_table(
        ax,
        ("Published", "Post", "Where", "Reach", "Views", "Eng.", "Clicks"),
        body,
        theme,
        title="Top posts",
        col_widths=(0.14, 0.28, 0.2, 0.095, 0.095, 0.095, 0.095),
        empty="no posts in this range",
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass(slots=True)
class Card:
    label: str
    value: str
    note: str = ""  # e.g. "▲ 12 %" or "3 of 5 posts"
    note_good: bool | None = None


def draw_cards(
    fig: Figure, rect: tuple[float, float, float, float], cards: Sequence[Card], theme: ChartTheme
) -> None:
    """A row of metric cards inside `rect` (figure fraction: left, bottom, width, height)."""
    left, bottom, width, height = rect
    gap = 0.012
    w = (width - gap * (len(cards) - 1)) / max(1, len(cards))
    for i, card in enumerate(cards):
        ax = fig.add_axes((left + i * (w + gap), bottom, w, height))
        ax.set_axis_off()
        ax.add_patch(
            FancyBboxPatch(
                (0, 0),
                1,
                1,
                boxstyle="round,pad=0,rounding_size=0.06",
                transform=ax.transAxes,
                facecolor=theme.surface,
                edgecolor="none",
            )
        )
        ax.text(
            0.08,
            0.78,
            card.label.upper(),
            transform=ax.transAxes,
            fontsize=6.5,
            color=theme.muted,
            fontweight="bold",
        )
        missing = card.value == DASH
        ax.text(
            0.08,
            0.40,
            NOT_AVAILABLE if missing else card.value,
            transform=ax.transAxes,
            fontsize=8 if missing else 15,
            color=theme.muted if missing else theme.text,
            fontweight="normal" if missing else "bold",
            style="italic" if missing else "normal",
        )
        if card.note:
            colour = theme.muted
            if card.note_good is True:
                colour = "#2da44e" if not theme.dark else "#56d364"
            elif card.note_good is False:
                colour = "#cf222e" if not theme.dark else "#ff7b72"
            ax.text(0.08, 0.13, card.note, transform=ax.transAxes, fontsize=6.5, color=colour)


def summary_cards(
    current: Mapping[str, Any], previous: Mapping[str, Any] | None, *, locale: str = "en_US"
) -> list[Card]:
    """Cards for posts, the five metrics and attributed revenue, with change vs `previous`."""
    cards: list[Card] = []

    def note(name: str) -> tuple[str, bool | None]:
        if previous is None:
            return "", None
        _d, change = ir.delta(current.get(name), previous.get(name))
        if change is None:
            return "no earlier value", None
        return f"{percent(change)} vs previous", change >= 0

    text, good = note("posts")
    cards.append(Card("Posts", str(current["posts"]), text, good))
    for metric in ("reach", "impressions", "engagement", "clicks"):
        text, good = note(metric)
        if current.get(metric) is not None and current.get(f"{metric}_n", 0) < current["posts"]:
            text = text or f"{current[f'{metric}_n']} of {current['posts']} posts"
        cards.append(Card(ir.METRIC_LABELS[metric], compact(current.get(metric)), text, good))
    revenue = current.get("revenue") or {}
    rev_note = f"{current.get('orders', 0)} orders"
    if current.get("unattributed_orders"):
        rev_note += f" · {current['unattributed_orders']} unattributed"
    cards.append(Card("Revenue", money_text(revenue, locale) if revenue else "0", rev_note))
    return cards


# --- the report -------------------------------------------------------------------------------


def _range_text(start: date, end: date) -> str:
    if start.year == end.year:
        return f"{start:%d %b} – {end:%d %b %Y}"
    return f"{start:%d %b %Y} – {end:%d %b %Y}"


def render_report(
    store: ir.InsightsSource,
    start: date,
    end: date,
    *,
    title: str,
    theme: ChartTheme,
    titles: Mapping[str, str] | None = None,
    post_labels: Mapping[str, str] | None = None,
    locale: str = "en_US",
    tz: tzinfo | None = None,
    compare_previous: bool = True,
    now: datetime | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Figure:
    """The one-page (A4 portrait) client report as a Figure: cards, trend, bars, heatmap, tops."""
    ir.check_range(start, end)
    zone = tz or ir.local_tz()
    steps = 6

    def step(n: int, message: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(n, steps, message)

    step(0, "totals")
    memo = ir.MetricsMemo(store)
    current = ir.totals(store, start, end, memo=memo)
    prev_range = ir.previous_period(start, end)
    previous = ir.totals(store, *prev_range, memo=memo) if compare_previous else None
    step(1, "posts and products")
    posts = ir.build_report(store, start, end, "post", memo=memo)
    products = ir.build_report(store, start, end, "product", titles=titles, memo=memo)
    platforms = ir.build_report(store, start, end, "platform", memo=memo)
    prev_platforms = ir.build_report(store, *prev_range, "platform", memo=memo) if compare_previous else None
    step(2, "daily views")
    trend = ir.daily_totals(store, "impressions", start, end)
    step(3, "heatmap")
    hm = ir.heatmap(store, start, end, "engagement", tz=zone, memo=memo)
    best = ir.suggest_best_time(hm)

    step(4, "drawing")
    fig = Figure(figsize=A4_INCHES, dpi=REPORT_DPI, facecolor=theme.background)
    fig.text(0.06, 0.962, title, fontsize=18, fontweight="bold", color=theme.text)
    subtitle = _range_text(start, end)
    if compare_previous:
        subtitle += f"  ·  compared with {_range_text(*prev_range)}"
    fig.text(0.06, 0.942, subtitle, fontsize=9, color=theme.muted)
    stamp = (now or datetime.now(UTC)).astimezone(zone)
    fig.text(
        0.94, 0.962, f"Shoppable Studio · {stamp:%Y-%m-%d %H:%M}", fontsize=7, color=theme.muted, ha="right"
    )

    draw_cards(fig, (0.06, 0.845, 0.88, 0.078), summary_cards(current, previous, locale=locale), theme)

    grid = fig.add_gridspec(
        4,
        2,
        left=0.08,
        right=0.94,
        top=0.80,
        bottom=0.07,
        hspace=0.62,
        wspace=0.28,
        height_ratios=(1.0, 1.05, 0.95, 0.95),
    )
    ax_trend = fig.add_subplot(grid[0, :])
    draw_series(
        ax_trend,
        {p: sorted(days.items()) for p, days in trend.items()},
        theme,
        title="Views per day, all posts",
    )
    ax_bars = fig.add_subplot(grid[1, 0])
    draw_comparison_bars(
        ax_bars, platforms, "engagement", theme, previous=prev_platforms, title="Engagement per post"
    )
    ax_heat = fig.add_subplot(grid[1, 1])
    draw_heatmap(ax_heat, hm, theme, best=best, title=f"Best time: {ir.describe_slot(best)}")
    ax_posts = fig.add_subplot(grid[2, :])
    draw_post_table(ax_posts, posts, theme, tz=zone, post_labels=post_labels)
    ax_products = fig.add_subplot(grid[3, :])
    draw_product_table(ax_products, products, theme, locale=locale)

    notes = (
        f"Posts published in the range, with their latest lifetime numbers. {DASH} / “{NOT_AVAILABLE}” = "
        "the platform has not delivered the number (or does not offer it); it is never counted as 0.  "
        "Engagement rate = engagement ÷ reach (views where reach is not offered).  "
        f"Heatmap hours in {hm.tz_name}; dates in UTC.  "
        "Daily views of Instagram/Facebook are derived from snapshots.  "
        "Revenue counts only orders attributed to a post (discount code, UTM or SKU)."
    )
    fig.text(
        0.06, 0.018, "\n".join(textwrap.wrap(notes, 160)), fontsize=6, color=theme.muted, linespacing=1.5
    )
    step(5, "done")
    return fig


@dataclass(slots=True)
class RenderedChart:
    """An RGBA picture of a chart (for a GUI to show) and the Figure it came from (for tests)."""

    width: int
    height: int
    rgba: bytes
    figure: Figure


def render_rgba(
    draw: Callable[[Figure], None],
    width_px: int,
    height_px: int,
    *,
    dpi: float = 100.0,
    facecolor: str = "#ffffff",
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> RenderedChart:
    """Draw a chart with Agg into an RGBA buffer of exactly `width_px` × `height_px`.

    Why: rendering a chart of a few hundred pixels takes 100–300 ms with matplotlib on a modest
    laptop, too long for the GUI thread; the view runs this in a worker and shows the pixels.
    Each call makes its own Figure and canvas (nothing shared between threads; matplotlib keys
    its font cache by thread).
    """
    if cancel is not None:
        cancel.raise_if_cancelled()
    w, h = max(16, int(width_px)), max(16, int(height_px))
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, layout="constrained", facecolor=facecolor)
    canvas = FigureCanvasAgg(fig)
    draw(fig)
    if cancel is not None:
        cancel.raise_if_cancelled()
    canvas.draw()
    buffer = canvas.buffer_rgba()
    rw, rh = canvas.get_width_height(physical=True)
    progress(1, 1, "chart")
    return RenderedChart(rw, rh, bytes(buffer), fig)


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = REPORT_DPI) -> bytes:
    """PNG or PDF bytes of a Figure through a private canvas (no pyplot, no Qt)."""
    buf = io.BytesIO()
    if fmt == "pdf":
        FigureCanvasPdf(fig)
        fig.savefig(
            buf, format="pdf", facecolor=fig.get_facecolor(), metadata={"Creator": "Shoppable Studio"}
        )
    elif fmt == "png":
        FigureCanvasAgg(fig)
        fig.savefig(buf, format="png", dpi=dpi, facecolor=fig.get_facecolor())
    else:
        raise UsageError(f"unknown report format {fmt!r}", hint="save as .png or .pdf")
    return buf.getvalue()


def write_report(
    store: ir.InsightsSource,
    start: date,
    end: date,
    path: Path,
    *,
    title: str = "Social commerce report",
    theme: str = "light",
    titles: Mapping[str, str] | None = None,
    post_labels: Mapping[str, str] | None = None,
    locale: str = "en_US",
    tz: tzinfo | None = None,
    compare_previous: bool = True,
    now: datetime | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Path:
    """Render the report to `path` (.png or .pdf, A4 portrait), atomically; returns the path.

    Matches the worker contract (`progress=`, `cancel=`) so the GUI can submit it as is.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise UsageError(
            f"cannot write a report as '{path.suffix or path.name}'", hint="choose a .png or .pdf file"
        )
    fig = render_report(
        store,
        start,
        end,
        title=title,
        theme=ChartTheme.named(theme),
        titles=titles,
        post_labels=post_labels,
        locale=locale,
        tz=tz,
        compare_previous=compare_previous,
        now=now,
        progress=progress,
        cancel=cancel,
    )
    data = figure_bytes(fig, fmt)
    if cancel is not None:
        cancel.raise_if_cancelled()
    # write_atomic: same-folder temp + rename, normal file permissions, OSError -> ExportError naming the file
    write_atomic(path, data, cancelled=(lambda: cancel.cancelled) if cancel is not None else None)
    progress(6, 6, f"saved {path.name}")
    return path


__all__ = [
    "A4_INCHES",
    "Card",
    "ChartTheme",
    "RenderedChart",
    "compact",
    "draw_cards",
    "draw_comparison_bars",
    "draw_heatmap",
    "draw_post_table",
    "draw_product_table",
    "draw_series",
    "draw_table",
    "figure_bytes",
    "render_report",
    "render_rgba",
    "summary_cards",
    "write_report",
]
