"""Fitting a photo into a preset's frame (crop around a focal point, or letterbox) and carrying
the tags along.

A `FitPlan` is pure numbers (which window of the source, where it lands in the output), so the
same plan drives the pixels (`apply_fit`), the tag coordinates (`remap_tags`) and the draft-decode
size (`needed_source_size`); they cannot disagree. The crop is passed to Pillow as a float `box`,
which resamples exactly that window: a tag remapped with `geometry.remap_point` lands on the same
image feature in the output (property-tested).

Focus: `Project.extra["focus"][media_id][preset_name] = [x, y]` (normalized source coords) set by
the GUI; default is the centre of the bounding box of the tags (anchors and boxes), slid along the
cropped axis to keep as many tags as possible when they spread wider than the crop (`auto_focus`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageFilter

from studio.core.geometry import (
    FULL,
    Box,
    Crop,
    bounds_center,
    clamp01,
    fit_crop,
    letterbox,
    remap_box,
    remap_point,
)
from studio.core.model import Project, Tag
from studio.render.presets import ExportPreset

FOCUS_KEY = "focus"
RESAMPLE = Image.Resampling.LANCZOS  # the benchmark floor uses the same filter


@dataclass(frozen=True, slots=True)
class FitPlan:
    """Source window `crop` (normalized source) drawn into `frame` (normalized output)."""

    out_size: tuple[int, int]
    crop: Crop
    frame: Box = FULL
    fill: str = "blur"


@dataclass(slots=True)
class Placed:
    """A tag as it appears in the output (normalized output coords)."""

    tag: Tag
    x: float
    y: float
    box: Box | None = None


@dataclass(slots=True)
class Remapped:
    placed: list[Placed] = field(default_factory=list)
    outside: list[Tag] = field(default_factory=list)  # never dropped silently: reported by name


def focus_for(project: Project | None, media_id: str, preset: str, tags: list[Tag]) -> tuple[float, float]:
    """The crop centre: the user's override for this media+preset, else the tags' bounding-box centre."""
    override = user_focus(project, media_id, preset)
    if override is not None:
        return override
    points: list[tuple[float, float]] = []
    for t in tags:
        points.append((t.x, t.y))
        if t.box:
            points += [(t.box[0], t.box[1]), (t.box[2], t.box[3])]
    return bounds_center(points)


def user_focus(project: Project | None, media_id: str, preset: str) -> tuple[float, float] | None:
    """The GUI's stored crop centre for this media + preset, if any (typos are ignored)."""
    if project is None:
        return None
    per_media: Any = (project.extra.get(FOCUS_KEY) or {}).get(media_id) or {}
    value = per_media.get(preset) if isinstance(per_media, dict) else None
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            return clamp01(float(value[0])), clamp01(float(value[1]))
        except (TypeError, ValueError):
            return None
    return None


def auto_focus(src_size: tuple[int, int], preset: ExportPreset, tags: list[Tag]) -> tuple[float, float]:
    """Default crop centre: the tags' bounding-box centre, slid along the cropped axis to keep as
    many anchors inside as possible when they spread wider than the crop (ties: nearest the centre).

    Without the slide, two tags at the far left and right of a landscape photo would *both* fall
    outside a 9:16 crop centred between them.
    """
    centre = focus_for(None, "", preset.name, tags)
    if preset.fit != "crop" or not tags:
        return centre
    crop = fit_crop(src_size[0], src_size[1], preset.width, preset.height, focus=centre)
    w, h = crop.x1 - crop.x0, crop.y1 - crop.y0
    axis = 0 if w < 1.0 - 1e-9 else 1 if h < 1.0 - 1e-9 else None
    if axis is None:
        return centre
    span = w if axis == 0 else h
    margin = span * 0.02
    coords = [(t.x, t.y)[axis] for t in tags]
    candidates = {centre[axis]}
    for c in coords:
        candidates |= {c, c + span / 2 - margin, c - span / 2 + margin}

    def score(c: float) -> tuple[int, float]:
        lo = min(max(c, span / 2), 1 - span / 2) - span / 2
        inside = sum(1 for v in coords if lo - 1e-9 <= v <= lo + span + 1e-9)
        return inside, -abs(c - centre[axis])

    best = max(sorted(candidates), key=score)
    return (clamp01(best), centre[1]) if axis == 0 else (centre[0], clamp01(best))


