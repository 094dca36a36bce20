"""An installed package adds a submission through its entry-point group (docs/submissions.md).

The fixture package is built and installed with pip into a temporary ``--target``
folder (offline, no build isolation, nothing written to the virtualenv or the
checkout) and put on ``PYTHONPATH`` of the commands under test, so its entry point
is found by ``importlib.metadata`` exactly as for a ``pip install``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parents[1] / "fixtures" / "external_submission"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("external")
    source = tmp / "src"
    shutil.copytree(FIXTURE, source)  # builds write into the source folder: not the checkout
    target = tmp / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--quiet", "--target", str(target),
         str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    paths = [str(target), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def benchmark_cli(env: dict[str, str], *args: str, timeout: float = 60
                  ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_models_lists_the_installed_entry_point(env: dict[str, str]) -> None:
    proc = benchmark_cli(env, "models", "--json")
    assert proc.returncode == 0, proc.stderr
    models = {m["name"]: m for m in json.loads(proc.stdout)["models"]}
    assert models["centre"]["target"] == "centre_submission:CentreSubmission"
    assert models["centre"]["source"] == "entry point (centre-submission)"
    assert {"oracle", "random", "template"} <= set(models)


def test_the_entry_point_is_not_visible_without_the_package() -> None:
    proc = benchmark_cli(dict(os.environ), "models", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "centre" not in {m["name"] for m in json.loads(proc.stdout)["models"]}


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "benchmark" / "commands" / "run.py").exists(),
                    reason="the run command (benchmark/commands/run.py) does not exist yet")
def test_run_accepts_the_installed_submission(env: dict[str, str], tmp_path: Path) -> None:
    proc = benchmark_cli(env, "run", "--model", "centre", "--suite", "synthetic", "--limit", "2",
                         "--db", str(tmp_path / "b.db"), "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "centre" in json.dumps(out)
