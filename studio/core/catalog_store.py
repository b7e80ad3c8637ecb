"""The product catalog: SQLite (WAL) with a forgiving FTS5 search.

Tables: `products` (one row per product, prices as TEXT so Decimals never pass through floats),
`variants` (one row per variant) and `products_fts`. Exact identifiers (SKU, variant SKU, GTIN,
handle) have partial, case-insensitive indexes for `find()` and for ranking exact hits first.

Search. SQLite 3.40's trigram tokenizer cannot ignore accents, so `products_fts` is a plain
unicode61 FTS5 table over *pre-normalized* text (see `text_search`): casefolded, accents stripped,
CJK characters space-separated. Queries are normalized the same way and rebuilt from their word
tokens only (every term quoted and a prefix), so any user input is safe and `chemise ete`,
`chem`, `マグ` all work. Ranking: exact identifier hits first, then bm25 with the title weighted
10× the body and the codes (SKUs, GTINs, ids) 4×. The FTS table keeps its own copy of the
normalized text (not external-content): it costs a few MB per 100k products and makes
updates/deletes simple and impossible to get out of sync.

Change detection. Each product row stores a fingerprint (blake2b of every stored field,
variants included); an upsert whose fingerprint matches writes nothing and counts "unchanged".

Threads. One connection per thread (thread-local), as the house rules ask: WAL lets readers in
any thread run while a writer writes, and SQLite connections must not be shared across threads
without serializing every call. Connections are opened with `check_same_thread=False` only so
`close()` (and the clean-up of connections whose thread has ended) can close them from another
thread; each one is otherwise used only by the thread that opened it. Writes from several threads
of this process are serialized by a lock, and every multi-row change is one transaction.

Durability. `synchronous=NORMAL` in WAL mode: a crash or power cut can lose the last committed
transactions but never corrupts the file, and it makes import batches several times faster.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring as _quote
from pathlib import Path

from studio.core.errors import UsageError, Where, WorkspaceError
from studio.core.model import Availability, Product, Variant
from studio.core.sqlite_tx import WAL_PRAGMAS, ThreadConnections
from studio.core.text_search import fts_query, index_text

SCHEMA_VERSION = 1
DEFAULT_BATCH = 2000
_IN_CHUNK = 500  # ids per `IN (…)` query
_BODY_CHARS = 4000  # description text indexed per product


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS products (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    price TEXT NOT NULL,
    currency TEXT NOT NULL,
    compare_at TEXT,
    sku TEXT NOT NULL,
    handle TEXT NOT NULL,
    brand TEXT NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL,
    images TEXT NOT NULL,
    availability TEXT NOT NULL,
    gtin TEXT NOT NULL,
    status TEXT NOT NULL,
    product_type TEXT NOT NULL,
    tags TEXT NOT NULL,
    source TEXT NOT NULL,
    flags TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS variants (
    product_pk INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    id TEXT NOT NULL,
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    options TEXT NOT NULL,
    price TEXT,
    compare_at TEXT,
    gtin TEXT NOT NULL,
    image TEXT NOT NULL,
    availability TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (product_pk, ordinal)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_sku ON products (sku COLLATE NOCASE) WHERE sku <> '';
CREATE INDEX IF NOT EXISTS products_gtin ON products (gtin) WHERE gtin <> '';
CREATE INDEX IF NOT EXISTS products_handle ON products (handle COLLATE NOCASE) WHERE handle <> '';
CREATE INDEX IF NOT EXISTS variants_sku ON variants (sku COLLATE NOCASE) WHERE sku <> '';
CREATE INDEX IF NOT EXISTS variants_gtin ON variants (gtin) WHERE gtin <> '';
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
    title, body, codes, tokenize = 'unicode61', prefix = '1'
);
PRAGMA user_version = {SCHEMA_VERSION};
"""

