"""The open workspace as the GUI sees it: model + undo stack + change signals + autosave.

Why one object: the canvas, inspector, library, timeline and post editor all show the same
project. Commands (studio/ui/commands.py) are the only code that changes it, through the few
mutators below, and every change is announced with a signal, so each view re-reads the model
instead of keeping a second copy that can drift. Autosave writes a recovery file a few seconds
after the last change (see studio/core/recovery.py); Save writes project.json atomically.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QUndoStack

from studio.core import recovery
from studio.core.catalog_store import CatalogStore
from studio.core.errors import StudioError
from studio.core.model import LabelStyle, Media, Post, Product, Project, Tag, Variant
from studio.core.workspace import Workspace

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 3000


class Document(QObject):
    """Owns the Workspace while it is open in a window."""

    tagsChanged = Signal(str)  # media id whose tag list changed
    mediaChanged = Signal()  # media list changed (added, removed, relinked)
    postsChanged = Signal()
    styleChanged = Signal()  # workspace label style
    catalogChanged = Signal()  # products imported/edited
    extraChanged = Signal(str)  # key of project.extra that changed (export presets, crop focus)
    dirtyChanged = Signal(bool)
    saved = Signal()
    autosaveFailed = Signal(object)  # StudioError

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._dirty_outside_stack = False  # e.g. a recovered project: unsaved but nothing to undo
        self._product_cache: dict[str, Product | None] = {}
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.autosave_now)
        self.undo_stack.indexChanged.connect(self._on_index_changed)

    # --- reading ----------------------------------------------------------------------------

    @property
    def project(self) -> Project:
        return self.workspace.project

    @property
    def catalog(self) -> CatalogStore:
        return self.workspace.catalog

    @property
    def locale(self) -> str:
        return self.project.locale

    @property
    def label_style(self) -> LabelStyle:
        return self.project.label_style

    def media(self, media_id: str) -> Media:
        found = self.project.media_by_id(media_id)
        if found is None:
            raise KeyError(media_id)
        return found

    def tag(self, media_id: str, tag_id: str) -> Tag | None:
        return next((t for t in self.media(media_id).tags if t.id == tag_id), None)

    def product(self, product_id: str) -> Product | None:
        """Catalog lookup with a small cache (labels are painted often; SQLite is not free)."""
        if product_id not in self._product_cache:
            self._product_cache[product_id] = self.catalog.get(product_id) if product_id else None
        return self._product_cache[product_id]

    def variant(self, tag: Tag) -> Variant | None:
        product = self.product(tag.product_id)
        if product is None or not tag.variant_id:
            return None
        return next((v for v in product.variants if v.id == tag.variant_id), None)

    def posts_containing(self, media_id: str) -> list[Post]:
        return [p for p in self.project.posts if media_id in p.media_ids]

    @property
    def dirty(self) -> bool:
        return self._dirty_outside_stack or not self.undo_stack.isClean()

    # --- mutators (commands only) -----------------------------------------------------------

    def set_tags(self, media_id: str, tags: Iterable[Tag]) -> None:
        """Replace a media's whole tag list with copies (commands keep their own snapshots)."""
        self.media(media_id).tags = [copy.deepcopy(t) for t in tags]
        self.tagsChanged.emit(media_id)

    def set_posts(self, posts: Iterable[Post]) -> None:
        self.project.posts = [copy.deepcopy(p) for p in posts]
        self.postsChanged.emit()

    def set_label_style(self, style: LabelStyle) -> None:
        self.project.label_style = copy.deepcopy(style)
        self.styleChanged.emit()
        for m in self.project.media:
            if m.tags:
                self.tagsChanged.emit(m.id)

    def set_extra(self, key: str, value: object) -> None:
        """Replace one project.extra entry with a copy (None removes it): presets, crop focus."""
        if value is None:
            self.project.extra.pop(key, None)
        else:
            self.project.extra[key] = copy.deepcopy(value)
        self.extraChanged.emit(key)

    def media_list_changed(self) -> None:
        """Media were added or relinked (not undoable: files on disk are involved)."""
        self._dirty_outside_stack = True
        self.dirtyChanged.emit(True)
        self.mediaChanged.emit()
        self._changed()

    def catalog_changed(self) -> None:
        self._product_cache.clear()
        self.catalogChanged.emit()
        for m in self.project.media:
            if m.tags:
                self.tagsChanged.emit(m.id)

    def adopt_recovered(self, project: Project) -> None:
        """Load autosaved work found after a crash, as unsaved changes."""
        self.workspace.project = project
        self._dirty_outside_stack = True
        self.dirtyChanged.emit(True)
        self.mediaChanged.emit()
        self.postsChanged.emit()
        self.styleChanged.emit()

    # --- saving -----------------------------------------------------------------------------

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(self.dirty)

    @Slot(int)
    def _on_index_changed(self, _index: int) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.workspace.writable:
            self._autosave.start()

    def autosave_now(self) -> None:
        """Write the recovery file (atomic). Failures are reported, never raised into Qt."""
        if not self.dirty or not self.workspace.writable:
            return
        try:
            recovery.write_recovery(self.project, self.workspace.root)
        except OSError as exc:
            self.autosaveFailed.emit(
                StudioError(f"autosave failed: {exc.strerror or exc}", hint="free some disk space, then save")
            )

    def save(self) -> None:
        """Write project.json atomically, then drop the recovery file. Raises StudioError."""
        self._autosave.stop()
        self.workspace.save()
        recovery.discard_recovery(self.workspace.root)
        self._dirty_outside_stack = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(False)
        self.saved.emit()

    def discard_changes(self) -> None:
        """The user chose not to save on close: the recovery file goes too."""
        self._autosave.stop()
        recovery.discard_recovery(self.workspace.root)

    def close(self) -> None:
        self._autosave.stop()
        self.workspace.close()
