"""The desktop package: build the frozen app (PyInstaller one-folder) and run it the way users do.

Marked `package` (about a minute of build on 2 cores); `STUDIO_SKIP_PACKAGE=1` skips the build
locally. CI runs it. The build goes to a temporary folder, never to dist/.

What the frozen app must do, checked here:
* its own self-test passes, every step "ok" (media, HEIC, video + audio, export in worker processes,
  catalog, keyring, TLS, models, install folder untouched);
* the CLI works on a demo workspace (init, catalog import, catalog search --json, media add);
* the GUI starts (offscreen) and builds the demo workspace in the user's data folder;
* none of that writes into the app folder, which is made read-only for the runs.

The menu-entry installer (packaging/desktop_entry.py) needs no build and is tested always.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

import studio

ROOT = Path(__file__).resolve().parents[2]
APP = "shoppable-studio"
SKIP_BUILD = os.environ.get("STUDIO_SKIP_PACKAGE") == "1"
BUILD_TIMEOUT = 900  # seconds; the build takes ~1 min on an idle 2-core machine

_BUILD_MARKS = (
    pytest.mark.package,
    pytest.mark.skipif(SKIP_BUILD, reason="STUDIO_SKIP_PACKAGE=1: the frozen-app build is skipped"),
    pytest.mark.timeout(BUILD_TIMEOUT + 120),  # the first test pays for the module's build
)


def needs_build(fn: Callable[..., None]) -> Callable[..., None]:
    """Marks for the tests that use the built app (the build happens once per module)."""
    for mark in _BUILD_MARKS:
        fn = mark(fn)
    return fn


@dataclass(slots=True)
class Frozen:
    exe: Path
    folder: Path
    before: dict[str, tuple[int, int]]


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
        if not p.is_dir()
    }


def _set_writable(folder: Path, writable: bool) -> None:
    """chmod the tree (directories too) so a write into the install folder fails (when not root)."""
    for p in [folder, *folder.rglob("*")]:
        if p.is_symlink():
            continue
        mode = p.stat().st_mode
        mode = mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        p.chmod(mode)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frozen]:
    """Build once per module into a temp folder; the app folder is read-only while tests run."""
    base = tmp_path_factory.mktemp("package")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--quiet",
            "--dist",
            str(base / "dist"),
            "--work",
            str(base / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    print(f"\npackage build: {time.monotonic() - started:.0f} s; {result.stdout.strip().splitlines()[-2]}")
    folder = base / "dist" / APP
    _set_writable(folder, False)
    try:
        yield Frozen(folder / APP, folder, _tree(folder))
    finally:
        _set_writable(folder, True)  # so the temp folder can be removed


@pytest.fixture
def frozen_app(frozen: Frozen) -> Path:
    return frozen.exe


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A clean user: own data folder and HOME, no source-tree overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_", "PYTHON"))}
    env.update(
        STUDIO_DATA_DIR=str(tmp_path / "data"),
        HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        QT_QPA_PLATFORM="offscreen",
    )
    (tmp_path / "home").mkdir()
    return env


def _run(
    app: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(app), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@needs_build
@pytest.mark.parametrize("flag", ["self-test", "--self-test"])
def test_frozen_self_test_passes(
    flag: str, frozen_app: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    if flag == "--self-test":
        help_text = _run(frozen_app, "--help", env=user_env, cwd=tmp_path).stdout
        if "--self-test" not in help_text:
            pytest.skip("studio/cli.py does not have the top-level --self-test flag yet")
    result = _run(frozen_app, flag, env=user_env, cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    steps = [line for line in out.splitlines() if line.startswith(("ok ", "FAILED "))]
    assert steps and all(line.startswith("ok ") for line in steps), out
    for name in (
        "install",
        "demo workspace",
        "photo",
        "heic",
        "video frame",
        "audio",
        "labeled export",
        "catalog search",
        "keyring",
        "tls",
        "models",
        "install folder unchanged",
    ):
        assert f"ok {name}:" in out, out
    assert "(frozen)" in out  # it really ran the bundle, not a source checkout


@needs_build
def test_frozen_cli_on_a_demo_workspace(frozen_app: Path, user_env: dict[str, str], tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    demo = ROOT / "assets" / "demo"
    version = _run(frozen_app, "--version", env=user_env, cwd=tmp_path).stdout.strip()
    assert version == f"studio {studio.__version__}"
    steps = [
        ("init", str(ws), "--currency", "EUR", "--locale", "fr_FR"),
        ("catalog", "import", str(demo / "catalog.csv"), "-w", str(ws), "--json"),
        ("media", "add", str(demo / "media" / "candle-moment.mp4"), "-w", str(ws), "--json"),
    ]
    for args in steps:
        result = _run(frozen_app, *args, env=user_env, cwd=tmp_path)
        assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    found = _run(
        frozen_app, "catalog", "search", "candle", "-w", str(ws), "--json", env=user_env, cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    docs = json.loads(found.stdout)
    assert docs and "Candle" in docs[0]["title"]
    assert docs[0]["price_label"].endswith("€")  # Babel's fr_FR data is in the bundle
    info = json.loads(_run(frozen_app, "info", "-w", str(ws), "--json", env=user_env, cwd=tmp_path).stdout)
    assert json.dumps(info)  # a readable summary came back
    bad = _run(
        frozen_app, "catalog", "search", "x", "-w", str(tmp_path / "nowhere"), env=user_env, cwd=tmp_path
    )
    assert bad.returncode == 2 and "workspace folder not found" in bad.stderr  # clean error, no traceback
    assert "Traceback" not in bad.stderr


@needs_build
def test_frozen_gui_starts_and_builds_the_demo(
    frozen_app: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**user_env, "STUDIO_STARTUP_TIMINGS": "1"}
    err_path = tmp_path / "gui.stderr"
    with err_path.open("w") as err_file:
        proc = subprocess.Popen(
            [str(frozen_app)], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=err_file, text=True
        )
    demo = Path(user_env["STUDIO_DATA_DIR"]) / "Demo Workspace" / "project.json"
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("t_interactive="):
                break
        deadline = time.monotonic() + 60
        while not demo.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    err = err_path.read_text(errors="replace")
    assert any(line.startswith("t_shown=") for line in lines), f"{lines}\n{err[-3000:]}"
    assert demo.exists(), f"the GUI did not build the demo workspace in the data folder\n{err[-3000:]}"


@needs_build
def test_nothing_was_written_into_the_app_folder(frozen: Frozen) -> None:
    """Runs after the others (file order): self-test, CLI and GUI left the bundle untouched."""
    after = _tree(frozen.folder)
    changed = sorted(
        {k for k in after if frozen.before.get(k) != after[k]} | (frozen.before.keys() - after.keys())
    )
    assert not changed, f"written into the app folder: {changed[:10]}"


# --- the menu entry (no build needed) -------------------------------------------------------------


def _script(name: str) -> ModuleType:
    """A packaging/ script loaded as a module (packaging/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", ROOT / "packaging" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_desktop_entry_install_and_uninstall(tmp_path: Path) -> None:
    de = _script("desktop_entry")
    home = tmp_path / "share"
    exe = tmp_path / "My Apps" / APP / APP
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    files = de.install(exe, home)
    entry = (home / "applications" / f"{APP}.desktop").read_text()
    assert f'Exec="{exe}"' in entry  # a path with a space is quoted per the Desktop Entry spec
    assert f"TryExec={exe}" in entry and "Icon=shoppable-studio" in entry
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        icon = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP}.png"
        assert icon in files and icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg").exists()
    removed = de.uninstall(home)
    assert sorted(removed) == sorted(files)
    assert not (home / "applications" / f"{APP}.desktop").exists()


