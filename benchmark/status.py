"""How running one piece of code ended: the one status enum, from the sandbox to the store.

A ``StrEnum``, so a status is stored, printed and compared as its plain string.
It lives outside :mod:`benchmark.sandbox` so that reading results never imports
the sandbox machinery.
"""

from __future__ import annotations

import enum

__all__ = ["Status"]


class Status(enum.StrEnum):
    """How running one piece of code ended (a closed set; docs/sandbox.md lists it)."""

    OK = "ok"
    SYNTAX_ERROR = "syntax_error"
    IMPORT_ERROR = "import_error"
    NO_SCENE = "no_scene"
    MULTIPLE_SCENES = "multiple_scenes"
    RUNTIME_ERROR = "runtime_error"
    LATEX_ERROR = "latex_error"
    TIMEOUT = "timeout"
    MEMORY_EXCEEDED = "memory_exceeded"
    CRASHED = "crashed"
    INVALID_SNAPSHOT = "invalid_snapshot"
    EMPTY_SCENE = "empty_scene"
