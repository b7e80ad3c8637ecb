"""The one price-label painter (Pillow, no Qt) used by the studio canvas and by every exporter.

Both call the same functions with the same inputs, so the label on screen is exactly the label in
the exported file. Output is deterministic (same inputs -> identical bytes): text is rasterized by
FreeType at the final size (never a scaled bitmap), shapes are drawn 4x supersampled and reduced
with a box filter, and nothing depends on time, randomness or dictionary order.

Pipeline: `_block` measures the text once per (content, style, preset, size) and is cached;
`_geometry` places card, marker and text runs for one direction (cheap arithmetic, so placement can
try all four directions); `paint_layout` rasterizes the chosen geometry once. `prepare_layout`,
`place_layout` and `paint_layout` are public: the video exporter places per frame, paints once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from studio.core.model import LabelStyle, Product, Tag, Variant
from studio.core.money import format_money
from studio.render import label_styles as ls
from studio.render.contrast import (
    BLACK,
    LINEAR,
    RGB,
    WHITE,
    best_text_on,
    border_color,
    mix,
    parse_color,
    readable_text,
    relative_luminance,
)

BASE_HEIGHT_PX = 28
"""Label text size in pixels at scale 1.0, tuned for a 1080 px wide image."""

DIRECTIONS: tuple[str, ...] = ("below", "above", "right", "left")
_OPPOSITE = {"below": "above", "above": "below", "right": "left", "left": "right"}
_SS = 4  # supersampling factor for shapes (Pillow draws polygons and rounded rects without AA)
_MIN_TEXT_PX = 6
_DEFAULT_BG: RGB = (17, 17, 17)

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class LabelContent:
    """What a label says, already formatted for display (the painter never formats money)."""

    price: str  # already formatted for the locale, e.g. "89,00\u00a0€"
    compare_at: str | None = None  # struck-through previous price when on sale
    title: str = ""  # product title (callout card shows it; others ignore it unless text override)
    text: str | None = None  # user override of the whole label text (Tag.label)


@dataclass(frozen=True, slots=True)
class RenderedLabel:
    """A painted label plus where it must be pinned."""

    image: Image.Image  # RGBA, at the requested scale, includes the marker (dot/pointer) if any
    anchor: tuple[int, int]  # pixel in `image` that must sit exactly on the tag's anchor point
    direction: str  # "below" | "above" | "right" | "left": where the card sits relative to the anchor


# --- content ---------------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str, locale: str) -> str:
    """format_money, but a bad currency/locale in a project file degrades to `89.00 XYZ`."""
    try:
        return format_money(amount, currency, locale)
    except Exception:  # a label must never stop an export; the checker reports bad data elsewhere
        return f"{amount} {currency}".strip()


def label_content(product: Product | None, variant: Variant | None, tag: Tag, locale: str) -> LabelContent:
    """Build the label text for a tag: variant price overrides product price, compare-at only when higher.

    A tag whose product vanished from the catalog still renders ("?" / "Missing product") so an
    export never fails on one stale tag; the pre-publish checker is where that gets reported.
    """
    override = " ".join((tag.label or "").split()) or None  # labels are one line
    if product is None:
        return LabelContent(price="?", title="Missing product", text=override)
    price = product.price
    compare = product.compare_at
    if variant is not None and variant.price is not None:
        price = variant.price
        compare = variant.compare_at  # a variant with its own price has its own reference price
    elif variant is not None and variant.compare_at is not None:
        compare = variant.compare_at
    title = product.title
    if variant is not None and variant.title and variant.title.strip().lower() != "default title":
        title = f"{product.title} – {variant.title}"
    return LabelContent(
        price=_money(price, product.currency, locale),
        compare_at=_money(compare, product.currency, locale)
        if compare is not None and compare > price
        else None,
        title=title,
        text=override,
    )


def label_scale_for(image_size: tuple[int, int]) -> float:
    """Default export scale: image short side / 1080, so labels keep their proportion at any size."""
    short = min(image_size)
    return short / 1080 if short > 0 else 1.0


# --- fonts and text measurement --------------------------------------------------------------------


_fonts = threading.local()
_MAX_FONTS = 64


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font, cached per thread: a FreeType face must not be used by two threads at once,
    and the canvas (GUI thread) and an export job (worker thread) render labels concurrently."""
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] | None = getattr(_fonts, "cache", None)
    if cache is None:
        cache = _fonts.cache = {}
    cached = cache.get((path, size))
    if cached is not None:
        return cached
    if len(cache) >= _MAX_FONTS:  # zooming through many sizes must not grow without bound
        cache.clear()
    try:
        font = ImageFont.truetype(path, size)
    except OSError:  # a broken install: Pillow's bundled font still gives readable, sized text
        font = ImageFont.load_default(size)  # type: ignore[assignment]
    cache[(path, size)] = font
    return font


