"""Results in the user's tools: ``benchmark.results.load`` as a DataFrame, ``report --format``
files, and the docs' pandas example, on real stored runs of the tiny suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _stored_runs import Shifted, TwoSamples, record_runs

from benchmark import results
from benchmark.scoring import METRICS
from benchmark.store import Store, StoreError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, suite, sandbox) -> dict:
    db, ids = record_runs(tmp_path_factory.mktemp("table"), suite, sandbox,
                          (Shifted(), TwoSamples()))
    return {"db": db, "ids": ids, "n": len(suite)}


@pytest.mark.slow
def test_a_plain_run_is_one_row_per_task_with_metrics_as_float_columns(recorded):
    df = results.load(recorded["db"], [recorded["ids"]["shifted"]])
    assert len(df) == recorded["n"] and df["task_id"].is_unique
    assert list(df.columns[:len(results.TABLE_COLUMNS)]) == list(results.TABLE_COLUMNS)
    assert all(df[m].dtype == "float64" for m in METRICS)
    assert set(df["family"]) == {"f0", "f1"} and set(df["status"]) == {"ok"}
    with Store(str(recorded["db"])) as store:
        stored = {r.task_id: r.metrics["miou"] for r in store.results(df["run_id"][0])}
    assert dict(zip(df["task_id"], df["miou"], strict=True)) == stored


def test_a_sampled_run_is_one_row_per_task_and_sample(recorded):
    df = results.load(recorded["db"], [recorded["ids"]["two-samples"]])
    assert len(df) == 2 * recorded["n"]
    assert sorted(set(df["sample"])) == [0, 1] and set(df["n_samples"]) == {2}
    with Store(str(recorded["db"])) as store:
        stored = {r.task_id: r.metrics for r in store.results(df["run_id"][0])}
    means = df.groupby("task_id")[["miou", "rendered"]].mean()
    for task_id, row in means.iterrows():
        assert abs(row["miou"] - stored[task_id]["miou"]) <= 1e-12
        assert row["rendered"] == stored[task_id]["rendered"]


def test_every_run_by_default(recorded):
    df = results.load(recorded["db"])
    assert set(df["run_id"]) == set(recorded["ids"].values())


def test_an_unknown_run_or_a_missing_database_is_a_store_error(recorded, tmp_path):
    with pytest.raises(StoreError, match="no run 'nope'"):
        results.load(recorded["db"], ["nope"])
    with pytest.raises(StoreError, match="no such database"):
        results.load(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, **(env or {})))


@pytest.mark.parametrize("fmt, read", [
    ("csv", pd.read_csv),
    ("json", lambda p: pd.DataFrame(json.loads(Path(p).read_text()))),
    ("parquet", pd.read_parquet),
])
def test_report_writes_the_runs_table(recorded, tmp_path, fmt, read):
    run_id = recorded["ids"]["two-samples"]
    out = tmp_path / f"table.{fmt}"
    done = cli("report", run_id, "--db", str(recorded["db"]), "--format", fmt, "--out",
               str(out))
    assert done.returncode == 0, done.stderr
    got, want = read(out), results.load(recorded["db"], [run_id])
    assert list(got.columns) == list(want.columns)
    assert list(got["task_id"]) == list(want["task_id"])
    assert got["miou"].tolist() == pytest.approx(want["miou"].tolist(), abs=1e-12)


def test_parquet_without_pyarrow_is_one_line_and_writes_nothing(recorded, tmp_path):
    shim = tmp_path / "shim" / "pyarrow"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('pyarrow is not installed')\n")
    out = tmp_path / "table.parquet"
    done = cli("report", recorded["ids"]["shifted"], "--db", str(recorded["db"]), "--out",
               str(out), env={"PYTHONPATH": str(shim.parent)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "needs pyarrow" in done.stderr and not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "csv"], "--format needs --out FILE"),
    (["--out", "table.txt"], "pass --format"),
    (["--format", "csv", "--out", "t.csv", "--json"], "pick one"),
])
def test_report_format_misuse_is_one_line(recorded, tmp_path, args, message):
    done = cli("report", recorded["ids"]["shifted"], "--db", str(recorded["db"]), *args)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr


def test_the_docs_example_compares_two_runs_per_family(recorded, capsys):
    text = (REPO / "docs" / "results-format.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S)
                 if "results.load" in b)
    a, b = recorded["ids"]["shifted"], recorded["ids"]["two-samples"]
    code = (block.replace('"runs/benchmark.db"', repr(str(recorded["db"])))
            .replace("RUN_A", a).replace("RUN_B", b))
    exec(compile(code, "docs/results-format.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "shifted" in printed and "two-samples" in printed and "f0" in printed
