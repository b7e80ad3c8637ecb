"""Batch export: every selected media × every preset × every kind, in parallel processes.

Shared by `studio export` and the GUI's export dialog. The flow:

1. The parent resolves everything a worker needs into plain, picklable data (`ItemJob`: the
   media, its tags with their products, presets, focus points, label style, UTM config) and
   computes an *input fingerprint* per output (media hash + size/mtime, tags, products, style,
   preset, focus, kind, app version). Outputs whose fingerprint matches the previous
   `manifest.json` and whose file is still there with the recorded size are skipped.
2. Workers (a `ProcessPoolExecutor` on the forkserver context — spawn where there is none — so no
   lock, sqlite handle or thread is inherited) each take one media: read the file once, decode it
   once at the draft scale all its presets need, then fit/encode/write every output. Image work is
   CPU-bound Python + Pillow; processes scale where threads would fight over the GIL.
3. Each output is written to a temp name in its folder and `os.replace`d. Cancel sets a shared
   event: queued items never start, running ones stop before their next rename and delete their
   temp file, so no partial file is ever left. The manifest is written at the end, on cancel, and
   every few seconds, so a re-run after a crash redoes only what is missing.
4. Datasets (one COCO file per preset) and publish kits (one ZIP per post and preset) are built
   by the parent from the files on disk once the items are done.

A problem with one item (corrupt source, disk full, unwritable folder, oversize output) is
recorded on that item with a message naming the file; the others still export.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled, StudioError, UsageError, Where
from studio.core.model import LabelStyle, Media, MediaKind, Project, Tag
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.utm import UtmConfig
from studio.media.hashing import hash_bytes
from studio.render.fit import apply_fit, auto_focus, needed_source_size, plan_fit, remap_tags, user_focus
from studio.render.image_export import (
    TMP_SUFFIX,
    ExportError,
    TagFacts,
    encode,
    label_items,
    load_source,
    outside_record,
    resolve_variant,
    tag_record,
    write_atomic,
    write_error,
)
from studio.render.manifest import MANIFEST_NAME, ItemRecord, Manifest, OutputRecord, fingerprint
from studio.render.presets import ExportPreset

KINDS: tuple[str, ...] = ("clean", "labeled", "html", "video", "dataset", "kit")
IMAGE_KINDS = ("clean", "labeled", "html")
DATASET_NAME = "dataset.coco.json"
SAVE_INTERVAL = 3.0  # seconds between manifest checkpoints


# --- plain data handed to workers ----------------------------------------------------------------


@dataclass(slots=True)
class ItemJob:
    """Everything one worker needs for one media; picklable, no handles."""

    media: Media
    source: str
    stem: str
    out_dir: str
    presets: list[ExportPreset]
    todo: dict[str, list[str]]  # preset name -> kinds to (re)make ("tags" = the tags.json sidecar)
    fingerprints: dict[str, str]  # "preset/kind" -> fingerprint
    facts: dict[str, TagFacts]
    focus: dict[str, tuple[float, float]]
    style: LabelStyle
    locale: str
    utm: UtmConfig
    title: str = ""


def parse_kinds(text: str | Sequence[str]) -> list[str]:
    kinds = [k.strip().lower() for k in (text.split(",") if isinstance(text, str) else text)]
    kinds = [k for k in dict.fromkeys(kinds) if k]
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise UsageError(
            f"unknown kind '{bad[0] if bad else ''}'",
            where=Where(field="--kind"),
            hint=f"use {','.join(KINDS)}",
        )
    return kinds


def output_name(stem: str, kind: str, preset: ExportPreset) -> str:
    """`<media-stem>.<kind>.<ext>` (the tags sidecar is `<stem>.tags.json`)."""
    ext = {"clean": preset.ext, "labeled": preset.ext, "html": "html", "video": "mp4", "tags": "json"}[kind]
    return f"{stem}.{kind}.{ext}"


# --- worker side ---------------------------------------------------------------------------------

_cancel_event: Any = None


def _init_worker(event: Any) -> None:
    """Pool initializer: keep the shared cancel event; Ctrl+C is the parent's to handle."""
    global _cancel_event
    _cancel_event = event
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_run(job: ItemJob) -> ItemRecord:
    return run_item(job, lambda: bool(_cancel_event is not None and _cancel_event.is_set()))


