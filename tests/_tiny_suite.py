"""A four-task suite for runner and CLI tests: composed reference code, measured layouts.

The reference layout of each task is what trusted measurement reports for its
reference code, exactly as a suite generator records it, so the oracle's
ceiling is 1 by construction.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.compose import Placement, compose_scene
from benchmark.core.tasks import (
    Box,
    ObjectSpec,
    PlacedObject,
    Reference,
    Relation,
    Suite,
    Task,
    dump_tasks,
)
from benchmark.render import Renderer

OBJECTS = [
    [ObjectSpec("c", "shape", "Circle", {"radius": 1}), ObjectSpec("s", "shape", "Square")],
    [ObjectSpec("eq", "tex", "x^2 + y^2 = 1"), ObjectSpec("d", "shape", "Dot")],
    [ObjectSpec("t", "text", "Hello"),
     ObjectSpec("r", "shape", "Rectangle", {"width": 3, "height": 1})],
    [ObjectSpec("a", "shape", "Triangle"), ObjectSpec("b", "shape", "Circle", {"radius": 0.5})],
]


def tiny_suite(renderer: Renderer, n: int = 4, name: str = "tiny") -> Suite:
    tasks = []
    for i in range(n):
        objs = OBJECTS[i % len(OBJECTS)]
        task = Task(f"{name}/f{i % 2}/{i:03d}", name, "test", f"f{i % 2}", "easy",
                    f"Put the {objs[0].content} left of the {objs[1].content}.", objs,
                    [Relation(objs[0].id, "left_of", objs[1].id)], Reference([]))
        task.reference.code = compose_scene(task, {
            objs[0].id: Placement(-3 + 0.25 * i, 0.5),
            objs[1].id: Placement(3 - 0.25 * i, -0.5)})
        tasks.append(task)
    for task, rep in zip(tasks, renderer.render_many([t.reference.code for t in tasks]),
                         strict=True):
        assert rep.status.value == "ok", rep.error
        task.reference.layout = [PlacedObject(o.id, m.kind, m.content, Box(*m.box))
                                 for o, m in zip(task.objects, rep.objects, strict=True)]
    return Suite(name, "1", "test", tasks)


def write_tiny_suite(renderer: Renderer, path: Path, n: int = 4) -> Path:
    return dump_tasks(tiny_suite(renderer, n, name=path.stem).tasks, path)
