"""SQLite access the workspace stores share: one connection per thread, one write transaction.

Why one connection per thread: `sqlite3` connections must not be used by two threads at once,
and the GUI reads a store while workers write it. Connections of threads that have ended are
closed when the next one is opened; `close()` closes them all (when no other thread uses the
store). Why `BEGIN IMMEDIATE`: it takes the write lock at the start, so two writers (threads or
processes) queue on `busy_timeout` instead of both reading first and then failing to upgrade
their lock (SQLITE_BUSY mid-transaction).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from studio.core.errors import Where, WorkspaceError

WAL_PRAGMAS: tuple[str, ...] = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`with immediate(conn) as db:` — COMMIT at the end, ROLLBACK if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class ThreadConnections:
    """The per-thread connections to one database file, and its in-process write lock.

    `label` names the store in messages ("the catalog"); `damaged_hint` says what to do when the
    file cannot be opened.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        label: str,
        damaged_hint: str,
        busy_hint: str = "retry",
        closed_hint: str = "open the workspace again",
        pragmas: Sequence[str] = WAL_PRAGMAS,
        cached_statements: int = 128,
    ) -> None:
        self.path = Path(path)
        self.label = label
        self.damaged_hint = damaged_hint
        self.busy_hint = busy_hint
        self.closed_hint = closed_hint
        self.pragmas = tuple(pragmas)
        self.cached_statements = cached_statements
        self.write_lock = threading.Lock()  # one writer at a time within this process
        self._lock = threading.Lock()  # guards _connections and _closed
        self._local = threading.local()
        self._connections: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._closed = False

    def where(self) -> Where:
        return Where(file=str(self.path))

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise WorkspaceError(f"{self.label} is closed", where=self.where(), hint=self.closed_hint)
            alive = []
            for ref, old in self._connections:
                thread = ref()
                if thread is None or not thread.is_alive():
                    old.close()
                else:
                    alive.append((ref, old))
            self._connections = alive
            conn = self._connect()
            self._connections.append((weakref.ref(threading.current_thread()), conn))
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=30.0,
                isolation_level=None,
                check_same_thread=False,  # only so close() can close every thread's connection
                cached_statements=self.cached_statements,
            )
            for pragma in self.pragmas:
                conn.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(
                f"cannot open {self.label} ({exc})", where=self.where(), hint=self.damaged_hint
            ) from None
        return conn

    def close(self) -> None:
        """Close every connection (all threads). Call when no other thread is using the store."""
        with self._lock:
            self._closed = True
            for _ref, conn in self._connections:
                conn.close()
            self._connections = []
        self._local = threading.local()

    def close_thread(self) -> None:
        """Close the calling thread's connection (a worker thread about to end calls this)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            self._connections = [(ref, c) for ref, c in self._connections if c is not conn]
        conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on this thread's connection (busy → a clear WorkspaceError)."""
        conn = self.get()
        with self.write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise WorkspaceError(
                    f"{self.label} is busy ({exc})", where=self.where(), hint=self.busy_hint
                ) from None
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
