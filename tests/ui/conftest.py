"""GUI test fixtures: real workspaces (catalog, photos, a video) and main windows over them.

Every question a MainWindow asks (save? recover? errors, problem lists) is answered by a
`Dialogs` recorder instead of a modal box, so no test can hang on a dialog; QSettings go to a
temporary folder so the window layout of one test never leaks into another (or into $HOME).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.import_catalog import import_catalog
from studio.ui.main_window import MainWindow
from studio.ui.workers import WorkerBridge

CSV = (
    "Title,URL handle,Vendor,Status,SKU,Option1 name,Option1 value,Price,Compare-at price\n"
    "Chemise en lin Été,chemise-lin,Maison,active,CH-S,Size,S,89.00,110.00\n"
    ",chemise-lin,,,CH-M,,M,89.00,110.00\n"
    "Ceramic mug,mug,Maison,active,MUG-1,Title,Default Title,24.50,\n"
    "Canvas tote,tote,Maison,active,TOTE-1,Title,Default Title,39.00,\n"
)


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture
def sample_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", locale="fr_FR", store_url="https://shop.example.com") as ws:
        (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
        import_catalog(tmp_path / "c.csv", ws.catalog, currency="EUR", store_url=ws.project.store_url)
        media = root / "media"
        media.mkdir()
        Image.new("RGB", (640, 480), "tan").save(media / "look.jpg")
        Image.new("RGB", (400, 600), "navy").save(media / "mug.png")
        add_media([media], ws.project, root)
        ws.save()
    return root


def encode_tiny_video(path: Path, frames: int = 12, fps: int = 10, size: tuple[int, int] = (96, 64)) -> Path:
    """A short MPEG-4 clip whose frames differ (red ramp), no audio: enough for the player."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for n in range(frames):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (n * 20 % 256, 40, 90)))
            frame.pts, frame.time_base = n, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="session")
def tiny_video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode_tiny_video(tmp_path_factory.mktemp("video") / "clip.mp4")


@pytest.fixture
def studio_workspace(tmp_path: Path, tiny_video_file: Path) -> Path:
    """Three photos (look, mug, street) + one video (clip) + the 3-product catalog."""
    root = tmp_path / "studio-ws"
    with Workspace.create(root, currency="EUR", locale="fr_FR", store_url="https://shop.example.com") as ws:
        (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
        import_catalog(tmp_path / "c.csv", ws.catalog, currency="EUR", store_url=ws.project.store_url)
        media = root / "media"
        media.mkdir()
        Image.new("RGB", (640, 480), "tan").save(media / "look.jpg")
        Image.new("RGB", (400, 600), "navy").save(media / "mug.png")
        Image.new("RGB", (300, 200), "olive").save(media / "street.jpg")
        shutil.copy2(tiny_video_file, media / "clip.mp4")
        report = add_media([media], ws.project, root)
        assert not report.problems, report.problems
        ws.project.media.sort(key=lambda m: m.name)  # clip, look, mug, street
        ws.save()
    return root


class Dialogs:
    """Stands in for every modal question a MainWindow asks; records what was asked."""

    def __init__(self) -> None:
        self.save_choice = "discard"
        self.recover_choice = True
        self.asked_save = 0
        self.recover_offers: list[Any] = []
        self.errors: list[str] = []
        self.problems: list[tuple[str, str, list[str]]] = []

    def install(self, win: MainWindow) -> None:
        def ask_save_changes() -> str:
            self.asked_save += 1
            return self.save_choice

        def ask_recover(pending: Any) -> bool:
            self.recover_offers.append(pending)
            return self.recover_choice

        def show_error(error: Any, title: str = "") -> None:
            self.errors.append(error.message() if hasattr(error, "message") else str(error))

        def show_problems(title: str, summary: str, problems: list[str]) -> None:
            self.problems.append((title, summary, list(problems)))

        win.ask_save_changes = ask_save_changes  # type: ignore[method-assign]
        win.ask_recover = ask_recover  # type: ignore[method-assign]
        win.show_error = show_error  # type: ignore[method-assign]
        win.show_problems = show_problems  # type: ignore[method-assign]
        win.dialogs = self  # type: ignore[attr-defined]


@pytest.fixture
def make_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    """Factory of shown MainWindows with recorded dialogs; each is closed (discarding) at the end."""
    made: list[tuple[MainWindow, WorkerBridge]] = []

    def make(root: Path | None = None, **answers: Any) -> MainWindow:
        """`answers` preset the Dialogs (e.g. recover_choice=False, save_choice="cancel")."""
        bridge = WorkerBridge(immediate=False)
        win = MainWindow(bridge)
        dialogs = Dialogs()
        for name, value in answers.items():
            assert hasattr(dialogs, name), name
            setattr(dialogs, name, value)
        dialogs.install(win)
        qtbot.addWidget(win)
        win.resize(1200, 800)
        win.show()
        if root is not None:
            assert win.open_workspace(root), win.dialogs.errors  # type: ignore[attr-defined]
        made.append((win, bridge))
        return win

    yield make
    for win, bridge in made:
        win.dialogs.save_choice = "discard"  # type: ignore[attr-defined]
        win.close()
        assert bridge.wait(10000), "a worker was still running at the end of the test"


@pytest.fixture
def window(qtbot: Any, sample_workspace: Path) -> Iterator[MainWindow]:
    bridge = WorkerBridge(immediate=False)
    win = MainWindow(bridge)
    Dialogs().install(win)
    qtbot.addWidget(win)
    win.show()
    win.set_workspace(Workspace.open(sample_workspace))
    yield win
    win.close()
    assert bridge.wait(10000), "a worker was still running at the end of the test"
    qtbot.waitUntil(lambda: not bridge.running, timeout=5000)
