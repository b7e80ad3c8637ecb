"""The studio's main window: layout, menus, workspace lifecycle (open, save, recover, close).

Layout: the media library docked left, the tagging canvas in the centre with the video timeline
under it (shown for videos only), and inspector / catalog / posts / undo history tabbed on the
right. Menus and toolbar are generated from the action registry (studio/ui/actions.py); the
controller (studio/ui/controller.py) turns widget intents into undo commands. The window only
decides *when* things happen (open, save, ask) — never how the model changes.

Every question the window asks (save changes? recover? errors, problem lists) goes through one
method each (`ask_save_changes`, `ask_recover`, `show_error`, `show_problems`), so tests replace
them instead of fighting modal dialogs.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolBar,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.core import recovery
from studio.core.app_settings import AppSettings
from studio.core.errors import StudioError
from studio.core.model import Post, Project
from studio.core.workspace import Workspace
from studio.ui import actions as registry
from studio.ui import commands
from studio.ui.canvas import TagCanvas
from studio.ui.catalog_panel import CatalogPanel
from studio.ui.controller import Controller
from studio.ui.document import Document
from studio.ui.inspector import Inspector
from studio.ui.library import MediaLibrary, local_paths
from studio.ui.outbox_panel import OutboxPanel
from studio.ui.outbox_runner import OutboxRunner
from studio.ui.picker import ProductPicker
from studio.ui.posts import PostsPanel
from studio.ui.product_thumbs import ProductThumbs
from studio.ui.shortcuts_dialog import ShortcutsDialog
from studio.ui.style_dialog import LabelStyleDialog
from studio.ui.timeline import Timeline
from studio.ui.video_player import VideoPlayer
from studio.ui.workers import WorkerBridge

log = logging.getLogger(__name__)

APP_TITLE = "Shoppable Studio"
SETTINGS_ORG = "ShoppableStudio"
SETTINGS_APP = "Studio"
SaveChoice = Literal["save", "discard", "cancel"]
MissedChoice = Literal["publish", "skip", "later"]
EXPORT_PENDING_TIP = "Export is coming with the export issue"


def window_settings() -> QSettings:
    """Window geometry and dock layout (QSettings, organization "ShoppableStudio", INI format).

    With `STUDIO_DATA_DIR` set (tests, portable installs) the file lives in that folder, like the
    app settings, so nothing touches the real home."""
    override = os.environ.get("STUDIO_DATA_DIR")
    if override:
        return QSettings(str(Path(override) / "window.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, SETTINGS_ORG, SETTINGS_APP)


def export_available() -> bool:
    return importlib.util.find_spec("studio.jobs.export_batch") is not None


class _FileDropFilter(QObject):
    """Files dropped anywhere on the canvas are added to the workspace (the canvas itself, a
    QGraphicsView, would otherwise accept and swallow the drag)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        paths = local_paths(event.mimeData())  # type: ignore[attr-defined]
        if not paths or self.window.doc is None:
            return False
        event.acceptProposedAction()  # type: ignore[attr-defined]
        if kind == QEvent.Type.Drop:
            self.window.add_media_paths(paths)
        return True


class NewWorkspaceDialog(QDialog):
    """Folder, currency and locale of a new workspace (prices are formatted with them)."""

    CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "JPY")
    LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL", "sv_SE", "ja_JP")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New workspace")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("An empty folder for project.json, the catalog and the cache")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.currency_box = QComboBox()
        self.currency_box.setEditable(True)
        self.currency_box.addItems(self.CURRENCIES)
        self.locale_box = QComboBox()
        self.locale_box.setEditable(True)
        self.locale_box.addItems(self.LOCALES)
        self.store_url = QLineEdit()
        self.store_url.setPlaceholderText("https://shop.example.com (optional)")
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.button(ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", row)
        form.addRow("Currency", self.currency_box)
        form.addRow("Locale", self.locale_box)
        form.addRow("Store URL", self.store_url)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "New workspace: choose an empty folder")
        if folder:
            self.folder.setText(folder)

    def options(self) -> dict[str, str]:
        return {
            "currency": self.currency_box.currentText().strip().upper(),
            "locale": self.locale_box.currentText().strip(),
            "store_url": self.store_url.text().strip(),
        }


