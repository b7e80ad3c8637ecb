"""`studio self-test` (and `studio --self-test`): prove this installation works, headless, in seconds.

Why it exists: a frozen (PyInstaller) build can import fine and still be broken where it matters —
a Qt-free codec, a data file or a plugin left out of the bundle only fails when that path runs.
So the self-test runs each capability the way the app does, on the shipped demo workspace, and
prints one line per step (`ok <step>: detail` / `FAILED <step>: detail`). The exit code is 0 when
every step passed, 1 otherwise (the last line names the failing steps). The packaging test runs it
inside the built app; the unit test runs it from source.

Rules it keeps: no Qt (it must work where Qt cannot load), no network, no secret written, nothing
written into the install folder (the shipped demo is built into a temporary copy, which is deleted;
the install folder is fingerprinted before and after and any change is a failure).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from studio import __version__
from studio.core.app_settings import assets_dir, data_dir

if TYPE_CHECKING:
    import argparse

    from studio.commands._common import CommandRegistry
    from studio.core.workspace import Workspace

#: Searched in the demo catalog; the demo ships a "Fig & Cedar" candle (assets/demo/catalog.csv).
DEMO_QUERY = "candle"
#: Small and fast: the export step proves labels render, not that big files are quick.
EXPORT_PRESET = "instagram-square"


class StepFailed(Exception):
    """A step's own verdict: the message is the detail printed after `FAILED <step>:`."""


@dataclasses.dataclass(slots=True)
class StepResult:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'} {self.name}: {self.detail}"


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def install_root() -> Path:
    """The folder the app runs from: the bundle folder when frozen, else the source checkout."""
    if is_frozen():
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[2]


def _watched_folder() -> Path:
    """What must stay untouched: the whole bundle when frozen; the shipped assets from source
    (a checkout also holds .venv, caches and other people's edits, which are not ours to watch)."""
    return install_root() if is_frozen() else assets_dir()


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of every file under `folder` (symlinks not followed)."""
    found: dict[str, tuple[int, int]] = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            found[path.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class _Context:
    """What the steps share: the scratch folder, the demo workspace once built, the bundle snapshot."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.workspace: Workspace | None = None
        self.watched = _watched_folder()
        self.before = _snapshot(self.watched)

    def ws(self) -> Workspace:
        if self.workspace is None:
            raise StepFailed("not run: the demo workspace could not be opened (see the demo step)")
        return self.workspace

    def demo_media(self, kind: str) -> tuple[Any, Path]:
        ws = self.ws()
        for media in ws.project.media:
            if str(media.kind) == kind:
                return media, ws.media_path(media)
        raise StepFailed(f"the demo workspace has no {kind}")


# --- steps -----------------------------------------------------------------------------------------


def step_install(ctx: _Context) -> str:
    assets = assets_dir()
    needed = ["fonts", "demo/demo.json", "demo/catalog.csv", "demo/media", "icons/studio.svg"]
    missing = [n for n in needed if not (assets / n).exists()]
    if missing:
        raise StepFailed(f"shipped assets missing in {assets}: {', '.join(missing)} — reinstall the app")
    fonts = sorted(p.name for p in (assets / "fonts").glob("*.ttf"))
    if not fonts:
        raise StepFailed(f"no label fonts in {assets / 'fonts'} — reinstall the app")
    how = "frozen" if is_frozen() else "source"
    return f"Shoppable Studio {__version__} ({how}) at {install_root()}; {len(fonts)} label fonts"


def step_data_folder(ctx: _Context) -> str:
    folder = data_dir()
    root = install_root()
    if _is_within(folder, root) or _is_within(folder, ctx.watched):
        raise StepFailed(
            f"the data folder {folder} is inside the install folder {root}; "
            "set STUDIO_DATA_DIR to a folder of your own"
        )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".selftest-") as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError as exc:
        raise StepFailed(f"cannot write in the data folder {folder} ({exc.strerror or exc})") from None
    return f"{folder} (writable, outside the install folder)"


