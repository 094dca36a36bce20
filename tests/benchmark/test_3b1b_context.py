"""Context tasks: what a keyframe kept from the previous wait, and ``context-stats``.

Pure tests on hand-made objects and tasks; the end-to-end ones (the fake
checkout prepared with ManimGL) are in ``test_3b1b_prepare.py``.
"""

from __future__ import annotations

import json
import math

import pytest

from benchmark.cli import main
from benchmark.context_stats import (
    RADIUS,
    anchor_of,
    next_to,
    side_of,
    summarize,
    target_contexts,
)
from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Task, dump_tasks
from benchmark.suites import SuiteError, load_suite
from benchmark.suites.threeb1b.context import Shown, kept, shown
from benchmark.suites.threeb1b.objects import GLObject
from benchmark.suites.threeb1b.source import (
    HELDOUT_SPLITS,
    SOURCE,
    SPLITS,
    scratch_split,
    video_split,
)

TITLE = Box(-3.0, 3.0, 3.0, 3.6)
EQ = Box(-2.0, -0.4, 0.0, 0.4)


def s(uid: int | None, content: str, box: Box, kind: str = "tex") -> Shown:
    return Shown(uid, kind, content, box)


# ---------------------------------------------------------------- kept objects


def test_the_same_mobject_on_the_same_box_is_kept_and_a_moved_one_is_not():
    before = [s(1, "Title", TITLE, "text"), s(2, "a^2", EQ)]
    now = [s(1, "Title", TITLE, "text"), s(2, "a^2", EQ.translated(1.0, 0.0)),
           s(3, "= c^2", Box(0.2, -0.4, 1.5, 0.4))]
    assert kept(now, before) == [True, False, False]


def test_a_small_drift_is_kept_and_a_resize_is_not():
    before = [s(1, "a^2", EQ)]
    assert kept([s(1, "a^2", EQ.translated(0.01, 0.0))], before) == [True]
    bigger = Box(-2.2, -0.5, 0.2, 0.5)
    assert EQ.iou(bigger) < 0.95
    assert kept([s(1, "a^2", bigger)], before) == [False]


def test_an_identical_copy_in_place_is_kept_but_a_moved_mobject_never_by_look():
    before = [s(1, "a^2", EQ), s(2, "a^2", EQ.translated(0.0, -2.0))]
    # A ReplacementTransform into a copy: new mobject, same look and place.
    assert kept([s(9, "a^2", EQ)], before) == [True]
    # Mobject 2 moved onto mobject 1's old place (mobject 1 is gone): it moved, a target.
    assert kept([s(2, "a^2", EQ)], [s(1, "a^2", EQ), s(2, "a^2", EQ.translated(0, -2))]) == \
        [False]
    # Different content on the same box is new.
    assert kept([s(9, "b^2", EQ)], before) == [False]


def test_each_earlier_object_is_used_once():
    before = [s(None, "Dot", Box(0, 0, 0.2, 0.2), "shape")]
    now = [s(None, "Dot", Box(0, 0, 0.2, 0.2), "shape")] * 2
    assert kept(now, before) == [True, False]
    assert kept(now, []) == [False, False]


def test_shown_reads_the_root_members_number():
    objs = [GLObject("tex", "Tex", "a^2", EQ.as_list(), [3, 4], 3),
            GLObject("text", "Text", "Title", TITLE.as_list(), [0], 0)]
    uids = [10, 11, 12, 13, 14]
    assert [x.uid for x in shown(objs, uids)] == [13, 10]
    assert [x.uid for x in shown(objs, None)] == [None, None]  # an older snapshot
    assert [x.uid for x in shown(objs, ["x", True, 1, 2])] == [2, None]


def test_split_names_and_which_are_held_out():
    assert SPLITS == ("dev", "test", "dev-scratch", "test-scratch") == SOURCE.splits
    assert scratch_split("test") == "test-scratch" and video_split("test-scratch") == "test"
    assert video_split("dev") == "dev"
    assert HELDOUT_SPLITS == ("test", "test-scratch")


def test_a_folder_of_the_first_builder_is_refused_by_name_but_loads_by_path(
        tmp_path, monkeypatch):
    """Its ``test`` was from scratch: read as the context variant it would mislead M2."""
    monkeypatch.setenv("JEPA_MANIM_3B1B", str(tmp_path))
    old = task("t1", [("o1", "tex", TITLE, False), ("o2", "tex", EQ, False)], "test")
    dump_tasks([old], tmp_path / "test.jsonl")
    (tmp_path / "manifest.json").write_text(json.dumps({"builder_version": "1"}))
    for split in ("test", "test-scratch"):
        with pytest.raises(SuiteError, match=r"older builder \(1: .*prepare it again.*"
                                             r"--suite .*test\.jsonl"):
            load_suite("3b1b", split)
        assert SOURCE.size(split) == 0
    assert load_suite(str(tmp_path / "test.jsonl")).tasks == [old]
    (tmp_path / "manifest.json").write_text(json.dumps({"builder_version": "2"}))
    assert load_suite("3b1b", "test").tasks == [old]
    with pytest.raises(SuiteError, match=r"not prepared .*no test-scratch\.jsonl"):
        load_suite("3b1b", "test-scratch")
    with pytest.raises(SuiteError, match="did you mean 'test-scratch'"):
        load_suite("3b1b", "test-scrach")


