"""What the platforms are known to hold: `<workspace>/sync.sqlite`, the memory of the catalog sync.

Why a database and not a JSON file: a 100,000-item catalog is synced in slices, and every slice must
be remembered the moment the platform confirms it, so that a crash, a kill or a lost connection
resumes instead of starting over (or, worse, sending everything twice). The rules:

1. `items` holds, per *scope* (one platform catalog: ``meta:<catalog_id>`` or
   ``pinterest:<catalog>:<country>:<language>``), the fingerprint of every item the platform has
   *confirmed* (its batch finished without an error for that item). Only items whose current
   fingerprint differs are sent again.
2. A batch is written (`new_batch`, state ``sending``) with its items and their fingerprints *before*
   its request leaves the machine; the platform's handle is stored (`batch_sent`, state ``pending``)
   as soon as the answer arrives. On resume a ``pending`` batch is *polled* by its handle, never
   resent; a ``sending`` batch (the answer was lost, or the process died mid-request) is dropped and
   its items are simply diffed again: the engine only uses idempotent operations (Meta UPDATE with
   allow_upsert, Pinterest UPSERT, DELETE), so sending them once more cannot create a duplicate.
3. `complete_batch` applies a finished batch in one transaction: confirmed fingerprints in, deleted
   items out, per-item platform errors replaced (mapped to product, variant and field).
4. Local problems (the field mapping refused an item) are stored next to the platform errors so the
   GUI and `--json` show one list of "what to fix" per product.

One connection per `SyncState` object, guarded by a lock (the engine's worker thread and the GUI
each open their own); WAL journal so the GUI reads while a sync writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import Where, WorkspaceError

SYNC_FILE = "sync.sqlite"
SCHEMA_VERSION = 1
UPSERT, DELETE = "upsert", "delete"
SENDING, PENDING = "sending", "pending"
LOCAL, PLATFORM = "local", "platform"
_IN_CHUNK = 500  # SQLite host parameters per IN (...) query

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    scope TEXT NOT NULL,
    item_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    fingerprint TEXT NOT NULL,
    confirmed_at REAL NOT NULL,
    PRIMARY KEY (scope, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    op TEXT NOT NULL,
    handle TEXT,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL,
    bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS batches_scope ON batches(scope, state);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (batch_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS problems (
    scope TEXT NOT NULL,
    item_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    field TEXT,
    message TEXT NOT NULL,
    fix TEXT,
    source TEXT NOT NULL,
    severity TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_scope ON problems(scope, source, item_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    state TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_scope ON runs(scope, id);
"""


def meta_scope(catalog_id: str) -> str:
    return f"meta:{catalog_id}"


def pinterest_scope(catalog_id: str | None, country: str, language: str) -> str:
    return f"pinterest:{catalog_id or 'default'}:{country}:{language}"


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One item as sent (or to be sent): its platform id, the studio product/variant, its fingerprint."""

    item_id: str
    product_id: str
    variant_id: str | None
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SyncProblem:
    """Something to fix, mapped back to the studio's product, variant and field.

    `source` is ``local`` (the studio refused to send it) or ``platform`` (the platform rejected it).
    """

    item_id: str
    product_id: str
    variant_id: str | None
    field: str | None
    message: str
    fix: str | None = None
    source: str = PLATFORM
    severity: str = "error"  # "error" (not on the platform as is) | "warning" (sent, but worth fixing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "product_id": self.product_id,
            "variant_id": self.variant_id,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
            "source": self.source,
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch the platform may be working on: `handle` is None while its request was in flight."""

    id: int
    scope: str
    op: str
    handle: str | None
    state: str
    created_at: float
    bytes: int = 0


