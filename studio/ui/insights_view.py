"""The Insights view: what each post and each tagged product earned, at a glance.

A plain QWidget (the main window puts it in a dock): date range (7/28/90 days or custom),
"compare to previous period", headline cards, then four tabs — Posts (table + the selected post's
cards and time series), Products (table), Platforms & formats (bars + daily trend), Best time
(weekday × hour heatmap with the suggested slot).

Why it is built this way:
- The numbers come from `studio.core.insights_report` (Qt-free, shared with the CLI and the client
  report); the widget only shows them. Aggregating reads many SQLite rows, so `reload()` runs it
  in a worker (`WorkerBridge`) and applies the result on the GUI thread; a newer request makes an
  older result stale (generation counter) so a quick range change never shows old numbers.
- Charts are rendered with matplotlib's Agg in a worker too (`ChartView`): even a small chart
  takes 100–300 ms to draw on a modest laptop, so the GUI thread only paints finished pixels.
  Hidden tabs render when shown; a resize re-renders once it settles. The report file (a full
  page at 150 dpi) is rendered in a worker as well.
- Missing numbers are shown as "not available yet" (or "not offered by …"), never as 0.
- Charts take their colours from the widget's QPalette and redraw on a palette change, so a dark
  desktop gets dark charts.
- Refresh does not pull by itself: it emits `refresh_requested`; the window runs the pull job in
  a worker and calls `reload()` when it is done.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import insights_report as ir
from studio.core.errors import StudioError
from studio.core.insights_store import InsightsStore, PostRef
from studio.core.money import format_money
from studio.core.progress import CancelToken, ProgressFn
from studio.render import insights_charts as charts
from studio.ui.workers import Job, WorkerBridge

PRESETS: tuple[tuple[str, int | None], ...] = (
    ("Last 7 days", 7),
    ("Last 28 days", 28),
    ("Last 90 days", 90),
    ("Custom", None),
)
POST_COLUMNS = (
    "Published",
    "Post",
    "Platform",
    "Format",
    "Reach",
    "Views",
    "Engagement",
    "Saves",
    "Clicks",
    "Orders",
)
PRODUCT_COLUMNS = (
    "Product",
    "Posts",
    "Platforms",
    "Reach",
    "Views",
    "Engagement",
    "Clicks",
    "Orders",
    "Units",
    "Revenue",
)
#: (good?, dark theme?) -> colour of a card's change note; readable on either background.
GOOD_BAD = {
    (True, False): "#1a7f37",
    (False, False): "#cf222e",
    (True, True): "#56d364",
    (False, True): "#ff7b72",
}
log = logging.getLogger(__name__)
_ROOT = QModelIndex()
CARD_KEYS = ("posts", "reach", "impressions", "engagement", "clicks", "revenue")


def _utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(slots=True)
class InsightsData:
    """Everything one range needs, computed off the GUI thread by `load_insights`."""

    start: date
    end: date
    posts: list[dict[str, Any]]
    products: list[dict[str, Any]]
    platforms: list[dict[str, Any]]
    totals: dict[str, Any]
    heatmaps: dict[str, ir.Heatmap]
    trend: dict[str, dict[date, float]]
    previous: tuple[date, date] | None = None
    prev_totals: dict[str, Any] | None = None
    prev_platforms: list[dict[str, Any]] | None = None
    product_compare: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)


def load_insights(
    store: ir.InsightsSource,
    start: date,
    end: date,
    compare_previous: bool,
    titles: Mapping[str, str],
    tz: tzinfo,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> InsightsData:
    """The worker job: every aggregation the view shows for one range (and the previous one)."""
    steps = 5 if compare_previous else 4

    def step(n: int, message: str) -> None:
        cancel.raise_if_cancelled()
        progress(n, steps, message)

    step(0, "posts")
    memo = ir.MetricsMemo(store)
    data = InsightsData(
        start=start,
        end=end,
        posts=ir.build_report(store, start, end, "post", memo=memo),
        products=ir.build_report(store, start, end, "product", titles=titles, memo=memo),
        platforms=ir.build_report(store, start, end, "platform", memo=memo),
        totals=ir.totals(store, start, end, memo=memo),
        heatmaps={},
        trend={},
    )
    step(1, "best time")
    for metric in ("engagement", "engagement_rate"):
        data.heatmaps[metric] = ir.heatmap(store, start, end, metric, tz=tz, memo=memo)
    step(2, "daily trend")
    data.trend = ir.daily_totals(store, "impressions", start, end)
    if compare_previous:
        step(3, "previous period")
        data.previous = ir.previous_period(start, end)
        data.prev_totals = ir.totals(store, *data.previous, memo=memo)
        data.prev_platforms = ir.build_report(store, *data.previous, "platform", memo=memo)
        data.product_compare = {
            (r["product_id"], r["currency"]): r
            for r in ir.compare(store, (start, end), data.previous, "product", titles=titles, memo=memo)
        }
    step(steps, "done")
    return data


def _tagged(
    generation: int,
    fn: Callable[..., Any],
    *args: Any,
    progress: ProgressFn,
    cancel: CancelToken,
    **kwargs: Any,
) -> tuple[int, Any]:
    """Run a job and return its result with the request number that asked for it.

    Why: the result and error slots are bound methods of the widget (so Qt drops them if the
    widget is gone, which a lambda or partial would not allow), and the number lets them ignore
    a result that a newer request has made stale.
    """
    try:
        return generation, fn(*args, progress=progress, cancel=cancel, **kwargs)
    except Exception as exc:
        exc.studio_generation = generation  # type: ignore[attr-defined]
        raise


def _generation_of(error: BaseException) -> int | None:
    """The request number of a failed `_tagged` job (the bridge may have wrapped the exception)."""
    for exc in (error, error.__cause__):
        if exc is not None and hasattr(exc, "studio_generation"):
            return int(exc.studio_generation)
    return None


def _export_csv_job(
    store: ir.InsightsSource, path: Path, start: date, end: date, *, progress: ProgressFn, cancel: CancelToken
) -> Path:
    def report(done: int, total: int, message: str) -> None:
        cancel.raise_if_cancelled()
        progress(done, total, message)

    ir.series_csv(store, path, start, end, progress=report)
    return path


class MetricCard(QFrame):
    """A label, a big number (or "not available yet"), and a note (change, coverage)."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insights.card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.title = QLabel(label.upper())
        font = self.title.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        font.setBold(True)
        self.title.setFont(font)
        self.value = QLabel("—")
        big = self.value.font()
        big.setPointSizeF(big.pointSizeF() * 1.7)
        big.setBold(True)
        self._big_font = big
        self.value.setFont(big)
        self.note = QLabel("")
        small = QFont(font)
        small.setBold(False)
        self.note.setFont(small)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.set_value(None)

    def set_value(
        self,
        text: str | None,
        note: str = "",
        *,
        missing: str = ir.NOT_AVAILABLE_YET,
        good: bool | None = None,
    ) -> None:
        """`text=None` shows `missing` in italics, muted — a missing number never looks like a 0.

        Colours are palette roles (no style sheets), so a light/dark switch repaints them right.
        """
        font = QFont(self._big_font)
        if text is None:
            font.setPointSizeF(self._big_font.pointSizeF() * 0.55)
            font.setBold(False)
            font.setItalic(True)
        self.value.setText(missing if text is None else text)
        self.value.setFont(font)
        self.value.setForegroundRole(
            QPalette.ColorRole.PlaceholderText if text is None else QPalette.ColorRole.WindowText
        )
        self.note.setText(note)
        self._good = good
        self._colour_note()
        self.missing = text is None

    def _colour_note(self) -> None:
        if self._good is None:
            self.note.setPalette(QPalette())
            self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            return
        dark = self.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
        colour = GOOD_BAD[(self._good, dark)]
        pal = self.note.palette()
        pal.setColor(QPalette.ColorRole.WindowText, QColor(colour))
        self.note.setPalette(pal)
        self.note.setForegroundRole(QPalette.ColorRole.WindowText)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_good"):
            self._colour_note()


