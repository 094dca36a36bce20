"""The bounds that make the numbers trustworthy, on the real synthetic test split.

The oracle (reference code) scores miou, adherence@0.5 and type_acc of 1 on
every task — measured, not assumed: its code goes through the sandbox like
any submission's.  Random lies far below template, template far below oracle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.store import Store

REPO = Path(__file__).resolve().parents[2]
SAMPLE = 48  # the first 48 test tasks cover all 12 families


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bounds") / "benchmark.db"


def run(model: str, db: Path, *extra: str) -> dict:
    env = dict(os.environ, TORCH_HOME=str(db.parent / "no-torch"))
    done = subprocess.run([sys.executable, "-m", "benchmark", "run", "--model", model,
                           "--suite", "synthetic", "--split", "test", "--jobs", "2",
                           "--db", str(db), "--json", *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_oracle_scores_one_on_every_synthetic_test_task(db):
    out = run("oracle", db)
    assert out["n"] == 500 and out["statuses"] == {"ok": 500}
    results = Store(str(db)).results(out["run_id"])
    assert len(results) == 500
    for r in results:
        m = r.metrics
        # Reference boxes are stored to 1e-4 units, so IoU can differ from 1 by ~1e-4.
        assert m["miou"] == pytest.approx(1.0, abs=2e-3), r.task_id
        assert m["adherence@0.5"] == 1.0, r.task_id
        assert m["type_acc"] == 1.0, r.task_id


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_random_is_far_below_template_which_is_far_below_oracle(db):
    limit = ("--limit", str(SAMPLE))
    oracle = run("oracle", db, *limit)["metrics"]
    template = run("template", db, *limit)["metrics"]
    rand = run("random", db, *limit)["metrics"]
    for metric, gap in (("miou", 0.15), ("adherence@0.5", 0.1)):
        assert template[metric] + gap < oracle[metric], metric
        assert rand[metric] + 3 * gap < template[metric], metric
    assert template["rendered"] == 1.0