def step_demo(ctx: _Context) -> str:
    from studio.core.workspace import Workspace
    from studio.jobs.demo import demo_source, ensure_demo_workspace

    target = ctx.scratch / "Demo Workspace"
    root = ensure_demo_workspace(target=target)  # reads the shipped copy, builds in the scratch folder
    ctx.workspace = Workspace.open(root)
    project = ctx.workspace.project
    tags = sum(len(m.tags) for m in project.media)
    if not project.media or not tags:
        raise StepFailed(f"the demo built from {demo_source()} has {len(project.media)} media, {tags} tags")
    return f"{len(project.media)} media, {tags} tags, built from {demo_source()} into a temporary copy"


def step_photo(ctx: _Context) -> str:
    from studio.media.images import open_image

    media, path = ctx.demo_media("image")
    img = open_image(path, max_side=512)
    if min(img.size) < 1:
        raise StepFailed(f"{path.name} decoded to an empty image")
    return f"{path.name} {media.width}×{media.height} decoded ({img.mode})"


def step_heic(ctx: _Context) -> str:
    try:
        import pillow_heif
    except ImportError:
        return "skipped (pillow-heif is not installed)"
    from studio.media.images import open_image

    pillow_heif.register_heif_opener()
    _media, path = ctx.demo_media("image")
    src = open_image(path, max_side=96).convert("RGB")
    heic = ctx.scratch / "check.heic"
    src.save(heic, format="HEIF", quality=80)
    img = open_image(heic)
    if img.size != src.size:
        raise StepFailed(f"a {src.size} HEIC decoded as {img.size}")
    return f"HEIC written and decoded {img.size[0]}×{img.size[1]} (libheif {pillow_heif.libheif_version()})"


def step_video(ctx: _Context) -> str:
    from studio.media.video import frame_at, read_video_info

    _media, path = ctx.demo_media("video")
    facts = read_video_info(path)
    frame = frame_at(path, min(1.0, (facts.duration or 2.0) / 2), max_side=320)
    if min(frame.size) < 1:
        raise StepFailed(f"{path.name}: an empty frame")
    return f"{path.name} ({facts.codec}) frame decoded at {frame.size[0]}×{frame.size[1]}"


def step_audio(ctx: _Context) -> str:
    import av

    _media, path = ctx.demo_media("video")
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return f"{path.name} has no audio track (nothing to check)"
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            return (
                f"{path.name}: {stream.codec_context.name} audio decoded "
                f"({frame.sample_rate} Hz, {frame.samples} samples in the first frame)"
            )
    raise StepFailed(f"{path.name}: the audio track has no decodable frame")


def step_export(ctx: _Context) -> str:
    """Two tagged photos, labeled, in two worker processes: labels, fonts, encoders and the
    process pool (forkserver, which a frozen app must re-enter correctly) all run."""
    from PIL import Image

    from studio.jobs.export_batch import export_batch
    from studio.render.presets import get_presets

    ws = ctx.ws()
    photos = [m for m in ws.project.media if str(m.kind) == "image" and m.tags][:2]
    if not photos:
        raise StepFailed("the demo workspace has no tagged photo")
    project = dataclasses.replace(ws.project, media=photos)
    out = ctx.scratch / "export"
    manifest = export_batch(
        ws.root,
        project,
        ws.catalog_path,
        get_presets(EXPORT_PRESET),
        ["labeled"],
        out,
        workers=min(2, len(photos)),
    )
    problems = [p.get("message", str(p)) for i in manifest.items for p in i.problems] + [
        str(p.get("message", p)) for p in manifest.problems
    ]
    if problems:
        raise StepFailed(f"export problem: {problems[0]}")
    written = [o for i in manifest.items for o in i.outputs if o.kind == "labeled"]
    if len(written) != len(photos):
        raise StepFailed(f"{len(written)} labeled file(s) for {len(photos)} photo(s)")
    with Image.open(out / written[0].path) as img:
        img.load()
        size = img.size
    return f"{len(written)} labeled {EXPORT_PRESET} JPEG(s), {size[0]}×{size[1]}, in worker processes"


