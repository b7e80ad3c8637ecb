from hypothesis import given
from hypothesis import strategies as st

from studio.core.geometry import clamp_point, fit_crop, normalize_box, remap, to_normalized, to_pixels

unit = st.floats(min_value=0, max_value=1)
size = st.integers(min_value=1, max_value=10000)


def test_clamp_keeps_tags_inside():
    assert clamp_point(-0.2, 1.7) == (0.0, 1.0)
    assert normalize_box((0.9, 0.8, 0.1, -3)) == (0.1, 0.0, 0.9, 0.8)


@given(unit, unit, size, size)
def test_pixel_round_trip(x, y, w, h):
    px, py = to_pixels(x, y, w, h)
    nx, ny = to_normalized(px, py, w, h)
    assert abs(nx - x) < 1e-9 and abs(ny - y) < 1e-9


@given(size, size, size, size, unit, unit)
def test_fit_crop_has_target_ratio_and_stays_inside(sw, sh, dw, dh, fx, fy):
    c = fit_crop(sw, sh, dw, dh, (fx, fy))
    assert -1e-9 <= c.x0 <= c.x1 <= 1 + 1e-9 and -1e-9 <= c.y0 <= c.y1 <= 1 + 1e-9
    ratio = ((c.x1 - c.x0) * sw) / ((c.y1 - c.y0) * sh)
    assert abs(ratio - dw / dh) / (dw / dh) < 1e-6


def test_remap_reports_points_outside():
    c = fit_crop(2000, 1000, 1000, 1000)  # centre square
    assert remap(0.5, 0.5, c) == (0.5, 0.5)
    assert remap(0.05, 0.5, c) is None  # left edge is cropped away