def _clear_caches() -> None:
    """Forget every cached font, layout and shape (tests and benchmarks measure cold paths)."""
    _fonts.cache = {}
    _cap_height.cache_clear()
    _block.cache_clear()
    _shape_mask.cache_clear()


@lru_cache(maxsize=64)
def _cap_height(path: str, size: int) -> int:
    """Height of digits/capitals above the baseline: the box we centre text on (not ascent+descent)."""
    return max(1, -math.floor(_font(path, size).getbbox("H0", anchor="ls")[1]))


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    if font.getlength(text) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _Run:
    """One piece of text, positioned relative to the text block's top-left (baseline anchor)."""

    x: int
    baseline: int
    text: str
    font: str
    size: int
    role: str  # "main" | "muted" | "title"
    strike: Box | None = None  # strike-through bar, same coordinate system


@dataclass(frozen=True, slots=True)
class _Block:
    width: int
    height: int
    runs: tuple[_Run, ...]
    ink: Box = (0, 0, 0, 0)  # union of the runs' ink (with halo), relative to the block's top-left


def _halo_px(preset: str, s: int) -> int:
    return 0 if ls.GEOMETRY[preset].card else max(1, round(s * ls.HALO_WIDTH))


def _with_ink(block: _Block, halo: int) -> _Block:
    """Record how far glyphs overhang the advance box (accents, descenders, halo) for the bounds."""
    x0 = y0 = 0
    x1, y1 = block.width, block.height
    for run in block.runs:
        box = _font(run.font, run.size).getbbox(run.text, anchor="ls", stroke_width=halo)
        x0, x1 = min(x0, run.x + math.floor(box[0])), max(x1, run.x + math.ceil(box[2]))
        y0, y1 = min(y0, run.baseline + math.floor(box[1])), max(y1, run.baseline + math.ceil(box[3]))
    return _Block(block.width, block.height, block.runs, (x0, y0, x1, y1))


def _price_line(
    content: LabelContent, regular: str, bold: str, s: int, baseline: int
) -> tuple[int, list[_Run]]:
    runs: list[_Run] = []
    x = 0
    if content.compare_at:
        cs = max(_MIN_TEXT_PX, round(s * ls.COMPARE_SIZE))
        cfont = _font(regular, cs)
        bbox = cfont.getbbox(content.compare_at, anchor="ls")
        cap = _cap_height(regular, cs)
        t = max(1, round(s * ls.STRIKE_THICKNESS))
        y0 = baseline - round(cap * 0.5) - t // 2
        strike = (math.floor(bbox[0]) - 1, y0, math.ceil(bbox[2]) + 1, y0 + t)
        runs.append(_Run(0, baseline, content.compare_at, regular, cs, "muted", strike))
        x = math.ceil(max(cfont.getlength(content.compare_at), bbox[2])) + round(s * ls.WORD_GAP)
    pfont = _font(bold, s)
    runs.append(_Run(x, baseline, content.price, bold, s, "main"))
    end = x + math.ceil(max(pfont.getlength(content.price), pfont.getbbox(content.price, anchor="ls")[2]))
    return end, runs


@lru_cache(maxsize=512)
def _block(content: LabelContent, family: str, preset: str, s: int) -> _Block:
    """Measure and lay out the text of a label (direction-independent, so measured once)."""
    return _with_ink(_measure(content, family, preset, s), _halo_px(preset, s))


