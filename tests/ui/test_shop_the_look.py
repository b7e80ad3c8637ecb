"""Shop the look in a real MainWindow: worker run, ghost boxes, Enter/arrows/Tab/Esc, undo, batches.

The detection pipeline itself is replaced by fixed proposals (`analyze` monkeypatched, and the
product index by a no-op) — what is under test here is the studio's flow: the worker, the overlay,
the keys, the undo commands and the remembered rejections. The real pipeline is exercised by
tests/integration/test_cli_detect.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

import studio.jobs.shop_the_look as jobs
import studio.vision.shop_the_look as pipeline
from studio.core.errors import Cancelled
from studio.core.model import MediaKind
from studio.ui.main_window import MainWindow
from studio.ui.shop_the_look import ShopTheLookController, install_shop_the_look
from studio.vision.proposals import Match, Proposal


class _NoIndex:
    def update(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`analyze` returns `state["proposals"]` (filtered by the rejections it is given, like the real one)."""
    state: dict[str, Any] = {"proposals": [], "calls": [], "gate": None, "user_match": ""}

    def analyze(
        image: Any, *, catalog: Any, index: Any, user_box: Any = None, rejected=frozenset(), **kw: Any
    ):
        state["calls"].append((image.shape, set(rejected), user_box))
        gate = state["gate"]
        if gate is not None:  # a slow analysis: waits until cancelled (or 10 s)
            cancel = kw.get("cancel")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if cancel is not None and cancel():
                    raise Cancelled()
                time.sleep(0.01)
        out = []
        proposals = list(state["proposals"])
        if user_box is not None:
            proposals.insert(
                0, Proposal(user_box, "user", "your box", 1.0, "", (Match(state["user_match"], 0.6),))
            )
        for p in proposals:
            key = pipeline.proposal_key(p)
            out.append(p.with_matches([m for m in p.matches if (key, m.product_id) not in rejected]))
        return out

    monkeypatch.setattr(pipeline, "analyze", analyze)
    monkeypatch.setattr(jobs, "open_index", lambda ws: _NoIndex())
    return state


def _products(win: MainWindow) -> list[str]:
    return sorted(p.id for p in win.doc.catalog.all())


def _proposals(ids: list[str]) -> list[Proposal]:
    return [
        Proposal(
            (0.1, 0.2, 0.4, 0.6),
            "object",
            "detector: cup 80 %",
            0.8,
            "cup",
            (Match(ids[0], 0.91, "exact match"), Match(ids[1], 0.55), Match(ids[2], 0.31)),
        ),
        Proposal((0.5, 0.5, 0.9, 0.9), "outfit", "person 1: top", 0.7, "top", (Match(ids[1], 0.72),)),
    ]


def _setup(make_window: Any, root: Path, fake: dict[str, Any], media: str = "look.jpg") -> tuple:
    win = make_window(root)
    ctl = install_shop_the_look(win)
    assert isinstance(ctl, ShopTheLookController) and win.shop_the_look_controller is ctl
    target = next(m for m in win.doc.project.media if m.name == media)
    win.show_media(target.id)
    fake["proposals"] = _proposals(_products(win))
    return win, ctl, target


def _run(qtbot: Any, ctl: ShopTheLookController, media_ids: list[str] | None = None) -> None:
    with qtbot.waitSignal(ctl.finished, timeout=10000):
        ctl.run(media_ids)


def _key(
    qtbot: Any, win: MainWindow, key: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
):
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, key, mods)


def test_enter_accepts_as_an_undoable_tag(qtbot, make_window, studio_workspace, fake_pipeline) -> None:
    win, ctl, media = _setup(make_window, studio_workspace, fake_pipeline)
    _run(qtbot, ctl)
    assert fake_pipeline["calls"] and fake_pipeline["calls"][0][1] == set()
    assert ctl.active and len(ctl.ghost_items()) == 2
    assert ctl.panel.isVisible() and len(ctl.panel.rows()) == 3
    first = ctl.panel.rows()[0]
    assert "91 %" in first and "exact match" in first and "€" in first  # title, price, score, why
    assert "2 suggestion" in win.status_text.text()

    _key(qtbot, win, Qt.Key.Key_Return)
    tags = win.doc.media(media.id).tags
    assert len(tags) == 1
    tag = tags[0]
    assert tag.product_id == fake_pipeline["proposals"][0].matches[0].product_id
    assert tag.box == pytest.approx((0.1, 0.2, 0.4, 0.6)) and (tag.x, tag.y) == pytest.approx((0.25, 0.4))
    assert win.doc.undo_stack.undoText().startswith("Accept ")
    assert len(ctl.ghost_items()) == 1  # the accepted box is gone, the other one is active now
    assert win.canvas.selected_tag_ids() == [tag.id]

    win.undo()
    assert win.doc.media(media.id).tags == []
    win.redo()
    assert [t.id for t in win.doc.media(media.id).tags] == [tag.id]


