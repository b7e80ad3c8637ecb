"""Shop the look as workflows: analyse a media, accept or reject a suggestion, track a tag in a video.

Shared by the GUI (run in a worker, results applied on the GUI thread through undo commands) and the
CLI (`studio detect`). Everything here is Qt-free and never changes the project behind the caller's
back: functions that compute return values; the few that mutate say so and the caller saves.

Where rejections live — `project.extra["shop_the_look"]["rejected"][media_id]`, a list of
`[proposal_key, product_id]` pairs — and why there rather than a SQLite file in `cache/`:
a rejection is a *user decision* ("this is not our mug"), like a tag; `cache/` is documented as
always safe to delete, so decisions there would silently come back after a cleanup. project.json
already travels with the workspace, is saved atomically, keeps unknown `extra` keys across versions,
and the GUI can make a dismissal one undoable step (an `ExtraCommand`) with no second store to keep
in sync. The list is small (a handful of pairs per media) so project.json does not bloat.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.errors import StudioError, UsageError
from studio.core.model import Media, MediaKind, Product, Project, Tag, new_id
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import Workspace
from studio.vision.proposals import KIND_USER, Box, Match, Proposal, clamp_box

EXTRA_KEY = "shop_the_look"
#: Where a video is analysed when the caller names no time: the start (tracking goes forward).
DEFAULT_VIDEO_TIMES = (0.0,)
#: Worn categories whose box is recomputed from pose keypoints while tracking.
WORN = frozenset({"top", "bottom", "shoe", "hat", "dress", "bag"})
#: Size of the box made around a tag that has none, when it must be tracked (normalized).
DEFAULT_TRACK_BOX = 0.12


def _proposal_key(p: Proposal) -> str:
    from studio.vision.shop_the_look import proposal_key

    return proposal_key(p)


# --- rejections (project.extra) ----------------------------------------------------------------


def rejected_pairs(project: Project, media_id: str) -> set[tuple[str, str]]:
    """The (proposal_key, product_id) pairs the user dismissed on this media."""
    section = project.extra.get(EXTRA_KEY)
    if not isinstance(section, dict):
        return set()
    rows = (section.get("rejected") or {}).get(media_id) or []
    return {(str(r[0]), str(r[1])) for r in rows if isinstance(r, list | tuple) and len(r) == 2}


def with_rejections(extra_value: object, media_id: str, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A new `project.extra["shop_the_look"]` value with `pairs` remembered for `media_id` (pure).

    The GUI pushes the result as one undoable ExtraCommand; the input is not modified.
    """
    section: dict[str, Any] = copy.deepcopy(extra_value) if isinstance(extra_value, dict) else {}
    rejected = section.setdefault("rejected", {})
    if not isinstance(rejected, dict):
        rejected = section["rejected"] = {}
    rows = [list(r) for r in rejected.get(media_id) or [] if isinstance(r, list | tuple) and len(r) == 2]
    known = {tuple(r) for r in rows}
    for key, product_id in pairs:
        if (key, product_id) not in known:
            rows.append([key, product_id])
            known.add((key, product_id))
    rejected[media_id] = rows
    return section


#: The product id that stands for "the whole box": Esc dismisses a suggestion, not just one product.
WHOLE_BOX = ""


def rejection_pairs(
    proposal: Proposal, product_ids: Iterable[str] = (), *, whole: bool = True
) -> list[tuple[str, str]]:
    """The pairs to remember when the user dismisses `proposal` (and, optionally, some of its products)."""
    key = _proposal_key(proposal)
    pairs = [(key, pid) for pid in product_ids]
    if whole:
        pairs.append((key, WHOLE_BOX))
    return pairs


def remember_rejection(
    project: Project,
    media_id: str,
    proposal: Proposal,
    product_ids: Iterable[str] = (),
    *,
    whole: bool = True,
) -> int:
    """Mutates `project.extra`: this suggestion (or these products for it) will not come back there.

    Returns how many pairs were new. The caller saves the workspace.
    """
    before = rejected_pairs(project, media_id)
    pairs = rejection_pairs(proposal, product_ids, whole=whole)
    project.extra[EXTRA_KEY] = with_rejections(project.extra.get(EXTRA_KEY), media_id, pairs)
    return len(set(pairs) - before)


