"""The price-label painter, checked on real pixels (no Qt, no stored images needed).

Every assertion reads the RGBA output: where the ink is, which colour the text got, whether a
strike bar crosses the old price. Layout constants may change; these properties must not.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from PIL import Image, ImageChops, ImageDraw

from studio.core.model import LabelStyle, Product, Tag, Variant
from studio.render import contrast, label_styles, labels
from studio.render.label_styles import FONTS, PRESET_TITLES, PRESETS, font_path, resolve_preset
from studio.render.labels import (
    BASE_HEIGHT_PX,
    LabelContent,
    RenderedLabel,
    backdrop_luminance,
    burn_labels,
    label_content,
    label_scale_for,
    place_label,
    place_label_on_image,
    render_label,
)

STYLE = LabelStyle()  # dark card (#111111), white text
PLAIN = LabelContent("$59.00", title="Linen shirt")
SALE = LabelContent("$59.00", "$89.00", title="Linen shirt")


def lum(rgb: tuple[int, ...]) -> float:
    return contrast.relative_luminance((rgb[0], rgb[1], rgb[2]))


def opaque_pixels(img: Image.Image) -> list[tuple[int, int, int, int]]:
    return [p for p in img.get_flattened_data() if p[3] == 255]


def longest_run(img: Image.Image, predicate) -> int:
    """Longest horizontal run of pixels satisfying `predicate` in any row."""
    w, h = img.size
    px = img.load()
    best = 0
    for y in range(h):
        run = 0
        for x in range(w):
            run = run + 1 if predicate(px[x, y]) else 0
            best = max(best, run)
    return best


def clear_caches() -> None:
    labels._clear_caches()


# --- presets, fonts --------------------------------------------------------------------------------


def test_presets_titles_and_fonts_are_complete():
    assert set(PRESETS) >= {"pill", "pointer", "callout", "minimal"}
    assert set(PRESET_TITLES) == set(PRESETS)
    assert set(label_styles.GEOMETRY) == set(PRESETS)
    for family in FONTS:
        assert font_path(family).is_file(), family
        assert font_path(family, bold=True).is_file(), family
    assert font_path("DejaVu Serif", bold=True).name == "DejaVuSerif-Bold.ttf"
    assert font_path("dejavu sans ").name == "DejaVuSans.ttf"
    assert (font_path("DejaVu Sans").parent / "LICENSE-DejaVu.txt").is_file()


def test_unknown_names_fall_back():
    assert font_path("Comic Nope").name == "DejaVuSans.ttf"
    assert font_path("", bold=True).name == "DejaVuSans-Bold.ttf"
    assert resolve_preset("pointer", "pill") == "pointer"
    assert resolve_preset("zigzag", "callout") == "callout"
    assert resolve_preset(None, "minimal") == "minimal"
    assert resolve_preset("zigzag", "nope") == "pill"
    assert resolve_preset("Tag", "pill") == "pointer"  # old/hand-written alias


def test_unknown_preset_font_colour_and_direction_never_crash():
    broken = LabelStyle(preset="??", background="not-a-colour", foreground="", font_family="Comic Nope")
    out = render_label(SALE, broken, "zigzag", direction="diagonal")
    assert out.image.getbbox() is not None
    assert out.direction == "below"
    # The fallback is exactly the default pill in the fallback font.
    expected = render_label(SALE, LabelStyle(background="#111111", foreground="#FFFFFF"), "pill")
    assert out.image.tobytes() == expected.image.tobytes()
    placed, _ = place_label(PLAIN, broken, "zigzag", (10.0, 10.0), (200, 200))
    assert placed.image.getbbox() is not None


def test_serif_family_changes_the_glyphs():
    sans = render_label(PLAIN, STYLE, "pill").image
    serif = render_label(PLAIN, LabelStyle(font_family="DejaVu Serif"), "pill").image
    assert sans.tobytes() != serif.tobytes()


# --- rendering -------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("direction", labels.DIRECTIONS)
def test_each_preset_renders_rgba_with_marker_on_anchor(preset, direction):
    out = render_label(SALE, STYLE, preset, direction=direction, backdrop_luminance=0.5)
    assert isinstance(out, RenderedLabel)
    assert out.image.mode == "RGBA"
    assert out.direction == direction
    w, h = out.image.size
    ax, ay = out.anchor
    assert 0 <= ax < w and 0 <= ay < h
    assert out.image.getbbox() is not None
    # The marker (dot or pointer tip) covers the anchor: some ink within 1 px of it.
    alpha = out.image.getchannel("A")
    near = [
        alpha.getpixel((x, y))
        for x in range(ax - 1, ax + 2)
        for y in range(ay - 1, ay + 2)
        if 0 <= x < w and 0 <= y < h
    ]
    assert max(near) > 100
    # The card sits on the requested side of the anchor.
    bx0, by0, bx1, by1 = alpha.point(lambda v: 255 if v > 200 else 0).getbbox()
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    side = {"below": cy > ay, "above": cy < ay, "right": cx > ax, "left": cx < ax}
    assert side[direction]


@pytest.mark.parametrize("preset", ["pill", "pointer", "callout"])
def test_sale_strikes_compare_at_and_is_wider(preset):
    plain = render_label(PLAIN, STYLE, preset).image
    sale = render_label(SALE, STYLE, preset).image
    assert sale.width > plain.width

    def muted(p):  # compare-at colour: white text pulled toward the dark card, opaque
        return p[3] == 255 and 120 < p[0] < 235 and abs(p[0] - p[1]) < 4

    compare_font = labels._font(str(font_path("DejaVu Sans")), round(BASE_HEIGHT_PX * 0.78))
    compare_width = compare_font.getlength("$89.00")
    # A continuous bar at least as long as the old price: glyphs alone never make one.
    assert longest_run(sale, muted) >= compare_width
    assert longest_run(plain, muted) < compare_width / 3


def test_minimal_sale_has_strike_too():
    sale = render_label(SALE, STYLE, "minimal", backdrop_luminance=0.9).image  # dark text
    plain = render_label(PLAIN, STYLE, "minimal", backdrop_luminance=0.9).image

    def dark(p):
        return p[3] == 255 and p[0] < 120

    compare_width = labels._font(str(font_path("DejaVu Sans")), round(BASE_HEIGHT_PX * 0.78)).getlength(
        "$89.00"
    )
    assert longest_run(sale, dark) >= compare_width
    assert longest_run(plain, dark) < compare_width / 3


def test_override_text_replaces_the_whole_label():
    out = render_label(LabelContent("$59.00", "$89.00", text="Shop the look"), STYLE, "pill").image
    assert out.tobytes() != render_label(SALE, STYLE, "pill").image.tobytes()
    font = labels._font(str(font_path("DejaVu Sans", bold=True)), BASE_HEIGHT_PX)
    assert out.width >= font.getlength("Shop the look")


def test_callout_shows_title_and_ellipsizes_long_ones():
    short = render_label(SALE, STYLE, "callout").image
    price_only = render_label(LabelContent("$59.00", "$89.00"), STYLE, "callout").image
    assert short.height > price_only.height  # two lines
    long = render_label(LabelContent("$5", title="Extraordinarily " * 20), STYLE, "callout").image
    assert long.width < BASE_HEIGHT_PX * (label_styles.TITLE_MAX_WIDTH + 3)


def test_scale_renders_text_at_size_not_a_resized_bitmap():
    one = render_label(SALE, STYLE, "pointer", scale=1.0).image
    two = render_label(SALE, STYLE, "pointer", scale=2.0).image
    assert 1.8 < two.width / one.width < 2.2
    assert 1.8 < two.height / one.height < 2.2
    # Crisp: the scale-2 label is not the scale-1 label upsampled.
    upsampled = one.resize(two.size, Image.Resampling.BICUBIC)
    assert ImageChops.difference(upsampled, two).getbbox() is not None


def test_contrast_white_on_white_gets_dark_text():
    white = LabelStyle(background="#FFFFFF", foreground="#FFFFFF")
    img = render_label(PLAIN, white, "pill").image
    darkest = min(lum(p) for p in opaque_pixels(img))
    assert darkest < 0.05  # black text appeared
    # A readable style keeps its colours: white text on the dark card, no black text added.
    img = render_label(PLAIN, STYLE, "pill").image
    assert max(lum(p) for p in opaque_pixels(img)) > 0.95


def test_brand_colour_kept_when_readable():
    brand = LabelStyle(background="#FFFFFF", foreground="#0B5FFF")  # 5.1:1, passes AA
    img = render_label(PLAIN, brand, "pill").image
    assert any(p[2] > 240 and p[0] < 40 and p[3] == 255 for p in img.get_flattened_data())
    weak = LabelStyle(background="#FFFFFF", foreground="#FFD400")  # yellow on white, fails
    img = render_label(PLAIN, weak, "pill").image
    assert not any(p[0] > 240 and p[1] > 190 and p[2] < 40 for p in img.get_flattened_data())


def test_minimal_picks_text_colour_from_backdrop_and_draws_a_halo():
    on_dark = render_label(PLAIN, STYLE, "minimal", backdrop_luminance=0.02).image
    on_light = render_label(PLAIN, STYLE, "minimal", backdrop_luminance=0.95).image
    core_dark = [lum(p) for p in opaque_pixels(on_dark)]
    core_light = [lum(p) for p in opaque_pixels(on_light)]
    assert sum(core_dark) / len(core_dark) > 0.8  # white text on a dark photo
    assert sum(core_light) / len(core_light) < 0.1  # black text on a light photo
    # Halo: semi-opaque outline pixels in the opposite colour.
    halo_light = [p for p in on_light.get_flattened_data() if 150 < p[3] < 255 and p[0] > 200]
    halo_dark = [p for p in on_dark.get_flattened_data() if 150 < p[3] < 255 and p[0] < 50]
    assert halo_light and halo_dark


@pytest.mark.parametrize("preset", ["pill", "pointer", "callout"])
def test_card_border_contrasts_with_backdrop(preset):
    white = LabelStyle(background="#FFFFFF", foreground="#000000")
    img = render_label(PLAIN, white, preset, backdrop_luminance=1.0).image
    # On a white photo a white card gets a grey rim, so its edge is visible.
    assert any(p[3] == 255 and 80 < p[0] < 200 for p in img.get_flattened_data())
    dark = render_label(PLAIN, STYLE, preset, backdrop_luminance=0.0).image
    assert any(p[3] == 255 and 80 < p[0] < 200 and abs(p[0] - p[2]) < 3 for p in dark.get_flattened_data())


def test_contrast_maths():
    assert contrast.contrast_ratio(contrast.BLACK, contrast.WHITE) == pytest.approx(21.0)
    assert contrast.contrast_ratio((17, 17, 17), (17, 17, 17)) == pytest.approx(1.0)
    assert contrast.best_text_on(0.9) == contrast.BLACK
    assert contrast.best_text_on(0.05) == contrast.WHITE
    assert contrast.parse_color("#abc") == (0xAA, 0xBB, 0xCC)
    assert contrast.parse_color("#11223344") == (0x11, 0x22, 0x33)
    assert contrast.parse_color("bogus", (1, 2, 3)) == (1, 2, 3)


def test_output_is_deterministic():
    first = [render_label(SALE, STYLE, p, scale=1.3, backdrop_luminance=0.4).image.tobytes() for p in PRESETS]
    clear_caches()
    second = [
        render_label(SALE, STYLE, p, scale=1.3, backdrop_luminance=0.4).image.tobytes() for p in PRESETS
    ]
    assert first == second


# --- placement -------------------------------------------------------------------------------------


def _inside(label: RenderedLabel, pos: tuple[int, int], size: tuple[int, int]) -> bool:
    return (
        pos[0] >= 0
        and pos[1] >= 0
        and pos[0] + label.image.width <= size[0]
        and (pos[1] + label.image.height <= size[1])
    )


def test_place_label_keeps_preferred_direction_with_room():
    label, pos = place_label(SALE, STYLE, "callout", (300.0, 400.0), (1080, 1350))
    assert label.direction == "right"
    assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (300, 400)
    label, pos = place_label(SALE, STYLE, "pill", (300.5, 400.9), (1080, 1350))
    assert label.direction == "below"
    assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (300, 400)


def test_place_label_flips_near_right_and_bottom_edges():
    size = (1080, 1350)
    label, pos = place_label(SALE, STYLE, "callout", (1060.0, 600.0), size)
    assert label.direction == "left"
    assert _inside(label, pos, size)
    assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (1060, 600)
    for preset in ("pill", "pointer", "minimal"):
        label, pos = place_label(SALE, STYLE, preset, (540.0, 1335.0), size)
        assert label.direction == "above", preset
        assert _inside(label, pos, size)
        assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (540, 1335)


def test_place_label_slides_card_along_the_edge_keeping_marker_on_anchor():
    size = (1080, 1350)
    label, pos = place_label(SALE, STYLE, "pointer", (1060.0, 600.0), size)
    assert label.direction == "below"  # slid sideways rather than flipped
    assert _inside(label, pos, size)
    assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (1060, 600)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("corner", [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.01, 0.99)])
def test_place_label_stays_inside_at_all_corners(preset, corner):
    size = (400, 300)
    anchor = (corner[0] * size[0], corner[1] * size[1])
    label, pos = place_label(SALE, STYLE, preset, anchor, size, scale=1.5)
    assert _inside(label, pos, size)


@pytest.mark.parametrize("preset", PRESETS)
def test_place_label_near_corners_keeps_marker_on_anchor(preset):
    size = (1080, 1350)
    for ax, ay in [(120, 60), (960, 60), (120, 1290), (960, 1290)]:
        label, pos = place_label(SALE, STYLE, preset, (float(ax), float(ay)), size)
        assert _inside(label, pos, size)
        assert (pos[0] + label.anchor[0], pos[1] + label.anchor[1]) == (ax, ay), (preset, ax, ay)


def test_label_larger_than_image_is_clamped_not_crashing():
    label, pos = place_label(SALE, STYLE, "callout", (5.0, 5.0), (20, 20), scale=3)
    assert label.image.width > 20 and pos == (0, 0)
    out = burn_labels(Image.new("RGB", (20, 20), "white"), [((0.5, 0.5), SALE, "callout")], STYLE, scale=3)
    assert out.size == (20, 20)


# --- backdrop and burning --------------------------------------------------------------------------


def test_backdrop_luminance():
    img = Image.new("RGB", (100, 50), "white")
    ImageDraw.Draw(img).rectangle((0, 0, 49, 49), fill="black")
    assert backdrop_luminance(img, (0, 0, 50, 50)) == pytest.approx(0.0)
    assert backdrop_luminance(img, (50, 0, 100, 50)) == pytest.approx(1.0)
    assert backdrop_luminance(img, (0, 0, 100, 50)) == pytest.approx(0.5)
    assert backdrop_luminance(img, (90, 0, 200, 50)) == pytest.approx(1.0)  # clipped to the image
    assert backdrop_luminance(img, (300, 300, 400, 400)) == 0.5
    grey = Image.new("RGBA", (10, 10), (119, 119, 119, 255))  # sRGB 119 is ~18 % linear light
    assert backdrop_luminance(grey, (0, 0, 10, 10)) == pytest.approx(0.184, abs=0.005)


def _photo() -> Image.Image:
    img = Image.new("RGB", (1080, 1350), (235, 232, 225))
    ImageDraw.Draw(img).rectangle((0, 700, 1079, 1349), fill=(20, 24, 30))  # dark lower half
    return img


def test_burn_labels_changes_pixels_only_near_anchors():
    img = _photo()
    before = img.tobytes()
    anchors = [(0.2, 0.2), (0.8, 0.3), (0.3, 0.8), (0.97, 0.97)]
    items = [(a, SALE if i % 2 else PLAIN, PRESETS[i]) for i, a in enumerate(anchors)]
    out = burn_labels(img, items, STYLE)
    assert img.tobytes() == before  # input untouched
    assert out.size == img.size and out.mode == "RGB"
    diff = ImageChops.difference(out, img).convert("L")
    px = diff.load()
    reach_x, reach_y = 360, 160
    changed = 0
    for y in range(0, img.height, 2):
        for x in range(0, img.width, 2):
            if px[x, y]:
                changed += 1
                assert any(
                    abs(x - ax * img.width) < reach_x and abs(y - ay * img.height) < reach_y
                    for ax, ay in anchors
                ), (x, y)
    assert changed > 0
    for ax, ay in anchors:  # every label left a mark at its anchor
        x, y = int(ax * img.width), int(ay * img.height)
        assert diff.crop((x - 3, y - 3, x + 4, y + 4)).getbbox() is not None


def test_burn_equals_canvas_composition_and_is_deterministic():
    """The exporter's output is exactly what the canvas shows: same call, same pixels."""
    img = _photo()
    items = [((0.4, 0.3), SALE, "minimal"), ((0.6, 0.8), SALE, "minimal"), ((0.5, 0.5), PLAIN, "callout")]
    out = burn_labels(img, items, STYLE)
    manual = img.convert("RGBA")
    for anchor, content, preset in items:
        label, pos = place_label_on_image(img, anchor, content, preset=preset, style=STYLE)
        manual.alpha_composite(label.image, dest=pos)
    assert out.tobytes() == manual.convert("RGB").tobytes()
    clear_caches()
    assert burn_labels(img, items, STYLE).tobytes() == out.tobytes()
    # Minimal labels adapt to the photo: light text on the dark half, dark text on the light half.
    top, _ = place_label_on_image(img, (0.4, 0.3), SALE, STYLE, "minimal")
    bottom, _ = place_label_on_image(img, (0.6, 0.8), SALE, STYLE, "minimal")
    assert sum(lum(p) for p in opaque_pixels(top.image)) / len(opaque_pixels(top.image)) < 0.2
    assert sum(lum(p) for p in opaque_pixels(bottom.image)) / len(opaque_pixels(bottom.image)) > 0.7