class ExportDialog(QDialog):
    """Export options: platform presets, kinds of output, which media, and the output folder.

    A thin front of `studio.jobs.export_batch` (the CLI's `studio export` runs the same job)."""

    DEFAULT_PRESETS = ("instagram-portrait", "instagram-square")
    DEFAULT_KINDS = ("clean", "labeled")

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from studio.jobs.export_batch import KINDS
        from studio.render.presets import all_presets

        self.setWindowTitle("Export")
        self.doc = doc
        self.presets = all_presets(doc.project)
        self.preset_list = QListWidget()
        self._fill_presets(set(self.DEFAULT_PRESETS))
        self.new_preset_button = QPushButton("New size…")
        self.new_preset_button.clicked.connect(self.new_preset)
        self.kind_boxes = {k: QCheckBox(k) for k in KINDS}
        kinds_row = QHBoxLayout()
        for kind, box in self.kind_boxes.items():
            box.setChecked(kind in self.DEFAULT_KINDS)
            kinds_row.addWidget(box)
        self.scope = QComboBox()
        self.scope.addItem("All media", "all")
        self.scope.addItem("Tagged media", "tagged")
        self.scope.addItem("Untagged media", "untagged")
        for i, post in enumerate(doc.project.posts, start=1):
            caption = (post.caption or "").strip().splitlines()[0][:40] if post.caption.strip() else ""
            self.scope.addItem(f"Post {i}: {caption or f'{len(post.media_ids)} media'}", f"post:{post.id}")
        self.folder = QLineEdit(str(doc.workspace.root / "exports"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Sizes", self.preset_list)
        form.addRow("", self.new_preset_button)
        form.addRow("Outputs", kinds_row)
        form.addRow("Media", self.scope)
        form.addRow("Folder", folder_row)
        form.addRow(buttons)

    def _fill_presets(self, checked: set[str]) -> None:
        self.preset_list.clear()
        for name, preset in self.presets.items():
            item = QListWidgetItem(f"{preset.title}  ({preset.width}×{preset.height})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
            self.preset_list.addItem(item)

    def run_preset_dialog(self, dialog: QDialog) -> bool:
        """Tests replace this to drive the dialog without a modal loop."""
        return bool(dialog.exec())

    def new_preset(self) -> None:
        """Add a workspace preset (one undo step) and list it, checked, keeping the other checks."""
        from studio.render.presets import all_presets
        from studio.ui.preset_dialog import PresetDialog

        dialog = PresetDialog(self.doc, self)
        if not self.run_preset_dialog(dialog) or dialog.added is None:
            return
        checked = {p.name for p in self.chosen_presets()} | {dialog.added.name}
        self.presets = all_presets(self.doc.project)
        self._fill_presets(checked)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def chosen_presets(self) -> list[Any]:
        items = (self.preset_list.item(i) for i in range(self.preset_list.count()))
        return [
            self.presets[it.data(Qt.ItemDataRole.UserRole)]
            for it in items
            if it.checkState() == Qt.CheckState.Checked
        ]

    def chosen_kinds(self) -> list[str]:
        return [k for k, box in self.kind_boxes.items() if box.isChecked()]

    def only(self) -> str:
        return str(self.scope.currentData())

    def out_dir(self) -> Path:
        return Path(self.folder.text()).expanduser()


INSIGHTS_REFRESH_MS = 30 * 60 * 1000  # recent posts' metrics, and Stories before their 24 h close


class MainWindow(QMainWindow):
    """One open workspace (a Document) shown in the library / canvas / panels layout."""

    workspace_changed = Signal()

    def __init__(self, bridge: WorkerBridge | None = None, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.bridge = bridge or WorkerBridge(self)
        self.app_settings = settings if settings is not None else AppSettings.load()
        self.doc: Document | None = None
        self.export_workers: int | None = None  # processes for exports (None: one per core)
        self.outbox_runner: OutboxRunner | None = None
        self.outbox_run_fn: Any = None  # tests inject a fake run_outbox / registry here
        self.outbox_registry_fn: Any = None
        self.setWindowTitle(APP_TITLE)
        self.resize(1440, 900)
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.thumbs = ProductThumbs(self.bridge, self)
        self._build_central()
        self._build_docks()
        self._build_status()
        self._build_actions()
        self.controller = Controller(
            canvas=self.canvas,
            timeline=self.timeline,
            player=self.player,
            inspector=self.inspector,
            picker=self.picker,
            posts=self.posts,
            catalog=self.catalog,
            parent=self,
        )
        self.controller.mediaShown.connect(self._media_shown)
        self.controller.error.connect(self.show_error)
        from studio.ui.shop_the_look import install_shop_the_look

        self.shop = install_shop_the_look(self)
        self.bridge.jobs_changed.connect(self._update_status)
        self._restore_layout()
        self._update_title()
        self._update_enabled()

    # --- layout -----------------------------------------------------------------------------

    def _build_central(self) -> None:
        self.canvas = TagCanvas(self.bridge)
        self.canvas.setObjectName("canvas")
        self.timeline = Timeline()
        self.timeline.setObjectName("timeline")
        self.timeline.setVisible(False)
        self.player = VideoPlayer(self)
        self.picker = ProductPicker(self.thumbs, parent=self)
        self.empty_hint = QLabel(
            "Choose a photo or video in the library — or drop files and folders here to add them."
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.empty_hint, 1)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.timeline)
        self.canvas.setVisible(False)
        self.setCentralWidget(central)
        self._drop_filter = _FileDropFilter(self)
        self.canvas.viewport().installEventFilter(self._drop_filter)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState key
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.library = MediaLibrary(self.bridge)
        self.inspector = Inspector(self.thumbs)
        self.catalog = CatalogPanel(self.thumbs)
        self.posts = PostsPanel(self.bridge)
        self.history = QUndoView()
        self.history.setEmptyLabel("Opened")
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.library_dock = self._dock(
            "Library", "dock.library", self.library, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock("Inspector", "dock.inspector", self.inspector, right)
        self.catalog_dock = self._dock("Catalog", "dock.catalog", self.catalog, right)
        self.posts_dock = self._dock("Posts", "dock.posts", self.posts, right)
        self.history_dock = self._dock("Undo history", "dock.history", self.history, right)
        self.outbox_panel = OutboxPanel()
        self.outbox_dock = self._dock(
            "Outbox", "dock.outbox", self.outbox_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.outbox_panel.changed.connect(self._outbox_changed)
        # Insights and Catalog sync are built the first time their panel is shown: their modules
        # (matplotlib, the sync engine) cost ~1.4 s to import, which start-up must not pay.
        self.insights_store: Any = None
        self.insights_view: Any = None
        # In a scroll area: the view's charts need ~900×530 px, which must not become the window's
        # minimum size (a laptop screen) — the dock scrolls instead.
        self.insights_scroll = QScrollArea()
        self.insights_scroll.setWidgetResizable(True)
        self.insights_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.insights_scroll.setWidget(QLabel("Loading insights…"))
        self.insights_dock = self._dock(
            "Insights", "dock.insights", self.insights_scroll, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.insights_dock.visibilityChanged.connect(lambda shown: shown and self._ensure_insights_view())
        self.sync_panel: Any = None
        self.sync_dock = self._dock(
            "Catalog sync",
            "dock.catalog_sync",
            QLabel("Loading catalog sync…"),
            Qt.DockWidgetArea.BottomDockWidgetArea,
        )
        self.sync_dock.visibilityChanged.connect(lambda shown: shown and self._ensure_sync_panel())
        # Not tabified with the Outbox: Qt lays a tabified-then-hidden group out wrongly on first
        # show (a stray tab bar, a window taller than asked). Side by side when several are open.
        # Recent posts (and Stories before their 24 h close) are refreshed while the app runs.
        self.insights_timer = QTimer(self)
        self.insights_timer.setInterval(INSIGHTS_REFRESH_MS)
        self.insights_timer.timeout.connect(self.refresh_due_insights)
        for dock in (self.catalog_dock, self.posts_dock, self.history_dock):
            self.tabifyDockWidget(self.inspector_dock, dock)
        self.library.currentMediaChanged.connect(self.show_media)
        self.library.filesDropped.connect(self.add_media_paths)
        self.library.selectionChanged.connect(self._library_selection)

    def _build_status(self) -> None:
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the background work")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.bridge.cancel_all)
        self.status_text = QLabel("")
        # Shown while an account's login is refused (Meta 190 / Pinterest 401): one click to sign in again.
        self._needs_reconnect: set[str] = set()
        self.reconnect_button = QPushButton("")
        self.reconnect_button.setVisible(False)
        self.reconnect_button.setStyleSheet("color: #d32f2f;")
        self.reconnect_button.clicked.connect(self.reconnect_accounts)
        self.stale_button = QPushButton("")  # "3 items show an old price … — Review…"
        self.stale_button.setVisible(False)
        self.stale_button.setFlat(True)
        self.stale_button.clicked.connect(self.stale_prices_dialog)
        self.jobs_label = QLabel("")
        self.jobs_label.setVisible(False)
        self.jobs_label.setMaximumWidth(320)
        self.zoom_label = QLabel("")
        self.zoom_label.setToolTip("Zoom (Ctrl+0 fits, Ctrl+1 is 100 %)")
        holder = QWidget()
        hl = QHBoxLayout(holder)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.stale_button)
        hl.addWidget(self.reconnect_button)
        hl.addWidget(self.jobs_label)
        hl.addWidget(self.progress)
        hl.addWidget(self.cancel_button)
        hl.addWidget(self.zoom_label)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(holder)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{round(z * 100)} %"))
        self._job_progress: tuple[int, int, str] | None = None

    def _build_actions(self) -> None:
        self.action_map = registry.build_actions(self, self)
        self.recent_menu = QMenu("Open &recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.menus = registry.build_menus(
            self.menuBar(), self.action_map, submenus_after={"file.open": self.recent_menu}
        )
        self.toolbar = QToolBar("Main toolbar", self)
        self.toolbar.setObjectName("toolbar.main")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        registry.build_toolbar(self.toolbar, self.action_map)
        self.addToolBar(self.toolbar)
        self._fill_recent_menu()
        self.action_map["edit.undo"].setIconText("Undo")
        self.action_map["edit.redo"].setIconText("Redo")
        export = self.action_map["file.export"]
        if not export_available():
            export.setEnabled(False)
            export.setToolTip(EXPORT_PENDING_TIP)
            export.setStatusTip(EXPORT_PENDING_TIP)
        for dock, action_id in self._dock_actions():
            action = self.action_map[action_id]
            self._sync_toggle(action, True)  # state only: a handler here would build lazy panels
            dock.toggleViewAction().toggled.connect(lambda on, a=action: self._sync_toggle(a, on))
        self.action_map["view.tag_tool"].setChecked(True)  # the canvas starts with the Tag tool

    def _dock_actions(self) -> list[tuple[QDockWidget, str]]:
        return [
            (self.library_dock, "view.show_library"),
            (self.inspector_dock, "view.show_inspector"),
            (self.catalog_dock, "view.show_catalog"),
            (self.posts_dock, "view.show_posts"),
            (self.history_dock, "view.show_history"),
            (self.outbox_dock, "view.show_outbox"),
            (self.insights_dock, "view.show_insights"),
            (self.sync_dock, "view.show_catalog_sync"),
        ]

    @staticmethod
    def _sync_toggle(action: QAction, on: bool) -> None:
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)

    def _restore_layout(self) -> None:
        qs = window_settings()
        geometry = qs.value("window/geometry")
        state = qs.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._layout_restored = isinstance(state, QByteArray) and self.restoreState(state)
        if not self._layout_restored:
            # First run: the bottom panels (Outbox, Insights, Catalog sync) open from View when
            # wanted — the Outbox also by itself when a post is queued; the canvas keeps the room.
            for dock in (self.outbox_dock, self.insights_dock, self.sync_dock):
                dock.hide()
        for dock, action_id in self._dock_actions():
            self._sync_toggle(self.action_map[action_id], not dock.isHidden())

    def save_layout(self) -> None:
        qs = window_settings()
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState())
        qs.sync()

    # --- workspace lifecycle ----------------------------------------------------------------

    @property
    def workspace(self) -> Workspace | None:
        return self.doc.workspace if self.doc is not None else None

    def open_workspace(self, root: str | Path) -> bool:
        """Open a workspace folder (asking to save the current one first); False if not opened."""
        if not self.close_document():
            return False
        try:
            ws = Workspace.open(root)
        except StudioError as exc:
            self.show_error(exc, title="Cannot open workspace")
            return False
        doc = Document(ws)
        try:
            pending = recovery.pending_recovery(ws.root)
        except StudioError as exc:  # a damaged recovery file must not keep the workspace closed
            log.warning("recovery check failed: %s", exc)
            pending = None
        if pending is not None:
            if self.ask_recover(pending):
                doc.adopt_recovered(pending.project)
            else:
                recovery.discard_recovery(ws.root)
        self.set_document(doc)
        self.app_settings.remember_workspace(ws.root)
        try:
            self.app_settings.save()
        except OSError as exc:  # settings are a convenience, never a reason to fail an open
            log.warning("cannot save app settings: %s", exc)
        return True

    def set_workspace(self, ws: Workspace) -> None:
        """Show an already opened Workspace (tests, the demo); the current one closes unasked."""
        if self.doc is not None:
            self._drop_document()
        self.set_document(Document(ws))

    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self._drop_document()
        self.doc = doc
        doc.setParent(self)
        for signal, slot in self._doc_connections(doc):
            signal.connect(slot)
        self.history.setStack(doc.undo_stack)
        self.thumbs.set_document(doc)
        self.catalog.set_document(doc)
        self.controller.set_document(doc)
        self.library.set_document(doc)
        self._update_title()
        self._update_enabled()
        self.status_text.setText(f"Opened {doc.project.name}: {len(doc.project.media)} media")
        first = doc.project.media[0].id if doc.project.media else ""
        if first:
            self.library.select_media([first])
            self.canvas.setFocus()  # keyboard first: T, V, arrows and Delete work at once
        self._start_outbox(doc)
        self._open_insights(doc)
        if self.sync_panel is not None:
            self.sync_panel.set_workspace(doc.workspace.root)
        self.workspace_changed.emit()

    def _doc_connections(self, doc: Document) -> list[tuple[Any, Any]]:
        stack = doc.undo_stack
        return [
            (doc.dirtyChanged, self._update_title),
            (doc.saved, self._saved),
            (doc.autosaveFailed, self._autosave_failed),
            (stack.canUndoChanged, self._update_enabled),
            (stack.canRedoChanged, self._update_enabled),
            (stack.undoTextChanged, self._update_enabled),
            (stack.redoTextChanged, self._update_enabled),
        ]

    def _saved(self) -> None:
        self.status_text.setText("Saved")

    def _autosave_failed(self, error: StudioError) -> None:
        self.show_error(error)

    def close_document(self) -> bool:
        """Close the open workspace, asking Save / Discard / Cancel if it has unsaved changes."""
        doc = self.doc
        if doc is None:
            return True
        if doc.dirty:
            choice = self.ask_save_changes()
            if choice == "cancel":
                return False
            if choice == "save":
                if not self.save():
                    return False
            else:
                doc.discard_changes()
        self._drop_document()
        return True

    def _drop_document(self) -> None:
        doc = self.doc
        if doc is None:
            return
        for signal, slot in self._doc_connections(doc):
            with contextlib.suppress(RuntimeError, TypeError):  # already gone with its sender
                signal.disconnect(slot)
        self._stop_outbox()
        self.insights_timer.stop()
        if self.sync_panel is not None:
            self.sync_panel.cancel_all()
            self.sync_panel.set_workspace(None)
        # Jobs may still read the workspace (an import writes its catalog, the Insights view reads
        # its store): stop them before closing anything they use.
        self.bridge.cancel_all()
        self.bridge.wait(10000)
        self._close_insights()
        self.library.model.cancel_pending()
        self.controller.set_document(None)
        self.library.set_document(None)
        self.catalog.set_document(None)
        self.thumbs.set_document(None)
        self.history.setStack(None)  # type: ignore[arg-type]  # PySide accepts None: no stack
        self.doc = None
        doc.close()
        doc.deleteLater()
        self._update_title()
        self._update_enabled()
        self.workspace_changed.emit()

    # --- questions (tests replace these) ----------------------------------------------------

    def ask_save_changes(self) -> SaveChoice:
        name = self.doc.project.name if self.doc else "this workspace"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            APP_TITLE,
            f"Save the changes to “{name}” before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return "save"
        if answer == QMessageBox.StandardButton.Discard:
            return "discard"
        return "cancel"

    def ask_recover(self, pending: recovery.PendingRecovery) -> bool:
        when = datetime.fromtimestamp(pending.modified).strftime("%Y-%m-%d %H:%M")
        box = QMessageBox(
            QMessageBox.Icon.Question, APP_TITLE, f"Recover unsaved work from {when}?", parent=self
        )
        box.setInformativeText(
            "Shoppable Studio closed without saving this workspace. Recover keeps the unsaved tags and "
            "posts (save them with Ctrl+S); Discard deletes them."
        )
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(recover)
        box.exec()
        return box.clickedButton() is recover

    def ask_missed_schedules(self, count: int) -> MissedChoice:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            APP_TITLE,
            f"{count} scheduled post{'s were' if count != 1 else ' was'} missed while the studio was closed",
            parent=self,
        )
        box.setInformativeText("Publish them now, skip them, or decide later in the Outbox panel.")
        publish = box.addButton("Publish now", QMessageBox.ButtonRole.AcceptRole)
        skip = box.addButton("Skip", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(publish)
        box.exec()
        clicked = box.clickedButton()
        return "publish" if clicked is publish else "skip" if clicked is skip else "later"

    def show_error(self, error: StudioError | Exception, title: str = APP_TITLE) -> None:
        text = error.message() if isinstance(error, StudioError) else str(error)
        self.status_text.setText(text.splitlines()[0][:200])
        QMessageBox.warning(self, title, text)

    def show_problems(self, title: str, summary: str, problems: Sequence[str]) -> None:
        """One dialog for a batch's problems: each line names the file (or row) and the reason."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, summary, parent=self)
        box.setInformativeText("\n".join(problems[:8]) + ("\n…" if len(problems) > 8 else ""))
        box.setDetailedText("\n".join(problems))
        box.exec()

    def run_dialog(self, dialog: QDialog) -> bool:
        """Run a modal dialog (tests replace this to drive it); True if accepted."""
        return bool(dialog.exec())

    # --- file actions -----------------------------------------------------------------------

    def new_workspace_dialog(self) -> None:
        dialog = NewWorkspaceDialog(self)
        if self.run_dialog(dialog) and dialog.folder.text().strip():
            self.create_workspace(Path(dialog.folder.text().strip()).expanduser(), **dialog.options())

    def create_workspace(self, folder: Path, **options: Any) -> bool:
        if not self.close_document():
            return False
        try:
            ws = Workspace.create(folder, **options)
        except StudioError as exc:
            self.show_error(exc, title="Cannot create workspace")
            return False
        self.set_document(Document(ws))
        self.app_settings.remember_workspace(ws.root)
        self.app_settings.save()
        return True

    def open_workspace_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open workspace")
        if folder:
            self.open_workspace(folder)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        current = str(self.workspace.root) if self.workspace else ""
        entries = [r for r in self.app_settings.recent if r != current]
        for i, path in enumerate(entries[:9], start=1):
            action = self.recent_menu.addAction(f"&{i} {Path(path).name} — {path}")
            action.triggered.connect(lambda _c=False, p=path: self.open_workspace(p))
        if not entries:
            self.recent_menu.addAction("No recent workspaces").setEnabled(False)

    def import_catalog_dialog(self) -> None:
        if self.doc is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Import catalog", "", "Catalog files (*.csv *.tsv *.txt *.xml);;All files (*)"
        )
        if path:
            self.import_catalog_file(Path(path))

    def import_catalog_file(self, path: Path) -> None:
        from studio.jobs.import_catalog import import_catalog  # lazy: keeps start-up short

        doc = self.doc
        if doc is None:
            return
        self.bridge.submit(
            import_catalog,
            path,
            doc.catalog,
            currency=doc.project.currency,
            store_url=doc.project.store_url,
            label=f"importing {path.name}",
            on_progress=self.show_job_progress,
            on_result=lambda report: self._catalog_imported(doc, report),
            on_error=self.show_error,
            on_cancelled=lambda: self.status_text.setText("Import cancelled"),
        )

    def _catalog_imported(self, doc: Document, report: Any) -> None:
        self._job_progress = None
        if doc is not self.doc:
            return
        doc.catalog_changed()
        summary = (
            f"Imported {report.products} products from {Path(report.file).name} "
            f"({report.created} new, {report.updated} updated)"
        )
        self.status_text.setText(summary)
        if len(report.problems):
            lines = [p.describe(Path(report.file).name) for p in report.problems]
            self.show_problems("Catalog import", f"{summary}; {len(report.problems)} problem(s):", lines)
        self.check_stale_prices()

    # --- price integrity ----------------------------------------------------------------------

    def check_stale_prices(self) -> None:
        """After a catalog change: do exports or live posts now show an old price? (worker)"""
        from studio.ui.stale_dialog import load_stale

        doc = self.doc
        if doc is None:
            return
        self.bridge.submit(load_stale, doc.workspace, label="Checking prices", on_result=self._show_stale)

    def _show_stale(self, items: list[Any]) -> None:
        from studio.core.price_ledger import status_text

        text = status_text(items)
        self.stale_button.setText(text)
        self.stale_button.setVisible(bool(text))

    def stale_prices_dialog(self) -> None:
        """File → Old prices…: what shows an old price or a sold-out product, with Re-render."""
        from studio.ui.stale_dialog import StaleDialog

        doc = self.doc
        if doc is None:
            return
        dialog = StaleDialog(doc.workspace, doc.project, self.bridge, self)
        dialog.open_media.connect(self.show_media)
        dialog.stale_changed.connect(self._show_stale)
        wanted: list[str] = []
        dialog.republish.connect(wanted.append)
        self.run_dialog(dialog)
        if wanted:  # after the modal dialog closed: the Publish dialog for that post
            self.posts_dock.show()
            self.posts_dock.raise_()
            self.posts.select_post(wanted[0])
            self.publish_dialog()

    def add_media_dialog(self) -> None:
        from studio.media.formats import file_dialog_filter

        files, _ = QFileDialog.getOpenFileNames(self, "Add media", "", file_dialog_filter())
        if files:
            self.add_media_paths([Path(f) for f in files])

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos and videos")
        if folder:
            self.add_media_paths([Path(folder)])

    def add_media_paths(self, paths: Iterable[Path]) -> None:
        """Add files/folders in a worker (progress + Cancel in the status bar); the model is
        only touched back on the GUI thread, with the job's report."""
        from studio.jobs.add_media import add_media  # lazy: PyAV and friends load on first use

        doc = self.doc
        paths = list(paths)
        if doc is None or not paths:
            return
        # The job reads the known hashes and appends to this throwaway project, never to the live one.
        scratch = Project(name=doc.project.name, media=list(doc.project.media))
        self.bridge.submit(
            add_media,
            paths,
            scratch,
            doc.workspace.root,
            label="adding media",
            on_progress=self.show_job_progress,
            on_result=lambda report: self._media_added(doc, report),
            on_error=self.show_error,
            on_cancelled=lambda: self.status_text.setText("Adding media cancelled; nothing was added"),
        )

    def _media_added(self, doc: Document, report: Any) -> None:
        self._job_progress = None
        if doc is not self.doc:
            return
        known = {m.content_hash for m in doc.project.media}
        added = [m for m in report.added if m.content_hash not in known]
        if added:
            doc.project.media.extend(added)
            doc.media_list_changed()
            self.library.select_media([m.id for m in added], added[0].id)
        summary = f"Added {len(added)} media"
        if report.duplicates:
            summary += f", {len(report.duplicates)} already in the workspace"
        self.status_text.setText(summary)
        if report.problems:
            self.show_problems(
                "Add media",
                f"{summary}. {len(report.problems)} file(s) could not be added:",
                [
                    msg if Path(path).name in msg else f"{Path(path).name}: {msg}"
                    for path, msg in report.problems
                ],
            )

    def save(self) -> bool:
        if self.doc is None:
            return True
        try:
            self.doc.save()
        except StudioError as exc:
            self.show_error(exc, title="Cannot save")
            return False
        return True

    def export_dialog(self) -> None:
        if self.doc is None or not export_available():
            self.status_text.setText(EXPORT_PENDING_TIP)
            return
        dialog = ExportDialog(self.doc, self)
        if self.run_dialog(dialog):
            self.export(dialog.chosen_presets(), dialog.chosen_kinds(), dialog.out_dir(), dialog.only())

    def export(self, presets: Sequence[Any], kinds: Sequence[str], out_dir: Path, only: str = "all") -> None:
        """Run the batch export on a snapshot of the project (unsaved tags included), with a
        non-modal dialog listing each media × size as it goes (and Cancel)."""
        from studio.jobs.export_batch import export_batch, select_media
        from studio.ui.export_progress import ExportProgressDialog

        doc = self.doc
        if doc is None:
            return
        if not presets or not kinds:
            self.status_text.setText("Nothing to export: choose at least one size and one output")
            return
        try:
            chosen = select_media(doc.project, only)
        except StudioError as exc:
            self.show_error(exc)
            return
        dialog = ExportProgressDialog(
            [(m.id, m.name or Path(m.path).name) for m in chosen], [p.name for p in presets], out_dir, self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        job = self.bridge.submit(
            export_batch,
            doc.workspace.root,
            copy.deepcopy(doc.project),
            doc.workspace.catalog_path,
            list(presets),
            list(kinds),
            out_dir,
            only=only,
            workers=self.export_workers,
            label="exporting",
            **dialog.wire(
                on_progress=self.show_job_progress,
                on_result=lambda manifest: self._exported(out_dir, manifest, problems_box=False),
                on_error=self.show_error,
                on_cancelled=lambda: self.status_text.setText("Export cancelled; finished files were kept"),
            ),
        )
        dialog.attach(job)
        dialog.show()

    def _exported(self, out_dir: Path, manifest: Any, problems_box: bool = True) -> None:
        self._job_progress = None
        summary = manifest.summary()
        text = (
            f"Exported {summary['exported']} media ({summary['outputs_written']} file(s) written, "
            f"{summary['unchanged']} unchanged) to {out_dir}"
        )
        self.status_text.setText(text)
        problems = [str(p.get("message", p)) for item in manifest.items for p in item.problems]
        problems += [str(p.get("message", p)) for p in manifest.problems]
        if problems and problems_box:  # the progress dialog lists them already
            self.show_problems("Export", f"{text}. {len(problems)} problem(s):", problems)

    # --- edit actions -----------------------------------------------------------------------

    def undo(self) -> None:
        if self.doc is not None:
            self.doc.undo_stack.undo()

    def redo(self) -> None:
        if self.doc is not None:
            self.doc.undo_stack.redo()

    def copy_tags(self) -> None:
        n = self.controller.copy_tags()
        self.status_text.setText(f"Copied {n} tag(s)" if n else "No tag to copy")
        self._update_enabled()

    def paste_tags(self) -> None:
        selected = self.library.selected_media_ids()
        targets = (
            selected
            if len(selected) > 1
            else ([self.controller.media_id] if self.controller.media_id else [])
        )
        n = self.controller.paste_tags(targets)
        if n:
            self.status_text.setText(
                f"Pasted {len(self.controller.clipboard)} tag(s) onto {len(targets)} media"
            )

    def delete_selected(self) -> None:
        self.controller.delete_selected()

    def select_all_tags(self) -> None:
        """Ctrl+A selects the tags on the canvas — or every listed media when the library has focus
        (then Ctrl+V pastes onto all of them)."""
        if self.library.view.hasFocus():
            self.library.view.selectAll()
        else:
            self.canvas.select_all()

    def crop_dialog(self, preset: str | None = None) -> None:
        """File → Crop for sizes… on the open photo (OK is one undo step)."""
        from studio.ui.crop_dialog import CropDialog

        doc, media_id = self.doc, self.controller.media_id
        if doc is None or not media_id:
            self.status_text.setText("Open a photo to set its crop for each size")
            return
        try:
            dialog = CropDialog(doc, media_id, self, bridge=self.bridge, preset=preset)
        except StudioError as exc:
            self.show_error(exc)
            return
        self.run_dialog(dialog)

    def label_style_dialog(self) -> None:
        if self.doc is None:
            return
        dialog = LabelStyleDialog(
            self.doc.label_style, locale=self.doc.locale, currency=self.doc.project.currency, parent=self
        )
        if self.run_dialog(dialog):
            commands.set_label_style(self.doc, dialog.result_style())

    # --- view actions -----------------------------------------------------------------------

    def zoom_in(self) -> None:
        self.canvas.zoom_in()

    def zoom_out(self) -> None:
        self.canvas.zoom_out()

    def zoom_fit(self) -> None:
        self.canvas.fit()

    def zoom_actual(self) -> None:
        self.canvas.actual_size()

    def use_tag_tool(self, checked: bool) -> None:
        if checked:
            self.canvas.set_tool("tag")

    def use_select_tool(self, checked: bool) -> None:
        if checked:
            self.canvas.set_tool("select")

    def focus_media_search(self) -> None:
        self.library_dock.show()
        self.library.search.setFocus()
        self.library.search.selectAll()

    def focus_product_search(self) -> None:
        self.catalog_dock.show()
        self.catalog_dock.raise_()
        self.catalog.search.setFocus()
        self.catalog.search.selectAll()

    def _toggle(self, dock: QDockWidget, on: bool) -> None:
        dock.setVisible(on)
        if on:
            dock.raise_()

    def toggle_library(self, on: bool) -> None:
        self._toggle(self.library_dock, on)

    def toggle_inspector(self, on: bool) -> None:
        self._toggle(self.inspector_dock, on)

    def toggle_catalog(self, on: bool) -> None:
        self._toggle(self.catalog_dock, on)

    def toggle_posts(self, on: bool) -> None:
        self._toggle(self.posts_dock, on)

    def toggle_history(self, on: bool) -> None:
        self._toggle(self.history_dock, on)

    def toggle_outbox(self, on: bool) -> None:
        self._toggle(self.outbox_dock, on)

    def toggle_insights(self, on: bool) -> None:
        if on:
            self._ensure_insights_view()
        self._toggle(self.insights_dock, on)

    def toggle_catalog_sync(self, on: bool) -> None:
        if on:
            self._ensure_sync_panel()
        self._toggle(self.sync_dock, on)

    def _show_product(self, product_id: str) -> None:
        """A sync problem was double-clicked: the catalog panel shows that product."""
        self.catalog_dock.show()
        self.catalog_dock.raise_()
        self.catalog.search.setText(product_id)

    # --- insights ---------------------------------------------------------------------------

    def _ensure_insights_view(self) -> Any:
        """The Insights view, built on first use (see `_build_docks`)."""
        if self.insights_view is None:
            from studio.ui.insights_view import InsightsView

            self.insights_view = InsightsView(self.bridge)
            self.insights_view.refresh_requested.connect(self.pull_insights)
            self.insights_scroll.setWidget(self.insights_view)
            if self.doc is not None:
                self._attach_insights(self.doc)
        return self.insights_view

    def _ensure_sync_panel(self) -> Any:
        """The Catalog sync panel, built on first use."""
        if self.sync_panel is None:
            from studio.ui.sync_panel import SyncPanel

            self.sync_panel = SyncPanel(bridge=self.bridge)
            self.sync_panel.productActivated.connect(self._show_product)
            self.sync_dock.setWidget(self.sync_panel)
            if self.doc is not None:
                self.sync_panel.set_workspace(self.doc.workspace.root)
        return self.sync_panel

    def _open_insights(self, doc: Document) -> None:
        """Opening a workspace only starts the refresh timer: the store (SQLite, maybe a schema
        migration) is opened when the view or a pull first needs it, off the open path."""
        self.insights_store = None
        if self.insights_view is not None:
            self._attach_insights(doc)
        self.insights_timer.start()

    def _insights_store(self) -> Any:
        from studio.core.insights_store import InsightsStore

        if self.insights_store is None and self.doc is not None:
            try:
                self.insights_store = InsightsStore.open(self.doc.workspace.root)
            except StudioError as exc:
                log.warning("insights unavailable: %s", exc)
        return self.insights_store

    def _attach_insights(self, doc: Document) -> None:
        from studio.ui.insights_view import CatalogTitles

        self.insights_view.set_store(
            self._insights_store(),
            titles=CatalogTitles(doc.catalog.get),
            post_labels={p.id: " ".join(p.caption.split())[:60] or p.id for p in doc.project.posts},
            locale=doc.project.locale,
            report_title=f"{doc.project.name} — insights",
        )

    def _close_insights(self) -> None:
        self.insights_timer.stop()
        if self.insights_view is not None:
            self.insights_view.set_store(None)
            self.insights_view.shutdown()  # chart renders may still read the store
        if self.insights_store is not None:
            self.insights_store.close()
            self.insights_store = None

    def pull_insights(self) -> None:
        """Refresh (Insights view): every published post's metrics, in a worker; one failing post
        does not stop the others, and the report says which failed and why."""
        from studio.jobs.insights import pull

        doc = self.doc
        if doc is None or self._insights_store() is None:
            return
        self.bridge.submit(
            pull,
            doc.workspace.root,
            label="Pulling insights",
            on_result=self._insights_pulled,
            on_error=self.show_error,
        )

    def refresh_due_insights(self) -> None:
        """The timer: only posts that are due (recent ones, Stories before they close)."""
        from studio.jobs.insights import refresh_due

        doc = self.doc
        if doc is None or self.bridge.running or self._insights_store() is None:
            return
        self.bridge.submit(
            refresh_due,
            doc.workspace.root,
            next_check=timedelta(milliseconds=INSIGHTS_REFRESH_MS),
            label="Refreshing insights",
            on_result=self._insights_pulled,
            on_error=lambda error: log.warning("insights refresh: %s", error.message()),
        )

    def _insights_pulled(self, report: Any) -> None:
        if self.insights_view is not None:
            self.insights_view.reload()
        warnings = list(getattr(report, "warnings", []) or [])
        failed = int(getattr(report, "failed", 0) or 0)
        ok = int(getattr(report, "ok", 0) or 0)
        if failed or warnings:
            first = warnings[0] if warnings else ""
            self.status_text.setText(f"Insights: {ok} post(s) updated, {failed} failed. {first}".strip())
        elif ok:
            self.status_text.setText(f"Insights: {ok} post(s) updated")

    # --- outbox -----------------------------------------------------------------------------

    def _start_outbox(self, doc: Document) -> None:
        """A runner per open workspace; missed schedules are offered once, right after opening."""
        runner = OutboxRunner(
            doc.workspace.root,
            self.bridge,
            registry_fn=self.outbox_registry_fn,
            run_fn=self.outbox_run_fn,
            parent=self,
        )
        self.outbox_runner = runner
        runner.jobsChanged.connect(self.outbox_panel.refresh)
        runner.published.connect(self._outbox_published)
        runner.needsReconnect.connect(self._account_needs_reconnect)
        runner.unavailable.connect(lambda text: self.status_text.setText(f"Outbox paused: {text}"))
        runner.failed.connect(lambda text: self.status_text.setText(f"Publishing: {text}"))

        def caption(post_id: str) -> str:
            post = next((p for p in doc.project.posts if p.id == post_id), None)
            return post.caption if post is not None else ""

        self.outbox_panel.set_source(runner.outbox, caption)
        box = runner.outbox()
        if box is not None and box.jobs(("queued", "running", "failed")):
            self.outbox_dock.show()  # work is waiting: the user should see it
        missed = box.missed() if box is not None else []
        if missed:
            choice = self.ask_missed_schedules(len(missed))
            for job in missed:
                if choice == "publish":
                    box.publish_now(job.id)  # type: ignore[union-attr]
                elif choice == "skip":
                    box.skip(job.id)  # type: ignore[union-attr]
            self.outbox_panel.refresh()
        runner.start()

    def _stop_outbox(self) -> None:
        runner, self.outbox_runner = self.outbox_runner, None
        self.outbox_panel.set_source(None)
        if runner is not None:
            runner.stop()
            runner.deleteLater()

    def _outbox_changed(self) -> None:
        self.outbox_panel.refresh()
        if self.outbox_runner is not None:
            self.outbox_runner.kick()

    def _outbox_published(self, post_id: str, platform: str, permalink: str) -> None:
        self.status_text.setText(f"Published on {platform}: {permalink or post_id}")

    # --- video, post, help ------------------------------------------------------------------

    def play_pause(self) -> None:
        self.controller.play_pause()

    def next_frame(self) -> None:
        self.controller.step(1)

    def prev_frame(self) -> None:
        self.controller.step(-1)

    def add_keyframe(self) -> None:
        if self.controller.is_video():
            self.canvas.add_keyframe_at_playhead()

    def new_post_from_selection(self) -> None:
        """The posts panel's own "New post from selection" (same rules, selects the new post)."""
        ids = self.library.selected_media_ids() or (
            [self.controller.media_id] if self.controller.media_id else []
        )
        if self.doc is None or not ids:
            return
        self.posts.set_selected_media(ids)
        self.posts.new_button.click()
        self.posts_dock.show()
        self.posts_dock.raise_()

    def accounts_dialog(self, select: str | None = None) -> None:
        """Settings → Accounts: connecting runs in a worker, so the window stays live meanwhile."""
        from studio.ui.accounts_dialog import AccountsDialog, open_registry

        registry, problem = open_registry()
        dialog = AccountsDialog(
            registry, self.bridge, unavailable=problem, needs_reconnect=self._needs_reconnect, parent=self
        )
        dialog.reconnected.connect(self._account_reconnected)
        if select:
            with contextlib.suppress(KeyError):
                dialog.select_account(select)
        self.run_dialog(dialog)

    # --- expired / revoked logins -----------------------------------------------------------

    def _account_needs_reconnect(self, name: str) -> None:
        """A job stopped because the platform refused the account's login: it waits, never loops."""
        self._needs_reconnect.add(name)
        self.status_text.setText(
            f"{name}: the login expired or was revoked; its posts wait until you reconnect."
        )
        self._update_reconnect_button()

    def _update_reconnect_button(self) -> None:
        names = sorted(self._needs_reconnect)
        if not names:
            self.reconnect_button.setVisible(False)
            return
        self.reconnect_button.setText(
            f"Reconnect {names[0]}…" if len(names) == 1 else f"Reconnect {len(names)} accounts…"
        )
        self.reconnect_button.setToolTip("Sign in again: " + ", ".join(names))
        self.reconnect_button.setVisible(True)

    def reconnect_accounts(self) -> None:
        """Status-bar "Reconnect <account>…": the Accounts dialog with that account selected."""
        first = min(self._needs_reconnect) if self._needs_reconnect else None
        self.accounts_dialog(select=first)

    def _account_reconnected(self, name: str) -> None:
        """New login for `name`: the jobs that waited for it are queued again (each resumes its steps)."""
        from studio.publish.outbox import FAILED

        self._needs_reconnect.discard(name)
        self._update_reconnect_button()
        box = self.outbox_runner.outbox() if self.outbox_runner is not None else None
        requeued = 0
        if box is not None:
            for job in box.jobs([FAILED]):
                if job.account == name and (job.last_error or "").startswith("Reconnect "):
                    requeued += int(box.retry(job.id))
        if requeued:
            self.status_text.setText(f"{name} reconnected: {requeued} waiting post(s) queued again.")
            self._outbox_changed()
        else:
            self.status_text.setText(f"{name} reconnected.")

    def publish_dialog(self) -> None:
        """Post → Publish… for the post selected in the posts panel."""
        from studio.ui.accounts_dialog import open_registry
        from studio.ui.publish_dialog import PublishDialog, default_check_catalog, default_read_quota

        doc = self.doc
        if doc is None:
            return
        self.posts.commit_caption()  # publish what the editor shows, not the last committed caption
        post = self.posts.current_post()
        if post is None:
            self.posts_dock.show()
            self.status_text.setText("Select a post in the Posts panel to publish it")
            return
        registry, problem = open_registry()
        if registry is None:
            if problem is not None:
                self.show_error(problem)
            self.accounts_dialog()
            return
        dialog = PublishDialog(
            post,
            doc,
            registry,
            self.bridge,
            read_quota_fn=default_read_quota,
            check_catalog_fn=default_check_catalog,
            parent=self,
        )

        def edited(after: Any, text: str) -> None:
            commands.set_posts(doc, [after if p.id == after.id else p for p in doc.project.posts], text)

        def fix(action: dict[str, Any]) -> None:
            current = self.posts.current_post() or post
            message = self.apply_publish_fix(current, action, edited)
            if isinstance(message, Post):
                dialog.set_post(message)
            elif message:
                self.status_text.setText(message)
            else:
                dialog.set_post(self.posts.current_post() or current)  # re-check what changed

        dialog.postEdited.connect(edited)
        dialog.fixRequested.connect(fix)
        dialog.published.connect(lambda ids: self.status_text.setText(f"Queued {len(ids)} publishing job(s)"))
        dialog.published.connect(lambda ids: self._outbox_changed())
        dialog.published.connect(lambda ids: (self.outbox_dock.show(), self.outbox_dock.raise_()))
        self.run_dialog(dialog)

    def apply_publish_fix(
        self, post: Post, fix: dict[str, Any], edited: Callable[[Post, str], None]
    ) -> Post | str | None:
        """Apply a checker finding's Fix (one undo step each). Returns the new post, a status
        message when the fix needs the user elsewhere, or None after a workspace-level change."""
        from studio.core.post_fixes import apply_post_fix
        from studio.publish.fallback import PREFS_KEY
        from studio.ui.publish_dialog import fix_label

        doc = self.doc
        if doc is None:
            return "No workspace is open"
        action = str(fix.get("action", ""))
        after = apply_post_fix(post, fix)
        if after is not None:
            edited(after, fix_label(fix))
            return after
        if action == "remove_tags":
            tag_ids = list(fix.get("tag_ids") or [])  # the unknown product's tag, or those over the limit
            media = doc.project.media_by_id(str(fix.get("media_id")))
            if media is None or not tag_ids:
                return "That media is no longer in the workspace"
            commands.remove_tags(doc, media.id, tag_ids)
            return None
        if action == "set_fallback":
            prefs = dict(doc.project.extra.get(PREFS_KEY) or {})
            modes = list(prefs.get("fallback") or [])
            for mode in fix.get("modes") or []:
                if mode not in modes:
                    modes.insert(0, mode)
            prefs["fallback"] = modes
            commands.set_extra(doc, PREFS_KEY, prefs, "Use the labeled render for fallbacks")
            return None
        if action == "rerender" and fix.get("media_id"):
            # Publish re-renders to the size by itself; the user may want to choose what the crop keeps.
            self.show_media(str(fix["media_id"]))
            self.crop_dialog(preset=str(fix.get("preset") or "") or None)
            return None
        if action == "edit_product":
            self.catalog_dock.show()
            return f"Add the product's URL to the catalog ({fix.get('product_id')}), then re-import it"
        return f"{fix_label(fix)}: do it in the editor, then check again"

    # --- shop the look ----------------------------------------------------------------------

    def shop_the_look(self) -> None:
        """Edit → Shop the look: suggestions for the open photo (or the selected ones), in a worker."""
        self.shop.run()

    def track_tags(self) -> None:
        """Video → Track tags: follow the selected tags through the video (undoable)."""
        self.shop.track_selected()

    def show_shortcuts(self) -> None:
        self.run_dialog(ShortcutsDialog(self))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Tag products on photos and videos, then publish "
            "shoppable posts.",
        )

    # --- state -> widgets -------------------------------------------------------------------

    def show_media(self, media_id: str) -> None:
        self.controller.show_media(media_id)

    def _media_shown(self, media_id: str, is_video: bool) -> None:
        self.canvas.setVisible(bool(media_id))
        self.empty_hint.setVisible(not media_id)
        self.timeline.setVisible(is_video)
        self._update_enabled()

    def _library_selection(self, ids: list[str]) -> None:
        self.posts.set_selected_media(ids)
        self._update_enabled()

    def _update_title(self, *_args: Any) -> None:
        if self.doc is None:
            self.setWindowTitle(APP_TITLE)
            return
        marker = "• " if self.doc.dirty else ""
        self.setWindowTitle(f"{marker}{self.doc.project.name} — {APP_TITLE}")

    def _update_enabled(self, *_args: Any) -> None:
        doc = self.doc
        has_doc = doc is not None
        media = bool(self.controller.media_id) if hasattr(self, "controller") else False
        video = self.controller.is_video() if hasattr(self, "controller") else False
        a = self.action_map
        stack = doc.undo_stack if doc is not None else None
        a["edit.undo"].setEnabled(bool(stack and stack.canUndo()))
        a["edit.redo"].setEnabled(bool(stack and stack.canRedo()))
        undo = stack.undoText().replace("&", "&&") if stack and stack.canUndo() else ""
        redo = stack.redoText().replace("&", "&&") if stack and stack.canRedo() else ""
        a["edit.undo"].setText(f"&Undo {undo}".strip())  # the menu says what; the toolbar keeps "Undo"
        a["edit.redo"].setText(f"&Redo {redo}".strip())
        for action_id in (
            "file.import_catalog",
            "file.add_media",
            "file.add_folder",
            "file.save",
            "edit.label_style",
            "post.new",
            "post.publish",
        ):
            a[action_id].setEnabled(has_doc)
        for action_id in (
            "edit.copy",
            "file.crop_sizes",
            "edit.delete",
            "edit.select_all",
            "view.zoom_in",
            "view.zoom_out",
            "view.fit",
            "view.actual_size",
            "vision.shop",
        ):
            a[action_id].setEnabled(media)
        clipboard = bool(hasattr(self, "controller") and self.controller.clipboard)
        a["edit.paste"].setEnabled(has_doc and clipboard)
        for action_id in (
            "video.play",
            "video.next_frame",
            "video.prev_frame",
            "video.add_keyframe",
            "vision.track",
        ):
            a[action_id].setEnabled(video)

    def _update_status(self) -> None:
        """Background work lives in its own label next to the progress bar, so a result message
        ("Imported 120 products") is not overwritten by the thumbnails that follow it."""
        jobs = self.bridge.running
        busy = bool(jobs)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.jobs_label.setVisible(busy)
        if not busy:
            self._job_progress = None
            self.jobs_label.setText("")
            return
        if self._job_progress is None:
            self.progress.setRange(0, 0)
            more = f" (+{len(jobs) - 1})" if len(jobs) > 1 else ""
            self.jobs_label.setText(f"{jobs[0].label}{more}")

    def show_job_progress(self, done: int, total: int, message: str) -> None:
        """Progress of the user's own job (import, add media, export): a real bar and its message."""
        self._job_progress = (done, total, message)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.jobs_label.setVisible(True)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.jobs_label.setText(f"{message} ({done}/{total})" if total else message)

    # --- drag and drop, closing -------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.doc is not None and local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths and self.doc is not None:
            event.acceptProposedAction()
            self.add_media_paths(paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.close_document():
            event.ignore()
            return
        self.save_layout()
        self.bridge.cancel_all()
        self.bridge.wait(5000)
        self.player.close()
        super().closeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._layout_restored:  # first run: a canvas-first default layout
            self._layout_restored = True
            QTimer.singleShot(0, self._default_layout)
        QTimer.singleShot(0, self.library.request_visible_thumbnails)

    def _default_layout(self) -> None:
        """Library two thumbnails wide, panels narrower, the inspector tab in front."""
        docks = [self.library_dock, self.inspector_dock]
        self.resizeDocks(docks, [330, 340], Qt.Orientation.Horizontal)
        # The bottom panels (outbox, insights, sync) start low: the canvas is the workspace.
        self.resizeDocks([self.outbox_dock], [max(160, self.height() // 5)], Qt.Orientation.Vertical)
        self.inspector_dock.raise_()