def test_desktop_entry_respects_xdg_data_home(tmp_path: Path) -> None:
    de = _script("desktop_entry")
    assert de.data_home({"XDG_DATA_HOME": str(tmp_path), "HOME": "/home/x"}) == tmp_path
    assert de.data_home({"XDG_DATA_HOME": "relative/ignored", "HOME": "/home/x"}) == Path(
        "/home/x/.local/share"
    )
    assert de.data_home({"HOME": "/home/x"}) == Path("/home/x/.local/share")
    assert de.quote_exec(Path("/opt/app/studio")) == "/opt/app/studio"
    assert de.quote_exec(Path("/opt/100%/$app")) == '"/opt/100%%/\\$app"'


def test_icons_cover_the_desktop_sizes() -> None:
    from PIL import Image

    icons = ROOT / "packaging" / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(icons / f"{APP}-{size}.png") as img:
            assert img.size == (size, size) and img.mode == "RGBA"
    with Image.open(icons / f"{APP}.ico") as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    assert (icons / f"{APP}.icns").read_bytes()[:4] == b"icns"


def test_version_has_one_source() -> None:
    spec_text = (ROOT / "packaging" / "studio.spec").read_text()
    assert "__version__" in spec_text and studio.__version__ not in spec_text  # read, not copied
    assert _script("build").version() == studio.__version__
