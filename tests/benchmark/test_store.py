"""The results store: typed round trips, one row per run × task, files it must not touch."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from benchmark.core.tasks import Box
from benchmark.outcome import MeasuredObject
from benchmark.render import RenderReport
from benchmark.results import RESULTS_FORMAT_VERSION, ResultsFormatError, RunRecord, TaskResult
from benchmark.sandbox import Status
from benchmark.store import SCHEMA_VERSION, CachedRender, RenderCache, Store, StoreError
from benchmark.store._schema import results as results_table

REPO = Path(__file__).resolve().parents[2]


def record(run_id: str = "20250101-000000-oracle-abc123") -> RunRecord:
    return RunRecord(run_id=run_id, created="2025-01-01T00:00:00+00:00", model="oracle",
                     suite="tiny", split="test", suite_version="1", suite_hash="0123abcd",
                     n_tasks=2, limit=2, suite_source="tiny.jsonl",
                     model_args={"temperature": "0"}, git_sha="f" * 40,
                     packages={"python": "3.11", "torch": None}, seeds={"seed": 0},
                     sandbox_mode="bwrap", scoring={"scorers": ["layout"]},
                     lpips={"available": False, "reason": "no weights"},
                     timings={"wall_s": 1.5})


def result(task_id: str = "tiny/a/000", run_id: str = "20250101-000000-oracle-abc123",
           miou: float = 1.0) -> TaskResult:
    return TaskResult(run_id=run_id, task_id=task_id, family="a", difficulty="easy",
                      status="ok", code_hash="0" * 64, code_path="x/y.py",
                      metrics={"miou": miou, "lpips": None, "ssim": 0.5},
                      objects=[MeasuredObject("shape", "Circle", Box(-1.0, -1.0, 1.0, 1.0))],
                      frame="artifacts/frames/a.png", keyframes=2,
                      timings={"render_s": 0.25}, generation={"tokens": 12},
                      created="2025-01-01T00:00:01+00:00")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(str(tmp_path / "runs" / "benchmark.db")) as s:
        yield s


def test_run_record_round_trips_through_the_database(store):
    rec = record()
    store.create_run(rec)
    assert store.get_run(rec.run_id).to_json() == rec.to_json()
    assert [r.run_id for r in store.list_runs()] == [rec.run_id]


def test_task_result_round_trips_through_the_database(store):
    store.create_run(record())
    res = result()
    assert store.add_result(res)
    (back,) = store.results(res.run_id)
    assert back.to_json() == res.to_json()
    assert back.metrics["lpips"] is None and back.objects[0].box == Box(-1, -1, 1, 1)


def test_duplicate_result_is_ignored_never_a_second_row(store):
    store.create_run(record())
    assert store.add_result(result(miou=1.0))
    assert not store.add_result(result(miou=0.0))  # same run × task
    (only,) = store.results(record().run_id)
    assert only.metrics["miou"] == 1.0
    assert store.result_counts() == {record().run_id: 1}


def test_unique_run_task_is_a_database_constraint(store):
    store.create_run(record())
    row = result().to_json()
    with store.engine.begin() as conn:
        conn.execute(results_table.insert().values(**row))
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(results_table.insert().values(**row))


def test_result_for_an_unknown_run_is_rejected(store):
    with pytest.raises(sa.exc.IntegrityError):
        store.add_result(result(run_id="no-such-run"))


def test_sqlite_file_uses_wal_and_foreign_keys(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert store.schema_version == SCHEMA_VERSION


def test_run_id_prefix_resolves_when_unique(store):
    store.create_run(record("20250101-000000-oracle-aaa"))
    store.create_run(record("20250101-000000-oracle-abb"))
    assert store.get_run("20250101-000000-oracle-aa").run_id.endswith("aaa")
    with pytest.raises(StoreError, match="ambiguous"):
        store.get_run("20250101-000000-oracle-a")
    with pytest.raises(StoreError, match="no run"):
        store.get_run("nope")


def test_garbage_db_file_is_a_one_line_error_and_untouched(tmp_path):
    bad = tmp_path / "benchmark.db"
    bad.write_bytes(b"this is not a database\n" * 100)
    before = bad.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(str(bad))
    assert "not an SQLite database" in str(err.value) and "\n" not in str(err.value)
    assert bad.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmark.db"]


def test_corrupt_sqlite_file_is_a_one_line_error_and_untouched(tmp_path):
    good = tmp_path / "good.db"
    with Store(str(good)) as s:
        s.create_run(record())
    data = bytearray(good.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the header, wreck every page
    bad = tmp_path / "bad.db"
    bad.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        Store(str(bad))
    assert "\n" not in str(err.value)
    assert bad.read_bytes() == bytes(data)


def test_a_foreign_sqlite_database_is_not_modified(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    before = other.read_bytes()
    with pytest.raises(StoreError, match="without jepa-manim's tables"):
        Store(str(other))
    assert other.read_bytes() == before


def test_newer_schema_version_is_a_clear_error(tmp_path):
    path = tmp_path / "b.db"
    Store(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                     (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this jepa-manim knows"):
        Store(str(path))


def test_newer_results_format_is_refused():
    d = result().to_json()
    d["format_version"] = RESULTS_FORMAT_VERSION + 1
    with pytest.raises(ResultsFormatError, match="newer"):
        TaskResult.from_json(d)


def test_sqlalchemy_url_and_memory_database_work(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'u.db'}") as s:
        s.create_run(record())
    assert (tmp_path / "u.db").is_file()
    with Store("sqlite://", artifacts=tmp_path / "arts") as mem:
        mem.create_run(record())
        assert mem.artifacts.root == tmp_path / "arts"


def test_frames_are_content_addressed_and_reload_exactly(store):
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, size=(48, 64, 4), dtype=np.uint8)
    a = store.artifacts.put_frame(frame)
    b = store.artifacts.put_frame(frame.copy())
    assert a == b and a.startswith("artifacts/frames/") and a.endswith(".png")
    np.testing.assert_array_equal(store.artifacts.read_frame(a), frame[..., :3])
    leftovers = [p for p in store.artifacts.path("artifacts/frames").iterdir()
                 if p.suffix != ".png"]
    assert not leftovers  # no temporary files stay behind


def test_code_artifacts_go_under_the_run_folder(store):
    rel = store.artifacts.write_code("run-1", "synthetic/eq/00017", "print(1)\n")
    assert rel.startswith("run-1/") and rel.endswith(".py") and "/" not in rel[6:]
    assert store.artifacts.path(rel).read_text() == "print(1)\n"


def _report(status: Status) -> RenderReport:
    return RenderReport(status=status, error="" if status is Status.OK else "boom",
                        objects=[], frame=np.zeros((8, 8, 4), np.uint8), keyframes=1,
                        sandbox="bwrap", snapshots=[b"snap"])


def test_render_cache_round_trip_and_machine_dependent_statuses_are_not_cached(store):
    cache = RenderCache(store)
    entry = cache.record("code A", "salt", _report(Status.OK))
    got = store.get_render(RenderCache.key("code A", "salt"))
    assert isinstance(got, CachedRender) and got.row() == entry.row()
    assert cache.lookup("code A", "other salt") is None
    cache.record("code B", "salt", _report(Status.TIMEOUT))
    assert store.get_render(RenderCache.key("code B", "salt")) is None
    hit = cache.lookup("code A", "salt")
    assert hit is not None and hit.cached and hit.frame.shape == (8, 8, 3)


def test_cli_reports_a_corrupt_db_in_one_line(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 50)
    done = subprocess.run([sys.executable, "-m", "benchmark", "runs", "--db", str(bad)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not an SQLite database" in done.stderr
    assert bad.read_bytes() == b"garbage" * 50


def test_schema_and_insert_or_ignore_compile_for_postgresql():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    from benchmark.store._schema import metadata

    dialect = postgresql.dialect()
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
    stmt = postgresql.insert(results_table).values(**result().to_json()).on_conflict_do_nothing()
    assert "ON CONFLICT DO NOTHING" in str(stmt.compile(dialect=dialect))


def schema_2_database(path: Path) -> RunRecord:
    """A database as schema version 2 wrote it (no ``runs.origin``), with one run and row."""
    rec = record()
    with Store(str(path)) as s:
        s.create_run(rec)
        s.add_result(result())
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE runs DROP COLUMN origin")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    return rec


def test_a_schema_2_database_is_migrated_with_its_runs_unchanged(tmp_path):
    path = tmp_path / "old.db"
    rec = schema_2_database(path)
    with Store(str(path)) as s:
        assert s.schema_version == SCHEMA_VERSION == 3
        assert s.get_run(rec.run_id).to_json() == rec.to_json()
        assert s.get_run(rec.run_id).origin is None
        assert [r.to_json() for r in s.results(rec.run_id)] == [result().to_json()]


def test_a_migrated_database_records_where_a_run_came_from(tmp_path):
    path = tmp_path / "old.db"
    rec = schema_2_database(path)
    with Store(str(path)) as s:
        new = RunRecord(**{**vars(rec), "run_id": "20250101-000001-oracle-def456",
                           "origin": {"kind": "retry", "run_id": rec.run_id,
                                      "retried": ["tiny/a/000"]}})
        s.create_run(new, [TaskResult(**{**vars(result()), "run_id": new.run_id})])
        assert s.get_run(new.run_id).origin == new.origin
        assert s.done_task_ids(new.run_id) == {"tiny/a/000"}


def test_a_run_and_its_copied_rows_are_created_together_or_not_at_all(store):
    rec = record()
    store.create_run(rec)
    again = RunRecord(**{**vars(rec), "run_id": "20250101-000001-oracle-def456"})
    rows = [TaskResult(**{**vars(result()), "run_id": again.run_id})] * 2  # a duplicate
    with pytest.raises(StoreError, match="nothing was stored"):
        store.create_run(again, rows)
    assert [r.run_id for r in store.list_runs()] == [rec.run_id]
