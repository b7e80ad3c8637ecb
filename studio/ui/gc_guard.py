"""Run Python's cyclic garbage collector on the GUI thread only.

Why: automatic collection runs in whichever thread happens to allocate when a threshold trips. If
that is a worker thread and the garbage holds Qt objects (a closed dialog, a scene item), Qt
destroys them off the GUI thread, which crashes at random. The usual remedy for PyQt/PySide
applications: switch automatic collection off and collect from a GUI-thread timer with the same
generation thresholds, so memory behaves the same and destruction happens where Qt expects it.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations whose counters passed their thresholds (cheap when nothing did)."""
        counts = gc.get_count()
        if counts[0] > self._thresholds[0]:
            generation = 0
            if counts[1] > self._thresholds[1]:
                generation = 2 if counts[2] > self._thresholds[2] else 1
            gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
