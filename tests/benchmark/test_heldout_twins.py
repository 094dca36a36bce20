"""A dev task that equals a test task (a stock scene in two videos) is left out of dev."""

from __future__ import annotations

from benchmark.core.tasks import Box, ObjectSpec, PlacedObject, Reference, Task
from benchmark.suites.heldout import check_no_leak, without_heldout_twins

HELD = ("test", "test-scratch")


def task(tid: str, split: str, prompt: str, x: float) -> Task:
    objs = [ObjectSpec("a", "text", "Pause and ponder"), ObjectSpec("b", "tex", "x^2")]
    layout = [PlacedObject("a", "text", "Pause and ponder", Box(-2, 2, 2, 3)),
              PlacedObject("b", "tex", "x^2", Box(x, 0, x + 1, 1))]
    return Task(tid, "3b1b", split, tid.split("/")[0], "easy", prompt, objs, [],
                Reference(layout))


def test_the_held_out_twin_wins_and_the_rest_is_kept() -> None:
    test = task("v1/t", "test", "Pause and ponder.", 0.0)
    # another video (so other inputs: a task's family is its video) with the same boxes
    same_layout = task("v2/a", "dev", "Pause and ponder.", 0.0)
    also = task("v2/b", "dev-scratch", "Another narration.", 0.0)
    other = task("v2/c", "dev", "Another narration.", 3.0)
    kept, dropped = without_heldout_twins([same_layout, test, also, other], HELD)
    assert dropped == 2
    assert [t.id for t in kept] == ["v1/t", "v2/c"]  # in order; the test task stays
    check_no_leak([t for t in kept if t.split not in HELD],
                  {h: "test" for h in (test.inputs_hash(), test.layout_hash())})


def test_nothing_to_drop_keeps_everything() -> None:
    tasks = [task("v1/t", "test", "One.", 0.0), task("v2/a", "dev", "Two.", 3.0)]
    assert without_heldout_twins(tasks, HELD) == (tasks, 0)