def _problem(exc: BaseException, *, preset: str | None = None, kind: str | None = None) -> dict[str, Any]:
    if isinstance(exc, StudioError):
        message, hint, file = exc.message(), exc.hint, exc.where.file
    else:  # a bug must still only cost one item, with a message rather than a dead batch
        message, hint, file = f"unexpected error: {type(exc).__name__}: {exc}", None, None
    return {"preset": preset, "kind": kind, "file": file, "message": message, "hint": hint}


def run_item(job: ItemJob, cancelled: Callable[[], bool] = lambda: False) -> ItemRecord:
    """Make the outputs `job.todo` asks for; never raises for a per-item problem."""
    media = job.media
    record = ItemRecord(media.id, job.source, media.content_hash)
    wanted = sum(len(v) for v in job.todo.values())
    try:
        if cancelled():
            record.status = "cancelled"
            return record
        data = Path(job.source).read_bytes() if media.kind == MediaKind.IMAGE else b""
        if data:
            record.content_hash = hash_bytes(data)
        if media.kind == MediaKind.VIDEO:
            _run_video(job, record, cancelled)
        else:
            _run_image(job, record, data, cancelled)
    except Cancelled:
        record.status = "cancelled"
        return record
    except FileNotFoundError:
        record.problems.append(
            {
                "preset": None,
                "kind": None,
                "file": job.source,
                "hint": "relink the media (studio media relink)",
                "message": f"{Path(job.source).name}: the source file does not exist (moved or deleted?)",
            }
        )
    except OSError as exc:
        record.problems.append(
            {
                "preset": None,
                "kind": None,
                "file": job.source,
                "hint": None,
                "message": f"{Path(job.source).name}: cannot read the source ({exc.strerror or exc})",
            }
        )
    except Exception as exc:
        record.problems.append(_problem(exc))
    made = len(record.outputs)
    record.status = "exported" if made >= wanted else "partial" if made else "failed"
    if cancelled() and made < wanted:
        record.status = "cancelled"
    return record


def _run_image(job: ItemJob, record: ItemRecord, data: bytes, cancelled: Callable[[], bool]) -> None:
    media = job.media
    tags = list(media.tags)
    presets = [p for p in job.presets if job.todo.get(p.name)]
    src_size = (max(1, media.width), max(1, media.height))
    need = (1, 1)
    for preset in presets:
        nw, nh = needed_source_size(plan_fit(src_size, preset, job.focus[preset.name]), src_size)
        need = (max(need[0], nw), max(need[1], nh))
    img = load_source(job.source, need, data)
    out = Path(job.out_dir)
    for preset in presets:
        kinds = job.todo[preset.name]
        folder = out / preset.name
        plan = plan_fit(img.size, preset, job.focus[preset.name])
        try:
            fitted = apply_fit(img, plan)
        except Exception as exc:
            record.problems.append(_problem(exc, preset=preset.name))
            continue
        remapped = remap_tags(tags, plan)
        records = [
            tag_record(
                p,
                job.facts[p.tag.id],
                locale=job.locale,
                utm=job.utm,
                platform=preset.platform,
                media_name=job.stem,
            )
            for p in remapped.placed
        ]
        for t in remapped.outside:
            record.outside.append({"preset": preset.name, **outside_record(job.facts[t.id])})
        clean_bytes: bytes | None = None
        for kind in kinds:
            if cancelled():
                raise Cancelled()
            path = folder / output_name(job.stem, kind, preset)
            try:
                quality: int | None = None
                if kind == "tags":
                    doc = {
                        "schema": 1,
                        "media": {
                            "id": media.id,
                            # the file name, not its path: this file travels (kits, agencies)
                            "name": media.name or Path(job.source).name,
                            "content_hash": record.content_hash,
                        },
                        "preset": preset.name,
                        "platform": preset.platform,
                        "width": preset.width,
                        "height": preset.height,
                        "coordinates": "normalized 0..1 of this output image, origin top-left",
                        "tags": records,
                        "outside_crop": [outside_record(job.facts[t.id]) for t in remapped.outside],
                    }
                    payload: bytes = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
                elif kind == "clean":
                    enc = encode(fitted, preset, name=path.name)
                    payload, quality, clean_bytes = enc.data, enc.quality, enc.data
                elif kind == "labeled":
                    from studio.render.labels import burn_labels

                    items = label_items(remapped.placed, job.facts, job.style, job.locale)
                    enc = encode(burn_labels(fitted, items, job.style), preset, name=path.name)
                    payload, quality = enc.data, enc.quality
                elif kind == "html":
                    from studio.render.html_export import render_html

                    if clean_bytes is None:
                        clean_bytes = encode(fitted, preset, name=path.name).data
                    mime = "image/jpeg" if preset.format == "jpeg" else "image/png"
                    page = render_html(
                        clean_bytes,
                        mime,
                        fitted.size,
                        records,
                        title=job.title or job.stem,
                        lang=job.locale.split("_")[0],
                    )
                    payload = page.encode("utf-8")
                else:
                    continue
                size = write_atomic(path, payload, cancelled)
            except Cancelled:
                raise
            except Exception as exc:
                record.problems.append(_problem(exc, preset=preset.name, kind=kind))
                continue
            rel = f"{preset.name}/{path.name}"
            fp = job.fingerprints[f"{preset.name}/{kind}"]
            record.outputs.append(OutputRecord(preset.name, kind, rel, size, fp, quality))