def step_catalog(ctx: _Context) -> str:
    from studio.core.money import format_money

    ws = ctx.ws()
    found = ws.catalog.search(DEMO_QUERY, limit=5)
    if not found:
        raise StepFailed(f"searching the demo catalog for '{DEMO_QUERY}' found nothing")
    first = found[0]
    price = format_money(first.price, first.currency, ws.project.locale)
    return f"'{DEMO_QUERY}': {len(found)} result(s), first {first.title!r} at {price} ({ws.project.locale})"


_KEYRING_MODULES = {
    "linux": ("keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet"),
    "darwin": ("keyring.backends.macOS",),
    "win32": ("keyring.backends.Windows",),
}


def step_keyring(ctx: _Context) -> str:
    import importlib

    import keyring
    import keyring.backend
    from cryptography.fernet import Fernet

    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    for name in _KEYRING_MODULES.get(platform, ()):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise StepFailed(f"the keyring backend {name} is not bundled ({exc})") from None
    from studio.publish.secrets import keyring_usable

    chosen = keyring.get_keyring()
    label = f"{type(chosen).__module__}.{type(chosen).__name__}"
    viable = sorted({type(k).__module__.rsplit(".", 1)[-1] for k in keyring.backend.get_all_keyring()})
    token = Fernet(Fernet.generate_key())
    if token.decrypt(token.encrypt(b"self-test")) != b"self-test":
        raise StepFailed("the encrypted-file secret store cannot round-trip (cryptography)")
    if keyring_usable(chosen):
        return f"{label} (usable; nothing written); backends here: {', '.join(viable) or 'none'}"
    return (
        f"no OS keyring on this machine ({label}); secrets would go to the encrypted file "
        "(STUDIO_SECRETS_PASSPHRASE); nothing written"
    )


def step_tls(ctx: _Context) -> str:
    import ssl

    import certifi
    import requests
    import requests.certs

    system = ssl.create_default_context()
    bundle = Path(certifi.where())
    if not bundle.is_file() or bundle.stat().st_size < 1000:
        raise StepFailed(f"the CA bundle {bundle} is missing — reinstall the app")
    if Path(requests.certs.where()) != bundle:
        raise StepFailed(f"requests uses {requests.certs.where()}, not the bundled {bundle}")
    ctx_certifi = ssl.create_default_context(cafile=str(bundle))
    cas = ctx_certifi.cert_store_stats()["x509_ca"]
    if cas < 10:
        raise StepFailed(f"the CA bundle {bundle} holds only {cas} certificates")
    if system.verify_mode != ssl.CERT_REQUIRED or not system.check_hostname:
        raise StepFailed("the default TLS context does not verify certificates")
    return f"{ssl.OPENSSL_VERSION}; {cas} CA certificates (certifi, used by requests); no network used"


