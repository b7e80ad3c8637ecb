"""The import job: report shape, idempotent re-import, prune, progress, cancel, bounded memory."""

from __future__ import annotations

import threading
import tracemalloc
from pathlib import Path

import pytest

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled, InputError, UsageError
from studio.core.progress import CancelToken
from studio.jobs.import_catalog import import_catalog

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"
STORE_URL = "https://shop.example.com"


@pytest.fixture
def store(tmp_path: Path):
    with CatalogStore(tmp_path / "catalog.sqlite") as s:
        yield s


def feed(tmp_path: Path, n: int, *, start: int = 0, name: str = "feed.csv", bad_price: bool = False) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,title,description,availability,price,link,image_link\n")
        for i in range(start, start + n):
            price = "n/a" if bad_price else f"{i % 90 + 10}.00 USD"
            fh.write(
                f"P{i},Produit numéro {i},Une description assez longue pour compter {i},in stock,{price},"
                f"https://shop.example.com/p/{i},https://cdn.example.com/{i}.jpg\n"
            )
    return path


def test_report_dict_has_the_documented_shape(store: CatalogStore) -> None:
    doc = import_catalog(DATA / "shopify_current.csv", store, store_url=STORE_URL, currency="EUR").to_dict()
    assert doc["format"] == "shopify"
    assert doc["products"] == {"created": 3, "updated": 0, "unchanged": 0, "pruned": 0}
    assert doc["variants"] == 3
    assert doc["problems"] == [] and doc["problems_omitted"] == 0
    assert doc["rows"] == 6 and doc["encoding"] == "utf-8-sig" and doc["delimiter"] == "comma"

    bad = import_catalog(DATA / "meta_bad_rows.csv", store, currency="USD").to_dict()
    assert set(bad["problems"][0]) == {"row", "field", "value", "message", "hint", "severity"}
    assert {p["severity"] for p in bad["problems"]} == {"error", "warning"}


@pytest.mark.parametrize(
    "name", ["shopify_current.csv", "shopify_legacy.csv", "meta.csv", "pinterest.tsv", "google.tsv"]
)
def test_reimport_is_idempotent(store: CatalogStore, name: str) -> None:
    first = import_catalog(DATA / name, store, store_url=STORE_URL, currency="USD")
    count, variants = store.count(), store.variant_count()
    second = import_catalog(DATA / name, store, store_url=STORE_URL, currency="USD")
    assert first.created == count > 0
    assert (second.created, second.updated, second.unchanged) == (0, 0, count)
    assert (store.count(), store.variant_count()) == (count, variants)
    assert second.variants == first.variants == variants


def test_changed_rows_update_in_place_and_prune_removes_missing(store: CatalogStore, tmp_path: Path) -> None:
    import_catalog(feed(tmp_path, 10), store)
    changed = tmp_path / "changed.csv"
    changed.write_text(
        feed(tmp_path, 6, name="six.csv").read_text().replace("Produit numéro 5,", "Produit renommé 5,")
    )
    kept = import_catalog(changed, store)
    assert (kept.created, kept.updated, kept.unchanged, kept.pruned) == (0, 1, 5, 0)
    assert store.count() == 10  # missing products are kept without prune
    pruned = import_catalog(changed, store, prune=True)
    assert (pruned.unchanged, pruned.pruned) == (6, 4)
    assert store.ids() == {f"P{i}" for i in range(6)}
    assert store.get("P5").title == "Produit renommé 5"  # type: ignore[union-attr]


def test_shopify_without_store_url_is_stored_flagged(store: CatalogStore) -> None:
    report = import_catalog(DATA / "shopify_legacy.csv", store, currency="USD")
    assert report.created == 2
    assert store.get("wool-scarf").flags == ["no_link"]  # type: ignore[union-attr]
    assert [p["severity"] for p in report.to_dict()["problems"]] == ["warning", "warning"]


