"""The product image index: what every catalog photo looks like, ready for matching.

Per product image (its photos and its variants' photos, up to `MAX_IMAGES`) the index keeps an
appearance embedding, a colour descriptor, and — for textured photos only — ORB keypoints with
the product's region in the photo, plus the product's category prior (top / bottom / shoe / bag /
hat / home …) derived from its type, tags and title.

Storage: one SQLite file (`cache/vision/index.sqlite`, WAL) with the arrays as BLOBs. Why SQLite
rather than an .npz: indexing is incremental and resumable, so it must commit batch by batch and
survive a kill at any moment; each batch is one transaction (atomic), and an unchanged product
(same images, type, tags and embedder: its fingerprint) is skipped on the next update. The whole
index is loaded into numpy arrays (`IndexData`) for matching; the load is cached per index
generation so a scene search does not touch the database.

Images come through `ImageFetcher` (local files or polite, cached downloads). A product whose
images all fail is recorded with its error and reported in `IndexReport.failed`; it never stops
the run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from studio.core.catalog_store import CatalogStore
from studio.core.errors import Cancelled, StudioError, Where, WorkspaceError
from studio.core.model import Product
from studio.core.progress import CancelToken, ProgressFn
from studio.core.sqlite_tx import immediate
from studio.vision import colour, features
from studio.vision.fetch import FetchError, ImageFetcher

INDEX_VERSION = 1
SCHEMA_VERSION = 1
INDEX_DIR = "vision"
INDEX_FILE = "index.sqlite"
IMAGES_DIR = "images"
MAX_IMAGES = 6  # per product (its images + distinct variant images)
BATCH = 32  # products per transaction (and per embedding batch)
TEXTURED = 0.5  # texture_score at or above which keypoints are kept

CancelLike = CancelToken | Callable[[], bool] | None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (
    product_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
    product_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    variant_id TEXT,
    entry TEXT NOT NULL,
    embedding BLOB NOT NULL,
    colour BLOB NOT NULL,
    texture REAL NOT NULL,
    kp_xy BLOB,
    kp_desc BLOB,
    region TEXT NOT NULL,
    embedder TEXT NOT NULL,
    PRIMARY KEY (product_id, ordinal)
) WITHOUT ROWID;
"""


def is_cancelled(cancel: CancelLike) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, CancelToken):
        return cancel.cancelled
    return bool(cancel())


# --- categories -------------------------------------------------------------------------------

CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "hat": ("hat", "cap", "beanie", "beret", "fedora", "bucket hat", "headband"),
    "shoe": (
        "shoe", "sneaker", "boot", "sandal", "heel", "loafer", "trainer", "slipper", "footwear", "mule",
        "pump",
    ),
    "bag": (
        "bag", "handbag", "backpack", "tote", "purse", "clutch", "wallet", "suitcase", "luggage", "satchel",
    ),
    "bottom": ("trouser", "pants", "jeans", "shorts", "skirt", "legging", "chino", "jogger", "bottoms"),
    "dress": ("dress", "jumpsuit", "romper", "overall"),
    "top": (
        "shirt", "t-shirt", "tee", "top", "blouse", "sweater", "hoodie", "jacket", "coat", "cardigan",
        "jumper", "polo", "tank", "sweatshirt", "blazer", "vest", "knitwear", "parka",
    ),
    "home": (
        "mug", "cup", "vase", "bowl", "plate", "lamp", "candle", "pillow", "cushion", "clock", "chair",
        "sofa", "couch", "table", "bottle", "glass", "teapot", "kitchen", "decor", "furniture", "rug",
        "blanket",
    ),
    "electronics": ("phone", "laptop", "headphone", "speaker", "camera", "tablet", "tv", "watch"),
    "book": ("book", "notebook", "journal", "magazine"),
    "accessory": (
        "scarf", "tie", "belt", "umbrella", "sunglasses", "glasses", "jewel", "necklace", "bracelet",
    ),
}  # fmt: skip

#: Detector (COCO) labels and outfit zones → the category they prior.
PROPOSAL_CATEGORIES: dict[str, str] = {
    "hat": "hat", "top": "top", "bottom": "bottom", "shoe": "shoe", "bag": "bag",
    "handbag": "bag", "backpack": "bag", "suitcase": "bag",
    "cup": "home", "wine glass": "home", "bowl": "home", "vase": "home", "clock": "home", "bottle": "home",
    "chair": "home", "couch": "home", "bed": "home", "dining table": "home", "potted plant": "home",
    "laptop": "electronics", "cell phone": "electronics", "tv": "electronics", "keyboard": "electronics",
    "mouse": "electronics", "remote": "electronics",
    "book": "book", "tie": "accessory", "umbrella": "accessory",
}  # fmt: skip

