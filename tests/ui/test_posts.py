"""The posts panel: new posts from the selection, live caption counters, one edit per commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from studio.core.model import Post
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.ui import commands
from studio.ui.document import Document
from studio.ui.posts import PostsPanel
from studio.ui.workers import WorkerBridge


@pytest.fixture
def doc(sample_workspace: Path) -> Iterator[Document]:
    ws = Workspace.open(sample_workspace)
    Image.new("RGB", (500, 500), "olive").save(sample_workspace / "media" / "tote.jpg")
    add_media([sample_workspace / "media" / "tote.jpg"], ws.project, ws.root)
    assert len(ws.project.media) == 3
    document = Document(ws)
    yield document
    document.close()


class Recorder:
    """Records postsEdited and, like the main window, applies it as one undo command."""

    def __init__(self, panel: PostsPanel, doc: Document) -> None:
        self.calls: list[tuple[list[Post], str]] = []
        self.doc = doc
        panel.postsEdited.connect(self._apply)

    def _apply(self, posts: list[Post], text: str) -> None:
        self.calls.append((posts, text))
        commands.set_posts(self.doc, posts, text)


@pytest.fixture
def panel(qtbot, doc: Document) -> PostsPanel:
    bridge = WorkerBridge(immediate=True)
    widget = PostsPanel(bridge)
    qtbot.addWidget(widget)
    widget.set_document(doc)
    widget.show()
    widget.activateWindow()
    return widget


def _carousel(qtbot, panel: PostsPanel, doc: Document) -> Recorder:
    recorder = Recorder(panel, doc)
    panel.set_selected_media([m.id for m in doc.project.media])
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    return recorder


def test_new_post_from_three_images_is_a_carousel(qtbot, panel: PostsPanel, doc: Document) -> None:
    assert not panel.new_button.isEnabled()
    recorder = _carousel(qtbot, panel, doc)
    assert len(recorder.calls) == 1
    posts, text = recorder.calls[0]
    assert text == "New carousel post"
    assert [p.media_ids for p in posts] == [[m.id for m in doc.project.media]]
    assert panel.posts_list.count() == 1
    assert panel.posts_list.item(0).text().startswith("Carousel · 3 items · draft")
    assert panel.current_post_id() == posts[0].id  # the new post is selected for editing
    assert panel.kind_label.text().startswith("Carousel")
    assert panel.media_list.count() == 3
    assert panel.platform_boxes["instagram"].isChecked()
    assert not panel.problems.item(0).text().startswith("The post")  # 3 images: publishable
    assert not panel.posts_list.item(0).icon().isNull()


def test_long_caption_turns_the_instagram_counter_red(qtbot, panel: PostsPanel, doc: Document) -> None:
    _carousel(qtbot, panel, doc)
    panel.caption.setFocus()
    panel.caption.insertPlainText("x" * 2201)
    ig, pin = panel.counters["instagram"], panel.counters["pinterest"]
    assert ig.property("over") is True and "d32f2f" in ig.styleSheet()
    assert ig.text().startswith("Instagram 2,201 / 2,200")
    assert pin.property("over") is False  # Pinterest is not ticked
    problems = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert "Instagram: the caption has 2,201 characters, the limit is 2,200" in problems
    panel.caption.textCursor().deletePreviousChar()
    assert ig.property("over") is False and ig.styleSheet() == ""


def test_caption_commits_once_on_focus_out(qtbot, panel: PostsPanel, doc: Document) -> None:
    recorder = _carousel(qtbot, panel, doc)
    recorder.calls.clear()
    panel.caption.setFocus()
    qtbot.keyClicks(panel.caption, "Linen #summer")
    assert recorder.calls == []  # not per keystroke
    other = QLineEdit(panel)
    other.show()
    other.setFocus()  # focus leaves the caption
    qtbot.waitUntil(lambda: len(recorder.calls) == 1)
    posts, text = recorder.calls[0]
    assert text == "Edit caption" and posts[0].caption == "Linen #summer"
    assert doc.project.posts[0].caption == "Linen #summer"
    panel.caption.setFocus()
    other.setFocus()
    assert len(recorder.calls) == 1  # nothing new to commit


def test_caption_commits_after_idle(qtbot, panel: PostsPanel, doc: Document) -> None:
    recorder = _carousel(qtbot, panel, doc)
    recorder.calls.clear()
    panel.caption.setFocus()
    with qtbot.waitSignal(panel.postsEdited, timeout=5000) as signal:
        qtbot.keyClicks(panel.caption, "abc")
    assert signal.args[0][0].caption == "abc"
    assert len(recorder.calls) == 1
    assert panel.caption.toPlainText() == "abc" and panel.caption.textCursor().position() == 3


def test_reorder_remove_and_platforms(qtbot, panel: PostsPanel, doc: Document) -> None:
    recorder = _carousel(qtbot, panel, doc)
    a, b, c = (m.id for m in doc.project.media)
    panel.media_list.setCurrentRow(0)
    qtbot.mouseClick(panel.later_button, Qt.MouseButton.LeftButton)
    assert recorder.calls[-1][1] == "Reorder post media"
    assert doc.project.posts[0].media_ids == [b, a, c]
    panel.media_list.setCurrentRow(2)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert doc.project.posts[0].media_ids == [b, a]
    panel.platform_boxes["pinterest"].click()
    assert doc.project.posts[0].platforms["pinterest"] == {}
    assert panel.pin_title.isVisible()
    panel.platform_boxes["instagram"].click()
    assert doc.project.posts[0].platforms["instagram"] == {"enabled": False}
    assert panel.counters["instagram"].isEnabled() is False
    doc.undo_stack.undo()
    assert panel.platform_boxes["instagram"].isChecked()  # re-read after undo
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert doc.project.posts == [] and panel.posts_list.count() == 0
    assert not panel.editor.isEnabled()


def test_discount_code_is_added_once_and_undoable(qtbot, panel: PostsPanel, doc: Document) -> None:
    from studio.core.orders import discount_code_for

    recorder = _carousel(qtbot, panel, doc)
    post_id = panel.current_post_id()
    panel.caption.setPlainText("Summer linen")
    panel.code_button.click()  # commits the typed caption first, then adds the code: two steps
    post = next(p for p in doc.project.posts if p.id == post_id)
    code = discount_code_for(post_id, None).split("-", 1)[1]
    assert post.caption.startswith("Summer linen\n\n") and code in post.caption
    assert recorder.calls[-1][1].startswith("Add discount code")
    panel.code_button.click()  # already there: nothing more
    assert len(recorder.calls) == 3
    doc.undo_stack.undo()
    assert next(p for p in doc.project.posts if p.id == post_id).caption == "Summer linen"
