"""A per-workspace writer lock, so two windows never overwrite each other's saves.

The lock is an OS advisory lock (`flock` / `msvcrt.locking`) on `.studio.lock`, held for as long
as the workspace is open. The kernel drops it when the process dies, which is what makes stale
locks detectable: a lock file left behind by a crashed or killed process is simply not locked
any more and is taken over. The file's content (pid, host, time) only serves the error message.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO

from studio.core.errors import Where, WorkspaceLockedError

LOCK_NAME = ".studio.lock"

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class WorkspaceLock:
    """Exclusive writer lock on a workspace folder; use as a context manager or acquire/release."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._handle: IO[bytes] | None = None
        self.took_over_stale = False

    def acquire(self) -> None:
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        if not _try_lock(handle):
            handle.seek(0)
            holder = _describe_holder(handle.read())
            handle.close()
            raise WorkspaceLockedError(
                f"this workspace is already open in another window{holder}",
                where=Where(file=str(self.path.parent)),
                hint="switch to that window, or close it and try again",
            )
        handle.seek(0)
        self.took_over_stale = bool(handle.read().strip())
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        handle.write(json.dumps(info).encode())
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            handle.seek(0)
            handle.truncate()  # an empty lock file means "cleanly closed"
            _unlock(handle)
        finally:
            handle.close()

    @property
    def held(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe_holder(raw: bytes) -> str:
    try:
        info = json.loads(raw.decode() or "{}")
        return f" (process {int(info['pid'])} on {info['host']})"
    except (ValueError, KeyError, TypeError):
        return ""
