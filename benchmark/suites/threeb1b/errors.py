"""The one error type of the 3b1b builder."""

from __future__ import annotations


class PrepareError(ValueError):
    """A bad checkout, flag or file: one readable line naming the problem."""
