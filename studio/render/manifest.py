"""`manifest.json` of a batch export: what was made from what, and what went wrong.

Per item (one source media): its path and content hash, and per (preset, kind) output the file,
its size and the *input fingerprint* it was made from. A re-run compares fingerprints and skips
outputs whose inputs did not change (and whose file is still there with the recorded size), so
an interrupted or repeated export only does the missing work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core.atomic import atomic_write_text

MANIFEST_NAME = "manifest.json"
SCHEMA = 1


def fingerprint(doc: Any) -> str:
    """Stable hash of a JSON-able description of every input of one output (plus app version)."""
    text = json.dumps({"app": __version__, "inputs": doc}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class OutputRecord:
    preset: str
    kind: str
    path: str  # relative to the export folder, "/" separated
    bytes: int
    fingerprint: str
    quality: int | None = None
    status: str = "written"  # written | unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "kind": self.kind,
            "path": self.path,
            "bytes": self.bytes,
            "fingerprint": self.fingerprint,
            "quality": self.quality,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutputRecord:
        return cls(
            str(d["preset"]),
            str(d["kind"]),
            str(d["path"]),
            int(d.get("bytes", 0)),
            str(d.get("fingerprint", "")),
            d.get("quality"),
            str(d.get("status", "written")),
        )


@dataclass(slots=True)
class ItemRecord:
    media_id: str
    source: str
    content_hash: str
    status: str = "pending"  # exported | unchanged | failed | partial | skipped | cancelled
    outputs: list[OutputRecord] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)  # tags outside the crop, per preset
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "media_id": self.media_id,
            "source": self.source,
            "content_hash": self.content_hash,
            "status": self.status,
            "outputs": [o.to_dict() for o in self.outputs],
            "tags_outside_crop": self.outside,
            "problems": self.problems,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ItemRecord:
        return cls(
            str(d["media_id"]),
            str(d.get("source", "")),
            str(d.get("content_hash", "")),
            str(d.get("status", "")),
            [OutputRecord.from_dict(o) for o in d.get("outputs", [])],
            list(d.get("tags_outside_crop", [])),
            list(d.get("problems", [])),
        )


@dataclass(slots=True)
class Manifest:
    presets: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    extras: list[OutputRecord] = field(default_factory=list)  # datasets and kits (not per media)
    problems: list[dict[str, Any]] = field(default_factory=list)  # not tied to one media (kits…)
    cancelled: bool = False

    def summary(self) -> dict[str, Any]:
        count = {
            s: sum(1 for i in self.items if i.status == s)
            for s in ("exported", "unchanged", "partial", "failed", "skipped", "cancelled")
        }
        outputs = [o for i in self.items for o in i.outputs] + self.extras
        return {
            "items": len(self.items),
            **count,
            "outputs_written": sum(1 for o in outputs if o.status == "written"),
            "outputs_unchanged": sum(1 for o in outputs if o.status == "unchanged"),
            "tags_outside_crop": sum(len(i.outside) for i in self.items),
            "problems": sum(len(i.problems) for i in self.items) + len(self.problems),
            "cancelled": self.cancelled,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "app_version": __version__,
            "presets": self.presets,
            "kinds": self.kinds,
            "summary": self.summary(),
            "items": [i.to_dict() for i in self.items],
            "extras": [o.to_dict() for o in self.extras],
            "problems": self.problems,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(
            list(d.get("presets", [])),
            list(d.get("kinds", [])),
            [ItemRecord.from_dict(i) for i in d.get("items", [])],
            [OutputRecord.from_dict(o) for o in d.get("extras", [])],
            list(d.get("problems", [])),
        )

    def save(self, folder: Path) -> Path:
        path = Path(folder) / MANIFEST_NAME
        atomic_write_text(
            path, json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", keep_backup=False
        )
        return path


def load_previous(folder: Path) -> dict[tuple[str, str, str], OutputRecord]:
    """Outputs of an earlier run by (media_id or extra name, preset, kind); empty when none/unreadable."""
    path = Path(folder) / MANIFEST_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        old = Manifest.from_dict(doc)
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # a damaged manifest only costs a full re-export
    table: dict[tuple[str, str, str], OutputRecord] = {}
    for item in old.items:
        for o in item.outputs:
            table[(item.media_id, o.preset, o.kind)] = o
    for o in old.extras:
        table[("", o.preset, o.path)] = o
    return table
