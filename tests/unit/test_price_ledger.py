"""Price ledger: exports and posts remember the prices they showed; `stale` finds what is now wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from studio.core.model import Availability, Media, MediaKind, Product, Tag, Variant
from studio.core.price_ledger import (
    LEDGER_FILE,
    PRICE_CHANGED,
    PRODUCT_REMOVED,
    UNAVAILABLE,
    PriceLedger,
    shown_for_media,
    stale,
    summary,
)
from studio.core.workspace import Workspace
from studio.jobs.export_batch import export_batch
from studio.render.presets import ExportPreset

SQUARE = ExportPreset("sq", "Square", "instagram", 96, 96, max_bytes=8_000_000)


def catalog(price: str = "89.00", availability: Availability = Availability.IN_STOCK) -> list[Product]:
    return [
        Product(
            "shirt",
            "Linen shirt",
            Decimal(price),
            "EUR",
            url="https://shop.example/shirt",
            availability=availability,
            variants=[
                Variant("shirt/m", sku="S-M", options={"Size": "M"}),
                Variant("shirt/l", sku="S-L", options={"Size": "L"}, price=Decimal("95.00")),
            ],
        ),
        Product("vase", "Edge vase", Decimal("24.50"), "EUR", availability=Availability.IN_STOCK),
    ]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.create(tmp_path / "ws", currency="EUR")
    w.catalog.upsert(catalog(), "test")
    for n, (pid, vid) in enumerate((("shirt", "shirt/l"), ("vase", None))):
        Image.new("RGB", (120, 90), (90 + 40 * n, 120, 160)).save(w.root / f"p{n}.jpg", quality=90)
        w.project.media.append(
            Media(
                f"m{n}",
                f"p{n}.jpg",
                f"hash{n}",
                MediaKind.IMAGE,
                120,
                90,
                name=f"p{n}.jpg",
                tags=[Tag(f"t{n}", pid, 0.5, 0.5, variant_id=vid)],
            )
        )
    w.save()
    yield w
    w.close()


def _export(ws: Workspace, out: Path) -> None:
    export_batch(ws.root, ws.project, ws.catalog_path, [SQUARE], ["labeled"], out, workers=1)


def test_export_is_recorded_and_a_price_change_makes_it_stale(ws: Workspace, tmp_path: Path):
    out = tmp_path / "out"
    _export(ws, out)
    with PriceLedger.for_workspace(ws.root) as ledger:
        rows = ledger.rows()
    by_tag = {r["tag_id"]: r for r in rows}
    # the labeled image and the tags.json sidecar of each media
    assert len(rows) == 4 and {r["what"] for r in rows} == {"export"}
    assert by_tag["t0"]["price"] == "95.00" and by_tag["t0"]["variant_id"] == "shirt/l"
    assert by_tag["t1"]["price"] == "24.50" and by_tag["t1"]["currency"] == "EUR"
    assert stale(ws) == []

    # re-import with a new price for the variant the photo shows
    changed = catalog()
    changed[0].variants[1].price = Decimal("79.00")
    ws.catalog.upsert(changed, "test")
    items = stale(ws)
    assert {i.reason for i in items} == {PRICE_CHANGED}
    assert {i.media_id for i in items} == {"m0"} and all(i.kind == "export" for i in items)
    first = items[0]
    assert (first.shown_price, first.current_price) == ("95.00", "79.00")
    assert Path(first.ref).exists() and "95.00 EUR" in first.message and "79.00" in first.message
    assert summary(items) == {"export": 2, "post": 0, "media": 0}

    # re-rendering replaces the ledger rows: nothing is stale any more
    _export(ws, out)
    assert stale(ws) == []
    with PriceLedger.for_workspace(ws.root) as ledger:
        assert ledger.count() == 4


def test_unavailable_and_removed_products(ws: Workspace, tmp_path: Path):
    _export(ws, tmp_path / "out")
    sold_out = catalog()
    sold_out[1].availability = Availability.OUT_OF_STOCK
    ws.catalog.upsert(sold_out, "test")
    items = stale(ws)
    reasons = {(i.kind, i.reason) for i in items}
    assert reasons == {("export", UNAVAILABLE), ("media", UNAVAILABLE)}
    assert all(i.product_id == "vase" for i in items)
    assert next(i for i in items if i.kind == "media").ref == "m1"

    ws.catalog.delete(["shirt"])
    removed = [i for i in stale(ws) if i.product_id == "shirt"]
    assert removed and {i.reason for i in removed} == {PRODUCT_REMOVED}


def test_a_deleted_export_file_is_no_longer_reported(ws: Workspace, tmp_path: Path):
    out = tmp_path / "out"
    _export(ws, out)
    ws.catalog.upsert(catalog(price="10.00"), "test")  # the vase keeps its price; the shirt M changes
    changed = catalog()
    changed[0].variants[1].price = Decimal("1.00")
    ws.catalog.upsert(changed, "test")
    assert stale(ws)
    for f in (out / "sq").glob("p0.*"):
        f.unlink()
    assert stale(ws) == []


def test_posts_are_recorded_and_replaced(ws: Workspace):
    products = {p.id: p for p in catalog()}
    rows = shown_for_media(ws.project.media[1], products)
    with PriceLedger.for_workspace(ws.root) as ledger:
        ledger.record_post("job1", rows, platform="pinterest", permalink="https://pin/1", post_id="post1")
        ledger.record_post("job1", rows, platform="pinterest", permalink="https://pin/1", post_id="post1")
        assert ledger.count() == 1
    cheaper = catalog()
    cheaper[1].price = Decimal("19.99")
    ws.catalog.upsert(cheaper, "test")
    items = stale(ws)
    assert len(items) == 1
    post = items[0]
    assert (post.kind, post.platform, post.permalink, post.post_id) == (
        "post",
        "pinterest",
        "https://pin/1",
        "post1",
    )
    assert post.to_dict()["current_price"] == "19.99"
    with PriceLedger.for_workspace(ws.root) as ledger:
        assert ledger.forget("post", "job1") == 1
    assert stale(ws) == []


def test_export_outside_a_workspace_leaves_no_ledger(ws: Workspace, tmp_path: Path):
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "p0.jpg").write_bytes((ws.root / "p0.jpg").read_bytes())
    export_batch(
        bare, ws.project, ws.catalog_path, [SQUARE], ["labeled"], tmp_path / "o2", workers=1, only="tagged"
    )
    assert not (bare / LEDGER_FILE).exists()
