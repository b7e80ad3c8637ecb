"""Adding photos and videos to a project, and finding them again after they moved.

`add_media` is what "drop a folder on the library" and `studio media add` both run: expand
folders, probe and hash every file (in a few threads: decoding and hashing release the GIL),
skip content already in the project, report every file that cannot be used by name with the
reason, and append the rest to `project.media`. The caller saves.

Cancelling is all-or-nothing: nothing is appended until every file was examined, so a cancelled
add leaves the project exactly as it was (it raises `Cancelled`, like every job).

Media are stored by path relative to the workspace when inside it (the workspace folder can
then be moved or synced as a whole) and by content hash, which is how `relink_missing` finds
a file that was moved or renamed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.core import project_file
from studio.core.errors import Cancelled, StudioError, UsageError, Where
from studio.core.model import Media, Project, new_id
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import CACHE_DIR
from studio.media.formats import iter_media_files, walk_files
from studio.media.hashing import hash_file
from studio.media.probe import MediaInfo, probe

#: Enough to overlap disk reads with decoding; more only fights over the disk.
_MAX_WORKERS = 4


@dataclass(slots=True)
class AddMediaReport:
    """What `add_media` did: media added, duplicates skipped, files that could not be used."""

    added: list[Media] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, id of the media already there)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, message naming file, reason, fix)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [media_to_dict(m) for m in self.added],
            "duplicates": [{"path": p, "existing_media_id": mid} for p, mid in self.duplicates],
            "problems": [{"path": p, "message": msg} for p, msg in self.problems],
        }


@dataclass(slots=True)
class RelinkReport:
    """What `relink_missing` did: (media id, old path, new path) relinked, and who is still missing."""

    relinked: list[tuple[str, str, str]] = field(default_factory=list)
    still_missing: list[Media] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # candidate files that could not be read

    def to_dict(self) -> dict[str, Any]:
        return {
            "relinked": [{"media_id": i, "old_path": o, "new_path": n} for i, o, n in self.relinked],
            "still_missing": [{"media_id": m.id, "path": m.path, "name": m.name} for m in self.still_missing],
            "problems": [{"path": p, "message": msg} for p, msg in self.problems],
        }


def media_to_dict(m: Media) -> dict[str, Any]:
    """The intake facts of a media as JSON-ready data (what the CLI prints for `--json`)."""
    out = project_file.media_to_dict(m)
    out.pop("tags", None)
    return out


# --- paths -------------------------------------------------------------------------------------


def stored_path(file: str | Path, workspace_root: str | Path) -> str:
    """How a file is referenced in project.json: relative (posix) inside the workspace, else absolute."""
    file_abs = Path(os.path.abspath(file))
    root_abs = Path(os.path.abspath(workspace_root))
    for f, r in ((file_abs, root_abs), (_resolved(file_abs), _resolved(root_abs))):
        try:
            return f.relative_to(r).as_posix()
        except ValueError:
            continue
    return str(file_abs)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def resolve_media_path(workspace_root: str | Path, media: Media) -> Path:
    """The absolute location of a media file on this machine."""
    p = Path(media.path)
    return p if p.is_absolute() else Path(workspace_root) / p


def missing_media(project: Project, workspace_root: str | Path) -> list[Media]:
    """Media whose file is no longer where the project says (moved, renamed, deleted, unplugged)."""
    return [m for m in project.media if not resolve_media_path(workspace_root, m).is_file()]


# --- add ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Examined:
    info: MediaInfo
    content_hash: str


def _examine(path: Path, cancel: CancelToken | None) -> _Examined:
    """Probe and hash one file (runs in a worker thread)."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    info = probe(path)
    try:
        digest = hash_file(path, cancel=cancel)
    except OSError as exc:
        raise StudioError(f"{path.name}: the file cannot be read ({exc.strerror or exc})") from None
    return _Examined(info, digest)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _build_media(path: Path, workspace_root: Path, examined: _Examined) -> Media:
    info = examined.info
    return Media(
        id=new_id("med"),
        path=stored_path(path, workspace_root),
        content_hash=examined.content_hash,
        kind=info.kind,
        width=info.width,
        height=info.height,
        name=path.name,
        size_bytes=info.size_bytes,
        duration=info.duration,
        fps=info.fps,
        codec=info.codec,
        has_audio=info.has_audio,
        rotation=info.rotation,
        added_at=_now(),
    )


