"""`python -m studio` and the `studio` console script: the GUI without arguments, else the CLI."""

from __future__ import annotations

import os
import sys
import time


def _process_start() -> float:
    """Wall-clock time the process started (Linux: from /proc), so startup timings include the
    interpreter's own start-up; elsewhere, the time this module was imported."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        started_ticks = int(fields[19])  # field 22 of stat(5), counted after "pid (comm)"
        ticks = os.sysconf("SC_CLK_TCK")
        uptime = time.clock_gettime(time.CLOCK_BOOTTIME)
        return time.time() - (uptime - started_ticks / ticks)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time()


#: Read by the GUI's STUDIO_STARTUP_TIMINGS=1 hook (studio/ui/app.py).
PROCESS_START = _process_start()


def main() -> int:
    from studio.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
