"""Regenerate tests/data/vision/{astronaut,coffee}.jpg from the scikit-image wheel on PyPI.

Why a script and not a dependency: the tests only need two public-domain/CC0 photos; pulling
scikit-image (and its SciPy stack) into the test environment for that would be wasteful. This
downloads the exact wheel with pip into a temporary folder, reads the PNGs out of the zip and writes
JPEG copies (quality 90). See tests/data/vision/README.md for provenance and licences.

Usage: python packaging/models/fetch_sample_photos.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

SKIMAGE_VERSION = "0.26.0"
PHOTOS = {"astronaut": "skimage/data/astronaut.png", "coffee": "skimage/data/coffee.png"}
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "vision"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                f"scikit-image=={SKIMAGE_VERSION}",
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("scikit_image-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            for name, member in PHOTOS.items():
                data = np.frombuffer(zf.read(member), dtype=np.uint8)
                img = cv2.imdecode(data, cv2.IMREAD_COLOR)
                cv2.imwrite(str(OUT / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
                print(f"wrote {OUT / f'{name}.jpg'} from {wheel.name}:{member}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
