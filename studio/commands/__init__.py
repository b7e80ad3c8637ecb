"""Command-line subcommands that live outside `studio/cli.py`, one module per topic.

Why a package: the CLI grows with every capability (detection, catalog sync, insights, self-test);
one file per topic keeps each small and lets `studio/cli.py` stay the thin dispatcher. Every module
listed in `MODULES` has `register(reg: CommandRegistry) -> None`.
"""

from __future__ import annotations

MODULES: tuple[str, ...] = (
    "studio.commands.detect",
    "studio.commands.catalog_sync",
    "studio.commands.catalog_feed",
    "studio.commands.insights",
    "studio.commands.self_test",
)