_COMPATIBLE = {("dress", "top"), ("dress", "bottom"), ("top", "dress"), ("bottom", "dress")}


def category_of(product: Product) -> str:
    """A product's category prior from its type, then its tags, then its title ('' when unknown)."""
    for text in (product.product_type, " ".join(product.tags), product.title):
        words = f" {text.lower().replace('-', ' ').replace('/', ' ')} "
        for cat, keys in CATEGORY_WORDS.items():
            if any(f" {k} " in words or f" {k}s " in words or f" {k}es " in words for k in keys):
                return cat
    return ""


def category_prior(proposal_category: str, product_category: str) -> float:
    """1 when the categories agree, 0.5 when either is unknown, 0 when they disagree."""
    want = PROPOSAL_CATEGORIES.get(proposal_category, proposal_category)
    if not want or not product_category:
        return 0.5
    if want == product_category or (want, product_category) in _COMPATIBLE:
        return 1.0
    return 0.0


# --- appearance embedding (the real model, or a clearly named fallback) -------------------------


class EmbedFn(Protocol):
    name: str

    def embed(self, crops: list[np.ndarray]) -> np.ndarray: ...


class HogColourEmbedder:
    """Fallback appearance descriptor when the MobileNetV2 model file is not installed.

    HOG of a 64×64 grey thumbnail (shape and texture layout) concatenated with the colour
    histogram, L2-normalized. Much weaker than the CNN on real photos; good enough that matching
    works (and its tests run) in a source checkout before `packaging/models` has been run.
    """

    name = "hog-colour-1"

    def __init__(self) -> None:
        self._hog = cv2.HOGDescriptor((64, 64), (16, 16), (8, 8), (8, 8), 9)
        self._lock = threading.Lock()

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        rows = []
        for crop in crops:
            grey = cv2.resize(features.to_grey(crop), (64, 64), interpolation=cv2.INTER_AREA)
            with self._lock:
                hog = self._hog.compute(grey).reshape(-1)
            hog = hog / max(1e-6, float(np.linalg.norm(hog)))
            col = colour.descriptor(crop)
            rows.append(np.concatenate([hog * 0.8, col * 0.6]))
        out = np.array(rows, np.float32).reshape(len(crops), -1)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class ModelEmbedder:
    """The bundled MobileNetV2 embedder (studio.vision.embed) under a stable name."""

    name = "mobilenetv2-1"

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        return np.asarray(self._inner.embed(crops), np.float32)


_embedder_lock = threading.Lock()
_embedder: EmbedFn | None = None


def default_embedder() -> EmbedFn:
    """The MobileNetV2 embedder when its model file is installed and verifies, else the fallback."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            try:
                from studio.vision import embed, models

                models.session(models.MOBILENET)
                _embedder = ModelEmbedder(embed.Embedder())
            except (ImportError, StudioError, AttributeError):
                _embedder = HogColourEmbedder()
        return _embedder


# --- describing one image ---------------------------------------------------------------------


@dataclass(slots=True)
class Described:
    """Everything the index keeps about one product image (embedding added by the batch)."""

    crop: np.ndarray  # the product region, RGB (for the embedder)
    colour: np.ndarray
    texture: float
    keypoints: features.Keypoints | None
    region: tuple[int, int, int, int]


def decode(data: bytes) -> np.ndarray:
    """Image bytes → RGB uint8 (EXIF orientation applied); raises ValueError when undecodable."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        from io import BytesIO

        from PIL import Image, ImageOps

        try:
            with Image.open(BytesIO(data)) as img:
                return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
        except Exception as exc:  # Pillow raises many types for bad data
            raise ValueError(f"not a readable image ({type(exc).__name__})") from None
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def describe_image(rgb: np.ndarray) -> Described:
    """Resize a product photo, find the product region, colour, texture and (if textured) keypoints."""
    h, w = rgb.shape[:2]
    scale = features.PRODUCT_SIDE / max(h, w)
    if scale < 1:
        rgb = cv2.resize(
            rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    mask = colour.product_mask(rgb)
    x, y, bw, bh = cv2.boundingRect(mask)
    if bw < 4 or bh < 4:
        x, y, bw, bh = 0, 0, rgb.shape[1], rgb.shape[0]
    region = (x, y, x + bw, y + bh)
    crop = rgb[y : y + bh, x : x + bw]
    col = colour.descriptor(crop, mask[y : y + bh, x : x + bw])
    kp = features.extract(features.to_grey(rgb), features.PRODUCT_FEATURES, mask)
    texture = features.texture_score(kp, rgb.shape, region)
    return Described(np.ascontiguousarray(crop), col, texture, kp if texture >= TEXTURED else None, region)


# --- the index --------------------------------------------------------------------------------


@dataclass(slots=True)
class IndexReport:
    """What an update did. `failed` lists (product id, message) for products that could not be indexed."""

    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    images: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    embedder: str = ""

    @property
    def products_per_second(self) -> float:
        return self.indexed / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "images": self.images,
            "failed": [{"product_id": p, "error": e} for p, e in self.failed],
            "total": self.total,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
            "embedder": self.embedder,
        }


