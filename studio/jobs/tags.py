"""Placing and listing product tags: the rules shared by the CLI and the GUI's undo commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.errors import UsageError, Where
from studio.core.geometry import normalize_box
from studio.core.model import Media, MediaKind, Product, Tag, new_id
from studio.core.money import format_money
from studio.core.workspace import Workspace


def _unit(name: str, value: float) -> float:
    if not (0.0 <= value <= 1.0):
        raise UsageError(
            f"{name}={value} is outside the image",
            where=Where(field=name),
            hint="coordinates are normalized: 0 is the left/top edge, 1 the right/bottom edge",
        )
    return float(value)


def resolve_media(ws: Workspace, ref: str) -> Media:
    media = ws.find_media(ref)
    if media is None:
        raise UsageError(
            f"no media '{ref}' in this workspace",
            hint="use a media id or path from `studio tag list`, or add it with `studio media add`",
        )
    return media


def resolve_product(ws: Workspace, ref: str) -> Product:
    product = ws.catalog.find(ref)
    if product is None:
        raise UsageError(
            f"no product with id or SKU '{ref}' in the catalog",
            hint="find it with `studio catalog search`",
        )
    return product


def add_tag(
    ws: Workspace,
    media_ref: str,
    product_ref: str,
    x: float,
    y: float,
    *,
    box: tuple[float, float, float, float] | None = None,
    start: float | None = None,
    end: float | None = None,
    style: str | None = None,
) -> tuple[Media, Tag, Product]:
    """Validate and place one tag; the caller saves the workspace."""
    media = resolve_media(ws, media_ref)
    product = resolve_product(ws, product_ref)
    x, y = _unit("x", x), _unit("y", y)
    if box is not None:
        for name, v in zip(("x0", "y0", "x1", "y1"), box, strict=True):
            _unit(f"box {name}", v)
        box = normalize_box(box)
        if box[0] == box[2] or box[1] == box[3]:
            raise UsageError(
                "the box has no area", where=Where(field="box"), hint="give X0,Y0,X1,Y1 with X0<X1, Y0<Y1"
            )
    if (start is not None or end is not None) and media.kind is not MediaKind.VIDEO:
        raise UsageError(
            f"{media.name} is a photo; --from/--to only apply to videos", where=Where(field="from/to")
        )
    if media.kind is MediaKind.VIDEO:
        duration = media.duration or 0.0
        s = 0.0 if start is None else float(start)
        e = duration if end is None else float(end)
        if s < 0 or (duration and e > duration + 1e-6) or e <= s:
            raise UsageError(
                f"time range {s:g}–{e:g} s does not fit the video ({duration:.2f} s)",
                where=Where(field="from/to"),
                hint="use 0 ≤ --from < --to ≤ the video's duration",
            )
    variant_id = next((v.id for v in product.variants if v.sku and v.sku == product_ref), None)
    tag = Tag(
        id=new_id("tag"),
        product_id=product.id,
        x=x,
        y=y,
        box=box,
        variant_id=variant_id,
        style=style or ws.project.label_style.preset,
        start=start,
        end=end,
    )
    media.tags.append(tag)
    return media, tag, product


@dataclass(slots=True)
class TagRow:
    media: Media
    tag: Tag
    product: Product | None

    def to_dict(self, locale: str) -> dict[str, Any]:
        t, p = self.tag, self.product
        row: dict[str, Any] = {
            "id": t.id,
            "media_id": self.media.id,
            "media": self.media.path,
            "product_id": t.product_id,
            "variant_id": t.variant_id,
            "x": t.x,
            "y": t.y,
            "box": list(t.box) if t.box else None,
            "style": t.style,
            "from": t.start,
            "to": t.end,
        }
        if p is not None:
            row.update(
                title=p.title,
                sku=p.sku,
                price=format(p.price, "f"),
                currency=p.currency,
                price_label=format_money(p.price, p.currency, locale),
            )
        else:
            row["missing_product"] = True
        return row


def list_tags(ws: Workspace, media_ref: str | None = None) -> list[TagRow]:
    medias = [resolve_media(ws, media_ref)] if media_ref else ws.project.media
    rows: list[TagRow] = []
    cache: dict[str, Product | None] = {}
    for m in medias:
        for t in m.tags:
            if t.product_id not in cache:
                cache[t.product_id] = ws.catalog.get(t.product_id)
            rows.append(TagRow(m, t, cache[t.product_id]))
    return rows
