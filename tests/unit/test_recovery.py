"""Crash recovery side file: offered only when it holds work project.json does not."""

from __future__ import annotations

from pathlib import Path

from studio.core import recovery
from studio.core.model import Tag
from studio.core.workspace import Workspace


def _workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", currency="EUR", locale="fr_FR")


def test_no_recovery_file_means_nothing_pending(tmp_path: Path) -> None:
    with _workspace(tmp_path) as ws:
        assert recovery.pending_recovery(ws.root) is None


def test_unsaved_work_is_offered_and_loads_back(tmp_path: Path) -> None:
    with _workspace(tmp_path) as ws:
        ws.project.name = "Autumn drop"
        ws.project.extra["note"] = "unsaved"
        recovery.write_recovery(ws.project, ws.root)
        pending = recovery.pending_recovery(ws.root)
        assert pending is not None
        assert pending.project.name == "Autumn drop"
        assert pending.path.name == recovery.RECOVERY_FILE
        # project.json itself was never touched by the autosave
        assert "Autumn drop" not in ws.project_path.read_text(encoding="utf-8")


def test_recovery_identical_to_saved_project_is_dropped(tmp_path: Path) -> None:
    with _workspace(tmp_path) as ws:
        recovery.write_recovery(ws.project, ws.root)
        assert recovery.pending_recovery(ws.root) is None
        assert not recovery.recovery_path(ws.root).exists()


def test_damaged_recovery_is_set_aside_not_deleted(tmp_path: Path) -> None:
    with _workspace(tmp_path) as ws:
        recovery.recovery_path(ws.root).write_text("{ not json", encoding="utf-8")
        assert recovery.pending_recovery(ws.root) is None
        kept = ws.root / (recovery.RECOVERY_FILE + ".damaged")
        assert kept.read_text(encoding="utf-8") == "{ not json"


def test_discard_removes_the_file(tmp_path: Path) -> None:
    with _workspace(tmp_path) as ws:
        ws.project.media = []
        ws.project.extra["x"] = [Tag.__name__]
        recovery.write_recovery(ws.project, ws.root)
        recovery.discard_recovery(ws.root)
        assert recovery.pending_recovery(ws.root) is None