class CatalogTitles(Mapping[str, str]):
    """Product id -> title, looked up on demand (pass `doc.catalog.get`).

    Why lazy: a catalog may hold 100,000 products and a report names a dozen. The lookup runs in
    the worker thread too; CatalogStore opens one connection per thread, so that is safe. Not
    iterable (nothing here needs the whole catalog).
    """

    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self._lookup = lookup

    def __getitem__(self, product_id: str) -> str:
        product = self._lookup(product_id)
        if product is None:
            raise KeyError(product_id)
        return str(product.title)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:  # empty to iterate, but never "no titles"
        return True


@dataclass(slots=True, frozen=True)
class Cell:
    text: str
    tip: str = ""
    muted: bool = False  # a missing number: drawn in the palette's placeholder colour
    number: bool = False  # right-aligned


class CellsModel(QAbstractTableModel):
    """A read-only table of precomputed cells.

    Why not QTableWidget: creating one QTableWidgetItem per cell costs ~20 µs, i.e. a quarter of
    a second on the GUI thread for a thousand posts; the cells here are plain tuples made once and
    the view asks only for the visible ones.
    """

    def __init__(self, columns: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.cells: list[list[Cell]] = []
        self.muted: QColor | None = None  # the view sets it from its palette

    def set_cells(self, cells: list[list[Cell]]) -> None:
        self.beginResetModel()
        self.cells = cells
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.cells)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        cell = self.cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tip or None
        if role == Qt.ItemDataRole.ForegroundRole and cell.muted:
            return self.muted or QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.TextAlignmentRole and cell.number:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