_P_COLS = (
    "id, title, price, currency, compare_at, sku, handle, brand, description, url, images, availability, "
    "gtin, status, product_type, tags, source, flags"
)
_V_COLS = "id, sku, title, options, price, compare_at, gtin, image, availability, position"
_INSERT_PRODUCT = (
    f"INSERT INTO products (pk, {_P_COLS}, fingerprint, updated_at) VALUES ({', '.join('?' * 21)})"
)
_UPDATE_PRODUCT = (
    "UPDATE products SET "
    + ", ".join(f"{c.strip()} = ?" for c in _P_COLS.split(","))
    + ", fingerprint = ?, updated_at = ? WHERE pk = ?"
)
_INSERT_VARIANT = f"INSERT INTO variants (product_pk, ordinal, {_V_COLS}) VALUES ({', '.join('?' * 12)})"
# Exact identifier lookups, strongest first (variant ids are not looked up: a feed variant's id
# is also its SKU, and Shopify variant ids are synthetic). Case-insensitive except the id.
_EXACT = (
    "SELECT pk FROM products WHERE id = ?1",
    "SELECT pk FROM products WHERE sku = ?1 COLLATE NOCASE AND sku <> '' ORDER BY pk",
    "SELECT DISTINCT product_pk FROM variants WHERE sku = ?1 COLLATE NOCASE AND sku <> '' "
    "ORDER BY product_pk",
    "SELECT pk FROM products WHERE gtin = ?1 AND gtin <> '' "
    "UNION SELECT product_pk FROM variants WHERE gtin = ?1 AND gtin <> ''",
    "SELECT pk FROM products WHERE handle = ?1 COLLATE NOCASE AND handle <> '' ORDER BY pk",
)
_INSERT_FTS = "INSERT INTO products_fts (rowid, title, body, codes) VALUES (?, ?, ?, ?)"
# bm25 is computed for at most RANK_CANDIDATES matches (in rowid order), then sorted: ranking
# every match of a one-letter prefix in a 100k catalog would take ~100 ms, and while the user
# is still typing one letter an approximate top-20 is all that is useful.
RANK_CANDIDATES = 2000
_SEARCH_FTS = (
    "SELECT rowid FROM (SELECT rowid, bm25(products_fts, 10.0, 1.0, 4.0) AS score FROM products_fts "
    "WHERE products_fts MATCH ? LIMIT ?) ORDER BY score LIMIT ?"
)

_STATUS_CREATED, _STATUS_UPDATED, _STATUS_UNCHANGED = 0, 1, 2


