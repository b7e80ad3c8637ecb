"""Export presets: the platform sizes as one data table, plus the user's own presets.

Every built-in size, fit and file limit is a row of `BUILTIN_PRESETS`, never a code branch, so a
platform changing its spec is a one-line edit. Facts cite /work/shared/platforms/publishing.md
(section numbers below); values that document does not state are marked UNCONFIRMED.

User presets live in the workspace, in `Project.extra["export_presets"]` (a list of dicts with the
same keys as `ExportPreset.to_dict()`), so they travel with the project file without a schema
change; a user preset with a built-in's name replaces it for that workspace.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from studio.core.errors import UsageError, Where
from studio.core.model import Project

EXTRA_KEY = "export_presets"
FITS = ("crop", "letterbox")
FORMATS = ("jpeg", "png")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")

MB = 1_000_000
# publishing.md §1.7: "max 8 MB (2207004 'should be less than 8 MiB')". 8 MB (decimal) is the
# smaller reading of the two, so a file under it passes whichever unit Meta means.
INSTAGRAM_MAX_BYTES = 8 * MB
# publishing.md §2.3: "Photos should be smaller than 4 MB" (subcode 1366046; UNCONFIRMED in the
# primary docs, but the only figure we have), so Facebook presets stay under 4 MB.
FACEBOOK_MAX_BYTES = 4 * MB
# Pinterest: publishing.md §4.2 gives no image byte limit (only base64 media_source). 20 MB is
# Pinterest's help-centre figure — UNCONFIRMED, kept generous on purpose.
PINTEREST_MAX_BYTES = 20 * MB


@dataclass(frozen=True, slots=True)
class ExportPreset:
    """One output size and encoding. `fill` is the letterbox background: "blur" or a colour."""

    name: str
    title: str
    platform: str  # instagram | facebook | pinterest | web | custom: the UTM source and the limits
    width: int
    height: int
    fit: str = "crop"
    fill: str = "blur"
    format: str = "jpeg"
    quality: int = 90
    min_quality: int = 50  # stepping quality down to meet max_bytes stops here
    progressive: bool = True
    max_bytes: int | None = None
    builtin: bool = False

    @property
    def aspect(self) -> str:
        from math import gcd

        g = gcd(self.width, self.height)
        w, h = self.width // g, self.height // g
        if max(w, h) <= 32:
            return f"{w}:{h}"
        return f"{self.width / self.height:.2f}:1" if w >= h else f"1:{self.height / self.width:.2f}"

    @property
    def ext(self) -> str:
        return "jpg" if self.format == "jpeg" else "png"

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["aspect"] = self.aspect
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, builtin: bool = False) -> ExportPreset:
        """Validated preset from a hand-editable dict; UsageError says which key is wrong."""
        if not isinstance(doc, dict):
            raise UsageError("an export preset must be an object", where=Where(field=EXTRA_KEY))
        known = {f.name for f in fields(cls)} - {"builtin"}
        values = {k: v for k, v in doc.items() if k in known}
        name = str(values.get("name", "")).strip().lower()
        where = Where(field=f"{EXTRA_KEY}.{name or '?'}")
        if not _NAME.match(name):
            raise UsageError(
                f"preset name '{name}' is not usable",
                where=where,
                hint="use lowercase letters, digits, '-' or '_' (it becomes a folder name)",
            )
        values["name"] = name
        values.setdefault("title", name)
        values.setdefault("platform", "custom")
        try:
            width, height = int(values.get("width", 0)), int(values.get("height", 0))
            quality = int(values.get("quality", 90))
            min_quality = int(values.get("min_quality", min(50, quality)))
            max_bytes = values.get("max_bytes")
            max_bytes = int(max_bytes) if max_bytes not in (None, "", 0) else None
        except (TypeError, ValueError):
            raise UsageError("size, quality and max_bytes must be whole numbers", where=where) from None
        if not (16 <= width <= 8192 and 16 <= height <= 8192):
            raise UsageError(f"size {width}×{height} is out of range (16–8192 px)", where=where)
        if not (1 <= min_quality <= quality <= 100):
            raise UsageError("quality must be 1–100 and at least min_quality", where=where)
        if max_bytes is not None and max_bytes < 10_000:
            raise UsageError("max_bytes must be at least 10000", where=where)
        fit = str(values.get("fit", "crop"))
        fmt = str(values.get("format", "jpeg")).lower().replace("jpg", "jpeg")
        if fit not in FITS:
            raise UsageError(f"fit '{fit}' is unknown", where=where, hint=f"use one of {', '.join(FITS)}")
        if fmt not in FORMATS:
            raise UsageError(f"format '{fmt}' is unknown", where=where, hint=f"use {' or '.join(FORMATS)}")
        values.update(
            width=width,
            height=height,
            quality=quality,
            min_quality=min_quality,
            max_bytes=max_bytes,
            fit=fit,
            format=fmt,
            fill=str(values.get("fill", "blur")),
            progressive=bool(values.get("progressive", True)),
            title=str(values["title"]),
            platform=str(values["platform"]).lower(),
        )
        return cls(**values, builtin=builtin)


def _p(name: str, title: str, platform: str, w: int, h: int, max_bytes: int, **kw: Any) -> ExportPreset:
    return ExportPreset(name, title, platform, w, h, max_bytes=max_bytes, builtin=True, **kw)


BUILTIN_PRESETS: tuple[ExportPreset, ...] = (
    # Instagram feed, publishing.md §1.7: JPEG only, ≤ 8 MB, aspect 4:5 … 1.91:1, width 320–1440,
    # sRGB. 1080 px wide is Instagram's display width, so no platform rescaling happens.
    _p("instagram-portrait", "Instagram portrait 4:5", "instagram", 1080, 1350, INSTAGRAM_MAX_BYTES),
    _p("instagram-square", "Instagram square 1:1", "instagram", 1080, 1080, INSTAGRAM_MAX_BYTES),
    _p("instagram-landscape", "Instagram landscape 1.91:1", "instagram", 1080, 566, INSTAGRAM_MAX_BYTES),
    # Story image / Reel cover, publishing.md §1.7: JPEG ≤ 8 MB, 9:16 recommended; Reels max 1920 px.
    _p("instagram-story", "Instagram Story/Reel 9:16", "instagram", 1080, 1920, INSTAGRAM_MAX_BYTES),
    # Pinterest standard pin 2:3 and square (§4.2: image_url / image_base64 JPEG or PNG).
    _p("pinterest-standard", "Pinterest standard pin 2:3", "pinterest", 1000, 1500, PINTEREST_MAX_BYTES),
    _p("pinterest-square", "Pinterest square 1:1", "pinterest", 1000, 1000, PINTEREST_MAX_BYTES),
    # Facebook Page photos (§2.3, ≤ 4 MB UNCONFIRMED): 4:5 feed and the 1.91:1 link-preview size.
    # The link size letterboxes: link previews are usually product shots that must not lose edges.
    _p("facebook-feed", "Facebook feed 4:5", "facebook", 1080, 1350, FACEBOOK_MAX_BYTES),
    _p("facebook-link", "Facebook link 1.91:1", "facebook", 1200, 630, FACEBOOK_MAX_BYTES, fit="letterbox"),
)


def user_presets(project: Project | None) -> list[ExportPreset]:
    """The workspace's own presets (validated); a broken entry raises UsageError naming it."""
    if project is None:
        return []
    raw = project.extra.get(EXTRA_KEY) or []
    if not isinstance(raw, list):
        raise UsageError("must be a list of presets", where=Where(field=EXTRA_KEY))
    return [ExportPreset.from_dict(doc) for doc in raw]