def _measure(content: LabelContent, family: str, preset: str, s: int) -> _Block:
    regular = str(ls.font_path(family))
    bold = str(ls.font_path(family, bold=True))
    cap = _cap_height(bold, s)
    if content.text:
        font = _font(bold, s)
        width = math.ceil(max(font.getlength(content.text), font.getbbox(content.text, anchor="ls")[2]))
        return _Block(max(1, width), cap, (_Run(0, cap, content.text, bold, s, "main"),))
    geo = ls.GEOMETRY[preset]
    if geo.title_lines and content.title.strip():
        ts = max(_MIN_TEXT_PX, round(s * ls.TITLE_SIZE))
        tfont = _font(regular, ts)
        title = _ellipsize(" ".join(content.title.split()), tfont, s * ls.TITLE_MAX_WIDTH)
        tcap = _cap_height(regular, ts)
        title_w = math.ceil(max(tfont.getlength(title), tfont.getbbox(title, anchor="ls")[2]))
        baseline = tcap + round(s * ls.LINE_GAP) + cap
        price_w, runs = _price_line(content, regular, bold, s, baseline)
        runs.insert(0, _Run(0, tcap, title, regular, ts, "title"))
        return _Block(max(1, title_w, price_w), baseline, tuple(runs))
    price_w, runs = _price_line(content, regular, bold, s, cap)
    return _Block(max(1, price_w), cap, tuple(runs))


# --- geometry --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Everything needed to paint, in label-image pixels (origin = image top-left)."""

    size: tuple[int, int]
    anchor: tuple[int, int]
    direction: str
    card: Box | None  # None for text-only presets
    radius: float
    pointer: tuple[tuple[float, float], ...] | None
    dot: tuple[float, float, float] | None  # centre x, centre y, radius
    connector: Box | None
    text_origin: tuple[int, int]
    halo: int  # text outline width (text-only preset), else 0
    max_shift: int  # how far the card may slide sideways and stay attached to its marker