Drawer = Callable[[Figure], None]


class ChartView(QWidget):
    """Shows a matplotlib chart rendered off the GUI thread (Agg → RGBA → QImage).

    `set_drawer(draw, background)` says *what* to draw; the view renders it at its own pixel size
    in a worker whenever it is visible and the drawer or the size changed (resizes are debounced),
    and ignores results that a newer request made stale. While a new picture is on its way the
    old one is shown scaled, so the GUI never waits on matplotlib. `figure` is the Figure of the
    picture on screen (read-only; tests inspect it).
    """

    rendered = Signal()

    def __init__(self, bridge: WorkerBridge, name: str, *, min_height: int = 160) -> None:
        super().__init__()
        self.setObjectName(name)
        self.bridge = bridge
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.figure: Figure | None = None
        self._image: QImage | None = None
        self._drawer: Drawer | None = None
        self._background = "#ffffff"
        self._dirty = False
        self._generation = 0
        self._job: Job | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.render_now)

    def set_drawer(self, draw: Drawer, background: str) -> None:
        self._drawer, self._background = draw, background
        self._dirty = True
        self.render_now()

    def render_now(self) -> None:
        """Start a render if visible (hidden charts render when shown: a tab costs nothing unseen)."""
        if self._drawer is None or not self._dirty or not self.isVisible() or self.width() < 16:
            return
        self._dirty = False
        if self._job is not None:
            self._job.cancel()
        self._generation += 1
        generation = self._generation
        ratio = self.devicePixelRatioF()
        self._job = self.bridge.submit(
            _tagged,
            generation,
            charts.render_rgba,
            self._drawer,
            round(self.width() * ratio),
            round(self.height() * ratio),
            dpi=100.0 * ratio,
            facecolor=self._background,
            label="chart",
            on_result=self._rendered,
            on_cancelled=self._dropped,
            on_error=self._failed,
        )

    def _failed(self, error: StudioError) -> None:
        if _generation_of(error) == self._generation:
            self._job = None
            log.warning("chart %s could not be drawn: %s", self.objectName(), error)

    def _dropped(self) -> None:
        """A cancelled render: a newer one is on its way (or the view is going away)."""

    def _rendered(self, tagged: tuple[int, charts.RenderedChart]) -> None:
        generation, result = tagged
        if generation != self._generation:
            return
        self._job = None
        image = QImage(result.rgba, result.width, result.height, QImage.Format.Format_RGBA8888).copy()
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self._image = image
        self.figure = result.figure
        self.update()
        self.rendered.emit()

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(self._background))
        if self._image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.rect(), self._image)
        painter.end()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._drawer is not None:
            self._dirty = True
            self._timer.start()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.render_now()


