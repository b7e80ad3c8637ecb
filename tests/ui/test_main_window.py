"""The main window over real workspaces: layout, the action registry, catalog panel, copy/paste, video."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from studio.core.model import Media, Tag, new_id
from studio.core.workspace import Workspace
from studio.jobs.demo import ensure_demo_workspace
from studio.ui import actions as registry
from studio.ui import commands
from studio.ui.catalog_panel import COL_PRICE, COL_TITLE, COL_VARIANTS, COL_WAS
from studio.ui.library import THUMB_READY_ROLE
from studio.ui.main_window import EXPORT_PENDING_TIP, MainWindow, export_available
from studio.ui.shortcuts_dialog import ShortcutsDialog


def _media(win: MainWindow, name: str) -> Media:
    return next(m for m in win.doc.project.media if m.name == name)


# --- registry --------------------------------------------------------------------------------


def test_every_action_has_a_unique_shortcut_or_none() -> None:
    seen: dict[str, str] = {}
    for spec in registry.ACTIONS:
        for key in registry.portable_keys(spec):
            assert key, f"{spec.id}: shortcut {spec.shortcuts} does not parse"
            assert key not in seen, f"{key} is used by both {seen[key]} and {spec.id}"
            seen[key] = spec.id
    assert len({s.id for s in registry.ACTIONS}) == len(registry.ACTIONS)
    assert {s.menu for s in registry.ACTIONS} == set(registry.MENUS)


def test_menus_toolbar_and_help_come_from_the_registry(qtbot, window: MainWindow) -> None:
    in_menus = {a.objectName() for menu in window.menus.values() for a in menu.actions() if a.objectName()}
    assert in_menus == {s.id for s in registry.ACTIONS}
    for spec in registry.ACTIONS:
        action = window.action_map[spec.id]
        assert [k.toString(QKeySequence.SequenceFormat.PortableText) for k in action.shortcuts()] == (
            registry.portable_keys(spec)
        )
    redo = window.action_map["edit.redo"]
    assert redo.shortcuts() == [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    toolbar = {a.objectName() for a in window.toolbar.actions() if a.objectName()}
    assert toolbar == {s.id for s in registry.ACTIONS if s.toolbar}
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(registry.ACTIONS) + len(registry.CANVAS_KEYS)
    listed = {
        (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
        for r in range(dialog.table.rowCount())
    }
    for spec in registry.ACTIONS:
        native = ", ".join(
            QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in spec.shortcuts
        )
        assert (spec.plain_text, native) in listed
    dialog.filter.setText("paste")
    assert [row[1] for row in dialog.visible_rows()] == ["Paste tags"]
    export = window.action_map["file.export"]
    if not export_available():
        assert not export.isEnabled() and export.toolTip() == EXPORT_PENDING_TIP
    else:
        assert export.isEnabled()


def test_keyboard_shortcut_runs_the_action(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    mid = window.controller.media_id
    commands.add_tags(window.doc, mid, [Tag(id=new_id("tag"), product_id="", x=0.2, y=0.2)])
    window.library.view.setFocus()
    qtbot.keyClick(window.library.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.media(mid).tags == []
    qtbot.keyClick(
        window.library.view,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(window.doc.media(mid).tags) == 1


# --- layout ----------------------------------------------------------------------------------


def test_layout_library_left_panels_tabbed_right(qtbot, window: MainWindow) -> None:
    assert window.dockWidgetArea(window.library_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    right = [window.inspector_dock, window.catalog_dock, window.posts_dock, window.history_dock]
    for dock in right:
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert set(window.tabifiedDockWidgets(window.inspector_dock)) == set(right[1:])
    assert window.history.stack() is window.doc.undo_stack
    assert not window.timeline.isVisible()  # a photo is open


def test_dock_layout_is_remembered(qtbot, make_window, studio_workspace: Path) -> None:
    first = make_window(studio_workspace)
    first.action_map["view.show_posts"].trigger()  # hide
    assert first.posts_dock.isHidden()
    first.close()
    second = make_window()
    assert second.posts_dock.isHidden()
    assert not second.action_map["view.show_posts"].isChecked()
    second.action_map["view.show_posts"].trigger()
    assert not second.posts_dock.isHidden()


# --- catalog panel ---------------------------------------------------------------------------


def test_catalog_search_is_live_and_locale_formatted(qtbot, window: MainWindow) -> None:
    table = window.catalog.table
    assert table.rowCount() == 3
    qtbot.keyClicks(window.catalog.search, "chemise ete")
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=3000)
    assert table.item(0, COL_TITLE).text() == "Chemise en lin Été"
    assert table.item(0, COL_PRICE).text() == "89,00\u00a0€"
    assert table.item(0, COL_WAS).text() == "110,00\u00a0€" and table.item(0, COL_WAS).font().strikeOut()
    assert table.item(0, COL_VARIANTS).text() == "2"
    window.catalog.search.clear()
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=3000)
    assert "3 products" in window.catalog.header.text()


def test_double_click_on_a_product_tags_the_open_photo(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    win.library.select_media([look.id])
    assert win.controller.media_id == look.id
    mug_row = next(
        r for r in range(win.catalog.table.rowCount()) if win.catalog.table.item(r, 0).text() == "Ceramic mug"
    )
    win.catalog.table.itemActivated.emit(win.catalog.table.item(mug_row, COL_TITLE))
    (tag,) = win.doc.media(look.id).tags
    product = win.doc.catalog.get(tag.product_id)
    assert product is not None and product.title == "Ceramic mug"
    assert (tag.x, tag.y) == (0.5, 0.5)
    assert win.canvas.selected_tag_ids() == [tag.id]
    win.action_map["edit.undo"].trigger()
    assert win.doc.media(look.id).tags == []


# --- tags through the window -----------------------------------------------------------------


def test_copy_tags_then_paste_onto_two_photos_is_one_undo_step(
    qtbot, make_window, studio_workspace: Path
) -> None:
    win = make_window(studio_workspace)
    look, mug, street = (_media(win, n) for n in ("look.jpg", "mug.png", "street.jpg"))
    originals = [
        Tag(id=new_id("tag"), product_id="", x=0.25, y=0.4),
        Tag(id=new_id("tag"), product_id="", x=0.7, y=0.6, box=(0.6, 0.5, 0.8, 0.7)),
    ]
    commands.add_tags(win.doc, look.id, originals)
    win.library.select_media([look.id])
    assert win.controller.media_id == look.id
    win.action_map["edit.select_all"].trigger()
    assert sorted(win.canvas.selected_tag_ids()) == sorted(t.id for t in originals)
    win.action_map["edit.copy"].trigger()
    assert win.action_map["edit.paste"].isEnabled()

    win.library.select_media([mug.id, street.id])
    depth = win.doc.undo_stack.count()
    win.action_map["edit.paste"].trigger()
    assert win.doc.undo_stack.count() == depth + 1
    for target in (mug, street):
        pasted = win.doc.media(target.id).tags
        assert [(t.x, t.y, t.box) for t in pasted] == [(t.x, t.y, t.box) for t in originals]
        assert not {t.id for t in pasted} & {t.id for t in originals}
    win.action_map["edit.undo"].trigger()
    assert win.doc.media(mug.id).tags == [] and win.doc.media(street.id).tags == []
    assert len(win.doc.media(look.id).tags) == 2


def test_picker_assigns_the_new_tag_and_dismissal_keeps_it_unassigned(
    qtbot, make_window, studio_workspace: Path
) -> None:
    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    win.library.select_media([look.id])
    (tag,) = commands.add_tags(win.doc, look.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    win.canvas.pickerRequested.emit(tag.id, win.canvas.mapToGlobal(win.canvas.rect().center()))
    assert win.picker.isVisible()
    win.picker.dismiss()
    assert win.doc.media(look.id).tags[0].product_id == ""
    assert win.controller.tag_label(win.doc.media(look.id).tags[0]) == "Choose product"

    win.canvas.pickerRequested.emit(tag.id, win.canvas.mapToGlobal(win.canvas.rect().center()))
    mug = win.doc.catalog.find("MUG-1")
    win.picker.chosen.emit(mug.id, None)
    assert win.doc.media(look.id).tags[0].product_id == mug.id
    assert win.doc.undo_stack.undoText().startswith("Assign")


def test_new_post_from_library_selection(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    look, mug = _media(win, "look.jpg"), _media(win, "mug.png")
    win.library.select_media([look.id, mug.id])
    win.action_map["post.new"].trigger()
    (post,) = win.doc.project.posts
    assert post.media_ids == [look.id, mug.id]
    win.action_map["edit.undo"].trigger()
    assert win.doc.project.posts == []


# --- integration smoke -----------------------------------------------------------------------


def test_select_photo_then_video_shows_canvas_and_timeline(
    qtbot, make_window, studio_workspace: Path
) -> None:
    win = make_window(studio_workspace)
    look, clip = _media(win, "look.jpg"), _media(win, "clip.mp4")
    win.library.select_media([look.id])
    assert win.canvas.current_media_id() == look.id
    assert win.canvas.isVisible() and not win.timeline.isVisible()
    assert not win.action_map["video.play"].isEnabled()
    qtbot.waitUntil(lambda: win.zoom_label.text().endswith("%"), timeout=5000)

    frames: list[float] = []
    win.player.frameReady.connect(lambda _img, t: frames.append(t))
    win.library.select_media([clip.id])
    assert win.canvas.current_media_id() == clip.id
    assert win.timeline.isVisible()
    assert win.action_map["video.play"].isEnabled()
    qtbot.waitUntil(lambda: bool(frames), timeout=10000)
    qtbot.waitUntil(lambda: win.timeline.duration > 0, timeout=5000)
    win.action_map["video.play"].trigger()
    assert win.player.is_playing and win.timeline.is_playing
    win.action_map["video.play"].trigger()
    assert not win.player.is_playing
    win.player.seek(0.0)
    qtbot.waitUntil(lambda: win.player.frame_number == 0, timeout=5000)
    win.action_map["video.next_frame"].trigger()
    qtbot.waitUntil(lambda: win.player.frame_number == 1, timeout=5000)
    qtbot.waitUntil(lambda: win.timeline.position > 0, timeout=5000)

    (tag,) = commands.add_tags(win.doc, clip.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    assert [r.tag_id for r in win.timeline.rows] == [tag.id]
    win.timeline.timeRangeEdited.emit(tag.id, 0.2, 0.8)
    edited = win.doc.media(clip.id).tags[0]
    assert (edited.start, edited.end) == (0.2, 0.8)
    win.library.select_media([look.id])
    assert not win.timeline.isVisible()


def test_demo_workspace_opens_in_the_window(qtbot, make_window) -> None:
    root = ensure_demo_workspace()
    win = make_window(root)
    assert win.library.model.rowCount() == len(win.doc.project.media) >= 7
    assert win.catalog.table.rowCount() >= 10
    with Workspace.open(root, write=False) as ws:
        assert len(ws.project.all_tags()) >= 3


def test_inspector_edits_become_undoable_commands(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    win.library.select_media([look.id])
    chemise = win.doc.catalog.find("CH-S")
    (tag,) = commands.add_tags(
        win.doc,
        look.id,
        [Tag(id=new_id("tag"), product_id=chemise.id, x=0.5, y=0.5, box=(0.4, 0.4, 0.6, 0.6))],
    )
    win.canvas.select_tags([tag.id])
    assert win.inspector.tag_ids == [tag.id]
    depth = win.doc.undo_stack.count()

    other = next(v for v in chemise.variants if v.id != tag.variant_id)
    win.inspector.variantChosen.emit(tag.id, other.id)
    win.inspector.labelTextEdited.emit([tag.id], "Summer linen")
    win.inspector.styleChosen.emit([tag.id], "minimal")
    win.inspector.positionEdited.emit(tag.id, 0.7, 0.2)
    edited = win.doc.media(look.id).tags[0]
    assert (edited.variant_id, edited.label, edited.style) == (other.id, "Summer linen", "minimal")
    assert (edited.x, edited.y) == (0.7, 0.2)
    assert edited.box == pytest.approx((0.6, 0.1, 0.8, 0.3))  # the box moves with its anchor
    assert win.doc.undo_stack.count() == depth + 4
    for _ in range(4):
        win.action_map["edit.undo"].trigger()
    restored = win.doc.media(look.id).tags[0]
    assert (restored.variant_id, restored.label, restored.x, restored.box) == (
        tag.variant_id,
        None,
        0.5,
        (0.4, 0.4, 0.6, 0.6),
    )


def test_library_paints_badges_without_errors(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    commands.add_tags(win.doc, look.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    qtbot.waitUntil(
        lambda: all(win.library.model.index(r).data(THUMB_READY_ROLE) for r in range(4)), timeout=10000
    )
    image = win.library.view.viewport().grab().toImage()
    assert not image.isNull() and image.width() > 100


def test_export_dialog_runs_the_batch_export(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    if not export_available():
        pytest.skip("no export job yet")
    win = make_window(studio_workspace)
    win.export_workers = 1  # in-process: no process-pool start-up in tests
    look = _media(win, "look.jpg")
    commands.add_tags(win.doc, look.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    out = tmp_path / "out"

    def configure(dialog) -> bool:  # type: ignore[no-untyped-def]
        assert len(dialog.chosen_presets()) == 2 and dialog.chosen_kinds() == ["clean", "labeled"]
        dialog.scope.setCurrentIndex(dialog.scope.findData("tagged"))
        dialog.folder.setText(str(out))
        return True

    win.run_dialog = configure  # type: ignore[method-assign]
    win.action_map["file.export"].trigger()
    qtbot.waitUntil(lambda: win.status_text.text().startswith("Exported"), timeout=30000)
    assert "Exported 1 media" in win.status_text.text()
    assert (out / "manifest.json").exists()
    assert len([p for p in out.rglob("*.jpg")]) == 4  # 1 tagged photo × 2 sizes × clean/labeled


def test_import_catalog_refreshes_the_panel_and_reports_bad_rows(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    win = make_window(studio_workspace)
    csv = tmp_path / "more.csv"
    csv.write_text(
        "Title,URL handle,Vendor,Status,SKU,Option1 name,Option1 value,Price\n"
        "Linen napkin,napkin,Maison,active,NAP-1,Title,Default Title,12.00\n"
        "Broken,broken,Maison,active,BRK-1,Title,Default Title,not-a-price\n",
        encoding="utf-8",
    )
    win.import_catalog_file(csv)
    qtbot.waitUntil(lambda: win.catalog.table.rowCount() == 4, timeout=10000)
    assert win.status_text.text().startswith("Imported 1 products")
    ((title, _summary, lines),) = win.dialogs.problems
    assert title == "Catalog import" and len(lines) == 1
    assert "more.csv" in lines[0] and "3" in lines[0]  # file and record number


def test_inspector_pick_opens_the_picker_at_the_tag(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    win.library.select_media([look.id])
    (tag,) = commands.add_tags(win.doc, look.id, [Tag(id=new_id("tag"), product_id="", x=0.5, y=0.5)])
    win.inspector.pickRequested.emit(tag.id)
    assert win.picker.isVisible()
    tote = win.doc.catalog.find("TOTE-1")
    win.picker.chosen.emit(tote.id, None)
    assert win.doc.media(look.id).tags[0].product_id == tote.id


def test_status_bar_shows_background_work_and_cancel(qtbot, window: MainWindow) -> None:
    import threading

    release = threading.Event()

    def slow(*, progress, cancel):  # type: ignore[no-untyped-def]
        progress(1, 4, "Working on it")
        while not cancel.cancelled and not release.wait(0.01):
            pass
        cancel.raise_if_cancelled()
        return 1

    cancelled: list[bool] = []
    window.status_text.setText("Imported 3 products")
    window.bridge.submit(
        slow,
        label="slow job",
        on_progress=window.show_job_progress,
        on_cancelled=lambda: cancelled.append(True),
    )
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "Working on it (1/4)" in window.jobs_label.text(), timeout=5000)
    assert window.progress.maximum() == 4 and window.progress.value() == 1
    assert window.status_text.text() == "Imported 3 products"  # results are not overwritten by work
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cancelled == [True], timeout=5000)
    qtbot.waitUntil(lambda: not window.bridge.running, timeout=5000)
    assert window.cancel_button.isHidden() and window.progress.isHidden()


def test_select_all_in_the_library_selects_media_not_tags(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    win.library.view.setFocus()
    qtbot.waitUntil(win.library.view.hasFocus, timeout=3000)
    win.action_map["edit.select_all"].trigger()
    assert len(win.library.selected_media_ids()) == 4


def test_label_style_dialog_change_is_one_undo_step(qtbot, window: MainWindow) -> None:
    assert window.doc.label_style.preset == "pill"

    def choose(dialog) -> bool:  # type: ignore[no-untyped-def]
        dialog.set_preset("callout")
        return True

    window.run_dialog = choose  # type: ignore[method-assign]
    window.action_map["edit.label_style"].trigger()
    assert window.doc.label_style.preset == "callout"
    assert window.windowTitle().startswith("•")
    window.action_map["edit.undo"].trigger()
    assert window.doc.label_style.preset == "pill"


def test_publish_fixes_apply_as_undoable_steps(qtbot, make_window, studio_workspace: Path) -> None:
    from studio.core.model import Post, Tag
    from studio.publish.fallback import PREFS_KEY

    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    product = next(iter(win.doc.catalog.all()))
    commands.add_tags(win.doc, look.id, [Tag(id="t1", product_id=product.id, x=0.3, y=0.4)])
    post = Post(id="p1", media_ids=[look.id], caption="Slow mornings " + "#tag " * 40)
    edits: list[tuple[Post, str]] = []

    def edited(after: Post, text: str) -> None:
        edits.append((after, text))

    after = win.apply_publish_fix(post, {"action": "remove_hashtags", "max": 30}, edited)
    assert isinstance(after, Post) and after.caption.count("#") == 30 and edits[0][1] == "Remove hashtags"

    assert (
        win.apply_publish_fix(post, {"action": "remove_tags", "media_id": look.id, "tag_ids": ["t1"]}, edited)
        is None
    )
    assert win.doc.media(look.id).tags == []
    win.action_map["edit.undo"].trigger()
    assert [t.id for t in win.doc.media(look.id).tags] == ["t1"]

    assert win.apply_publish_fix(post, {"action": "set_fallback", "modes": ["labeled"]}, edited) is None
    assert win.doc.project.extra[PREFS_KEY]["fallback"][0] == "labeled"
    win.action_map["edit.undo"].trigger()
    assert PREFS_KEY not in win.doc.project.extra

    shown: list[object] = []
    win.run_dialog = lambda dialog: shown.append(dialog) or False  # type: ignore[method-assign]
    win.apply_publish_fix(
        post, {"action": "rerender", "media_id": look.id, "preset": "instagram-portrait"}, edited
    )
    assert win.controller.media_id == look.id
    assert shown and shown[0].preset_box.currentData() == "instagram-portrait"


def test_a_price_change_on_import_offers_the_old_prices_review(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    from decimal import Decimal

    from studio.core.price_ledger import PriceLedger, Shown
    from studio.ui.stale_dialog import StaleDialog

    win = make_window(studio_workspace)
    look = _media(win, "look.jpg")
    export = tmp_path / "out" / "look.labeled.jpg"
    export.parent.mkdir()
    export.write_bytes(b"jpeg")
    with PriceLedger.for_workspace(studio_workspace) as ledger:
        shown = Shown(look.id, "t1", "mug", None, Decimal("24.50"), "EUR", "in_stock")
        ledger.record_export({str(export): [shown]})
    assert not win.stale_button.isVisible()

    csv = tmp_path / "new-prices.csv"
    csv.write_text(
        "Title,URL handle,Vendor,Status,SKU,Option1 name,Option1 value,Price\n"
        "Ceramic mug,mug,Maison,active,MUG-1,Title,Default Title,26.00\n",
        encoding="utf-8",
    )
    win.import_catalog_file(csv)
    qtbot.waitUntil(lambda: win.stale_button.isVisible(), timeout=10000)
    assert "old price" in win.stale_button.text()
    shown_dialogs: list[object] = []
    win.run_dialog = lambda dialog: shown_dialogs.append(dialog) or False  # type: ignore[method-assign]
    win.stale_button.click()
    assert len(shown_dialogs) == 1 and isinstance(shown_dialogs[0], StaleDialog)


def test_insights_dock_opens_the_workspace_store_and_refresh_pulls_in_a_worker(
    qtbot, make_window, studio_workspace: Path
) -> None:
    win = make_window(studio_workspace)
    assert win.insights_timer.isActive()
    assert win.insights_view is None and win.insights_store is None  # built when first shown
    action = win.action_map["view.show_insights"]
    action.trigger()
    assert win.insights_view is not None and win.insights_store is not None
    assert action.isChecked() == (not win.insights_dock.isHidden())
    win.insights_view.refresh_requested.emit()  # Refresh: nothing published yet, nothing fails
    qtbot.waitUntil(lambda: not win.bridge.running, timeout=10000)
    assert win.dialogs.errors == []
    assert (studio_workspace / "insights.sqlite").exists()
    assert win.close_document()
    assert win.insights_store is None and not win.insights_timer.isActive()


def test_catalog_sync_dock_follows_the_workspace(qtbot, make_window, studio_workspace: Path) -> None:
    win = make_window(studio_workspace)
    action = win.action_map["view.show_catalog_sync"]
    action.trigger()
    assert action.isChecked() == (not win.sync_dock.isHidden())
    win.sync_panel.productActivated.emit("mug")
    assert win.catalog.search.text() == "mug" and not win.catalog_dock.isHidden()
    assert win.close_document()
