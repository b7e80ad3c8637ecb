"""The controller: turns what the widgets ask for (intent signals) into undo commands.

Why a separate object: the widgets (canvas, inspector, picker, timeline, posts, catalog) stay
dumb and testable alone, the main window stays about layout and menus, and every model change
made from the GUI goes through `studio.ui.commands` in exactly one place. The controller also
owns the little session state that spans widgets: which media is open, which tags the picker
is assigning, and the tag clipboard.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QCursor

from studio.core.errors import StudioError
from studio.core.model import MediaKind, Post, Tag, new_id
from studio.ui import commands
from studio.ui.document import Document

log = logging.getLogger(__name__)

CHOOSE_PRODUCT = "Choose product"


class Controller(QObject):
    """Wires intent signals to commands. Any widget may be None (the controller skips it)."""

    mediaShown = Signal(str, bool)  # media id ("" = none), is_video
    error = Signal(object)  # StudioError to show

    def __init__(
        self,
        *,
        canvas: Any = None,
        timeline: Any = None,
        player: Any = None,
        inspector: Any = None,
        picker: Any = None,
        posts: Any = None,
        catalog: Any = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.canvas, self.timeline, self.player = canvas, timeline, player
        self.inspector, self.picker, self.posts, self.catalog = inspector, picker, posts, catalog
        self.doc: Document | None = None
        self.media_id = ""
        self.clipboard: list[Tag] = []
        self._picking: list[str] = []  # tag ids the open picker will assign
        self._picking_media = ""
        self._selected_tags: list[str] = []
        self._connect()

    # --- wiring -----------------------------------------------------------------------------

    def _connect(self) -> None:
        if self.canvas is not None:
            self.canvas.selectionChanged.connect(self._canvas_selection)
            self.canvas.pickerRequested.connect(self.open_picker)
        if self.picker is not None:
            self.picker.chosen.connect(self._picker_chosen)
            self.picker.dismissed.connect(self._picker_dismissed)
        if self.inspector is not None:
            ins = self.inspector
            ins.variantChosen.connect(self.choose_variant)
            ins.labelTextEdited.connect(self.set_label_text)
            ins.styleChosen.connect(self.set_style)
            ins.positionEdited.connect(self.set_position)
            ins.timeRangeEdited.connect(self.set_time_range)
            ins.pickRequested.connect(lambda tag_id: self.open_picker(tag_id, self._tag_screen_pos(tag_id)))
        if self.timeline is not None:
            tl = self.timeline
            tl.timeRangeEdited.connect(self.set_time_range)
            tl.selectedTagChanged.connect(self._timeline_selected)
            if self.player is not None:
                tl.seekRequested.connect(self.player.seek)
                tl.playToggled.connect(self.play_pause)
                tl.stepRequested.connect(self.player.step)
            tl.keyframeClicked.connect(self._keyframe_clicked)
        if self.player is not None:
            pl = self.player
            if self.canvas is not None:
                pl.frameReady.connect(self._frame_ready)
            pl.positionChanged.connect(self._position_changed)
            if self.timeline is not None:
                pl.mediaOpened.connect(lambda duration, fps, _n: self.timeline.set_media(duration, fps))
            if self.timeline is not None:
                pl.stateChanged.connect(self.timeline.set_playing)
            pl.error.connect(self.error)
        if self.posts is not None:
            self.posts.postsEdited.connect(self.edit_posts)
        if self.catalog is not None:
            self.catalog.productActivated.connect(self.tag_with_product)

    # --- document and media -----------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.tagsChanged.disconnect(self._tags_changed)
        self.doc = doc
        self.media_id = ""
        self._picking = []
        self._selected_tags = []
        for widget in (self.canvas, self.inspector, self.posts):
            if widget is not None:
                widget.set_document(doc)
        if doc is not None:
            doc.tagsChanged.connect(self._tags_changed)
        self.show_media("")

    def current_media(self) -> Any:
        if self.doc is None or not self.media_id:
            return None
        return self.doc.project.media_by_id(self.media_id)

    def is_video(self) -> bool:
        media = self.current_media()
        return media is not None and media.kind is MediaKind.VIDEO

    def show_media(self, media_id: str) -> None:
        """Open a media on the canvas (and, for a video, in the player and the timeline)."""
        if self.doc is None or (media_id and self.doc.project.media_by_id(media_id) is None):
            media_id = ""
        self.media_id = media_id
        self._selected_tags = []
        media = self.current_media()
        video = media is not None and media.kind is MediaKind.VIDEO
        if self.player is not None:
            if self.player.is_playing:
                self.player.pause()
            if video and self.doc is not None:
                self.player.open(self.doc.workspace.media_path(media))
            else:
                self.player.close()
        if self.canvas is not None and media_id:
            self.canvas.show_media(media_id)
        if self.timeline is not None and video:
            self.timeline.set_media(float(media.duration or 0.0), float(media.fps or 25.0))
            self.timeline.set_position(0.0)
            self._update_timeline_tags()
        if self.inspector is not None:
            self.inspector.show_selection(media_id, [])
        self.mediaShown.emit(media_id, video)

    def _tags_changed(self, media_id: str) -> None:
        if media_id != self.media_id:
            return
        if self.is_video():
            self._update_timeline_tags()
        if self.inspector is not None:
            media = self.current_media()
            alive = {t.id for t in media.tags} if media else set()
            self._selected_tags = [t for t in self._selected_tags if t in alive]
            self.inspector.show_selection(self.media_id, list(self._selected_tags))

    def tag_label(self, tag: Tag) -> str:
        product = self.doc.product(tag.product_id) if self.doc and tag.product_id else None
        return product.title if product is not None else CHOOSE_PRODUCT

    def timeline_rows(self) -> list[tuple[str, str, float | None, float | None, list[float]]]:
        media = self.current_media()
        if media is None:
            return []
        return [(t.id, self.tag_label(t), t.start, t.end, [k.t for k in t.keyframes]) for t in media.tags]

    def _update_timeline_tags(self) -> None:
        if self.timeline is not None:
            self.timeline.set_tags(self.timeline_rows())

    # --- canvas and picker ------------------------------------------------------------------

    def selected_tags(self) -> list[str]:
        if self.canvas is not None:
            return list(self.canvas.selected_tag_ids())
        return list(self._selected_tags)

    def _canvas_selection(self, tag_ids: list[str]) -> None:
        self._selected_tags = list(tag_ids)
        if self.timeline is not None and self.is_video():
            self.timeline.set_selected_tag(tag_ids[0] if len(tag_ids) == 1 else None)
        if self.inspector is not None:
            self.inspector.show_selection(self.media_id, list(tag_ids))

    def _tag_screen_pos(self, tag_id: str) -> QPoint:
        """Beside the tag on the canvas (the picker opens where the eye already is)."""
        tag = self.doc.tag(self.media_id, tag_id) if self.doc is not None and self.media_id else None
        if tag is None or self.canvas is None:
            return QCursor.pos()
        at = self.canvas.map_from_image(tag.x, tag.y).toPoint() + QPoint(16, 0)
        return self.canvas.viewport().mapToGlobal(at)

    def open_picker(self, tag_id: str, global_pos: QPoint | None = None) -> None:
        """The canvas (new tag) or the inspector asks to choose this tag's product."""
        if self.picker is None or self.doc is None or not self.media_id:
            return
        self._picking = [tag_id]
        self._picking_media = self.media_id
        tag = self.doc.tag(self.media_id, tag_id)
        query = ""
        if tag is not None and tag.product_id:
            product = self.doc.product(tag.product_id)
            query = product.title if product else ""
        self.picker.open_at(global_pos if global_pos is not None else QCursor.pos(), self.doc, query)

    def _picker_chosen(self, product_id: str, variant_id: str | None) -> None:
        tags, media_id = self._picking, self._picking_media
        self._picking = []
        if self.doc is None or not tags or self.doc.project.media_by_id(media_id) is None:
            return
        commands.assign_product(self.doc, media_id, tags, product_id, variant_id or None)

    def _picker_dismissed(self) -> None:
        """No choice: a new tag stays, unassigned (its label says "Choose product")."""
        self._picking = []

    # --- inspector edits --------------------------------------------------------------------

    def _edit(self, tag_ids: Sequence[str], change: Any, text: str) -> bool:
        if self.doc is None or not self.media_id:
            return False
        return commands.edit_tags(self.doc, self.media_id, list(tag_ids), change, text)

    def choose_variant(self, tag_id: str, variant_id: str | None) -> None:
        if self.doc is None or not self.media_id:
            return
        tag = self.doc.tag(self.media_id, tag_id)
        if tag is not None:
            self._edit([tag_id], lambda t: replace(t, variant_id=variant_id or None), "Choose variant")

    def set_label_text(self, tag_ids: list[str], text: str | None) -> None:
        self._edit(tag_ids, lambda t: replace(t, label=text or None), "Edit label text")

    def set_style(self, tag_ids: list[str], preset: str) -> None:
        self._edit(tag_ids, lambda t: replace(t, style=preset), "Change label style")

    def set_position(self, tag_id: str, x: float, y: float) -> None:
        def move(t: Tag) -> Tag:
            dx, dy = x - t.x, y - t.y
            box = t.box
            if box is not None:
                box = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
            return replace(t, x=x, y=y, box=box)

        self._edit([tag_id], move, "Move tag")

    def set_time_range(self, tag_id: str, start: float | None, end: float | None) -> None:
        """None = from the beginning / to the end of the clip."""
        if start is not None and end is not None and end < start:
            start, end = end, start
        self._edit([tag_id], lambda t: replace(t, start=start, end=end), "Change time range")

    # --- timeline and player ----------------------------------------------------------------

    def _timeline_selected(self, tag_id: str) -> None:
        if self.canvas is not None and tag_id:
            self.canvas.select_tags([tag_id])

    def _keyframe_clicked(self, tag_id: str, t: float) -> None:
        self._timeline_selected(tag_id)  # the timeline also emits seekRequested(t)

    def _frame_ready(self, image: Any, t: float) -> None:
        self.canvas.set_frame(image)
        self.canvas.set_time(t)

    def _position_changed(self, t: float) -> None:
        if self.timeline is not None:
            self.timeline.set_position(t)
        if self.canvas is not None:
            self.canvas.set_time(t)

    def play_pause(self) -> None:
        if self.player is not None and self.is_video():
            self.player.toggle()

    def step(self, frames: int) -> None:
        if self.player is not None and self.is_video():
            self.player.step(frames)

    # --- posts, catalog, clipboard ----------------------------------------------------------

    def edit_posts(self, posts_after: list[Post], undo_text: str) -> None:
        if self.doc is not None:
            commands.set_posts(self.doc, posts_after, undo_text or "Edit post")

    def tag_with_product(self, product_id: str) -> Tag | None:
        """Catalog double-click: a tag with this product at the centre of the open media."""
        media = self.current_media()
        if self.doc is None or media is None:
            return None
        tag = Tag(id=new_id("tag"), product_id=product_id, x=0.5, y=0.5)
        product = self.doc.product(product_id)
        title = product.title if product is not None else product_id
        (placed,) = commands.add_tags(self.doc, media.id, [tag], f"Tag {title}")
        if self.canvas is not None:
            self.canvas.select_tags([placed.id])
        return placed

    def copy_tags(self) -> int:
        """Copy the selected tags (all tags of the media when none is selected)."""
        media = self.current_media()
        if media is None:
            return 0
        tags: list[Tag] = []
        if self.canvas is not None:
            tags = list(self.canvas.copy_selected())
        if not tags:
            chosen = set(self._selected_tags)
            tags = [t for t in media.tags if not chosen or t.id in chosen]
        if tags:
            self.clipboard = [copy.deepcopy(t) for t in tags]
        return len(tags)

    def paste_tags(self, media_ids: Sequence[str]) -> int:
        if self.doc is None or not self.clipboard:
            return 0
        targets = list(media_ids) or ([self.media_id] if self.media_id else [])
        try:
            return commands.paste_tags(self.doc, targets, self.clipboard)
        except StudioError as exc:
            self.error.emit(exc)
            return 0

    def delete_selected(self) -> int:
        if self.doc is None or not self.media_id:
            return 0
        ids = self.selected_tags()
        return commands.remove_tags(self.doc, self.media_id, ids) if ids else 0
