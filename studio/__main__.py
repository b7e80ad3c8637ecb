"""`python -m studio` and the `studio` console script: the GUI without arguments, else the CLI."""

from __future__ import annotations

import sys


def main() -> int:
    from studio.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
