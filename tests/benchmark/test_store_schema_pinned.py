"""The database schema is pinned: a results database made before the human-evaluation
tables moved into ``human_eval.schema`` (``tests/data/schema_v2_sqlite.json``: every
table's ``CREATE`` statement as SQLite stored it) has exactly the tables this code makes,
and such a file opens and reads unchanged."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from benchmark.core.tasks import Box
from benchmark.outcome import MeasuredObject
from benchmark.results import RunRecord, TaskResult
from benchmark.store import SCHEMA_VERSION, Store
from human_eval.schema import human_eval_summary
from human_eval.storage import Item, Rating, RatingStore
from leaderboard.collect import read_human_eval

PINNED = json.loads((Path(__file__).parents[1] / "data" / "schema_v2_sqlite.json").read_text())


def _tables(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    finally:
        conn.close()


def _record() -> RunRecord:
    return RunRecord(run_id="r1", created="2025-01-01T00:00:00+00:00", model="oracle",
                     suite="synthetic", split="test", suite_version="1", suite_hash="0123abcd",
                     n_tasks=1, sandbox_mode="bwrap")


def _result() -> TaskResult:
    return TaskResult(run_id="r1", task_id="synthetic/x/00001", family="x", difficulty="easy",
                      status="ok", metrics={"miou": 1.0},
                      objects=[MeasuredObject("shape", "Circle", Box(-1.0, -1.0, 1.0, 1.0))],
                      frame="artifacts/frames/1.png", created="2025-01-01T00:00:01")


def test_this_code_makes_exactly_the_pinned_tables(tmp_path):
    path = tmp_path / "benchmark.db"
    with Store(str(path)) as store:
        RatingStore(store)
    assert _tables(path) == PINNED


def test_a_database_made_with_the_pinned_schema_opens_and_reads_unchanged(tmp_path):
    path = tmp_path / "benchmark.db"
    conn = sqlite3.connect(path)
    for sql in PINNED.values():
        conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.commit()
    conn.close()
    with Store(str(path)) as store:
        store.create_run(_record())
        store.add_result(_result())
        rs = RatingStore(store)
        rs.add_items([Item("i0", "frame", "synthetic/x/00001", "p", "f.png", run_id="r1")])
        rs.rate(Rating("ann", "i0", 4, 1.0, "1.0"))
        with store.transaction() as c:
            c.execute(human_eval_summary.insert().values(
                run_id="r1", submission="oracle", suite="synthetic", split="test", n_items=1,
                n_ratings=1, mean=4.0, mean_lo=4.0, mean_hi=4.0, good_rate=1.0, good_lo=1.0,
                good_hi=1.0, alpha=None, histogram=[0, 0, 0, 1, 0],
                computed="2025-01-01T00:00:00+00:00", n_unrendered=0, n_raters=1, n_tasks=1))
    with Store(str(path)) as store:
        rs = RatingStore(store)
        assert [(r.rater, r.item_id, r.value) for r in rs.ratings()] == [("ann", "i0", 4)]
        assert rs.summaries()[0]["histogram"] == [0, 0, 0, 1, 0]
        with store.connect() as c:
            assert [(h.run_id, h.good.mean) for h in read_human_eval(c)] == [("r1", 1.0)]
    assert _tables(path) == PINNED