def _run_video(job: ItemJob, record: ItemRecord, cancelled: Callable[[], bool]) -> None:
    """Videos go through the video exporter (`studio.render.video_export.render_video`), which
    writes through a temp file itself and honours the same cancel callable."""
    try:
        from studio.render.video_export import render_video
    except ImportError:
        record.problems.append(
            {
                "preset": None,
                "kind": "video",
                "file": job.source,
                "hint": None,
                "message": f"{Path(job.source).name}: video export is not available in this version",
            }
        )
        return
    from studio.render.label_styles import resolve_preset
    from studio.render.labels import label_content

    media = job.media
    items = [
        (
            t,
            label_content(job.facts[t.id].product, job.facts[t.id].variant, t, job.locale),
            resolve_preset(t.style, job.style.preset),
        )
        for t in media.tags
    ]
    src_size = (max(1, media.width), max(1, media.height))
    for preset in job.presets:
        if "video" not in job.todo.get(preset.name, []):
            continue
        if cancelled():
            raise Cancelled()
        path = Path(job.out_dir) / preset.name / output_name(job.stem, "video", preset)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            record.problems.append(_problem(write_error(path, exc), preset=preset.name, kind="video"))
            continue
        plan = plan_fit(src_size, preset, job.focus[preset.name])
        try:
            result = render_video(
                job.source,
                path,
                size=(preset.width, preset.height),
                crop=plan,
                tags=items,
                style=job.style,
                cancel=cancelled,
            )
        except Cancelled:
            raise
        except Exception as exc:
            record.problems.append(_problem(exc, preset=preset.name, kind="video"))
            continue
        for tag_id in result.outside_crop:
            if tag_id in job.facts:
                record.outside.append({"preset": preset.name, **outside_record(job.facts[tag_id])})
        fp = job.fingerprints[f"{preset.name}/video"]
        size = path.stat().st_size
        record.outputs.append(OutputRecord(preset.name, "video", f"{preset.name}/{path.name}", size, fp))


# --- parent side ---------------------------------------------------------------------------------


def _stems(project: Project) -> dict[str, str]:
    """A file stem per media, unique within the project (two `IMG_0001.jpg` from different
    folders must not overwrite each other), stable across runs."""
    seen: dict[str, int] = {}
    stems: dict[str, str] = {}
    for m in project.media:
        base = Path(m.name or m.path).stem or m.id
        base = "".join(c if c.isalnum() or c in "-_." else "_" for c in base).strip(".") or m.id
        key = base.lower()
        if key in seen:
            stems[m.id] = f"{base}-{m.id.rsplit('_', 1)[-1][:8]}"
        else:
            stems[m.id] = base
        seen[key] = 1
    return stems


