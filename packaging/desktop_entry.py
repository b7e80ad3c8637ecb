"""Install (or remove) the Linux desktop entry and icons for the current user: `make install-desktop`.

Why a script rather than a few `cp` lines in the Makefile: the entry must point at an absolute
executable (the built app if there is one, else the venv's `studio`), quoted the way the Desktop
Entry spec wants; XDG_DATA_HOME must be respected; and uninstall must remove exactly what install
wrote. Nothing here needs root: everything goes under ~/.local/share (or $XDG_DATA_HOME).

    python packaging/desktop_entry.py install [--exec PATH]
    python packaging/desktop_entry.py uninstall
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "shoppable-studio"
DESKTOP_TEMPLATE = HERE / f"{APP_ID}.desktop"
ICONS = HERE / "icons"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def data_home(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME if set to an absolute path (the spec says to ignore relative ones), else
    ~/.local/share."""
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "share"


def default_exec(root: Path = ROOT) -> Path:
    """The built app if `make package` ran, else the venv's `studio` console script."""
    for candidate in (root / "dist" / APP_ID / APP_ID, root / ".venv" / "bin" / "studio"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "no Shoppable Studio to point the menu entry at: run `make package` "
        f"(builds {root / 'dist' / APP_ID}) or `make run` (sets up .venv) first"
    )


def quote_exec(path: Path) -> str:
    """An Exec= program path per the Desktop Entry spec: quoted when needed, `%` doubled."""
    text = str(path)
    if re.search(r'[\s"\'\\`$<>~|&;*?#()]', text):
        text = '"' + re.sub(r'(["`$\\])', r"\\\1", text) + '"'
    return text.replace("%", "%%")


def render_entry(exec_path: Path, template: Path = DESKTOP_TEMPLATE) -> str:
    lines = []
    for line in template.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={quote_exec(exec_path)}"
        elif line.startswith("TryExec="):
            line = f"TryExec={exec_path}"
        elif line.startswith("StartupWMClass="):
            line = f"StartupWMClass={exec_path.name}"  # Qt's X11 WM_CLASS is the executable's name
        lines.append(line)
    return "\n".join(lines) + "\n"


def installed_files(home: Path) -> list[Path]:
    """Every file `install` writes (and `uninstall` removes)."""
    files = [home / "applications" / f"{APP_ID}.desktop"]
    files += [home / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES]
    files.append(home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    return files


def _refresh_caches(home: Path) -> None:
    """Tell the desktop about the change when the tools exist (best effort: menus also rescan)."""
    for cmd in (
        ["update-desktop-database", "-q", str(home / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")],
    ):
        if shutil.which(cmd[0]):
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def install(exec_path: Path, home: Path | None = None) -> list[Path]:
    home = home or data_home()
    desktop, *icons = installed_files(home)
    desktop.parent.mkdir(parents=True, exist_ok=True)
    desktop.write_text(render_entry(exec_path), encoding="utf-8")
    for size, target in zip(ICON_SIZES, icons[: len(ICON_SIZES)]):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ICONS / f"{APP_ID}-{size}.png", target)
    svg = icons[-1]
    svg.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / f"{APP_ID}.svg", svg)
    _refresh_caches(home)
    return [desktop, *icons]


def uninstall(home: Path | None = None) -> list[Path]:
    home = home or data_home()
    removed = []
    for path in installed_files(home):
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_caches(home)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["install", "uninstall"])
    parser.add_argument(
        "--exec", dest="exec_path", help="program the menu entry starts (default: see README)"
    )
    args = parser.parse_args(argv)
    home = data_home()
    if args.action == "install":
        exec_path = Path(args.exec_path).resolve() if args.exec_path else default_exec()
        files = install(exec_path, home)
        print(f"Installed the Shoppable Studio menu entry ({files[0]}) starting {exec_path},")
        print(f"and its icons under {home / 'icons' / 'hicolor'}.")
    else:
        removed = uninstall(home)
        print(f"Removed {len(removed)} file(s) of the Shoppable Studio menu entry from {home}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
