"""Shop the look in the studio: run detection in the background, show ghost boxes, accept with a key.

Flow: `ShopTheLookController.run()` analyses the open media (or every media selected in the library,
one after another) in a worker with progress and Cancel in the status bar. The proposals come back
as *ghost boxes* — dashed, never part of the model — over the canvas, with a small suggestion list
beside the active one (thumbnail, title, price, score, why).

Keys while suggestions are shown (they take precedence over the canvas's own meaning of the keys):

* Enter accepts the highlighted product of the active box: it becomes a normal tag through one
  undoable command (`commands.add_tags`), so Ctrl+Z takes it back;
* Up / Down choose another of the five products; Tab / Shift+Tab go to the next / previous box;
* Esc dismisses the active box; the dismissal is remembered in `project.extra` (see
  studio/jobs/shop_the_look.py for why there) as one undoable step, so the same suggestion is not
  offered again for that media.

A selected box tag that has no product yet is sent as the user's query box; accepting its suggestion
assigns the product to that tag instead of stacking a second one on it.

On a video the frame at the playhead is analysed; an accepted tag is then tracked, in a worker
(studio/vision/tracking.py), back to where the item appears and forward to where it leaves: its
keyframes and time range arrive as one more undo step.

Why a separate controller: the canvas stays a plain tag editor; everything about suggestions
lives here and is wired to the window by `install_shop_the_look(window)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.model import MediaKind
from studio.core.money import format_money
from studio.jobs import shop_the_look as jobs
from studio.ui import commands
from studio.vision.proposals import KIND_USER, Match, Proposal

log = logging.getLogger(__name__)

GHOST = QColor("#f2c94c")
GHOST_ACTIVE = QColor("#2f80ed")
THUMB = 40
_KEYS = {
    Qt.Key.Key_Return,
    Qt.Key.Key_Enter,
    Qt.Key.Key_Escape,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Tab,
}


@dataclass(slots=True)
class MediaSuggestions:
    """What the last run found on one media (kept until accepted/dismissed or the media is re-run)."""

    media_id: str
    at: float | None  # video: the analysed frame's time
    proposals: list[Proposal]
    active: int = 0
    choice: dict[int, int] = field(default_factory=dict)  # proposal index -> highlighted match index


class SuggestionList(QFrame):
    """The top-5 list beside the active ghost box. Never takes focus: the canvas keeps the keys."""

    clicked = Signal(int)  # row
    activated = Signal(int)  # row (double-click = accept)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("shopTheLookList")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.itemClicked.connect(lambda item: self.clicked.emit(self.list.row(item)))
        self.list.itemDoubleClicked.connect(lambda item: self.activated.emit(self.list.row(item)))
        self.hint = QLabel("Enter accept · ↑↓ product · Tab next box · Esc dismiss")
        self.hint.setStyleSheet("color: gray; font-size: 11px")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        self.setFixedWidth(300)
        self.hide()

    def rows(self) -> list[str]:
        """Row texts (tests and accessibility)."""
        return [self.list.item(i).text() for i in range(self.list.count())]


class ShopTheLookController(QObject):
    """Runs shop the look, shows and handles the suggestions. One per main window."""

    suggestionsShown = Signal(str, int)  # media id, number of boxes
    finished = Signal(str)  # media id whose analysis ended (result, error or cancel)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.bridge = window.bridge
        self.results: dict[str, MediaSuggestions] = {}
        self.queue: list[tuple[str, Any]] = []  # (media id, user box) waiting to run
        self.running: Any = None  # the Job analysing now
        self.running_media = ""
        self.tracking: list[Any] = []
        self.query_tags: dict[str, str] = {}  # media id -> the product-less box tag used as the query
        self._items: list[QGraphicsRectItem | QGraphicsSimpleTextItem] = []
        self._shown = ""  # media id whose ghosts are on the canvas
        self._workspace: Any = window.doc.workspace if window.doc is not None else None
        self.panel = SuggestionList(self.canvas.viewport())
        self.panel.clicked.connect(self._row_clicked)
        self.panel.activated.connect(self._row_activated)
        self.canvas.installEventFilter(self)
        window.controller.mediaShown.connect(self._media_shown)
        window.workspace_changed.connect(self._workspace_changed)
        self.canvas.zoomChanged.connect(lambda _z: self._place_panel())
        player = getattr(window, "player", None)
        if player is not None:
            player.positionChanged.connect(self._position_changed)

    # --- running ----------------------------------------------------------------------------

    @property
    def doc(self) -> Any:
        return self.window.doc

    def run(self, media_ids: list[str] | None = None, *, user_box: Any = None) -> int:
        """Analyse these media (default: the library selection if several, else the open media).

        Returns how many were queued. Runs one at a time in the background.
        """
        if self.doc is None:
            return 0
        if media_ids is None:
            selected = list(self.window.library.selected_media_ids())
            current = self.window.controller.media_id
            media_ids = selected if len(selected) > 1 else ([current] if current else selected)
            if user_box is None and media_ids == [current] and current:
                user_box = self._query_box(current)
        queued = 0
        for media_id in media_ids:
            if self.doc.project.media_by_id(media_id) is None:
                continue
            if media_id == self.running_media or any(m == media_id for m, _ in self.queue):
                continue
            self.queue.append((media_id, user_box))
            queued += 1
        self._next()
        return queued

    def _query_box(self, media_id: str) -> Any:
        """A box the user drew and has not given a product yet is the query: "what is this?"."""
        ids = self.window.controller.selected_tags()
        tag = self.doc.tag(media_id, ids[0]) if len(ids) == 1 else None
        if tag is None or tag.box is None or tag.product_id:
            return None
        self.query_tags[media_id] = tag.id
        return tag.box

    def cancel(self) -> None:
        """Stop the running analysis and forget the queued ones (the status bar's Cancel does too)."""
        self.queue.clear()
        if self.running is not None:
            self.running.cancel()
        for job in self.tracking:
            job.cancel()

    @property
    def busy(self) -> bool:
        return self.running is not None or bool(self.queue)

    def _next(self) -> None:
        if self.running is not None or not self.queue or self.doc is None:
            return
        media_id, user_box = self.queue.pop(0)
        media = self.doc.project.media_by_id(media_id)
        if media is None:
            self._next()
            return
        at = self._playhead() if media.kind is MediaKind.VIDEO and media_id == self._current() else None
        if media.kind is MediaKind.VIDEO and at is None:
            at = 0.0
        doc = self.doc
        left = len(self.queue)
        label = f"Shop the look: {media.name}" + (f" (+{left} more)" if left else "")
        self.running_media = media_id
        self.running = self.bridge.submit(
            jobs.analyze_media,
            doc.workspace,
            media_id,
            user_box=user_box,
            at=at,
            label=label,
            on_progress=lambda d, t, m: self.window.show_job_progress(d, t, f"{media.name}: {m}"),
            on_result=lambda proposals: self._analysed(doc, media_id, at, proposals),
            on_error=lambda error: self._failed(media_id, error),
            on_cancelled=lambda: self._cancelled(media_id),
        )

    def _done(self, media_id: str) -> None:
        self.running = None
        self.running_media = ""
        self.finished.emit(media_id)
        self._next()

    def _analysed(self, doc: Any, media_id: str, at: float | None, proposals: list[Proposal]) -> None:
        if doc is not self.doc or doc.project.media_by_id(media_id) is None:
            self._done(media_id)
            return
        useful = [p for p in proposals if p.matches]
        self.results[media_id] = MediaSuggestions(media_id, at, useful)
        media = doc.media(media_id)
        self.window.status_text.setText(
            f"Shop the look: {len(useful)} suggestion(s) on {media.name}"
            if useful
            else f"Shop the look: nothing to suggest on {media.name}"
        )
        if media_id == self._current():
            self.show(media_id)
        self._done(media_id)

    def _failed(self, media_id: str, error: StudioError) -> None:
        self.window.show_error(error)
        self._done(media_id)

    def _cancelled(self, media_id: str) -> None:
        self.queue.clear()
        self.window.status_text.setText("Shop the look cancelled")
        self._done(media_id)

    # --- state ------------------------------------------------------------------------------

    def _current(self) -> str:
        return str(self.window.controller.media_id or "")

    def _playhead(self) -> float | None:
        player = getattr(self.window, "player", None)
        try:
            return float(player.position) if player is not None else None
        except (AttributeError, TypeError):
            return None

    def suggestions(self, media_id: str | None = None) -> MediaSuggestions | None:
        return self.results.get(media_id or self._current())

    @property
    def active(self) -> bool:
        """Whether ghost boxes are on the canvas (the keys belong to the suggestions then)."""
        s = self.results.get(self._shown)
        return bool(self._shown and s is not None and s.proposals and self._shown == self._current())

    def _media_shown(self, media_id: str, _is_video: bool) -> None:
        self.show(media_id)

    def _position_changed(self, t: float) -> None:
        """Video suggestions belong to one frame: leaving it hides them, coming back shows them."""
        s = self.results.get(self._current())
        if s is None or s.at is None or self.doc is None:
            return
        fps = self.doc.media(s.media_id).fps or 25.0
        on_frame = abs(float(t) - s.at) < 0.5 / fps
        if on_frame and self._shown != s.media_id:
            self.show(s.media_id)
        elif not on_frame and self._shown == s.media_id:
            self.hide()

    def _workspace_changed(self) -> None:
        self.cancel()
        self.results.clear()
        self.hide()
        old, self._workspace = self._workspace, (self.doc.workspace if self.doc is not None else None)
        if old is not None and old is not self._workspace:
            jobs.forget_index(old)  # its loaded embeddings are not needed any more

    # --- ghosts -----------------------------------------------------------------------------

    def hide(self) -> None:
        scene = self.canvas.scene()
        for item in self._items:
            if item.scene() is scene:
                scene.removeItem(item)
        self._items = []
        self._shown = ""
        self.panel.hide()

    def show(self, media_id: str) -> None:
        """Draw the ghost boxes of `media_id` (if it has suggestions and is the open media)."""
        self.hide()
        s = self.results.get(media_id)
        if self.doc is None or s is None or not s.proposals or media_id != self._current():
            return
        media = self.doc.media(media_id)
        w, h = float(max(1, media.width)), float(max(1, media.height))
        scene = self.canvas.scene()
        for i, p in enumerate(s.proposals):
            x0, y0, x1, y1 = p.box
            rect = QGraphicsRectItem(QRectF(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h))
            on = i == s.active
            pen = QPen(GHOST_ACTIVE if on else GHOST, 2.5 if on else 1.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            rect.setPen(pen)
            rect.setBrush(QBrush(QColor(47, 128, 237, 30) if on else Qt.BrushStyle.NoBrush))
            rect.setZValue(9e5)
            rect.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            rect.setData(0, i)
            scene.addItem(rect)
            self._items.append(rect)
        self._shown = media_id
        self._fill_panel()
        self.suggestionsShown.emit(media_id, len(s.proposals))

    def ghost_items(self) -> list[QGraphicsRectItem]:
        return [i for i in self._items if isinstance(i, QGraphicsRectItem)]

    def _fill_panel(self) -> None:
        s = self.results.get(self._shown)
        if s is None or not s.proposals or self.doc is None:
            self.panel.hide()
            return
        p = s.proposals[s.active]
        self.panel.header.setText(f"<b>{s.active + 1}/{len(s.proposals)}</b> · {_escape(p.reason)}")
        self.panel.list.clear()
        thumbs = getattr(self.window, "thumbs", None)
        for match in p.matches:
            product = self.doc.product(match.product_id)
            if product is None:
                text = f"(missing product {match.product_id})"
            else:
                price = format_money(product.price, product.currency, self.doc.locale)
                text = f"{product.title}\n{price} · {round(match.score * 100)} % · {match.why}"
            item = QListWidgetItem(text)
            if product is not None and thumbs is not None:
                item.setIcon(thumbs.icon(product))
            self.panel.list.addItem(item)
        self.panel.list.setCurrentRow(s.choice.get(s.active, 0))
        rows = max(1, len(p.matches))
        self.panel.list.setFixedHeight(min(5, rows) * (THUMB + 8) + 6)
        self.panel.adjustSize()
        self.panel.show()
        self.panel.raise_()
        self._place_panel()

    def _place_panel(self) -> None:
        s = self.results.get(self._shown)
        if s is None or not s.proposals or not self.panel.isVisible():
            return
        x0, y0, x1, _y1 = s.proposals[s.active].box
        view = self.canvas.viewport().rect()
        right = self.canvas.map_from_image(x1, y0).toPoint() + QPoint(12, 0)
        pos = right
        if right.x() + self.panel.width() > view.width():
            pos = self.canvas.map_from_image(x0, y0).toPoint() - QPoint(self.panel.width() + 12, 0)
        pos.setX(max(4, min(pos.x(), view.width() - self.panel.width() - 4)))
        pos.setY(max(4, min(pos.y(), view.height() - self.panel.height() - 4)))
        self.panel.move(pos)

    # --- keys -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) or not self.active:
            return False
        assert isinstance(event, QKeyEvent)
        key = Qt.Key(event.key())
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        backtab = key == Qt.Key.Key_Backtab
        if (key not in _KEYS and not backtab) or mods & ~Qt.KeyboardModifier.ShiftModifier:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # ours, not a window shortcut
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept_current()
        elif key == Qt.Key.Key_Escape:
            self.dismiss_current()
        elif key == Qt.Key.Key_Up:
            self.choose(-1)
        elif key == Qt.Key.Key_Down:
            self.choose(+1)
        elif backtab or (key == Qt.Key.Key_Tab and mods & Qt.KeyboardModifier.ShiftModifier):
            self.next_box(-1)
        else:
            self.next_box(+1)
        return True

    def choose(self, step: int) -> None:
        s = self.results.get(self._shown)
        if s is None or not s.proposals:
            return
        n = len(s.proposals[s.active].matches)
        if n:
            s.choice[s.active] = (s.choice.get(s.active, 0) + step) % n
            self.panel.list.setCurrentRow(s.choice[s.active])

    def next_box(self, step: int) -> None:
        s = self.results.get(self._shown)
        if s is None or not s.proposals:
            return
        s.active = (s.active + step) % len(s.proposals)
        self.show(s.media_id)

    def _row_clicked(self, row: int) -> None:
        s = self.results.get(self._shown)
        if s is not None and s.proposals:
            s.choice[s.active] = row
        self.canvas.setFocus()

    def _row_activated(self, row: int) -> None:
        self._row_clicked(row)
        self.accept_current()

    def _take_active(self, s: MediaSuggestions) -> Proposal:
        proposal = s.proposals.pop(s.active)
        s.choice = {(i if i < s.active else i - 1): c for i, c in s.choice.items() if i != s.active}
        if s.active >= len(s.proposals):
            s.active = 0
        return proposal

    def accept_current(self) -> str | None:
        """Enter: the highlighted product of the active box becomes a tag (one undoable command)."""
        s = self.results.get(self._shown)
        if s is None or not s.proposals or self.doc is None:
            return None
        proposal = s.proposals[s.active]
        if not proposal.matches:
            return None
        match: Match = proposal.matches[min(s.choice.get(s.active, 0), len(proposal.matches) - 1)]
        product = self.doc.product(match.product_id)
        if product is None:
            self.window.show_error(
                StudioError(
                    f"product '{match.product_id}' is no longer in the catalog",
                    hint="run Shop the look again after the catalog import",
                )
            )
            return None
        query = self.query_tags.get(s.media_id)
        if proposal.kind == KIND_USER and query and self.doc.tag(s.media_id, query) is not None:
            # the user's own box: give it the product instead of placing a second tag on top of it
            self._take_active(s)
            self.query_tags.pop(s.media_id, None)
            commands.assign_product(self.doc, s.media_id, [query], match.product_id, match.variant_id)
            self.show(s.media_id)
            self.canvas.select_tags([query])
            return query
        tag = jobs.tag_for(proposal, match, style=self.doc.label_style.preset, start=s.at or None)
        self._take_active(s)
        (placed,) = commands.add_tags(self.doc, s.media_id, [tag], f"Accept {product.title}")
        self.show(s.media_id)
        self.canvas.select_tags([placed.id])
        media = self.doc.media(s.media_id)
        if media.kind is MediaKind.VIDEO:
            self.track(s.media_id, placed.id)
        return str(placed.id)

    def dismiss_current(self) -> bool:
        """Esc: hide the active box and remember it, so it is not offered again on this media."""
        s = self.results.get(self._shown)
        if s is None or not s.proposals or self.doc is None:
            return False
        proposal = self._take_active(s)
        best = [proposal.best.product_id] if proposal.best is not None else []
        section = jobs.with_rejections(
            self.doc.project.extra.get(jobs.EXTRA_KEY), s.media_id, jobs.rejection_pairs(proposal, best)
        )
        commands.set_extra(self.doc, jobs.EXTRA_KEY, section, "Dismiss suggestion")
        self.show(s.media_id)
        if not s.proposals:
            self.window.status_text.setText("No more suggestions on this media")
        return True

    def dismiss_all(self) -> None:
        """Hide the suggestions of the open media without remembering anything."""
        self.results.pop(self._current(), None)
        self.hide()

    # --- tracking ---------------------------------------------------------------------------

    def track(self, media_id: str, tag_id: str) -> Any:
        """Track a video tag forward in a worker; keyframes + end arrive as one undo step."""
        doc = self.doc
        if doc is None:
            return None
        media = doc.media(media_id)
        job = self.bridge.submit(
            jobs.track_tag,
            doc.workspace,
            media_id,
            tag_id,
            label=f"Tracking a tag in {media.name}",
            on_progress=self.window.show_job_progress,
            on_result=lambda result: self._tracked(doc, media_id, tag_id, result),
            on_error=self.window.show_error,
            on_cancelled=lambda: self.window.status_text.setText("Tracking cancelled"),
        )
        self.tracking.append(job)
        job.signals.finished.connect(lambda: self.tracking.remove(job) if job in self.tracking else None)
        return job

    def track_selected(self) -> int:
        """Track every selected tag of the open video (the "Track tag" action)."""
        media_id = self._current()
        if self.doc is None or not media_id or self.doc.media(media_id).kind is not MediaKind.VIDEO:
            return 0
        ids = self.window.controller.selected_tags()
        for tag_id in ids:
            self.track(media_id, tag_id)
        return len(ids)

    def _tracked(self, doc: Any, media_id: str, tag_id: str, result: Any) -> None:
        if (
            doc is not self.doc
            or doc.project.media_by_id(media_id) is None
            or doc.tag(media_id, tag_id) is None
        ):
            return
        commands.edit_tags(doc, media_id, [tag_id], lambda t: jobs.apply_track(t, result), "Track tag")
        end = (
            "to the end of the clip" if result.end is None else f"until {result.end:.2f} s ({result.reason})"
        )
        self.window.status_text.setText(f"Tracked: {len(result.keyframes)} keyframes, visible {end}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def install_shop_the_look(window: Any) -> ShopTheLookController:
    """Create the controller for a MainWindow (call once, after the window is built)."""
    controller = ShopTheLookController(window)
    window.shop_the_look_controller = controller
    return controller


__all__ = ["MediaSuggestions", "ShopTheLookController", "SuggestionList", "install_shop_the_look"]
