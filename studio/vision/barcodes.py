"""Barcodes and QR codes in a photo → exact catalog hits.

Why first in the pipeline: a readable EAN/UPC is an exact GTIN, and a QR code on a tag or a
display usually names a product URL or SKU, so these proposals carry certainty no look-alike
matching can (score 1.0, why "barcode").

Readers: OpenCV's `barcode.BarcodeDetector` (EAN-8/13, UPC-A/E; it checks the check digit) and
the Aruco-based QR detector, with the WeChat decoder *without* its CNN model files (its classic
path) as a second try on codes the first one located but could not read. The barcode
detector works on gradient windows of fixed sizes, so a code that is large in the photo is only
found once the photo is scaled down: it runs at 1, ½ and ¼ scale until something is found.

Lookup: a GTIN is tried as read, zero-padded to GTIN-13/14 and without leading zeros (a UPC-A
stored as 12 or 13 digits); a QR text as a whole, then — for a URL — its path segments from the
last (Shopify `/products/<handle>`), and query values (`sku`, `variant`, `gtin`, `id`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlparse

import cv2
import numpy as np

from studio.core.catalog_store import CatalogStore
from studio.core.model import Product
from studio.vision.proposals import KIND_BARCODE, KIND_QR, WHY_BARCODE, Box, Match, Proposal, clamp_box

_local = threading.local()
_SCALES = (1.0, 0.5, 0.25)


@dataclass(frozen=True, slots=True)
class Code:
    """One decoded code: its text, symbology ("EAN_13", "QR") and box (normalized)."""

    text: str
    kind: str
    box: Box


def _box(points: np.ndarray, w: int, h: int, scale: float = 1.0) -> Box:
    pts = np.asarray(points, np.float32).reshape(-1, 2) / scale
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    pad_x, pad_y = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    box = ((x0 - pad_x) / w, (y0 - pad_y) / h, (x1 + pad_x) / w, (y1 + pad_y) / h)
    return clamp_box(tuple(float(v) for v in box))  # type: ignore[arg-type]  # plain floats: JSON, project.json


def _barcode_detector() -> cv2.barcode.BarcodeDetector:
    det = getattr(_local, "barcode", None)
    if det is None:
        det = _local.barcode = cv2.barcode.BarcodeDetector()
    return det


def read_barcodes(rgb: np.ndarray) -> list[Code]:
    """EAN/UPC codes in an RGB image."""
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    det = _barcode_detector()
    for scale in _SCALES:
        img = (
            grey if scale == 1.0 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        if min(img.shape[:2]) < 40:
            break
        try:
            ok, texts, kinds, points = det.detectAndDecodeWithType(img)
        except cv2.error:
            continue
        if not ok or points is None:
            continue
        codes = [
            Code(str(t), str(k), _box(p, w, h, scale))
            for t, k, p in zip(texts, kinds, points, strict=False)
            if t
        ]
        if codes:
            return codes
    return []


def _aruco() -> cv2.QRCodeDetectorAruco:
    det = getattr(_local, "aruco", None)
    if det is None:
        det = _local.aruco = cv2.QRCodeDetectorAruco()
    return det


def _wechat() -> object | None:
    det = getattr(_local, "wechat", False)
    if det is False:
        try:
            det = cv2.wechat_qrcode.WeChatQRCode()  # no model files: classic detector, no CNN
        except (AttributeError, cv2.error):
            det = None
        _local.wechat = det
    return det


def read_qr(rgb: np.ndarray) -> list[Code]:
    """QR codes in an RGB image.

    The Aruco-based detector finds finder patterns in a few ms and says "no QR here" quickly (the
    common case); only then are codes decoded — by it, and for any it cannot read, by the WeChat
    decoder on the padded crop (the WeChat detector on a whole 1080 px photo costs ~0.3 s).
    """
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    aruco = _aruco()
    try:
        found, _pts = aruco.detectMulti(grey)
        if not found:
            return []
        ok, texts, points, _ = aruco.detectAndDecodeMulti(grey)
    except cv2.error:
        return []
    if not ok or points is None:
        return []
    out: list[Code] = []
    for text, pts in zip(texts, points, strict=False):
        box = _box(pts, w, h)
        if not text:
            text = _wechat_crop(grey, box)
        if text:
            out.append(Code(str(text), "QR", box))
    return out


def _wechat_crop(grey: np.ndarray, box: Box) -> str:
    det = _wechat()
    if det is None:
        return ""
    h, w = grey.shape[:2]
    x0, y0, x1, y1 = box
    px, py = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
    a, b = int(max(0, (x0 - px) * w)), int(max(0, (y0 - py) * h))
    c, d = int(min(w, (x1 + px) * w)), int(min(h, (y1 + py) * h))
    try:
        texts, _ = det.detectAndDecode(np.ascontiguousarray(grey[b:d, a:c]))  # type: ignore[attr-defined]
    except cv2.error:
        return ""
    return str(texts[0]) if texts else ""


def gtin_candidates(code: str) -> list[str]:
    """The forms a GTIN may be stored in (as read, GTIN-13/14 zero-padded, without leading zeros)."""
    code = code.strip()
    if not code.isdigit():
        return [code] if code else []
    forms = [code, code.zfill(13), code.zfill(14), code.lstrip("0"), code.zfill(12)]
    return list(dict.fromkeys(f for f in forms if f))


def qr_candidates(text: str) -> list[str]:
    """References a QR text may carry: the text, then URL query values and path segments (last first)."""
    text = text.strip()
    refs = [text]
    parsed = urlparse(text)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        for key, value in parse_qsl(parsed.query):
            if key.lower() in ("sku", "variant", "gtin", "id", "product", "product_id", "handle") and value:
                refs.append(value)
        segments = [unquote(s) for s in parsed.path.split("/") if s]
        refs.extend(reversed(segments[-2:]))
    elif text.isdigit():
        refs.extend(gtin_candidates(text))
    return list(dict.fromkeys(r for r in refs if r))


def _variant_for(product: Product, ref: str) -> str | None:
    for v in product.variants:
        if ref and (v.gtin == ref or v.sku.lower() == ref.lower() or v.id == ref):
            return v.id
    return None


def lookup(catalog: CatalogStore, refs: list[str]) -> Match | None:
    """The first exact catalog hit among `refs`, as a barcode match (score 1.0)."""
    for ref in refs:
        product = catalog.find(ref)
        if product is not None:
            return Match(product.id, 1.0, WHY_BARCODE, _variant_for(product, ref))
    return None


def detect_codes(rgb: np.ndarray, catalog: CatalogStore | None) -> list[Proposal]:
    """Barcode and QR proposals; each has the exact catalog hit (if any) as its only match."""
    proposals: list[Proposal] = []
    for code in read_barcodes(rgb):
        kind_name = code.kind.replace("_", "-")
        match = lookup(catalog, gtin_candidates(code.text)) if catalog is not None else None
        reason = f"{kind_name} {code.text}" + ("" if match else " (not in the catalog)")
        proposals.append(Proposal(code.box, KIND_BARCODE, reason, 1.0, "", (match,) if match else ()))
    for code in read_qr(rgb):
        match = lookup(catalog, qr_candidates(code.text)) if catalog is not None else None
        shown = code.text if len(code.text) <= 80 else code.text[:77] + "…"
        reason = f"QR {shown}" + ("" if match else " (not in the catalog)")
        proposals.append(Proposal(code.box, KIND_QR, reason, 1.0, "", (match,) if match else ()))
    return proposals