def drop_rejected(proposals: Iterable[Proposal], rejected: set[tuple[str, str]]) -> list[Proposal]:
    """Remove remembered rejections: dismissed boxes entirely, rejected products from the others."""
    out: list[Proposal] = []
    for p in proposals:
        key = _proposal_key(p)
        if (key, WHOLE_BOX) in rejected:
            continue
        out.append(replace(p, matches=tuple(m for m in p.matches if (key, m.product_id) not in rejected)))
    return out


# --- the index --------------------------------------------------------------------------------

_indexes: dict[Path, Any] = {}
_indexes_lock = threading.Lock()


def open_index(ws: Workspace) -> Any:
    """The workspace's product image index, one per process per workspace (its loaded data is reused)."""
    from studio.vision.index import ProductIndex

    key = ws.cache_dir.resolve()
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = ProductIndex.open(ws.cache_dir, root=ws.root)
        return index


def forget_index(ws: Workspace) -> None:
    """Drop the cached index object (the workspace is closing, or its cache was deleted)."""
    with _indexes_lock:
        index = _indexes.pop(ws.cache_dir.resolve(), None)
    if index is not None:
        index.close()


EXEMPLARS_DIR = "exemplars"  # under cache/vision: crops of tagged boxes, one JPEG each
MAX_EXEMPLARS = 3  # per product: enough views, little indexing time


def _exemplar_file(ws: Workspace, product_id: str, media: Media, box: Box) -> Path:
    import hashlib

    digest = hashlib.sha1(f"{media.content_hash}|{box}".encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in product_id)[:60]
    return ws.cache_dir / "vision" / EXEMPLARS_DIR / f"{safe}-{digest}.jpg"


def _write_exemplar(path: Path, image: Any, box: Box) -> bool:
    from studio.core.atomic import atomic_write_bytes

    w, h = image.size
    x0, y0, x1, y1 = box
    pad_x, pad_y = 0.06 * (x1 - x0) * w, 0.06 * (y1 - y0) * h
    left, top = max(0, int(x0 * w - pad_x)), max(0, int(y0 * h - pad_y))
    right, bottom = min(w, int(x1 * w + pad_x) + 1), min(h, int(y1 * h + pad_y) + 1)
    if right - left < 24 or bottom - top < 24:
        return False  # too small to describe
    import io

    out = io.BytesIO()
    image.crop((left, top, right, bottom)).convert("RGB").save(out, "JPEG", quality=90)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, out.getvalue(), keep_backup=False)
    return True


def products_for_index(ws: Workspace, *, max_per_product: int = MAX_EXEMPLARS) -> list[Product]:
    """The catalog's products, each with the crops of its tagged boxes in the workspace's photos first.

    Why: catalog image URLs are often remote (and the studio must work offline) or show the product
    on white, while the brand's own photos show it as shoppers will see it. A product tagged once
    with a box is then found in the other photos. Crops are cached by media content and box.
    """
    from studio.media.images import open_image

    wanted: dict[str, list[tuple[Media, Box]]] = {}
    for media in ws.project.media:
        if media.kind is not MediaKind.IMAGE:
            continue
        for tag in media.tags:
            if tag.product_id and tag.box and len(wanted.setdefault(tag.product_id, [])) < max_per_product:
                wanted[tag.product_id].append((media, tag.box))
    crops: dict[str, list[str]] = {}
    for product_id, places in wanted.items():
        for media, box in places:
            path = _exemplar_file(ws, product_id, media, box)
            if not path.exists():
                try:
                    image = open_image(ws.media_path(media), max_side=1600)
                    if not _write_exemplar(path, image, box):
                        continue
                except (OSError, StudioError, ValueError):
                    continue  # a missing or unreadable photo only means one view fewer
            crops.setdefault(product_id, []).append(str(path))
    products = []
    for product in ws.catalog.all():
        extra = crops.get(product.id)
        products.append(replace(product, images=[*extra, *product.images]) if extra else product)
    return products


def ensure_index(
    ws: Workspace, *, progress: ProgressFn = no_progress, cancel: CancelToken | None = None
) -> Any:
    """Bring the product image index up to date with the catalog (unchanged products are skipped).

    Returns the index's report (products indexed, failures, products/s).
    """
    index = open_index(ws)
    return index.update(products_for_index(ws), progress=progress, cancel=cancel)


# --- analysing a media ------------------------------------------------------------------------


def _cancel_fn(cancel: CancelToken | None) -> Callable[[], bool] | None:
    return None if cancel is None else (lambda: cancel.cancelled)


