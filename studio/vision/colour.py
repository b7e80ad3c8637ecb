"""Colour descriptors for re-ranking look-alike products.

Why colour at all: an ImageNet embedding says "a mug" or "a striped shirt" well but is nearly
blind to *which* colour, and catalogs are full of one shape in ten colours. Why this descriptor:
a joint hue × saturation histogram (plus a few bins for the greys, where hue is meaningless) of
the *central* part of the crop, because the centre of a proposal box is mostly the item and the
border mostly background. Hue wraps around, so neighbouring bins share mass (soft binning) and a
slightly different white balance does not move all the mass into another bin. Brightness is left
out on purpose: relighting (shadows, exposure) changes V far more than it changes H and S.

Product photos are usually on white: pixels that are near-white *and* touch the photo border are
masked out (`product_mask`) so the background does not dominate the histogram.
"""

from __future__ import annotations

import cv2
import numpy as np

HUE_BINS = 12
SAT_BINS = 3
GREY_BINS = 4  # dark … light greys (saturation too low for hue to mean anything)
DIM = HUE_BINS * SAT_BINS + GREY_BINS
_GREY_SAT = 40  # below this saturation (0..255) a pixel counts as grey
_CENTRAL = 0.7  # fraction of the crop (each side) kept as "central"


def central(crop: np.ndarray, fraction: float = _CENTRAL) -> np.ndarray:
    """The middle `fraction` of a crop (both axes)."""
    h, w = crop.shape[:2]
    dy, dx = int(h * (1 - fraction) / 2), int(w * (1 - fraction) / 2)
    return crop[dy : h - dy or h, dx : w - dx or w]


def product_mask(rgb: np.ndarray) -> np.ndarray:
    """Mask (uint8 0/255) of the product in a packshot: everything but the white border-connected background.

    Flood-fills near-white from the four corners; if that leaves less than 5 % of the image (a
    white product on white), the whole image counts as product.
    """
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    white = (grey >= 235).astype(np.uint8)
    ff = np.zeros((h + 2, w + 2), np.uint8)
    bg = white.copy()
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        if bg[y, x] == 1:
            cv2.floodFill(bg, ff, (x, y), 2)
    mask = np.where(bg == 2, 0, 255).astype(np.uint8)
    if cv2.countNonZero(mask) < 0.05 * h * w:
        mask[:] = 255
    return mask


def descriptor(rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """A DIM-long float32 colour histogram of an RGB crop (L1-normalized, then sqrt: Hellinger)."""
    if rgb.size == 0:
        return np.zeros(DIM, np.float32)
    small = rgb
    scale = 96 / max(rgb.shape[:2])
    if scale < 1:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        if mask is not None:
            mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    hsv = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2HSV)
    h = hsv[..., 0].reshape(-1).astype(np.float32)  # 0..180
    s = hsv[..., 1].reshape(-1).astype(np.float32)
    v = hsv[..., 2].reshape(-1).astype(np.float32)
    keep = np.ones(h.shape, bool) if mask is None else mask.reshape(-1) > 0
    if not keep.any():
        keep[:] = True
    h, s, v = h[keep], s[keep], v[keep]
    hist = np.zeros(DIM, np.float32)
    grey = s < _GREY_SAT
    # greys by brightness
    gbin = np.minimum((v[grey] / 256.0 * GREY_BINS).astype(int), GREY_BINS - 1)
    np.add.at(hist, HUE_BINS * SAT_BINS + gbin, 1.0)
    # colours: soft hue binning (linear between the two nearest bin centres), hard saturation bins
    hc, sc = h[~grey], s[~grey]
    pos = hc / 180.0 * HUE_BINS - 0.5
    lo = np.floor(pos).astype(int)
    frac = pos - lo
    sbin = np.minimum(((sc - _GREY_SAT) / (256 - _GREY_SAT) * SAT_BINS).astype(int), SAT_BINS - 1)
    np.add.at(hist, (lo % HUE_BINS) * SAT_BINS + sbin, 1.0 - frac)
    np.add.at(hist, ((lo + 1) % HUE_BINS) * SAT_BINS + sbin, frac)
    total = hist.sum()
    if total > 0:
        hist /= total
    return np.sqrt(hist).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bhattacharyya coefficient(s) between descriptors (0..1): `a` is D or N×D, `b` is D."""
    return np.clip(np.asarray(a, np.float32) @ np.asarray(b, np.float32), 0.0, 1.0)