@dataclass(slots=True)
class RunInfo:
    """One sync run (or dry run) of a scope, with its counts (sent, unchanged, errors, …)."""

    id: int
    scope: str
    started_at: float
    finished_at: float | None
    state: str  # running | done | cancelled | failed
    dry_run: bool
    counts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "state": self.state,
            "dry_run": self.dry_run,
            "counts": dict(self.counts),
        }


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SyncState:
    """The sync memory of one workspace (see the module docstring). Use as a context manager."""

    def __init__(self, path: str | Path, *, clock: Any = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")  # a confirmed batch survives power loss
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(
                f"cannot open the sync state ({exc})",
                where=Where(file=str(self.path)),
                hint="if the file is damaged, delete sync.sqlite: the next sync sends every item once again",
            ) from None
        self._seen_ready = False

    @classmethod
    def for_workspace(cls, root: str | Path) -> SyncState:
        return cls(Path(root) / SYNC_FILE)

    def _init_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the sync state was written by a newer version (schema {version})",
                where=Where(file=str(self.path)),
                hint="update Shoppable Studio",
            )
        if version < SCHEMA_VERSION:
            self._db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SyncState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> _Tx:
        return _Tx(self._db, self._lock)

    # --- confirmed items ------------------------------------------------------------------------

    def fingerprints(self, scope: str, item_ids: Sequence[str]) -> dict[str, str]:
        """item_id → confirmed fingerprint for those of `item_ids` the platform holds."""
        out: dict[str, str] = {}
        with self._lock:
            for chunk in _chunks(list(item_ids)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT item_id, fingerprint FROM items WHERE scope = ? AND item_id IN ({marks})",
                    (scope, *chunk),
                )
                out.update(rows)
        return out

    def confirmed(self, scope: str) -> Iterator[SyncItem]:
        """Every confirmed item of `scope` (read in pages: memory stays flat)."""
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT item_id, product_id, variant_id, fingerprint FROM items "
                    "WHERE scope = ? AND item_id > ? ORDER BY item_id LIMIT 1000",
                    (scope, last),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield SyncItem(*row)
            last = rows[-1][0]

    def count(self, scope: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM items WHERE scope = ?", (scope,)).fetchone()[0])

    def forget(self, scope: str) -> None:
        """Drop everything known about `scope` (the next sync sends every item again)."""
        with self._tx() as db:
            db.execute("DELETE FROM items WHERE scope = ?", (scope,))
            db.execute("DELETE FROM problems WHERE scope = ?", (scope,))
            ids = [r[0] for r in db.execute("SELECT id FROM batches WHERE scope = ?", (scope,))]
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM batch_items WHERE batch_id IN ({marks})", tuple(chunk))
            db.execute("DELETE FROM batches WHERE scope = ?", (scope,))

    # --- "seen in this run" (deletion candidates are the confirmed items not seen) ----------------

    def reset_seen(self) -> None:
        with self._lock:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS seen (item_id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("DELETE FROM temp.seen")
            self._seen_ready = True

    def add_seen(self, item_ids: Iterable[str]) -> None:
        if not self._seen_ready:
            self.reset_seen()
        with self._tx() as db:
            db.executemany("INSERT OR IGNORE INTO temp.seen VALUES (?)", ((i,) for i in item_ids))

    def unseen(self, scope: str) -> list[SyncItem]:
        """Confirmed items of `scope` not seen since `reset_seen()`: gone from the studio's catalog."""
        if not self._seen_ready:
            self.reset_seen()
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, product_id, variant_id, fingerprint FROM items WHERE scope = ? "
                "AND item_id NOT IN (SELECT item_id FROM temp.seen) ORDER BY item_id",
                (scope,),
            ).fetchall()
        return [SyncItem(*r) for r in rows]

    def prune_problems(self, scope: str) -> int:
        """Drop platform problems of items that are neither in the studio's catalog any more (not seen
        since `reset_seen()`) nor on the platform: nothing is left to fix for them."""
        if not self._seen_ready:
            self.reset_seen()
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM problems WHERE scope = ? AND source = ? "
                "AND item_id NOT IN (SELECT item_id FROM temp.seen) "
                "AND item_id NOT IN (SELECT item_id FROM items WHERE scope = ?)",
                (scope, PLATFORM, scope),
            )
            return int(cur.rowcount or 0)

    # --- batches ----------------------------------------------------------------------------------

    def new_batch(self, scope: str, op: str, items: Sequence[SyncItem], *, size: int = 0) -> int:
        """Record a batch about to be sent (state ``sending``); returns its id. Commit before sending."""
        if op not in (UPSERT, DELETE):
            raise ValueError(f"unknown batch op {op!r}")
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO batches (scope, op, handle, state, created_at, bytes) "
                "VALUES (?, ?, NULL, ?, ?, ?)",
                (scope, op, SENDING, self._clock(), size),
            )
            batch_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT OR REPLACE INTO batch_items VALUES (?, ?, ?, ?, ?)",
                ((batch_id, i.item_id, i.product_id, i.variant_id, i.fingerprint) for i in items),
            )
        return batch_id

    def batch_sent(self, batch_id: int, handle: str) -> None:
        """The platform accepted the batch under `handle`: from now on it is polled, never resent."""
        with self._tx() as db:
            db.execute(
                "UPDATE batches SET handle = ?, state = ?, sent_at = ? WHERE id = ?",
                (handle, PENDING, self._clock(), batch_id),
            )

    def batches(self, scope: str) -> list[Batch]:
        """Unfinished batches of `scope`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, scope, op, handle, state, created_at, bytes FROM batches "
                "WHERE scope = ? ORDER BY id",
                (scope,),
            ).fetchall()
        return [Batch(*r) for r in rows]

    def batch_items(self, batch_id: int) -> list[SyncItem]:
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, product_id, variant_id, fingerprint FROM batch_items WHERE batch_id = ?",
                (batch_id,),
            ).fetchall()
        return [SyncItem(*r) for r in rows]

    def drop_batch(self, batch_id: int) -> None:
        """Forget a batch without confirming anything (its items are diffed and sent again)."""
        with self._tx() as db:
            db.execute("DELETE FROM batch_items WHERE batch_id = ?", (batch_id,))
            db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))

    def complete_batch(self, batch_id: int, failures: Sequence[SyncProblem]) -> tuple[int, int]:
        """Apply a finished batch: items without an error are confirmed (or, for a delete, forgotten);
        failed items keep their previous state. Every problem given (errors and platform warnings) is
        stored for its item, replacing the item's previous platform problems. Returns (ok, failed)."""
        with self._tx() as db:
            row = db.execute("SELECT scope, op FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return 0, 0
            scope, op = row
            items = [
                SyncItem(*r)
                for r in db.execute(
                    "SELECT item_id, product_id, variant_id, fingerprint FROM batch_items WHERE batch_id = ?",
                    (batch_id,),
                )
            ]
            failed_ids = {p.item_id for p in failures if p.severity == "error"}
            ok = [i for i in items if i.item_id not in failed_ids]
            now = self._clock()
            ids = [i.item_id for i in items]
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                db.execute(
                    f"DELETE FROM problems WHERE scope = ? AND source = ? AND item_id IN ({marks})",
                    (scope, PLATFORM, *chunk),
                )
            if op == UPSERT:
                db.executemany(
                    "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?)",
                    ((scope, i.item_id, i.product_id, i.variant_id, i.fingerprint, now) for i in ok),
                )
            else:
                db.executemany(
                    "DELETE FROM items WHERE scope = ? AND item_id = ?", ((scope, i.item_id) for i in ok)
                )
            known = {i.item_id for i in items}
            db.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        scope,
                        p.item_id,
                        p.product_id,
                        p.variant_id,
                        p.field,
                        p.message,
                        p.fix,
                        PLATFORM,
                        p.severity,
                        now,
                    )
                    for p in failures
                    if p.item_id in known
                ),
            )
            db.execute("DELETE FROM batch_items WHERE batch_id = ?", (batch_id,))
            db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
        return len(ok), len(items) - len(ok)

    # --- problems -----------------------------------------------------------------------------------

    def replace_local_problems(self, scope: str, problems: Iterable[SyncProblem]) -> None:
        """The mapping's current refusals replace the previous run's (fixed products drop out)."""
        self.clear_local_problems(scope)
        self.add_local_problems(scope, problems)

    def clear_local_problems(self, scope: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM problems WHERE scope = ? AND source = ?", (scope, LOCAL))

    def add_local_problems(self, scope: str, problems: Iterable[SyncProblem]) -> None:
        """Append local problems (the engine streams them in chunks after `clear_local_problems`)."""
        now = self._clock()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        scope,
                        p.item_id,
                        p.product_id,
                        p.variant_id,
                        p.field,
                        p.message,
                        p.fix,
                        LOCAL,
                        p.severity,
                        now,
                    )
                    for p in problems
                ),
            )

    def problems(
        self, scope: str, *, source: str | None = None, limit: int | None = None
    ) -> list[SyncProblem]:
        sql = (
            "SELECT item_id, product_id, variant_id, field, message, fix, source, severity "
            "FROM problems WHERE scope = ?"
        )
        args: list[Any] = [scope]
        if source is not None:
            sql += " AND source = ?"
            args.append(source)
        sql += " ORDER BY product_id, item_id, field"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            return [SyncProblem(*r) for r in self._db.execute(sql, args)]

    def problem_count(self, scope: str, *, severity: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM problems WHERE scope = ?", [scope]
        if severity is not None:
            sql += " AND severity = ?"
            args.append(severity)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    # --- runs ------------------------------------------------------------------------------------------

    def start_run(self, scope: str, *, dry_run: bool) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (scope, started_at, state, dry_run) VALUES (?, ?, 'running', ?)",
                (scope, self._clock(), int(dry_run)),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, state: str, counts: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, state = ?, counts = ? WHERE id = ?",
                (self._clock(), state, json.dumps(counts, default=str), run_id),
            )

    def last_run(self, scope: str, *, include_dry_runs: bool = False) -> RunInfo | None:
        sql = "SELECT id, scope, started_at, finished_at, state, dry_run, counts FROM runs WHERE scope = ?"
        if not include_dry_runs:
            sql += " AND dry_run = 0"
        with self._lock:
            row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", (scope,)).fetchone()
        if row is None:
            return None
        return RunInfo(row[0], row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6] or "{}"))

    def scopes(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT scope FROM items UNION SELECT scope FROM runs UNION SELECT scope FROM batches"
            ).fetchall()
        return sorted(r[0] for r in rows)


class _Tx:
    """`with state._tx() as db:` — one BEGIN IMMEDIATE … COMMIT under the object's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                self._db.execute("COMMIT")
            elif self._db.in_transaction:
                self._db.execute("ROLLBACK")
        finally:
            self._lock.release()
