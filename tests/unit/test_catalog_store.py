"""The catalog store: round trips, change detection, exact lookups, forgiving search, threads."""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.catalog_store import CatalogStore, merge_products
from studio.core.errors import UsageError
from studio.core.model import Availability, Product, Variant
from studio.core.text_search import fts_query, index_text


def product(pid: str, title: str, **kw: object) -> Product:
    kw.setdefault("price", Decimal("10.00"))
    kw.setdefault("currency", "USD")
    return Product(id=pid, title=title, **kw)  # type: ignore[arg-type]


def shirt() -> Product:
    return product(
        "chemise-lin-ete",
        "Chemise en lin Été",
        price=Decimal("89.00"),
        compare_at=Decimal("120.00"),
        currency="EUR",
        handle="chemise-lin-ete",
        brand="Atelier Sœur",
        description="Chemise légère en lin lavé.",
        url="https://shop.example.com/products/chemise-lin-ete",
        images=["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"],
        tags=["été", "lin"],
        availability=Availability.IN_STOCK,
        variants=[
            Variant(
                id="chemise-lin-ete/Blue/M",
                sku="LIN-SH-BLU-M",
                title="Blue / M",
                options={"Color": "Blue", "Size": "M"},
                price=Decimal("89.00"),
                gtin="3700000000011",
                availability=Availability.IN_STOCK,
                position=1,
            ),
            Variant(
                id="chemise-lin-ete/White/M",
                sku="LIN-SH-WHT-M",
                title="White / M",
                options={"Color": "White", "Size": "M"},
                price=Decimal("92.50"),
                compare_at=None,
                availability=Availability.OUT_OF_STOCK,
                position=2,
            ),
        ],
    )


def mug() -> Product:
    return product("mug-1", "陶器マグカップ", sku="MUG-001", gtin="4901234567894", handle="mug-ceramique")


@pytest.fixture
def store(tmp_path: Path):
    with CatalogStore(tmp_path / "catalog.sqlite") as s:
        yield s


def test_round_trip_keeps_every_field_and_decimal_text(store: CatalogStore, tmp_path: Path) -> None:
    original = shirt()
    stats = store.upsert([original], "shopify")
    assert (stats.created, stats.updated, stats.unchanged) == (1, 0, 0)
    loaded = store.get("chemise-lin-ete")
    assert loaded == original  # source was stamped on the original too
    assert loaded is not None and loaded.source == "shopify"
    assert isinstance(loaded.price, Decimal) and str(loaded.variants[1].price) == "92.50"
    raw = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert raw.execute("SELECT typeof(price), price FROM products").fetchone() == ("text", "89.00")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_float_prices_are_refused(store: CatalogStore) -> None:
    with pytest.raises(UsageError):
        store.upsert([product("x", "X", price=9.99)], "meta")


def test_unchanged_and_updated_detected_by_fingerprint(store: CatalogStore) -> None:
    store.upsert([shirt(), mug()], "shopify")
    again = store.upsert([shirt(), mug()], "shopify")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = shirt()
    assert changed.variants[1].price is not None
    changed.variants[1].price = Decimal("95.00")  # a variant-only change still counts
    stats = store.upsert([changed, mug()], "shopify")
    assert (stats.created, stats.updated, stats.unchanged) == (0, 1, 1)
    loaded = store.get("chemise-lin-ete")
    assert loaded is not None and loaded.variants[1].price == Decimal("95.00")
    assert store.count() == 2 and store.variant_count() == 2


def test_counts_ids_delete_and_all(store: CatalogStore) -> None:
    store.upsert([product(f"p{i}", f"Product {i}") for i in range(1205)], "meta", batch_size=500)
    assert store.count() == 1205
    assert store.ids() == {f"p{i}" for i in range(1205)}
    assert [p.id for p in store.all(limit=3)] == ["p0", "p1", "p2"]
    assert sum(1 for _ in store.all()) == 1205
    assert store.delete(["p0", "p1", "nope"]) == 2
    assert store.get("p0") is None and store.count() == 1203
    assert all(p.id != "p0" for p in store.search("product 0"))


def test_find_by_id_sku_variant_sku_gtin_handle(store: CatalogStore) -> None:
    store.upsert([shirt(), mug()], "shopify")
    assert store.find("mug-1").id == "mug-1"  # type: ignore[union-attr]
    assert store.find("MUG-001").id == "mug-1"  # type: ignore[union-attr]
    assert store.find("mug-001").id == "mug-1"  # type: ignore[union-attr]  # SKUs ignore case
    assert store.find("lin-sh-wht-m").id == "chemise-lin-ete"  # type: ignore[union-attr]
    assert store.find("3700000000011").id == "chemise-lin-ete"  # type: ignore[union-attr]
    assert store.find("4901234567894").id == "mug-1"  # type: ignore[union-attr]
    assert store.find("mug-ceramique").id == "mug-1"  # type: ignore[union-attr]
    assert store.find("") is None and store.find("nothing") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chemise ete", "chemise-lin-ete"),  # accents ignored
        ("CHEMISE ÉTÉ", "chemise-lin-ete"),
        ("chem", "chemise-lin-ete"),  # prefix while typing
        ("che l", "chemise-lin-ete"),  # every term a prefix
        ("sœur", "chemise-lin-ete"),  # brand, œ folded
        ("マグ", "mug-1"),  # CJK substring
        ("陶器", "mug-1"),
        ("マグカップ", "mug-1"),
        ("LIN-SH-WHT", "chemise-lin-ete"),  # partly typed SKU
        ("white", "chemise-lin-ete"),  # variant title
    ],
)
def test_search_is_forgiving(store: CatalogStore, query: str, expected: str) -> None:
    store.upsert([shirt(), mug(), product("other", "Linen tote bag")], "shopify")
    assert [p.id for p in store.search(query)][:1] == [expected]


