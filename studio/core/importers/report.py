"""What an import tells the user: counts and a bounded list of per-row problems.

The problem list is capped so a file with a million bad rows keeps memory flat: the first
`limit` problems are kept in full, the rest are only counted (by severity) and reported as
`problems_omitted`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import Problem

MAX_VALUE_CHARS = 200


def _clip(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_VALUE_CHARS:
        return value
    return value[:MAX_VALUE_CHARS] + "…"


class ProblemLog:
    """Collects per-row problems, keeping the first `limit` and counting the rest."""

    __slots__ = ("errors", "kept", "limit", "omitted", "warnings")

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.omitted = 0
        self.errors = 0
        self.warnings = 0

    def add(self, problem: Problem) -> None:
        if problem.severity == "warning":
            self.warnings += 1
        else:
            self.errors += 1
        if len(self.kept) < self.limit:
            problem.value = _clip(problem.value)
            self.kept.append(problem)
        else:
            self.omitted += 1

    def error(
        self, row: int | None, field: str | None, value: str | None, message: str, hint: str | None = None
    ) -> None:
        """A problem that made the row (or just this field) be skipped."""
        self.add(Problem(row, field, value, message, hint, "error"))

    def warning(
        self, row: int | None, field: str | None, value: str | None, message: str, hint: str | None = None
    ) -> None:
        """A problem the row was imported despite (possibly flagged)."""
        self.add(Problem(row, field, value, message, hint, "warning"))

    def __len__(self) -> int:
        return self.errors + self.warnings

    def __iter__(self) -> Iterator[Problem]:
        """The kept problems (at most `limit`)."""
        return iter(self.kept)


@dataclass(slots=True)
class ImportReport:
    """The result of `import_catalog`: what changed in the store and what went wrong where."""

    format: str
    file: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    variants: int = 0  # variants seen in this file (a product without real variants counts 0)
    rows: int = 0  # data records read (header excluded)
    encoding: str = ""
    delimiter: str = ""
    problems: ProblemLog = field(default_factory=ProblemLog)

    @property
    def products(self) -> int:
        """Products present in the store from this file (new + updated + unchanged)."""
        return self.created + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "products": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "pruned": self.pruned,
            },
            "variants": self.variants,
            "errors": self.problems.errors,
            "warnings": self.problems.warnings,
            "problems": [p.to_dict() for p in self.problems.kept],
            "problems_omitted": self.problems.omitted,
        }
