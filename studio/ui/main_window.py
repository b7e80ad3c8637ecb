"""The main window (Foundation slice): the workspace's media and its product catalog.

The tagging canvas, inspector and full menus arrive with the studio issue; this window is
already real: thumbnails are made off the GUI thread, the catalog search is live, and
background work shows in the status bar with a Cancel button.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.model import Media, MediaKind
from studio.core.money import format_money
from studio.core.workspace import Workspace
from studio.media.thumbnails import make_thumbnail
from studio.ui.workers import WorkerBridge

THUMB = 160


def _placeholder_icon(text: str) -> QIcon:
    pix = QPixmap(THUMB, THUMB)
    pix.fill(QColor("#2b2b30"))
    painter = QPainter(pix)
    painter.setPen(QColor("#9a9aa2"))
    painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pix)


def _duration_text(seconds: float | None) -> str:
    s = round(seconds or 0)
    return f"{s // 60}:{s % 60:02d}"


def _thumbnail_job(path: Path, cache_dir: Path, content_hash: str, *, progress, cancel) -> Path:  # type: ignore[no-untyped-def]
    cancel.raise_if_cancelled()
    return make_thumbnail(path, cache_dir, content_hash, size=THUMB * 2)


class MainWindow(QMainWindow):
    """Lists a workspace's media (with thumbnails) and its searchable catalog."""

    workspace_changed = Signal()

    def __init__(self, bridge: WorkerBridge | None = None) -> None:
        super().__init__()
        self.bridge = bridge or WorkerBridge(self)
        self.workspace: Workspace | None = None
        self.setWindowTitle("Shoppable Studio")
        self.resize(1280, 800)
        self._build()
        self.bridge.jobs_changed.connect(self._update_status)

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.media_list = QListWidget()
        self.media_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.media_list.setIconSize(QSize(THUMB, THUMB))
        self.media_list.setGridSize(QSize(THUMB + 24, THUMB + 44))
        self.media_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.media_list.setMovement(QListWidget.Movement.Static)
        self.media_list.setWordWrap(True)
        self.media_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

        self.media_header = QLabel("Media")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.media_header)
        lv.addWidget(self.media_list)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search products by title, SKU or barcode…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh_products)
        self.products = QTableWidget(0, 4)
        self.products.setHorizontalHeaderLabels(["Product", "SKU", "Price", "Variants"])
        self.products.verticalHeader().setVisible(False)
        self.products.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.products.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.products.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.catalog_header = QLabel("Catalog")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.catalog_header)
        rv.addWidget(self.search)
        rv.addWidget(self.products)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([760, 520])
        self.setCentralWidget(splitter)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.bridge.cancel_all)
        self.status_text = QLabel("")
        holder = QWidget()
        hl = QHBoxLayout(holder)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.progress)
        hl.addWidget(self.cancel_button)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(holder)

        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open Workspace…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self._choose_workspace)
        file_menu.addAction(open_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    # --- workspace --------------------------------------------------------------------------

    def set_workspace(self, ws: Workspace) -> None:
        if self.workspace is not None and self.workspace is not ws:
            self.workspace.close()
        self.workspace = ws
        self.setWindowTitle(f"{ws.project.name} — Shoppable Studio")
        self.refresh_media()
        self.refresh_products()
        self.workspace_changed.emit()

    def refresh_media(self) -> None:
        ws = self.workspace
        self.media_list.clear()
        if ws is None:
            return
        media = ws.project.media
        tagged = sum(1 for m in media if m.tags)
        self.media_header.setText(f"Media — {len(media)} files, {tagged} tagged")
        for m in media:
            item = QListWidgetItem(self._media_caption(m))
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            item.setIcon(_placeholder_icon("…"))
            item.setToolTip(
                f"{m.name}\n{m.width}×{m.height}" + (f", {m.duration:.1f} s" if m.duration else "")
            )
            self.media_list.addItem(item)
            path = ws.media_path(m)
            if not path.exists():
                item.setIcon(_placeholder_icon("missing"))
                continue
            self.bridge.submit(
                _thumbnail_job,
                path,
                ws.cache_dir,
                m.content_hash,
                label=f"thumbnail {m.name}",
                on_result=lambda p, it=item, med=m: self._set_thumb(it, med, p),
                on_error=lambda e, it=item: it.setIcon(_placeholder_icon("unreadable")),
            )

    def _media_caption(self, m: Media) -> str:
        parts = [m.name]
        if m.kind is MediaKind.VIDEO:
            parts.append(f"▶ {_duration_text(m.duration)}")
        if m.tags:
            parts.append(f"{len(m.tags)} tag{'s' if len(m.tags) != 1 else ''}")
        return "\n".join(parts)

    def _set_thumb(self, item: QListWidgetItem, media: Media, path: Path) -> None:
        pix = QPixmap(str(path))
        if pix.isNull():
            item.setIcon(_placeholder_icon("unreadable"))
            return
        item.setIcon(QIcon(pix))
        item.setData(Qt.ItemDataRole.UserRole + 1, str(path))

    def refresh_products(self) -> None:
        ws = self.workspace
        self.products.setRowCount(0)
        if ws is None:
            return
        query = self.search.text().strip()
        store = ws.catalog
        products = store.search(query, limit=200) if query else list(store.all(limit=500))
        self.catalog_header.setText(f"Catalog — {store.count()} products")
        locale = ws.project.locale
        self.products.setRowCount(len(products))
        for row, p in enumerate(products):
            price = format_money(p.price, p.currency, locale)
            if p.on_sale and p.compare_at is not None:
                price = f"{price}  (was {format_money(p.compare_at, p.currency, locale)})"
            cells = [p.title, p.sku, price, str(len(p.variants))]
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if col == 0:
                    cell.setData(Qt.ItemDataRole.UserRole, p.id)
                if col in (2, 3):
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.products.setItem(row, col, cell)

    # --- status -----------------------------------------------------------------------------

    def _update_status(self) -> None:
        jobs = self.bridge.running
        busy = bool(jobs)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.status_text.setText(f"{len(jobs)} background task(s): {jobs[0].label}")
        else:
            self.status_text.setText("Ready")

    def show_job_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.status_text.setText(message)

    def show_error(self, error: StudioError) -> None:
        QMessageBox.warning(self, "Shoppable Studio", error.message())

    def _choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open workspace")
        if not folder:
            return
        try:
            ws = Workspace.open(folder)
        except StudioError as exc:
            self.show_error(exc)
            return
        self.set_workspace(ws)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.bridge.cancel_all()
        self.bridge.wait(5000)
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None
        super().closeEvent(event)