def test_burn_keeps_rgba_and_default_scale():
    img = Image.new("RGBA", (2160, 2700), (255, 255, 255, 0))
    out = burn_labels(img, [((0.5, 0.5), PLAIN, "pill")], STYLE)
    assert out.mode == "RGBA" and out.size == img.size
    assert label_scale_for((2160, 2700)) == 2.0
    assert label_scale_for((1080, 1350)) == 1.0
    assert label_scale_for((0, 0)) == 1.0
    at_default = burn_labels(img, [((0.5, 0.5), PLAIN, "pill")], STYLE, scale=2.0)
    assert at_default.tobytes() == out.tobytes()
    grey = burn_labels(Image.new("L", (300, 300), 128), [((0.5, 0.5), PLAIN, "pill")], STYLE)
    assert grey.mode == "RGB"


# --- content ---------------------------------------------------------------------------------------


def _product(**kw) -> Product:
    base = dict(id="p1", title="Linen shirt", price=Decimal("89"), currency="EUR")
    base.update(kw)
    return Product(**base)


def _tag(**kw) -> Tag:
    base = dict(id="t1", product_id="p1", x=0.5, y=0.5)
    base.update(kw)
    return Tag(**base)


def test_label_content_fr_eur_and_sale():
    c = label_content(_product(compare_at=Decimal("120")), None, _tag(), "fr_FR")
    assert c.price == "89,00\u00a0€"
    assert c.compare_at == "120,00\u00a0€"
    assert c.title == "Linen shirt"
    assert c.text is None
    usd = label_content(_product(currency="USD"), None, _tag(), "en_US")
    assert usd.price == "$89.00" and usd.compare_at is None


