"""Fit and remap: tags follow the pixels through crop/letterbox, or are reported, never dropped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from studio.core.geometry import (
    Crop,
    bounds_center,
    fit_crop,
    into_frame,
    letterbox,
    remap,
    remap_box,
    remap_point,
)
from studio.core.model import Project, Tag
from studio.render.fit import (
    apply_fit,
    auto_focus,
    focus_for,
    needed_source_size,
    plan_fit,
    remap_tags,
    set_focus,
)
from studio.render.presets import ExportPreset, get_presets

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
side = st.integers(min_value=16, max_value=4000)


def _preset(w: int, h: int, fit: str = "crop", fill: str = "#000000") -> ExportPreset:
    return ExportPreset("t", "t", "custom", w, h, fit=fit, fill=fill)


# --- pure geometry properties --------------------------------------------------------------------


@given(side, side, side, side, unit, unit)
def test_fit_crop_keeps_target_aspect_and_stays_inside(sw, sh, dw, dh, fx, fy):
    c = fit_crop(sw, sh, dw, dh, (fx, fy))
    assert -1e-9 <= c.x0 <= c.x1 <= 1 + 1e-9 and -1e-9 <= c.y0 <= c.y1 <= 1 + 1e-9
    crop_ratio = (c.x1 - c.x0) * sw / ((c.y1 - c.y0) * sh)
    assert crop_ratio == pytest.approx(dw / dh, rel=1e-6)
    assert max(c.x1 - c.x0, c.y1 - c.y0) == pytest.approx(1.0)  # the largest such window


@given(side, side, side, side)
def test_letterbox_is_centred_with_source_aspect(sw, sh, dw, dh):
    x0, y0, x1, y1 = letterbox(sw, sh, dw, dh)
    assert (x1 - x0) * dw / ((y1 - y0) * dh) == pytest.approx(sw / sh, rel=1e-6)
    assert x0 == pytest.approx(1 - x1) and y0 == pytest.approx(1 - y1)
    assert max(x1 - x0, y1 - y0) == pytest.approx(1.0)


@given(side, side, side, side, unit, unit, unit, unit)
def test_point_inside_crop_maps_to_same_place_in_pixels(sw, sh, dw, dh, fx, fy, px, py):
    """Inside the crop: output pixel -> source pixel through the crop is the identity (sub-pixel)."""
    crop = fit_crop(sw, sh, dw, dh, (fx, fy))
    x = crop.x0 + px * (crop.x1 - crop.x0)
    y = crop.y0 + py * (crop.y1 - crop.y0)
    out = remap_point(x, y, crop)
    assert out is not None
    back_x = (crop.x0 + out[0] * (crop.x1 - crop.x0)) * sw
    back_y = (crop.y0 + out[1] * (crop.y1 - crop.y0)) * sh
    assert abs(back_x - x * sw) < 1e-6 and abs(back_y - y * sh) < 1e-6


@given(side, side, side, side, unit, unit, unit, unit)
def test_point_outside_crop_is_none_and_inside_is_not(sw, sh, dw, dh, fx, fy, x, y):
    crop = fit_crop(sw, sh, dw, dh, (fx, fy))
    eps = 1e-6
    if crop.x0 + eps < x < crop.x1 - eps and crop.y0 + eps < y < crop.y1 - eps:
        assert remap_point(x, y, crop) is not None
    elif x < crop.x0 - eps or x > crop.x1 + eps or y < crop.y0 - eps or y > crop.y1 + eps:
        assert remap_point(x, y, crop) is None


@given(
    unit, unit, unit, unit, st.sampled_from([(0.0, 0.0, 1.0, 1.0), (0.1, 0.0, 0.9, 1.0), (0, 0.2, 1, 0.8)])
)
def test_remap_box_is_clipped_and_inside_frame(a, b, c, d, frame):
    crop = Crop(0.2, 0.1, 0.7, 0.9)
    out = remap_box((a, b, c, d), crop, frame)
    overlap = min(max(a, c), crop.x1) > max(min(a, c), crop.x0) and min(max(b, d), crop.y1) > max(
        min(b, d), crop.y0
    )
    assert (out is not None) == overlap
    if out is not None:
        assert frame[0] - 1e-9 <= out[0] <= out[2] <= frame[2] + 1e-9
        assert frame[1] - 1e-9 <= out[1] <= out[3] <= frame[3] + 1e-9


def test_existing_helpers_unchanged():
    assert fit_crop(200, 100, 100, 100) == Crop(0.25, 0.0, 0.75, 1.0)
    assert remap(0.1, 0.5, Crop(0.25, 0.0, 0.75, 1.0)) is None
    assert into_frame(0.5, 0.5, (0.2, 0.0, 0.8, 1.0)) == pytest.approx((0.5, 0.5))
    assert bounds_center([]) == (0.5, 0.5)
    assert bounds_center([(0.1, 0.2), (0.5, 0.8)]) == pytest.approx((0.3, 0.5))


# --- the same feature in real pixels -------------------------------------------------------------


def _dot_image(size: tuple[int, int], at: tuple[float, float]) -> Image.Image:
    img = Image.new("RGB", size, (40, 40, 40))
    d = ImageDraw.Draw(img)
    x, y = at[0] * size[0], at[1] * size[1]
    d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=(255, 0, 0))
    return img


def _red_centroid(img: Image.Image) -> tuple[float, float] | None:
    w, h = img.size
    px = img.load()
    xs, ys = [], []
    for yy in range(h):
        for xx in range(w):
            r, g, b = px[xx, yy][:3]
            if r > 150 and g < 90 and b < 90:
                xs.append(xx + 0.5)
                ys.append(yy + 0.5)
    if not xs:
        return None
    return sum(xs) / len(xs), sum(ys) / len(ys)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([(320, 240), (240, 320), (300, 300)]),
    st.sampled_from([(160, 200), (200, 200), (200, 105), (120, 213)]),
    st.floats(0.1, 0.9),
    st.floats(0.1, 0.9),
    st.sampled_from(["crop", "letterbox"]),
)
def test_tag_stays_on_the_same_image_feature(src, dst, tx, ty, fit):
    """Render a red dot under the tag; in the output the remapped tag sits on the dot (≤ 1 px)."""
    img = _dot_image(src, (tx, ty))
    preset = _preset(*dst, fit=fit)
    plan = plan_fit(src, preset, (0.5, 0.5))
    tag = Tag("t1", "p1", tx, ty)
    result = remap_tags([tag], plan)
    out = apply_fit(img, plan)
    centroid = _red_centroid(out)
    # a dot whose centre is cut away is reported; one fully inside is placed on its pixels
    if result.outside:
        assert result.outside == [tag]
        return
    assert centroid is not None
    p = result.placed[0]
    # Only check dots that are fully inside the crop: a half-cut dot moves its centroid.
    c, mx, my = plan.crop, 7 / src[0], 7 / src[1]
    if not (c.x0 + mx < tx < c.x1 - mx and c.y0 + my < ty < c.y1 - my):
        return
    assert abs(p.x * dst[0] - centroid[0]) <= 1.0
    assert abs(p.y * dst[1] - centroid[1]) <= 1.0


def test_tag_outside_crop_is_reported_not_dropped():
    preset = _preset(100, 100)  # square crop of a 2:1 image keeps the middle half
    plan = plan_fit((200, 100), preset, (0.5, 0.5))
    inside, outside = Tag("a", "p1", 0.5, 0.5), Tag("b", "p2", 0.05, 0.5)
    result = remap_tags([inside, outside], plan)
    assert [p.tag.id for p in result.placed] == ["a"]
    assert result.outside == [outside]


def test_letterbox_keeps_every_tag_and_fills_bars():
    plan = plan_fit((200, 100), _preset(100, 100, "letterbox", "#00ff00"), (0.5, 0.5))
    tags = [Tag("a", "p", 0.0, 0.0), Tag("b", "p", 1.0, 1.0)]
    result = remap_tags(tags, plan)
    assert not result.outside
    assert (result.placed[0].x, result.placed[0].y) == pytest.approx((0.0, 0.25))
    out = apply_fit(Image.new("RGB", (200, 100), (255, 0, 0)), plan)
    assert out.size == (100, 100)
    assert out.getpixel((50, 5)) == (0, 255, 0) and out.getpixel((50, 50))[0] > 200


def test_blurred_letterbox_fill_has_no_hard_bars():
    plan = plan_fit((200, 100), _preset(100, 100, "letterbox", "blur"), (0.5, 0.5))
    out = apply_fit(Image.new("RGB", (200, 100), (200, 30, 30)), plan)
    assert out.getpixel((50, 3))[0] > 150  # the bar is the blurred photo, not black


def test_focus_defaults_to_tag_bounds_and_honours_override():
    tags = [Tag("a", "p", 0.1, 0.2), Tag("b", "p", 0.5, 0.4, box=(0.4, 0.3, 0.9, 0.6))]
    project = Project(name="x")
    assert focus_for(project, "m1", "instagram-square", tags) == pytest.approx((0.5, 0.4))
    assert focus_for(project, "m1", "instagram-square", []) == (0.5, 0.5)
    set_focus(project, "m1", "instagram-square", (0.2, 1.5))
    assert focus_for(project, "m1", "instagram-square", tags) == (0.2, 1.0)
    assert focus_for(project, "m1", "instagram-portrait", tags) == pytest.approx((0.5, 0.4))
    project.extra["focus"]["m1"]["instagram-square"] = ["oops", 1]
    assert focus_for(project, "m1", "instagram-square", tags) == pytest.approx((0.5, 0.4))


def test_needed_source_size_gives_full_output_resolution():
    preset = get_presets("instagram-portrait")[0]
    plan = plan_fit((4000, 3000), preset, (0.5, 0.5))
    w, h = needed_source_size(plan, (4000, 3000))
    # the crop of a w×h decode must still be at least 1080×1350 pixels
    assert (plan.crop.x1 - plan.crop.x0) * w >= 1080 - 1e-6 and (
        plan.crop.y1 - plan.crop.y0
    ) * h >= 1350 - 1e-6
    assert w < 4000 and h < 3000


def test_auto_focus_keeps_most_tags_when_they_spread_wider_than_the_crop():
    story = get_presets("instagram-story")[0]  # 9:16 of a 3:2 photo keeps 37.5 % of the width
    tags = [Tag("a", "p", 0.3, 0.5), Tag("b", "p", 0.4, 0.5), Tag("c", "p", 0.95, 0.5)]
    centred = remap_tags(tags, plan_fit((300, 200), story, focus_for(None, "m", story.name, tags)))
    assert len(centred.placed) <= 1  # centring between them loses most of them
    best = remap_tags(tags, plan_fit((300, 200), story, auto_focus((300, 200), story, tags)))
    assert [p.tag.id for p in best.placed] == ["a", "b"] and [t.id for t in best.outside] == ["c"]
    square = get_presets("instagram-square")[0]
    assert auto_focus((300, 200), square, tags[:2]) == pytest.approx((0.35, 0.5))  # fits: plain centre
