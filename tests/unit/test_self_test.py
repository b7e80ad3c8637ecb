"""The self-test from source: every step passes on a healthy checkout, and a broken install is named.

The frozen-app run of the same self-test is tests/integration/test_package.py (it needs a build).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from studio.commands import self_test
from studio.commands.self_test import STEPS, StepFailed, _Context, run_self_test

STEP_NAMES = [name for name, _fn in STEPS]


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data))
    monkeypatch.delenv("STUDIO_ASSETS_DIR", raising=False)
    return data


def _lines(out: str) -> dict[str, str]:
    """step name -> "ok"/"FAILED" from the printed lines."""
    found = {}
    for line in out.splitlines():
        verdict, _, rest = line.partition(" ")
        name = rest.split(":", 1)[0]
        if verdict in ("ok", "FAILED") and name in STEP_NAMES:
            found[name] = verdict
    return found


def test_every_step_passes_from_source() -> None:
    out = io.StringIO()
    code = run_self_test(out)
    text = out.getvalue()
    assert code == 0, text
    assert _lines(text) == {name: "ok" for name in STEP_NAMES}, text
    assert text.splitlines()[-1].startswith("self-test passed")
    # the steps the issue names are all there
    for name in ("demo workspace", "photo", "video frame", "labeled export", "catalog search"):
        assert f"ok {name}:" in text


def test_missing_assets_fail_with_the_step_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "assets"
    empty.mkdir()
    monkeypatch.setenv("STUDIO_ASSETS_DIR", str(empty))
    out = io.StringIO()
    code = run_self_test(out)
    text = out.getvalue()
    assert code == 1
    verdicts = _lines(text)
    assert verdicts["install"] == "FAILED"
    assert verdicts["demo workspace"] == "FAILED"
    assert verdicts["photo"] == "FAILED"  # depends on the demo: reported, not skipped silently
    assert verdicts["tls"] == "ok"  # a failure does not stop the other steps
    last = text.splitlines()[-1]
    assert last.startswith("self-test FAILED") and "install" in last and "demo workspace" in last
    assert "reinstall" in text


def test_data_folder_inside_the_install_folder_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(self_test, "install_root", lambda: tmp_path)
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    ctx = _Context(tmp_path / "scratch")
    with pytest.raises(StepFailed, match="inside the install folder"):
        self_test.step_data_folder(ctx)


def test_a_write_into_the_install_folder_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    watched = tmp_path / "install"
    (watched / "sub").mkdir(parents=True)
    (watched / "sub" / "kept.txt").write_text("x")
    monkeypatch.setattr(self_test, "_watched_folder", lambda: watched)
    ctx = _Context(tmp_path)
    assert "nothing written" in self_test.step_install_unchanged(ctx)
    (watched / "sub" / "new.log").write_text("oops")
    with pytest.raises(StepFailed, match=r"sub/new\.log"):
        self_test.step_install_unchanged(ctx)


def _models_assets(tmp_path: Path, payload: bytes, recorded: bytes) -> Path:
    assets = tmp_path / "assets"
    models = assets / "models"
    models.mkdir(parents=True)
    (models / "tiny.bin").write_bytes(payload)
    manifest = {
        "models": {
            "tiny": {"file": "tiny.bin", "sha256": hashlib.sha256(recorded).hexdigest(), "size": len(payload)}
        }
    }
    (models / "manifest.json").write_text(json.dumps(manifest))
    return assets


def test_models_are_checked_against_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_ASSETS_DIR", str(_models_assets(tmp_path / "good", b"weights", b"weights")))
    ctx = _Context(tmp_path)
    assert "1 model(s) verified" in self_test.step_models(ctx)

    monkeypatch.setenv("STUDIO_ASSETS_DIR", str(_models_assets(tmp_path / "bad", b"weights", b"other")))
    with pytest.raises(StepFailed, match=r"tiny.*sha256"):
        self_test.step_models(ctx)


def test_no_models_is_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_ASSETS_DIR", str(tmp_path))
    assert "no bundled models" in self_test.step_models(_Context(tmp_path))


def test_registered_as_a_subcommand(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from studio.cli import main

    monkeypatch.setattr(self_test, "run_self_test", lambda stream: 7)
    assert main(["self-test"]) == 7


def test_assets_are_found_in_a_frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from studio.core.app_settings import assets_dir

    source = assets_dir()
    assert (source / "demo" / "demo.json").exists()  # from source: the checkout's assets/
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert assets_dir() == tmp_path / "assets"  # frozen: PyInstaller's data folder
    monkeypatch.setenv("STUDIO_ASSETS_DIR", str(tmp_path / "elsewhere"))
    assert assets_dir() == tmp_path / "elsewhere"  # the override still wins