def media_image(ws: Workspace, media: Media, at: float | None = None, *, max_side: int = 1080) -> np.ndarray:
    """The picture to analyse: the photo upright, or the video frame on screen at `at` seconds."""
    path = ws.media_path(media)
    if media.kind is MediaKind.VIDEO:
        from studio.media.video import frame_at

        img = frame_at(path, at or 0.0, max_side=max_side)
    else:
        from studio.media.images import open_image

        img = open_image(path, max_side=max_side)
    return np.asarray(img.convert("RGB"))


def analyze_media(
    ws: Workspace,
    media_id: str,
    *,
    user_box: Box | None = None,
    at: float | None = None,
    index: Any = None,
    update_index: bool = True,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[Proposal]:
    """Proposals for one photo (or one video frame at `at`), remembered rejections removed.

    With `update_index` the product index is brought up to date first (cheap when it already is).
    Raises `Cancelled` when cancelled, `StudioError` for an unknown or unreadable media.
    """
    from studio.vision.shop_the_look import analyze

    media = _media(ws, media_id)
    if index is None:
        index = open_index(ws)
    if update_index:
        index.update(
            products_for_index(ws),
            progress=lambda d, t, m: progress(0, 0, f"Indexing products: {m}"),
            cancel=cancel,
        )
    progress(0, 0, f"Reading {media.name}")
    image = media_image(ws, media, at)
    rejected = rejected_pairs(ws.project, media_id)
    proposals = analyze(
        image,
        catalog=ws.catalog,
        index=index,
        user_box=user_box,
        rejected=rejected,
        progress=progress,
        cancel=_cancel_fn(cancel),
    )
    return drop_tagged(drop_rejected(proposals, rejected), media, at)


def drop_tagged(proposals: Iterable[Proposal], media: Media, at: float | None = None) -> list[Proposal]:
    """Suggestions are for what is not tagged yet: a proposal whose box holds one of the media's
    tags (visible at `at`, for a video) is dropped, and so is a match for a product already tagged."""
    tags = [t for t in media.tags if at is None or t.start is None or (t.start <= at <= (t.end or at))]
    tagged = {t.product_id for t in tags if t.product_id}
    out: list[Proposal] = []
    for p in proposals:
        x0, y0, x1, y1 = p.box
        if any(x0 <= t.x <= x1 and y0 <= t.y <= y1 for t in tags) and p.kind != KIND_USER:
            continue
        kept = [m for m in p.matches if m.product_id not in tagged]
        if p.matches and not kept:
            continue
        out.append(p.with_matches(kept) if len(kept) != len(p.matches) else p)
    return out


@dataclass(slots=True)
class FrameProposals:
    """Proposals found on one video frame (photos have a single one at t = None)."""

    t: float | None
    proposals: list[Proposal]


def analyze_keyframes(
    ws: Workspace,
    media_id: str,
    *,
    times: Iterable[float] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[FrameProposals]:
    """Detection on a video's keyframes (default: its start), or the photo itself."""
    media = _media(ws, media_id)
    if media.kind is not MediaKind.VIDEO:
        return [FrameProposals(None, analyze_media(ws, media_id, progress=progress, cancel=cancel))]
    wanted = [
        t for t in (times if times is not None else DEFAULT_VIDEO_TIMES) if 0 <= t <= (media.duration or 0)
    ]
    out: list[FrameProposals] = []
    for n, t in enumerate(wanted or [0.0]):
        found = analyze_media(ws, media_id, at=t, update_index=n == 0, progress=progress, cancel=cancel)
        out.append(FrameProposals(t, found))
    return out


def _media(ws: Workspace, media_id: str) -> Media:
    media = ws.find_media(media_id)
    if media is None:
        raise UsageError(
            f"no media '{media_id}' in this workspace",
            hint="use a media id, name or path listed by `studio tag list` or `studio info`",
        )
    return media


# --- accepting --------------------------------------------------------------------------------


def tag_for(
    proposal: Proposal,
    match: Match | None = None,
    *,
    style: str = "pill",
    start: float | None = None,
) -> Tag:
    """The tag an accepted suggestion becomes: anchored at the box's centre, box kept (normalized).

    `match` defaults to the proposal's best one. For a video, `start` is the analysed frame's time.
    """
    match = match or proposal.best
    if match is None:
        raise UsageError("this suggestion has no product to accept", hint="choose a product for it by hand")
    # Plain floats: detectors hand over numpy scalars, which project.json cannot store.
    x0, y0, x1, y1 = (float(v) for v in clamp_box(proposal.box))
    box = (x0, y0, x1, y1)
    return Tag(
        id=new_id("tag"),
        product_id=match.product_id,
        variant_id=match.variant_id,
        x=(x0 + x1) / 2,
        y=(y0 + y1) / 2,
        box=box,
        style=style,
        start=None if start is None else float(start),
    )


def accept(
    ws: Workspace,
    media_id: str,
    proposal: Proposal,
    match: Match | None = None,
    *,
    start: float | None = None,
) -> Tag:
    """Mutates the project: adds the accepted suggestion as a tag on the media. The caller saves."""
    media = _media(ws, media_id)
    match = match or proposal.best
    if match is None or ws.catalog.get(match.product_id) is None:
        raise UsageError(
            f"product '{match.product_id if match else ''}' is not in the catalog any more",
            hint="re-run the detection after the catalog import",
        )
    tag = tag_for(proposal, match, style=ws.project.label_style.preset, start=start)
    media.tags.append(tag)
    return tag


# --- tracking in video ------------------------------------------------------------------------


def product_photo(ws: Workspace, product: Product | None) -> np.ndarray | None:
    """The product's first photo if it is on disk (local file or the index's download cache).

    Never downloads: tracking must not wait on the network; without a photo it uses the item's own
    first appearance.
    """
    if product is None:
        return None
    from studio.vision.fetch import ImageFetcher, local_path
    from studio.vision.index import IMAGES_DIR, INDEX_DIR, decode

    fetcher = ImageFetcher(ws.cache_dir / INDEX_DIR / IMAGES_DIR, root=ws.root)
    for entry in product.images[:3]:
        local = local_path(entry, ws.root)
        path = local if local is not None else fetcher.cached_path(entry.strip())
        if path.is_file():
            try:
                return decode(path.read_bytes())
            except (OSError, ValueError):
                continue
    return None


def _zone_fn(category: str) -> Callable[[np.ndarray, Box], Box | None] | None:
    """Per-frame garment zone from pose keypoints, for worn items (None when pose is unavailable)."""
    if category not in WORN:
        return None
    try:
        from studio.vision import pose
    except ImportError:
        return None
    detect = getattr(pose, "detect_people", None)
    zones = getattr(pose, "outfit_zones", None)
    if detect is None or zones is None:
        return None
    from studio.vision.proposals import iou

    def zone(frame: np.ndarray, last: Box) -> Box | None:
        h, w = frame.shape[:2]
        try:
            found = [z for person in detect(frame) for z in zones(person, (w, h)) if z.category == category]
        except StudioError:
            return None
        best = max(found, key=lambda z: iou(z.box, last), default=None)
        return best.box if best is not None and iou(best.box, last) > 0.2 else None

    return zone


def track_tag(
    ws: Workspace,
    media_id: str,
    tag_id: str,
    *,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Any:
    """Track a video tag from its start (or 0) and return the `TrackResult` (keyframes + end).

    Reads only: apply the result with `apply_track` (GUI: through an undo command).
    """
    from studio.vision.index import category_of
    from studio.vision.tracking import track_in_video

    media = _media(ws, media_id)
    if media.kind is not MediaKind.VIDEO:
        raise UsageError(f"{media.name} is a photo; only tags on videos are tracked")
    tag = next((t for t in media.tags if t.id == tag_id), None)
    if tag is None:
        raise UsageError(f"no tag '{tag_id}' on {media.name}")
    box = tag.box
    if box is None:
        half = DEFAULT_TRACK_BOX / 2
        box = clamp_box((tag.x - half, tag.y - half, tag.x + half, tag.y + half))
    product = ws.catalog.get(tag.product_id) if tag.product_id else None
    category = category_of(product) if product is not None else ""
    return track_in_video(
        ws.media_path(media),
        box,
        start=tag.start or 0.0,
        anchor=(tag.x, tag.y),
        product_image=product_photo(ws, product),
        zone_fn=_zone_fn(category),
        backward=True,
        progress=progress,
        cancel=cancel,
    )


def apply_track(tag: Tag, result: Any) -> Tag:
    """The tag with the tracked keyframes and time range (a new object; `tag` is not modified).

    The range runs from where the item was first seen (None: the clip's start) to where it was lost.
    """
    first = result.first_seen
    start = None if first is None or first <= 0 else float(first)
    return replace(tag, keyframes=list(result.keyframes), start=start, end=result.end)