@dataclass(slots=True)
class IndexData:
    """The index in memory: one row per product image."""

    product_ids: list[str]
    variant_ids: list[str | None]
    categories: list[str]
    embeddings: np.ndarray  # N×D float32, L2-normalized
    colours: np.ndarray  # N×C float32
    textures: np.ndarray  # N float32
    keypoints: dict[int, features.Keypoints]  # row -> keypoints (textured rows only)
    regions: list[tuple[int, int, int, int]]
    embedder: str
    _pool: features.FeaturePool | None = None
    _pool_rows: list[int] = field(default_factory=list)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return len(self.product_ids)

    def pool(self) -> tuple[features.FeaturePool, list[int]]:
        """The LSH pool of textured rows (built on first use) and the index row of each pool item."""
        with self._pool_lock:
            if self._pool is None:
                rows = sorted(self.keypoints)
                self._pool = features.FeaturePool(
                    [self.keypoints[r] for r in rows], [self.regions[r] for r in rows]
                )
                self._pool_rows = rows
            return self._pool, self._pool_rows


def _fingerprint(product: Product, entries: list[tuple[str, str | None]], embedder: str) -> str:
    text = repr((INDEX_VERSION, embedder, entries, product.product_type, product.tags, product.title))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def image_entries(product: Product) -> list[tuple[str, str | None]]:
    """(image entry, variant id or None) to index for a product: its images, then variant images."""
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for entry in product.images:
        if entry and entry not in seen:
            seen.add(entry)
            out.append((entry, None))
    for v in product.variants:
        if v.image and v.image not in seen:
            seen.add(v.image)
            out.append((v.image, v.id))
    return out[:MAX_IMAGES]