def add_media(
    paths: Iterable[str | Path],
    project: Project,
    workspace_root: Path,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> AddMediaReport:
    """Add files and folders (recursively) to `project.media`; see the module doc for the rules.

    Never raises for a bad file — it lands in `report.problems` and the others are added.
    Raises `Cancelled` (project unchanged) if `cancel` fires.
    """
    workspace_root = Path(workspace_root)
    files = list(iter_media_files(paths, exclude=[workspace_root / CACHE_DIR]))
    total = len(files)
    report = AddMediaReport()
    progress(0, total, "Reading media")
    known = {m.content_hash: m.id for m in project.media if m.content_hash}
    workers = max(1, min(_MAX_WORKERS, os.cpu_count() or 1, total))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="add-media") as pool:
        futures = [pool.submit(_examine, f, cancel) for f in files]
        try:
            for done, (file, future) in enumerate(zip(files, futures), start=1):
                _collect(file, future, workspace_root, known, report)
                if cancel is not None and cancel.cancelled:
                    raise Cancelled(
                        f"Adding media cancelled after {done} of {total} files; nothing was added."
                    )
                progress(done, total, file.name)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    project.media.extend(report.added)
    return report


def _collect(
    file: Path,
    future: Future[_Examined],
    workspace_root: Path,
    known: dict[str, str],
    report: AddMediaReport,
) -> None:
    try:
        examined = future.result()
    except Cancelled:
        raise
    except StudioError as exc:
        report.problems.append((str(file), exc.message()))
        return
    except Exception as exc:  # a decoder bug must cost one file, not the whole batch
        report.problems.append((str(file), f"{file.name}: could not be read ({type(exc).__name__}: {exc})"))
        return
    existing = known.get(examined.content_hash)
    if existing is not None:
        report.duplicates.append((str(file), existing))
        return
    media = _build_media(file, workspace_root, examined)
    known[media.content_hash] = media.id
    report.added.append(media)


# --- relink ------------------------------------------------------------------------------------


def relink_missing(
    project: Project,
    workspace_root: Path,
    folder: str | Path,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> RelinkReport:
    """Find missing media under `folder` (recursively) by content hash and point them there.

    Only files whose size equals a missing media's recorded size are hashed, so searching a big
    folder costs a directory walk plus a few hashes. Media recorded without a size (very old
    projects) make every candidate file worth hashing. All-or-nothing on cancel, like add_media.
    """
    workspace_root = Path(workspace_root)
    if not Path(folder).is_dir():
        raise UsageError(
            f"{folder}: no such folder",
            where=Where(file=str(folder)),
            hint="choose the folder the files moved to",
        )
    missing = missing_media(project, workspace_root)
    report = RelinkReport()
    if not missing:
        return report
    sizes = {m.size_bytes for m in missing if m.size_bytes > 0}
    any_size = any(m.size_bytes <= 0 for m in missing)
    wanted = {m.content_hash for m in missing if m.content_hash}
    progress(0, 0, "Looking for moved files")
    files = walk_files(folder, exclude=[workspace_root / CACHE_DIR])
    candidates = [p for p in files if _size_matches(p, sizes, any_size)]
    found: dict[str, Path] = {}
    for done, candidate in enumerate(candidates, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(done - 1, len(candidates), candidate.name)
        try:
            digest = hash_file(candidate, cancel=cancel)
        except OSError as exc:
            report.problems.append(
                (str(candidate), f"{candidate.name}: cannot be read ({exc.strerror or exc})")
            )
            continue
        if digest in wanted and digest not in found:
            found[digest] = candidate
            if len(found) == len(wanted):
                break
    progress(len(candidates), len(candidates), "Relinking")
    _apply_relinks(missing, found, workspace_root, report)
    return report


def _size_matches(path: Path, sizes: set[int], any_size: bool) -> bool:
    if any_size:
        return True
    try:
        return path.stat().st_size in sizes
    except OSError:
        return False


def _apply_relinks(
    missing: list[Media], found: dict[str, Path], workspace_root: Path, report: RelinkReport
) -> None:
    for media in missing:
        new_file = found.get(media.content_hash)
        if new_file is None:
            report.still_missing.append(media)
            continue
        old = media.path
        media.path = stored_path(new_file, workspace_root)
        media.name = new_file.name
        report.relinked.append((media.id, old, media.path))
