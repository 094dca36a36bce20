"""``python -m benchmark``: see ``python -m benchmark --help``."""

import sys

from benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