def select_media(project: Project, only: str | None) -> list[Media]:
    if not only or only == "all":
        return list(project.media)
    if only == "tagged":
        return [m for m in project.media if m.tags]
    if only == "untagged":
        return [m for m in project.media if not m.tags]
    if only.startswith("post:"):
        post_id = only[5:]
        post = next((p for p in project.posts if p.id == post_id), None)
        if post is None:
            raise UsageError(f"no post '{post_id}' in this workspace", where=Where(field="--only"))
        return [m for mid in post.media_ids if (m := project.media_by_id(mid)) is not None]
    raise UsageError(
        f"unknown filter '{only}'", where=Where(field="--only"), hint="use tagged, untagged or post:ID"
    )


def _source_path(ws_root: Path, media: Media) -> Path:
    p = Path(media.path)
    return p if p.is_absolute() else ws_root / p


def _resolve_facts(media: Sequence[Media], catalog_path: Path | None) -> dict[str, TagFacts]:
    ids = {t.product_id for m in media for t in m.tags}
    products: dict[str, Any] = {}
    if ids and catalog_path is not None and Path(catalog_path).exists():
        store = CatalogStore(catalog_path)
        try:
            for pid in ids:
                products[pid] = store.get(pid)
        finally:
            store.close()
    facts: dict[str, TagFacts] = {}
    for m in media:
        for t in m.tags:
            product = products.get(t.product_id)
            facts[t.id] = TagFacts(t, product, resolve_variant(product, t))
    return facts


def _stat_key(path: Path) -> list[int]:
    try:
        st = path.stat()
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


def _tag_doc(tag: Tag, facts: TagFacts) -> dict[str, Any]:
    return {
        "tag": asdict(tag),
        "product": asdict(facts.product) if facts.product else None,
        "variant": asdict(facts.variant) if facts.variant else None,
    }


def _needed_kinds(media: Media, kinds: list[str]) -> list[str]:
    if media.kind == MediaKind.VIDEO:
        return ["video"] if "video" in kinds else []
    wanted = [k for k in IMAGE_KINDS if k in kinds]
    if ("dataset" in kinds or "kit" in kinds) and "clean" not in wanted:
        wanted.insert(0, "clean")  # datasets and kits are made of the clean renders
    return [*wanted, "tags"] if wanted else []


