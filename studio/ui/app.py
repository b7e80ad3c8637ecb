"""Starting the GUI: which workspace to open, the demo on first run, and lock conflicts."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from studio import __version__
from studio.core.app_settings import AppSettings, assets_dir
from studio.core.errors import StudioError
from studio.core.workspace import PROJECT_FILE, Workspace
from studio.jobs.demo import ensure_demo_workspace
from studio.ui.main_window import MainWindow


def choose_workspace(arg: str | None, settings: AppSettings) -> Path | None:
    """The workspace to open: the argument, else the last one if it still exists, else None (demo)."""
    if arg:
        return Path(arg).expanduser()
    if settings.last_workspace and (Path(settings.last_workspace) / PROJECT_FILE).exists():
        return Path(settings.last_workspace)
    return None


def open_into(window: MainWindow, root: Path, settings: AppSettings) -> bool:
    try:
        ws = Workspace.open(root)
    except StudioError as exc:
        QMessageBox.critical(window, "Cannot open workspace", exc.message())
        return False
    window.set_workspace(ws)
    settings.remember_workspace(ws.root)
    settings.save()
    return True


def run_app(workspace: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Shoppable Studio")
    app.setOrganizationName("ShoppableStudio")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(assets_dir() / "icons" / "studio.svg")))
    settings = AppSettings.load()
    window = MainWindow()
    window.show()
    target = choose_workspace(workspace, settings)
    if target is not None:
        if not open_into(window, target, settings):
            return 2
    else:
        window.status_text.setText("Preparing the demo workspace…")
        window.bridge.submit(
            lambda *, progress, cancel: ensure_demo_workspace(progress=progress, cancel=cancel),
            label="preparing demo workspace",
            on_progress=window.show_job_progress,
            on_result=lambda root: open_into(window, root, settings),
            on_error=window.show_error,
        )
    return app.exec()
