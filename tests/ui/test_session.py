"""A workspace's life in the window: save → reopen, crash recovery, close questions, locks, recents."""

from __future__ import annotations

from pathlib import Path

from studio.core import recovery
from studio.core.app_settings import AppSettings
from studio.core.model import Tag, new_id
from studio.core.workspace import Workspace
from studio.ui import commands
from studio.ui.main_window import MainWindow


def _place_two_tags(win: MainWindow) -> tuple[str, list[Tag]]:
    media = next(m for m in win.doc.project.media if m.name == "look.jpg")
    mug = win.doc.catalog.find("MUG-1")
    tags = commands.add_tags(
        win.doc,
        media.id,
        [
            Tag(id=new_id("tag"), product_id=mug.id, x=0.3, y=0.4),
            Tag(id=new_id("tag"), product_id="", x=0.6, y=0.5, box=(0.5, 0.4, 0.7, 0.6)),
        ],
    )
    return media.id, tags


def test_save_then_reopen_keeps_tags(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    assert not win.windowTitle().startswith("•")
    media_id, tags = _place_two_tags(win)
    assert win.windowTitle().startswith("• ")
    win.action_map["file.save"].trigger()
    assert not win.doc.dirty and not win.windowTitle().startswith("•")
    win.close()
    assert win.dialogs.asked_save == 0  # nothing unsaved: no question
    assert win.doc is None

    again = make_window(studio_workspace)
    reopened = again.doc.media(media_id).tags
    assert [(t.id, t.product_id, t.x, t.y, t.box) for t in reopened] == [
        (t.id, t.product_id, t.x, t.y, t.box) for t in tags
    ]
    assert not again.dialogs.recover_offers


def test_crash_recovery_offer_restores_the_tags(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    media_id, tags = _place_two_tags(win)
    win.doc.autosave_now()
    assert recovery.recovery_path(studio_workspace).exists()
    # A crash: project.json is never written; the OS drops the lock with the process.
    win.doc.workspace.close()
    win.doc = None  # the window "died" with its document

    again = make_window(studio_workspace)
    (offer,) = again.dialogs.recover_offers
    assert offer.modified > 0
    assert [t.id for t in again.doc.media(media_id).tags] == [t.id for t in tags]
    assert again.doc.dirty and again.windowTitle().startswith("•")
    again.action_map["file.save"].trigger()
    assert not recovery.recovery_path(studio_workspace).exists()
    with Workspace.open(studio_workspace, write=False) as ws:
        assert len(ws.project.media_by_id(media_id).tags) == 2


def test_declining_recovery_deletes_it(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    media_id, _ = _place_two_tags(win)
    win.doc.autosave_now()
    win.doc.workspace.close()
    win.doc = None

    again = make_window(studio_workspace, recover_choice=False)
    assert len(again.dialogs.recover_offers) == 1
    assert again.doc.media(media_id).tags == []
    assert not again.doc.dirty
    assert not recovery.recovery_path(studio_workspace).exists()


def test_closing_with_unsaved_changes_asks(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace, save_choice="cancel")
    media_id, _ = _place_two_tags(win)

    assert not win.close()  # Cancel: the window and its work stay
    assert win.dialogs.asked_save == 1 and win.doc is not None and win.doc.dirty

    win.dialogs.save_choice = "save"
    assert win.close()
    assert win.dialogs.asked_save == 2
    with Workspace.open(studio_workspace, write=False) as ws:
        assert len(ws.project.media_by_id(media_id).tags) == 2


def test_discarding_on_close_leaves_the_saved_project_and_no_recovery(
    qtbot, make_window, studio_workspace: Path
) -> None:
    win = make_window(studio_workspace, save_choice="discard")
    media_id, _ = _place_two_tags(win)
    win.doc.autosave_now()
    assert win.close()
    assert not recovery.recovery_path(studio_workspace).exists()
    with Workspace.open(studio_workspace, write=False) as ws:
        assert ws.project.media_by_id(media_id).tags == []


def test_opening_another_workspace_asks_about_the_current_one(
    qtbot, make_window, studio_workspace: Path, sample_workspace: Path
) -> None:
    win = make_window(studio_workspace, save_choice="cancel")
    _place_two_tags(win)
    assert not win.open_workspace(sample_workspace)
    assert win.workspace.root == studio_workspace.resolve()
    win.dialogs.save_choice = "discard"
    assert win.open_workspace(sample_workspace)
    assert win.workspace.root == sample_workspace.resolve()
    assert win.library.model.rowCount() == 2


def test_a_workspace_open_elsewhere_gets_the_clear_message(
    qtbot, make_window, studio_workspace: Path
) -> None:
    with Workspace.open(studio_workspace):  # another window (flock is per open file)
        win = make_window()
        assert not win.open_workspace(studio_workspace)
    assert win.doc is None
    (message,) = win.dialogs.errors
    assert "already open in another window" in message


def test_recent_workspaces_are_remembered(
    qtbot, make_window, studio_workspace: Path, sample_workspace: Path
) -> None:
    win = make_window(studio_workspace)
    assert win.open_workspace(sample_workspace)
    settings = AppSettings.load()
    assert settings.last_workspace == str(sample_workspace.resolve())
    assert settings.recent[:2] == [str(sample_workspace.resolve()), str(studio_workspace.resolve())]
    win.recent_menu.aboutToShow.emit()
    entries = [a for a in win.recent_menu.actions() if a.isEnabled()]
    assert len(entries) == 1 and str(studio_workspace.resolve()) in entries[0].text()
    entries[0].trigger()
    assert win.workspace.root == studio_workspace.resolve()


def test_startup_timings_hook(monkeypatch, capsys) -> None:
    import studio.__main__ as entry
    from studio.ui import app

    assert app.process_start() == entry.PROCESS_START <= app._IMPORTED_AT
    monkeypatch.setenv(app.TIMINGS_ENV, "1")
    app.report_timing("t_shown")
    out = capsys.readouterr().out.strip()
    assert out.startswith("t_shown=")
    assert 0 < float(out.split("=")[1]) < 3600
    monkeypatch.delenv(app.TIMINGS_ENV)
    app.report_timing("t_shown")
    assert capsys.readouterr().out == ""


def test_new_workspace_dialog_creates_and_opens_it(qtbot, make_window, tmp_path: Path) -> None:
    win = make_window()

    def fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        dialog.folder.setText(str(tmp_path / "fresh"))
        dialog.currency_box.setCurrentText("eur")
        dialog.locale_box.setCurrentText("de_DE")
        return True

    win.run_dialog = fill  # type: ignore[method-assign]
    win.action_map["file.new"].trigger()
    assert win.doc is not None and win.workspace.root == (tmp_path / "fresh").resolve()
    assert (win.doc.project.currency, win.doc.project.locale) == ("EUR", "de_DE")
    assert (tmp_path / "fresh" / "project.json").exists()
    assert win.windowTitle() == "fresh — Shoppable Studio"