def _geometry(block: _Block, preset: str, s: int, direction: str, shift: int) -> _Geometry:
    """Place card, marker and text for one direction. Coordinates start relative to the anchor pixel
    (which spans [0, 1) x [0, 1), centre 0.5) and are translated so the bounding box starts at 0."""
    geo = ls.GEOMETRY[preset]
    pad_x, pad_y = (round(s * geo.pad_x), round(s * geo.pad_y)) if geo.card else (0, 0)
    w, h = block.width + 2 * pad_x, block.height + 2 * pad_y
    radius = min(s * geo.radius, h / 2) if geo.card else 0.0
    halo = _halo_px(preset, s)
    c = 0.5  # anchor centre
    pointer = None
    dot = None
    connector = None
    half = 0.0
    if geo.marker == "pointer":
        reach = max(3.0, s * geo.marker_size)  # from anchor centre to the card edge
        half = max(3.0, reach * 0.9)
        slide = max(0, math.floor((w if direction in ("below", "above") else h) / 2 - radius - half))
    else:
        r = max(2.0, s * geo.marker_size)
        dot = (c, c, r)
        reach = r + max(1.0, s * geo.gap) + halo
        slide = max(0, math.floor((w if direction in ("below", "above") else h) / 2 - max(radius, r) - 1))
    shift = max(-slide, min(slide, shift))
    if direction == "below":
        x0, y0 = math.floor(c - w / 2) + shift, math.ceil(c + reach)
    elif direction == "above":
        x0, y0 = math.floor(c - w / 2) + shift, math.floor(c - reach) - h
    elif direction == "right":
        x0, y0 = math.ceil(c + reach), math.floor(c - h / 2) + shift
    else:
        x0, y0 = math.floor(c - reach) - w, math.floor(c - h / 2) + shift
    x1, y1 = x0 + w, y0 + h
    if geo.marker == "pointer":
        if direction == "below":
            pointer = ((c, c), (c - half, y0 + 1.0), (c + half, y0 + 1.0))
        elif direction == "above":
            pointer = ((c, c), (c + half, y1 - 1.0), (c - half, y1 - 1.0))
        elif direction == "right":
            pointer = ((c, c), (x0 + 1.0, c + half), (x0 + 1.0, c - half))
        else:
            pointer = ((c, c), (x1 - 1.0, c - half), (x1 - 1.0, c + half))
    if geo.connector and dot is not None:
        t = max(2, round(s * 0.09))
        lo = math.floor(c - t / 2)
        r_in = math.floor(c + dot[2] - 1)
        if direction == "below":
            connector = (lo, r_in, lo + t, y0 + 1)
        elif direction == "above":
            connector = (lo, y1 - 1, lo + t, math.ceil(c - dot[2] + 1))
        elif direction == "right":
            connector = (r_in, lo, x0 + 1, lo + t)
        else:
            connector = (x1 - 1, lo, math.ceil(c - dot[2] + 1), lo + t)
    # Bounding box of everything (text runs of a card preset sit inside the card).
    xs = [x0 - halo, x1 + halo, 0, 1]
    ys = [y0 - halo, y1 + halo, 0, 1]
    if pointer:
        xs += [math.floor(p[0]) for p in pointer] + [math.ceil(p[0]) for p in pointer]
        ys += [math.floor(p[1]) for p in pointer] + [math.ceil(p[1]) for p in pointer]
    if dot:
        extent = dot[2] + halo
        xs += [math.floor(c - extent), math.ceil(c + extent)]
        ys += [math.floor(c - extent), math.ceil(c + extent)]
    tx, ty = x0 + pad_x, y0 + pad_y
    xs += [tx + block.ink[0], tx + block.ink[2]]
    ys += [ty + block.ink[1], ty + block.ink[3]]
    ox, oy = -min(xs), -min(ys)

    def mv(b: Box | None) -> Box | None:
        return None if b is None else (b[0] + ox, b[1] + oy, b[2] + ox, b[3] + oy)

    return _Geometry(
        size=(max(xs) + ox, max(ys) + oy),
        anchor=(ox, oy),
        direction=direction,
        card=(x0 + ox, y0 + oy, x1 + ox, y1 + oy) if geo.card else None,
        radius=radius,
        pointer=tuple((px + ox, py + oy) for px, py in pointer) if pointer else None,
        dot=(dot[0] + ox, dot[1] + oy, dot[2]) if dot else None,
        connector=mv(connector),
        text_origin=(x0 + pad_x + ox, y0 + pad_y + oy),
        halo=halo,
        max_shift=slide,
    )


# --- painting --------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _shape_mask(
    size: tuple[int, int],
    card: Box | None,
    radius: float,
    pointer: tuple[tuple[float, float], ...] | None,
    dot: tuple[float, float, float] | None,
    connector: Box | None,
    inset: float,
) -> Image.Image:
    """Antialiased coverage of card + marker, shrunk by `inset` px (the border width for the fill).

    Cached: labels of one workspace share a handful of shapes, and masks are only ever read.
    """
    k = _SS
    big = Image.new("L", (size[0] * k, size[1] * k), 0)
    draw = ImageDraw.Draw(big)
    if card is not None:
        x0, y0, x1, y1 = (v * k for v in card)
        d = inset * k
        draw.rounded_rectangle(
            (x0 + d, y0 + d, x1 - d - 1, y1 - d - 1), radius=max(0.0, (radius - inset) * k), fill=255
        )
    if pointer is not None:
        (tx, ty), (ax, ay), (bx, by) = pointer
        mx, my = (ax + bx) / 2, (ay + by) / 2
        length = math.hypot(tx - mx, ty - my) or 1.0
        half = math.hypot(ax - mx, ay - my) or 1.0
        # Pull the tip toward the base so the inner triangle's sides sit `inset` inside the outer.
        pull = inset * math.hypot(length, half) / half
        ux, uy = (mx - tx) / length, (my - ty) / length
        tip = (tx + ux * pull, ty + uy * pull)
        # Extend the base into the card so the fill covers the card's border strip under the pointer.
        deep = inset + 2.0
        a2, b2 = (ax + ux * deep, ay + uy * deep), (bx + ux * deep, by + uy * deep)
        draw.polygon([(p[0] * k, p[1] * k) for p in (tip, (ax, ay), a2, b2, (bx, by))], fill=255)
    if connector is not None:  # thin line in the card colour, no rim (a rim would swallow it)
        x0, y0, x1, y1 = connector
        draw.rectangle((x0 * k, y0 * k, x1 * k - 1, y1 * k - 1), fill=255)
    if dot is not None:
        cx, cy, r = dot
        rr = max(0.5, r - inset)
        draw.ellipse(((cx - rr) * k, (cy - rr) * k, (cx + rr) * k - 1, (cy + rr) * k - 1), fill=255)
    return big.reduce(k)