def test_arrows_choose_another_product_and_tab_another_box(
    qtbot, make_window, studio_workspace, fake_pipeline
):
    win, ctl, media = _setup(make_window, studio_workspace, fake_pipeline)
    _run(qtbot, ctl)
    _key(qtbot, win, Qt.Key.Key_Down)
    _key(qtbot, win, Qt.Key.Key_Down)
    _key(qtbot, win, Qt.Key.Key_Up)
    assert ctl.panel.list.currentRow() == 1
    _key(qtbot, win, Qt.Key.Key_Return)
    (tag,) = win.doc.media(media.id).tags
    assert tag.product_id == fake_pipeline["proposals"][0].matches[1].product_id
    # the arrows did not nudge anything and Enter did not open the picker
    assert not win.picker.isVisible()

    third = _products(win)[2]
    fake_pipeline["proposals"] += [
        Proposal((0.05, 0.05, 0.2, 0.2), "product", "catalog photo found", 0.9, "", (Match(third, 0.88),)),
        Proposal((0.6, 0.05, 0.8, 0.2), "object", "detector: vase 50 %", 0.5, "vase", (Match(third, 0.4),)),
    ]
    _run(qtbot, ctl)
    # a later run offers only what is not tagged yet: the accepted cup's box is gone, and so is the
    # top whose only product is now tagged on this photo
    shown = [p.box for p in ctl.suggestions().proposals]
    assert len(ctl.ghost_items()) == 2 and sorted(shown) == [(0.05, 0.05, 0.2, 0.2), (0.6, 0.05, 0.8, 0.2)]
    _key(qtbot, win, Qt.Key.Key_Tab)
    assert ctl.suggestions().active == 1
    _key(qtbot, win, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert ctl.suggestions().active == 0
    for _ in range(shown.index((0.6, 0.05, 0.8, 0.2))):
        _key(qtbot, win, Qt.Key.Key_Tab)
    _key(qtbot, win, Qt.Key.Key_Return)
    assert win.doc.media(media.id).tags[-1].box == pytest.approx((0.6, 0.05, 0.8, 0.2))
    assert win.doc.media(media.id).tags[-1].product_id == third


def test_escape_remembers_the_rejection(qtbot, make_window, studio_workspace, fake_pipeline) -> None:
    win, ctl, media = _setup(make_window, studio_workspace, fake_pipeline)
    _run(qtbot, ctl)
    rejected_box = fake_pipeline["proposals"][0]
    _key(qtbot, win, Qt.Key.Key_Escape)
    assert win.doc.media(media.id).tags == []
    assert len(ctl.ghost_items()) == 1
    pairs = jobs.rejected_pairs(win.doc.project, media.id)
    key = pipeline.proposal_key(rejected_box)
    assert (key, rejected_box.matches[0].product_id) in pairs and (key, jobs.WHOLE_BOX) in pairs
    assert win.doc.dirty and win.doc.undo_stack.undoText() == "Dismiss suggestion"

    _run(qtbot, ctl)  # not offered again
    assert fake_pipeline["calls"][-1][1] == pairs
    boxes = [p.box for p in ctl.suggestions().proposals]
    assert boxes == [(0.5, 0.5, 0.9, 0.9)]

    assert win.save()  # remembered across sessions: it is in project.json
    from studio.core.workspace import Workspace

    with Workspace.open(studio_workspace, write=False) as ws:
        assert jobs.rejected_pairs(ws.project, media.id) == pairs

    win.undo()  # a dismissal is undoable like any gesture
    assert jobs.rejected_pairs(win.doc.project, media.id) == set()
    _key(qtbot, win, Qt.Key.Key_Escape)
    _key(qtbot, win, Qt.Key.Key_Escape)
    assert not ctl.active and not ctl.panel.isVisible()
    assert "No more suggestions" in win.status_text.text()
    # with nothing shown, Esc and Enter are the canvas's again (no crash, nothing accepted)
    _key(qtbot, win, Qt.Key.Key_Return)
    assert win.doc.media(media.id).tags == []


def test_a_selection_runs_one_after_another(qtbot, make_window, studio_workspace, fake_pipeline) -> None:
    win, ctl, media = _setup(make_window, studio_workspace, fake_pipeline)
    photos = [m.id for m in win.doc.project.media if m.kind is MediaKind.IMAGE]
    done: list[str] = []
    ctl.finished.connect(done.append)
    assert ctl.run(photos) == 3
    qtbot.waitUntil(lambda: len(done) == 3, timeout=15000)
    assert done == photos  # in order, one at a time
    assert set(ctl.results) == set(photos)
    assert len(ctl.ghost_items()) == 2 and ctl._shown == media.id
    other = next(p for p in photos if p != media.id)
    win.show_media(other)  # its suggestions are waiting for it
    assert ctl._shown == other and len(ctl.ghost_items()) == 2
    shapes = [c[0] for c in fake_pipeline["calls"]]
    assert (480, 640, 3) in shapes and (600, 400, 3) in shapes  # each photo was decoded upright


def test_cancel_stops_the_run(qtbot, make_window, studio_workspace, fake_pipeline) -> None:
    win, ctl, _media = _setup(make_window, studio_workspace, fake_pipeline)
    fake_pipeline["gate"] = threading.Event()
    photos = [m.id for m in win.doc.project.media if m.kind is MediaKind.IMAGE]
    ctl.run(photos)
    qtbot.waitUntil(lambda: bool(fake_pipeline["calls"]), timeout=5000)
    assert ctl.busy and win.cancel_button.isVisible()
    with qtbot.waitSignal(ctl.finished, timeout=10000):
        win.cancel_button.click()  # the status bar's Cancel reaches the job
    assert not ctl.busy and ctl.results == {}
    assert "cancelled" in win.status_text.text()
    assert len(fake_pipeline["calls"]) == 1  # the queued photos did not start


def test_video_accept_tracks_the_tag(qtbot, make_window, studio_workspace, fake_pipeline) -> None:
    win, ctl, clip = _setup(make_window, studio_workspace, fake_pipeline, media="clip.mp4")
    _run(qtbot, ctl)
    assert fake_pipeline["calls"][0][0][:2] == (64, 96)  # the frame at the playhead
    assert ctl.active
    win.player.positionChanged.emit(0.5)  # another frame: the suggestions were for frame 0
    assert not ctl.active and not ctl.ghost_items()
    win.player.positionChanged.emit(0.0)
    assert ctl.active and len(ctl.ghost_items()) == 2
    with qtbot.waitSignal(win.doc.undo_stack.indexChanged, timeout=15000):
        tag_id = ctl.accept_current()  # Enter; the tracking job follows in the background
    qtbot.waitUntil(lambda: win.doc.undo_stack.undoText() == "Track tag", timeout=15000)
    tag = win.doc.tag(clip.id, tag_id)
    assert tag is not None and tag.keyframes and tag.keyframes[0].t == 0.0
    win.undo()  # tracking is its own step: the tag stays, its keyframes go
    assert win.doc.tag(clip.id, tag_id).keyframes == []


def test_a_drawn_box_without_product_is_the_query(
    qtbot, make_window, studio_workspace, fake_pipeline
) -> None:
    from studio.core.model import Tag, new_id
    from studio.ui import commands

    win, ctl, media = _setup(make_window, studio_workspace, fake_pipeline)
    fake_pipeline["user_match"] = _products(win)[2]
    drawn = Tag(id=new_id("tag"), product_id="", x=0.7, y=0.3, box=(0.6, 0.2, 0.8, 0.4))
    commands.add_tags(win.doc, media.id, [drawn], "Add tag")
    win.canvas.select_tags([drawn.id])
    _run(qtbot, ctl)
    assert fake_pipeline["calls"][-1][2] == pytest.approx((0.6, 0.2, 0.8, 0.4))
    assert ctl.suggestions().proposals[0].kind == "user" and len(ctl.ghost_items()) == 3
    _key(qtbot, win, Qt.Key.Key_Return)
    (tag,) = win.doc.media(media.id).tags  # the drawn box got the product; no second tag
    assert tag.id == drawn.id and tag.product_id == _products(win)[2]
    assert tag.box == pytest.approx((0.6, 0.2, 0.8, 0.4))
    win.undo()
    assert win.doc.media(media.id).tags[0].product_id == ""
