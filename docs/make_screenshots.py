"""Render the studio's main views on the demo workspace to docs/screenshots/*.png (offscreen).

`make screenshots` runs this. Everything is real: the demo workspace is built the way first run
builds it (in a throwaway data folder), the window is the app's MainWindow, and each picture is a
grab of the window after its background work (thumbnails, decodes, labels) has finished.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["STUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="studio-shots-")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    import tempfile

    from PySide6.QtCore import QPoint, QSettings
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    from studio.core.app_settings import AppSettings
    from studio.jobs.demo import ensure_demo_workspace
    from studio.ui.main_window import MainWindow
    from studio.ui.workers import WorkerBridge

    # A first-run layout, not whatever this machine's user arranged last time.
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    bridge = WorkerBridge()
    window = MainWindow(bridge, settings=AppSettings())
    window.resize(1600, 1000)
    window.show()
    if not window.open_workspace(ensure_demo_workspace()):
        print("could not open the demo workspace", file=sys.stderr)
        return 1
    doc = window.doc
    assert doc is not None

    def settle(seconds: float = 1.5) -> None:
        """Let workers finish and their results paint (thumbnails, previews, labels)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end or bridge.running:
            app.processEvents()
            time.sleep(0.01)
            if time.monotonic() > end + 20:
                break
        app.processEvents()

    def shot(name: str, widget: Callable[[], object] | None = None) -> None:
        settle()
        target = widget() if widget else window
        path = OUT / f"{name}.png"
        target.grab().save(str(path))  # type: ignore[attr-defined]
        print(f"wrote {path.relative_to(ROOT)}")

    OUT.mkdir(parents=True, exist_ok=True)
    by_name = {m.name: m for m in doc.project.media}

    # 1. The tagging workspace: a tagged photo with its labels, a tag selected in the inspector.
    flatlay = by_name["summer-flatlay.jpg"]
    window.library.select_media([flatlay.id], flatlay.id)
    settle()
    window.canvas.select_tags([flatlay.tags[1].id])
    window.inspector_dock.raise_()
    shot("studio")

    # 2. The product picker open at a new tag, with a query typed.
    window.picker.open_at(window.canvas.mapToGlobal(window.canvas.rect().center()), doc, "lin")
    settle()
    composed = window.grab()  # the popup is its own top-level window: paint it over the grab
    painter = QPainter(composed)
    painter.drawPixmap(window.mapFromGlobal(window.picker.mapToGlobal(QPoint(0, 0))), window.picker.grab())
    painter.end()
    composed.save(str(OUT / "picker.png"))
    print("wrote docs/screenshots/picker.png")
    window.picker.dismiss()

    # 3. A video with its timeline and a tag's time range.
    video = next(m for m in doc.project.media if m.kind == "video")
    window.library.select_media([video.id], video.id)
    settle(1.0)
    window.player.seek(2.0)  # inside the tag's time range, so its label shows
    settle(1.5)
    if video.tags:
        window.canvas.select_tags([video.tags[0].id])
    shot("video")

    # 4. Posts: a carousel built from three photos, with its caption counters.
    photos = [m.id for m in doc.project.media if m.kind == "image"][:3]
    window.library.select_media(photos, photos[0])
    window.posts.set_selected_media(photos)
    window.posts_dock.show()
    window.posts_dock.raise_()
    window.posts.new_button.click()  # the same button a user presses
    window.posts.caption.setPlainText(
        "Slow mornings, linen and stoneware ☕ Shop the look: tap the tags. #linen #slowliving #odaetlune"
    ) if hasattr(window.posts, "caption") else None
    shot("posts")

    # 5. Library filtered to untagged media, catalog panel in front.
    from studio.ui.library import MediaFilter

    window.library.set_filter(MediaFilter.UNTAGGED)
    window.catalog_dock.raise_()
    shot("library-and-catalog")
    window.library.set_filter(MediaFilter.ALL)

    # 6. Shop the look on a photo: ghost boxes with the suggested products (analysed offline).
    shelf = by_name.get("living-room-shelf.jpg") or next(m for m in doc.project.media if m.kind == "image")
    window.library.select_media([shelf.id], shelf.id)
    settle(1.0)
    window.shop_the_look()
    settle(3.0)
    shot("shop-the-look")

    doc.undo_stack.clear()
    bridge.cancel_all()
    bridge.wait(30000)
    if window.doc is not None:
        window.doc.discard_changes()
        window.doc.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
