"""The bundled ONNX models: manifest, integrity check and one cached onnxruntime session each.

Why a manifest: the models are assets converted from exact registry packages by
`packaging/models/build_models.py`; the manifest records where every file came from (package, version,
path inside the package), its licence and its sha256. Loading checks the hash so a truncated or
swapped file fails with a message naming the file and how to rebuild it instead of producing
garbage boxes. Nothing is ever downloaded at run time.

Sessions are created lazily (the first detection pays the ~50–200 ms load, app start-up does not),
cached per process, and created under a lock so two worker threads never build the same one twice.
Two intra-op threads, no spinning: this is a 2-core desktop app and the GUI thread must stay responsive.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from studio.core.app_settings import assets_dir
from studio.core.errors import StudioError, Where

MANIFEST_NAME = "manifest.json"
INTRA_OP_THREADS = 2

# Model names used by the code (keys of manifest["models"]).
NANODET = "nanodet"
MOVENET = "movenet_multipose"
MOBILENET = "mobilenetv2_embed"

REBUILD_HINT = (
    "reinstall the app, or rebuild the models from a source checkout with "
    "`python packaging/models/build_models.py` (see packaging/models/README.md)"
)


class ModelError(StudioError):
    """A bundled model file is missing, damaged or not listed in the manifest."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One manifest entry: the file and its provenance."""

    name: str
    file: str
    sha256: str
    size: int
    license: str
    package: str
    version: str
    source_path: str
    extra: dict[str, Any]


def models_dir() -> Path:
    """Folder holding the model files and manifest.json (under the shipped assets)."""
    return assets_dir() / "models"


def load_manifest(folder: Path | None = None) -> dict[str, Any]:
    """Read and minimally validate manifest.json (raises ModelError naming the file)."""
    folder = folder or models_dir()
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            "the model manifest is missing", where=Where(file=str(path)), hint=REBUILD_HINT
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"the model manifest cannot be read ({exc})", where=Where(file=str(path)), hint=REBUILD_HINT
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ModelError(
            "the model manifest has no 'models' table", where=Where(file=str(path)), hint=REBUILD_HINT
        )
    return data


def model_info(name: str, folder: Path | None = None) -> ModelInfo:
    """The manifest entry of one model."""
    folder = folder or models_dir()
    manifest = load_manifest(folder)
    entry = manifest["models"].get(name)
    if not isinstance(entry, dict):
        raise ModelError(
            f"model '{name}' is not listed in the manifest",
            where=Where(file=str(folder / MANIFEST_NAME)),
            hint=REBUILD_HINT,
        )
    src = entry.get("source", {})
    return ModelInfo(
        name=name,
        file=str(entry["file"]),
        sha256=str(entry["sha256"]),
        size=int(entry["size"]),
        license=str(entry.get("license", "")),
        package=str(src.get("package", "")),
        version=str(src.get("version", "")),
        source_path=str(src.get("path", "")),
        extra=dict(entry.get("extra", {})),
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_path(name: str, folder: Path | None = None) -> Path:
    """Path of a model file after checking it exists and matches the manifest's size and sha256."""
    folder = folder or models_dir()
    info = model_info(name, folder)
    path = folder / info.file
    if not path.is_file():
        raise ModelError(
            f"model file for '{name}' is missing", where=Where(file=str(path)), hint=REBUILD_HINT
        )
    size = path.stat().st_size
    if size != info.size:
        raise ModelError(
            f"model file for '{name}' is damaged: {size} bytes, the manifest says {info.size}",
            where=Where(file=str(path)),
            hint=REBUILD_HINT,
        )
    digest = sha256_file(path)
    if digest != info.sha256:
        raise ModelError(
            f"model file for '{name}' is damaged: its sha256 does not match the manifest",
            where=Where(file=str(path)),
            hint=REBUILD_HINT,
        )
    return path


_lock = threading.Lock()
_sessions: dict[tuple[str, str], Any] = {}


def session(name: str, folder: Path | None = None) -> Any:
    """The process-wide onnxruntime.InferenceSession for a bundled model (created on first use).

    onnxruntime's `run` is thread-safe, so one session per model serves every worker thread.
    """
    folder = folder or models_dir()
    key = (name, str(folder.resolve()))
    cached = _sessions.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _sessions.get(key)
        if cached is not None:
            return cached
        path = verified_path(name, folder)
        import onnxruntime as ort  # deferred: importing it costs ~100 ms at app start

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = INTRA_OP_THREADS
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        # No busy-waiting between ops: the GUI thread and other workers share these 2 cores, and
        # spinning threads measurably slowed inference when the machine was busy.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                f"model file for '{name}' cannot be loaded by onnxruntime ({exc})",
                where=Where(file=str(path)),
                hint=REBUILD_HINT,
            ) from exc
        _sessions[key] = sess
        return sess


def clear_cache() -> None:
    """Drop cached sessions (tests; frees memory)."""
    with _lock:
        _sessions.clear()


def resize_for_model(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an image to a model's input `size` (width, height), anti-aliased when shrinking.

    Area averaging straight from a 1080p photo costs several ms per call; a cheap bilinear step to
    twice the target first, then a 2:1 area step, gives practically the same pixels at a fraction
    of the cost (every detection pays this once per model).
    """
    arr = np.ascontiguousarray(img)
    w, h = size
    if arr.shape[1] > 2 * w and arr.shape[0] > 2 * h:
        arr = cv2.resize(arr, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR)
    shrinking = arr.shape[1] > w or arr.shape[0] > h
    return cv2.resize(arr, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
