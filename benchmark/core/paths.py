"""Default locations, the one definition of each.

Work products a user keeps (the results database, artifacts, a prepared 3b1b
suite) go under ``runs/`` in the working directory; caches that can be rebuilt
at any time go under ``$XDG_CACHE_HOME/jepa-manim/`` (``~/.cache/jepa-manim``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_DB", "RUNS_DIR", "cache_root"]

#: where runs, artifacts and prepared suites go, relative to the working directory
RUNS_DIR = Path("runs")
#: the default results database (``--db``): SQLite under ``runs/``
DEFAULT_DB = "runs/benchmark.db"


def cache_root(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/jepa-manim/<parts…>`` (``~/.cache`` when the variable is unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root, "jepa-manim", *parts)
