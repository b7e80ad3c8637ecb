"""Undo commands: the only code that changes the project while a window has it open.

Every user gesture is exactly one command on the document's QUndoStack (a drag is one move, an
arrow-key nudge is one step that merges with the next nudge of the same tags). Commands keep
whole before/after snapshots of the media's tag list (tags are tiny), which makes undo exact by
construction instead of by reversing arithmetic. Views never edit the model; they listen to the
Document's signals and re-read it.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from studio.core.geometry import clamp_point, normalize_box
from studio.core.model import LabelStyle, Post, Tag, new_id
from studio.ui.document import Document

MERGE_NUDGE = 1001


def clamped(tag: Tag) -> Tag:
    """A tag whose anchor, box and keyframes all lie inside the image (0..1)."""
    x, y = clamp_point(tag.x, tag.y)
    box = normalize_box(tag.box) if tag.box is not None else None
    keyframes = [replace(k, x=clamp_point(k.x, k.y)[0], y=clamp_point(k.x, k.y)[1]) for k in tag.keyframes]
    return replace(tag, x=x, y=y, box=box, keyframes=keyframes)


class _DocumentCommand(QUndoCommand):
    """Holds its Document weakly: the document owns the undo stack that owns the command, and a
    strong back-reference would make a cycle the garbage collector may break on a worker thread."""

    _doc: weakref.ref[Document]

    @property
    def doc(self) -> Document:
        doc = self._doc()
        if doc is None:  # pragma: no cover - the stack dies with its document
            raise RuntimeError("the document of this undo command is gone")
        return doc


class TagsCommand(_DocumentCommand):
    """Replace one media's tag list: `before` on undo, `after` on redo."""

    def __init__(
        self,
        doc: Document,
        media_id: str,
        before: Sequence[Tag],
        after: Sequence[Tag],
        text: str,
        *,
        merge_id: int = -1,
        merge_key: object = None,
        parent: QUndoCommand | None = None,
    ) -> None:
        super().__init__(text, parent)
        self._doc = weakref.ref(doc)
        self.media_id = media_id
        self.before = [copy.deepcopy(t) for t in before]
        self.after = [clamped(t) for t in after]
        self._merge_id = merge_id
        self.merge_key = merge_key

    def id(self) -> int:
        return self._merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, TagsCommand)
            or other.media_id != self.media_id
            or other.merge_key != self.merge_key
        ):
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.doc.set_tags(self.media_id, self.after)

    def undo(self) -> None:
        self.doc.set_tags(self.media_id, self.before)


class PostsCommand(_DocumentCommand):
    def __init__(self, doc: Document, before: Sequence[Post], after: Sequence[Post], text: str) -> None:
        super().__init__(text)
        self._doc = weakref.ref(doc)
        self.before = [copy.deepcopy(p) for p in before]
        self.after = [copy.deepcopy(p) for p in after]

    def redo(self) -> None:
        self.doc.set_posts(self.after)

    def undo(self) -> None:
        self.doc.set_posts(self.before)


class LabelStyleCommand(_DocumentCommand):
    def __init__(self, doc: Document, after: LabelStyle, text: str = "Change label style") -> None:
        super().__init__(text)
        self._doc = weakref.ref(doc)
        self.before = copy.deepcopy(doc.label_style)
        self.after = copy.deepcopy(after)

    def redo(self) -> None:
        self.doc.set_label_style(self.after)

    def undo(self) -> None:
        self.doc.set_label_style(self.before)


class ExtraCommand(_DocumentCommand):
    """Replace one `project.extra` entry (export presets, crop focus); None means "absent"."""

    def __init__(self, doc: Document, key: str, after: object, text: str) -> None:
        super().__init__(text)
        self._doc = weakref.ref(doc)
        self.key = key
        self.before = copy.deepcopy(doc.project.extra.get(key))
        self.after = copy.deepcopy(after)

    def redo(self) -> None:
        self.doc.set_extra(self.key, self.after)

    def undo(self) -> None:
        self.doc.set_extra(self.key, self.before)


# --- one function per gesture -------------------------------------------------------------------