# ---------------------------------------------------------------- context statistics


def task(tid: str, objs: list[tuple[str, str, Box, bool]], split: str = "dev") -> Task:
    specs = [ObjectSpec(i, k, f"{k} {i}", {}, b if given else None) for i, k, b, given in objs]
    layout = [PlacedObject(i, k, f"{k} {i}", b) for i, k, b, _ in objs]
    return Task(tid, "3b1b", split, "v", "easy", "Lay out the objects.", specs, [],
                Reference(layout), {})


def test_side_anchor_and_next_to():
    anchor = Box(-1, -0.5, 1, 0.5)
    assert side_of(Box(1.25, -0.3, 2.0, 0.3), anchor) == "right"
    assert side_of(Box(-3, -0.3, -2, 0.3), anchor) == "left"
    assert side_of(Box(-0.5, 1.0, 0.5, 1.5), anchor) == "above"
    assert side_of(Box(-0.5, -2.0, 0.5, -1.0), anchor) == "below"
    assert side_of(Box(-0.2, -0.2, 0.2, 0.2), anchor) == "overlap"
    assert next_to(anchor, "right", 0.75, 0.6) == pytest.approx((1.625, 0.0))
    assert next_to(anchor, "below", 1.0, 1.0) == pytest.approx((0.0, -1.25))
    far, near = Box(-6, 2, -5, 3), Box(2, -0.5, 3, 0.5)
    assert anchor_of(Box(3.3, -0.3, 4, 0.3), {"far": far, "near": near}) == "near"


def test_context_stats_per_target_and_over_the_split():
    lhs = Box(-2.0, -0.4, 0.0, 0.4)
    rhs = Box(0.25, -0.4, 1.25, 0.4)  # exactly next_to(lhs, RIGHT)
    word = Box(-1.5, -2.0, -0.5, -1.5)  # below lhs, 1.1 units under
    far = Box(4.0, 2.0, 5.0, 3.0)  # far up right of lhs: a next_to miss
    tasks = [task("a", [("o1", "tex", lhs, True), ("o2", "tex", rhs, False),
                        ("o3", "text", word, False)]),
             task("b", [("o1", "tex", lhs, True), ("o2", "shape", far, False)]),
             task("c", [("o1", "tex", lhs, False), ("o2", "tex", rhs, False)])]  # no context
    rows = {(r.task, r.target): r for r in target_contexts(tasks)}
    assert set(rows) == {("a", "o2"), ("a", "o3"), ("b", "o2")}
    assert rows[("a", "o2")].side == "right" and rows[("a", "o2")].next_to_error == 0
    assert rows[("a", "o2")].dx == pytest.approx(1.75) and rows[("a", "o2")].dy == 0
    below = rows[("a", "o3")]
    assert below.side == "below" and below.gap == pytest.approx(1.1)
    assert below.next_to_error == pytest.approx(0.85)  # 1.1 gap against the 0.25 buffer
    stats = summarize(tasks)
    assert stats["tasks"] == 3 and stats["tasks_with_context"] == 2
    assert stats["targets"] == 5 and stats["targets_with_context"] == 3
    assert stats["sides"] == {"left": 0, "right": 2, "above": 0, "below": 1, "overlap": 0}
    assert stats["within"]["next_to"] == pytest.approx(1 / 3, abs=1e-4)
    assert stats["within"]["frame_centre"] == 0
    # One target per side but "right": each sits exactly on its side's median offset.
    assert stats["within"]["median_offset"] == pytest.approx(1 / 3, abs=1e-4)
    assert stats["median"]["distance"] == pytest.approx(
        sorted(math.hypot(r.dx, r.dy) for r in rows.values())[1], abs=1e-3)
    assert [b["n"] for b in stats["histogram"]["next_to_error"]] == [1, 1, 0, 0, 1]
    assert sum(b["n"] for b in stats["histogram"]["distance"]) == 3
    assert stats["radius"] == RADIUS


def test_context_stats_without_any_given_object():
    stats = summarize([task("c", [("o1", "tex", EQ, False), ("o2", "text", TITLE, False)])])
    assert stats["targets_with_context"] == 0 and stats["within"]["next_to"] is None
    assert stats["median"]["distance"] is None


def test_context_stats_command_on_a_task_file(tmp_path, capsys):
    path = dump_tasks([task("a", [("o1", "tex", EQ, True),
                                  ("o2", "tex", Box(0.25, -0.4, 1.25, 0.4), False)])],
                      tmp_path / "ctx.jsonl")
    assert main(["context-stats", "--suite", str(path), "--json", "--per-target"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["targets_with_context"] == 1 and out["per_target"][0]["side"] == "right"
    assert main(["context-stats", "--suite", str(path)]) == 0
    text = capsys.readouterr().out
    assert "within 0.5 units" in text and "100.0 %" in text and "#" in text


@pytest.mark.parametrize(("args", "says"), [
    (["--suite", "3b1b", "--split", "tset"], "no split 'tset'"),
    (["--suite", "{tmp}/none.jsonl"], "no such suite file"),
    (["--suite", "synthetic", "--split", "test", "--limit", "0"], "--limit"),
])
def test_context_stats_bad_input_is_one_line(tmp_path, capsys, args, says):
    code = main(["context-stats", *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and says in err[0]
