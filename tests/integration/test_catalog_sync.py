"""Catalog sync over real HTTP to the fake Meta Commerce catalog and the fake Pinterest catalogs API.

What must hold: only changed items are sent; per-item errors come back mapped to product + field;
deletions need confirmation; a dry run sends nothing; a sync stopped mid-way resumes by polling the
batch it left (nothing sent twice); a 429 is waited out and the batch is sent once.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from studio.core.errors import Cancelled
from studio.core.model import Availability, Product, Variant
from studio.core.progress import CancelToken
from studio.core.sync_state import SyncItem, SyncState, meta_scope
from studio.core.workspace import Workspace
from studio.jobs.catalog_sync import build_client, run_sync
from studio.publish.accounts import AccountRegistry
from studio.publish.catalog_sync import CatalogSync
from studio.publish.oauth import TokenSet
from studio.publish.secrets import EncryptedFileStore, SecretStore
from tests.fakes.graph import FakeGraph
from tests.fakes.pinterest import FakePinterest

FAST = {"poll_interval": 0.01, "max_poll_interval": 0.02}


def product(pid: str, price: str = "20.00", variants: int = 0, **kw: Any) -> Product:
    fields: dict[str, Any] = {
        "brand": "Acme",
        "description": "<p>100% <b>linen</b></p>",
        "url": f"https://shop.example/p/{pid}",
        "images": [f"https://cdn.example/{pid}.jpg"],
        "availability": Availability.IN_STOCK,
        **kw,
    }
    p = Product(id=pid, title=f"Linen shirt {pid}", price=Decimal(price), currency="USD", **fields)
    for i in range(variants):
        p.variants.append(
            Variant(id=f"{pid}-v{i}", sku=f"{pid}-S{i}", options={"Size": "SML"[i % 3]}, position=i)
        )
    return p


def catalog() -> list[Product]:
    return [
        product("P1"),
        product("P2", variants=3),
        product("P3", price="5.50"),
        product("BAD", url=""),  # no shop link: blocked locally
    ]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    with Workspace.create(root, name="Sync") as w:
        w.catalog.upsert(catalog(), "test")
    return root


@dataclass
class Fakes:
    graph: FakeGraph
    pinterest: FakePinterest


@pytest.fixture
def fake_platforms(
    fake_graph: FakeGraph, fake_pinterest: FakePinterest, monkeypatch: pytest.MonkeyPatch
) -> Fakes:
    """Graph + Pinterest with the studio's base-URL overrides (no S3: a sync uploads nothing)."""
    for fake in (fake_graph, fake_pinterest):
        for key, value in fake.env.items():
            monkeypatch.setenv(key, value)
    return Fakes(fake_graph, fake_pinterest)


@pytest.fixture
def registry(fake_platforms: Any, tmp_path: Path) -> AccountRegistry:
    store = SecretStore(
        EncryptedFileStore("test-passphrase", tmp_path / "app" / "secrets.enc", scrypt_n=2**10)
    )
    reg = AccountRegistry(store, tmp_path / "app" / "accounts.json")
    g = fake_platforms.graph
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=g.ig_user_id,
        name="Shop IG",
        tokens=TokenSet(g.user_token, None, None),
    )
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="u1",
        name="Shop Pins",
        tokens=TokenSet(fake_platforms.pinterest.access_token, None, None),
    )
    return reg


def sync(
    ws: Path, registry: AccountRegistry, to: str = "meta", sleeps: list[float] | None = None, **kw: Any
) -> Any:
    waits = sleeps if sleeps is not None else []
    return run_sync(
        ws,
        to,
        registry=registry,
        session_kwargs={"sleep": waits.append},
        engine_kwargs={**FAST, **kw.pop("engine", {})},
        **kw,
    )


def edit(ws: Path, *products: Product, delete: tuple[str, ...] = ()) -> None:
    with Workspace.open(ws) as w:
        if products:
            w.catalog.upsert(list(products), "test")
        if delete:
            w.catalog.delete(delete)


