"""Task JSON: valid files round-trip; malformed ones name the file, line and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from benchmark.core.tasks import (
    Box,
    Suite,
    TaskFormatError,
    dump_tasks,
    load_tasks,
    parse_task,
)

GOOD: dict = {
    "id": "synthetic/equation_over_graph/00017", "suite": "synthetic", "split": "test",
    "family": "equation_over_graph", "difficulty": "easy",
    "prompt": "Show the equation f(x) = x^2 above its graph.",
    "objects": [{"id": "eq", "kind": "tex", "content": "f(x) = x^2"},
                {"id": "ax", "kind": "axes", "content": "", "given": [-3, -2, 3, 1]},
                {"id": "g", "kind": "graph", "content": "x**2",
                 "params": {"axes": "ax", "x_range": [-2, 2]}}],
    "relations": [{"a": "eq", "rel": "above", "b": "g"}],
    "reference": {"layout": [{"id": "eq", "kind": "tex", "content": "f(x) = x^2",
                              "box": [-1.0, 1.7, 1.0, 2.3]}],
                  "code": "from manim import *\n", "frame": None, "keyframes": 3},
}


def write_lines(path: Path, *objs: object) -> Path:
    lines = [o if isinstance(o, str) else json.dumps(o) for o in objs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def broken(**changes: object) -> dict:
    """GOOD with dotted-path changes; the value ``...`` deletes the key."""
    d = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        *head, last = dotted.split("__")
        node = d
        for k in head:
            node = node[int(k)] if isinstance(node, list) else node[k]
        key = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value
    return d


def load_error(tmp_path: Path, *objs: object) -> str:
    path = write_lines(tmp_path / "tasks.jsonl", *objs)
    with pytest.raises(TaskFormatError) as info:
        load_tasks(path)
    return str(info.value)


def test_a_valid_task_round_trips_through_dump_and_load(tmp_path):
    task = parse_task(GOOD)
    path = dump_tasks([task], tmp_path / "out.jsonl")
    again = load_tasks(path)
    assert len(again) == 1
    assert again[0].to_json() == task.to_json()
    assert again[0].content_hash() == task.content_hash()
    assert again[0].object("ax").given == Box(-3, -2, 3, 1)
    assert again[0].given_ids == {"ax"}


def test_invalid_json_names_file_and_line(tmp_path):
    msg = load_error(tmp_path, GOOD, "{not json")
    assert "tasks.jsonl:2:" in msg and "invalid JSON" in msg


@pytest.mark.parametrize(("changes", "field"), [
    ({"prompt": ...}, "prompt: missing"),
    ({"prompt": "   "}, "prompt: empty"),
    ({"objects": []}, "objects: empty"),
    ({"objects__0__kind": "formula"}, "objects[0].kind: unknown kind 'formula'"),
    ({"objects__1__id": "eq"}, "objects[1].id: duplicate id 'eq'"),
    ({"objects__0__content": 3}, "objects[0].content: expected str, got int"),
    ({"objects__1__given": [3, 0, 1, 1]}, "objects[1].given: xmax < xmin"),
    ({"objects__1__given": [0, 0, 1]}, "objects[1].given: expected [xmin, ymin, xmax, ymax]"),
    ({"objects__2__params": [1, 2]}, "objects[2].params: expected an object"),
    ({"relations__0__rel": "near"}, "relations[0].rel: unknown relation 'near'"),
    ({"relations__0__b": "nope"}, "relations[0].b: no object with id 'nope'"),
    ({"reference__layout__0__box": [0, 0, float("nan"), 1]},
     "reference.layout[0].box: box values must be finite"),
    ({"reference__layout__0__id": "zz"}, "reference.layout[0].id: no object with id 'zz'"),
    ({"reference__code": 5}, "reference.code: expected a string or null"),
    ({"reference__keyframes": True}, "reference.keyframes: expected an integer or null"),
    ({"reference": ...}, "reference: missing"),
])
def test_malformed_field_is_named_with_file_and_line(tmp_path, changes, field):
    msg = load_error(tmp_path, GOOD | {"id": "first"}, broken(**changes))
    assert msg.startswith(f"{tmp_path / 'tasks.jsonl'}:2: ")
    assert field in msg


def test_duplicate_task_ids_are_rejected(tmp_path):
    msg = load_error(tmp_path, GOOD, GOOD)
    assert ":2: id: duplicate task id" in msg


def test_a_line_that_is_not_an_object_is_rejected(tmp_path):
    msg = load_error(tmp_path, [1, 2])
    assert ":1: expected a JSON object, got list" in msg


def test_missing_file_is_reported_not_raised_as_oserror(tmp_path):
    with pytest.raises(TaskFormatError, match="no such file"):
        load_tasks(tmp_path / "absent.jsonl")


def test_blank_lines_are_skipped_and_line_numbers_still_count_them(tmp_path):
    msg = load_error(tmp_path, GOOD, "", broken(id="other", prompt=...))
    assert "tasks.jsonl:3: prompt: missing" in msg


def test_suite_hash_depends_on_content_only(tmp_path):
    a = Suite("s", "v1", "test", [parse_task(GOOD)])
    b = Suite("s", "v1", "test", load_tasks(dump_tasks(a.tasks, tmp_path / "x.jsonl")))
    assert a.hash == b.hash
    changed = Suite("s", "v1", "test", [parse_task(broken(prompt="Another prompt."))])
    assert changed.hash != a.hash


def test_inputs_hash_ignores_the_reference_but_layout_hash_does_not():
    a = parse_task(GOOD)
    b = parse_task(broken(reference__layout__0__box=[-1.0, 1.0, 1.0, 2.0]))
    assert a.inputs_hash() == b.inputs_hash()
    assert a.layout_hash() != b.layout_hash()
