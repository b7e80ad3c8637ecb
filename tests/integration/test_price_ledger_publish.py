"""A post published through the outbox (fake Pinterest sandbox) is remembered by the price ledger,
and a later price change lists it as stale with its permalink."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.core.model import Availability, Media, MediaKind, Product, Tag
from studio.core.post_rules import new_post
from studio.core.price_ledger import LEDGER_FILE, PRICE_CHANGED, PriceLedger, stale
from studio.core.workspace import Workspace
from studio.jobs.publish import default_clients_factory, enqueue_post, run_outbox
from studio.publish.accounts import AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.secrets import EncryptedFileStore, SecretStore


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A small workspace (the demo one costs seconds): one photo, one tagged product."""
    root = tmp_path / "ws"
    with Workspace.create(root, currency="EUR", store_url="https://shop.example.com") as ws:
        ws.catalog.upsert(
            [
                Product(
                    "mug",
                    "Ceramic mug",
                    Decimal("24.50"),
                    "EUR",
                    url="https://shop.example.com/products/mug",
                    availability=Availability.IN_STOCK,
                )
            ],
            "test",
        )
        Image.new("RGB", (1000, 1500), (180, 150, 120)).save(root / "look.jpg", quality=85)
        ws.project.media.append(
            Media(
                "m1",
                "look.jpg",
                "h1",
                MediaKind.IMAGE,
                1000,
                1500,
                name="look.jpg",
                tags=[Tag("t1", "mug", 0.5, 0.5)],
            )
        )
        ws.save()
    return root


def test_published_pin_is_recorded_and_goes_stale(fake_platforms: Any, demo: Path, tmp_path: Path) -> None:
    fp = fake_platforms
    store = SecretStore(EncryptedFileStore("pw", tmp_path / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, tmp_path / "accounts.json")
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="u1",
        name="Shop Pins",
        tokens=TokenSet(fp.pinterest_sandbox.access_token, None, None),
        sandbox=True,
    )
    with Workspace.open(demo) as ws:
        media = next(m for m in ws.project.media if m.kind == "image" and m.tags)
        post = new_post([media.id], ("pinterest",))
        post.caption = "Price check"
        post.platforms["pinterest"] = {"board_id": "Studio picks", "title": "Price check"}
        ws.project.posts.append(post)
        ws.save()
        tagged = {(t.id, t.product_id) for t in media.tags}
    before = (demo / LEDGER_FILE).exists()
    [job] = enqueue_post(demo, post.id, ["pinterest"], accounts={"pinterest": reg.list()[0]})
    summary = run_outbox(
        demo, registry=reg, clients_factory=default_clients_factory(reg), poll_s=0.0, wait_s=5
    )
    assert summary.published == [job]

    with PriceLedger.for_workspace(demo) as ledger:
        rows = [r for r in ledger.rows() if r["what"] == "post"]
    assert not before and (demo / LEDGER_FILE).exists()
    assert {(r["tag_id"], r["product_id"]) for r in rows} == tagged
    assert {r["ref"] for r in rows} == {job} and rows[0]["permalink"].startswith(
        "https://www.pinterest.com/pin/"
    )
    assert rows[0]["platform"] == "pinterest" and rows[0]["post_id"] == post.id

    with Workspace.open(demo) as ws:
        assert [i for i in stale(ws) if i.kind == "post"] == []
        pid = rows[0]["product_id"]
        product = ws.catalog.get(pid)
        assert product is not None
        product.price = product.price + 1
        for v in product.variants:
            if v.price is not None:
                v.price = v.price + 1
        ws.catalog.upsert([product], "edit")
        posts = [i for i in stale(ws) if i.kind == "post"]
    assert posts and {i.reason for i in posts} == {PRICE_CHANGED}
    assert posts[0].permalink == rows[0]["permalink"] and posts[0].product_id == pid