def test_label_content_variant_price_overrides():
    v = Variant(id="v1", title="M / Blue", price=Decimal("79.5"), compare_at=Decimal("99"))
    c = label_content(_product(compare_at=Decimal("200")), v, _tag(variant_id="v1"), "en_US")
    assert c.price == "€79.50"
    assert c.compare_at == "€99.00"
    assert c.title == "Linen shirt – M / Blue"
    # Variant without its own price inherits the product's; a compare-at not above the price is hidden.
    same = Variant(id="v2", title="Default Title")
    c = label_content(_product(compare_at=Decimal("89")), same, _tag(), "en_US")
    assert c.price == "€89.00" and c.compare_at is None and c.title == "Linen shirt"


def test_label_content_missing_product_and_override():
    c = label_content(None, None, _tag(), "fr_FR")
    assert c.price == "?" and c.title == "Missing product"
    c = label_content(_product(), None, _tag(label="  Shop\nthe look "), "fr_FR")
    assert c.text == "Shop the look"
    assert c.price == "89,00\u00a0€"
    assert label_content(_product(), None, _tag(label="   "), "en_US").text is None


def test_label_content_survives_bad_currency():
    c = label_content(_product(currency="XXQ"), None, _tag(), "en_US")
    assert "89" in c.price


def test_render_package_is_qt_free():
    assert "PySide6" not in sys.modules


def test_concurrent_rendering_matches_serial():
    """The canvas (GUI thread) and an export job (worker) paint at the same time: fonts are per thread."""
    from concurrent.futures import ThreadPoolExecutor

    expected = {p: render_label(SALE, STYLE, p, scale=1.7).image.tobytes() for p in PRESETS}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda p: (p, render_label(SALE, STYLE, p, scale=1.7).image.tobytes()), list(PRESETS) * 8
            )
        )
    assert all(data == expected[p] for p, data in results)