@dataclass(slots=True)
class UpsertStats:
    """What an upsert did. `repeated` lists ids met again within the same import (merged)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: list[str] = field(default_factory=list)

    def __iadd__(self, other: UpsertStats) -> UpsertStats:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.repeated.extend(other.repeated)
        return self

    def _bump(self, status: int, delta: int) -> None:
        if status == _STATUS_CREATED:
            self.created += delta
        elif status == _STATUS_UPDATED:
            self.updated += delta
        else:
            self.unchanged += delta


@dataclass(slots=True)
class ImportSession:
    """One import run: remembers (in a TEMP table, not in Python memory) which ids it wrote.

    With a session, `upsert` merges a product id met again later in the same file into what it
    wrote before (feeds whose variant rows are not adjacent), counts each product once, and
    `prune` can delete what the file no longer contains. Bound to the thread that began it,
    because TEMP tables live on that thread's connection.
    """

    thread_id: int
    stats: UpsertStats = field(default_factory=UpsertStats)
    active: bool = True


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _json(value: list[str] | dict[str, str]) -> str:
    """Compact JSON for a list of strings or a str → str map (hand-joined: ~4× faster than dumps)."""
    if isinstance(value, dict):
        return "{" + ",".join(_quote(str(k)) + ":" + _quote(str(v)) for k, v in value.items()) + "}"
    return "[" + ",".join(_quote(str(item)) for item in value) + "]"


def _availability(text: str) -> Availability:
    try:
        return Availability(text)
    except ValueError:
        return Availability.parse(text)


def merge_products(first: Product, later: Product) -> Product:
    """Combine two parts of one product met separately in one import.

    The first part's fields win (it is the product's first row); empty fields are filled from the
    later part; variants, images, tags and flags are unions (a variant id already present keeps
    its first version). Used for feeds whose rows of one item group are not adjacent.
    """
    merged = replace(
        first,
        variants=list(first.variants),
        images=list(first.images),
        tags=list(first.tags),
        flags=list(first.flags),
    )
    for name in ("sku", "handle", "brand", "description", "gtin", "product_type"):
        if not getattr(merged, name):
            setattr(merged, name, getattr(later, name))
    if not merged.url and later.url:
        merged.url = later.url
        merged.flags = [f for f in merged.flags if f != "no_link"]
    known = {v.id for v in merged.variants}
    for v in later.variants:
        if v.id not in known:
            known.add(v.id)
            merged.variants.append(replace(v, position=len(merged.variants) + 1))
    merged.images += [u for u in later.images if u not in merged.images]
    merged.tags += [t for t in later.tags if t not in merged.tags]
    merged.flags += [f for f in later.flags if f not in merged.flags and not (f == "no_link" and merged.url)]
    if any(v.availability == Availability.IN_STOCK for v in merged.variants):
        merged.availability = Availability.IN_STOCK
    elif merged.availability == Availability.UNKNOWN:
        merged.availability = later.availability
    return merged


def _check(product: Product) -> None:
    if not isinstance(product.id, str) or not product.id:
        raise UsageError("a product needs a non-empty string id", where=Where(field="id"))
    variant_prices = [x for v in product.variants for x in (v.price, v.compare_at)]
    for value in (product.price, product.compare_at, *variant_prices):
        if value is not None and not isinstance(value, Decimal):
            raise UsageError(
                f"product '{product.id}': prices must be Decimal, never float", where=Where(field="price")
            )


@dataclass(slots=True)
class _Encoded:
    """A product as table rows (minus its pk), with its fingerprint."""

    row: tuple[object, ...]
    variants: Sequence[tuple[object, ...]]
    fingerprint: str


def _encode(p: Product) -> _Encoded:
    row = (
        p.id, p.title, str(p.price), p.currency, _dec(p.compare_at), p.sku, p.handle, p.brand, p.description,
        p.url, _json(p.images), str(p.availability), p.gtin, p.status, p.product_type, _json(p.tags),
        p.source, _json(p.flags),
    )  # fmt: skip
    variants = [
        (i, v.id, v.sku, v.title, _json(v.options), _dec(v.price), _dec(v.compare_at), v.gtin, v.image,
         str(v.availability), v.position)
        for i, v in enumerate(p.variants)
    ]  # fmt: skip
    fingerprint = hashlib.blake2b(repr((row, variants)).encode(), digest_size=16).hexdigest()
    return _Encoded(row, variants, fingerprint)


def _index(p: Product) -> tuple[str, str, str]:
    """The product's FTS columns: title, body (brand, type, tags, variant titles, description), codes.

    Codes hold ids and SKUs so a partly typed SKU is found; GTINs are only matched exactly.
    """
    codes = [p.id, p.handle, p.sku]
    body = [p.brand, p.product_type, " ".join(p.tags)]
    for v in p.variants:
        codes.append(v.sku)
        body.append(v.title)
    body.append(p.description[:_BODY_CHARS])
    return index_text(p.title), index_text(" ".join(body)), index_text(" ".join(codes))


def _decode(row: Sequence[object], variants: list[Variant]) -> Product:
    (id_, title, price, currency, compare_at, sku, handle, brand, description, url, images, availability,
     gtin, status, product_type, tags, source, flags) = row  # fmt: skip
    return Product(
        id=str(id_),
        title=str(title),
        price=Decimal(str(price)),
        currency=str(currency),
        sku=str(sku),
        handle=str(handle),
        brand=str(brand),
        description=str(description),
        compare_at=None if compare_at is None else Decimal(str(compare_at)),
        url=str(url),
        images=json.loads(str(images)),
        variants=variants,
        availability=_availability(str(availability)),
        gtin=str(gtin),
        status=str(status),
        product_type=str(product_type),
        tags=json.loads(str(tags)),
        source=str(source),
        flags=json.loads(str(flags)),
    )


def _decode_variant(row: Sequence[object]) -> Variant:
    id_, sku, title, options, price, compare_at, gtin, image, availability, position = row
    return Variant(
        id=str(id_),
        sku=str(sku),
        title=str(title),
        options=json.loads(str(options)),
        price=None if price is None else Decimal(str(price)),
        compare_at=None if compare_at is None else Decimal(str(compare_at)),
        gtin=str(gtin),
        image=str(image),
        availability=_availability(str(availability)),
        position=int(position),  # type: ignore[call-overload]
    )


def _chunks(items: Sequence[object], size: int = _IN_CHUNK) -> Iterator[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CatalogStore:
    """The workspace's product catalog (`catalog.sqlite`). Usable from any thread; see module doc."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = ThreadConnections(
            self.path,
            label="the catalog",
            damaged_hint="if the file is damaged, delete catalog.sqlite and import the catalog again",
            busy_hint="another program is writing it; retry",
            pragmas=(*WAL_PRAGMAS, "PRAGMA cache_size = -16000", "PRAGMA temp_store = MEMORY"),
            cached_statements=64,
        )
        conn = self._conn()
        self._init_schema(conn)

    # --- connections ----------------------------------------------------------------------

    def _where(self) -> Where:
        return self._db.where()

    def _conn(self) -> sqlite3.Connection:
        return self._db.get()

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"the catalog was written by a newer version (schema {version})",
                    where=self._where(),
                    hint="update Shoppable Studio",
                )
            if version < SCHEMA_VERSION:
                with self._db.write_lock:
                    conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.close()
            raise WorkspaceError(
                f"the catalog database cannot be used ({exc})",
                where=self._where(),
                hint="if the file is damaged, delete catalog.sqlite and import the catalog again",
            ) from None

    def close(self) -> None:
        """Close every connection (all threads). Call when no other thread is using the store."""
        self._db.close()

    def close_thread(self) -> None:
        """Close the calling thread's connection (a worker thread about to end calls this)."""
        self._db.close_thread()

    def __enter__(self) -> CatalogStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._db.write()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across the few SELECTs that load products with variants."""
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    # --- writing --------------------------------------------------------------------------

    def begin_import(self) -> ImportSession:
        """Start tracking the ids one import writes (see `ImportSession`)."""
        conn = self._conn()
        conn.execute("DROP TABLE IF EXISTS temp.import_seen")
        conn.execute(
            "CREATE TEMP TABLE import_seen "
            "(id TEXT PRIMARY KEY, orig_fp TEXT, status INTEGER NOT NULL) WITHOUT ROWID"
        )
        return ImportSession(thread_id=threading.get_ident())

    def end_import(self, session: ImportSession) -> None:
        """Forget the session's ids (safe to call twice)."""
        if session.active and session.thread_id == threading.get_ident():
            self._conn().execute("DROP TABLE IF EXISTS temp.import_seen")
        session.active = False

    def _check_session(self, session: ImportSession) -> None:
        if not session.active or session.thread_id != threading.get_ident():
            raise UsageError("an import session is used after it ended or from another thread")

    def upsert(
        self,
        products: Iterable[Product],
        source: str,
        *,
        session: ImportSession | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> UpsertStats:
        """Insert or update products by id, one transaction per `batch_size` products.

        Stamps `product.source = source`. A product whose stored fingerprint is identical is left
        untouched and counted "unchanged". Products are only ever added or replaced here; use
        `delete`/`prune` to remove.
        """
        if session is not None:
            self._check_session(session)
        total = UpsertStats()
        batch: list[Product] = []
        for product in products:
            batch.append(product)
            if len(batch) >= batch_size:
                total += self._upsert_batch(batch, source, session)
                batch = []
        if batch:
            total += self._upsert_batch(batch, source, session)
        if session is not None:
            session.stats += replace(total, repeated=[])
        return total

    def _upsert_batch(self, batch: list[Product], source: str, session: ImportSession | None) -> UpsertStats:
        stats = UpsertStats()
        by_id: dict[str, Product] = {}
        for p in batch:
            _check(p)
            p.source = source
            if p.id in by_id:
                by_id[p.id] = merge_products(by_id[p.id], p)
                stats.repeated.append(p.id)
            else:
                by_id[p.id] = p
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._write() as conn:
            ids = list(by_id)
            existing = self._existing(conn, ids)
            seen = self._seen(conn, ids) if session is not None else {}
            next_pk = conn.execute("SELECT coalesce(max(pk), 0) + 1 FROM products").fetchone()[0]
            inserts: list[tuple[object, ...]] = []
            updates: list[tuple[object, ...]] = []
            stale: list[tuple[int]] = []
            variants: list[tuple[object, ...]] = []
            fts: list[tuple[object, ...]] = []
            seen_rows: list[tuple[object, ...]] = []
            for pid, p in by_id.items():
                old = existing.get(pid)
                if pid in seen and old is not None:
                    stored = self._load(conn, [old[0]]).get(old[0])
                    if stored is not None:
                        p = merge_products(stored, p)
                    stats.repeated.append(pid)
                enc = _encode(p)
                if old is None:
                    pk = next_pk
                    next_pk += 1
                    inserts.append((pk, *enc.row, enc.fingerprint, now))
                elif old[1] != enc.fingerprint:
                    pk = old[0]
                    updates.append((*enc.row, enc.fingerprint, now, pk))
                    stale.append((pk,))
                else:
                    pk = -1  # unchanged: nothing to write
                if pk >= 0:
                    variants.extend((pk, *v) for v in enc.variants)
                    fts.append((pk, *_index(p)))
                status = self._status(old[1] if old else None, enc.fingerprint)
                if session is None:
                    stats._bump(status, 1)
                elif pid in seen:
                    orig_fp, previous = seen[pid]
                    status = self._status(orig_fp, enc.fingerprint)
                    stats._bump(previous, -1)
                    stats._bump(status, 1)
                    seen_rows.append((pid, orig_fp, status))
                else:
                    stats._bump(status, 1)
                    seen_rows.append((pid, old[1] if old else None, status))
            if stale:
                conn.executemany("DELETE FROM variants WHERE product_pk = ?", stale)
                conn.executemany("DELETE FROM products_fts WHERE rowid = ?", stale)
                conn.executemany(_UPDATE_PRODUCT, updates)
            conn.executemany(_INSERT_PRODUCT, inserts)
            conn.executemany(_INSERT_VARIANT, variants)
            conn.executemany(_INSERT_FTS, fts)
            if seen_rows:
                conn.executemany("INSERT OR REPLACE INTO temp.import_seen VALUES (?, ?, ?)", seen_rows)
        return stats

    @staticmethod
    def _status(original_fp: str | None, fingerprint: str) -> int:
        if original_fp is None:
            return _STATUS_CREATED
        return _STATUS_UNCHANGED if original_fp == fingerprint else _STATUS_UPDATED

    @staticmethod
    def _existing(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for id_, pk, fp in conn.execute(
                f"SELECT id, pk, fingerprint FROM products WHERE id IN ({marks})", chunk
            ):
                found[id_] = (pk, fp)
        return found

    @staticmethod
    def _seen(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[str | None, int]]:
        found: dict[str, tuple[str | None, int]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, orig_fp, status FROM temp.import_seen WHERE id IN ({marks})"
            for id_, fp, status in conn.execute(sql, chunk):
                found[id_] = (fp, status)
        return found

    def prune(self, session: ImportSession) -> int:
        """Delete every product the session did not write; return how many."""
        self._check_session(session)
        with self._write() as conn:
            pks = [
                pk
                for (pk,) in conn.execute(
                    "SELECT pk FROM products WHERE id NOT IN (SELECT id FROM temp.import_seen)"
                )
            ]
            self._delete_pks(conn, pks)
        return len(pks)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete products by id (with their variants and index rows); return how many existed."""
        id_list = list(dict.fromkeys(ids))
        with self._write() as conn:
            pks = [pk for pk, _fp in self._existing(conn, id_list).values()]
            self._delete_pks(conn, pks)
        return len(pks)

    @staticmethod
    def _delete_pks(conn: sqlite3.Connection, pks: list[int]) -> None:
        rows = [(pk,) for pk in pks]
        conn.executemany("DELETE FROM variants WHERE product_pk = ?", rows)
        conn.executemany("DELETE FROM products_fts WHERE rowid = ?", rows)
        conn.executemany("DELETE FROM products WHERE pk = ?", rows)

    # --- reading --------------------------------------------------------------------------

    @staticmethod
    def _load(conn: sqlite3.Connection, pks: Sequence[int]) -> dict[int, Product]:
        """Products (with variants, in order) by pk."""
        out: dict[int, Product] = {}
        for chunk in _chunks(pks):
            marks = ",".join("?" * len(chunk))
            by_pk: dict[int, list[Variant]] = {}
            sql = (
                f"SELECT product_pk, {_V_COLS} FROM variants WHERE product_pk IN ({marks}) "
                "ORDER BY product_pk, ordinal"
            )
            for row in conn.execute(sql, chunk):
                by_pk.setdefault(row[0], []).append(_decode_variant(row[1:]))
            for row in conn.execute(f"SELECT pk, {_P_COLS} FROM products WHERE pk IN ({marks})", chunk):
                out[row[0]] = _decode(row[1:], by_pk.get(row[0], []))
        return out

    def get(self, product_id: str) -> Product | None:
        """The product with exactly this id, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT pk FROM products WHERE id = ?", (product_id,)).fetchone()
            return self._load(conn, [row[0]]).get(row[0]) if row else None

    @staticmethod
    def _exact(conn: sqlite3.Connection, ref: str, limit: int) -> list[int]:
        """Pks of products whose id, SKU, variant SKU, GTIN or handle is `ref`, strongest first."""
        pks: list[int] = []
        for sql in _EXACT:
            for (pk,) in conn.execute(sql, (ref,)):
                if pk not in pks:
                    pks.append(pk)
                    if len(pks) >= limit:
                        return pks
        return pks

    def find(self, ref: str) -> Product | None:
        """A product by id, SKU, variant SKU, GTIN or handle (ids exact, the rest ignoring case).

        When several products share a reference, the strongest kind wins (id > SKU > variant
        SKU > GTIN > handle), then the oldest product.
        """
        ref = (ref or "").strip()
        if not ref:
            return None
        with self._read() as conn:
            pks = self._exact(conn, ref, 1)
            return self._load(conn, pks).get(pks[0]) if pks else None

    def search(self, query: str, limit: int = 20) -> list[Product]:
        """Products matching what the user typed, best first; never raises on any input.

        Exact identifier matches (id, SKU, variant SKU, GTIN, handle) come first, then full-text
        matches (accent-insensitive, every word a prefix, CJK substrings) ranked by bm25: whole
        words before prefixes.
        """
        text = (query or "").strip()
        if not text or limit <= 0:
            return []
        with self._read() as conn:
            pks = self._exact(conn, text, limit) if len(text) <= 256 else []
            known = set(pks)
            # Whole-word matches first ("lin" finds "Chemise en lin" before "Linen shirt"), then prefixes.
            for prefix in (False, True):
                expr = fts_query(text, prefix=prefix)
                if expr is None or len(pks) >= limit:
                    break
                try:
                    rows = conn.execute(_SEARCH_FTS, (expr, RANK_CANDIDATES, limit)).fetchall()
                except sqlite3.OperationalError:
                    rows = []  # defensive: fts_query only emits quoted word tokens
                for (pk,) in rows:
                    if pk not in known and len(pks) < limit:
                        known.add(pk)
                        pks.append(pk)
            products = self._load(conn, pks)
        return [products[pk] for pk in pks if pk in products]

    def all(self, limit: int | None = None) -> Iterator[Product]:
        """Every product in import order, loaded a page at a time (memory stays flat)."""
        last, remaining = 0, limit
        while remaining is None or remaining > 0:
            page = _IN_CHUNK if remaining is None else min(_IN_CHUNK, remaining)
            with self._read() as conn:
                pks = [
                    pk
                    for (pk,) in conn.execute(
                        "SELECT pk FROM products WHERE pk > ? ORDER BY pk LIMIT ?", (last, page)
                    )
                ]
                products = self._load(conn, pks)
            if not pks:
                return
            for pk in pks:
                if pk in products:
                    yield products[pk]
            last = pks[-1]
            if remaining is not None:
                remaining -= len(pks)

    def count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM products").fetchone()[0])

    def variant_count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM variants").fetchone()[0])

    def ids(self) -> set[str]:
        return {id_ for (id_,) in self._conn().execute("SELECT id FROM products")}
