"""Product image fetcher and index over real HTTP on 127.0.0.1: caching, per-product failures (Qt-free)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.catalog_store import CatalogStore
from studio.core.model import Product, Variant
from studio.vision.fetch import FetchError, ImageFetcher, local_path
from studio.vision.index import HogColourEmbedder, ProductIndex


class _Server:
    def __init__(self, root: Path) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _jpeg(path: Path, colour: tuple[int, int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    img = np.full((200, 200, 3), 255, np.uint8)
    cv2.rectangle(img, (30, 30), (170, 170), colour, -1)
    for _ in range(20):
        x, y = (int(v) for v in rng.integers(35, 165, 2))
        cv2.circle(img, (x, y), int(rng.integers(3, 12)), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[_Server]:
    root = tmp_path / "www"
    _jpeg(root / "img" / "a.jpg", (200, 30, 30), 1)
    _jpeg(root / "img" / "b.jpg", (30, 200, 30), 2)
    _jpeg(root / "img" / "v.jpg", (30, 30, 200), 3)
    srv = _Server(root)
    yield srv
    srv.close()


def _product(pid: str, images: list[str], **kw: object) -> Product:
    return Product(id=pid, title=pid, price=Decimal("1"), currency="USD", images=images, **kw)  # type: ignore[arg-type]


def test_fetcher_caches_by_url_and_names_the_failure(server: _Server, tmp_path: Path) -> None:
    fetcher = ImageFetcher(tmp_path / "cache", min_interval=0)
    url = server.url + "/img/a.jpg"
    first = fetcher.get(url)
    assert first[:2] == b"\xff\xd8"  # a JPEG
    assert fetcher.get(url) == first
    assert server.hits.count("/img/a.jpg") == 1  # the second read came from the disk cache
    assert fetcher.cached_path(url).is_file()
    # a fresh fetcher on the same folder still uses the cache (resumable across runs)
    assert ImageFetcher(tmp_path / "cache", min_interval=0).get(url) == first
    assert server.hits.count("/img/a.jpg") == 1
    with pytest.raises(FetchError) as err:
        fetcher.get(server.url + "/img/missing.jpg?token=s3cret")
    assert "HTTP 404" in str(err.value) and "missing.jpg" in str(err.value)
    assert "s3cret" not in str(err.value)  # signed-URL tokens never reach messages
    assert not fetcher.cached_path(server.url + "/img/missing.jpg?token=s3cret").exists()


def test_local_entries(tmp_path: Path) -> None:
    img = _jpeg(tmp_path / "photos" / "x.jpg", (10, 10, 10), 4)
    fetcher = ImageFetcher(tmp_path / "cache", root=tmp_path)
    assert fetcher.get("photos/x.jpg") == img.read_bytes()
    assert fetcher.get(img.as_uri()) == img.read_bytes()
    assert local_path("https://x.example/a.jpg", tmp_path) is None
    with pytest.raises(FetchError, match="cannot be read"):
        fetcher.get("photos/none.jpg")
    with pytest.raises(FetchError, match="neither a file"):
        fetcher.get("ftp://x.example/a.jpg")


def test_index_reports_a_404_per_product_and_resumes_without_refetching(
    server: _Server, tmp_path: Path
) -> None:
    local = _jpeg(tmp_path / "ws" / "local.jpg", (120, 120, 0), 5)
    catalog = CatalogStore(tmp_path / "catalog.sqlite")
    catalog.upsert(
        [
            _product("good", [server.url + "/img/a.jpg"], product_type="Mug"),
            _product("broken", [server.url + "/img/gone.jpg"]),
            _product("local", [str(local.relative_to(tmp_path / "ws"))], tags=["sneakers"]),
            _product(
                "variants",
                [server.url + "/img/b.jpg"],
                variants=[Variant(id="v1", image=server.url + "/img/v.jpg"), Variant(id="v2")],
            ),
            _product("no-image", []),
        ],
        "test",
    )
    index = ProductIndex.open(tmp_path / "ws" / "cache", embedder=HogColourEmbedder())
    fetcher = ImageFetcher(index.folder / "images", root=tmp_path / "ws", min_interval=0)
    seen: list[tuple[int, int]] = []
    report = index.update(catalog, fetcher=fetcher, progress=lambda d, t, m: seen.append((d, t)))
    assert report.indexed == 3 and report.images == 4
    failed = dict(report.failed)
    assert set(failed) == {"broken", "no-image"}
    assert "HTTP 404" in failed["broken"] and "gone.jpg" in failed["broken"]
    assert "no image" in failed["no-image"]
    assert index.count() == 3
    assert seen[-1] == (5, 5)
    data = index.data()
    assert sorted(set(data.product_ids)) == ["good", "local", "variants"]
    assert data.variant_ids[data.product_ids.index("variants") + 1] == "v1"
    assert data.categories[data.product_ids.index("good")] == "home"
    assert data.categories[data.product_ids.index("local")] == "shoe"

    hits_before = len(server.hits)
    again = index.update(catalog, fetcher=ImageFetcher(index.folder / "images", min_interval=0))
    assert again.unchanged == 3 and again.indexed == 0
    # only the failed product is retried; the good images are neither refetched nor re-indexed
    assert server.hits[hits_before:] == ["/img/gone.jpg"]

    catalog.delete(["good"])
    third = index.update(catalog, fetcher=fetcher)
    assert third.removed >= 1 and index.count() == 2
    index.close()
    catalog.close()


def test_a_damaged_index_file_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "vision"
    folder.mkdir(parents=True)
    (folder / "index.sqlite").write_bytes(b"not a database at all" * 100)
    index = ProductIndex.open(tmp_path / "cache", embedder=HogColourEmbedder())
    assert index.count() == 0
    _jpeg(tmp_path / "a.jpg", (1, 2, 3), 9)
    assert index.update([_product("a", ["a.jpg"])]).indexed == 1
    index.close()


def test_update_in_a_worker_thread_then_close_from_the_main_thread(tmp_path: Path) -> None:
    _jpeg(tmp_path / "a.jpg", (200, 10, 10), 7)
    index = ProductIndex.open(tmp_path / "cache", root=tmp_path, embedder=HogColourEmbedder())
    reports = []
    worker = threading.Thread(target=lambda: reports.append(index.update([_product("a", ["a.jpg"])])))
    worker.start()
    worker.join(30)
    assert reports and reports[0].indexed == 1
    assert index.count() == 1 and index.data().product_ids == ["a"]
    index.close()  # closes the worker's connection too
    reopened = ProductIndex.open(tmp_path / "cache", embedder=HogColourEmbedder())
    assert reopened.count() == 1
    reopened.close()
