"""The store on a real PostgreSQL server: a run, its rows, and resume, via ``--db``.

A throwaway cluster is started with the machine's PostgreSQL server binaries
(``initdb``/``pg_ctl``) on a private socket; without them the test is skipped
with the reason (the client library, psycopg, is always installed).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="module")
def pg_url():
    bindir = _server_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="jepa-manim-pg-"))
    data, sock = base / "data", base / "sock"
    data.mkdir()
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        for path in (base, data, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                    "bench"], check=True, capture_output=True)
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(base / "log"), "-o", f"-k {sock} -p 55439 -c listen_addresses=''",
                    "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://bench@/postgres?host={sock}&port=55439"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def cli(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_run_is_stored_reported_and_resumed_on_postgresql(pg_url, tmp_path):
    common = ["--db", pg_url, "--artifacts", str(tmp_path)]
    out = cli("run", "--model", "oracle", "--suite", "synthetic", "--limit", "3", *common,
              "--json")
    assert out["n"] == 3 and out["metrics"]["miou"] > 0.999
    again = cli("run", "--resume", out["run_id"], *common, "--json")
    assert again["run_id"] == out["run_id"] and again["n"] == 3
    report = cli("report", out["run_id"], *common, "--json")
    assert report["metrics"] == out["metrics"]
    runs = cli("runs", *common, "--json")
    listed = runs["runs"] if isinstance(runs, dict) else runs
    assert [r["run_id"] for r in listed] == [out["run_id"]]


def cli_fails(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 2, done.stdout[-2000:]
    return done.stderr


@pytest.mark.slow
def test_generations_from_a_file_are_scored_and_rescored_on_postgresql(pg_url, tmp_path):
    import sqlalchemy as sa

    from benchmark.suites import load_suite

    common = ["--db", pg_url, "--artifacts", str(tmp_path)]
    gens = tmp_path / "generations.jsonl"
    gens.write_text("".join(json.dumps({"task_id": t.id, "code": t.reference.code}) + "\n"
                            for t in load_suite("synthetic", "test", limit=4)))
    out = cli("run", "--model", "file", "--model-arg", f"path={gens}", "--suite", "synthetic",
              "--limit", "4", *common, "--json")
    run_id = out["run_id"]
    assert out["n"] == 4 and out["metrics"]["miou"] > 0.999 and out["model_args"]["sha256"]
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:  # a stale score in every row
            conn.execute(sa.text("UPDATE results SET metrics = replace(metrics, :a, :b) "
                                 "WHERE run_id = :r"),
                         {"a": '"miou":', "b": '"miou":0.5,"was":', "r": run_id})
        snapshot = next(tmp_path.glob("artifacts/snapshots/*.bin"))
        saved = snapshot.read_bytes()
        snapshot.unlink()
        assert "cannot read its snapshot" in cli_fails("rescore", run_id, "--remeasure",
                                                       "--jobs", "2", *common)
        stale = cli("report", run_id, *common, "--json")
        assert stale["metrics"]["miou"] == 0.5  # the failed rescore changed nothing
        snapshot.write_bytes(saved)
        again = cli("rescore", run_id, "--remeasure", "--jobs", "2", *common, "--json")
        assert again["n"] == 4 and again["changed"] == 4 and again["measured"] == 4
        assert cli("report", run_id, *common, "--json")["metrics"]["miou"] == \
            out["metrics"]["miou"]
        new = cli("rescore", run_id, "--as-new-run", "--jobs", "2", *common, "--json")
        assert new["run_id"] != run_id and new["changed"] == 0
        assert cli("report", new["run_id"], *common, "--json")["metrics"] == out["metrics"]
    finally:
        engine.dispose()
