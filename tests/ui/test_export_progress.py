"""Export progress dialog: per media × size status from a real export, summary, Cancel, wiring."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices

import studio.jobs.export_batch as export_module
from studio.core.model import Project
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.export_batch import export_batch
from studio.render.manifest import ItemRecord, OutputRecord
from studio.render.presets import ExportPreset
from studio.ui.export_progress import ExportProgressDialog, preset_statuses, summary_text
from studio.ui.workers import WorkerBridge

SQUARE = ExportPreset("sq", "Square", "instagram", 120, 120)
WIDE = ExportPreset("wide", "Wide", "facebook", 160, 90, fit="letterbox", fill="#ffffff")
PRESETS = [SQUARE, WIDE]


@pytest.fixture
def photos_workspace(tmp_path: Path) -> tuple[Path, Project, Path]:
    """Three JPEGs (a, b, broken); broken.jpg is corrupted on disk after it was added."""
    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", locale="fr_FR") as ws:
        media = root / "media"
        media.mkdir()
        for name, color in (("a.jpg", "tan"), ("b.jpg", "navy"), ("broken.jpg", "olive")):
            Image.new("RGB", (320, 240), color).save(media / name, "JPEG")
        report = add_media([media], ws.project, root)
        assert not report.problems, report.problems
        ws.project.media.sort(key=lambda m: m.name)  # a, b, broken
        ws.save()
        project, catalog = ws.project, ws.catalog_path
    (media / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00not really a jpeg" * 40)
    return root, project, catalog


@pytest.fixture
def bridge() -> Iterator[WorkerBridge]:
    b = WorkerBridge(immediate=False)
    yield b
    assert b.wait(10000), "the export was still running at the end of the test"


def _dialog(qtbot: Any, project: Project, out: Path) -> ExportProgressDialog:
    dialog = ExportProgressDialog([(m.id, m.name) for m in project.media], [p.name for p in PRESETS], out)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _run(
    bridge: WorkerBridge,
    dialog: ExportProgressDialog,
    ws: tuple[Path, Project, Path],
    out: Path,
    **hooks: Any,
) -> list[ItemRecord]:
    """Submit a real in-process export fed to the dialog; returns what `on_item` saw (any thread)."""
    root, project, catalog = ws
    callbacks = dialog.wire(**hooks)
    seen: list[ItemRecord] = []
    forward = callbacks["on_item"]

    def on_item(record: ItemRecord) -> None:
        seen.append(record)
        forward(record)

    callbacks["on_item"] = on_item
    job = bridge.submit(export_batch, root, project, catalog, PRESETS, ["clean"], out, workers=1, **callbacks)
    dialog.attach(job)
    return seen


def _temps(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]


def test_statuses_summary_and_rerun_from_a_real_export(
    qtbot, bridge, photos_workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _root, project, _catalog = photos_workspace
    a, b, broken = project.media
    out = tmp_path / "out"
    dialog = _dialog(qtbot, project, out)
    assert {dialog.status_of(m.id, p.name) for m in project.media for p in PRESETS} == {"queued"}
    assert dialog.cancel_button.text() == "Cancel" and not dialog.open_button.isVisible()

    results: list[Any] = []
    seen = _run(bridge, dialog, photos_workspace, out, on_result=results.append)
    qtbot.waitUntil(lambda: not dialog.running, timeout=10000)
    assert len(results) == 1  # the caller's own callback still runs
    for media in (a, b):
        assert [r.status for r in seen if r.media_id == media.id] == ["exporting", "exported"]
        for preset in PRESETS:
            assert dialog.status_of(media.id, preset.name) == "done"
            assert (out / preset.name / f"{Path(media.name).stem}.clean.jpg").is_file()
    for preset in PRESETS:
        assert dialog.status_of(broken.id, preset.name) == "problem"
        assert "broken.jpg" in dialog.details_of(broken.id, preset.name)
    cells = [[dialog.table.item(r, c) for c in range(4)] for r in range(dialog.table.rowCount())]
    row = next(r for r in cells if r[0] is not None and r[0].text() == "broken.jpg")
    assert row[2] is not None and "broken.jpg" in row[2].toolTip()  # the status cell says why, too
    assert row[3] is not None and "broken.jpg" in row[3].text()
    assert dialog.summary.text() == "4 exported, 2 problems"
    assert dialog.bar.value() == dialog.bar.maximum() == 6
    assert dialog.cancel_button.text() == "Close" and dialog.open_button.isVisible()
    assert dialog.timing.text().startswith("Elapsed ")

    opened: list[Any] = []

    def open_url(url: Any) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert [Path(u.toLocalFile()) for u in opened] == [out]
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # now "Close"
    assert not dialog.isVisible()

    # same inputs again: the good photos are unchanged, the broken one is still a problem
    again = _dialog(qtbot, project, out)
    _run(bridge, again, photos_workspace, out)
    qtbot.waitUntil(lambda: not again.running, timeout=10000)
    assert again.status_of(a.id, "sq") == "unchanged" and again.status_of(broken.id, "wide") == "problem"
    assert again.summary.text() == "0 exported, 4 unchanged, 2 problems"


def test_cancel_during_a_run_marks_the_rest_cancelled_and_leaves_no_temp_file(
    qtbot, bridge, photos_workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _root, project, _catalog = photos_workspace
    a, b, broken = project.media
    real_run_item = export_module.run_item
    in_second = threading.Event()

    def slow_run_item(job: Any, cancelled: Any) -> ItemRecord:
        """The second photo waits (at most 5 s) until Cancel reaches the job."""
        if job.media.id == b.id:
            in_second.set()
            for _ in range(500):
                if cancelled():
                    break
                threading.Event().wait(0.01)
        return real_run_item(job, cancelled)

    monkeypatch.setattr(export_module, "run_item", slow_run_item)
    out = tmp_path / "out"
    dialog = _dialog(qtbot, project, out)
    cancelled: list[bool] = []
    _run(bridge, dialog, photos_workspace, out, on_cancelled=lambda: cancelled.append(True))
    qtbot.waitUntil(lambda: dialog.status_of(b.id, "sq") == "exporting", timeout=10000)
    assert in_second.wait(5)
    assert dialog.status_of(a.id, "sq") == "done" and dialog.status_of(broken.id, "sq") == "queued"

    dialog.close()  # closing while running only cancels: the dialog stays to show the end
    assert dialog.isVisible() and dialog.cancel_button.text() == "Cancelling…"
    assert not dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10000)
    assert bridge.wait(10000)
    assert cancelled == [True]
    for preset in PRESETS:
        assert dialog.status_of(a.id, preset.name) == "done"
        assert dialog.status_of(b.id, preset.name) == "cancelled"
        assert dialog.status_of(broken.id, preset.name) == "cancelled"
    assert dialog.summary.text() == "2 exported, 4 cancelled"
    assert dialog.cancel_button.text() == "Close" and dialog.cancel_button.isEnabled()
    assert not _temps(out)
    assert not (out / "sq" / "b.clean.jpg").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["cancelled"] is True


def test_main_window_export_shows_the_progress_dialog(
    qtbot, make_window, studio_workspace: Path, tmp_path: Path
) -> None:
    win = make_window(studio_workspace)
    win.export_workers = 1
    out = tmp_path / "out"
    win.export([SQUARE], ["clean"], out)
    (dialog,) = win.findChildren(ExportProgressDialog)
    assert dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10000)
    assert dialog.summary.text() == "3 exported, 1 skipped"  # the clip has no video output asked
    assert win.status_text.text().startswith("Exported 3 media")
    assert not win.dialogs.problems  # problems are listed in the dialog, not in a second box


def test_preset_statuses_mark_only_the_preset_a_problem_belongs_to() -> None:
    record = ItemRecord("m1", "/x/a.jpg", "h", "partial")
    record.outputs = [OutputRecord("sq", "clean", "sq/a.clean.jpg", 10, "fp")]
    record.problems = [{"preset": "wide", "kind": "clean", "message": "wide/: cannot write", "hint": "check"}]
    got = preset_statuses(record, ["sq", "wide"])
    assert got["sq"][0] == "done"
    assert got["wide"] == ("problem", "wide/: cannot write (clean) — check")
    kept = ItemRecord("m1", "/x/a.jpg", "h", "exported")
    kept.outputs = [OutputRecord("sq", "clean", "p", 1, "fp", None, "unchanged")]
    assert preset_statuses(kept, ["sq"])["sq"][0] == "unchanged"
    assert summary_text({"done": 38, "unchanged": 4, "problem": 1}) == "38 exported, 4 unchanged, 1 problem"
