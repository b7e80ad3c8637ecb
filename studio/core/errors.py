"""One small error hierarchy that every layer raises and every front end renders.

A `StudioError` carries *what* went wrong, *where* (file, row, field, platform) and *what to do*,
so the CLI and the GUI can both show a useful one-line message instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


@dataclass(slots=True)
class Where:
    """The place a problem is about; every part optional."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    platform: str | None = None

    def describe(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        if self.platform:
            parts.append(self.platform)
        return ", ".join(parts)


class StudioError(Exception):
    """Base of every error a user may see.

    Subclasses only narrow the category; the message parts are the same for all.
    """

    def __init__(self, what: str, *, where: Where | None = None, hint: str | None = None) -> None:
        self.what = what
        self.where = where or Where()
        self.hint = hint
        super().__init__(self.message())

    def message(self) -> str:
        text = self.what
        place = self.where.describe()
        if place:
            text = f"{place}: {text}"
        if self.hint:
            text = f"{text} — {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "message": self.what,
            "file": self.where.file,
            "row": self.where.row,
            "field": self.where.field,
            "hint": self.hint,
        }


class UsageError(StudioError):
    """The user asked for something that cannot work as asked (bad option, unknown id)."""


class InputError(StudioError):
    """A file the user gave us cannot be read or is not what it claims to be."""


class WorkspaceError(StudioError):
    """The workspace folder is missing, damaged, or newer than this version understands."""


class WorkspaceLockedError(WorkspaceError):
    """Another live process holds the workspace open for writing."""


class MediaError(InputError):
    """A photo or video cannot be decoded or is of an unsupported kind."""


class CatalogFormatError(InputError):
    """A file is not a catalog at all (binary, wrong delimiter, unknown headers)."""


class Cancelled(StudioError):
    """The user cancelled a long job; partial results were kept or rolled back as documented."""

    def __init__(self, what: str = "Cancelled by the user.") -> None:
        super().__init__(what)


@dataclass(slots=True)
class Problem:
    """A per-row problem during an import: reported, never fatal to the rest of the file."""

    row: int | None
    field: str | None
    value: str | None
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" = row (or field) skipped; "warning" = imported but flagged
    extra: dict[str, Any] = dc_field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }

    def describe(self, file: str | None = None) -> str:
        where = Where(file=file, row=self.row, field=self.field).describe()
        value = f" (value {self.value!r})" if self.value not in (None, "") else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{value}{hint}" if where else f"{self.message}{value}{hint}"
