"""``codegen=llm``: a language model writes the code, under the JEPA's predicted layout.

The default writer is the shared composer (:func:`benchmark.compose.compose_scene`), which
cannot produce broken code.  With ``--model-arg codegen=llm`` the predicted boxes become
constraints in the ``llm`` submission's prompt instead — the task as the plain LLM sees it,
plus one line per object with the box it must occupy — and the model writes the scene
(the ``llm`` submission's public ``write_code``).  Every ``llm`` option is passed through
with an ``llm_`` prefix (``llm_backend=openai``, ``llm_base_url=…``, ``llm_model=…``); its
reply cache, retries and errors are the ``llm`` submission's own.  One program per task:
sampling (``n``) and repair rounds are the ``llm`` submission's business, not the layout
model's.  The ``llm`` submission is looked up by name in the submission registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmark.core.submission import Generation, submissions
from benchmark.core.tasks import Task

__all__ = ["LLM_ARGS", "LayoutLlm", "layout_constraints"]

LLM = "llm"
"""The registered name of the submission that writes the code."""

LLM_ARGS = tuple(k for k in submissions.get(LLM).args_help if k not in ("n", "repair_rounds"))
"""The ``llm`` options that ``codegen=llm`` passes through (as ``llm_<name>``)."""


def layout_constraints(task: Task, boxes: Mapping[str, tuple[float, float, float, float]]
                       ) -> str:
    """The predicted layout as prompt lines: object id → box [xmin, ymin, xmax, ymax]."""
    lines = ["Layout to follow (from a layout model): place each object so that its bounding "
             "box is the box given here, [xmin, ymin, xmax, ymax] in scene units; move and, "
             "if needed, scale each object into its box."]
    for o in task.objects:
        if o.id not in boxes:
            continue
        cx, cy, w, h = boxes[o.id]
        lines.append(f"- {o.id}: [{cx - w / 2:.2f}, {cy - h / 2:.2f}, {cx + w / 2:.2f}, "
                     f"{cy + h / 2:.2f}]")
    return "\n".join(lines)


class LayoutLlm:
    """The ``llm`` submission asked to write a scene under a given layout."""

    def __init__(self, **args: str) -> None:
        self.llm: Any = submissions.get(LLM)(**args)

    def write(self, task: Task, boxes: Mapping[str, tuple[float, float, float, float]]
              ) -> Generation:
        return self.llm.write_code(task, layout_constraints(task, boxes))