def step_media_host(ctx: _Context) -> str:
    """boto3 builds an S3 client from bundled service data and signs a URL, offline."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="AKIASELFTEST",
        aws_secret_access_key="self-test-not-a-secret",
        region_name="us-east-1",
    )
    client = session.client("s3", endpoint_url="https://s3.example.invalid")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "self-test.jpg"}, ExpiresIn=60
    )
    if "X-Amz-Signature=" not in url and "Signature=" not in url:
        raise StepFailed("boto3 produced an unsigned URL")
    return f"boto3 {boto3.__version__} S3 client and presigned URL (offline)"


def step_models(ctx: _Context) -> str:
    folder = assets_dir() / "models"
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return f"no bundled models ({manifest_path} absent)"
    try:
        doc = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = doc["models"]
        if not isinstance(entries, dict):
            raise TypeError("'models' is not a table")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StepFailed(f"{manifest_path} cannot be read ({exc}) — reinstall the app") from None
    import onnxruntime as ort

    checked = []
    for name, entry in entries.items():
        path = folder / str(entry.get("file", ""))
        if not path.is_file():
            raise StepFailed(f"model '{name}': {path} is missing — reinstall the app")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry.get("sha256"):
            raise StepFailed(f"model '{name}': {path} does not match its sha256 in the manifest")
        if path.suffix == ".onnx":
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 3
            try:
                ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own exception types
                raise StepFailed(f"model '{name}': onnxruntime cannot load {path} ({exc})") from None
        checked.append(name)
    return f"{len(checked)} model(s) verified (sha256) and loaded with onnxruntime {ort.__version__}"


def step_opencv(ctx: _Context) -> str:
    import cv2
    import numpy as np

    from studio.media.images import open_image

    _media, path = ctx.demo_media("image")
    gray = np.asarray(open_image(path, max_side=320).convert("L"))
    keypoints = cv2.ORB_create(nfeatures=200).detect(gray, None)
    cv2.QRCodeDetector()  # the barcode/QR reader of shop-the-look
    return f"OpenCV {cv2.__version__}: {len(keypoints)} ORB keypoints on {path.name}"


def step_charts(ctx: _Context) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1, 2], [1, 3, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    if not buf.getvalue().startswith(b"\x89PNG"):
        raise StepFailed("matplotlib did not produce a PNG")
    return f"matplotlib {matplotlib.__version__} (Agg) rendered a chart"


def step_install_unchanged(ctx: _Context) -> str:
    if ctx.workspace is not None:
        ctx.workspace.close()
        ctx.workspace = None
    after = _snapshot(ctx.watched)
    changed = sorted(
        {k for k in after if ctx.before.get(k) != after[k]} | {k for k in ctx.before if k not in after}
    )
    if changed:
        raise StepFailed(f"{len(changed)} file(s) changed in {ctx.watched}: {', '.join(changed[:3])}")
    return f"nothing written into {ctx.watched} ({len(after)} files)"


STEPS: tuple[tuple[str, Callable[[_Context], str]], ...] = (
    ("install", step_install),
    ("data folder", step_data_folder),
    ("demo workspace", step_demo),
    ("photo", step_photo),
    ("heic", step_heic),
    ("video frame", step_video),
    ("audio", step_audio),
    ("labeled export", step_export),
    ("catalog search", step_catalog),
    ("keyring", step_keyring),
    ("tls", step_tls),
    ("media host", step_media_host),
    ("models", step_models),
    ("opencv", step_opencv),
    ("charts", step_charts),
    ("install folder unchanged", step_install_unchanged),
)


def _describe(exc: BaseException) -> str:
    from studio.core.errors import StudioError

    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, StudioError):
        return exc.message()
    return f"{type(exc).__name__}: {exc}"


def run_steps(stream: TextIO = sys.stdout) -> list[StepResult]:
    """Run every step (a failure does not stop the others) and print one line per step."""
    results: list[StepResult] = []
    with tempfile.TemporaryDirectory(prefix="studio-selftest-") as scratch:
        ctx = _Context(Path(scratch))
        try:
            for name, fn in STEPS:
                start = time.perf_counter()
                try:
                    result = StepResult(name, True, fn(ctx))
                except Exception as exc:
                    result = StepResult(name, False, _describe(exc))
                result.seconds = time.perf_counter() - start
                results.append(result)
                stream.write(result.line() + "\n")
                stream.flush()
        finally:
            if ctx.workspace is not None:
                ctx.workspace.close()
    return results


def run_self_test(stream: TextIO = sys.stdout) -> int:
    """Run the self-test; 0 when every step passed, else 1 (the last line names the failures)."""
    results = run_steps(stream)
    failed = [r.name for r in results if not r.ok]
    total = sum(r.seconds for r in results)
    if failed:
        stream.write(f"self-test FAILED ({len(failed)} of {len(results)} steps): {', '.join(failed)}\n")
    else:
        stream.write(f"self-test passed: {len(results)} steps in {total:.1f} s\n")
    stream.flush()
    return 1 if failed else 0


def _cmd_self_test(args: argparse.Namespace) -> int:
    return run_self_test(sys.stdout)


def register(reg: CommandRegistry) -> None:
    reg.command(
        None,
        "self-test",
        "check this installation headless: demo workspace, decoding, export, catalog, keyring, TLS",
        _cmd_self_test,
    )
