"""Catalog matching on generated scenes; the index built incrementally and resumed; rejections (Qt-free).

The product photos and scenes come from the benchmark's seeded generator (benchmarks/shop_the_look.py),
so the test and the benchmark exercise the same kind of data. The appearance embedding is the
HOG + colour fallback here: deterministic and fast, and the keypoint path (what makes textured
products "exact") does not depend on it.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled
from studio.vision import index as index_mod
from studio.vision.index import HogColourEmbedder, ProductIndex, category_prior
from studio.vision.proposals import KIND_OBJECT, KIND_PRODUCT, KIND_USER, WHY_EXACT, Match, Proposal, iou
from studio.vision.shop_the_look import analyze, merge_duplicates, proposal_key

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    name = "stl_bench_generator"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "shop_the_look.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CatalogStore, ProductIndex, dict, Path]]:
    root = tmp_path_factory.mktemp("stl")
    products, items = _bench().make_catalog(root / "photos", 40, seed=11)
    catalog = CatalogStore(root / "catalog.sqlite")
    catalog.upsert(products, "test")
    index = ProductIndex.open(root / "cache", root=root, embedder=HogColourEmbedder())
    index.update(catalog)
    yield catalog, index, items, root
    index.close()
    catalog.close()


def _scenes(items: dict, count: int, seed: int) -> list[tuple[np.ndarray, list]]:
    bench = _bench()
    rng = random.Random(seed)
    bgs = [b for b in bench.backgrounds(rng)][-4:]  # the generated backgrounds: no optional dependency
    textured = [it for it in items.values() if it.textured]
    return [bench.make_scene(rng, bgs, rng.sample(textured, 2)) for _ in range(count)]


def test_textured_products_in_scenes_are_found_top1_and_exact(world) -> None:
    catalog, index, items, _root = world
    hits = total = 0
    for scene, truths in _scenes(items, 4, seed=3):
        proposals = analyze(scene, catalog=catalog, index=index)
        assert all(len(p.matches) <= 5 for p in proposals)
        for item, box in truths:
            total += 1
            near = [p for p in proposals if iou(p.box, box) >= 0.5 and p.matches]
            if near and near[0].matches[0].product_id == item.product_id:
                hits += 1
                assert near[0].matches[0].why == WHY_EXACT
                assert near[0].kind in (KIND_PRODUCT, KIND_OBJECT)
    assert total == 8
    assert hits >= 7, f"{hits}/{total} textured products found top-1"


def test_user_box_is_a_query_and_rejections_drop_pairs(world) -> None:
    catalog, index, items, _root = world
    [(scene, truths)] = _scenes(items, 1, seed=8)
    item, box = truths[0]
    proposals = analyze(scene, catalog=catalog, index=index, user_box=box)
    user = proposals[0]
    assert user.kind == KIND_USER and user.box == pytest.approx(box)
    assert user.best is not None and user.best.product_id == item.product_id and user.best.why == WHY_EXACT
    assert len(user.matches) == 5  # look-alikes fill the rest
    key = proposal_key(user)
    again = analyze(scene, catalog=catalog, index=index, user_box=box, rejected={(key, item.product_id)})
    user2 = next(p for p in again if p.kind == KIND_USER)
    assert proposal_key(user2) == key  # stable across runs
    assert item.product_id not in [m.product_id for m in user2.matches]
    assert len(user2.matches) == 5  # another candidate moves up


def test_plain_product_query_prefers_the_right_colour(world) -> None:
    catalog, index, items, _root = world
    plain = [it for it in items.values() if not it.textured]
    item = plain[0]
    scene = np.full((720, 960, 3), 235, np.uint8)
    scene[100:500, 200:600] = item.image  # the packshot itself, on a light-grey table
    proposals = analyze(
        scene, catalog=catalog, index=index, user_box=(200 / 960, 100 / 720, 600 / 960, 500 / 720)
    )
    user = next(p for p in proposals if p.kind == KIND_USER)
    assert item.product_id in [m.product_id for m in user.matches[:5]]


def test_index_is_incremental_and_resumes_after_cancel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_mod, "BATCH", 4)
    products, _items = _bench().make_catalog(tmp_path / "photos", 12, seed=5)
    catalog = CatalogStore(tmp_path / "catalog.sqlite")
    catalog.upsert(products, "test")
    index = ProductIndex.open(tmp_path / "cache", root=tmp_path, embedder=HogColourEmbedder())
    calls = {"n": 0}

    def cancel_after_first_batch() -> bool:
        calls["n"] += 1
        return calls["n"] >= 1

    with pytest.raises(Cancelled):
        index.update(catalog, cancel=cancel_after_first_batch)
    assert index.count() == 4  # the first batch was committed before the cancel took effect
    # a fresh object on the same folder (a restarted app) resumes: only the rest is indexed
    index.close()
    index = ProductIndex.open(tmp_path / "cache", root=tmp_path, embedder=HogColourEmbedder())
    report = index.update(catalog)
    assert (report.unchanged, report.indexed) == (4, 8) and index.count() == 12
    # a changed product (new image) is re-indexed alone; a removed one leaves the index
    changed = products[3]
    changed.images = [products[5].images[0]]
    catalog.upsert([changed], "test")
    catalog.delete([products[0].id])
    report = index.update(catalog)
    assert (report.indexed, report.unchanged, report.removed) == (1, 10, 1)
    assert index.count() == 11
    # another embedder invalidates every row (its vectors are not comparable)

    class Other(HogColourEmbedder):
        name = "other-1"

    index.close()
    index = ProductIndex.open(tmp_path / "cache", root=tmp_path, embedder=Other())
    assert len(index.data()) == 0  # old vectors are never mixed with the new model's
    assert index.update(catalog).indexed == 11
    assert len(index.data()) == 11
    index.close()
    catalog.close()


def test_merge_and_ordering() -> None:
    a = Proposal((0.1, 0.1, 0.4, 0.5), KIND_OBJECT, "detector: cup", 0.6, "cup", (Match("p1", 0.5),))
    b = Proposal(
        (0.11, 0.1, 0.41, 0.5), KIND_PRODUCT, "catalog photo", 0.9, "", (Match("p2", 0.95, WHY_EXACT),)
    )
    u = Proposal((0.1, 0.1, 0.4, 0.5), KIND_USER, "your box", 1.0, "")
    merged = merge_duplicates([a, b, u])
    assert [p.kind for p in merged] == [KIND_USER, KIND_PRODUCT]
    assert [m.product_id for m in merged[1].matches] == ["p2", "p1"]
    assert proposal_key(a) != proposal_key(b)
    assert category_prior("handbag", "bag") == 1.0 and category_prior("top", "shoe") == 0.0
    assert category_prior("", "shoe") == 0.5


def test_analyze_reports_progress_and_can_be_cancelled(world) -> None:
    catalog, index, _items, _root = world
    scene = np.full((600, 800, 3), 200, np.uint8)
    steps: list[str] = []
    assert analyze(scene, catalog=catalog, index=index, progress=lambda d, t, m: steps.append(m)) == []
    assert steps[0].startswith("reading barcodes") and steps[-1] == "0 suggestions"
    with pytest.raises(Cancelled):
        analyze(scene, catalog=catalog, index=index, cancel=lambda: True)
    assert analyze(scene, catalog=catalog, index=None, user_box=(0.1, 0.1, 0.5, 0.5))[0].matches == ()