class InsightsView(QWidget):
    """Range picker, headline cards, and the Posts / Products / Platforms / Best time tabs."""

    refresh_requested = Signal()  # the window runs the pull job, then calls reload()
    exported = Signal(object)  # Path of a written CSV or report
    loaded = Signal()  # new numbers are on screen (tests and the status bar listen)

    def __init__(
        self,
        bridge: WorkerBridge,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] = _utc_today,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("insights.view")
        self.bridge = bridge
        # Charts render on a pool of their own: frequent, short, and not worth a line in the
        # window's job list; one thread, so a burst of resizes cannot crowd out real work.
        self.chart_bridge = WorkerBridge(self, immediate=bridge.immediate, max_threads=1)
        self.today = today
        self.tz = tz or ir.local_tz()
        self.store: InsightsStore | None = None
        self.titles: Mapping[str, str] = {}
        self.post_labels: Mapping[str, str] = {}
        self.money_locale = "en_US"
        self.report_title = "Social commerce report"
        self.data: InsightsData | None = None
        self._generation = 0
        self._load_job: Job | None = None
        self._busy_exports = 0
        self._palette_key = ""
        self.chart_theme = self._theme_from_palette()

        self._build_toolbar()
        self._build_cards()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("insights.tabs")
        self.tabs.addTab(self._build_posts_tab(), "Posts")
        self.tabs.addTab(self._build_products_tab(), "Products")
        self.tabs.addTab(self._build_platforms_tab(), "Platforms && formats")
        self.tabs.addTab(self._build_time_tab(), "Best time")
        self.empty_label = QLabel(
            "No insights yet. Publish a post, then press Refresh to pull its numbers from the platforms."
        )
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.addLayout(self.toolbar_layout)
        layout.addLayout(self.cards_layout)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.tabs, 1)
        self.set_range_days(28, reload=False)
        self._update_enabled()

    # --- building ---------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("insights.range")
        for label, days in PRESETS:
            self.preset_combo.addItem(label, days)
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._custom_dates_changed)
        self.compare_box = QCheckBox("Compare to previous period")
        self.compare_box.setObjectName("insights.compare")
        self.compare_box.toggled.connect(lambda _on: self.reload())
        self.status_label = QLabel("")
        self.status_label.setObjectName("insights.status")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Pull the latest numbers from the platforms")
        self.refresh_button.clicked.connect(self.refresh_requested.emit)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("Every stored data point of the range, one row per point")
        self.csv_button.clicked.connect(self.export_csv_dialog)
        self.report_button = QPushButton("Export report…")
        self.report_button.setToolTip("A one-page PNG or PDF report for a client")
        self.report_button.clicked.connect(self.export_report_dialog)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Range:"))
        bar.addWidget(self.preset_combo)
        bar.addWidget(self.from_edit)
        bar.addWidget(QLabel("–"))
        bar.addWidget(self.to_edit)
        bar.addWidget(self.compare_box)
        bar.addStretch(1)
        bar.addWidget(self.status_label)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.report_button)
        self.toolbar_layout = bar

    def _build_cards(self) -> None:
        labels = {"posts": "Posts", "revenue": "Attributed revenue"}
        self.cards: dict[str, MetricCard] = {
            key: MetricCard(labels.get(key) or ir.METRIC_LABELS[key]) for key in CARD_KEYS
        }
        self.cards_layout = QHBoxLayout()
        for card in self.cards.values():
            self.cards_layout.addWidget(card)

    def _table(self, columns: tuple[str, ...], name: str) -> QTableView:
        table = QTableView()
        table.setObjectName(name)
        table.setModel(CellsModel(columns, table))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        # size columns from the first rows only: exact widths over 5,000 rows cost more than they give
        table.horizontalHeader().setResizeContentsPrecision(100)
        return table

    @staticmethod
    def model_of(table: QTableView) -> CellsModel:
        model = table.model()
        assert isinstance(model, CellsModel)
        return model

    def _build_posts_tab(self) -> QWidget:
        self.posts_table = self._table(POST_COLUMNS, "insights.posts")
        self.posts_table.selectionModel().selectionChanged.connect(lambda *_a: self._post_selected())
        self.post_title = QLabel("Select a post to see its numbers over time.")
        self.post_title.setWordWrap(True)
        self.post_title.setTextFormat(Qt.TextFormat.RichText)
        self.post_title.setOpenExternalLinks(True)
        self.post_cards: dict[str, MetricCard] = {m: MetricCard(ir.METRIC_LABELS[m]) for m in ir.METRICS}
        self.post_cards["engagement_rate"] = MetricCard("Engagement rate")
        self.post_cards["engagement_rate"].setToolTip(
            "engagement ÷ reach (÷ views where reach is not offered)"
        )
        grid = QGridLayout()
        for i, card in enumerate(self.post_cards.values()):
            grid.addWidget(card, i // 3, i % 3)
        self.post_metric_combo = QComboBox()
        self.post_metric_combo.setObjectName("insights.post_metric")
        for metric in ir.METRICS:
            self.post_metric_combo.addItem(ir.METRIC_LABELS[metric], metric)
        self.post_metric_combo.setCurrentIndex(ir.METRICS.index("impressions"))  # every platform has views
        self.post_metric_combo.currentIndexChanged.connect(lambda _i: self._draw_post_series())
        self.post_canvas = ChartView(self.chart_bridge, "insights.post_chart")
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.addWidget(self.post_title)
        dl.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(QLabel("Over time:"))
        row.addWidget(self.post_metric_combo)
        row.addStretch(1)
        dl.addLayout(row)
        dl.addWidget(self.post_canvas, 1)
        splitter = QSplitter()
        splitter.addWidget(self.posts_table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([780, 560])
        self.posts_splitter = splitter
        return splitter

    def _build_products_tab(self) -> QWidget:
        self.products_table = self._table(PRODUCT_COLUMNS, "insights.products")
        header = self.products_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.products_note = QLabel(
            "Reach, views and engagement of the posts that tagged each product. Clicks only from posts that "
            "link a single product. Orders and revenue: attributed orders only (discount code, UTM or SKU)."
        )
        self.products_note.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.products_table, 1)
        layout.addWidget(self.products_note)
        return page

    def _build_platforms_tab(self) -> QWidget:
        self.bars_metric_combo = QComboBox()
        self.bars_metric_combo.setObjectName("insights.bars_metric")
        for metric in (*ir.METRICS, "engagement_rate"):
            self.bars_metric_combo.addItem(ir.METRIC_LABELS.get(metric, "Engagement rate"), metric)
        self.bars_metric_combo.setCurrentIndex(ir.METRICS.index("engagement"))
        self.bars_stat_combo = QComboBox()
        self.bars_stat_combo.addItem("per post (mean)", "mean")
        self.bars_stat_combo.addItem("total", "sum")
        for combo in (self.bars_metric_combo, self.bars_stat_combo):
            combo.currentIndexChanged.connect(lambda _i: self._draw_platform_charts())
        self.bars_canvas = ChartView(self.chart_bridge, "insights.bars")
        self.trend_canvas = ChartView(self.chart_bridge, "insights.trend")
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare"))
        row.addWidget(self.bars_metric_combo)
        row.addWidget(self.bars_stat_combo)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.bars_canvas, 3)
        layout.addWidget(self.trend_canvas, 2)
        return page

    def _build_time_tab(self) -> QWidget:
        self.heat_metric_combo = QComboBox()
        self.heat_metric_combo.setObjectName("insights.heat_metric")
        self.heat_metric_combo.addItem("Engagement per post", "engagement")
        self.heat_metric_combo.addItem("Engagement rate", "engagement_rate")
        self.heat_metric_combo.currentIndexChanged.connect(lambda _i: self._draw_heatmap())
        self.best_label = QLabel("")
        self.best_label.setObjectName("insights.best_time")
        font = self.best_label.font()
        font.setBold(True)
        self.best_label.setFont(font)
        self.heat_canvas = ChartView(self.chart_bridge, "insights.heatmap")
        page = QWidget()
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        row.addWidget(self.heat_metric_combo)
        row.addWidget(self.best_label, 1)
        layout.addLayout(row)
        layout.addWidget(self.heat_canvas, 1)
        return page

    # --- public API -------------------------------------------------------------------------

    def set_store(
        self,
        store: InsightsStore | None,
        *,
        titles: Mapping[str, str] | None = None,
        post_labels: Mapping[str, str] | None = None,
        locale: str = "en_US",
        report_title: str | None = None,
    ) -> None:
        """Show `store` (None: the workspace was closed).

        `titles` maps product ids to names; `post_labels` maps post ids to what a person
        recognises (the caption's first words) — both optional, ids are shown otherwise.
        """
        self._cancel_load()
        self.store = store
        # kept as given (not copied): the window may pass a lazy Mapping over the catalog
        self.titles = titles if titles is not None else {}
        self.post_labels = post_labels if post_labels is not None else {}
        self.money_locale = locale
        if report_title:
            self.report_title = report_title
        self.data = None
        self._update_enabled()
        if store is None:
            self._apply(None)
        else:
            self.reload()

    def range(self) -> tuple[date, date]:
        return self.from_edit.date().toPython(), self.to_edit.date().toPython()  # type: ignore[return-value]

    def set_range_days(self, days: int, *, reload: bool = True) -> None:
        """One of the presets: the last `days` days ending today."""
        index = next((i for i, (_l, d) in enumerate(PRESETS) if d == days), None)
        end = self.today()
        self._set_dates(end - timedelta(days=days - 1), end)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(index if index is not None else len(PRESETS) - 1)
        self.preset_combo.blockSignals(False)
        self._update_enabled()
        if reload:
            self.reload()

    def set_range(self, start: date, end: date) -> None:
        """A custom range (inclusive, UTC days)."""
        ir.check_range(start, end)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(len(PRESETS) - 1)
        self.preset_combo.blockSignals(False)
        self._set_dates(start, end)
        self._update_enabled()
        self.reload()

    def reload(self) -> None:
        """Recompute every number for the current range in a worker (after a pull, a range change)."""
        if self.store is None:
            return
        self._cancel_load()
        self._generation += 1
        generation = self._generation
        start, end = self.range()
        self.status_label.setText("Loading…")
        self._load_job = self.bridge.submit(
            _tagged,
            generation,
            load_insights,
            self.store,
            start,
            end,
            self.compare_box.isChecked(),
            self.titles,
            self.tz,
            label="Insights",
            on_result=self._loaded,
            on_error=self._load_failed,
        )

    def shutdown(self, msecs: int = 10000) -> bool:
        """Cancel the load and chart renders and wait for them (the window calls this on close)."""
        self._cancel_load()
        self.chart_bridge.cancel_all()
        return self.chart_bridge.wait(msecs)

    def select_post_row(self, row: int) -> None:
        if 0 <= row < self.model_of(self.posts_table).rowCount():
            self.posts_table.selectRow(row)

    # --- hooks tests replace -----------------------------------------------------------------

    def ask_save_path(self, caption: str, name_filter: str, suggested: str) -> Path | None:
        path, _chosen = QFileDialog.getSaveFileName(self, caption, suggested, name_filter)
        return Path(path) if path else None

    def show_error(self, error: StudioError | Exception) -> None:
        QMessageBox.warning(
            self, "Insights", error.message() if isinstance(error, StudioError) else str(error)
        )

    # --- exports ----------------------------------------------------------------------------

    def export_csv_dialog(self) -> None:
        if self.store is None:
            return
        start, end = self.range()
        path = self.ask_save_path(
            "Export insights series", "CSV files (*.csv)", f"insights-{start}-{end}.csv"
        )
        if path is None:
            return
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        self._start_export(_export_csv_job, self.store, path, start, end, label="Export insights CSV")

    def export_report_dialog(self) -> None:
        if self.store is None:
            return
        start, end = self.range()
        path = self.ask_save_path(
            "Export insights report", "PDF (*.pdf);;PNG image (*.png)", f"insights-report-{start}-{end}.pdf"
        )
        if path is None:
            return
        if path.suffix.lower() not in (".pdf", ".png"):
            path = path.with_name(path.name + ".pdf")
        self._start_export(
            charts.write_report,
            self.store,
            start,
            end,
            path,
            label="Export insights report",
            title=self.report_title,
            theme="light",
            titles=self.titles,
            post_labels=self.post_labels,
            locale=self.money_locale,
            tz=self.tz,
            compare_previous=self.compare_box.isChecked(),
        )

    def _start_export(self, fn: Callable[..., Any], *args: Any, label: str, **kwargs: Any) -> None:
        self._busy_exports += 1
        self._update_enabled()
        self.status_label.setText(f"{label}…")
        self.bridge.submit(
            fn,
            *args,
            label=label,
            on_result=self._exported,
            on_error=self._export_failed,
            on_cancelled=self._export_done,
            **kwargs,
        )

    def _export_done(self) -> None:
        self._busy_exports = max(0, self._busy_exports - 1)
        self._update_enabled()

    def _exported(self, path: Path) -> None:
        self._export_done()
        self.status_label.setText(f"Saved {Path(path).name}")
        self.exported.emit(Path(path))

    def _export_failed(self, error: StudioError) -> None:
        self._export_done()
        self.status_label.setText("Export failed")
        self.show_error(error)

    # --- loading ----------------------------------------------------------------------------

    def _cancel_load(self) -> None:
        self._generation += 1  # whatever the running load returns or raises now is stale
        if self._load_job is not None:
            self._load_job.cancel()
            self._load_job = None

    def _loaded(self, tagged: tuple[int, InsightsData]) -> None:
        generation, data = tagged
        if generation != self._generation:
            return  # a newer range was asked for meanwhile
        self._load_job = None
        self._apply(data)

    def _load_failed(self, error: StudioError) -> None:
        if _generation_of(error) not in (None, self._generation):
            return  # the failure of a load nobody waits for any more
        self._load_job = None
        self.status_label.setText("Could not load insights")
        self.show_error(error)

    def _apply(self, data: InsightsData | None) -> None:
        self.data = data
        self.status_label.setText("" if data is None else f"{len(data.posts)} posts")
        has_posts = bool(data and (data.posts or data.products))
        self.empty_label.setVisible(not has_posts)
        self._fill_cards()
        self._fill_posts()
        self._fill_products()
        self._draw_platform_charts()
        self._draw_heatmap()
        self._update_enabled()
        self.loaded.emit()

    # --- filling ----------------------------------------------------------------------------

    def _fill_cards(self) -> None:
        data = self.data
        if data is None:
            for card in self.cards.values():
                card.set_value(None, missing="—")
            return
        cur, prev = data.totals, data.prev_totals
        for key, card in self.cards.items():
            if key == "revenue":
                revenue: dict[str, Decimal] = cur["revenue"]
                if not cur["orders"] and not cur["unattributed_orders"]:
                    card.set_value(None, "Posts → Import orders…", missing="no orders imported")
                    continue
                note = f"{cur['orders']} orders"
                if cur["unattributed_orders"]:
                    note += f" · {cur['unattributed_orders']} not attributed"
                card.set_value(charts.money_text(revenue, self.money_locale) if revenue else "0", note)
                continue
            value = cur.get(key)
            note, good = "", None
            if prev is not None:
                _d, change = ir.delta(value, prev.get(key))
                note, good = (
                    (charts.percent(change) + " vs previous", change >= 0)
                    if change is not None
                    else ("no earlier value", None)
                )
            elif key != "posts" and value is not None and cur.get(f"{key}_n", 0) < cur["posts"]:
                note = f"known for {cur[f'{key}_n']} of {cur['posts']} posts"
            card.set_value(None if value is None else charts.compact(value), note, good=good)

    def _post_label(self, post_id: str, limit: int = 36) -> str:
        text = " ".join(self.post_labels.get(post_id, post_id).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    @staticmethod
    def _metric_cell(row: Mapping[str, Any], metric: str, tip: str = "") -> Cell:
        value = row.get(metric)
        if value is None:
            reason = tip or (row.get("missing") or {}).get(metric, ir.NOT_AVAILABLE_YET)
            return Cell("—", reason, muted=True)
        return Cell(charts.compact(value), f"{value:,.0f}", number=True)

    def _fill_posts(self) -> None:
        rows = self.data.posts if self.data else []
        cells = [
            [
                Cell(row["published_at"].astimezone(self.tz).strftime("%Y-%m-%d %H:%M")),
                Cell(self._post_label(row["post_id"]), f"{row['post_id']}  {row['permalink']}".strip()),
                Cell(ir.platform_label(row["platform"])),
                Cell(row["format"]),
                *(
                    self._metric_cell(row, m)
                    for m in ("reach", "impressions", "engagement", "saves", "clicks")
                ),
                Cell(str(row["orders"]), number=True),
            ]
            for row in rows
        ]
        self.model_of(self.posts_table).set_cells(cells)  # a reset clears the selection
        self.posts_table.resizeColumnsToContents()
        if rows:
            self.select_post_row(0)
        else:
            self._show_post(None)

    def _fill_products(self) -> None:
        rows = self.data.products if self.data else []
        compare = self.data.product_compare if self.data else {}
        no_clicks = "no post links this product alone, so no click can be counted for it"
        cells: list[list[Cell]] = []
        for row in rows:
            revenue = (
                format_money(row["revenue"], row["currency"], self.money_locale) if row["currency"] else "—"
            )
            comp = compare.get((row["product_id"], row["currency"]))
            rev_tip = ""
            change = comp["change"]["revenue"] if comp is not None else None
            if change is not None:
                revenue += f"  {charts.percent(change)}"
                rev_tip = "change vs the previous period"
            cells.append(
                [
                    Cell(row["title"], row["product_id"]),
                    Cell(str(row["posts"]), number=True),
                    Cell(", ".join(ir.platform_label(p) for p in row["platforms"])),
                    self._metric_cell(row, "reach"),
                    self._metric_cell(row, "impressions"),
                    self._metric_cell(row, "engagement"),
                    self._metric_cell(row, "clicks", no_clicks),
                    Cell(str(row["orders"]), number=True),
                    Cell(str(row["units"]), number=True),
                    Cell(revenue, rev_tip),
                ]
            )
        self.model_of(self.products_table).set_cells(cells)
        self.products_table.resizeColumnsToContents()

    # --- per post ---------------------------------------------------------------------------

    def _selected_post(self) -> dict[str, Any] | None:
        if self.data is None:
            return None
        rows = self.posts_table.selectionModel().selectedRows() if self.posts_table.selectionModel() else []
        if not rows:
            return None
        index = rows[0].row()
        return self.data.posts[index] if 0 <= index < len(self.data.posts) else None

    def _post_selected(self) -> None:
        self._show_post(self._selected_post())

    def _show_post(self, row: Mapping[str, Any] | None) -> None:
        if row is None:
            self.post_title.setText("Select a post to see its numbers over time.")
            for card in self.post_cards.values():
                card.set_value(None, missing="—")
            self._draw_post_series()
            return
        published = row["published_at"].astimezone(self.tz).strftime("%a %d %b %Y, %H:%M")
        permalink = str(row["permalink"])
        link = f' · <a href="{html.escape(permalink)}">open</a>' if permalink.startswith("https://") else ""
        where = f"{ir.platform_label(row['platform'])} {row['format']}"
        label = html.escape(self._post_label(row["post_id"], 60))
        self.post_title.setText(f"<b>{label}</b> · {html.escape(where)} · {published}{link}")
        for metric in ir.METRICS:
            value = row[metric]
            reason = (row.get("missing") or {}).get(metric, ir.NOT_AVAILABLE_YET)
            self.post_cards[metric].set_value(
                None if value is None else charts.compact(value), missing=reason
            )
        rate = row.get("engagement_rate")
        formula = "engagement ÷ reach" if row.get("reach") else "engagement ÷ views"
        self.post_cards["engagement_rate"].set_value(None if rate is None else f"{rate * 100:.1f} %", formula)
        self._draw_post_series()

    def _post_ref(self, row: Mapping[str, Any]) -> PostRef:
        return PostRef(
            row["post_id"],
            row["platform"],
            "",
            row["media_type"],
            row["published_at"],
            row["permalink"],
            list(row["product_ids"]),
            row["account"],
        )

    def _draw_post_series(self) -> None:
        theme = self.chart_theme
        row = self._selected_post()
        metric = self.post_metric_combo.currentData() or "reach"
        label = ir.METRIC_LABELS[metric]
        series: dict[str, list[tuple[date | datetime, float]]] = {}
        title, message = label, ir.NOT_AVAILABLE_YET
        if row is not None and self.store is not None:
            pm = ir.post_metrics(self.store, self._post_ref(row))
            points = self._points(row, pm.sources.get(metric, ""))
            if points:
                daily = not isinstance(points[0][0], datetime)
                title = f"{label} {'per day' if daily else '(lifetime, at each pull)'}"
                series = {row["platform"]: points}
            message = pm.missing.get(metric, ir.NOT_AVAILABLE_YET)

        def draw(fig: Figure) -> None:
            charts.draw_series(fig.add_subplot(), series, theme, title=title, message=message)

        self.post_canvas.set_drawer(draw, theme.background)

    def _points(self, row: Mapping[str, Any], source: str) -> list[tuple[date | datetime, float]]:
        """The stored series behind a canonical metric; a summed one ("A+B+C") adds its parts by key."""
        if self.store is None or not source:
            return []
        parts = source.split("+")
        if len(parts) == 1:
            return self.store.series(row["post_id"], row["platform"], source)
        totals: dict[date | datetime, float] = {}
        counts: dict[date | datetime, int] = {}
        for part in parts:
            for when, value in self.store.series(row["post_id"], row["platform"], part):
                totals[when] = totals.get(when, 0.0) + value
                counts[when] = counts.get(when, 0) + 1
        return sorted(((w, v) for w, v in totals.items() if counts[w] == len(parts)), key=lambda p: str(p[0]))

    # --- charts -----------------------------------------------------------------------------

    def _draw_platform_charts(self) -> None:
        theme = self.chart_theme
        metric = self.bars_metric_combo.currentData() or "engagement"
        statistic = self.bars_stat_combo.currentData() or "mean"
        if metric == "engagement_rate":
            statistic = "mean"
        rows = self.data.platforms if self.data else []
        prev = self.data.prev_platforms if self.data else None
        trend = {p: sorted(days.items()) for p, days in (self.data.trend if self.data else {}).items()}

        def bars(fig: Figure) -> None:
            charts.draw_comparison_bars(
                fig.add_subplot(), rows, metric, theme, previous=prev, statistic=statistic
            )

        def line(fig: Figure) -> None:
            charts.draw_series(
                fig.add_subplot(),
                trend,
                theme,
                title="Views per day, all posts (Instagram/Facebook derived from snapshots)",
            )

        self.bars_canvas.set_drawer(bars, theme.background)
        self.trend_canvas.set_drawer(line, theme.background)

    def _draw_heatmap(self) -> None:
        theme = self.chart_theme
        metric = self.heat_metric_combo.currentData() or "engagement"
        hm = self.data.heatmaps.get(metric) if self.data else None
        if hm is None:
            hm = ir.Heatmap(metric, getattr(self.tz, "key", str(self.tz)), [[None] * 24] * 7, [[0] * 24] * 7)
        best = ir.suggest_best_time(hm)
        heat = hm

        def draw(fig: Figure) -> None:
            charts.draw_heatmap(fig.add_subplot(), heat, theme, best=best, show_counts=True)

        self.heat_canvas.set_drawer(draw, theme.background)
        if best is None:
            self.best_label.setText("Suggested time to post: not enough posts yet")
        else:
            d, h = best
            self.best_label.setText(
                f"Suggested time to post: {ir.describe_slot(best)} ({hm.tz_name}) — "
                f"based on {hm.counts[d][h]} of {hm.total_posts} posts"
            )

    def redraw_charts(self) -> None:
        self._draw_post_series()
        self._draw_platform_charts()
        self._draw_heatmap()

    # --- palette ----------------------------------------------------------------------------

    def _theme_from_palette(self) -> charts.ChartTheme:
        pal = self.palette()

        def colour(role: QPalette.ColorRole) -> str:
            return pal.color(role).name()

        return charts.ChartTheme.custom(
            background=colour(QPalette.ColorRole.Base),
            text=colour(QPalette.ColorRole.Text),
            surface=colour(QPalette.ColorRole.AlternateBase),
            muted=colour(QPalette.ColorRole.PlaceholderText),
            grid=colour(QPalette.ColorRole.Mid),
            accent=colour(QPalette.ColorRole.Highlight),
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme = self._theme_from_palette()
            if hasattr(self, "products_table"):
                muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
                for table in (self.posts_table, self.products_table):
                    self.model_of(table).muted = muted
                    table.viewport().update()
            if theme != self.chart_theme:
                self.chart_theme = theme
                if hasattr(self, "heat_canvas"):
                    self._fill_cards()
                    self.redraw_charts()

    # --- state ------------------------------------------------------------------------------

    def _set_dates(self, start: date, end: date) -> None:
        for edit, value in ((self.from_edit, start), (self.to_edit, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(value.year, value.month, value.day))
            edit.blockSignals(False)

    def _preset_changed(self, _index: int) -> None:
        days = self.preset_combo.currentData()
        if days:
            self.set_range_days(int(days))
        else:
            self._update_enabled()

    def _custom_dates_changed(self, _value: QDate) -> None:
        start, end = self.range()
        if end < start:
            self.status_label.setText("The range ends before it starts")
            return
        self.reload()

    def _update_enabled(self) -> None:
        custom = self.preset_combo.currentData() is None
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)
        has_store = self.store is not None
        self.refresh_button.setEnabled(has_store)
        self.csv_button.setEnabled(has_store and self._busy_exports == 0)
        self.report_button.setEnabled(has_store and self._busy_exports == 0)
