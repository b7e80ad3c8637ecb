"""Label presets, fonts and per-preset style knobs (corner radius, padding, marker...).

`LabelStyle` in the model only carries the workspace choices (preset, colours, font family); the
geometry of each preset lives here as constants so the project file stays small and the look can
evolve without a schema migration. All sizes are fractions of the label text size, so one table
serves every scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.core.app_settings import assets_dir

PRESETS: tuple[str, ...] = ("pill", "pointer", "callout", "minimal")
"""pill; tag with pointer toward the anchor; dot + callout card (title + price); minimal text with halo."""

PRESET_TITLES: dict[str, str] = {
    "pill": "Pill",
    "pointer": "Tag with pointer",
    "callout": "Dot + callout card",
    "minimal": "Minimal text",
}

FONTS: dict[str, str] = {
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Serif Bold": "DejaVuSerif-Bold.ttf",
}
"""Family name shown in the UI -> file name in assets/fonts."""

DEFAULT_FONT = "DejaVu Sans"

# The bold face of each regular file: prices are set bold whatever family the workspace picked.
_BOLD_OF: dict[str, str] = {
    "DejaVuSans.ttf": "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf": "DejaVuSerif-Bold.ttf",
}

# Older or hand-written project files may use other words for the same presets.
_PRESET_ALIASES: dict[str, str] = {
    "tag": "pointer",
    "pointer_tag": "pointer",
    "dot": "callout",
    "card": "callout",
    "text": "minimal",
}


@dataclass(frozen=True, slots=True)
class PresetGeometry:
    """Shape knobs of one preset, in units of the label text size (1.0 = BASE_HEIGHT_PX * scale)."""

    direction: str  # preferred side of the card relative to the anchor
    card: bool  # False: text only, readable through a halo
    radius: float  # corner radius; >= 0.5 * height makes a pill
    pad_x: float
    pad_y: float
    marker: str  # "none" | "dot" | "pointer"
    marker_size: float  # dot radius or pointer length
    gap: float  # distance between marker and card (dot presets), drawn as a connector for callout
    connector: bool  # callout draws a short line from the dot to the card
    title_lines: int  # 1 for callout (title + price), 0 for price-only presets


GEOMETRY: dict[str, PresetGeometry] = {
    "pill": PresetGeometry("below", True, 10.0, 0.62, 0.42, "dot", 0.2, 0.25, False, 0),
    "pointer": PresetGeometry("below", True, 0.2, 0.5, 0.42, "pointer", 0.42, 0.0, False, 0),
    "callout": PresetGeometry("right", True, 0.28, 0.5, 0.45, "dot", 0.3, 0.55, True, 1),
    "minimal": PresetGeometry("below", False, 0.0, 0.0, 0.0, "dot", 0.16, 0.3, False, 0),
}

COMPARE_SIZE = 0.78  # compare-at price size relative to the price
TITLE_SIZE = 0.78  # callout title size relative to the price
TITLE_MAX_WIDTH = 9.0  # callout title is ellipsized beyond this many text sizes
LINE_GAP = 0.42  # callout: space between title and price lines (room for descenders)
WORD_GAP = 0.3  # between struck compare-at and price
STRIKE_THICKNESS = 0.075
HALO_WIDTH = 0.1  # minimal preset: text outline
HALO_ALPHA = 220
MUTED = 0.3  # compare-at colour: text colour this far toward the card colour


def font_path(family: str, bold: bool = False) -> Path:
    """Path of the font file for a UI family name; unknown names fall back to DejaVu Sans.

    A project file written by another version (or edited by hand) may name any font: it must never
    stop a render, so the fallback is silent. Matching ignores case and surrounding spaces.
    """
    key = (family or "").strip().lower()
    file = next((f for name, f in FONTS.items() if name.lower() == key), FONTS[DEFAULT_FONT])
    if bold:
        file = _BOLD_OF.get(file, file)
    return assets_dir() / "fonts" / file


def resolve_preset(tag_style: str | None, workspace_default: str) -> str:
    """The preset to draw for a tag: its own if known, else the workspace default, else "pill"."""
    for candidate in (tag_style, workspace_default):
        key = (candidate or "").strip().lower() if isinstance(candidate, str) else ""
        key = _PRESET_ALIASES.get(key, key)
        if key in PRESETS:
            return key
    return "pill"
