"""The posts panel: the workspace's posts, and an editor for the selected one.

Like every view it never edits the model: each gesture builds the *whole* posts list as it should
be afterwards and emits `postsEdited(posts_after, undo_text)`; the main window pushes one
`PostsCommand`, the document announces `postsChanged`, and the panel re-reads. Caption typing is
not a gesture per keystroke: counters and problems update live (pure `post_rules` functions), and
the caption is committed once, on focus-out or after one second without typing.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import Media, MediaKind, Post
from studio.core.post_rules import (
    KIND_TITLES,
    LIMITS,
    PLATFORM_TITLES,
    PLATFORMS,
    caption_count,
    enabled_platforms,
    new_post,
    post_kind,
    validate_post,
)
from studio.core.progress import CancelToken, ProgressFn
from studio.media.thumbnails import cached_thumbnail, make_thumbnail
from studio.ui.document import Document
from studio.ui.workers import WorkerBridge

CAPTION_IDLE_MS = 1000
MEDIA_THUMB_SIZE = 256  # the size the media library caches (studio.ui.library), so both share one file
REUSED_SIZES = (MEDIA_THUMB_SIZE, 320)  # any cached size that is big enough will do
STRIP_THUMB = 36
STRIP_MAX = 4
ITEM_THUMB = 72
ID_ROLE = Qt.ItemDataRole.UserRole + 1
OVER_STYLE = "color: #d32f2f; font-weight: bold;"


def _media_thumb_job(
    path: Path, cache_dir: Path, content_hash: str, *, progress: ProgressFn, cancel: CancelToken
) -> Path:
    cancel.raise_if_cancelled()
    return make_thumbnail(path, cache_dir, content_hash, size=MEDIA_THUMB_SIZE)


def counter_text(platform: str, caption: str) -> str:
    """'Instagram 2,201 / 2,200 · 3 / 30 #' — what the live counter label says."""
    count = caption_count(caption, platform)
    text = f"{PLATFORM_TITLES[platform]} {count.chars:,} / {count.char_limit:,}"
    if count.hashtag_limit is not None:
        text += f" · {count.hashtags} / {count.hashtag_limit} #"
    return text


class PostsPanel(QWidget):
    """See module doc. API: `set_document`, `set_selected_media`, `select_post`, `commit_caption`."""

    postsEdited = Signal(list, str)  # posts after the edit, undo text

    def __init__(self, bridge: WorkerBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.doc: Document | None = None
        self.selected_media: list[str] = []
        self._current_id: str | None = None
        self._caption_dirty = False
        self._loading = False
        self._thumbs: dict[str, QPixmap] = {}  # content hash -> pixmap
        self._thumb_requested: set[str] = set()
        self._refresh_pending = False
        self._caption_timer = QTimer(self)
        self._caption_timer.setSingleShot(True)
        self._caption_timer.setInterval(CAPTION_IDLE_MS)
        self._caption_timer.timeout.connect(self.commit_caption)
        self._build()
        self._show_post(None)

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.new_button = QPushButton("New post from selection")
        self.new_button.setToolTip("A single post for one photo/video, a carousel for 2–10")
        self.delete_button = QPushButton("Delete post")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.posts_list = QListWidget()
        self.posts_list.setIconSize(QSize(STRIP_THUMB * STRIP_MAX + STRIP_MAX * 2, STRIP_THUMB))
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.posts_list)

        self.editor = QWidget()
        ed = QVBoxLayout(self.editor)
        ed.setContentsMargins(0, 0, 0, 0)
        self.kind_label = QLabel()
        font = self.kind_label.font()
        font.setBold(True)
        self.kind_label.setFont(font)
        ed.addWidget(self.kind_label)
        self.media_list = QListWidget()
        self.media_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.media_list.setFlow(QListWidget.Flow.LeftToRight)
        self.media_list.setWrapping(False)
        self.media_list.setMovement(QListWidget.Movement.Snap)
        self.media_list.setIconSize(QSize(ITEM_THUMB, ITEM_THUMB))
        self.media_list.setFixedHeight(ITEM_THUMB + 40)
        self.media_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.media_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.media_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        ed.addWidget(self.media_list)
        order = QHBoxLayout()
        self.earlier_button = QPushButton("◀ Earlier")
        self.later_button = QPushButton("Later ▶")
        self.remove_button = QPushButton("Remove from post")
        for b in (self.earlier_button, self.later_button, self.remove_button):
            order.addWidget(b)
        order.addStretch(1)
        ed.addLayout(order)

        platforms = QHBoxLayout()
        self.platform_boxes: dict[str, QCheckBox] = {}
        for p in PLATFORMS:
            box = QCheckBox(PLATFORM_TITLES[p])
            self.platform_boxes[p] = box
            platforms.addWidget(box)
            box.toggled.connect(lambda checked, p=p: self._platform_toggled(p, checked))
        platforms.addStretch(1)
        ed.addLayout(platforms)
        self.pin_title = QLineEdit()
        self.pin_title.setPlaceholderText(
            f"Pinterest title (up to {LIMITS['pinterest'].title_chars} characters)"
        )
        ed.addWidget(self.pin_title)
        self.caption = QPlainTextEdit()
        self.caption.setPlaceholderText("Caption… #hashtags @mentions")
        ed.addWidget(self.caption, 1)
        counters = QHBoxLayout()
        self.counters: dict[str, QLabel] = {}
        for p in PLATFORMS:
            label = QLabel()
            label.setProperty("over", False)
            self.counters[p] = label
            counters.addWidget(label)
        counters.addStretch(1)
        self.code_button = QPushButton("Add discount code")
        self.code_button.setToolTip(
            "Append this post's own discount code to the caption, so orders using it count for this "
            "post in Insights. Create the same code in your shop (Shopify → Discounts)."
        )
        counters.addWidget(self.code_button)
        ed.addLayout(counters)
        self.problems = QListWidget()
        self.problems.setMaximumHeight(90)
        self.problems.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        ed.addWidget(self.problems)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.editor)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.new_button.clicked.connect(self._new_post)
        self.delete_button.clicked.connect(self._delete_post)
        self.posts_list.currentItemChanged.connect(self._post_selected)
        self.earlier_button.clicked.connect(lambda: self._move_media(-1))
        self.later_button.clicked.connect(lambda: self._move_media(1))
        self.remove_button.clicked.connect(self._remove_media)
        self.media_list.model().rowsMoved.connect(self._media_dragged)
        self.media_list.currentRowChanged.connect(lambda _r: self._update_order_buttons())
        self.caption.textChanged.connect(self._caption_typed)
        self.code_button.clicked.connect(self.add_discount_code)
        self.caption.installEventFilter(self)
        self.pin_title.editingFinished.connect(self._pin_title_finished)
        self.pin_title.textChanged.connect(lambda _t: self._update_live())
        self._update_new_button()

    # --- public API -------------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            for signal, slot in (
                (self.doc.postsChanged, self.refresh),
                (self.doc.mediaChanged, self.refresh),
            ):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
        self._caption_timer.stop()
        self._caption_dirty = False
        self.doc = doc
        self._current_id = None
        self._thumbs.clear()
        self._thumb_requested.clear()
        if doc is not None:
            doc.postsChanged.connect(self.refresh)
            doc.mediaChanged.connect(self.refresh)
        self.refresh()

    def set_selected_media(self, ids: list[str]) -> None:
        """The library's selection, in order: what "New post from selection" will use."""
        self.selected_media = list(dict.fromkeys(ids))
        self._update_new_button()

    def current_post_id(self) -> str | None:
        return self._current_id

    def current_post(self) -> Post | None:
        if self.doc is None or self._current_id is None:
            return None
        return next((p for p in self.doc.project.posts if p.id == self._current_id), None)

    def select_post(self, post_id: str | None) -> None:
        for i in range(self.posts_list.count()):
            if self.posts_list.item(i).data(ID_ROLE) == post_id:
                self.posts_list.setCurrentRow(i)
                return
        self.posts_list.setCurrentRow(-1)

    def commit_caption(self) -> None:
        """Turn the typed caption into one edit (called on focus-out and after 1 s idle)."""
        self._caption_timer.stop()
        if not self._caption_dirty:
            return
        self._caption_dirty = False
        post = self.current_post()
        text = self.caption.toPlainText()
        if post is None or post.caption == text:
            return
        self._emit(lambda p: setattr(p, "caption", text), "Edit caption")

    def refresh(self) -> None:
        """Re-read the posts (after any command, undo included), keeping the selected post."""
        if self.doc is None:
            self.posts_list.clear()
            self._show_post(None)
            return
        keep = self._current_id
        self.posts_list.blockSignals(True)
        self.posts_list.clear()
        for post in self.doc.project.posts:
            item = QListWidgetItem(self._post_icon(post), self._post_text(post))
            item.setData(ID_ROLE, post.id)
            self.posts_list.addItem(item)
        self.posts_list.blockSignals(False)
        ids = [p.id for p in self.doc.project.posts]
        if keep not in ids:
            keep = None
            self._caption_dirty = False
        self._current_id = keep
        self.posts_list.blockSignals(True)  # a re-read is not a user's choice: nothing to commit
        self.select_post(keep)
        self.posts_list.blockSignals(False)
        self._show_post(self.current_post())

    # --- reading ----------------------------------------------------------------------------

    def _post_text(self, post: Post) -> str:
        assert self.doc is not None
        kind = KIND_TITLES[post_kind(post, self.doc.project)]
        n = len(post.media_ids)
        platforms = ", ".join(PLATFORM_TITLES[p] for p in enabled_platforms(post)) or "no platform"
        caption = post.caption.strip().splitlines()[0][:40] if post.caption.strip() else "no caption"
        return f"{kind} · {n} item{'s' if n != 1 else ''} · {post.state.value}\n{platforms} — {caption}"

    def _media_pixmap(self, media: Media, size: int) -> QPixmap:
        """The media's cached library thumbnail, else a placeholder while one is made off-thread."""
        assert self.doc is not None
        pix = self._thumbs.get(media.content_hash)
        if pix is None:
            cache_dir = self.doc.workspace.cache_dir
            cached = next(
                (c for n in REUSED_SIZES if (c := cached_thumbnail(cache_dir, media.content_hash, n))), None
            )
            if cached is not None:
                loaded = QPixmap(str(cached))
                if not loaded.isNull():
                    pix = self._thumbs[media.content_hash] = loaded
            elif self.bridge is not None and media.content_hash not in self._thumb_requested:
                self._thumb_requested.add(media.content_hash)
                self.bridge.submit(
                    _media_thumb_job,
                    self.doc.workspace.media_path(media),
                    self.doc.workspace.cache_dir,
                    media.content_hash,
                    label=f"thumbnail {media.name}",
                    on_result=lambda _path: self._thumb_ready(),
                    on_error=lambda _err: None,  # decoration: the placeholder stays
                )
        if pix is None:
            pix = QPixmap(size, size)
            pix.fill(QColor("#2b2b30"))
            painter = QPainter(pix)
            painter.setPen(QColor("#9a9aa2"))
            painter.drawText(
                pix.rect(), Qt.AlignmentFlag.AlignCenter, "▶" if media.kind is MediaKind.VIDEO else "…"
            )
            painter.end()
            return pix
        return pix.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        ).copy(0, 0, size, size)

    def _thumb_ready(self) -> None:
        """Repaint once, later: a result may arrive in the middle of a refresh (immediate bridge)."""
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self._deferred_refresh)

    def _deferred_refresh(self) -> None:
        self._refresh_pending = False
        self.refresh()

    def _post_icon(self, post: Post) -> QIcon:
        """A strip of the post's first media thumbnails."""
        assert self.doc is not None
        strip = QPixmap(STRIP_THUMB * STRIP_MAX + STRIP_MAX * 2, STRIP_THUMB)
        strip.fill(Qt.GlobalColor.transparent)
        painter = QPainter(strip)
        for i, mid in enumerate(post.media_ids[:STRIP_MAX]):
            media = self.doc.project.media_by_id(mid)
            if media is not None:
                painter.drawPixmap(i * (STRIP_THUMB + 2), 0, self._media_pixmap(media, STRIP_THUMB))
        painter.end()
        return QIcon(strip)

    def _show_post(self, post: Post | None) -> None:
        self._loading = True
        try:
            self.editor.setEnabled(post is not None)
            self.delete_button.setEnabled(post is not None)
            self.media_list.clear()
            if post is None or self.doc is None:
                self.kind_label.setText("No post selected")
                self.caption.setPlainText("")
                self.pin_title.setText("")
                for box in self.platform_boxes.values():
                    box.setChecked(False)
                self._update_live()
                return
            kind = KIND_TITLES[post_kind(post, self.doc.project)]
            n = len(post.media_ids)
            self.kind_label.setText(f"{kind} · {n} item{'s' if n != 1 else ''} · {post.state.value}")
            for mid in post.media_ids:
                media = self.doc.project.media_by_id(mid)
                name = media.name if media is not None else f"missing ({mid})"
                item = QListWidgetItem(name)
                if media is not None:
                    item.setIcon(QIcon(self._media_pixmap(media, ITEM_THUMB)))
                item.setData(ID_ROLE, mid)
                self.media_list.addItem(item)
            enabled = enabled_platforms(post)
            for p, box in self.platform_boxes.items():
                box.setChecked(p in enabled)
            if not self._caption_dirty and self.caption.toPlainText() != post.caption:
                self.caption.setPlainText(post.caption)  # only when different: keeps the cursor
            if not self.pin_title.hasFocus():
                self.pin_title.setText(str(post.platforms.get("pinterest", {}).get("title", "") or ""))
            self._update_live()
        finally:
            self._loading = False
        self._update_order_buttons()

    def _live_post(self) -> Post | None:
        """The current post as the user sees it now (typed caption and title not yet committed)."""
        post = self.current_post()
        if post is None:
            return None
        live = copy.deepcopy(post)
        live.caption = self.caption.toPlainText()
        if "pinterest" in live.platforms:
            live.platforms["pinterest"]["title"] = self.pin_title.text()
        return live

    def _update_live(self) -> None:
        """Counters and problems for what is typed now; pure functions, cheap per keystroke."""
        live = self._live_post()
        caption = self.caption.toPlainText()
        enabled = enabled_platforms(live) if live is not None else []
        self.pin_title.setVisible("pinterest" in enabled)
        for p, label in self.counters.items():
            count = caption_count(caption, p)
            label.setText(counter_text(p, caption))
            label.setEnabled(p in enabled)
            over = count.over and p in enabled
            label.setProperty("over", over)
            label.setStyleSheet(OVER_STYLE if over else "")
        self.problems.clear()
        if live is not None and self.doc is not None:
            found = validate_post(live, self.doc.project)
            self.problems.addItems(found or ["Ready to publish"])

    def _update_order_buttons(self) -> None:
        row, n = self.media_list.currentRow(), self.media_list.count()
        self.earlier_button.setEnabled(row > 0)
        self.later_button.setEnabled(0 <= row < n - 1)
        self.remove_button.setEnabled(row >= 0)

    def _update_new_button(self) -> None:
        self.new_button.setEnabled(bool(self.selected_media))
        n = len(self.selected_media)
        self.new_button.setText("New post from selection" + (f" ({n})" if n else ""))

    # --- intents ----------------------------------------------------------------------------

    def _emit(self, change: Callable[[Post], object], text: str) -> None:
        """Emit the whole posts list with `change(post)` applied to a copy of the current post."""
        if self.doc is None:
            return
        posts = copy.deepcopy(self.doc.project.posts)
        target = next((p for p in posts if p.id == self._current_id), None)
        if target is None:
            return
        change(target)
        self.postsEdited.emit(posts, text)

    def _new_post(self) -> None:
        if self.doc is None or not self.selected_media:
            return
        self.commit_caption()
        known = [m for m in self.selected_media if self.doc.project.media_by_id(m) is not None]
        if not known:
            return
        post = new_post(known)
        kind = KIND_TITLES[post_kind(post, self.doc.project)].lower()
        self._current_id = post.id  # selected when the document announces it
        self._caption_dirty = False
        self.postsEdited.emit([*copy.deepcopy(self.doc.project.posts), post], f"New {kind} post")

    def _delete_post(self) -> None:
        if self.doc is None or self._current_id is None:
            return
        self._caption_timer.stop()
        self._caption_dirty = False
        posts = [copy.deepcopy(p) for p in self.doc.project.posts if p.id != self._current_id]
        self.postsEdited.emit(posts, "Delete post")

    def _post_selected(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.commit_caption()
        self._current_id = current.data(ID_ROLE) if current is not None else None
        self._show_post(self.current_post())

    def _move_media(self, delta: int) -> None:
        row = self.media_list.currentRow()
        post = self.current_post()
        if (
            post is None
            or not (0 <= row < len(post.media_ids))
            or not (0 <= row + delta < len(post.media_ids))
        ):
            return
        self.commit_caption()

        def move(p: Post) -> None:
            item = p.media_ids.pop(row)
            p.media_ids.insert(row + delta, item)

        self._emit(move, "Reorder post media")
        self.media_list.setCurrentRow(row + delta)

    def _media_dragged(self, *_args: object) -> None:
        if self._loading:
            return
        order = [self.media_list.item(i).data(ID_ROLE) for i in range(self.media_list.count())]
        post = self.current_post()
        if post is None or order == post.media_ids:
            return
        self.commit_caption()
        self._emit(lambda p: setattr(p, "media_ids", order), "Reorder post media")

    def _remove_media(self) -> None:
        row = self.media_list.currentRow()
        post = self.current_post()
        if post is None or not (0 <= row < len(post.media_ids)):
            return
        self.commit_caption()
        self._emit(lambda p: p.media_ids.pop(row), "Remove from post")

    def _platform_toggled(self, platform: str, checked: bool) -> None:
        if self._loading:
            return
        self.commit_caption()

        def toggle(p: Post) -> None:
            settings = p.platforms.setdefault(platform, {})
            if checked:
                settings.pop("enabled", None)
            else:
                settings["enabled"] = False  # kept, not deleted: a Pinterest title survives a toggle

        self._emit(toggle, f"{'Post to' if checked else 'Do not post to'} {PLATFORM_TITLES[platform]}")

    def _pin_title_finished(self) -> None:
        post = self.current_post()
        text = self.pin_title.text().strip()
        if post is None or str(post.platforms.get("pinterest", {}).get("title", "") or "") == text:
            return
        self._emit(
            lambda p: p.platforms.setdefault("pinterest", {}).__setitem__("title", text), "Pinterest title"
        )

    def add_discount_code(self) -> None:
        """Append the post's stable discount code line to the caption (one undo step)."""
        from studio.core.orders import caption_with_code, code_prefix, discount_code_for

        self.commit_caption()
        post = self.current_post()
        if post is None or self.doc is None:
            return
        code = discount_code_for(post.id, code_prefix(self.doc.project.name))
        text = caption_with_code(post.caption, code)
        if text != post.caption:
            self._emit(lambda p: setattr(p, "caption", text), f"Add discount code {code}")

    def _caption_typed(self) -> None:
        if self._loading:
            return
        self._caption_dirty = True
        self._caption_timer.start()
        self._update_live()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.caption and event.type() == QEvent.Type.FocusOut:
            self.commit_caption()
        return super().eventFilter(watched, event)