def _sweep_temps(out_dir: Path, presets: Sequence[ExportPreset]) -> None:
    """Remove temp files a killed worker may have left (never complete outputs)."""
    for preset in presets:
        folder = out_dir / preset.name
        with contextlib.suppress(OSError):
            for leftover in folder.glob(f".*{TMP_SUFFIX}*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # The fork server imports Pillow and the renderer once; each worker then forks from it ready to
    # go instead of re-importing everything (only takes effect if the server is not running yet).
    ctx.set_forkserver_preload([__name__])
    return ctx


def export_batch(
    ws_root: str | os.PathLike[str],
    project: Project,
    catalog_path: str | os.PathLike[str] | None,
    presets: Sequence[ExportPreset],
    kinds: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    only: str | None = None,
    workers: int | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    on_item: Callable[[ItemRecord], None] | None = None,
) -> Manifest:
    """Export and return the manifest (also written to `out_dir/manifest.json`).

    `workers`: processes (default: CPU count); 1 runs in this process (no start-up cost, and
    deterministic for tests). Raises `Cancelled` after writing the manifest if cancelled;
    `UsageError` for bad options; never for a per-item problem (those are in the manifest).

    `on_item`: per-item status for a GUI list (the `progress` counts alone cannot say *which*
    item failed). Called in the calling thread with a *copy* of an item's record (so the
    receiver may keep it while the export goes on): status "exporting" when its work starts
    (with worker processes: when the pool should pick it up, in submission order), then once
    with its final status (exported, partial, failed, unchanged, skipped, cancelled).
    """
    root = Path(ws_root)
    out = Path(out_dir)
    kinds = parse_kinds(list(kinds))
    if not presets:
        raise UsageError("no preset given", where=Where(field="--preset"))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the output folder ({exc.strerror or exc})", where=Where(file=str(out))
        ) from None
    workers = max(1, workers or os.cpu_count() or 1)
    selected = select_media(project, only)
    stems = _stems(project)
    facts = _resolve_facts(selected, Path(catalog_path) if catalog_path else None)
    utm = UtmConfig.from_project(project)
    previous = _load_previous(out)
    _sweep_temps(out, presets)

    manifest = Manifest([p.name for p in presets], list(kinds))
    records: dict[str, ItemRecord] = {}
    jobs: list[ItemJob] = []
    for media in selected:
        source = _source_path(root, media)
        need = _needed_kinds(media, kinds)
        size = (max(1, media.width), max(1, media.height))
        focus = {
            p.name: user_focus(project, media.id, p.name) or auto_focus(size, p, media.tags) for p in presets
        }
        base = {
            "hash": media.content_hash,
            "stat": _stat_key(source),
            "tags": [_tag_doc(t, facts[t.id]) for t in media.tags],
            "locale": project.locale,
            "utm": utm.to_dict(),
            "stem": stems[media.id],
        }
        fps: dict[str, str] = {}
        todo: dict[str, list[str]] = {}
        kept: list[OutputRecord] = []
        old_item = previous.get(media.id)
        old_outputs = {(o.preset, o.kind): o for o in (old_item.outputs if old_item else [])}
        for preset in presets:
            for kind in need:
                inputs = {**base, "preset": preset.to_dict(), "focus": focus[preset.name], "kind": kind}
                if kind in ("labeled", "video"):
                    inputs["style"] = asdict(project.label_style)
                fp = fingerprint(inputs)
                fps[f"{preset.name}/{kind}"] = fp
                old = old_outputs.get((preset.name, kind))
                if old and old.fingerprint == fp and _stat_key(out / old.path)[0] == old.bytes:
                    kept.append(
                        OutputRecord(old.preset, old.kind, old.path, old.bytes, fp, old.quality, "unchanged")
                    )
                else:
                    todo.setdefault(preset.name, []).append(kind)
        record = ItemRecord(media.id, str(source), media.content_hash)
        record.outputs = kept
        if not need:
            record.status = "skipped"
        elif not todo:
            record.status = "unchanged"
            record.outside = list(old_item.outside) if old_item else []
        else:
            # Presets left untouched keep what the last run found outside their crop.
            record.outside = [
                o for o in (old_item.outside if old_item else []) if o.get("preset") not in todo
            ]
            jobs.append(
                ItemJob(
                    media,
                    str(source),
                    stems[media.id],
                    str(out),
                    list(presets),
                    todo,
                    fps,
                    {t.id: facts[t.id] for t in media.tags},
                    focus,
                    project.label_style,
                    project.locale,
                    utm,
                    media.name or stems[media.id],
                )
            )
        records[media.id] = record
    manifest.items = [records[m.id] for m in selected]

    def notify(rec: ItemRecord, status: str | None = None) -> None:
        if on_item is not None:
            on_item(_snapshot(rec, status))

    for rec in manifest.items:
        if rec.status != "pending":  # unchanged or skipped: final already
            notify(rec)
    queue = iter(jobs)  # items not announced as started yet, in the order they are taken up

    def start_next() -> None:
        job = next(queue, None)
        if job is not None:
            notify(records[job.media.id], "exporting")

    total = len(selected)
    done = total - len(jobs)
    progress(done, total, f"{done} unchanged" if done else "Exporting")
    last_save = time.monotonic()

    def finish(job: ItemJob, result: ItemRecord) -> None:
        nonlocal done, last_save
        rec = records[job.media.id]
        rec.content_hash = result.content_hash
        rec.outputs = rec.outputs + result.outputs
        rec.outside = rec.outside + result.outside
        rec.problems = result.problems
        rec.status = result.status
        notify(rec)
        start_next()  # one finished, the next one is taken up (if cancelled, it is reported so)
        done += 1
        progress(done, total, job.media.name or job.stem)
        if time.monotonic() - last_save > SAVE_INTERVAL:
            last_save = time.monotonic()
            with contextlib.suppress(OSError):
                manifest.save(out)

    is_cancelled = (lambda: cancel.cancelled) if cancel is not None else (lambda: False)
    interrupted = False
    try:
        if workers == 1 or len(jobs) <= 1:
            start_next()  # later ones are announced as the previous one finishes
            for job in jobs:
                if is_cancelled():
                    break
                finish(job, run_item(job, is_cancelled))
        else:
            for _ in range(min(workers, len(jobs))):
                start_next()
            interrupted = _run_pool(jobs, min(workers, len(jobs)), finish, is_cancelled)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if interrupted or is_cancelled():
            manifest.cancelled = True
            for rec in manifest.items:
                if rec.status == "pending":
                    rec.status = "cancelled"
                    notify(rec)
            _sweep_temps(out, presets)
            with contextlib.suppress(OSError):
                manifest.save(out)
    if manifest.cancelled:
        kept_items = sum(1 for r in manifest.items if r.status in ("exported", "unchanged"))
        raise Cancelled(
            f"Export cancelled: {kept_items} finished item(s) were kept and no partial file was left; "
            "run the export again to finish"
        )

    _build_extras(manifest, project, presets, kinds, out, stems, selected, previous_extras=_load_extras(out))
    try:
        manifest.save(out)
    except OSError as exc:
        raise write_error(out / MANIFEST_NAME, exc) from None
    _record_prices(root, out, manifest, selected, facts)
    progress(total, total, "Done")
    return manifest


