"""Every module below studio.ui imports without Qt (the run itself blocks PySide6, see conftest)."""

import importlib
import pkgutil

import pytest

import studio

QT_FREE_PACKAGES = ["studio.core", "studio.media", "studio.render", "studio.publish", "studio.jobs"]


def _modules():
    for pkg_name in QT_FREE_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        yield pkg_name
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            yield info.name
    yield "studio.cli"


@pytest.mark.parametrize("name", list(_modules()))
def test_imports_without_qt(name, monkeypatch):
    importlib.import_module(name)


def test_version_is_single_sourced():
    from importlib.metadata import version

    assert version("shoppable-studio") == studio.__version__
