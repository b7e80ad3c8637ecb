"""Product thumbnails: local image first, else a crop of the product's tagged box (Qt-free)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageStat

from studio.core.errors import Cancelled
from studio.core.model import Media, MediaKind, Product, Project, Tag
from studio.core.progress import CancelToken
from studio.jobs.product_thumbs import local_image_path, product_thumbnail, square_around

RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)


def _tagged_photo(root: Path) -> Path:
    """640×480 white JPEG, a red square at x 320..480, y 120..280 and a blue one at x 40..140."""
    img = Image.new("RGB", (640, 480), WHITE)
    draw = ImageDraw.Draw(img)
    draw.rectangle([320, 120, 479, 279], fill=RED)
    draw.rectangle([40, 300, 139, 399], fill=BLUE)
    path = root / "media" / "look.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=92)
    return path


def _setup(tmp_path: Path, box: tuple[float, float, float, float]) -> tuple[Path, Project, Product]:
    root = tmp_path / "ws"
    _tagged_photo(root)
    product = Product(id="gid://shop/Product/1", title="Shirt", price=Decimal("89"), currency="EUR")
    tag = Tag(id="t1", product_id=product.id, x=0.6, y=0.4, box=box)
    other = Tag(id="t0", product_id="other", x=0.1, y=0.1, box=(0.0, 0.0, 0.1, 0.1))
    media = Media(
        id="m1", path="media/look.jpg", content_hash="blake2b:aa", kind=MediaKind.IMAGE,
        width=640, height=480, tags=[other, tag],
    )  # fmt: skip
    return root, Project(name="p", media=[media]), product


def _mean(img: Image.Image) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(img.convert("RGB")).mean)


def test_crop_comes_from_the_tagged_box(tmp_path: Path) -> None:
    root, project, product = _setup(tmp_path, (0.5, 0.25, 0.75, 7 / 12))  # the red square
    path = product_thumbnail(root, project, product, 64)
    assert path is not None and path.parent == root / "cache" / "products"
    assert path.name.startswith("gid_shop_Product_1-") and path.suffix == ".png"
    with Image.open(path) as img:
        assert img.size == (64, 64)
        r, g, b = _mean(img)
    assert r > 180 and g < 60 and b < 60, (r, g, b)
    # cached: same file, not rewritten
    mtime = path.stat().st_mtime_ns
    assert product_thumbnail(root, project, product, 64) == path
    assert path.stat().st_mtime_ns == mtime


def test_moved_box_refreshes_the_thumbnail(tmp_path: Path) -> None:
    root, project, product = _setup(tmp_path, (0.5, 0.25, 0.75, 7 / 12))
    first = product_thumbnail(root, project, product, 48)
    project.media[0].tags[1].box = (40 / 640, 300 / 480, 140 / 640, 400 / 480)  # onto the blue square
    second = product_thumbnail(root, project, product, 48)
    assert second is not None and first is not None and second != first
    assert not first.exists(), "the stale thumbnail of the same product is removed"
    with Image.open(second) as img:
        r, g, b = _mean(img)
    assert b > 180 and r < 60, (r, g, b)


def test_local_image_wins_and_remote_urls_are_ignored(tmp_path: Path) -> None:
    root, project, product = _setup(tmp_path, (0.5, 0.25, 0.75, 7 / 12))
    local = tmp_path / "packshot.png"
    Image.new("RGB", (200, 100), (0, 200, 0)).save(local)
    product.images = ["https://cdn.example.com/shirt.jpg", local.as_uri()]
    path = product_thumbnail(root, project, product, 32)
    assert path is not None
    with Image.open(path) as img:
        assert img.size == (32, 32)
        assert img.getpixel((16, 16))[:3] == (0, 200, 0)
        assert img.getpixel((16, 0))[3] == 0, "a wide packshot is padded, not stretched"
    assert local_image_path("https://cdn.example.com/x.jpg", root) is None
    assert local_image_path(str(local), root) == local
    assert local_image_path("missing.png", root) is None


def test_no_source_gives_none(tmp_path: Path) -> None:
    root, project, product = _setup(tmp_path, (0.5, 0.25, 0.75, 7 / 12))
    project.media[0].tags[1].box = None  # a tag without a box is not a picture of the product
    product.images = ["https://cdn.example.com/shirt.jpg"]
    assert product_thumbnail(root, project, product) is None


def test_cancel_before_decoding(tmp_path: Path) -> None:
    root, project, product = _setup(tmp_path, (0.5, 0.25, 0.75, 7 / 12))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        product_thumbnail(root, project, product, cancel=token)


def test_square_around_stays_inside() -> None:
    assert square_around((0.0, 0.0, 0.1, 0.5), 100, 100) == (0, 0, 50, 50)
    left, top, right, bottom = square_around((0.9, 0.9, 1.0, 1.0), 200, 100)
    assert (right, bottom) == (200, 100) and right - left == bottom - top == 20
