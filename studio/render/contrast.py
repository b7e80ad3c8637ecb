"""WCAG colour maths that keeps price labels readable on any photo.

Pure functions on 8-bit sRGB tuples. The painter asks three questions of this module: is the
workspace's text/background pair readable (ratio >= 4.5, WCAG AA), which of black or white reads
best on a given luminance, and what colour a card border must be to stand out from the photo.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageColor

RGB = tuple[int, int, int]

BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)
MIN_TEXT_CONTRAST = 4.5  # WCAG 2 AA for normal text

# sRGB 8-bit -> linear light, computed once; used per channel and by the histogram average.
LINEAR: tuple[float, ...] = tuple(
    (c / 255) / 12.92 if c / 255 <= 0.04045 else (((c / 255) + 0.055) / 1.055) ** 2.4 for c in range(256)
)


@lru_cache(maxsize=256)
def parse_color(value: str | None, default: RGB = BLACK) -> RGB:
    """`#RGB`, `#RRGGBB`, `#RRGGBBAA` or a CSS name -> RGB; anything unreadable -> `default`.

    Colours come from a hand-editable project file, so a typo must degrade, not crash a render.
    Alpha is ignored: cards are opaque so the contrast we compute is the contrast we get.
    """
    if not value or not isinstance(value, str):
        return default
    try:
        rgb = ImageColor.getrgb(value.strip())
    except (ValueError, AttributeError):
        return default
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def relative_luminance(rgb: RGB) -> float:
    """WCAG relative luminance 0 (black) .. 1 (white)."""
    r, g, b = rgb
    return 0.2126 * LINEAR[r] + 0.7152 * LINEAR[g] + 0.0722 * LINEAR[b]


def contrast_ratio_lum(l1: float, l2: float) -> float:
    """WCAG contrast ratio (1..21) between two relative luminances."""
    hi, lo = (l1, l2) if l1 >= l2 else (l2, l1)
    return (hi + 0.05) / (lo + 0.05)


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio (1..21) between two colours."""
    return contrast_ratio_lum(relative_luminance(a), relative_luminance(b))


def best_text_on(luminance: float) -> RGB:
    """Black or white, whichever contrasts more with a background of this luminance."""
    return WHITE if contrast_ratio_lum(1.0, luminance) > contrast_ratio_lum(0.0, luminance) else BLACK


def readable_text(foreground: RGB, background_luminance: float, minimum: float = MIN_TEXT_CONTRAST) -> RGB:
    """Keep the workspace's text colour when it is readable; otherwise black or white.

    Respecting the user's colours when they work matters as much as overriding them when they
    do not: brand colours are a reason people pick a style.
    """
    if contrast_ratio_lum(relative_luminance(foreground), background_luminance) >= minimum:
        return foreground
    return best_text_on(background_luminance)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend in sRGB space: t=0 -> a, t=1 -> b (rounded, so deterministic)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def border_color(card: RGB, backdrop_luminance: float | None, strength: float = 0.4) -> RGB:
    """A subtle, opaque 1px card edge that separates the card from the photo behind it.

    The edge is the card colour pushed toward black or white, whichever contrasts with the
    backdrop (or with the card itself when the backdrop is unknown): a white card on a white
    wall gets a grey rim, a dark card on a dark coat gets a light one.
    """
    against = backdrop_luminance if backdrop_luminance is not None else relative_luminance(card)
    return mix(card, best_text_on(against), strength)
