"""The media library: a thumbnail grid of the workspace's photos and videos.

Why a model/view (QAbstractListModel + QListView with a painting delegate) and not a
QListWidget: a 1,000-photo workspace must scroll smoothly, so items are plain rows that cost
nothing until painted, and thumbnails are requested only for the rows in (or near) the
viewport. Decoding happens in the WorkerBridge; a job whose row scrolled away before it started
is cancelled. Badges (video duration, tag count, missing file) are painted, not baked into the
thumbnail, because tag counts change with every edit.

The widget holds no business logic: it shows the Document's media and emits what the user
wants (selection, files dropped); the main window runs the add-media job.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelection,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import Media, MediaKind
from studio.core.progress import CancelToken, ProgressFn
from studio.ui.document import Document
from studio.ui.workers import Job, WorkerBridge

THUMB = 128  # on-screen thumbnail square (logical pixels)
THUMB_SOURCE = 256  # cached file size: sharp on a 2x screen
CELL = QSize(THUMB + 16, THUMB + 34)
PRELOAD_SCREENS = 0.5  # also request rows this many viewport heights above/below
MAX_CACHED_PIXMAPS = 800

MEDIA_ID_ROLE = Qt.ItemDataRole.UserRole + 1
MEDIA_ROLE = Qt.ItemDataRole.UserRole + 2
THUMB_READY_ROLE = Qt.ItemDataRole.UserRole + 3
MISSING_ROLE = Qt.ItemDataRole.UserRole + 4


class MediaFilter(StrEnum):
    ALL = "all"
    UNTAGGED = "untagged"
    TAGGED = "tagged"
    IN_POST = "in_post"


FILTER_LABELS = {
    MediaFilter.ALL: "All",
    MediaFilter.UNTAGGED: "Untagged",
    MediaFilter.TAGGED: "Tagged",
    MediaFilter.IN_POST: "In a post",
}


def duration_text(seconds: float | None) -> str:
    """0:07, 12:30, 1:02:03 — a video badge."""
    s = max(0, round(seconds or 0))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def local_paths(mime: QMimeData) -> list[Path]:
    """Local files and folders in a drag from the desktop (remote URLs are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


def thumbnail_job(
    path: Path, cache_dir: Path, content_hash: str, box: int, *, progress: ProgressFn, cancel: CancelToken
) -> QImage:
    """Worker side: the cached thumbnail file (made if needed), decoded and scaled to fit `box`
    device pixels. QImage (unlike QPixmap) may be made off the GUI thread; the GUI only converts
    it, and paints it unscaled (a 1,000-item grid must not resample on every scroll step)."""
    from studio.media.thumbnails import make_thumbnail  # lazy: decoders load off the GUI thread

    cancel.raise_if_cancelled()
    file = make_thumbnail(path, cache_dir, content_hash, size=THUMB_SOURCE)
    image = QImage(str(file))
    if image.isNull():
        from studio.core.errors import MediaError

        raise MediaError(f"{path.name}: the thumbnail cannot be read")
    if image.width() > box or image.height() > box:
        image = image.scaled(
            box, box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


class MediaLibraryModel(QAbstractListModel):
    """The document's media, filtered and searched, with lazily loaded thumbnails."""

    countsChanged = Signal()

    def __init__(self, bridge: WorkerBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.doc: Document | None = None
        self.device_pixel_ratio = 1.0  # set by the view (thumbnails are decoded at screen resolution)
        self.filter = MediaFilter.ALL
        self.search = ""
        self._rows: list[Media] = []
        self._row_of: dict[str, int] = {}
        self._rows_of_hash: dict[str, list[int]] = {}
        self._missing: set[str] = set()
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()  # content hash → thumbnail (LRU)
        self._failed: set[str] = set()  # content hashes that could not be decoded
        self._pending: dict[str, Job] = {}  # content hash → queued/running job
        self._placeholder = _placeholder(THUMB, "")
        self._missing_pix = _placeholder(THUMB, "missing")
        self._broken_pix = _placeholder(THUMB, "unreadable")

    # --- document ---------------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self.cancel_pending()
        self.doc = doc
        self._pixmaps.clear()
        self._failed.clear()
        if doc is not None:
            for signal, slot in self._connections():
                signal.connect(slot)
        self.refresh()

    def _connections(self) -> list[tuple[Any, Any]]:
        assert self.doc is not None
        return [
            (self.doc.mediaChanged, self.refresh),
            (self.doc.tagsChanged, self._tags_changed),
            (self.doc.postsChanged, self._posts_changed),
        ]

    def _tags_changed(self, media_id: str) -> None:
        if self.filter in (MediaFilter.TAGGED, MediaFilter.UNTAGGED):
            self.refresh()
            return
        row = self._row_of.get(media_id)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)
        self.countsChanged.emit()

    def _posts_changed(self) -> None:
        if self.filter is MediaFilter.IN_POST:
            self.refresh()
        self.countsChanged.emit()

    # --- filtering --------------------------------------------------------------------------

    def set_filter(self, value: MediaFilter) -> None:
        if value != self.filter:
            self.filter = MediaFilter(value)
            self.refresh()

    def set_search(self, text: str) -> None:
        text = text.strip().casefold()
        if text != self.search:
            self.search = text
            self.refresh()

    def _in_posts(self) -> set[str]:
        return {m for p in self.doc.project.posts for m in p.media_ids} if self.doc else set()

    def matches(self, media: Media, in_posts: set[str], value: MediaFilter | None = None) -> bool:
        value = value or self.filter
        if value is MediaFilter.UNTAGGED and media.tags:
            return False
        if value is MediaFilter.TAGGED and not media.tags:
            return False
        if value is MediaFilter.IN_POST and media.id not in in_posts:
            return False
        return not self.search or self.search in (media.name or Path(media.path).name).casefold()

    def counts(self) -> dict[MediaFilter, int]:
        """How many media each filter shows (with the current search), for the filter menu."""
        if self.doc is None:
            return dict.fromkeys(MediaFilter, 0)
        posts = self._in_posts()
        media = self.doc.project.media
        return {f: sum(1 for m in media if self.matches(m, posts, f)) for f in MediaFilter}

    def refresh(self) -> None:
        """Re-read the document (media added, filter or search changed)."""
        self.beginResetModel()
        if self.doc is None:
            self._rows = []
            self._missing = set()
        else:
            posts = self._in_posts()
            self._rows = [m for m in self.doc.project.media if self.matches(m, posts)]
            ws = self.doc.workspace
            self._missing = {m.id for m in self.doc.project.media if not ws.media_path(m).is_file()}
        self._row_of = {m.id: i for i, m in enumerate(self._rows)}
        self._rows_of_hash = {}
        for i, m in enumerate(self._rows):
            self._rows_of_hash.setdefault(m.content_hash, []).append(i)
        self.endResetModel()
        self.countsChanged.emit()

    # --- rows -------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def media_at(self, row: int) -> Media:
        return self._rows[row]

    def media_ids(self) -> list[str]:
        return [m.id for m in self._rows]

    def row_of(self, media_id: str) -> int:
        return self._row_of.get(media_id, -1)

    def is_missing(self, media_id: str) -> bool:
        return media_id in self._missing

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        media = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return media.name or Path(media.path).name
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap_for(media)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(media, media.id in self._missing)
        if role == MEDIA_ID_ROLE:
            return media.id
        if role == MEDIA_ROLE:
            return media
        if role == THUMB_READY_ROLE:
            return media.content_hash in self._pixmaps
        if role == MISSING_ROLE:
            return media.id in self._missing
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- thumbnails -------------------------------------------------------------------------

    def pixmap_for(self, media: Media) -> QPixmap:
        if media.id in self._missing:
            return self._missing_pix
        pix = self._pixmaps.get(media.content_hash)
        if pix is not None:
            self._pixmaps.move_to_end(media.content_hash)
            return pix
        return self._broken_pix if media.content_hash in self._failed else self._placeholder

    def request_thumbnails(self, rows: Iterable[int]) -> None:
        """Make sure these rows get thumbnails; cancel queued jobs for rows no longer wanted."""
        if self.doc is None:
            return
        ws = self.doc.workspace
        wanted: dict[str, Media] = {}
        for row in rows:
            if 0 <= row < len(self._rows):
                m = self._rows[row]
                if m.id not in self._missing and m.content_hash not in self._failed:
                    wanted[m.content_hash] = m
        for key, job in list(self._pending.items()):
            if key not in wanted:
                job.cancel()  # a queued job stops before decoding; a running one just finishes
        for key, media in wanted.items():
            if key in self._pixmaps or key in self._pending:
                continue
            self._pending[key] = self.bridge.submit(
                thumbnail_job,
                ws.media_path(media),
                ws.cache_dir,
                media.content_hash,
                round(THUMB * self.device_pixel_ratio),
                label=f"thumbnail {media.name}",
                on_result=partial(self._thumb_ready, key),
                on_error=partial(self._thumb_failed, key),
                on_cancelled=partial(self._thumb_cancelled, key),
            )

    def cancel_pending(self) -> None:
        for job in self._pending.values():
            job.cancel()
        self._pending.clear()

    def _thumb_ready(self, key: str, image: QImage) -> None:
        self._pending.pop(key, None)
        pix = QPixmap.fromImage(image)
        pix.setDevicePixelRatio(self.device_pixel_ratio)
        self._pixmaps[key] = pix
        while len(self._pixmaps) > MAX_CACHED_PIXMAPS:
            self._pixmaps.popitem(last=False)
        self._emit_for_hash(key)

    def _thumb_cancelled(self, key: str) -> None:
        self._pending.pop(key, None)

    def _thumb_failed(self, key: str, _error: object = None) -> None:
        self._pending.pop(key, None)
        self._failed.add(key)
        self._emit_for_hash(key)

    def _emit_for_hash(self, key: str) -> None:
        for row in self._rows_of_hash.get(key, ()):
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole, THUMB_READY_ROLE])


