"""GUI test fixtures: a real workspace with a catalog and media, and a main window over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

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


@pytest.fixture
def window(qtbot, sample_workspace: Path):
    bridge = WorkerBridge(immediate=False)
    win = MainWindow(bridge)
    qtbot.addWidget(win)
    win.show()
    win.set_workspace(Workspace.open(sample_workspace))
    yield win
    assert bridge.wait(10000), "a worker was still running at the end of the test"
    assert not bridge.running
