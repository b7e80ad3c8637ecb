from PySide6.QtCore import Qt

from studio.core.workspace import Workspace
from studio.jobs.demo import ensure_demo_workspace


def _thumb_paths(win):
    return [win.media_list.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(win.media_list.count())]


def test_lists_media_with_thumbnails_made_off_thread(qtbot, window):
    assert window.media_list.count() == 2
    assert "2 files" in window.media_header.text()
    qtbot.waitUntil(lambda: all(_thumb_paths(window)), timeout=10000)
    assert all(p.endswith((".jpg", ".png")) for p in _thumb_paths(window))
    assert window.windowTitle().startswith("ws")


def test_catalog_search_is_live_and_locale_formatted(qtbot, window):
    assert window.products.rowCount() == 3
    qtbot.keyClicks(window.search, "chemise ete")
    assert window.products.rowCount() == 1
    assert window.products.item(0, 0).text() == "Chemise en lin Été"
    price = window.products.item(0, 2).text()
    assert price.startswith("89,00\u00a0€") and "110,00" in price
    assert window.products.item(0, 3).text() == "2"
    window.search.clear()
    assert window.products.rowCount() == 3


def test_status_bar_shows_background_work_and_cancel(qtbot, window):
    import threading

    release = threading.Event()

    def slow(*, progress, cancel):
        while not cancel.cancelled and not release.wait(0.01):
            pass
        cancel.raise_if_cancelled()
        return 1

    cancelled = []
    window.bridge.submit(slow, label="slow job", on_cancelled=lambda: cancelled.append(True))
    qtbot.waitUntil(lambda: window.cancel_button.isVisible() and not window.cancel_button.isHidden())
    assert "slow job" in window.status_text.text() or "background" in window.status_text.text()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cancelled == [True], timeout=5000)
    qtbot.waitUntil(lambda: not window.bridge.running)
    assert window.cancel_button.isHidden()


def test_demo_workspace_is_built_once_and_opens(qtbot):
    root = ensure_demo_workspace()
    with Workspace.open(root) as ws:
        assert 6 <= len([m for m in ws.project.media if m.kind == "image"]) <= 10
        assert any(m.kind == "video" and m.has_audio for m in ws.project.media)
        assert 10 <= ws.catalog.count() <= 20
        assert len(ws.project.all_tags()) >= 3
        assert all(ws.catalog.get(t.product_id) for _, t in ws.project.all_tags())
    mtime = (root / "project.json").stat().st_mtime_ns
    assert ensure_demo_workspace() == root
    assert (root / "project.json").stat().st_mtime_ns == mtime  # not rebuilt
