"""Undo commands over a real workspace: each gesture is one step, undo is exact, tags stay inside."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from studio.core import recovery
from studio.core.model import LabelStyle, Post, Tag, new_id
from studio.core.workspace import Workspace
from studio.ui import commands
from studio.ui.document import Document


@pytest.fixture
def doc(qtbot, sample_workspace: Path):
    d = Document(Workspace.open(sample_workspace))
    yield d
    d.close()


def _media_ids(doc: Document) -> list[str]:
    return [m.id for m in doc.project.media]


def test_add_tag_is_one_undo_step_and_clamped(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    seen: list[str] = []
    doc.tagsChanged.connect(seen.append)
    (tag,) = commands.add_tags(doc, mid, [Tag(id=new_id("tag"), product_id="mug", x=1.4, y=-0.2)])
    assert (tag.x, tag.y) == (1.0, 0.0)
    assert [t.id for t in doc.media(mid).tags] == [tag.id]
    assert seen == [mid]
    doc.undo_stack.undo()
    assert doc.media(mid).tags == []
    doc.undo_stack.redo()
    assert doc.media(mid).tags[0].x == 1.0


def test_nudges_of_the_same_selection_merge(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    (tag,) = commands.add_tags(doc, mid, [Tag(id=new_id("tag"), product_id="mug", x=0.5, y=0.5)])
    for _ in range(5):
        commands.nudge_tags(doc, mid, [tag.id], 0.01, 0.0)
    assert doc.media(mid).tags[0].x == pytest.approx(0.55)
    assert doc.undo_stack.count() == 2  # add + one merged nudge
    doc.undo_stack.undo()
    assert doc.media(mid).tags[0].x == pytest.approx(0.5)


def test_nudging_a_box_past_the_edge_keeps_its_size(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    (tag,) = commands.add_tags(
        doc, mid, [Tag(id=new_id("tag"), product_id="mug", x=0.9, y=0.5, box=(0.8, 0.4, 0.95, 0.6))]
    )
    commands.nudge_tags(doc, mid, [tag.id], 0.2, 0.0)
    moved = doc.media(mid).tags[0]
    assert moved.box == pytest.approx((0.85, 0.4, 1.0, 0.6))
    assert moved.x == pytest.approx(0.95)


def test_paste_onto_several_media_is_one_step_with_new_ids(doc: Document) -> None:
    first, second = _media_ids(doc)
    source = Tag(id=new_id("tag"), product_id="mug", x=0.25, y=0.75, box=(0.2, 0.7, 0.3, 0.8))
    assert commands.paste_tags(doc, [first, second], [source]) == 2
    pasted = [doc.media(m).tags[0] for m in (first, second)]
    assert all((t.x, t.y, t.box) == (0.25, 0.75, (0.2, 0.7, 0.3, 0.8)) for t in pasted)
    assert len({t.id for t in pasted} | {source.id}) == 3
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert all(doc.media(m).tags == [] for m in (first, second))


def test_no_op_edit_pushes_nothing(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    (tag,) = commands.add_tags(doc, mid, [Tag(id=new_id("tag"), product_id="mug", x=0.5, y=0.5)])
    assert not commands.edit_tags(doc, mid, [tag.id], lambda t: t, "Nothing")
    assert doc.undo_stack.count() == 1


def test_assign_product_and_posts_and_style_undo(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    (tag,) = commands.add_tags(doc, mid, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    commands.assign_product(doc, mid, [tag.id], "chemise-lin", None)
    assert doc.undo_stack.undoText() == "Assign Chemise en lin Été"
    commands.set_posts(doc, [Post(id=new_id("post"), media_ids=[mid], caption="Hi")], "New post")
    commands.set_label_style(doc, replace(LabelStyle(), preset="minimal"))
    assert doc.label_style.preset == "minimal" and len(doc.project.posts) == 1
    for _ in range(3):
        doc.undo_stack.undo()
    assert doc.label_style.preset == "pill" and doc.project.posts == []
    assert doc.media(mid).tags[0].product_id == ""


def test_dirty_state_autosave_and_save(doc: Document) -> None:
    mid = _media_ids(doc)[0]
    assert not doc.dirty
    commands.add_tags(doc, mid, [Tag(id=new_id("tag"), product_id="mug", x=0.5, y=0.5)])
    assert doc.dirty
    doc.autosave_now()
    pending = recovery.pending_recovery(doc.workspace.root)
    assert pending is not None and len(pending.project.media_by_id(mid).tags) == 1
    doc.save()
    assert not doc.dirty
    assert not recovery.recovery_path(doc.workspace.root).exists()
    reopened = Workspace.open(doc.workspace.root, write=False)
    assert len(reopened.project.media_by_id(mid).tags) == 1