PRICE_KINDS = ("labeled", "html", "video", "tags")  # outputs that show or carry a price


def _record_prices(
    root: Path, out: Path, manifest: Manifest, selected: list[Media], facts: dict[str, TagFacts]
) -> None:
    """Price ledger (studio.core.price_ledger): remember what each output shows, so a later catalog
    change can list it as stale. Never fails an export: the ledger is a warning system."""
    try:
        from studio.core.price_ledger import record_export_for_media

        by_id = {m.id: m for m in selected}
        outputs = {
            str((out / o.path).resolve()): by_id[rec.media_id]
            for rec in manifest.items
            if rec.media_id in by_id
            for o in rec.outputs
            if o.kind in PRICE_KINDS
        }
        products = {f.tag.product_id: f.product for f in facts.values()}
        record_export_for_media(root, outputs, products)
    except Exception as exc:  # logged, never raised
        import logging

        logging.getLogger(__name__).warning("Could not record exported prices: %s", exc)


def _run_pool(
    jobs: list[ItemJob],
    workers: int,
    finish: Callable[[ItemJob, ItemRecord], None],
    is_cancelled: Callable[[], bool],
) -> bool:
    """Run jobs in worker processes; True when stopped by Cancel or Ctrl+C."""
    ctx = _mp_context()
    event = ctx.Event()
    stopped = False
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(event,)
    ) as pool:
        futures: dict[Future[ItemRecord], ItemJob] = {pool.submit(_pool_run, job): job for job in jobs}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = futures[fut]
                    if fut.cancelled():
                        continue
                    try:
                        result = fut.result()
                    except Exception as exc:  # a worker died (killed, out of memory): one item lost
                        result = ItemRecord(job.media.id, job.source, job.media.content_hash, "failed")
                        result.problems.append(
                            {
                                "preset": None,
                                "kind": None,
                                "file": job.source,
                                "hint": "run the export again",
                                "message": f"{Path(job.source).name}: the export process failed "
                                f"({type(exc).__name__})",
                            }
                        )
                    finish(job, result)
                if not stopped and is_cancelled():
                    stopped = True
                    event.set()
                    for fut in pending:
                        fut.cancel()
        except KeyboardInterrupt:
            event.set()
            for fut in pending:
                fut.cancel()
            raise
    return stopped


def _snapshot(rec: ItemRecord, status: str | None = None) -> ItemRecord:
    """A copy for `on_item` listeners: the batch keeps updating its own records."""
    return ItemRecord(
        rec.media_id,
        rec.source,
        rec.content_hash,
        status or rec.status,
        list(rec.outputs),
        [dict(o) for o in rec.outside],
        [dict(p) for p in rec.problems],
    )


