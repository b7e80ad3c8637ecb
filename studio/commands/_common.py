"""What every CLI command shares: the parser class, JSON printing, the progress bar, registration.

Exit codes: 0 success (even with per-item problems), 1 nothing usable, 2 usage error or unreadable
input. `--json` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from studio.core.errors import UsageError
from studio.core.progress import ProgressFn, no_progress

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2

CommandFn = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors share one rendering path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def print_json(doc: Any) -> None:
    """The one JSON document a `--json` command prints (non-ASCII kept, dates as strings)."""
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")


def progress_bar(stream: TextIO, label: str) -> ProgressFn:
    """A one-line progress bar on a terminal (stderr), at most ~10 redraws per second."""
    if not stream.isatty():
        return no_progress
    last = [0.0]

    def report(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        if total:
            frac = min(1.0, done / total)
            bar = "█" * int(frac * 30) + "·" * (30 - int(frac * 30))
            stream.write(f"\r{label} {bar} {frac:5.1%} {message[:40]:<40}")
        else:
            stream.write(f"\r{label} {message[:70]:<70}")
        if total and done >= total:
            stream.write("\n")
        stream.flush()

    return report


class CommandRegistry:
    """Lets a topic module add `studio GROUP NAME` (or a top-level `studio NAME`) subcommands.

    Groups that `studio/cli.py` already defines (e.g. `catalog`) are shared: a module adds
    `catalog sync` beside `catalog import` without touching cli.py.
    """

    def __init__(self, top: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        self._top = top
        self._groups: dict[str, argparse._SubParsersAction] = {}  # type: ignore[type-arg]

    def adopt_group(self, name: str, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        """Called by cli.py for the groups it builds itself."""
        self._groups[name] = sub

    def group(self, name: str, help: str) -> argparse._SubParsersAction:  # type: ignore[type-arg]
        if name not in self._groups:
            parser = self._top.add_parser(name, help=help)
            self._groups[name] = parser.add_subparsers(
                dest=f"{name}_command", parser_class=Parser, required=True
            )
        return self._groups[name]

    def command(self, group: str | None, name: str, help: str, func: CommandFn) -> argparse.ArgumentParser:
        """Add a subcommand; `func(args) -> exit code` runs it. Returns its parser for arguments."""
        where = self._top if group is None else self.group(group, help=f"{group} commands")
        parser: argparse.ArgumentParser = where.add_parser(name, help=help)
        parser.set_defaults(_func=func)
        return parser
