"""``oracle`` and ``template`` on the prepared fake 3b1b suite (``tests/_fake_3b1b.py``).

The oracle composes each task's reference layout (its tasks have no reference
code): on every target the composer can write it is the suite's ceiling.  The
template places a context task's targets next to what is given; it should do
at least as well on those targets as from scratch.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from _fake_3b1b import CAPTIONS, VIDEOS, cli, last_json, prepare

from benchmark.compose import writable
from benchmark.core.geometry import padded_iou
from benchmark.core.tasks import Box, Task, load_tasks
from benchmark.results import TaskResult
from benchmark.scoring import match_objects
from benchmark.scoring._geometry import centre_distance
from benchmark.store import Store
from benchmark.suites.threeb1b.extract import manimgl_version
from benchmark.suites.threeb1b.source import SPLITS

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    manimgl_version() is None or shutil.which("latex") is None,
    reason="needs ManimGL (pip install '.[3b1b]') and LaTeX")]

CEILING = 0.95  # miou of the composed reference layout on the targets it can write
TOL = 0.05  # scene units


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def suite(tmp_path_factory, cache) -> Path:
    out = tmp_path_factory.mktemp("prepared") / "3b1b"
    prepare(VIDEOS, CAPTIONS, out, cache)
    return out


SUMMARIES: dict[tuple[str, str], dict] = {}  # (model, split) -> the run's `run --json`


def run_model(model: str, suite: Path, db: Path, cache: Path) -> dict[str, list]:
    """Per split: (task, stored result) pairs of one run of ``model``."""
    out: dict[str, list] = {}
    for split in SPLITS:
        run = last_json(cli("run", "--model", model, "--suite", "3b1b", "--split", split,
                            "--db", str(db), "--jobs", "2", "--json", cache=cache,
                            JEPA_MANIM_3B1B=str(suite)))
        SUMMARIES[(model, split)] = run
        tasks = {t.id: t for t in load_tasks(suite / f"{split}.jsonl")}
        with Store(str(db)) as store:
            out[split] = [(tasks[r.task_id], r) for r in store.results(run["run_id"])]
        assert len(out[split]) == len(tasks)
    return out


def per_object(task: Task, row: TaskResult) -> dict[str, tuple[float, float, Box | None]]:
    """Object id -> (padded IoU, centre distance, drawn box) through the scorers' matching."""
    ref = list(task.reference.layout)
    drawn = [o for o in row.objects if o.visible]
    matched = match_objects(ref, drawn if row.status == "ok" else [])
    out = {}
    for p, m in zip(ref, matched, strict=True):
        box = None if m is None else drawn[m].box
        out[p.id] = ((0.0, math.inf, None) if box is None
                     else (padded_iou(p.box, box), centre_distance(p.box, box), box))
    return out


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


@pytest.fixture(scope="module")
def oracle(suite, cache, tmp_path_factory) -> dict[str, list]:
    return run_model("oracle", suite, tmp_path_factory.mktemp("oracle") / "o.db", cache)


@pytest.fixture(scope="module")
def template(suite, cache, tmp_path_factory) -> dict[str, list]:
    return run_model("template", suite, tmp_path_factory.mktemp("template") / "t.db", cache)


def test_oracle_ceiling_on_the_targets_the_composer_can_write(oracle):
    ious: list[float] = []
    unwritable: dict[str, int] = {}
    for split, pairs in oracle.items():
        unwritable[split] = 0
        before = len(ious)
        for task, row in pairs:
            assert row.status == "ok", (task.id, row.error)
            meta = row.generation
            _, bad = writable(task)
            assert meta["oracle"] == "composed" and meta["unwritable"] == bad
            targets = [o.id for o in task.objects if o.given is None]
            assert meta["unwritable_targets"] == [i for i in bad if i in targets]
            unwritable[split] += len(meta["unwritable_targets"])
            # What the composer writes is honest Manim CE: every drawn object verifies.
            assert all(o.verified for o in row.objects), (task.id, row.objects)
            got = per_object(task, row)
            ious += [got[i][0] for i in targets if i not in bad]
        # The run's own summary reports the same figure (`written`).
        written = SUMMARIES[("oracle", split)].get("written")
        mine = ious[before:]
        assert (written is None) == (not mine), split
        if mine:
            assert written["targets"] == len(mine)
            assert written["miou"] == pytest.approx(_mean(mine), abs=1e-9)
    print(f"\noracle ceiling: miou {_mean(ious):.3f} over {len(ious)} writable targets; "
          f"unwritable targets per split {unwritable}")
    assert _mean(ious) >= CEILING
    # The fake suite's unwritable targets: graphs (no expression), the arrows ending on
    # them, a PiCreature and a collapsed grid of squares.
    assert unwritable == {"dev": 0, "test": 7, "dev-scratch": 0, "test-scratch": 9}
    # The run's summary counts them too.
    for split, n in unwritable.items():
        assert SUMMARIES[("oracle", split)].get("unwritable", {}).get("targets", 0) == n


def test_template_on_context_targets_beats_its_from_scratch_placement(template):
    ctx: dict[tuple[str, str], tuple[float, float]] = {}
    scratch: dict[tuple[str, str], tuple[float, float]] = {}
    for split, pairs in template.items():
        for task, row in pairs:
            assert row.status == "ok", (task.id, row.error)
            got = per_object(task, row)
            key = task.id.removesuffix("-scratch")
            into = scratch if split.endswith("-scratch") else ctx
            for o in task.objects:
                if o.given is None:
                    into[(key, o.id)] = got[o.id][:2]
                    continue
                # A given object the template can write stays on its box: centred on
                # it, scaled to fit inside it.
                if o.id in {w.id for w in writable(task)[0]}:
                    _, dist, box = got[o.id]
                    g = o.given
                    assert box is not None and dist < 0.05, (task.id, o.id, dist)
                    assert (box.xmin >= g.xmin - TOL and box.ymin >= g.ymin - TOL
                            and box.xmax <= g.xmax + TOL and box.ymax <= g.ymax + TOL), \
                        (task.id, o.id, box, g)
    targets = sorted(ctx)
    assert targets and set(targets) <= set(scratch)
    miou = [_mean([d[k][0] for k in targets]) for d in (ctx, scratch)]
    near = [_mean([float(d[k][1] <= 0.5) for k in targets]) for d in (ctx, scratch)]
    print(f"\ntemplate on {len(targets)} context targets: miou {miou[0]:.3f} in context vs "
          f"{miou[1]:.3f} from scratch; adherence@0.5 {near[0]:.3f} vs {near[1]:.3f}")
    assert miou[0] >= miou[1] and near[0] >= near[1]
    assert miou[0] > miou[1] or near[0] > near[1]
