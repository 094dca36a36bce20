"""The executors' error (apart, so that the Ray executor can import it at its top)."""

from __future__ import annotations

__all__ = ["ExecutorError"]


class ExecutorError(Exception):
    """The executor cannot start (Ray missing, cluster unreachable, nodes that differ)."""
