"""Product icons for lists (picker, inspector, catalog): instant placeholder, real image later.

`icon(product)` never blocks: it returns what is known now (a cached real thumbnail, or a coloured
initials placeholder) and, the first time, asks the worker bridge to run
`studio.jobs.product_thumbs.product_thumbnail` off the GUI thread. When a real image arrives,
`updated(product_id)` tells the views to repaint. A tag change on any media re-requests the
products tagged there (a moved box gives a new crop); a catalog change forgets everything.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from studio.core.errors import StudioError
from studio.core.model import Product, Project
from studio.jobs.product_thumbs import product_thumbnail
from studio.ui.document import Document
from studio.ui.workers import WorkerBridge

log = logging.getLogger(__name__)

DEFAULT_SIZE = 64

_PALETTE = ("#8e5a9b", "#3f7cac", "#3c8d6e", "#b5651d", "#a23b5a", "#5b6bbf", "#6f8f2f", "#b04a3a")


def initials(title: str) -> str:
    """Up to two letters from the first words of a title ('Chemise en lin' -> 'CE')."""
    words = [w for w in title.split() if w[:1].isalnum()]
    letters = "".join(w[0] for w in words[:2]).upper()
    return letters or "?"


def placeholder_pixmap(product_id: str, title: str, size: int = DEFAULT_SIZE) -> QPixmap:
    """A rounded square in a colour derived from the id (stable across runs) with the initials."""
    index = hashlib.blake2b(product_id.encode(), digest_size=1).digest()[0] % len(_PALETTE)
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_PALETTE[index]))
    painter.drawRoundedRect(QRect(0, 0, size, size), size / 6, size / 6)
    font = QFont()
    font.setPixelSize(max(8, int(size * 0.38)))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRect(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials(title))
    painter.end()
    return pix


def _snapshot(project: Project, product_id: str) -> Project:
    """The part of the project the job reads, copied: the worker must not see a list being replaced."""
    media = [copy.deepcopy(m) for m in project.media if any(t.product_id == product_id for t in m.tags)]
    return Project(name=project.name, media=media)


class ProductThumbs(QObject):
    """Per-document cache of product icons; one request per product until something changes."""

    updated = Signal(str)  # product id whose icon became (or stopped being) a real image

    def __init__(
        self, bridge: WorkerBridge, parent: QObject | None = None, *, size: int = DEFAULT_SIZE
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.size = size
        self._doc: Document | None = None
        self._real: dict[str, QPixmap] = {}
        self._placeholders: dict[str, QPixmap] = {}
        self._requested: set[str] = set()
        self._seen_on: dict[str, set[str]] = {}  # product id -> media it was tagged on at request time
        self._generation = 0  # results of requests made before a reset are dropped

    def set_document(self, doc: Document | None) -> None:
        if self._doc is not None:
            for signal, slot in (
                (self._doc.tagsChanged, self._on_tags_changed),
                (self._doc.catalogChanged, self.clear),
            ):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
        self._doc = doc
        self.clear()
        if doc is not None:
            doc.tagsChanged.connect(self._on_tags_changed)
            doc.catalogChanged.connect(self.clear)

    def clear(self) -> None:
        """Forget every icon (catalog re-imported, other workspace)."""
        self._generation += 1
        self._real.clear()
        self._requested.clear()
        self._seen_on.clear()

    def placeholder(self, product: Product) -> QPixmap:
        pix = self._placeholders.get(product.id)
        if pix is None:
            pix = self._placeholders[product.id] = placeholder_pixmap(product.id, product.title, self.size)
        return pix

    def pixmap(self, product: Product) -> QPixmap:
        """The best pixmap known now; requests the real one the first time."""
        real = self._real.get(product.id)
        if real is not None:
            return real
        self._request(product)
        return self._real.get(product.id) or self.placeholder(product)  # an immediate bridge fills it now

    def icon(self, product: Product) -> QIcon:
        return QIcon(self.pixmap(product))

    def has_real(self, product_id: str) -> bool:
        return product_id in self._real

    def refresh(self, product_id: str) -> None:
        """Ask again for one product (its tags moved, its local image changed)."""
        self._requested.discard(product_id)
        if self._doc is not None:
            product = self._doc.product(product_id)
            if product is not None:
                self._request(product)

    # --- internals --------------------------------------------------------------------------

    def _request(self, product: Product) -> None:
        if self._doc is None or product.id in self._requested:
            return
        self._requested.add(product.id)
        generation = self._generation
        pid = product.id

        def arrived(path: Path | None) -> None:
            self._arrived(pid, path, generation)

        def failed(error: StudioError) -> None:
            self._failed(pid, error)

        snapshot = _snapshot(self._doc.project, pid)
        self._seen_on[pid] = {m.id for m in snapshot.media}
        self.bridge.submit(
            product_thumbnail,
            self._doc.workspace.root,
            snapshot,
            copy.deepcopy(product),
            self.size,
            label=f"thumbnail {product.title}",
            on_result=arrived,
            on_error=failed,
        )

    def _arrived(self, product_id: str, path: Path | None, generation: int) -> None:
        if generation != self._generation:
            return
        had = product_id in self._real
        pix = QPixmap(str(path)) if path is not None else QPixmap()
        if not pix.isNull():
            self._real[product_id] = pix
        else:
            self._real.pop(product_id, None)
        if had or not pix.isNull():
            self.updated.emit(product_id)

    def _failed(self, product_id: str, error: StudioError) -> None:
        """A thumbnail is decoration: on error the placeholder stays (no dialog, no retry loop)."""
        log.debug("no thumbnail for %s: %s", product_id, error)

    def _on_tags_changed(self, media_id: str) -> None:
        """Re-request products tagged on this media now, or on it when their icon was requested."""
        if self._doc is None:
            return
        media = self._doc.project.media_by_id(media_id)
        now = {t.product_id for t in media.tags} if media is not None else set()
        for product_id in list(self._requested):
            if product_id in now or media_id in self._seen_on.get(product_id, ()):
                self.refresh(product_id)
