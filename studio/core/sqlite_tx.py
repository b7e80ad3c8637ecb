"""One write transaction on a SQLite connection, taken the safe way.

Why `BEGIN IMMEDIATE`: it takes the write lock at the start, so two writers (threads or
processes) queue on `busy_timeout` instead of both reading first and then failing to upgrade
their lock (SQLITE_BUSY mid-transaction). Used by every store that writes from several threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


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