def set_focus(project: Project, media_id: str, preset: str, focus: tuple[float, float]) -> None:
    """Store a per-media, per-preset crop centre (the GUI's "move the crop"); caller saves."""
    table = project.extra.setdefault(FOCUS_KEY, {})
    table.setdefault(media_id, {})[preset] = [clamp01(focus[0]), clamp01(focus[1])]


def plan_fit(src_size: tuple[int, int], preset: ExportPreset, focus: tuple[float, float]) -> FitPlan:
    out = (preset.width, preset.height)
    if preset.fit == "letterbox":
        frame = letterbox(src_size[0], src_size[1], *out)
        return FitPlan(out, Crop(0.0, 0.0, 1.0, 1.0), frame, preset.fill)
    return FitPlan(out, fit_crop(src_size[0], src_size[1], *out, focus=focus), FULL, preset.fill)


def needed_source_size(plan: FitPlan, src_size: tuple[int, int]) -> tuple[int, int]:
    """The smallest full-image size that still gives the crop at least output resolution (for
    JPEG draft decoding: decoding at 1/2 or 1/4 scale is the main cost saving of an export)."""
    cw, ch = plan.crop.x1 - plan.crop.x0, plan.crop.y1 - plan.crop.y0
    fw = (plan.frame[2] - plan.frame[0]) * plan.out_size[0]
    fh = (plan.frame[3] - plan.frame[1]) * plan.out_size[1]
    w, h = math.ceil(fw / cw), math.ceil(fh / ch)
    return min(w, src_size[0]), min(h, src_size[1])


def _frame_px(plan: FitPlan) -> tuple[int, int, int, int]:
    W, H = plan.out_size
    x0, y0 = round(plan.frame[0] * W), round(plan.frame[1] * H)
    x1, y1 = round(plan.frame[2] * W), round(plan.frame[3] * H)
    return x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)


def apply_fit(img: Image.Image, plan: FitPlan) -> Image.Image:
    """Render the plan: resample the crop window into the frame; letterbox bars get the fill."""
    W, H = img.size
    c = plan.crop
    box = (c.x0 * W, c.y0 * H, c.x1 * W, c.y1 * H)
    if plan.frame == FULL:
        return img.resize(plan.out_size, RESAMPLE, box=box)
    fx0, fy0, fx1, fy1 = _frame_px(plan)
    inner = img.resize((fx1 - fx0, fy1 - fy0), RESAMPLE, box=box)
    if plan.fill == "blur":
        # Cover the frame with a heavily blurred copy; blurring a tiny version and scaling it up
        # costs ~1 ms and looks the same as blurring at full size.
        small = cover_fit(img, (max(1, plan.out_size[0] // 16), max(1, plan.out_size[1] // 16)))
        bg = small.filter(ImageFilter.GaussianBlur(2)).resize(plan.out_size, Image.Resampling.BILINEAR)
    else:
        from studio.render.contrast import parse_color

        bg = Image.new(img.mode, plan.out_size, parse_color(plan.fill, (0, 0, 0)))
    if bg.mode != inner.mode:
        bg = bg.convert(inner.mode)
    bg.paste(inner, (fx0, fy0))
    return bg


def cover_fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    crop = fit_crop(img.width, img.height, *size)
    box = (crop.x0 * img.width, crop.y0 * img.height, crop.x1 * img.width, crop.y1 * img.height)
    return img.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)


def remap_tags(tags: list[Tag], plan: FitPlan) -> Remapped:
    """Every tag either placed in output coords or listed as outside (the crop cut its anchor)."""
    result = Remapped()
    for tag in tags:
        point = remap_point(tag.x, tag.y, plan.crop, plan.frame)
        if point is None:
            result.outside.append(tag)
            continue
        box = remap_box(tag.box, plan.crop, plan.frame) if tag.box else None
        result.placed.append(Placed(tag, point[0], point[1], box))
    return result
