"""The media library: filters, search, lazy thumbnails, badges' data, and adding media by drag & drop."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.core.model import Media, MediaKind, Post, Tag, new_id
from studio.core.workspace import Workspace
from studio.ui import commands
from studio.ui.document import Document
from studio.ui.library import (
    MEDIA_ID_ROLE,
    MISSING_ROLE,
    THUMB_READY_ROLE,
    MediaFilter,
    MediaLibrary,
    duration_text,
)
from studio.ui.workers import WorkerBridge


@pytest.fixture
def bridge() -> Iterator[WorkerBridge]:
    b = WorkerBridge(immediate=False)
    yield b
    b.cancel_all()
    assert b.wait(10000)


@pytest.fixture
def doc(studio_workspace: Path) -> Iterator[Document]:
    d = Document(Workspace.open(studio_workspace))
    yield d
    d.close()


@pytest.fixture
def library(qtbot, bridge: WorkerBridge, doc: Document) -> MediaLibrary:
    lib = MediaLibrary(bridge)
    qtbot.addWidget(lib)
    lib.resize(420, 600)
    lib.show()
    lib.set_document(doc)
    return lib


def _names(lib: MediaLibrary) -> list[str]:
    return [lib.model.data(lib.model.index(r)) for r in range(lib.model.rowCount())]


def _by_name(doc: Document, name: str) -> Media:
    return next(m for m in doc.project.media if m.name == name)


def test_filters_and_search(qtbot, library: MediaLibrary, doc: Document) -> None:
    assert _names(library) == ["clip.mp4", "look.jpg", "mug.png", "street.jpg"]
    look, mug = _by_name(doc, "look.jpg"), _by_name(doc, "mug.png")
    commands.add_tags(doc, look.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    commands.set_posts(doc, [Post(id=new_id("post"), media_ids=[mug.id])], "New post")

    library.set_filter(MediaFilter.TAGGED)
    assert _names(library) == ["look.jpg"]
    library.set_filter(MediaFilter.UNTAGGED)
    assert _names(library) == ["clip.mp4", "mug.png", "street.jpg"]
    library.set_filter(MediaFilter.IN_POST)
    assert _names(library) == ["mug.png"]
    assert library.filter_box.currentText() == "In a post (1)"

    # The filter follows the model: undoing the tag empties "Tagged".
    library.set_filter(MediaFilter.TAGGED)
    doc.undo_stack.undo()  # the post
    doc.undo_stack.undo()  # the tag
    assert _names(library) == []

    library.set_filter(MediaFilter.ALL)
    qtbot.keyClicks(library.search, "JPG")
    assert _names(library) == ["look.jpg", "street.jpg"]
    library.search.setText("stre")
    assert _names(library) == ["street.jpg"]
    library.search.clear()
    assert len(_names(library)) == 4
    assert "4 files" in library.header.text()


def test_selection_and_current_media(qtbot, library: MediaLibrary, doc: Document) -> None:
    look, street = _by_name(doc, "look.jpg"), _by_name(doc, "street.jpg")
    seen: list[str] = []
    library.currentMediaChanged.connect(seen.append)
    library.select_media([look.id, street.id], current=street.id)
    assert library.selected_media_ids() == [look.id, street.id]
    assert library.current_media_id() == street.id
    assert seen[-1] == street.id
    # A search that hides a selected item keeps the other one selected.
    library.search.setText("look")
    assert library.selected_media_ids() == [look.id]


def test_thumbnails_arrive_for_visible_items_only(qtbot, bridge: WorkerBridge, tmp_path: Path) -> None:
    """300 media, a small view: only the rows on (or near) screen are decoded; scrolling brings the rest."""
    with Workspace.create(tmp_path / "big") as ws:
        Image.new("RGB", (64, 48), "teal").save(ws.root / "p.jpg")
        for i in range(300):  # one small file, 300 distinct cache keys
            ws.project.media.append(
                Media(
                    id=f"med_{i:04d}",
                    path="p.jpg",
                    content_hash=f"sha256:{i:064x}",
                    kind=MediaKind.IMAGE,
                    width=64,
                    height=48,
                    name=f"photo {i:03d}.jpg",
                )
            )
        ws.save()
    doc = Document(Workspace.open(tmp_path / "big"))
    submitted: list[str] = []
    original = bridge.submit

    def counting_submit(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        submitted.append(kwargs.get("label", ""))
        return original(fn, *args, **kwargs)

    bridge.submit = counting_submit  # type: ignore[method-assign]
    lib = MediaLibrary(bridge)
    qtbot.addWidget(lib)
    lib.resize(330, 420)
    lib.show()
    lib.set_document(doc)
    try:
        visible = lib.visible_rows()
        assert 0 < len(visible) < 30
        model = lib.model
        qtbot.waitUntil(lambda: all(model.index(r).data(THUMB_READY_ROLE) for r in visible), timeout=10000)
        assert len(submitted) < 60  # not 300
        assert not model.index(299).data(THUMB_READY_ROLE)
        lib.view.scrollToBottom()
        qtbot.waitUntil(lambda: model.index(299).data(THUMB_READY_ROLE), timeout=10000)
        assert len(submitted) < 120
    finally:
        bridge.cancel_all()
        bridge.wait(10000)
        doc.close()


def test_missing_file_is_flagged_without_decoding(qtbot, library: MediaLibrary, doc: Document) -> None:
    street = _by_name(doc, "street.jpg")
    doc.workspace.media_path(street).unlink()
    doc.media_list_changed()
    row = library.model.row_of(street.id)
    assert library.model.index(row).data(MISSING_ROLE) is True
    assert "missing" in library.header.text()
    assert "file not found" in library.model.index(row).data(Qt.ItemDataRole.ToolTipRole)


def test_duration_badge_text() -> None:
    assert duration_text(7.4) == "0:07"
    assert duration_text(750) == "12:30"
    assert duration_text(3723) == "1:02:03"


def _drop(target, paths: list[Path]) -> QDropEvent:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    with warnings.catch_warnings():  # PySide6 flags the (only) QPoint constructor as deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPointF(20, 20).toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    return drop


def test_dropping_a_folder_on_the_library_adds_its_media_and_names_the_corrupt_file(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    win = make_window(studio_workspace)
    folder = tmp_path / "shoot"
    (folder / "sub").mkdir(parents=True)
    Image.new("RGB", (320, 240), "red").save(folder / "beach.jpg")
    Image.new("RGB", (240, 320), "blue").save(folder / "sub" / "portrait.png")
    (folder / "broken.jpg").write_bytes(b"this is not a jpeg at all")
    before = len(win.doc.project.media)

    drop = _drop(win.library.view.viewport(), [folder])
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: len(win.doc.project.media) == before + 2, timeout=10000)
    qtbot.waitUntil(lambda: bool(win.dialogs.problems), timeout=5000)
    _title, summary, lines = win.dialogs.problems[0]
    assert len(lines) == 1 and "broken.jpg" in lines[0]
    assert "Added 2 media" in summary
    assert {m.name for m in win.doc.project.media[-2:]} == {"beach.jpg", "portrait.png"}
    assert win.doc.dirty and win.windowTitle().startswith("•")
    # The new media are listed and selected; the first one is on the canvas.
    names = {win.library.model.index(r).data() for r in range(win.library.model.rowCount())}
    assert {"beach.jpg", "portrait.png"} <= names
    assert win.controller.media_id in {m.id for m in win.doc.project.media[-2:]}


def test_dropping_files_on_the_window_or_canvas_adds_them_once(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    win = make_window(studio_workspace)
    Image.new("RGB", (120, 90), "green").save(tmp_path / "new.jpg")
    before = len(win.doc.project.media)
    _drop(win, [tmp_path / "new.jpg"])
    qtbot.waitUntil(lambda: len(win.doc.project.media) == before + 1, timeout=10000)
    qtbot.waitUntil(lambda: not win.bridge.running or "Added" in win.status_text.text(), timeout=5000)
    # The same content again, dropped on the canvas this time, is a duplicate, not a second media.
    _drop(win.canvas.viewport(), [tmp_path / "new.jpg"])
    qtbot.waitUntil(lambda: "already in the workspace" in win.status_text.text(), timeout=10000)
    assert len(win.doc.project.media) == before + 1
    assert not win.dialogs.problems
    ids = [win.library.model.index(r).data(MEDIA_ID_ROLE) for r in range(win.library.model.rowCount())]
    assert len(ids) == before + 1
