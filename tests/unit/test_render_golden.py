"""Golden-image tests for the price-label painter: every preset, burnt onto a fixed backdrop.

test_render_labels.py checks properties (where ink is, which colour text got); these tests catch
what properties miss: a changed corner radius, a shifted strike bar, a pointer drawn one pixel off,
a halo that got thinner. Each case burns a normal and a sale label (compare-at struck through),
in the workspace default style and in one custom colour/font style, at scale 1.0 and 2.0, onto a
deterministic gradient with a light and a dark half (so both backdrop-dependent colour paths run),
with one anchor near a corner so placement has to slide and flip that label.

Comparison is tolerant on purpose: FreeType versions antialias glyph edges slightly differently, so
a case fails only when more than 0.5 % of pixels differ by more than 24 levels in some channel, or
the mean absolute difference exceeds 1.5 levels. On failure `<name>.actual.png` and `<name>.diff.png`
(difference amplified x8, so faint shifts are visible) are written to pytest's tmp_path and their
paths are in the assertion message.

Regenerating the goldens (after an intended look change; review the new PNGs before committing):

    STUDIO_UPDATE_GOLDEN=1 STUDIO_QT_FREE=1 .venv/bin/python -m pytest -q -p no:pytest-qt \\
        tests/unit/test_render_golden.py

A missing golden is never created silently: without STUDIO_UPDATE_GOLDEN=1 it is a test failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from studio.core.model import LabelStyle
from studio.render.label_styles import PRESETS
from studio.render.labels import LabelContent, burn_labels

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "golden"
UPDATE = os.environ.get("STUDIO_UPDATE_GOLDEN") == "1"

BASE_SIZE = (360, 240)  # backdrop at scale 1.0; scale 2.0 doubles it so the layout is comparable
PIXEL_LEVELS = 24  # a pixel "differs" when some channel is off by more than this
MAX_DIFFERING = 0.005  # fraction of differing pixels tolerated (glyph-edge antialiasing)
MAX_MEAN = 1.5  # mean absolute difference over all channels and pixels
DIFF_GAIN = 8  # amplification of the written diff image

STYLES: dict[str, LabelStyle] = {
    "default": LabelStyle(),  # the workspace default: dark card, white text, DejaVu Sans
    # Light card with dark text and a serif face: exercises the other contrast branch and font path.
    "custom": LabelStyle(
        preset="pill", background="#F6D55C", foreground="#2B1D0E", font_family="DejaVu Serif"
    ),
}

NORMAL = LabelContent("$59.00", title="Linen shirt")
SALE = LabelContent("$59.00", "$89.00", title="Linen overshirt")

# (normalized anchor, content): the normal price on the light half, the sale price on the dark half
# near the bottom-right corner, where no preset's preferred direction fits: it must flip (below ->
# above, right -> left) and slide sideways. Two labels per image keep the goldens small.
ITEMS: tuple[tuple[tuple[float, float], LabelContent], ...] = (
    ((0.22, 0.2), NORMAL),
    ((0.9, 0.9), SALE),
)


def backdrop(scale: float) -> Image.Image:
    """A light left half and a dark right half, each a vertical gradient (rows are uniform, so the
    goldens compress to almost nothing and any label pixel stands out against a known colour)."""
    w, h = round(BASE_SIZE[0] * scale), round(BASE_SIZE[1] * scale)
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    half = w // 2
    for y in range(h):
        t = y / max(1, h - 1)
        light = (round(238 - 40 * t), round(230 - 36 * t), round(214 - 30 * t))
        dark = (round(24 + 34 * t), round(30 + 30 * t), round(46 + 24 * t))
        draw.line([(0, y), (half - 1, y)], fill=light)
        draw.line([(half, y), (w - 1, y)], fill=dark)
    return img


def render_case(preset: str, style: LabelStyle, scale: float) -> Image.Image:
    """The image under test: every item of ITEMS burnt with `preset` at `scale`."""
    items = [(anchor, content, preset) for anchor, content in ITEMS]
    return burn_labels(backdrop(scale), items, style, scale=scale)


@dataclass(frozen=True, slots=True)
class Diff:
    """How far an image is from its golden: the numbers the tolerance is applied to."""

    differing: float  # fraction of pixels with some channel off by more than PIXEL_LEVELS
    mean: float  # mean absolute difference over all channels and pixels
    image: Image.Image  # per-channel absolute difference (RGB)

    @property
    def ok(self) -> bool:
        return self.differing <= MAX_DIFFERING and self.mean <= MAX_MEAN


def compare(actual: Image.Image, golden: Image.Image) -> Diff:
    """Per-pixel absolute difference, Pillow only (numpy is not a dependency of the studio)."""
    a, g = actual.convert("RGB"), golden.convert("RGB")
    if a.size != g.size:
        return Diff(1.0, 255.0, Image.new("RGB", a.size, (255, 0, 255)))
    diff = ImageChops.difference(a, g)
    r, gr, b = diff.split()
    worst = ImageChops.lighter(ImageChops.lighter(r, gr), b)  # max over channels, per pixel
    n = a.width * a.height
    differing = sum(worst.histogram()[PIXEL_LEVELS + 1 :]) / n
    hist = diff.histogram()  # 3 x 256 bins
    mean = sum((i % 256) * count for i, count in enumerate(hist)) / (3 * n)
    return Diff(differing, mean, diff)


def check_golden(actual: Image.Image, name: str, tmp_path: Path) -> None:
    """Assert `actual` matches GOLDEN_DIR/<name>.png within tolerance (or rewrite it when updating)."""
    golden_path = GOLDEN_DIR / f"{name}.png"
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        actual.save(golden_path, optimize=True)
        return
    actual_path = tmp_path / f"{name}.actual.png"
    if not golden_path.exists():
        actual.save(actual_path)
        pytest.fail(
            f"golden image {golden_path} is missing (rendered output: {actual_path}); create it with "
            "STUDIO_UPDATE_GOLDEN=1 STUDIO_QT_FREE=1 .venv/bin/python -m pytest -q -p no:pytest-qt "
            "tests/unit/test_render_golden.py and review the PNG before committing"
        )
    with Image.open(golden_path) as stored:
        golden = stored.convert("RGB")
    diff = compare(actual, golden)
    if diff.ok:
        return
    diff_path = tmp_path / f"{name}.diff.png"
    actual.save(actual_path)
    diff.image.point(lambda v: min(255, v * DIFF_GAIN)).save(diff_path)
    pytest.fail(
        f"{name}: {diff.differing:.2%} of pixels differ by > {PIXEL_LEVELS} levels "
        f"(max {MAX_DIFFERING:.2%}), mean abs diff {diff.mean:.2f} (max {MAX_MEAN}); "
        f"golden size {golden.size}, actual size {actual.size}\n"
        f"  golden: {golden_path}\n  actual: {actual_path}\n  diff:   {diff_path}\n"
        "If the change is intended, regenerate with STUDIO_UPDATE_GOLDEN=1 (see module docstring)."
    )


CASES = [
    pytest.param(preset, style_name, scale, id=f"{preset}-{style_name}-x{scale:g}")
    for preset in PRESETS
    for style_name in STYLES
    for scale in (1.0, 2.0)
]


@pytest.mark.parametrize(("preset", "style_name", "scale"), CASES)
def test_label_matches_golden(preset: str, style_name: str, scale: float, tmp_path: Path) -> None:
    actual = render_case(preset, STYLES[style_name], scale)
    check_golden(actual, f"{preset}-{style_name}-x{scale:g}", tmp_path)


# --- the comparison itself must be able to fail ---------------------------------------------------


def test_compare_accepts_identical_and_tiny_noise() -> None:
    """Antialiasing-sized noise (a few levels everywhere) passes; the tolerance is not zero."""
    img = render_case("pill", STYLES["default"], 1.0)
    assert compare(img, img).ok
    noisy = img.point(lambda v: min(255, v + 1))
    assert compare(noisy, img).ok


def test_compare_rejects_a_recoloured_label() -> None:
    """A card colour change (same geometry) is caught: the golden test is meaningful, not a smoke test."""
    golden = render_case("pointer", STYLES["default"], 1.0)
    recoloured = LabelStyle(background="#3A3A3A")  # still a dark card, text colour unchanged
    diff = compare(render_case("pointer", recoloured, 1.0), golden)
    assert not diff.ok, (diff.differing, diff.mean)


def test_compare_rejects_a_moved_label_and_a_size_change() -> None:
    golden = render_case("minimal", STYLES["default"], 1.0)
    moved = burn_labels(backdrop(1.0), [((0.5, 0.5), NORMAL, "minimal")], STYLES["default"], scale=1.0)
    assert not compare(moved, golden).ok
    assert not compare(golden.crop((0, 0, 359, 240)), golden).ok


def test_missing_golden_fails_with_instructions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never regenerate silently: a missing file fails and says how to create it."""
    monkeypatch.setattr(f"{__name__}.UPDATE", False)
    monkeypatch.setattr(f"{__name__}.GOLDEN_DIR", tmp_path / "nowhere")
    with pytest.raises(pytest.fail.Exception, match="STUDIO_UPDATE_GOLDEN=1"):
        check_golden(backdrop(1.0), "absent", tmp_path)
    assert not (tmp_path / "nowhere").exists()
    assert (tmp_path / "absent.actual.png").exists()


def test_failure_writes_actual_and_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden_dir = tmp_path / "golden"
    golden_dir.mkdir()
    backdrop(1.0).save(golden_dir / "case.png")
    monkeypatch.setattr(f"{__name__}.UPDATE", False)
    monkeypatch.setattr(f"{__name__}.GOLDEN_DIR", golden_dir)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(pytest.fail.Exception) as failure:
        check_golden(render_case("callout", STYLES["custom"], 1.0), "case", out)
    message = str(failure.value)
    assert str(out / "case.actual.png") in message and str(out / "case.diff.png") in message
    with Image.open(out / "case.diff.png") as diff:
        assert diff.size == BASE_SIZE and diff.getbbox() is not None
