"""A progress bar on a terminal, nothing otherwise (logs and pipes stay clean)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str, enabled: bool, initial: int = 0, unit: str = "task"
                 ) -> Any:
    """A thread-safe ``tqdm`` on stderr when ``enabled`` and stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr,
                dynamic_ncols=True, disable=not (enabled and sys.stderr.isatty()))
