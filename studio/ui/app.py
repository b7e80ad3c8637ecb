"""Starting the GUI: which workspace to open, the demo on first run, and startup timings.

`STUDIO_STARTUP_TIMINGS=1` prints `t_shown=<s>` when the main window is shown and
`t_interactive=<s>` after the first event-loop turn that follows (seconds since the process
started; see studio/__main__.py). `benchmarks/gui_startup.py` reads these lines.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.core.app_settings import AppSettings, assets_dir
from studio.core.workspace import PROJECT_FILE
from studio.jobs.demo import demo_workspace_path, ensure_demo_workspace
from studio.ui.gc_guard import GuiThreadGarbageCollector
from studio.ui.main_window import MainWindow

TIMINGS_ENV = "STUDIO_STARTUP_TIMINGS"


def choose_workspace(arg: str | None, settings: AppSettings) -> Path | None:
    """The workspace to open: the argument, else the last one if it still exists, else None (demo)."""
    if arg:
        return Path(arg).expanduser()
    if settings.last_workspace and (Path(settings.last_workspace) / PROJECT_FILE).exists():
        return Path(settings.last_workspace)
    return None


def open_into(window: MainWindow, root: Path, settings: AppSettings | None = None) -> bool:
    """Open `root` in the window (recovery offer, lock message and recent list included)."""
    if settings is not None:
        window.app_settings = settings
    return window.open_workspace(root)


_IMPORTED_AT = time.time()


def process_start() -> float:
    """PROCESS_START set by studio/__main__.py (looked up, not imported: the UI layer must not
    import the CLI that __main__ leads to); this module's import time when run another way."""
    for name in ("studio.__main__", "__main__"):
        value = getattr(sys.modules.get(name), "PROCESS_START", None)
        if isinstance(value, float):
            return value
    return _IMPORTED_AT


def _open_demo(window: MainWindow, root: Path, settings: AppSettings) -> None:
    open_into(window, root, settings)


def seconds_since_start() -> float:
    return time.time() - process_start()


def report_timing(name: str) -> None:
    if os.environ.get(TIMINGS_ENV) == "1":
        print(f"{name}={seconds_since_start():.3f}", flush=True)


def run_app(workspace: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Shoppable Studio")
    app.setOrganizationName("ShoppableStudio")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("shoppable-studio")  # = packaging/shoppable-studio.desktop (Wayland)
    app.setWindowIcon(QIcon(str(assets_dir() / "icons" / "studio.svg")))
    GuiThreadGarbageCollector(app)  # Qt objects must die on the GUI thread
    settings = AppSettings.load()
    window = MainWindow(settings=settings)
    window.show()
    report_timing("t_shown")
    target = choose_workspace(workspace, settings)
    if target is None and (demo_workspace_path() / PROJECT_FILE).exists():
        target = demo_workspace_path()  # already built: open it now, no worker round-trip
    if target is not None:
        if not open_into(window, target, settings) and workspace:
            return 2
    else:
        window.status_text.setText("Preparing the demo workspace…")
        window.bridge.submit(
            lambda *, progress, cancel: ensure_demo_workspace(progress=progress, cancel=cancel),
            label="preparing demo workspace",
            on_progress=window.show_job_progress,
            on_result=lambda root: _open_demo(window, root, settings),
            on_error=window.show_error,
        )
    QTimer.singleShot(0, lambda: report_timing("t_interactive"))
    return int(app.exec())