def test_non_adjacent_group_rows_are_merged_with_a_warning(store: CatalogStore, tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    rows = ["id,title,price,item_group_id,size,link"]
    rows += [f"G1-{s},Dress,10.00 USD,G1,{s},https://e.com/g1" for s in ("S", "M")]
    rows += [f"X{i},Filler {i},1.00 USD,,,https://e.com/x{i}" for i in range(5)]
    rows += ["G1-L,Dress,10.00 USD,G1,L,https://e.com/g1"]  # record 9
    path.write_text("\n".join(rows) + "\n")
    for batch_size in (3, 100):  # across batches and within one batch
        report = import_catalog(path, store, batch_size=batch_size)
        assert [v.id for v in store.get("G1").variants] == ["G1-S", "G1-M", "G1-L"]  # type: ignore[union-attr]
        assert [(p.row, p.severity) for p in report.problems] == [(9, "warning")]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)


def test_progress_is_in_bytes_and_throttled(store: CatalogStore, tmp_path: Path) -> None:
    path = feed(tmp_path, 5000)
    calls: list[tuple[int, int, str]] = []
    import_catalog(path, store, progress=lambda d, t, m: calls.append((d, t, m)))
    size = path.stat().st_size
    assert all(total == size for _done, total, _msg in calls)
    assert calls[0][0] == 0 and calls[-1][0] == size
    assert [d for d, _t, _m in calls] == sorted(d for d, _t, _m in calls)
    assert len(calls) < 100  # not one per row


def test_cancel_keeps_committed_batches_only(
    store: CatalogStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = feed(tmp_path, 2000)
    token = CancelToken()
    upsert = store.upsert

    def upsert_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        stats = upsert(*args, **kwargs)
        token.cancel()  # the user clicks Cancel while the second batch is being read
        return stats

    monkeypatch.setattr(store, "upsert", upsert_then_cancel)
    with pytest.raises(Cancelled, match="300 products saved"):
        import_catalog(path, store, cancel=token, batch_size=300, prune=True)
    monkeypatch.undo()
    assert store.count() == 300  # the first batch, committed; the batch being read was discarded
    # finishing the import later: what was saved counts as unchanged
    report = import_catalog(path, store)
    assert (report.created, report.unchanged) == (1700, 300)


def test_cancel_before_anything_is_written(store: CatalogStore, tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        import_catalog(feed(tmp_path, 1000), store, cancel=token)
    assert store.count() == 0


def test_problem_list_is_capped(store: CatalogStore, tmp_path: Path) -> None:
    report = import_catalog(feed(tmp_path, 1500, bad_price=True), store)
    doc = report.to_dict()
    assert len(doc["problems"]) == 1000 and doc["problems_omitted"] == 500 and doc["errors"] == 1500
    assert doc["problems"][-1]["row"] == 1001


def test_import_from_a_worker_thread(store: CatalogStore) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            import_catalog(DATA / "meta.csv", store)
            store.close_thread()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert errors == []
    assert [p.id for p in store.search("robe ete")] == ["DRESS-1"]


def test_bad_arguments_and_missing_files(store: CatalogStore, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        import_catalog(tmp_path / "nope.csv", store)
    with pytest.raises(UsageError):
        import_catalog(DATA / "meta.csv", store, currency="DOLLARS")
    with pytest.raises(UsageError):
        import_catalog(DATA / "meta.csv", store, store_url="javascript:alert(1)")
    with pytest.raises(UsageError):
        import_catalog(DATA / "meta.csv", store, format="csv")


@pytest.mark.slow
def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        path = feed(tmp_path, n, name=f"feed{n}.csv")
        with CatalogStore(tmp_path / f"c{n}.sqlite") as s:
            tracemalloc.start()
            import_catalog(path, s, batch_size=100)
            _current, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return top

    peak(300)  # warm up: first-use allocations (imports, caches) are not what is measured
    small, large = peak(2500), peak(7500)  # both larger than the 256 KiB read buffer
    assert large < small * 1.25, (small, large)
