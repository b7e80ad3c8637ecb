"""Drawing real barcode symbols for the vision tests (EAN-13 by the standard's tables, QR by OpenCV).

Shared by tests/unit/test_vision_barcodes.py and tests/integration/test_cli_detect.py.
"""

from __future__ import annotations

import cv2
import numpy as np

# EAN-13 encoding tables (GS1 General Specifications, 5.2.2.1): left-hand odd (L) / even (G) parity,
# right-hand (R) patterns, and the parity pattern chosen by the first digit.
_L = [
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
]
_G = [
    "0100111",
    "0110011",
    "0011011",
    "0100001",
    "0011101",
    "0111001",
    "0000101",
    "0010001",
    "0001001",
    "0010111",
]
_R = [
    "1110010",
    "1100110",
    "1101100",
    "1000010",
    "1011100",
    "1001110",
    "1010000",
    "1000100",
    "1001000",
    "1110100",
]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13_image(code: str, module: int = 2, height: int = 120) -> np.ndarray:
    """A black-on-white EAN-13 symbol (grey uint8) with quiet zones."""
    digits = [int(c) for c in code]
    bits = "101"
    for i, d in enumerate(digits[1:7]):
        bits += (_L if _PARITY[digits[0]][i] == "L" else _G)[d]
    bits += "01010" + "".join(_R[d] for d in digits[7:]) + "101"
    quiet = 12
    img = np.full((height + 40, (len(bits) + 2 * quiet) * module), 255, np.uint8)
    for i, bit in enumerate(bits):
        if bit == "1":
            img[20 : 20 + height, (quiet + i) * module : (quiet + i + 1) * module] = 0
    return img


def qr_image(text: str, module: int = 5) -> np.ndarray:
    code = cv2.QRCodeEncoder.create().encode(text)
    code = cv2.resize(code, None, fx=module, fy=module, interpolation=cv2.INTER_NEAREST)
    return cv2.copyMakeBorder(code, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)


def ean13_rgb(code: str, module: int = 4, height: int = 160) -> np.ndarray:
    """The same symbol as RGB with a quiet zone all round (for pasting into a photo)."""
    grey = ean13_image(code, module=module, height=height)
    pad = 12 * module
    grey = cv2.copyMakeBorder(grey, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=255)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
