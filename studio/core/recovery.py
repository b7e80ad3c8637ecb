"""Crash recovery: unsaved edits are autosaved to a side file, never over `project.json`.

Why a side file and not autosaving `project.json` itself: the user decides when work is "saved"
(Ctrl+S, or Save on close), and an autosave must never turn a half-finished experiment into the
only copy. After a crash, the next open finds `project.recovery.json` newer than, and different
from, `project.json` and offers it; accepting loads it as unsaved changes, declining deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.core import project_file
from studio.core.atomic import atomic_write_text
from studio.core.model import Project
from studio.core.workspace import PROJECT_FILE

RECOVERY_FILE = "project.recovery.json"


def recovery_path(root: Path) -> Path:
    return Path(root) / RECOVERY_FILE


def write_recovery(project: Project, root: Path) -> Path:
    """Atomically write the current (unsaved) state next to project.json."""
    path = recovery_path(root)
    atomic_write_text(path, project_file.dumps(project), keep_backup=False)
    return path


def discard_recovery(root: Path) -> None:
    recovery_path(root).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class PendingRecovery:
    """Unsaved work found at open: when it was written, and how it differs in size of edits."""

    path: Path
    modified: float  # POSIX time of the autosave
    project: Project


def pending_recovery(root: Path) -> PendingRecovery | None:
    """The recovery file if it holds work that project.json does not, else None.

    A recovery file identical to project.json (saved just after the last autosave) or one that
    cannot be read is not worth a question: the first is deleted, the second is kept aside as
    `.damaged` so nothing is thrown away silently.
    """
    path = recovery_path(root)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        saved = (Path(root) / PROJECT_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text == saved:
        discard_recovery(root)
        return None
    try:
        project = project_file.load(path)
    except Exception:
        path.replace(path.with_name(path.name + ".damaged"))
        return None
    return PendingRecovery(path=path, modified=path.stat().st_mtime, project=project)
