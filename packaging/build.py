"""Build the one-folder desktop app (`make package`): PyInstaller over packaging/studio.spec.

Why a script and not a bare `pyinstaller` line: the build must use the project's venv (the app's
exact dependency versions), put its work files outside the source tree's way, and end by saying
what it made — the folder, its size and how long it took — so size creep is noticed in review.
`--self-test` then runs the frozen app's own self-test, so a build that cannot decode a video or
find its assets fails here, not on a user's desktop.

    .venv/bin/python packaging/build.py [--dist DIR] [--work DIR] [--clean] [--self-test]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "studio.spec"
APP_NAME = "shoppable-studio"


def version() -> str:
    """studio.__version__ (the single version source), read without importing the app."""
    tree = ast.parse((ROOT / "studio" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise SystemExit("studio/__init__.py has no __version__")


def venv_python() -> str:
    """This interpreter when it is a venv's (make runs us with .venv/bin/python), else .venv's."""
    if sys.prefix != sys.base_prefix:
        return sys.executable
    candidate = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if candidate.exists():
        return str(candidate)
    raise SystemExit("no virtual environment: run `make package` (it sets up .venv first)")


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) under `folder`, symlinks counted once as links."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            total += (Path(dirpath) / name).lstat().st_size
            files += 1
    return total, files


def build(dist: Path, work: Path, *, clean: bool = False, quiet: bool = False) -> Path:
    """Run PyInstaller; returns the app folder (dist/shoppable-studio). Raises SystemExit on failure."""
    cmd = [
        venv_python(),
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--log-level",
        "WARN" if quiet else "INFO",
    ]
    if clean:
        cmd.append("--clean")
    cmd.append(str(SPEC))
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"PyInstaller failed (exit {result.returncode}); see the log above")
    app = dist / APP_NAME
    if not (app / APP_NAME).exists():
        raise SystemExit(f"PyInstaller finished but {app / APP_NAME} is missing")
    return app


def run_self_test(app: Path) -> int:
    """The frozen app's self-test, with its data folder in a temporary place (not the user's)."""
    with tempfile.TemporaryDirectory(prefix="studio-build-check-") as data:
        env = {**os.environ, "STUDIO_DATA_DIR": data}
        env.pop("STUDIO_ASSETS_DIR", None)  # the bundle's own assets, not a checkout's
        return subprocess.run([str(app / APP_NAME), "self-test"], env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Shoppable Studio desktop app (PyInstaller).")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work folder"
    )
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's caches first")
    parser.add_argument("--quiet", action="store_true", help="only PyInstaller's warnings")
    parser.add_argument("--self-test", action="store_true", help="run the built app's self-test")
    args = parser.parse_args(argv)

    started = time.monotonic()
    app = build(args.dist.resolve(), args.work.resolve(), clean=args.clean, quiet=args.quiet)
    seconds = time.monotonic() - started
    size, files = folder_size(app)
    print(
        f"Built {app} (Shoppable Studio {version()}): {size / 1e6:.0f} MB in {files} files; "
        f"build took {seconds:.0f} s"
    )
    if args.self_test:
        code = run_self_test(app)
        if code != 0:
            print(f"The built app's self-test failed (exit {code}).", file=sys.stderr)
            return code
    print(f"Run it: {app / APP_NAME}    Menu entry: make install-desktop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
