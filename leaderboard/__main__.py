"""``python -m leaderboard``: see ``python -m leaderboard --help``."""

import sys

from leaderboard.cli import main

if __name__ == "__main__":
    sys.exit(main())
