"""The "old prices" review: media, exports and live posts that show a wrong price or a sold-out
product since the last catalog change, with Re-render for exports and an explanation for posts.

Why a dialog and not an automatic fix: re-rendering overwrites files the user may have sent
somewhere, and a published post can only be changed in ways each platform allows (and some
not at all) — so nothing happens without the user's click, and for posts the dialog explains the
options and opens the post rather than acting on it.

No business logic here: the list comes from `studio.core.price_ledger.stale` and the re-render
groups from `rerender_targets`, both run in a worker; re-rendering is `export_batch` per group.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.model import Project
from studio.core.price_ledger import (
    EXPORT,
    MEDIA,
    POST,
    PriceLedger,
    RerenderTarget,
    StaleItem,
    rerender_targets,
    stale,
    status_text,
)
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import Workspace
from studio.ui.workers import WorkerBridge

COLUMNS = ("Kind", "Product", "Shown", "Now", "Why", "Where")
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_TEXT = {EXPORT: "Export", POST: "Post", MEDIA: "Media"}
_STARTING = object()  # placeholder job handle between "busy" and the bridge's answer

#: What each platform allows for a published post whose image shows an old price. Facts from
#: shared/platforms/publishing.md; the Instagram and Facebook edit limits are UNCONFIRMED there.
POST_HELP: dict[str, str] = {
    "instagram": (
        "Instagram does not let an app replace the photo of a published post (and caption edits through "
        "the API are not documented). You can edit the caption in the Instagram app, or delete the post "
        "there and publish the re-rendered media again with Publish…."
    ),
    "facebook": (
        "A Facebook Page post's photo cannot be replaced. You can edit its text on Facebook, or publish the "
        "re-rendered media again with Publish… and delete the old post on Facebook."
    ),
    "pinterest": (
        "Pinterest lets a Pin's title, description and link be changed, not its image. Re-render, publish "
        "the new image with Publish…, then delete the old Pin on Pinterest."
    ),
}
DEFAULT_POST_HELP = (
    "The image of a published post cannot be changed in place. Re-render the media, publish it again "
    "and remove the old post on the platform."
)


def _money(price: str | None, currency: str) -> str:
    return f"{price} {currency}".strip() if price else "—"


def _availability(text: str) -> str:
    return {"out_of_stock": "sold out", "product_removed": "removed"}.get(text, text.replace("_", " "))


def load_stale(
    workspace: Workspace, *, progress: ProgressFn = no_progress, cancel: Any = None
) -> list[StaleItem]:
    """Worker function: the stale list (reads the ledger and the catalog)."""
    progress(0, 0, "Checking prices")
    return stale(workspace)


def _step_progress(progress: ProgressFn, step: int, steps: int) -> ProgressFn:
    def report(done: int, total: int, message: str) -> None:
        progress(step, steps, message)

    return report


def rerender(
    workspace: Workspace,
    project: Project,
    targets: Sequence[RerenderTarget],
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> int:
    """Worker function: one `export_batch` per target, on a project reduced to the target's media.

    Media that share a file-name stem with a selected one are kept too, so the export gives every
    file the same name as before (the batch disambiguates equal names by order). Returns the number
    of files written.
    """
    from studio.jobs.export_batch import export_batch
    from studio.render.presets import get_presets

    written = 0
    for n, target in enumerate(targets):
        chosen = set(target.media_ids)
        stems = {Path(m.name or m.path).stem.lower() for m in project.media if m.id in chosen}
        media = [m for m in project.media if m.id in chosen or Path(m.name or m.path).stem.lower() in stems]
        sub = dataclasses.replace(project, media=media)
        manifest = export_batch(
            workspace.root,
            sub,
            workspace.catalog_path,
            get_presets([target.preset], project),
            target.kinds,
            target.out_dir,
            workers=1,
            progress=_step_progress(progress, n, len(targets)),
            cancel=cancel,
        )
        written += int(manifest.summary().get("outputs_written", 0))
    progress(len(targets), len(targets), "Done")
    return written


class StaleDialog(QDialog):
    """Lists stale items; "Re-render selected" re-exports the selected exports' media."""

    #: emitted with the new list whenever it is (re)loaded — the window updates its status bar
    stale_changed = Signal(list)
    #: the user asked to see a media (double-click on a media or export row)
    open_media = Signal(str)
    #: the user chose to publish the selected post again (the window opens its Publish dialog)
    republish = Signal(str)

    def __init__(
        self,
        workspace: Workspace,
        project: Project,
        bridge: WorkerBridge,
        parent: QWidget | None = None,
        *,
        items: list[StaleItem] | None = None,
        open_url: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Old prices")
        self.workspace = workspace
        self.project = project
        self.bridge = bridge
        self.items: list[StaleItem] = []
        self._open_url = open_url or (lambda url: QDesktopServices.openUrl(QUrl(url)))
        self._job: Any = None
        self._note = ""  # result of the last action, kept across the refresh that follows it

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(self._double_clicked)
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.status = QLabel()

        self.refresh_button = QPushButton("&Refresh")
        self.rerender_button = QPushButton("Re-&render selected")
        self.rerender_button.setToolTip("Export the selected media again, to the same folders and sizes")
        self.open_post_button = QPushButton("&Open post")
        self.republish_button = QPushButton("Re-&publish…")
        self.republish_button.setToolTip(
            "Open this post's Publish dialog: it goes out again with today's prices (delete the old "
            "one on the platform yourself; no platform lets an app replace a published image)"
        )
        self.handled_button = QPushButton("&Mark post as handled…")
        self.handled_button.setToolTip(
            "Stop listing this post (after you changed or removed it on the platform)"
        )
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        self.refresh_button.clicked.connect(self.refresh)
        self.rerender_button.clicked.connect(self.rerender_selected)
        self.open_post_button.clicked.connect(self.open_selected_post)
        self.handled_button.clicked.connect(self.mark_handled)
        self.republish_button.clicked.connect(self.republish_selected)
        self.cancel_button.clicked.connect(self.cancel_job)
        self.close_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        for b in (
            self.refresh_button,
            self.rerender_button,
            self.open_post_button,
            self.republish_button,
            self.handled_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.help)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(860, 460)
        self._busy(False)
        if items is not None:
            self.set_items(items)
        else:
            self.refresh()

    # -- list ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._busy(True, "Checking prices…")
        self._submit(
            load_stale,
            self.workspace,
            label="checking prices",
            on_result=self._loaded,
            on_error=self._failed,
        )

    def _loaded(self, items: list[StaleItem]) -> None:
        self._busy(False, self._note)
        self._note = ""
        self.set_items(items)

    def set_items(self, items: list[StaleItem]) -> None:
        self.items = list(items)
        names = {m.id: (m.name or Path(m.path).name) for m in self.project.media}
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            where = (
                item.permalink or f"{item.platform} post"
                if item.kind == POST
                else item.ref
                if item.kind == EXPORT
                else names.get(item.media_id, item.media_id)
            )
            product = item.product_id + (f" / {item.variant_id}" if item.variant_id else "")
            shown = _money(item.shown_price, item.shown_currency) if item.kind != MEDIA else "(live label)"
            now = (
                _availability(item.current_availability)
                if item.reason in ("unavailable", "product_removed")
                else _money(item.current_price, item.current_currency)
            )
            cells = (KIND_TEXT.get(item.kind, item.kind), product, shown, now, item.message, where)
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if col == 0:
                    cell.setData(ITEM_ROLE, row)
                self.table.setItem(row, col, cell)
        text = status_text(self.items).replace(" — Review…", ".")
        self.summary.setText(text or "Nothing shows an old price or a sold-out product.")
        self._selection_changed()
        self.stale_changed.emit(list(self.items))

    def selected_items(self) -> list[StaleItem]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.items[r] for r in rows if 0 <= r < len(self.items)]

    def _selection_changed(self) -> None:
        chosen = self.selected_items()
        exports = [i for i in chosen if i.kind == EXPORT]
        posts = [i for i in chosen if i.kind == POST]
        idle = self._job is None
        self.rerender_button.setEnabled(idle and bool(exports))
        self.open_post_button.setEnabled(len(posts) == 1 and bool(posts[0].permalink))
        self.handled_button.setEnabled(idle and len(posts) == 1)
        self.republish_button.setEnabled(idle and len(posts) == 1 and bool(self._post_id(posts[0])))
        if posts:
            self.help.setText(POST_HELP.get(posts[0].platform, DEFAULT_POST_HELP))
        elif any(i.kind == MEDIA for i in chosen):
            self.help.setText(
                "This media is tagged with a product that is sold out or no longer in the catalog: "
                "move the tag to another product or remove it (double-click to open the media)."
            )
        elif exports:
            self.help.setText("Re-render makes these files again with today's prices, in the same place.")
        else:
            self.help.setText("")

    def _double_clicked(self, cell: QTableWidgetItem) -> None:
        item = self.items[cell.row()]
        if item.kind == POST and item.permalink:
            self._open_url(item.permalink)
        else:
            self.open_media.emit(item.media_id)

    # -- actions -----------------------------------------------------------------------------------

    def rerender_selected(self) -> None:
        chosen = self.selected_items()
        targets = rerender_targets(self.items, {i.media_id for i in chosen if i.kind == EXPORT})
        if not targets:
            return
        self._busy(True, "Re-rendering…")
        self._submit(
            rerender,
            self.workspace,
            copy.deepcopy(self.project),
            targets,
            label="re-rendering",
            on_result=self._rerendered,
            on_error=self._failed,
            on_progress=lambda d, t, m: self.status.setText(f"Re-rendering {d + 1}/{t}: {m}" if t else m),
            on_cancelled=self._cancelled,
        )

    def _rerendered(self, written: int) -> None:
        self._note = f"Re-rendered: {written} file(s) written."
        self._busy(False, self._note)
        self.refresh()

    def _cancelled(self) -> None:
        self._busy(False, "Cancelled; finished files were kept.")

    def _failed(self, error: StudioError) -> None:
        self._busy(False, f"Problem: {error}")

    def cancel_job(self) -> None:
        if self._job is not None and self._job is not _STARTING:
            self._job.cancel()

    def open_selected_post(self) -> None:
        posts = [i for i in self.selected_items() if i.kind == POST and i.permalink]
        if posts:
            self._open_url(posts[0].permalink)

    @staticmethod
    def _post_id(item: StaleItem) -> str:
        return item.post_id

    def republish_selected(self) -> None:
        posts = [i for i in self.selected_items() if i.kind == POST]
        post_id = self._post_id(posts[0]) if len(posts) == 1 else ""
        if post_id:
            self.republish.emit(post_id)
            self.accept()

    def mark_handled(self, *, confirm: Callable[[str], bool] | None = None) -> None:
        """Forget a post in the ledger once the user dealt with it on the platform (asks first)."""
        posts = [i for i in self.selected_items() if i.kind == POST]
        if len(posts) != 1:
            return
        post = posts[0]
        question = (
            f"Stop listing the {post.platform} post {post.permalink or post.ref}? Do this after you updated "
            "or removed it on the platform; the studio changes nothing there."
        )
        ask = confirm or (
            lambda q: QMessageBox.question(self, "Mark as handled", q) == QMessageBox.StandardButton.Yes
        )
        if not ask(question):
            return
        with PriceLedger.for_workspace(self.workspace.root) as ledger:
            ledger.forget(POST, post.ref)
        self.set_items([i for i in self.items if not (i.kind == POST and i.ref == post.ref)])

    def _submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Submit to the bridge; with an immediate bridge (tests) the job is over before `submit`
        returns, so the handle is kept only while the job still runs."""
        self._job = _STARTING
        job = self.bridge.submit(fn, *args, **kwargs)
        if self._job is _STARTING:
            self._job = job

    def _busy(self, busy: bool, message: str = "") -> None:
        if busy:
            self._job = self._job or _STARTING
        else:
            self._job = None
        self.refresh_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.status.setText(message)
        self._selection_changed()

    def done(self, result: int) -> None:
        self.cancel_job()
        super().done(result)
