"""Export presets: the built-in platform table and the workspace's own presets."""

from __future__ import annotations

import pytest

from studio.core.errors import UsageError
from studio.core.model import Project
from studio.render.presets import (
    BUILTIN_PRESETS,
    EXTRA_KEY,
    ExportPreset,
    all_presets,
    get_presets,
    save_user_preset,
)


def test_builtin_table_has_the_platform_sizes():
    table = {p.name: (p.width, p.height) for p in BUILTIN_PRESETS}
    assert table == {
        "instagram-portrait": (1080, 1350),
        "instagram-square": (1080, 1080),
        "instagram-landscape": (1080, 566),
        "instagram-story": (1080, 1920),
        "pinterest-standard": (1000, 1500),
        "pinterest-square": (1000, 1000),
        "facebook-feed": (1080, 1350),
        "facebook-link": (1200, 630),
    }
    ig = all_presets()["instagram-portrait"]
    assert ig.max_bytes == 8_000_000 and ig.format == "jpeg" and ig.aspect == "4:5"
    assert all(p.builtin and p.max_bytes for p in BUILTIN_PRESETS)
    assert all(p.fit in ("crop", "letterbox") for p in BUILTIN_PRESETS)


def test_user_presets_come_from_the_workspace_and_can_override():
    project = Project(name="x")
    project.extra[EXTRA_KEY] = [
        {
            "name": "Shop-Hero",
            "width": 1600,
            "height": 900,
            "fit": "letterbox",
            "fill": "#ffffff",
            "quality": 85,
        },
        {"name": "instagram-square", "width": 1080, "height": 1080, "quality": 80, "platform": "instagram"},
    ]
    table = all_presets(project)
    hero = table["shop-hero"]
    assert (hero.width, hero.height, hero.fit, hero.quality, hero.builtin) == (
        1600,
        900,
        "letterbox",
        85,
        False,
    )
    assert table["instagram-square"].quality == 80 and not table["instagram-square"].builtin
    assert [p.name for p in get_presets("shop-hero, instagram-portrait", project)] == [
        "shop-hero",
        "instagram-portrait",
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"name": "../evil", "width": 100, "height": 100},
        {"name": "tiny", "width": 2, "height": 100},
        {"name": "q", "width": 100, "height": 100, "quality": 150},
        {"name": "f", "width": 100, "height": 100, "fit": "stretch"},
        {"name": "g", "width": 100, "height": 100, "format": "gif"},
        {"name": "n", "width": "wide", "height": 100},
    ],
)
def test_bad_user_presets_are_usage_errors(doc):
    project = Project(name="x", extra={EXTRA_KEY: [doc]})
    with pytest.raises(UsageError):
        all_presets(project)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(UsageError) as err:
        get_presets("instagram-portrait,tiktok")
    assert "tiktok" in err.value.what and "instagram-square" in (err.value.hint or "")


def test_save_user_preset_round_trips():
    project = Project(name="x")
    save_user_preset(project, ExportPreset("web", "Web", "web", 1200, 800, quality=80, max_bytes=500_000))
    save_user_preset(project, ExportPreset("web", "Web", "web", 1400, 800))
    assert len(project.extra[EXTRA_KEY]) == 1
    assert all_presets(project)["web"].width == 1400
