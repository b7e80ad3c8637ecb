"""Entry script of the frozen app (packaging/studio.spec): the same `studio` front end as from source.

Why a separate script: a frozen app re-executes itself for multiprocessing helpers (the export's
forkserver and resource tracker); `freeze_support()` must see those arguments before anything
else runs, which `studio/__main__.py` (also imported as a module) should not have to know about.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from studio.__main__ import main

    sys.exit(main())
