"""The contract every slow function follows: a progress callback and a cancel token.

Jobs never touch widgets; the GUI's worker bridge and the CLI's progress bar both adapt to this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from studio.core.errors import Cancelled

#: progress(done, total, message); total may be 0 when unknown.
ProgressFn = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str) -> None:
    """Default progress sink for callers that do not care."""


class CancelToken:
    """Thread-safe flag a job polls between units of work (a row batch, a file, a frame)."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
