"""`studio detect`: shop the look from the command line — proposals, their top-5 products, and tags.

Per media (an id, a stored path, a file name or a path on disk; none = every photo), prints the
proposals (box in normalized 0..1 coordinates, kind, reason) with their five likeliest products and
scores. `--accept-above SCORE` turns each proposal whose best match scores at least SCORE into a tag,
through the same job the GUI uses, and saves project.json once, atomically (like `studio tag add`).
Re-running is idempotent: a proposal already tagged with the same product (box IoU ≥ 0.5) is not
tagged twice. Remembered rejections (Esc in the studio) are honoured.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.commands._common import EXIT_NOTHING, EXIT_OK, CommandRegistry, print_json, progress_bar
from studio.core.errors import UsageError, Where
from studio.core.model import Media, MediaKind
from studio.core.money import format_money
from studio.core.progress import no_progress
from studio.core.workspace import Workspace

ALREADY_TAGGED_IOU = 0.5


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if (
        len(parts) != 4
        or not all(0.0 <= p <= 1.0 for p in parts)
        or parts[0] >= parts[2]
        or parts[1] >= parts[3]
    ):
        raise argparse.ArgumentTypeError(
            "expected X0,Y0,X1,Y1: four numbers between 0 and 1, X0<X1 and Y0<Y1"
        )
    return parts[0], parts[1], parts[2], parts[3]


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("expected a score between 0 and 1 (e.g. 0.8)")
    return value


def register(reg: CommandRegistry) -> None:
    p = reg.command(None, "detect", "find buyable items in photos and match them to the catalog", cmd_detect)
    p.add_argument("media", nargs="*", help="media id, name or path (default: every photo)")
    p.add_argument("--workspace", "-w", required=True)
    p.add_argument(
        "--accept-above",
        type=_score,
        metavar="SCORE",
        help="tag every proposal whose best product scores at least SCORE (0..1)",
    )
    p.add_argument("--box", type=_box, metavar="X0,Y0,X1,Y1", help="also match this region (normalized)")
    p.add_argument("--at", type=float, default=0.0, metavar="SECONDS", help="frame of a video to analyse")
    p.add_argument("--json", action="store_true")


def _targets(ws: Workspace, refs: list[str]) -> list[Media]:
    if not refs:
        return [m for m in ws.project.media if m.kind is MediaKind.IMAGE]
    out: list[Media] = []
    for ref in refs:
        media = ws.find_media(ref)
        if media is None:
            raise UsageError(
                f"no media '{ref}' in this workspace",
                where=Where(field="MEDIA"),
                hint="use a media id, name or path (`studio tag list`), or add it with `studio media add`",
            )
        if media not in out:
            out.append(media)
    return out


def _plain(value: Any) -> Any:
    """Numbers as JSON numbers: the pipeline may hand over numpy floats, which json would print as strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return value.item()
    return value


def _already_tagged(media: Media, product_id: str, box: tuple[float, float, float, float]) -> str | None:
    from studio.vision.proposals import iou

    for tag in media.tags:
        if tag.product_id == product_id and (tag.box is None or iou(tag.box, box) >= ALREADY_TAGGED_IOU):
            return tag.id
    return None


def cmd_detect(a: argparse.Namespace) -> int:
    from studio.jobs.shop_the_look import accept, analyze_media, ensure_index

    accepting = a.accept_above is not None
    if a.at < 0:
        raise UsageError("--at must be 0 or more seconds", where=Where(field="--at"))
    with Workspace.open(a.workspace, write=accepting) as ws:
        targets = _targets(ws, list(a.media))
        if not targets:
            if a.json:
                print_json({"media": [], "accepted": 0})
            else:
                print("No photos in this workspace: add some with `studio media add`.")
            return EXIT_NOTHING
        report = ensure_index(ws, progress=no_progress if a.json else progress_bar(sys.stderr, "Indexing"))
        locale = ws.project.locale
        docs: list[dict[str, Any]] = []
        accepted = 0
        titles: dict[str, Any] = {}
        for media in targets:
            at = a.at if media.kind is MediaKind.VIDEO else None
            if at is not None and media.duration and at > media.duration:
                raise UsageError(
                    f"--at {at:g} s is past the end of {media.name} ({media.duration:.2f} s)",
                    where=Where(field="--at"),
                )
            proposals = analyze_media(
                ws,
                media.id,
                user_box=a.box,
                at=at,
                update_index=False,
                progress=no_progress if a.json else progress_bar(sys.stderr, media.name[:20]),
            )
            items: list[dict[str, Any]] = []
            for proposal in proposals:
                doc = _plain(proposal.to_dict())
                for m in doc["matches"]:
                    if m["product_id"] not in titles:
                        titles[m["product_id"]] = ws.catalog.get(m["product_id"])
                    product = titles[m["product_id"]]
                    if product is not None:
                        m["title"] = product.title
                        m["sku"] = product.sku
                        m["price_label"] = format_money(product.price, product.currency, locale)
                doc["tag_id"] = None
                best = proposal.best
                if accepting and best is not None and best.score >= a.accept_above:
                    existing = _already_tagged(media, best.product_id, proposal.box)
                    if existing is None:
                        tag = accept(ws, media.id, proposal, start=at if at else None)
                        accepted += 1
                        doc["tag_id"], doc["accepted"] = tag.id, True
                    else:
                        doc["tag_id"], doc["accepted"] = existing, False
                items.append(doc)
            docs.append(
                {
                    "media_id": media.id,
                    "media": media.path,
                    "name": media.name,
                    "kind": str(media.kind),
                    "t": at,
                    "proposals": items,
                }
            )
        if accepted:
            ws.save()
    if a.json:
        print_json(
            {
                "media": docs,
                "accepted": accepted,
                "index": report.to_dict(),
            }
        )
    else:
        _print_text(docs, accepted, accepting)
    return EXIT_OK


def _print_text(docs: list[dict[str, Any]], accepted: int, accepting: bool) -> None:
    for d in docs:
        when = f" at {d['t']:g} s" if d["t"] is not None else ""
        print(f"{d['name']}{when}: {len(d['proposals'])} proposal(s)")
        for p in d["proposals"]:
            box = ", ".join(f"{v:.3f}" for v in p["box"])
            mark = "  [tagged]" if p.get("accepted") else ("  [already tagged]" if p.get("tag_id") else "")
            print(f"  {p['kind']:<8} [{box}]  {p['reason']}{mark}")
            for m in p["matches"]:
                title = m.get("title", f"(missing product {m['product_id']})")
                print(f"      {m['score']:.2f}  {title}  {m.get('price_label', '')}  ({m['why']})")
    if accepting:
        print(f"Tagged {accepted} item(s).")