def _load_previous(out: Path) -> dict[str, ItemRecord]:
    try:
        doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        return {i.media_id: i for i in Manifest.from_dict(doc).items}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no or damaged manifest: everything is redone, nothing is lost


def _load_extras(out: Path) -> dict[str, OutputRecord]:
    try:
        doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        return {o.path: o for o in Manifest.from_dict(doc).extras}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _read_tags(out: Path, rel: str) -> list[dict[str, Any]]:
    try:
        return list(json.loads((out / rel).read_text(encoding="utf-8")).get("tags", []))
    except (OSError, ValueError, AttributeError):
        return []


def _build_extras(
    manifest: Manifest,
    project: Project,
    presets: Sequence[ExportPreset],
    kinds: Sequence[str],
    out: Path,
    stems: dict[str, str],
    selected: list[Media],
    previous_extras: dict[str, OutputRecord],
) -> None:
    """COCO datasets and publish kits, from the outputs on disk (also those left unchanged)."""
    from studio.render.dataset import CocoBuilder
    from studio.render.kit import KitMember, build_kit

    by_media = {r.media_id: r for r in manifest.items}
    names = {m.id: (m.name or stems[m.id]) for m in selected}

    def outputs_of(media_id: str, preset: str) -> dict[str, OutputRecord]:
        rec = by_media.get(media_id)
        return {o.kind: o for o in rec.outputs if o.preset == preset} if rec else {}

    def write_extra(preset: str, kind: str, rel: str, fp: str, make: Callable[[], bytes]) -> None:
        old = previous_extras.get(rel)
        if old and old.fingerprint == fp and _stat_key(out / rel)[0] == old.bytes:
            manifest.extras.append(OutputRecord(preset, kind, rel, old.bytes, fp, None, "unchanged"))
            return
        try:
            size = write_atomic(out / rel, make())
        except Exception as exc:
            manifest.problems.append(_problem(exc, preset=preset, kind=kind))
            return
        manifest.extras.append(OutputRecord(preset, kind, rel, size, fp))

    for preset in presets:
        if "dataset" in kinds:
            members = [(m, outputs_of(m.id, preset.name)) for m in selected]
            members = [(m, o) for m, o in members if "clean" in o and "tags" in o]
            fp = fingerprint([(m.id, o["clean"].fingerprint, o["tags"].fingerprint) for m, o in members])

            def make_dataset(members: list[Any] = members, preset: ExportPreset = preset) -> bytes:
                coco = CocoBuilder(f"{project.name} — {preset.title}")
                for m, o in members:
                    coco.add_image(
                        Path(o["clean"].path).name,
                        (preset.width, preset.height),
                        _read_tags(out, o["tags"].path),
                        m.id,
                    )
                return (json.dumps(coco.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")

            write_extra(preset.name, "dataset", f"{preset.name}/{DATASET_NAME}", fp, make_dataset)
        if "kit" in kinds:
            chosen = {m.id for m in selected}
            for post in project.posts:
                ids = [mid for mid in post.media_ids if mid in chosen]
                parts = [(mid, outputs_of(mid, preset.name)) for mid in ids]
                parts = [(mid, o) for mid, o in parts if "clean" in o or "video" in o]
                if not parts:
                    continue
                fp = fingerprint(
                    [post.caption, [(mid, sorted(x.fingerprint for x in o.values())) for mid, o in parts]]
                )

                def make_kit(
                    parts: list[Any] = parts, post: Any = post, preset: ExportPreset = preset
                ) -> bytes:
                    members = []
                    for mid, o in parts:
                        media_out = o.get("clean") or o["video"]
                        tags = _read_tags(out, o["tags"].path) if "tags" in o else []
                        members.append(KitMember(names.get(mid, mid), out / media_out.path, tags))
                    return build_kit(post.caption, members, post_id=post.id, preset=preset.name)

                safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in post.id)
                write_extra(preset.name, "kit", f"{preset.name}/{safe_id}.kit.zip", fp, make_kit)


__all__ = ["KINDS", "ExportError", "ItemJob", "export_batch", "output_name", "parse_kinds", "run_item"]