def _layer(canvas: Image.Image | None, color: RGB, mask: Image.Image, alpha: int = 255) -> Image.Image:
    """Composite a solid colour through `mask` (straight alpha, 'over'); starts the canvas if None."""
    if alpha != 255:
        mask = mask.point([v * alpha // 255 for v in range(256)])
    layer = Image.new("RGBA", mask.size, (*color, 0))
    layer.putalpha(mask)
    if canvas is None:
        return layer
    canvas.alpha_composite(layer)
    return canvas


def _text_mask(g: _Geometry, block: _Block, roles: tuple[str, ...], stroke: int = 0) -> Image.Image:
    mask = Image.new("L", g.size, 0)
    draw = ImageDraw.Draw(mask)
    ox, oy = g.text_origin
    for run in block.runs:
        if run.role not in roles:
            continue
        font = _font(run.font, run.size)
        draw.text(
            (ox + run.x, oy + run.baseline),
            run.text,
            fill=255,
            font=font,
            anchor="ls",
            stroke_width=stroke,
            stroke_fill=255,
        )
        if run.strike:
            x0, y0, x1, y1 = run.strike
            draw.rectangle(
                (ox + x0 - stroke, oy + y0 - stroke, ox + x1 + stroke - 1, oy + y1 + stroke - 1), fill=255
            )
    return mask


def _dot_mask(g: _Geometry, grow: float) -> Image.Image:
    return _shape_mask(g.size, None, 0.0, None, g.dot, None, -grow)


def paint_layout(
    g: _Geometry, block: _Block, style: LabelStyle, backdrop: float | None, scale: float
) -> Image.Image:
    bg = parse_color(style.background, _DEFAULT_BG)
    fg = parse_color(style.foreground, WHITE)
    if g.card is None:  # text only: readable against the photo itself, through a halo
        text = fg if backdrop is None else readable_text(fg, backdrop)
        halo_color = best_text_on(relative_luminance(text))
        muted = mix(text, halo_color, ls.MUTED)
        halo_mask = _text_mask(g, block, ("main", "muted", "title"), stroke=g.halo)
        if g.dot is not None:
            halo_mask.paste(255, mask=_dot_mask(g, g.halo))
        canvas = _layer(None, halo_color, halo_mask, ls.HALO_ALPHA)
        _layer(canvas, muted, _text_mask(g, block, ("muted",)))
        main = _text_mask(g, block, ("main", "title"))
        if g.dot is not None:
            main.paste(255, mask=_dot_mask(g, 0.0))
        return _layer(canvas, text, main)
    text = readable_text(fg, relative_luminance(bg))
    muted = mix(text, bg, ls.MUTED)
    bw = max(1, round(scale))
    outer = _shape_mask(g.size, g.card, g.radius, g.pointer, g.dot, g.connector, 0.0)
    inner = _shape_mask(g.size, g.card, g.radius, g.pointer, g.dot, g.connector, float(bw))
    canvas = _layer(None, border_color(bg, backdrop), outer)
    _layer(canvas, bg, inner)
    # Text sits on the opaque card, so drawing it straight in blends exactly like compositing would.
    draw = ImageDraw.Draw(canvas)
    ox, oy = g.text_origin
    for run in block.runs:
        color = muted if run.role == "muted" else text
        draw.text(
            (ox + run.x, oy + run.baseline),
            run.text,
            fill=(*color, 255),
            font=_font(run.font, run.size),
            anchor="ls",
        )
        if run.strike:
            x0, y0, x1, y1 = run.strike
            draw.rectangle((ox + x0, oy + y0, ox + x1 - 1, oy + y1 - 1), fill=(*color, 255))
    return canvas


def _text_px(scale: float) -> int:
    return max(_MIN_TEXT_PX, round(BASE_HEIGHT_PX * scale))


def prepare_layout(
    content: LabelContent, style: LabelStyle, preset: str, scale: float
) -> tuple[_Block, str, int]:
    preset = ls.resolve_preset(preset, style.preset)
    s = _text_px(scale)
    return _block(content, style.font_family or ls.DEFAULT_FONT, preset, s), preset, s


def render_label(
    content: LabelContent,
    style: LabelStyle,
    preset: str,
    *,
    scale: float = 1.0,
    direction: str = "below",
    backdrop_luminance: float | None = None,
    shift: int = 0,
) -> RenderedLabel:
    """Paint one label (card + marker) as an RGBA image with its anchor pixel.

    Unknown presets fall back through `resolve_preset`, unknown directions to "below". `shift`
    slides the card sideways (perpendicular to `direction`) while the marker stays on the anchor;
    it is clamped so the pointer/connector stays attached (place_label uses it near edges).
    """
    block, preset, s = prepare_layout(content, style, preset, scale)
    if direction not in DIRECTIONS:
        direction = "below"
    g = _geometry(block, preset, s, direction, shift)
    return RenderedLabel(paint_layout(g, block, style, backdrop_luminance, scale), g.anchor, direction)


def _direction_order(preferred: str) -> list[str]:
    first = [preferred, _OPPOSITE[preferred]]
    return first + [d for d in DIRECTIONS if d not in first]


def _inside_area(x: int, y: int, w: int, h: int, size: tuple[int, int]) -> int:
    iw = max(0, min(x + w, size[0]) - max(x, 0))
    ih = max(0, min(y + h, size[1]) - max(y, 0))
    return iw * ih


def place_layout(
    block: _Block, preset: str, s: int, anchor_px: tuple[float, float], image_size: tuple[int, int]
) -> tuple[_Geometry, tuple[int, int]]:
    """Choose direction, sideways shift and top-left so the label stays inside the image."""
    iw, ih = image_size
    ax = min(max(math.floor(anchor_px[0]), 0), max(iw - 1, 0))
    ay = min(max(math.floor(anchor_px[1]), 0), max(ih - 1, 0))
    best: tuple[int, _Geometry, tuple[int, int]] | None = None
    for direction in _direction_order(ls.GEOMETRY[preset].direction):
        g = _geometry(block, preset, s, direction, 0)
        x, y = ax - g.anchor[0], ay - g.anchor[1]
        w, h = g.size
        if direction in ("below", "above"):
            need = -x if x < 0 else (iw - (x + w) if x + w > iw else 0)
        else:
            need = -y if y < 0 else (ih - (y + h) if y + h > ih else 0)
        if need and g.max_shift:
            g = _geometry(block, preset, s, direction, need)
            x, y = ax - g.anchor[0], ay - g.anchor[1]
            w, h = g.size
        if x >= 0 and y >= 0 and x + w <= iw and y + h <= ih:
            return g, (x, y)
        area = _inside_area(x, y, w, h, image_size)
        if best is None or area > best[0]:
            best = (area, g, (x, y))
    assert best is not None
    _, g, (x, y) = best
    w, h = g.size
    return g, (max(0, min(x, iw - w)), max(0, min(y, ih - h)))


def place_label(
    content: LabelContent,
    style: LabelStyle,
    preset: str,
    anchor_px: tuple[float, float],
    image_size: tuple[int, int],
    *,
    scale: float = 1.0,
    backdrop_luminance: float | None = None,
) -> tuple[RenderedLabel, tuple[int, int]]:
    """Render and position a label so it stays inside the image.

    Tries the preset's preferred direction, sliding the card sideways if that is enough, then its
    flip (below->above, right->left, ...), then the other axis; if none fits fully, picks the one
    with the most area inside and clamps (the marker may then be off its anchor: only for labels
    larger than the free space). Returns the label and its top-left position in image pixels.
    """
    block, preset, s = prepare_layout(content, style, preset, scale)
    g, pos = place_layout(block, preset, s, anchor_px, image_size)
    return RenderedLabel(paint_layout(g, block, style, backdrop_luminance, scale), g.anchor, g.direction), pos


def backdrop_luminance(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean WCAG relative luminance (0..1) of `box` (x0, y0, x1, y1) in `image`.

    Exact mean of linear light from the channel histograms (luminance is linear in the channels),
    so it is fast for any box size. A box outside the image reads as mid-grey (0.5).
    """
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(image.width, box[2]), min(image.height, box[3])
    if x1 <= x0 or y1 <= y0:
        return 0.5
    region = image.crop((x0, y0, x1, y1))
    if region.mode != "RGB":
        region = region.convert("RGB")
    hist = region.histogram()
    n = (x1 - x0) * (y1 - y0)
    means = [
        sum(c * v for c, v in zip(hist[i * 256 : (i + 1) * 256], LINEAR, strict=True)) / n for i in range(3)
    ]
    return 0.2126 * means[0] + 0.7152 * means[1] + 0.0722 * means[2]


def place_label_on_image(
    image: Image.Image,
    anchor: tuple[float, float],
    content: LabelContent,
    style: LabelStyle,
    preset: str,
    *,
    scale: float | None = None,
) -> tuple[RenderedLabel, tuple[int, int]]:
    """Place a label for a NORMALIZED anchor on `image`, coloured for the photo under it.

    The one call the canvas and `burn_labels` share: placement does not depend on colours, so the
    label's rectangle is chosen first, its backdrop measured on `image`, and then it is painted.
    """
    sc = label_scale_for(image.size) if scale is None else scale
    block, preset, s = prepare_layout(content, style, preset, sc)
    anchor_px = (anchor[0] * image.width, anchor[1] * image.height)
    g, (x, y) = place_layout(block, preset, s, anchor_px, image.size)
    lum = backdrop_luminance(image, (x, y, x + g.size[0], y + g.size[1]))
    return RenderedLabel(paint_layout(g, block, style, lum, sc), g.anchor, g.direction), (x, y)


def burn_labels(
    image: Image.Image,
    items: Sequence[tuple[tuple[float, float], LabelContent, str]],
    style: LabelStyle,
    *,
    scale: float | None = None,
) -> Image.Image:
    """Composite labels onto a copy of `image` (alpha over), in order; the input is not modified.

    items: (anchor in NORMALIZED 0..1 coords, content, preset). scale None -> `label_scale_for`.
    Backdrops are measured on the original photo (not on labels burnt before), exactly as the
    canvas sees it. RGB and RGBA inputs keep their mode; other modes come back as RGB(A).
    """
    out_mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    source = image if image.mode in ("RGB", "RGBA") else image.convert(out_mode)
    canvas = source.convert("RGBA")
    for anchor, content, preset in items:
        label, (x, y) = place_label_on_image(source, anchor, content, style, preset, scale=scale)
        lw, lh = label.image.size
        sx, sy = max(0, -x), max(0, -y)  # only when a label is larger than the image
        if sx >= lw or sy >= lh:
            continue
        canvas.alpha_composite(label.image, dest=(x + sx, y + sy), source=(sx, sy))
    return canvas if out_mode == "RGBA" else canvas.convert("RGB")


__all__ = [
    "BASE_HEIGHT_PX",
    "BLACK",
    "DIRECTIONS",
    "WHITE",
    "LabelContent",
    "RenderedLabel",
    "backdrop_luminance",
    "burn_labels",
    "label_content",
    "label_scale_for",
    "place_label",
    "place_label_on_image",
    "render_label",
]
