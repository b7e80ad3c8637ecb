"""The label on the canvas must look like the label in the exported image.

Both go through `studio.render.labels` (the canvas via `place_label` on screen coordinates, the
export via `burn_labels`); at 100 % zoom on a 1x screen they must be fed the same numbers. The
test grabs the viewport around a tag and compares it with `burn_labels(..., scale=1.0)` of the
same photo, pixel by pixel over the label's rectangle (minus the canvas's own anchor marker,
which exists only in the editor). On failure the three images are written next to the test's tmp
folder: canvas crop, export crop and an amplified difference.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat
from PySide6.QtGui import QImage

from studio.core.model import Tag
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.import_catalog import import_catalog
from studio.media.images import open_image
from studio.render import label_styles, labels
from studio.ui import commands
from studio.ui.canvas import TagCanvas
from studio.ui.canvas.items import MARKER_RADIUS
from studio.ui.document import Document
from studio.ui.workers import WorkerBridge

CSV = (
    "Title,URL handle,Vendor,Status,SKU,Option1 name,Option1 value,Price,Compare-at price\n"
    "Chemise en lin Été,chemise-lin,Maison,active,CH-S,Title,Default Title,89.00,110.00\n"
)
W, H = 640, 480
MAX_MEAN_DIFF = 1.0  # 0..255 per channel; Qt's and Pillow's "over" may round differently by a unit


def textured(size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L")
    img = Image.merge("RGB", (ramp.rotate(90).resize(size), ramp.resize(size), Image.new("L", size, 90)))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 64):
        draw.rectangle([i, size[1] // 2 - 40, i + 24, size[1] // 2 + 40], fill=(250, 250, 245))
    return img


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", locale="fr_FR") as ws:
        (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
        import_catalog(tmp_path / "c.csv", ws.catalog, currency="EUR", store_url="")
        (root / "media").mkdir()
        textured((W, H)).save(root / "media" / "look.png")
        add_media([root / "media"], ws.project, root)
        ws.save()
    opened = Workspace.open(root)
    yield opened
    opened.close()


def qimage_to_pil(image: QImage) -> Image.Image:
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = bytes(rgba.constBits())[: rgba.sizeInBytes()]
    return Image.frombuffer(
        "RGBA", (rgba.width(), rgba.height()), data, "raw", "RGBA", rgba.bytesPerLine(), 1
    )


@pytest.mark.parametrize(
    ("preset", "anchor"),
    [
        ("pill", (0.4, 0.45)),
        ("pointer", (0.5, 0.9)),  # near the bottom: flips above
        ("callout", (0.93, 0.3)),  # near the right edge: flips left
        ("minimal", (0.3, 0.5)),
    ],
)
def test_canvas_label_matches_the_exported_label(
    qtbot,
    request: pytest.FixtureRequest,
    workspace: Workspace,
    tmp_path: Path,
    preset: str,
    anchor: tuple[float, float],
) -> None:
    doc = Document(workspace)
    request.addfinalizer(lambda: (doc.undo_stack.clear(), gc.collect()))  # see test_canvas.py `doc`
    view = TagCanvas(WorkerBridge(immediate=True))
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    assert view.devicePixelRatioF() == 1.0
    media = workspace.project.media[0]
    product = next(iter(workspace.catalog.all()))
    view.set_document(doc)
    view.show_media(media.id)
    commands.add_tags(doc, media.id, [Tag("t", product.id, anchor[0], anchor[1], style=preset)])
    view.select_tags([])
    view.actual_size()
    origin = view.map_from_image(0, 0)
    assert origin.x() == round(origin.x()) and origin.y() == round(origin.y()), "100 % must be pixel-aligned"
    ox, oy = round(origin.x()), round(origin.y())

    # the export, through the public painter API at scale 1
    source = open_image(workspace.root / media.path)
    tag = doc.media(media.id).tags[0]
    content = labels.label_content(product, None, tag, doc.locale)
    resolved = label_styles.resolve_preset(tag.style, doc.label_style.preset)
    exported = labels.burn_labels(source, [((tag.x, tag.y), content, resolved)], doc.label_style, scale=1.0)
    rendered, (lx, ly) = labels.place_label_on_image(
        source, (tag.x, tag.y), content, doc.label_style, resolved, scale=1.0
    )
    lw, lh = rendered.image.size

    # the canvas, grabbed from the screen
    screen = qimage_to_pil(view.viewport().grab().toImage()).convert("RGB")
    on_screen = view.label_viewport_rect("t")
    assert (on_screen.left() - ox, on_screen.top() - oy) == (lx, ly)
    assert (on_screen.width(), on_screen.height()) == (lw, lh)

    canvas_crop = screen.crop((ox + lx, oy + ly, ox + lx + lw, oy + ly + lh))
    export_crop = exported.crop((lx, ly, lx + lw, ly + lh))
    mask = Image.new("L", (lw, lh), 255)  # ignore the editor's own anchor marker
    ax, ay = tag.x * W - lx, tag.y * H - ly
    r = MARKER_RADIUS + 2.5
    ImageDraw.Draw(mask).ellipse([ax - r, ay - r, ax + r, ay + r], fill=0)

    diff = ImageChops.difference(canvas_crop, export_crop)
    mean = sum(ImageStat.Stat(diff, mask).mean) / 3
    shifted = ImageChops.difference(
        screen.crop((ox + lx + 1, oy + ly, ox + lx + lw + 1, oy + ly + lh)), export_crop
    )
    assert sum(ImageStat.Stat(shifted, mask).mean) / 3 > 3 * MAX_MEAN_DIFF  # a 1 px offset would be caught
    # the comparison must be able to fail: the label really is on both pictures
    plain = source.crop((lx, ly, lx + lw, ly + lh))
    label_vs_photo = ImageChops.difference(export_crop, plain)
    assert label_vs_photo.convert("L").getextrema()[1] > 100
    if mean > MAX_MEAN_DIFF:
        out = tmp_path / f"parity_{preset}"
        out.mkdir()
        canvas_crop.save(out / "canvas.png")
        export_crop.save(out / "export.png")
        diff.point(lambda v: min(255, v * 8)).save(out / "diff_x8.png")
        shutil.copy(out / "diff_x8.png", tmp_path / f"diff_{preset}.png")
        pytest.fail(f"canvas label differs from the export by {mean:.2f}/255 on average; see {out}")


def test_cached_placement_paints_exactly_what_the_two_pass_reference_paints(qtbot) -> None:
    """LabelPixmaps guesses the label box from the previous placement to paint once; whatever it
    guesses, the result must equal: place, measure the backdrop under the box, place again."""
    from studio.core.model import LabelStyle
    from studio.ui.canvas.label_pixmaps import Backdrop, LabelPixmaps, label_luminance, pil_to_qimage

    backdrop = Backdrop(textured((W, H)), 1.0)
    style = LabelStyle()
    content = labels.LabelContent(price="89,00 €", compare_at="110,00 €", title="Chemise en lin Été")
    painter = LabelPixmaps()
    for preset in ("pill", "callout"):
        for zoom in (1.0, 0.5, 1.7, 1.0):
            for anchor in ((320.0, 240.0), (630.0, 240.0), (100.0, 470.0), (321.3, 241.9)):
                placed = painter.place(
                    content, style, preset, anchor, (W, H), zoom=zoom, dpr=1.0, backdrop=backdrop
                )
                assert placed is not None
                apx = (anchor[0] * zoom, anchor[1] * zoom)
                size = (round(W * zoom), round(H * zoom))
                first, (x, y) = labels.place_label(content, style, preset, apx, size)
                lum = label_luminance((x, y, *first.image.size), backdrop, 1.0 / zoom)
                ref, (x, y) = labels.place_label(content, style, preset, apx, size, backdrop_luminance=lum)
                assert (placed.offset.x(), placed.offset.y()) == pytest.approx((x - apx[0], y - apx[1]))
                assert placed.pixmap.toImage() == pil_to_qimage(ref.image).convertToFormat(
                    placed.pixmap.toImage().format()
                ), (preset, zoom, anchor)
