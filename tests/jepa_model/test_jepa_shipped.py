"""The shipped checkpoints, scored end to end: the model, the composer, the sandbox, the scorers.

Milestone 1 of the plan is synthetic miou ≥ 0.70 with the shipped checkpoint; the whole test
split is measured by ``python -m benchmark run --model jepa`` (docs/jepa.md).  Here a sample of it
guards against anything that would silently break the checkpoint (features, composer, sizes).
"""

from __future__ import annotations

import dataclasses

import pytest

from benchmark.core.tasks import ObjectSpec
from benchmark.runner import RunOptions, run_benchmark
from benchmark.store import Store
from benchmark.suites import load_suite
from jepa_model.submission import DEFAULT_CHECKPOINT, Jepa


@pytest.fixture(scope="module")
def sample():
    return load_suite("synthetic", "test", limit=24)


@pytest.mark.slow
def test_the_default_checkpoint_clears_milestone_1_on_a_sample(sample, sandbox, tmp_path):
    assert DEFAULT_CHECKPOINT.name == "base"
    store = Store(str(tmp_path / "b.db"))
    try:
        stats = run_benchmark(Jepa(), sample, store, RunOptions(jobs=2, sandbox=sandbox),
                              model="jepa")
        rows = store.results(stats.run_id)
    finally:
        store.close()
    assert len(rows) == 24
    assert all(r.status == "ok" for r in rows)
    miou = sum(r.metrics["miou"] for r in rows) / len(rows)
    assert miou >= 0.8, miou  # 0.904 on the first 50, 0.894 on all 500


def test_the_tiny_checkpoint_still_loads_and_places_every_object(sample):
    sub = Jepa(checkpoint=str(DEFAULT_CHECKPOINT.parent / "tiny"))
    task = sample.tasks[0]
    boxes = sub.predictor.boxes(task)
    assert set(boxes) == {o.id for o in task.objects}
    assert "from manim import *" in sub.generate(task).code


def test_objects_the_composer_cannot_write_are_left_out_not_the_task(sample):
    sub = Jepa(checkpoint=str(DEFAULT_CHECKPOINT.parent / "tiny"))
    task = sample.tasks[0]
    picture = ObjectSpec("picture", "image", "pi_creature.png")  # a 3b1b image
    gen = sub.generate(dataclasses.replace(task, objects=[*task.objects, picture]))
    assert gen.meta["unwritable"] == ["picture"]
    compile(gen.code, "scene.py", "exec")
    assert "pi_creature" not in gen.code
    # every writable object is still written (the image changes the predicted layout a little)
    assert gen.code.count(".move_to(") == sub.generate(task).code.count(".move_to(")
