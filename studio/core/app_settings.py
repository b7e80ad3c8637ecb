"""Where the app keeps its own files, and the few settings it remembers between runs.

Folders come from platformdirs (XDG on Linux, ~/Library on macOS, AppData on Windows);
`STUDIO_DATA_DIR` overrides them so tests and portable installs never touch the real home.
Only values that differ from the defaults are written, atomically.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_path

from studio.core.atomic import atomic_write_text

APP_NAME = "ShoppableStudio"
MAX_RECENT = 10


def data_dir() -> Path:
    override = os.environ.get("STUDIO_DATA_DIR")
    path = Path(override) if override else user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def assets_dir() -> Path:
    """The shipped `assets/` folder (source checkout or a frozen bundle's copy).

    Frozen (PyInstaller), the bundle's data folder is `sys._MEIPASS` (packaging/studio.spec puts
    `assets/` there); asked explicitly rather than trusting `__file__`, which frozen modules fake.
    """
    override = os.environ.get("STUDIO_ASSETS_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    if bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parents[2] / "assets"


@dataclass(slots=True)
class AppSettings:
    last_workspace: str = ""
    recent: list[str] = field(default_factory=list)

    @classmethod
    def path(cls) -> Path:
        return data_dir() / "settings.json"

    @classmethod
    def load(cls) -> AppSettings:
        try:
            doc = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()  # missing or damaged settings are never fatal: defaults apply
        if not isinstance(doc, dict):
            return cls()
        recent = doc.get("recent", [])
        return cls(
            last_workspace=str(doc.get("last_workspace", "")),
            recent=[str(r) for r in recent] if isinstance(recent, list) else [],
        )

    def remember_workspace(self, root: Path) -> None:
        text = str(root)
        self.last_workspace = text
        self.recent = [text, *[r for r in self.recent if r != text]][:MAX_RECENT]

    def save(self) -> None:
        doc = {k: v for k, v in (("last_workspace", self.last_workspace), ("recent", self.recent)) if v}
        atomic_write_text(self.path(), json.dumps(doc, indent=2) + "\n", keep_backup=False)