def test_cjk_phrase_needs_adjacent_characters(store: CatalogStore) -> None:
    store.upsert([mug()], "shopify")
    assert store.search("マカ") == []  # both characters occur, but not next to each other


def test_exact_identifier_ranks_first(store: CatalogStore) -> None:
    decoy = product("decoy", "MUG-001 compatible lid", description="fits MUG-001 mug-001 MUG 001")
    store.upsert([decoy, mug()], "shopify")
    assert [p.id for p in store.search("MUG-001")][:2] == ["mug-1", "decoy"]
    assert [p.id for p in store.search("4901234567894")] == ["mug-1"]


def test_whole_words_rank_before_prefixes(store: CatalogStore) -> None:
    store.upsert([product("a", "Linen shirt"), product("b", "Chemise en lin")], "shopify")
    assert [p.id for p in store.search("lin")] == ["b", "a"]


def test_search_returns_variants(store: CatalogStore) -> None:
    store.upsert([shirt()], "shopify")
    (found,) = store.search("chemise")
    assert [v.sku for v in found.variants] == ["LIN-SH-BLU-M", "LIN-SH-WHT-M"]


NASTY = ['"', "'", "*", "AND", "OR", "NOT", "-", "--", "(", ")", "NEAR(a b)", "title:x", "^", "{}", "", "   ",
         'a" OR "b', "\x00", "\u200b", "😀", "a" * 5000, "* * *", "lin*", '"chemise']  # fmt: skip


@pytest.mark.parametrize("query", NASTY)
def test_search_never_raises_on_user_input(store: CatalogStore, query: str) -> None:
    store.upsert([shirt(), mug()], "shopify")
    assert isinstance(store.search(query), list)
    store.find(query)  # must not raise either


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_search_never_raises_property(store: CatalogStore, query: str) -> None:
    if store.count() == 0:
        store.upsert([shirt(), mug()], "shopify")
    assert len(store.search(query, limit=5)) <= 5


def test_fts_query_quotes_only_word_tokens() -> None:
    assert fts_query('foo" OR bar* -baz') == '"foo"* "or"* "bar"* "baz"*'
    assert fts_query("***") is None
    assert fts_query("陶器マグ") == '"陶 器 マ グ"*'
    assert index_text("Été Ærø") == "ete aero"


def test_usable_from_another_thread(store: CatalogStore) -> None:
    store.upsert([mug()], "shopify")
    results: list[object] = []

    def work() -> None:
        store.upsert([shirt()], "shopify")
        results.append([p.id for p in store.search("chemise")])
        results.append(store.count())
        store.close_thread()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert results == [["chemise-lin-ete"], 2]
    assert store.get("chemise-lin-ete") is not None  # visible to the creating thread


def test_session_merges_repeated_ids_and_prunes(store: CatalogStore) -> None:
    store.upsert([product("old", "Old product")], "meta")
    group_a = product("G1", "Dress", variants=[Variant(id="G1-S", sku="G1-S", title="S")])
    group_b = product("G1", "Dress", variants=[Variant(id="G1-M", sku="G1-M", title="M")])
    session = store.begin_import()
    first = store.upsert([group_a, product("other", "Other")], "meta", session=session)
    second = store.upsert([group_b], "meta", session=session)
    assert second.repeated == ["G1"]
    assert (session.stats.created, session.stats.updated, session.stats.unchanged) == (2, 0, 0)
    assert first.created == 2
    assert store.prune(session) == 1
    store.end_import(session)
    assert store.ids() == {"G1", "other"}
    merged = store.get("G1")
    assert merged is not None and [v.id for v in merged.variants] == ["G1-S", "G1-M"]

    # the same non-adjacent fragments again: everything unchanged
    session = store.begin_import()
    store.upsert([group_a, product("other", "Other")], "meta", session=session)
    store.upsert([group_b], "meta", session=session)
    assert (session.stats.created, session.stats.updated, session.stats.unchanged) == (0, 0, 2)
    store.end_import(session)


def test_merge_products_keeps_first_fields_and_unions() -> None:
    a = product("x", "First", images=["i1"], flags=["no_link"])
    b = product("x", "Second", url="https://e.com/x", images=["i1", "i2"], brand="B")
    merged = merge_products(a, b)
    assert merged.title == "First" and merged.brand == "B" and merged.url == "https://e.com/x"
    assert merged.images == ["i1", "i2"] and merged.flags == []


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    s = CatalogStore(tmp_path / "c.sqlite")
    s.close()
    with pytest.raises(Exception, match="closed"):
        s.count()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    from studio.core.errors import WorkspaceError

    with pytest.raises(WorkspaceError):
        CatalogStore(bad)
