"""`project.json`: the human-readable file that holds a workspace's settings, media and tags.

The file carries `"schema": N`. Loading runs migrations one step at a time (1→2→3…) so that an
old workspace opens in any newer version; a file from a *newer* version is refused with a clear
message instead of being silently down-graded. Keys this version does not know are kept in
`Project.extra` and written back, so opening a file never loses data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.atomic import atomic_write_text
from studio.core.errors import Where, WorkspaceError
from studio.core.model import (
    Keyframe,
    LabelStyle,
    Media,
    MediaKind,
    Post,
    PostState,
    Project,
    Tag,
)

SCHEMA = 1

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: MIGRATIONS[n] upgrades a document from schema n to n+1. Schema 2 registers `MIGRATIONS[1]`.
MIGRATIONS: dict[int, Migration] = {}


def migrate(doc: dict[str, Any], *, target: int = SCHEMA, file: str | None = None) -> dict[str, Any]:
    """Upgrade a raw document step by step to `target`; refuse documents from the future."""
    version = doc.get("schema")
    if not isinstance(version, int) or version < 1:
        raise WorkspaceError(
            'project.json has no valid "schema" number',
            where=Where(file=file),
            hint="restore project.json.bak from the same folder, or re-create the workspace",
        )
    if version > target:
        raise WorkspaceError(
            f"project.json was written by a newer Shoppable Studio (schema {version}, "
            f"this version reads up to {target})",
            where=Where(file=file),
            hint="update Shoppable Studio to open this workspace",
        )
    while version < target:
        step = MIGRATIONS.get(version)
        if step is None:
            raise WorkspaceError(f"no migration from schema {version}", where=Where(file=file))
        doc = step(dict(doc))
        version += 1
        doc["schema"] = version
    return doc


# --- encoding -----------------------------------------------------------------------------------


def _tag_to_dict(tag: Tag) -> dict[str, Any]:
    out: dict[str, Any] = {"id": tag.id, "product_id": tag.product_id, "x": tag.x, "y": tag.y}
    if tag.box is not None:
        out["box"] = list(tag.box)
    if tag.variant_id:
        out["variant_id"] = tag.variant_id
    out["style"] = tag.style
    if tag.label is not None:
        out["label"] = tag.label
    if tag.start is not None:
        out["start"] = tag.start
    if tag.end is not None:
        out["end"] = tag.end
    if tag.keyframes:
        out["keyframes"] = [{"t": k.t, "x": k.x, "y": k.y} for k in tag.keyframes]
    return out


def media_to_dict(m: Media) -> dict[str, Any]:
    return {
        "id": m.id,
        "path": m.path,
        "content_hash": m.content_hash,
        "kind": m.kind.value,
        "name": m.name,
        "width": m.width,
        "height": m.height,
        "size_bytes": m.size_bytes,
        "duration": m.duration,
        "fps": m.fps,
        "codec": m.codec,
        "has_audio": m.has_audio,
        "rotation": m.rotation,
        "added_at": m.added_at,
        "tags": [_tag_to_dict(t) for t in m.tags],
    }


def project_to_dict(project: Project) -> dict[str, Any]:
    doc: dict[str, Any] = dict(project.extra)
    doc.update(
        {
            "schema": SCHEMA,
            "name": project.name,
            "currency": project.currency,
            "locale": project.locale,
            "store_url": project.store_url,
            "label_style": {
                "preset": project.label_style.preset,
                "background": project.label_style.background,
                "foreground": project.label_style.foreground,
                "font_family": project.label_style.font_family,
            },
            "media": [media_to_dict(m) for m in project.media],
            "posts": [
                {
                    "id": p.id,
                    "media_ids": list(p.media_ids),
                    "caption": p.caption,
                    "platforms": p.platforms,
                    "state": p.state.value,
                }
                for p in project.posts
            ],
        }
    )
    return doc


def dumps(project: Project) -> str:
    return json.dumps(project_to_dict(project), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# --- decoding -----------------------------------------------------------------------------------


def _tag_from_dict(d: dict[str, Any]) -> Tag:
    box = d.get("box")
    return Tag(
        id=str(d["id"]),
        product_id=str(d["product_id"]),
        x=float(d["x"]),
        y=float(d["y"]),
        box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])) if box else None,
        variant_id=d.get("variant_id"),
        style=str(d.get("style", "pill")),
        label=d.get("label"),
        start=None if d.get("start") is None else float(d["start"]),
        end=None if d.get("end") is None else float(d["end"]),
        keyframes=[Keyframe(float(k["t"]), float(k["x"]), float(k["y"])) for k in d.get("keyframes", [])],
    )


def _media_from_dict(d: dict[str, Any]) -> Media:
    return Media(
        id=str(d["id"]),
        path=str(d["path"]),
        content_hash=str(d.get("content_hash", "")),
        kind=MediaKind(d.get("kind", "image")),
        width=int(d.get("width", 0)),
        height=int(d.get("height", 0)),
        name=str(d.get("name") or Path(str(d["path"])).name),
        size_bytes=int(d.get("size_bytes", 0)),
        duration=None if d.get("duration") is None else float(d["duration"]),
        fps=None if d.get("fps") is None else float(d["fps"]),
        codec=str(d.get("codec", "")),
        has_audio=bool(d.get("has_audio", False)),
        rotation=int(d.get("rotation", 0)),
        added_at=str(d.get("added_at", "")),
        tags=[_tag_from_dict(t) for t in d.get("tags", [])],
    )


_KNOWN = {"schema", "name", "currency", "locale", "store_url", "label_style", "media", "posts"}


def project_from_dict(doc: dict[str, Any], *, file: str | None = None) -> Project:
    doc = migrate(doc, file=file)
    try:
        style = doc.get("label_style") or {}
        return Project(
            name=str(doc.get("name", "")),
            currency=str(doc.get("currency", "USD")),
            locale=str(doc.get("locale", "en_US")),
            store_url=str(doc.get("store_url", "")),
            label_style=LabelStyle(**{k: str(v) for k, v in style.items() if k in LabelStyle.__slots__}),
            media=[_media_from_dict(m) for m in doc.get("media", [])],
            posts=[
                Post(
                    id=str(p["id"]),
                    media_ids=[str(x) for x in p.get("media_ids", [])],
                    caption=str(p.get("caption", "")),
                    platforms=dict(p.get("platforms", {})),
                    state=PostState(p.get("state", "draft")),
                )
                for p in doc.get("posts", [])
            ],
            extra={k: v for k, v in doc.items() if k not in _KNOWN},
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WorkspaceError(
            f"project.json is damaged ({type(exc).__name__}: {exc})",
            where=Where(file=file),
            hint="restore project.json.bak from the same folder",
        ) from exc


def load(path: Path) -> Project:
    """Read and migrate a project file; every failure is a WorkspaceError naming the file."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise WorkspaceError(
            "project.json not found",
            where=Where(file=str(path)),
            hint="is this a Shoppable Studio workspace?",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read project.json ({exc})", where=Where(file=str(path))) from exc
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise WorkspaceError(
            f"project.json is not valid JSON (line {exc.lineno}, column {exc.colno})",
            where=Where(file=str(path)),
            hint="restore project.json.bak from the same folder",
        ) from exc
    if not isinstance(doc, dict):
        raise WorkspaceError("project.json does not hold a project", where=Where(file=str(path)))
    return project_from_dict(doc, file=str(path))


def save(project: Project, path: Path) -> None:
    """Atomic save; the previous file is kept as `project.json.bak`."""
    atomic_write_text(Path(path), dumps(project))
