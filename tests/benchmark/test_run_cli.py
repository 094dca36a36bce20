"""``python -m benchmark run / runs / report / compare`` end to end, kill -9 included."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _tiny_suite import write_tiny_suite

from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig

REPO = Path(__file__).resolve().parents[2]
N_KILL = 12  # tasks in the kill -9 suite: enough that the kill lands mid-run
RUN_KEYS = {"run_id", "model", "suite", "split", "n", "metrics", "ci", "statuses"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def suites(tmp_path_factory, cache) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("suites")
    config = SandboxConfig(cache_dir=cache / "suite-building", namespace="tiny-suite")
    with Renderer(config, jobs=2) as r:
        return {"tiny": write_tiny_suite(r, folder / "tiny.jsonl", n=4),
                "many": write_tiny_suite(r, folder / "many.jsonl", n=N_KILL)}


def env(cache: Path) -> dict[str, str]:
    return dict(os.environ, XDG_CACHE_HOME=str(cache), TORCH_HOME=str(cache / "no-torch"))


def cli(*args: str, cache: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          env=env(cache), capture_output=True, text=True, timeout=timeout,
                          check=False)


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, suites, cache) -> tuple[Path, dict, dict]:
    db = tmp_path_factory.mktemp("two-runs") / "benchmark.db"
    base = ["--suite", str(suites["tiny"]), "--db", str(db), "--jobs", "2", "--json"]
    oracle = last_json(cli("run", "--model", "oracle", *base, cache=cache))
    random = last_json(cli("run", "--model", "random", "--model-arg", "seed=1", *base,
                           cache=cache))
    return db, oracle, random


@pytest.mark.slow
def test_run_json_last_line_has_the_promised_shape(two_runs):
    _, oracle, _ = two_runs
    assert RUN_KEYS <= set(oracle)
    assert oracle["model"] == "oracle" and oracle["split"] == "test" and oracle["n"] == 4
    assert oracle["metrics"]["miou"] == pytest.approx(1.0)
    lo, hi = oracle["ci"]["miou"]
    assert lo <= oracle["metrics"]["miou"] <= hi
    assert oracle["statuses"] == {"ok": 4}
    assert oracle["status"] == "complete" and oracle["sandbox_mode"] in ("bwrap", "rlimit-only")


def test_runs_lists_every_run_with_progress_and_miou(two_runs, cache):
    db, oracle, random = two_runs
    listing = last_json(cli("runs", "--db", str(db), "--json", cache=cache))
    by_id = {r["run_id"]: r for r in listing["runs"]}
    assert set(by_id) == {oracle["run_id"], random["run_id"]}
    assert by_id[oracle["run_id"]]["done"] == by_id[oracle["run_id"]]["n_tasks"] == 4
    assert by_id[oracle["run_id"]]["miou"] == pytest.approx(1.0)
    table = cli("runs", "--db", str(db), cache=cache)
    assert table.returncode == 0 and oracle["run_id"] in table.stdout


def test_report_json_matches_run_json_plus_groups(two_runs, cache):
    db, oracle, _ = two_runs
    report = last_json(cli("report", oracle["run_id"], "--db", str(db), "--json",
                           cache=cache))
    for key in RUN_KEYS:
        assert report[key] == oracle[key], key
    assert set(report["by_family"]) == {"f0", "f1"} and set(report["by_difficulty"]) == {"easy"}
    text = cli("report", oracle["run_id"], "--db", str(db), cache=cache)
    assert text.returncode == 0 and "miou" in text.stdout and "95% CI" in text.stdout


def test_compare_gives_paired_differences_with_a_verdict(two_runs, cache):
    db, oracle, random = two_runs
    out = last_json(cli("compare", oracle["run_id"], random["run_id"], "--db", str(db),
                        "--json", cache=cache))
    assert out["n_common"] == 4 and out["warnings"] == []
    miou = out["metrics"]["miou"]
    assert miou["mean"] > 0 and miou["lo"] <= miou["mean"] <= miou["hi"]
    assert miou["verdict"] in ("A better", "no significant difference")
    assert miou["a_mean"] == pytest.approx(1.0)


def test_unknown_model_is_a_did_you_mean_error(suites, cache, tmp_path):
    done = cli("run", "--model", "oracel", "--suite", str(suites["tiny"]), "--db",
               str(tmp_path / "b.db"), cache=cache)
    assert done.returncode == 2
    assert "did you mean 'oracle'" in done.stderr and done.stderr.count("\n") == 1


def test_malformed_model_arg_is_an_error(suites, cache, tmp_path):
    done = cli("run", "--model", "random", "--model-arg", "seed", "--suite",
               str(suites["tiny"]), "--db", str(tmp_path / "b.db"), cache=cache)
    assert done.returncode == 2 and "KEY=VALUE" in done.stderr


def test_unknown_suite_is_an_error(cache, tmp_path):
    done = cli("run", "--model", "oracle", "--suite", "no-such-suite", "--db",
               str(tmp_path / "b.db"), cache=cache)
    assert done.returncode == 2 and done.stderr.startswith("error:")


def test_resume_with_a_conflicting_flag_is_an_error(two_runs, cache):
    db, oracle, _ = two_runs
    done = cli("run", "--resume", oracle["run_id"], "--model", "random", "--db", str(db),
               cache=cache)
    assert done.returncode == 2 and "conflicts with run" in done.stderr


def _kill_mid_run(args: list[str], db: Path, cache: Path) -> bool:
    """Start ``run`` and SIGKILL it once at least two rows are stored and it is unfinished.

    The kill happens while this process holds the database's write lock, so the run
    cannot finish between the check and the kill, however busy the machine is.  False
    when the whole run finished before the check could see it unfinished."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", *args, "--db", str(db)],
                            cwd=REPO, env=env(cache), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                conn = sqlite3.connect(db, timeout=30, isolation_level=None)
                try:
                    conn.execute("BEGIN IMMEDIATE")  # the runner's next commit waits
                    done = conn.execute("SELECT count(*) FROM results").fetchone()[0]
                    if done >= 2:
                        os.kill(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=30)
                        (status,) = conn.execute("SELECT status FROM runs").fetchone()
                        return status == "running"
                except sqlite3.OperationalError:
                    pass  # tables not created yet
                finally:
                    conn.close()
            time.sleep(0.05)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_kill_9_then_resume_records_every_task_once_with_the_same_numbers(
        suites, cache, tmp_path):
    args = ["run", "--model", "oracle", "--suite", str(suites["many"]), "--jobs", "1"]
    for attempt in range(3):  # a run that finished before its second row was seen: again
        killed_db = tmp_path / f"killed-{attempt}" / "benchmark.db"
        if _kill_mid_run(args, killed_db, cache):
            break
    else:
        pytest.fail("three runs finished before they could be killed mid-run")
    ((run_id, status),) = rows(killed_db, "SELECT run_id, status FROM runs")
    assert status == "running"  # no chance to say otherwise
    partial = rows(killed_db, "SELECT count(*) FROM results")[0][0]
    assert 2 <= partial < N_KILL

    resumed = last_json(cli("run", "--resume", run_id, "--db", str(killed_db), "--json",
                            cache=cache))
    assert resumed["run_id"] == run_id and resumed["status"] == "complete"
    assert resumed["session"]["skipped"] == partial
    per_task = rows(killed_db, "SELECT task_id, count(*) FROM results GROUP BY task_id")
    assert len(per_task) == N_KILL and all(n == 1 for _, n in per_task)

    clean_db = tmp_path / "clean" / "benchmark.db"
    clean = last_json(cli(*args, "--db", str(clean_db), "--json", cache=cache))
    assert resumed["metrics"] == clean["metrics"] and resumed["ci"] == clean["ci"]
    query = "SELECT task_id, metrics FROM results ORDER BY task_id"
    assert rows(killed_db, query) == rows(clean_db, query)


def _default_sigint() -> None:
    """Undo an inherited "ignore SIGINT" (background jobs get one), as a terminal would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_marks_the_run_interrupted_and_prints_the_resume_command(
        suites, cache, tmp_path):
    db = tmp_path / "benchmark.db"
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", "run", "--model", "random",
                             "--suite", str(suites["many"]), "--jobs", "1", "--db", str(db)],
                            cwd=REPO, env=env(cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if rows(db, "SELECT count(*) FROM results")[0][0] >= 1:
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    ((run_id, status),) = rows(db, "SELECT run_id, status FROM runs")
    assert status == "interrupted"
    assert f"python -m benchmark run --resume {run_id} --db {db}" in err
