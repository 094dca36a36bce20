"""``python -m human_eval``: see ``python -m human_eval --help``."""

import sys

from human_eval.cli import main

if __name__ == "__main__":
    sys.exit(main())
