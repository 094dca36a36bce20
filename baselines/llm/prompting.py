"""What the ``llm`` submission says to the model, and how it reads the code back.

A conversation is a system prompt with Manim CE conventions, ``shots`` worked
examples (a training task and its reference code, as user and assistant
turns), then the task: its prompt, its objects (kind, content, parameters and
any box it is already given) and its stated relations.  Examples come from the
synthetic ``train`` split only, and are checked against the test and val
splits' hashes before use.  A repair round appends the model's reply and what
the sandbox said about it.

The code is the first fenced block marked Python (else the first fenced block
of any language, else the reply from ``from manim import`` on); the way it was
found is recorded (``extract``), and a reply with no code gives a one-line
comment instead, which the sandbox reports as ``no_scene``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from benchmark.core.submission import SubmissionError
from benchmark.core.tasks import Task
from benchmark.sampling import Feedback
from benchmark.suites.heldout import LeakageError, check_no_leak
from benchmark.suites.synthetic import generate_tasks

if TYPE_CHECKING:
    from baselines.llm.config import GenerationSettings

__all__ = ["NO_CODE", "SYSTEM_PROMPT", "Message", "chat_request", "describe_task", "examples",
           "extract_code", "repair_message", "task_messages"]

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": …}

SYSTEM_PROMPT = """\
You write Python code for Manim Community Edition that draws one still scene.
Conventions:
- Start with `from manim import *` and define exactly one class that subclasses `Scene`, \
with all drawing in its `construct(self)` method.
- The frame is 14.22 units wide and 8 units tall, centred on the origin: x runs from \
-7.11 to 7.11, y from -4 to 4, y points up. Keep every object inside the frame.
- Create each listed object once with the class its kind names (tex: MathTex, text: Text, \
axes: Axes, graph: AXES.plot, number_line: NumberLine, shape: the named class, arrow: \
Arrow, brace: Brace, matrix: Matrix) and add it to the scene with self.add or self.play.
- An object marked as already placed must stay exactly on its box \
[xmin, ymin, xmax, ymax].
- Place objects where the description says, without covering each other; use move_to, \
next_to, to_edge, to_corner, shift and arrange.
- Do not read or write files, use the network or print.
Answer with the complete scene in one ```python code block."""

NO_CODE = "# the model's reply contained no Python code block\n"
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_PYTHON = ("python", "py", "python3")
EXAMPLE_POOL = 240  # synthetic train tasks the examples are drawn from (20 per family)


def _box(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def describe_task(task: Task) -> str:
    """The task as the user turn: prompt, objects with parameters, relations."""
    lines = [f"Scene description: {task.prompt}", "",
             "Objects (id: kind, content, parameters):"]
    for o in task.objects:
        parts = [f"- {o.id}: {o.kind}"]
        if o.content:
            parts.append(json.dumps(o.content, ensure_ascii=False))
        if o.params:
            parts.append(json.dumps(o.params, sort_keys=True, ensure_ascii=False))
        line = ", ".join(parts)
        if o.given is not None:
            line += f"; already placed on the box {_box(o.given.as_list())}"
        lines.append(line)
    if task.relations:
        lines += ["", "Relations: " + "; ".join(f"{r.a} {r.rel.replace('_', ' ')} {r.b}"
                                                  for r in task.relations)]
    return "\n".join(lines)


@cache
def examples(shots: int) -> tuple[tuple[str, str], ...]:
    """``shots`` (task description, reference code) pairs from synthetic train, of as many
    families as possible, after the held-out guard."""
    if shots == 0:
        return ()
    pool = [t for t in generate_tasks("train", 0, EXAMPLE_POOL) if t.reference.code]
    chosen: list[Task] = []
    seen: set[str] = set()
    for t in pool:  # one per family first, in a fixed order
        if t.family not in seen and len(chosen) < shots:
            chosen.append(t)
            seen.add(t.family)
    chosen += [t for t in pool if t not in chosen][:shots - len(chosen)]
    try:
        check_no_leak(chosen)
    except LeakageError as exc:
        raise SubmissionError(f"llm: few-shot examples: {exc}") from None
    return tuple((describe_task(t), f"```python\n{t.reference.code or ''}```") for t in chosen)


def task_messages(task: Task, shots: int) -> list[Message]:
    """The first round's conversation for ``task``."""
    out: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for user, assistant in examples(shots):
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    out.append({"role": "user", "content": describe_task(task)})
    return out


def chat_request(model: str, messages: Sequence[Message], settings: GenerationSettings,
                 sample: int) -> dict[str, Any]:
    """The body of one ``/v1/chat/completions`` request for sample ``sample`` of a task:
    what the ``openai`` backend sends and ``export --prompts openai-batch`` writes."""
    body: dict[str, Any] = {"model": model, "messages": list(messages),
                            "max_tokens": settings.max_new_tokens,
                            "temperature": settings.temperature,
                            "seed": settings.seed + sample}
    if settings.sampling:
        body["top_p"] = settings.top_p
    return body


def extract_code(reply: str) -> tuple[str, str]:
    """(code, how): how is ``python`` (a fenced Python block), ``fenced`` (another fenced
    block), ``unfenced`` (from ``from manim import`` on) or ``none`` (code is ``NO_CODE``)."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(reply)]
    for lang, body in blocks:
        if lang in _PYTHON:
            return body.rstrip() + "\n", "python"
    for _, body in blocks:
        if body.strip():
            return body.rstrip() + "\n", "fenced"
    at = reply.find("from manim import")
    if at >= 0:
        return reply[at:].rstrip() + "\n", "unfenced"
    return NO_CODE, "none"


def repair_message(feedback: Feedback, extract: str) -> Message:
    """The user turn that reports a failed attempt back to the model."""
    if extract == "none":
        text = ("Your reply contained no Python code block. Answer with the complete scene "
                "in one ```python code block.")
    else:
        text = (f"The sandbox ran your scene and it failed with status "
                f"`{feedback.status}`: {feedback.error or 'no message'}")
        tail = feedback.stderr_tail.strip()[-1500:]
        if tail:
            text += f"\nThe end of its stderr:\n```\n{tail}\n```"
        text += ("\nFix the problem and answer with the complete corrected scene in one "
                 "```python code block.")
    return {"role": "user", "content": text}
