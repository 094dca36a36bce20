"""What the harness measured about one submission's code for one task.

This is the only input scorers get besides the task: the code, whether it
compiled, the sandbox status, the semantic objects measured by trusted code
from the final keyframe, the frame drawn by trusted code, and the reference
frame (drawn the same way from the reference code) when there is one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmark.core.tasks import Box
from benchmark.sandbox import Status

__all__ = ["MeasuredObject", "Outcome", "compiles"]


@dataclass(frozen=True)
class MeasuredObject:
    kind: str
    content: str
    box: Box
    visible: bool = True
    # Kind and content proven by what the object drew (benchmark.measure.verify); objects
    # built from a reference layout are true by construction.  Results stored before
    # verification existed read as verified: ``rescore`` measures them again.
    verified: bool = True
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "content": self.content,
                "box": [round(v, 6) for v in self.box.as_list()], "visible": self.visible,
                "verified": self.verified, "reason": self.reason}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MeasuredObject:
        return cls(d["kind"], d["content"], Box(*d["box"]), bool(d.get("visible", True)),
                   bool(d.get("verified", True)), str(d.get("reason", "")))


@dataclass
class Outcome:
    code: str
    compiled: bool
    status: Status  # (a stored row's plain value compares equal)
    error: str = ""
    objects: list[MeasuredObject] = field(default_factory=list)
    frame: np.ndarray | None = None  # (h, w, 3) uint8 RGB
    reference_frame: np.ndarray | None = None  # same size, from the reference code

    @property
    def visible_objects(self) -> list[MeasuredObject]:
        return [o for o in self.objects if o.visible]


def compiles(code: str) -> bool:
    """``ast.parse`` + ``compile``: the ``compiled`` metric (never executes anything)."""
    try:
        compile(ast.parse(code), "<submission>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
