"""Shared fixtures: every test gets its own app data folder so nothing touches the real home.

With `STUDIO_QT_FREE=1` (how `make test` runs tests/unit) importing PySide6 or shiboken6 fails,
which proves the model, media and job layers work on a machine without Qt.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QT_MODULES = ("PySide6", "shiboken6")

# Fake Instagram/Facebook Graph, Pinterest v5 and S3 servers on 127.0.0.1 (tests/fakes/README.md).
pytest_plugins = ["tests.fakes.conftest_plugin"]


class _QtBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in QT_MODULES:
            raise ImportError(f"{fullname} imported in a Qt-free test run: Qt belongs in studio.ui only")
        return None


if os.environ.get("STUDIO_QT_FREE") == "1":
    already = [m for m in QT_MODULES if m in sys.modules]
    if already:
        raise RuntimeError(
            f"Qt-free run, but {already} was imported before the tests (run with -p no:pytestqt)"
        )
    sys.meta_path.insert(0, _QtBlocker())


@pytest.fixture(autouse=True)
def _isolated_app_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path_factory.mktemp("appdata")
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data))
    return data