def all_presets(project: Project | None = None) -> dict[str, ExportPreset]:
    """Built-ins then the workspace's presets (same name: the workspace wins), by name."""
    table = {p.name: p for p in BUILTIN_PRESETS}
    for preset in user_presets(project):
        table[preset.name] = preset
    return table


def get_presets(names: str | list[str], project: Project | None = None) -> list[ExportPreset]:
    """Resolve "a,b" (or a list) to presets; an unknown name is a UsageError listing the known ones."""
    wanted = [n.strip().lower() for n in (names.split(",") if isinstance(names, str) else names)]
    wanted = [n for n in dict.fromkeys(wanted) if n]
    table = all_presets(project)
    if not wanted:
        raise UsageError("no preset given", hint=f"choose from: {', '.join(table)}")
    missing = [n for n in wanted if n not in table]
    if missing:
        raise UsageError(
            f"unknown preset '{missing[0]}'",
            where=Where(field="--preset"),
            hint=f"choose from: {', '.join(table)} (or add one to the workspace)",
        )
    return [table[n] for n in wanted]


def save_user_preset(project: Project, preset: ExportPreset) -> None:
    """Add or replace a workspace preset (the caller saves the project)."""
    checked = ExportPreset.from_dict(preset.to_dict())
    doc = {k: v for k, v in checked.to_dict().items() if k not in ("builtin", "aspect")}
    raw = [d for d in project.extra.get(EXTRA_KEY) or [] if str(d.get("name", "")).lower() != checked.name]
    project.extra[EXTRA_KEY] = [*raw, doc]