META_IDS = {"P1", "P2-S0", "P2-S1", "P2-S2", "P3"}


# --- Meta ------------------------------------------------------------------------------------------


def test_meta_first_sync_then_only_changes(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    g = fake_platforms.graph
    cat = g.catalog_state
    report = sync(ws, registry)
    assert report.state == "done"
    assert set(cat.catalog(g.catalog_id)) == META_IDS
    assert (report.sent, report.created, report.confirmed, report.blocked) == (5, 5, 5, 1)
    item = cat.catalog(g.catalog_id)["P2-S1"]
    assert item["price"] == "20.00 USD" and item["item_group_id"] == "P2" and item["size"] == "M"
    assert item["description"] == "100% linen"
    assert {m for _h, m, _rid in cat.received} == {"UPDATE"}  # never CREATE: repeating is safe

    posts = len(g.requests_to("POST", "items_batch"))
    again = sync(ws, registry)
    assert (again.sent, again.unchanged) == (0, 5)
    assert len(g.requests_to("POST", "items_batch")) == posts  # nothing changed: nothing sent

    edit(ws, product("P3", price="6.00"))
    cat.received.clear()
    third = sync(ws, registry)
    assert cat.sent_ids() == ["P3"] and (third.updated, third.created) == (1, 0)
    assert cat.catalog(g.catalog_id)["P3"]["price"] == "6.00 USD"


def test_meta_errors_are_mapped_to_product_and_field(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    g = fake_platforms.graph
    g.catalog_state.reject["P2-S2"] = 'Invalid "image_link": the image could not be downloaded'
    report = sync(ws, registry)
    assert report.errors == 1 and report.confirmed == 4
    platform = [p for p in report.problems if p.source == "platform"]
    assert [(p.product_id, p.variant_id, p.field) for p in platform] == [("P2", "P2-v2", "image_link")]
    local = [p for p in report.problems if p.source == "local" and p.severity == "error"]
    assert [(p.product_id, p.field) for p in local] == [("BAD", "link")]

    # the rejected item is not confirmed: the next sync tries it again, and once it passes the problem goes
    del g.catalog_state.reject["P2-S2"]
    g.catalog_state.received.clear()
    again = sync(ws, registry)
    assert g.catalog_state.sent_ids() == ["P2-S2"] and again.errors == 0
    assert not [p for p in again.problems if p.source == "platform"]


def test_meta_deletions_need_confirmation(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    g = fake_platforms.graph
    sync(ws, registry)
    edit(ws, delete=("P1",))
    dry = sync(ws, registry, dry_run=True)
    assert dry.deletions == ["P1"] and dry.deleted == 0
    listed = sync(ws, registry)
    assert listed.deletions == ["P1"] and "P1" in g.catalog_state.catalog(g.catalog_id)
    assert not g.catalog_state.sent_ids("DELETE")
    done = sync(ws, registry, confirm_deletes=True)
    assert done.deleted == 1 and "P1" not in g.catalog_state.catalog(g.catalog_id)
    assert g.catalog_state.sent_ids("DELETE") == ["P1"]
    with SyncState.for_workspace(ws) as state:
        assert state.count(meta_scope(g.catalog_id)) == 4


def test_dry_run_sends_nothing(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    g = fake_platforms.graph
    report = sync(ws, registry, dry_run=True)
    assert report.dry_run and report.sent == 5 and sorted(report.would_send) == sorted(META_IDS)
    assert [(p.product_id, p.field) for p in report.problems if p.severity == "error"] == [("BAD", "link")]
    assert not g.requests_to("POST") and not g.catalog_state.received
    with SyncState.for_workspace(ws) as state:
        assert state.count(meta_scope(g.catalog_id)) == 0 and not state.problems(meta_scope(g.catalog_id))


def test_resume_after_a_kill_polls_instead_of_resending(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    g = fake_platforms.graph
    g.catalog_state.batch_polls = 3  # the first batch is still processing when the sync is killed
    client, _target = build_client("meta", registry, session_kwargs={"sleep": lambda s: None})
    cancel = CancelToken()
    real_submit = client.submit

    def submit_then_die(op: str, fragments: Any) -> Any:
        answer = real_submit(op, fragments)
        cancel.cancel()  # the process "dies" right after the platform took the first batch
        return answer

    client.submit = submit_then_die  # type: ignore[method-assign]
    with Workspace.open(ws, write=False) as w, SyncState.for_workspace(ws) as state:
        engine = CatalogSync(client, state, project=w.project, batch_items=2, **FAST)
        with pytest.raises(Cancelled):
            engine.run(w.catalog.all(), cancel=cancel)
        pending = state.batches(client.scope)
        assert len(pending) == 1 and pending[0].handle is not None
        w.catalog.close_thread()
    first = list(g.catalog_state.received)
    assert len(first) == 2

    report = sync(ws, registry, engine={"batch_items": 2})  # a new process: new session, state, engine
    assert report.resumed == 1 and report.confirmed == 5
    handle = pending[0].handle
    assert any(r.query.get("handle") == handle for r in g.requests_to("GET", "check_batch_request_status"))
    counts = Counter(rid for _h, _m, rid in g.catalog_state.received)
    assert set(counts) == META_IDS and max(counts.values()) == 1  # nothing sent twice
    with SyncState.for_workspace(ws) as state:
        assert state.batches(meta_scope(g.catalog_id)) == []


def test_batch_killed_mid_request_is_compared_again(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    """Killed after recording a batch but before its handle came back: the batch is dropped, its items
    are compared again and sent (UPDATE with allow_upsert: harmless if the first request did land)."""
    g = fake_platforms.graph
    with SyncState.for_workspace(ws) as state:
        state.new_batch(meta_scope(g.catalog_id), "upsert", [SyncItem("P1", "P1", None, "old")])
    report = sync(ws, registry)
    assert report.resent == 1 and report.resumed == 0 and report.confirmed == 5
    assert Counter(g.catalog_state.sent_ids()) == Counter(META_IDS)


def test_lost_answer_is_resent_safely(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    """The answer to a batch POST is lost after Meta applied it: the UPDATE is repeated (idempotent)."""
    g = fake_platforms.graph
    g.drop_next(1, after_processing=True, path="items_batch")
    report = sync(ws, registry)
    assert report.state == "done" and report.confirmed == 5
    assert len(g.requests_to("POST", "items_batch")) == 2
    assert set(g.catalog_state.catalog(g.catalog_id)) == META_IDS  # applied twice, still one item each


def test_429_is_honoured(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    g = fake_platforms.graph
    g.fail_next(1, status=429, headers={"Retry-After": "7"}, path="items_batch")
    sleeps: list[float] = []
    report = sync(ws, registry, sleeps=sleeps)
    assert report.confirmed == 5
    assert any(s >= 7 for s in sleeps)  # Retry-After waited out
    posts = g.requests_to("POST", "items_batch")
    assert [r.fault for r in posts] == ["fail", None]
    assert Counter(rid for _h, _m, rid in g.catalog_state.received) == Counter(META_IDS)


def test_batch_error_keeps_items_unconfirmed(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    g = fake_platforms.graph
    g.catalog_state.next_batch_error()
    report = sync(ws, registry)
    assert report.errors == 5 and report.confirmed == 0
    again = sync(ws, registry)
    assert again.confirmed == 5 and again.errors == 0


# --- Pinterest ----------------------------------------------------------------------------------------


def test_pinterest_sync_errors_and_deletes(ws: Path, registry: AccountRegistry, fake_platforms: Any) -> None:
    pin = fake_platforms.pinterest
    st = pin.catalog_state
    st.reject["P3"] = ("image_link", "Image could not be downloaded.")
    report = sync(ws, registry, to="pinterest")
    assert report.confirmed == 4 and report.errors == 1
    items = st.catalog("US", "en-US")
    assert set(items) == META_IDS - {"P3"}
    assert items["P2-S0"]["image_link"] == ["https://cdn.example/P2.jpg"]
    failed = [p for p in report.problems if p.source == "platform"]
    assert [(p.product_id, p.field, p.message) for p in failed] == [
        ("P3", "image_link", "Image could not be downloaded.")
    ]
    body = pin.requests_to("POST", "catalogs/items/batch")[0].json
    assert body["operation"] == "UPSERT" and body["language"] == "en-US" and body["country"] == "US"

    del st.reject["P3"]
    edit(ws, delete=("P2",))
    st.received.clear()
    done = sync(ws, registry, to="pinterest", confirm_deletes=True)
    assert sorted(st.sent_ids("DELETE")) == ["P2-S0", "P2-S1", "P2-S2"] and st.sent_ids("UPSERT") == ["P3"]
    assert done.deleted == 3 and set(st.catalog("US", "en-US")) == {"P1", "P3"}


def test_pinterest_rate_limit_and_lost_batch(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    pin = fake_platforms.pinterest
    pin.fail_next(1, status=429, headers={}, path="catalogs/items/batch$")
    sleeps: list[float] = []
    report = sync(ws, registry, to="pinterest", sleeps=sleeps)
    assert report.confirmed == 5 and sleeps  # waited before resending the refused batch
    assert Counter(st_id for st_id in pin.catalog_state.sent_ids()) == Counter(META_IDS)

    # a batch the platform forgot (404 code 4331): dropped, and the next sync sends its items again
    edit(ws, product("P1", price="25.00"))
    pin.catalog_state.batch_polls = 1
    pin.fail_next(
        1,
        status=404,
        body={"code": 4331, "message": "Sorry! We could not find your batch ID."},
        path="catalogs/items/batch/",
    )
    lost = sync(ws, registry, to="pinterest")
    assert lost.lost == 1 and lost.confirmed == 0
    again = sync(ws, registry, to="pinterest")
    assert again.confirmed == 1 and again.sent == 1


def test_whole_batch_refusal_is_narrowed_to_the_item(
    ws: Path, registry: AccountRegistry, fake_platforms: Any
) -> None:
    pin = fake_platforms.pinterest
    pin.catalog_state.poison.add("P2-S1")
    report = sync(ws, registry, to="pinterest")
    assert report.confirmed == 4 and report.errors == 1
    bad = [p for p in report.problems if p.source == "platform"]
    assert [(p.product_id, p.variant_id) for p in bad] == [("P2", "P2-v1")]
    assert "items.0.attributes.price" in bad[0].message
    assert len(pin.requests_to("POST", "catalogs/items/batch")) <= 7  # halvings, not one request per item


# --- CLI ------------------------------------------------------------------------------------------------


def test_cli_dry_run_json(
    ws: Path, fake_platforms: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from studio.cli import main

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("STUDIO_SECRETS_PASSPHRASE", "cli test passphrase")
    reg = AccountRegistry(SecretStore.open(passphrase="cli test passphrase"))
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=fake_platforms.graph.ig_user_id,
        name="Shop IG",
        tokens=TokenSet(fake_platforms.graph.user_token, None, None),
    )
    code = main(["catalog", "sync", "--to", "meta", "--dry-run", "--json", "-w", str(ws)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["dry_run"] and doc["sent"] == 5 and doc["blocked"] == 1
    assert not fake_platforms.graph.requests_to("POST")
    code = main(["catalog", "sync", "--to", "pinterest", "--json", "-w", str(ws)])
    assert code == 2  # no Pinterest account connected: a usage error naming what to do
    assert "accounts connect pinterest" in capsys.readouterr().err
