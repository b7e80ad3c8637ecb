"""Route sets added to the fakes by later capabilities (catalog sync, insights), one module each.

Why: graph.py and pinterest.py are already large; each capability keeps its endpoints, state and
validation in its own file (`graph_catalog.py`, `graph_insights.py`, `pinterest_catalog.py`,
`pinterest_insights.py`) exposing `install(fake) -> None`, which registers routes with
`fake.route(...)` and keeps its state on the fake (e.g. `fake.catalog_state`). Routes are matched in
registration order; the fakes register theirs first, and their only catch-all (`GET /vX/{id}`)
matches bare ids, so edges like `/{id}/insights` reach the extension.
"""

from __future__ import annotations

import importlib
from typing import Any

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "graph": ("tests.fakes.graph_catalog", "tests.fakes.graph_insights"),
    "pinterest": ("tests.fakes.pinterest_catalog", "tests.fakes.pinterest_insights"),
}


def install_extensions(fake: Any) -> None:
    """Install every extension module for `fake.name` that exists (a missing one is skipped)."""
    for module_name in EXTENSIONS.get(fake.name, ()):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.install(fake)