def add_tags(doc: Document, media_id: str, tags: Iterable[Tag], text: str = "Add tag") -> list[Tag]:
    """Place new tags (a click, a drag, a paste, an accepted detection). Returns them clamped."""
    before = doc.media(media_id).tags
    new = [clamped(t) for t in tags]
    if not new:
        return []
    doc.undo_stack.push(TagsCommand(doc, media_id, before, [*before, *new], text))
    return new


def remove_tags(doc: Document, media_id: str, tag_ids: Iterable[str]) -> int:
    ids = set(tag_ids)
    before = doc.media(media_id).tags
    after = [t for t in before if t.id not in ids]
    removed = len(before) - len(after)
    if removed:
        text = "Delete tag" if removed == 1 else f"Delete {removed} tags"
        doc.undo_stack.push(TagsCommand(doc, media_id, before, after, text))
    return removed


def edit_tags(
    doc: Document,
    media_id: str,
    tag_ids: Iterable[str],
    change: Callable[[Tag], Tag],
    text: str,
    *,
    merge_id: int = -1,
) -> bool:
    """Apply `change` to each named tag as one command. No-op edits push nothing."""
    ids = set(tag_ids)
    before = doc.media(media_id).tags
    after = [clamped(change(copy.deepcopy(t))) if t.id in ids else t for t in before]
    if after == before:
        return False
    key = (frozenset(ids), text) if merge_id != -1 else None
    doc.undo_stack.push(TagsCommand(doc, media_id, before, after, text, merge_id=merge_id, merge_key=key))
    return True


def move_tags(doc: Document, media_id: str, positions: dict[str, Tag], text: str = "Move tag") -> bool:
    """End of a drag/resize: the tags' final geometry, one command for the whole gesture."""
    return edit_tags(
        doc,
        media_id,
        positions,
        lambda t: replace(
            t,
            x=positions[t.id].x,
            y=positions[t.id].y,
            box=positions[t.id].box,
            keyframes=positions[t.id].keyframes,
        ),
        text,
    )


def nudge_tags(doc: Document, media_id: str, tag_ids: Iterable[str], dx: float, dy: float) -> bool:
    """Arrow keys: consecutive nudges of the same selection merge into one undo step."""
    from studio.core.geometry import translate_box_inside

    def shift(t: Tag) -> Tag:
        if t.box is not None:
            box = translate_box_inside(t.box, dx, dy)
            return replace(t, x=t.x + (box[0] - t.box[0]), y=t.y + (box[1] - t.box[1]), box=box)
        return replace(t, x=t.x + dx, y=t.y + dy)

    return edit_tags(doc, media_id, tag_ids, shift, "Nudge", merge_id=MERGE_NUDGE)


def assign_product(
    doc: Document, media_id: str, tag_ids: Iterable[str], product_id: str, variant_id: str | None
) -> bool:
    title = doc.product(product_id).title if doc.product(product_id) else product_id
    return edit_tags(
        doc,
        media_id,
        tag_ids,
        lambda t: replace(t, product_id=product_id, variant_id=variant_id),
        f"Assign {title}",
    )


def paste_tags(doc: Document, media_ids: Iterable[str], tags: Sequence[Tag]) -> int:
    """Paste copied tags onto each media at the same relative positions, as one undo step."""
    targets = [m for m in media_ids if doc.project.media_by_id(m) is not None]
    if not targets or not tags:
        return 0
    doc.undo_stack.beginMacro(
        f"Paste {len(tags)} tag(s)" + (f" onto {len(targets)} media" if len(targets) > 1 else "")
    )
    try:
        for media_id in targets:
            add_tags(doc, media_id, [replace(copy.deepcopy(t), id=new_id("tag")) for t in tags], "Paste")
    finally:
        doc.undo_stack.endMacro()
    return len(targets) * len(tags)


def set_posts(doc: Document, posts: Sequence[Post], text: str) -> None:
    doc.undo_stack.push(PostsCommand(doc, doc.project.posts, posts, text))


def set_label_style(doc: Document, style: LabelStyle) -> None:
    if style != doc.label_style:
        doc.undo_stack.push(LabelStyleCommand(doc, style))


def set_extra(doc: Document, key: str, value: object, text: str) -> bool:
    """One undo step replacing `project.extra[key]` (None removes it). No-op changes push nothing."""
    if doc.project.extra.get(key) == value:
        return False
    doc.undo_stack.push(ExtraCommand(doc, key, value, text))
    return True
