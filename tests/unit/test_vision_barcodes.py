"""Barcodes and QR codes in generated photos decode to exact catalog hits (Qt-free)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.catalog_store import CatalogStore
from studio.core.model import Product, Variant
from studio.vision import barcodes
from studio.vision.proposals import KIND_BARCODE, KIND_QR, WHY_BARCODE, iou
from tests.barcode_symbols import ean13_check, ean13_image, qr_image


def photo_with(symbol: np.ndarray, at: tuple[int, int], size: tuple[int, int] = (1280, 960)) -> np.ndarray:
    """A textured grey 'photo' (RGB) with the symbol pasted at `at`."""
    rng = np.random.default_rng(3)
    w, h = size
    base = cv2.GaussianBlur(rng.integers(60, 200, (h, w), dtype=np.uint8), (0, 0), 6)
    x, y = at
    base[y : y + symbol.shape[0], x : x + symbol.shape[1]] = symbol
    return cv2.cvtColor(base, cv2.COLOR_GRAY2RGB)


@pytest.fixture()
def catalog(tmp_path: Path) -> CatalogStore:
    store = CatalogStore(tmp_path / "catalog.sqlite")
    store.upsert(
        [
            Product(
                id="p-mug",
                title="Red mug",
                price=Decimal("12"),
                currency="USD",
                handle="red-mug",
                gtin="4006381333931",
            ),
            Product(
                id="p-tee",
                title="Tee",
                price=Decimal("20"),
                currency="USD",
                sku="TEE",
                variants=[Variant(id="v-tee-m", sku="TEE-M", gtin="0036000291452")],
            ),
            Product(id="p-cap", title="Cap", price=Decimal("15"), currency="USD", sku="CAP-01"),
        ],
        "test",
    )
    yield store
    store.close()


def test_ean13_renderer_makes_valid_codes() -> None:
    assert ean13_check("400638133393") == "1"
    assert ean13_check("003600029145") == "2"


@pytest.mark.parametrize("module", [2, 3, 5])
def test_ean13_in_a_photo_is_an_exact_gtin_hit(catalog: CatalogStore, module: int) -> None:
    symbol = ean13_image("4006381333931", module=module)
    rgb = photo_with(symbol, (300, 400))
    proposals = barcodes.detect_codes(rgb, catalog)
    assert len(proposals) == 1
    p = proposals[0]
    assert p.kind == KIND_BARCODE and "4006381333931" in p.reason
    assert p.best is not None and p.best.product_id == "p-mug"
    assert p.best.why == WHY_BARCODE and p.best.score == 1.0
    h, w = rgb.shape[:2]
    truth = (300 / w, 400 / h, (300 + symbol.shape[1]) / w, (400 + symbol.shape[0]) / h)
    assert iou(p.box, truth) > 0.4


def test_variant_gtin_stored_as_gtin13_matches_upc_read(catalog: CatalogStore) -> None:
    # The variant's GTIN is a 12-digit UPC-A stored with a leading zero (GTIN-13 form).
    rgb = photo_with(ean13_image("0036000291452"), (100, 100))
    [p] = barcodes.detect_codes(rgb, catalog)
    assert p.best is not None and (p.best.product_id, p.best.variant_id) == ("p-tee", "v-tee-m")


def test_unknown_barcode_is_a_proposal_without_match(catalog: CatalogStore) -> None:
    code = "590123412345" + ean13_check("590123412345")
    [p] = barcodes.detect_codes(photo_with(ean13_image(code), (500, 300)), catalog)
    assert p.matches == () and "not in the catalog" in p.reason


def test_qr_with_product_url_finds_the_handle(catalog: CatalogStore) -> None:
    rgb = photo_with(qr_image("https://shop.example.com/products/red-mug?utm_source=x"), (700, 200))
    [p] = barcodes.detect_codes(rgb, catalog)
    assert p.kind == KIND_QR
    assert p.best is not None and p.best.product_id == "p-mug" and p.best.why == WHY_BARCODE


def test_qr_with_sku_text(catalog: CatalogStore) -> None:
    [p] = barcodes.detect_codes(photo_with(qr_image("CAP-01"), (50, 500)), catalog)
    assert p.best is not None and p.best.product_id == "p-cap"


def test_photo_without_codes_has_no_proposals(catalog: CatalogStore) -> None:
    assert barcodes.detect_codes(photo_with(np.full((10, 10), 128, np.uint8), (0, 0)), catalog) == []


def test_candidates() -> None:
    assert barcodes.gtin_candidates("036000291452")[:3] == ["036000291452", "0036000291452", "00036000291452"]
    refs = barcodes.qr_candidates("https://x.example/collections/a/products/blue-tee?variant=42")
    assert refs[:3] == ["https://x.example/collections/a/products/blue-tee?variant=42", "42", "blue-tee"]