def _tooltip(media: Media, missing: bool) -> str:
    lines = [media.name or media.path, f"{media.width}×{media.height}"]
    if media.kind is MediaKind.VIDEO and media.duration:
        lines[-1] += f", {duration_text(media.duration)}"
    if media.tags:
        lines.append(f"{len(media.tags)} tag(s)")
    if missing:
        lines.append(f"⚠ file not found: {media.path}")
    return "\n".join(lines)


def _placeholder(size: int, text: str) -> QPixmap:
    pix = QPixmap(size, size * 3 // 4)
    pix.fill(QColor("#2b2b30"))
    if text:
        painter = QPainter(pix)
        painter.setPen(QColor("#9a9aa2"))
        painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return pix


class MediaDelegate(QStyledItemDelegate):
    """Paints a cell: thumbnail, name, and badges (duration, tag count, missing file)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        media: Media | None = index.data(MEDIA_ROLE)
        if media is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 6, 6)
        thumb_box = QRect(rect.left() + 8, rect.top() + 6, THUMB, THUMB)
        pix: QPixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if pix is not None and not pix.isNull():
            logical = pix.deviceIndependentSize().toSize()
            scaled = logical.scaled(thumb_box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_box.center())
            painter.drawPixmap(target, pix)
            thumb_box = target
        font = QFont(option.font)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        small.setBold(True)
        painter.setFont(small)
        if media.kind is MediaKind.VIDEO:
            self._badge(painter, thumb_box, "▶ " + duration_text(media.duration), "bottom-right", "#000000")
        if media.tags:
            self._badge(painter, thumb_box, f"{len(media.tags)}", "top-right", "#2f6fed")
        if index.data(MISSING_ROLE):
            self._badge(painter, thumb_box, "⚠", "top-left", "#d08700")
        painter.setFont(font)
        text_rect = QRect(
            rect.left() + 4, rect.top() + THUMB + 10, rect.width() - 8, rect.height() - THUMB - 12
        )
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(role))
        name = option.fontMetrics.elidedText(
            index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideMiddle, text_rect.width()
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        painter.restore()

    @staticmethod
    def _badge(painter: QPainter, box: QRect, text: str, corner: str, color: str) -> None:
        metrics = painter.fontMetrics()
        w = metrics.horizontalAdvance(text) + 10
        h = metrics.height() + 2
        x = box.right() - w - 3 if corner.endswith("right") else box.left() + 3
        y = box.bottom() - h - 3 if corner.startswith("bottom") else box.top() + 3
        badge = QRect(x, y, w, h)
        bg = QColor(color)
        bg.setAlpha(200)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(badge, h / 2, h / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class MediaGrid(QListView):
    """The grid itself: accepts files/folders dropped from the desktop."""

    filesDropped = Signal(list)  # list[Path]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setGridSize(CELL)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setItemDelegate(MediaDelegate(self))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.filesDropped.emit(paths)
        else:
            super().dropEvent(event)


class MediaLibrary(QWidget):
    """Search + filter + grid; emits the selection and dropped files, nothing else."""

    selectionChanged = Signal(list)  # media ids selected, in library order
    currentMediaChanged = Signal(str)  # the media to show on the canvas ("" = none)
    filesDropped = Signal(list)  # list[Path] from the desktop

    def __init__(self, bridge: WorkerBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = MediaLibraryModel(bridge, self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search media by name…")
        self.search.setClearButtonEnabled(True)
        self.filter_box = QComboBox()
        for value, label in FILTER_LABELS.items():
            self.filter_box.addItem(label, value.value)
        self.filter_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter_box.setToolTip("Show all media, only untagged or tagged ones, or those in a post")
        self.header = QLabel("Media")
        self.view = MediaGrid()
        self.view.setModel(self.model)
        self.view.setMinimumWidth(2 * CELL.width() + self.view.verticalScrollBar().sizeHint().width() + 8)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filter_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

        self._current = ""
        self._visible_timer = QTimer(self)
        self._visible_timer.setSingleShot(True)
        self._visible_timer.setInterval(15)
        self._visible_timer.timeout.connect(self.request_visible_thumbnails)

        self.search.textChanged.connect(self.model.set_search)
        self.filter_box.currentIndexChanged.connect(
            lambda _i: self.model.set_filter(MediaFilter(self.filter_box.currentData()))
        )
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._after_reset)
        self.model.countsChanged.connect(self._update_counts)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._visible_timer.start())
        self.view.filesDropped.connect(self.filesDropped)
        self._kept_selection: list[str] = []

    # --- public -----------------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        self._current = ""
        self.model.set_document(doc)

    def set_filter(self, value: MediaFilter) -> None:
        self.filter_box.setCurrentIndex(self.filter_box.findData(MediaFilter(value).value))

    def selected_media_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.model.media_at(r).id for r in rows]

    def current_media_id(self) -> str:
        return self._current

    def select_media(self, media_ids: Sequence[str], current: str | None = None) -> None:
        """Select these media (those hidden by the filter are skipped); `current` goes to the canvas."""
        sm = self.view.selectionModel()
        selection = QItemSelection()
        for mid in media_ids:
            row = self.model.row_of(mid)
            if row >= 0:
                idx = self.model.index(row)
                selection.select(idx, idx)
        target = current if current is not None else (media_ids[0] if media_ids else "")
        row = self.model.row_of(target) if target else -1
        if row >= 0:
            sm.setCurrentIndex(self.model.index(row), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(self.model.index(row))
        sm.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def visible_rows(self, margin_screens: float = 0.0) -> range:
        """Rows whose cell intersects the viewport (± margin), found by bisection (rows are in order)."""
        n = self.model.rowCount()
        if n == 0 or not self.view.isVisible():
            return range(0)
        height = self.view.viewport().height()
        top = -height * margin_screens
        bottom = height * (1 + margin_screens)
        rows = range(n)

        def bottom_of(r: int) -> int:
            return self.view.visualRect(self.model.index(r)).bottom()

        def top_of(r: int) -> int:
            return self.view.visualRect(self.model.index(r)).top()

        first = bisect.bisect_left(rows, top, key=bottom_of)
        last = bisect.bisect_right(rows, bottom, key=top_of)
        return range(first, max(first, last))

    def request_visible_thumbnails(self) -> None:
        self.model.device_pixel_ratio = max(1.0, self.view.devicePixelRatioF())
        self.model.request_thumbnails(self.visible_rows(PRELOAD_SCREENS))

    # --- internals --------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._visible_timer.start()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._visible_timer.start()

    def _remember_selection(self) -> None:
        self._kept_selection = self.selected_media_ids()

    def _after_reset(self) -> None:
        kept = [m for m in self._kept_selection if self.model.row_of(m) >= 0]
        current = self._current if self.model.row_of(self._current) >= 0 else None
        if kept or current:
            self.select_media(kept or [self._current], current)
        self._selection_changed()
        self._visible_timer.start()

    def _selection_changed(self, *_args: Any) -> None:
        ids = self.selected_media_ids()
        cur_idx = self.view.selectionModel().currentIndex()
        cur = cur_idx.data(MEDIA_ID_ROLE) if cur_idx.isValid() else None
        current = cur if cur in ids else (ids[0] if ids else self._current_if_still_listed())
        self.selectionChanged.emit(ids)
        if current != self._current:
            self._current = current
            self.currentMediaChanged.emit(current)

    def _current_if_still_listed(self) -> str:
        """With nothing selected, the canvas keeps what it shows unless the media is gone."""
        doc = self.model.doc
        if self._current and doc is not None and doc.project.media_by_id(self._current) is not None:
            return self._current
        return ""

    def _update_counts(self) -> None:
        counts = self.model.counts()
        for i in range(self.filter_box.count()):
            value = MediaFilter(self.filter_box.itemData(i))
            self.filter_box.setItemText(i, f"{FILTER_LABELS[value]} ({counts[value]})")
        doc = self.model.doc
        if doc is None:
            self.header.setText("Media")
            return
        media = doc.project.media
        tagged = sum(1 for m in media if m.tags)
        missing = len(self.model._missing)
        text = f"Media — {len(media)} files, {tagged} tagged"
        if missing:
            text += f", {missing} missing"
        self.header.setText(text)