class ProductIndex:
    """The workspace's product image index (see module doc). Usable from several threads."""

    def __init__(self, folder: Path, *, root: Path | None = None, embedder: EmbedFn | None = None) -> None:
        self.folder = folder
        self.path = folder / INDEX_FILE
        self.root = root
        self._embedder = embedder
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._data: IndexData | None = None
        self._generation = 0
        self._data_generation = -1
        try:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                self._init_schema()
            except sqlite3.DatabaseError:
                # A cache: a damaged file or one from another version is rebuilt, never repaired.
                self.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                self._init_schema()
        except (OSError, sqlite3.Error) as exc:
            raise WorkspaceError(
                f"the product image index cannot be opened ({exc})",
                where=Where(file=str(self.path)),
                hint="the cache folder is safe to delete; delete it and index again",
            ) from None

    def _init_schema(self) -> None:
        conn = self._conn()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"index schema {version}")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def open(
        cls, cache_dir: str | Path, *, root: Path | None = None, embedder: EmbedFn | None = None
    ) -> ProductIndex:
        """Open (or create) the index under a workspace's cache folder.

        `root` resolves relative image paths (defaults to the cache folder's parent: the workspace).
        """
        cache_dir = Path(cache_dir)
        return cls(cache_dir / INDEX_DIR, root=root or cache_dir.parent, embedder=embedder)

    @property
    def embedder(self) -> EmbedFn:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared between threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so close() can close every thread's connection.
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close_thread(self) -> None:
        """Close the calling thread's connection (a worker thread about to end calls this)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with self._lock:
                self._connections = [c for c in self._connections if c is not conn]
            conn.close()

    def close(self) -> None:
        """Close every thread's connection; call when no other thread is using the index."""
        with self._lock:
            conns, self._connections = self._connections, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def count(self) -> int:
        """Products with at least one indexed image."""
        return int(self._conn().execute("SELECT count(DISTINCT product_id) FROM images").fetchone()[0])

    def failures(self) -> list[tuple[str, str]]:
        rows = self._conn().execute(
            "SELECT product_id, error FROM products WHERE status = 'failed' ORDER BY 1"
        )
        return [(str(a), str(b)) for a, b in rows]

    # --- updating -----------------------------------------------------------------------

    def update(
        self,
        catalog: CatalogStore | Iterable[Product],
        *,
        progress: ProgressFn | None = None,
        cancel: CancelLike = None,
        fetcher: ImageFetcher | None = None,
        workers: int = 2,
    ) -> IndexReport:
        """Bring the index up to date with the catalog; unchanged products are skipped.

        Commits every `BATCH` products, so a cancel or a kill keeps what was done; raises
        `Cancelled` when cancelled (after committing). Per-product failures are in the report.
        """
        started = time.perf_counter()
        report = IndexReport(embedder=self.embedder.name)
        fetcher = fetcher or ImageFetcher(self.folder / IMAGES_DIR, root=self.root)
        if isinstance(catalog, CatalogStore):
            total = catalog.count()
            products: Iterable[Product] = catalog.all()
        else:
            products = list(catalog)
            total = len(products)
        report.total = total
        conn = self._conn()
        known = {
            str(p): (str(f), str(s))
            for p, f, s in conn.execute("SELECT product_id, fingerprint, status FROM products")
        }
        seen: set[str] = set()
        pending: list[tuple[Product, list[tuple[str, str | None]], str]] = []
        done = 0
        pool = ThreadPoolExecutor(max_workers=max(1, workers)) if workers > 1 else None
        try:
            for product in products:
                seen.add(product.id)
                entries = image_entries(product)
                fp = _fingerprint(product, entries, self.embedder.name)
                old = known.get(product.id)
                if old is not None and old[0] == fp and old[1] == "ok":
                    report.unchanged += 1
                    done += 1
                    if progress and done % 500 == 0:
                        progress(done, total, f"checked {done} products")
                    if done % 500 == 0 and is_cancelled(cancel):
                        report.cancelled = True
                        break
                    continue
                pending.append((product, entries, fp))
                if len(pending) >= BATCH:
                    done += len(pending)
                    self._index_batch(pending, fetcher, report, pool)
                    pending = []
                    if progress:
                        progress(done, total, f"indexed {report.indexed} products")
                    if is_cancelled(cancel):
                        report.cancelled = True
                        break
            if pending and not report.cancelled:
                done += len(pending)
                self._index_batch(pending, fetcher, report, pool)
            if not report.cancelled:
                gone = [pid for pid in known if pid not in seen]
                if gone:
                    with self._write() as c:
                        c.executemany("DELETE FROM images WHERE product_id = ?", [(g,) for g in gone])
                        c.executemany("DELETE FROM products WHERE product_id = ?", [(g,) for g in gone])
                    report.removed = len(gone)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            with self._lock:
                self._generation += 1
            report.seconds = time.perf_counter() - started
        if progress:
            progress(done, total, f"indexed {report.indexed} products, {len(report.failed)} failed")
        if report.cancelled:
            raise Cancelled()
        return report

    def _index_batch(
        self,
        batch: list[tuple[Product, list[tuple[str, str | None]], str]],
        fetcher: ImageFetcher,
        report: IndexReport,
        pool: ThreadPoolExecutor | None,
    ) -> None:
        def work(
            item: tuple[Product, list[tuple[str, str | None]], str],
        ) -> tuple[list[tuple[int, str, str | None, Described]], list[str]]:
            _product, entries, _fp = item
            good: list[tuple[int, str, str | None, Described]] = []
            errors: list[str] = []
            for ordinal, (entry, variant) in enumerate(entries):
                try:
                    rgb = decode(fetcher.get(entry))
                    good.append((ordinal, entry, variant, describe_image(rgb)))
                except FetchError as exc:
                    errors.append(exc.message())
                except (ValueError, cv2.error) as exc:
                    errors.append(f"{_short(entry)}: {exc}")
            return good, errors

        results = list(pool.map(work, batch)) if pool is not None else [work(b) for b in batch]
        crops = [d.crop for good, _ in results for (_o, _e, _v, d) in good]
        emb = self.embedder.embed(crops) if crops else np.zeros((0, 1), np.float32)
        now = time.time()
        rows: list[tuple[object, ...]] = []
        products_rows: list[tuple[object, ...]] = []
        k = 0
        for (product, entries, fp), (good, errors) in zip(batch, results, strict=True):
            cat = category_of(product)
            if not entries:
                errors = ["the product has no image"]
            if good:
                products_rows.append((product.id, fp, cat, "ok", "; ".join(errors), now))
                report.indexed += 1
            else:
                products_rows.append((product.id, fp, cat, "failed", "; ".join(errors), now))
                report.failed.append((product.id, "; ".join(errors) or "no usable image"))
            for ordinal, entry, variant, d in good:
                kp = d.keypoints
                rows.append((
                    product.id, ordinal, variant, entry, emb[k].astype(np.float32).tobytes(),
                    d.colour.astype(np.float32).tobytes(), float(d.texture),
                    None if kp is None else kp.xy.astype(np.float32).tobytes(),
                    None if kp is None else kp.desc.tobytes(),
                    ",".join(str(v) for v in d.region), self.embedder.name,
                ))  # fmt: skip
                k += 1
        report.images += len(rows)
        with self._write() as conn:
            conn.executemany("DELETE FROM images WHERE product_id = ?", [(p.id,) for p, _e, _f in batch])
            conn.executemany(
                "INSERT INTO images (product_id, ordinal, variant_id, entry, embedding, colour, texture, "
                "kp_xy, kp_desc, region, embedder) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany("INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?)", products_rows)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', ?)", (self.embedder.name,))

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._conn())

    # --- reading ------------------------------------------------------------------------

    def data(self) -> IndexData:
        """The index as numpy arrays (cached until the next update)."""
        with self._lock:
            if self._data is not None and self._data_generation == self._generation:
                return self._data
            generation = self._generation
        data = self._load()
        with self._lock:
            self._data, self._data_generation = data, generation
        return data

    def _load(self) -> IndexData:
        conn = self._conn()
        cats = dict(conn.execute("SELECT product_id, category FROM products"))
        name = self.embedder.name
        pids: list[str] = []
        vids: list[str | None] = []
        categories: list[str] = []
        embs: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        tex: list[float] = []
        kps: dict[int, features.Keypoints] = {}
        regions: list[tuple[int, int, int, int]] = []
        dim = None
        # Only rows embedded by the current embedder: vectors of another model are not comparable
        # (they are replaced on the next update, which sees a different fingerprint).
        sql = (
            "SELECT product_id, variant_id, embedding, colour, texture, kp_xy, kp_desc, region FROM images "
            "WHERE embedder = ? ORDER BY product_id, ordinal"
        )
        for pid, vid, emb, col, texture, kxy, kdesc, region in conn.execute(sql, (name,)):
            e = np.frombuffer(emb, np.float32)
            if dim is None:
                dim = e.shape[0]
            if e.shape[0] != dim:
                continue  # rows from another embedder mid-migration: re-indexed on the next update
            row = len(pids)
            pids.append(str(pid))
            vids.append(None if vid is None else str(vid))
            categories.append(str(cats.get(pid, "")))
            embs.append(e)
            cols.append(np.frombuffer(col, np.float32))
            tex.append(float(texture))
            if kxy is not None and kdesc is not None:
                xy = np.frombuffer(kxy, np.float32).reshape(-1, 2)
                desc = np.frombuffer(kdesc, np.uint8).reshape(-1, 32)
                kps[row] = features.Keypoints(xy, desc)
            x0, y0, x1, y1 = (int(v) for v in str(region).split(","))
            regions.append((x0, y0, x1, y1))
        return IndexData(
            product_ids=pids,
            variant_ids=vids,
            categories=categories,
            embeddings=np.array(embs, np.float32).reshape(len(pids), dim or 0),
            colours=np.array(cols, np.float32).reshape(len(pids), colour.DIM),
            textures=np.array(tex, np.float32),
            keypoints=kps,
            regions=regions,
            embedder=name,
        )


def _short(entry: str) -> str:
    return entry if len(entry) <= 120 else entry[:117] + "…"
