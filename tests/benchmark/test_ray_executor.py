"""``python -m benchmark run --executor ray`` on a real two-node Ray cluster on this machine.

The cluster (a head and one more node, one CPU each, small object stores) is
started by Ray's own ``ray.cluster_utils.Cluster`` in this process and torn
down afterwards, even when a test fails; the runs are the real CLI in a
subprocess that joins it with ``--ray-address``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
N = 30  # synthetic tasks per run
STORE_MB = 80 << 20  # object store per node: results are small (PNG frames)
RENDER_TITLE = b"ray::_render_on_node"  # a Ray worker's process title while it renders


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def cluster(cache: Path) -> Iterator[str]:
    """A head node and one worker node on this machine; yields the address to join."""
    pytest.importorskip("ray", reason="the Ray executor needs ray (pip install '.[ray]')")
    from ray.cluster_utils import Cluster

    with pytest.MonkeyPatch.context() as mp:  # the nodes' workers inherit this
        mp.setenv("XDG_CACHE_HOME", str(cache))
        mp.setenv("RAY_DISABLE_USAGE_STATS", "1")
        c = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "object_store_memory": STORE_MB, "include_dashboard": False})
        try:
            c.add_node(num_cpus=1, object_store_memory=STORE_MB)
            yield c.address  # this machine's address: Ray's driver does not join 127.0.0.1
        finally:
            c.shutdown()


def env(cache: Path) -> dict[str, str]:
    return dict(os.environ, XDG_CACHE_HOME=str(cache), TORCH_HOME=str(cache / "no-torch"),
                RAY_DISABLE_USAGE_STATS="1")


def run_args(db: Path, *extra: str, limit: int = N) -> list[str]:
    return [sys.executable, "-m", "benchmark", "run", "--model", "oracle", "--suite",
            "synthetic", "--limit", str(limit), "--db", str(db), "--json", *extra]


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


PER_TASK = "SELECT task_id, status, metrics, objects, frame FROM results ORDER BY task_id"


@pytest.mark.slow
def test_ray_run_gives_the_local_runs_per_task_metrics(cluster, cache, tmp_path):
    local_db, ray_db = tmp_path / "local" / "b.db", tmp_path / "ray" / "b.db"
    local = last_json(subprocess.run(run_args(local_db, "--jobs", "2"), cwd=REPO,
                                     env=env(cache), capture_output=True, text=True,
                                     timeout=600, check=False))
    remote = last_json(subprocess.run(run_args(ray_db, "--executor", "ray", "--ray-address",
                                               cluster), cwd=REPO, env=env(cache),
                                      capture_output=True, text=True, timeout=600,
                                      check=False))
    assert remote["status"] == "complete" and remote["n"] == N
    assert remote["timings"]["last_session"]["executor"] == "ray"
    assert "executor" not in local["timings"]["last_session"]
    assert remote["metrics"] == local["metrics"] and remote["ci"] == local["ci"]
    assert remote["sandbox_mode"] == local["sandbox_mode"]
    assert rows(ray_db, PER_TASK) == rows(local_db, PER_TASK)  # frames: same PNG hashes
    frames = rows(ray_db, "SELECT frame FROM results WHERE frame IS NOT NULL")
    assert len(frames) == N and all((ray_db.parent / f).is_file() for (f,) in frames)


def _render_workers() -> list[int]:
    """PIDs of Ray worker processes rendering right now (the title says so); a child forked
    by one (it inherits the title until it execs) is not a worker and is left out."""
    titled = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(RENDER_TITLE):
                    stat = (entry / "stat").read_text()
                    titled[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass  # gone already
    return [pid for pid, parent in titled.items() if parent not in titled]


@pytest.mark.slow
def test_killing_a_ray_worker_mid_run_loses_and_duplicates_no_task(cluster, cache, tmp_path):
    db = tmp_path / "killed" / "b.db"
    proc = subprocess.Popen(run_args(db, "--executor", "ray", "--ray-address", cluster),
                            cwd=REPO, env=env(cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed = None
    try:
        deadline = time.monotonic() + 300
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            pids = _render_workers()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed = pids[0]
            time.sleep(0.02)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed is not None, "the run finished before a render worker could be killed"
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "complete" and summary["statuses"] == {"ok": N}
    per_task = rows(db, "SELECT task_id, count(*) FROM results GROUP BY task_id")
    assert len(per_task) == N and all(n == 1 for _, n in per_task)



def _default_sigint() -> None:
    """Undo an inherited "ignore SIGINT" (background jobs get one), as a terminal would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _count(db: Path) -> int:
    try:
        return int(rows(db, "SELECT count(*) FROM results")[0][0])
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_ctrl_c_then_resume_through_ray_records_every_task_once(cluster, cache, tmp_path):
    db = tmp_path / "resumed" / "b.db"
    ray_args = ("--executor", "ray", "--ray-address", cluster)
    args = [*run_args(db, *ray_args)]
    args[args.index("oracle")] = "random"  # a render per task: time to interrupt it
    proc = subprocess.Popen(args, cwd=REPO, env=env(cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None and _count(db) < 3:
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)  # renders in flight on the cluster are cancelled
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err[-3000:]
    ((run_id, status),) = rows(db, "SELECT run_id, status FROM runs")
    assert status == "interrupted"
    partial = _count(db)
    assert 3 <= partial < N
    resumed = last_json(subprocess.run(
        [sys.executable, "-m", "benchmark", "run", "--resume", run_id, "--db", str(db),
         "--json", *ray_args], cwd=REPO, env=env(cache), capture_output=True, text=True,
        timeout=600, check=False))
    assert resumed["run_id"] == run_id and resumed["status"] == "complete"
    assert resumed["session"]["skipped"] == partial and resumed["statuses"] == {"ok": N}
    per_task = rows(db, "SELECT task_id, count(*) FROM results GROUP BY task_id")
    assert len(per_task) == N and all(n == 1 for _, n in per_task)

def cli(*args: str, cache: Path, code: str = "") -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, after ``code`` (e.g. hiding an installed package)."""
    script = f"import sys\n{code}\nfrom benchmark.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env=env(cache),
                          capture_output=True, text=True, timeout=120, check=False)


def test_executor_ray_without_ray_installed_is_a_one_line_error(cache, tmp_path):
    done = cli("run", "--model", "oracle", "--suite", "synthetic", "--limit", "1", "--db",
               str(tmp_path / "b.db"), "--executor", "ray", cache=cache,
               code="sys.modules['ray'] = None")
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --executor ray needs Ray, which is not installed: "
                                   "pip install '.[ray]'")
    assert not (tmp_path / "b.db").exists()


def test_an_unreachable_ray_address_is_a_one_line_error(cache, tmp_path):
    pytest.importorskip("ray", reason="the Ray executor needs ray (pip install '.[ray]')")
    done = cli("run", "--model", "oracle", "--suite", "synthetic", "--limit", "1", "--db",
               str(tmp_path / "b.db"), "--executor", "ray", "--ray-address", "127.0.0.1:1",
               cache=cache)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no Ray cluster reachable at 127.0.0.1:1")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b.db").exists()


@pytest.mark.slow
def test_a_render_that_kills_its_worker_twice_is_recorded_as_crashed(cluster, cache,
                                                                      tmp_path):
    db = tmp_path / "crashed" / "b.db"
    args = run_args(db, "--executor", "ray", "--ray-address", cluster, limit=1)
    proc = subprocess.Popen(args, cwd=REPO, env=env(cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killed: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            for pid in set(_render_workers()) - killed:  # every attempt, first and retry
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            time.sleep(0.01)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    assert len(killed) == 2  # the first attempt and its one retry
    ((status, error),) = rows(db, "SELECT status, error FROM results")
    assert status == "crashed" and "killed its Ray worker 2 times" in error
    assert rows(db, "SELECT count(*) FROM renders WHERE status = 'crashed'") == [(0,)]
