"""What a run records about where it ran: git SHA, package versions, seeds, times.

lm-eval and Inspect log these with every result so a number can be traced to
the code and environment that produced it; so do we.
"""

from __future__ import annotations

import random
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

__all__ = ["PACKAGES", "git_sha", "now_iso", "package_versions", "seed_all", "task_seed"]

PACKAGES = ("jepa-manim", "manim", "numpy", "torch", "torchvision", "lpips", "scikit-image",
            "pillow", "sqlalchemy", "manimpango", "pycairo")


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_sha() -> str | None:
    """``git rev-parse HEAD`` of the harness checkout, or ``None`` outside one."""
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], timeout=10,
                              capture_output=True, text=True, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) >= 40 else None


def package_versions() -> dict[str, str | None]:
    """Python and the packages results depend on (``None``: not installed); imports none."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in PACKAGES:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def task_seed(seed: int, task_id: str) -> int:
    """The seed set before a task's ``generate``: independent of task order and resumes."""
    return (seed * 1_000_003 + zlib.crc32(task_id.encode())) % (1 << 32)


def seed_all(seed: int) -> None:
    """Seed ``random``, numpy's global generator and torch (only if already imported)."""
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
