"""The rating tables on real SQLite: constraints, history, undo, and the v1 -> v2 upgrade."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_store_postgres import pg_url  # noqa: F401  (the throwaway PostgreSQL fixture)

from benchmark.core.tasks import Box
from benchmark.outcome import MeasuredObject
from benchmark.results import RunRecord, TaskResult
from benchmark.store import SCHEMA_VERSION, Store
from benchmark.store import _schema as S  # the core tables, to write a version-1 file
from human_eval import schema as H
from human_eval.session import RatingSession, SessionError
from human_eval.storage import Item, Rating, RatingStore

RUN = "20250101-000000-oracle-abc123"


def record() -> RunRecord:
    return RunRecord(run_id=RUN, created="2025-01-01T00:00:00+00:00", model="oracle",
                     suite="tiny", split="test", suite_version="1", suite_hash="0123abcd",
                     n_tasks=2, sandbox_mode="bwrap")


def result(task_id: str) -> TaskResult:
    return TaskResult(run_id=RUN, task_id=task_id, family="a", difficulty="easy", status="ok",
                      metrics={"miou": 1.0},
                      objects=[MeasuredObject("shape", "Circle", Box(-1.0, -1.0, 1.0, 1.0))],
                      frame=f"artifacts/frames/{task_id[-1]}.png", created="2025-01-01T00:00:01")


def frame_items(n: int = 4) -> list[Item]:
    return [Item(f"item{i}", "frame", f"tiny/a/{i:03d}", f"prompt {i}", f"f{i}.png", run_id=RUN)
            for i in range(n)]


@pytest.fixture
def ratings(tmp_path: Path) -> RatingStore:
    with Store(str(tmp_path / "benchmark.db")) as store:
        store.create_run(record())
        rs = RatingStore(store)
        rs.add_items(frame_items())
        yield rs


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_version_1_database_is_upgraded_and_keeps_its_runs_and_results(tmp_path):
    path = tmp_path / "v1.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the version-1 schema: these four tables, nothing else
        S.metadata.create_all(conn, tables=[S.meta, S.runs, S.results, S.renders])
        conn.execute(S.meta.insert().values(key="schema_version", value="1"))
        run = record().to_json()
        run["task_limit"] = run.pop("limit")
        conn.execute(S.runs.insert().values(**run))
        for t in ("tiny/a/000", "tiny/a/001"):
            conn.execute(S.results.insert().values(**result(t).to_json()))
    engine.dispose()
    assert {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")} \
        == {"meta", "runs", "results", "renders"}

    with Store(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get_run(RUN).to_json() == record().to_json()
        assert [r.to_json() for r in store.results(RUN)] == \
            [result(t).to_json() for t in ("tiny/a/000", "tiny/a/001")]
        rs = RatingStore(store)
        rs.add_items(frame_items(1))
        rs.rate(Rating("ann", "item0", 4, 1.5, "1.0"))
    tables = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"ratings", "rating_items", "rating_history", "rating_skips",
            "human_eval_summary"} <= tables
    assert rows(path, "SELECT value FROM meta WHERE key='schema_version'") == \
        [(str(SCHEMA_VERSION),)]
    with Store(str(path)) as again:  # a second open changes nothing
        assert again.schema_version == SCHEMA_VERSION and len(again.results(RUN)) == 2


def test_one_rating_per_rater_and_item_is_a_database_constraint(ratings):
    row = {"rater": "ann", "item_id": "item0", "value": 3, "seconds": None,
           "app_version": "1.0", "created": "2025-01-01T00:00:00"}
    with ratings.store.transaction() as conn:
        conn.execute(H.ratings.insert().values(**row))
    with pytest.raises(sa.exc.IntegrityError), ratings.store.transaction() as conn:
        conn.execute(H.ratings.insert().values(**row))


def test_a_rating_outside_1_to_5_is_refused_by_the_database(ratings):
    for bad in (0, 6):
        with pytest.raises(sa.exc.IntegrityError):
            ratings.rate(Rating("ann", "item0", bad, None, "1.0"))
    assert ratings.ratings() == []


def test_a_rating_of_an_unknown_item_is_refused_by_the_database(ratings):
    with pytest.raises(sa.exc.IntegrityError):
        ratings.rate(Rating("ann", "no-such-item", 3, None, "1.0"))


def test_rerating_replaces_the_rating_and_keeps_the_old_one_in_history(ratings):
    assert ratings.rate(Rating("ann", "item0", 2, 3.0, "1.0")) is False
    assert ratings.rate(Rating("ann", "item0", 5, 1.0, "1.1")) is True
    (current,) = ratings.ratings()
    assert (current.rater, current.item_id, current.value, current.seconds,
            current.app_version) == ("ann", "item0", 5, 1.0, "1.1")
    (old,) = ratings.history()
    assert (old["value"], old["seconds"], old["app_version"], old["reason"]) == \
        (2, 3.0, "1.0", "replaced")


def test_undo_takes_back_the_latest_action_and_keeps_the_rating_in_history(ratings):
    ids = [it.item_id for it in frame_items()]
    ratings.rate(Rating("ann", "item0", 4, None, "1.0"))
    ratings.skip("ann", "item1")
    ratings.rate(Rating("ann", "item2", 1, None, "1.0"))
    ratings.rate(Rating("bob", "item3", 3, None, "1.0"))  # someone else's, later
    assert ratings.undo_last("ann", ids) == "item2"
    assert ratings.undo_last("ann", ids) == "item1"  # the skip
    state = ratings.rater_state("ann", ids)
    assert state.rated == {"item0": 4} and state.skipped == set()
    assert [(h["item_id"], h["reason"]) for h in ratings.history()] == [("item2", "undone")]
    assert ratings.undo_last("ann", ids) == "item0"
    assert ratings.undo_last("ann", ids) is None
    assert [(r.rater, r.item_id) for r in ratings.ratings()] == [("bob", "item3")]


def test_rating_a_skipped_item_clears_the_skip(ratings):
    ratings.skip("ann", "item0")
    ratings.rate(Rating("ann", "item0", 3, None, "1.0"))
    assert ratings.rater_state("ann", ["item0"]).skipped == set()


def test_items_are_recorded_once_and_keep_their_first_version(ratings):
    changed = Item("item0", "frame", "tiny/a/000", "another prompt", "g.png", run_id=RUN)
    assert ratings.add_items([changed, *frame_items(6)]) == 2
    assert {it.item_id: it.prompt for it in ratings.items()}["item0"] == "prompt 0"


def test_summary_rows_are_replaced_as_a_whole(ratings):
    row = {"run_id": RUN, "submission": "oracle", "suite": "tiny", "split": "test",
           "n_items": 2, "n_ratings": 4, "mean": 4.5, "mean_lo": 4.0, "mean_hi": 5.0,
           "good_rate": 1.0, "good_lo": 1.0, "good_hi": 1.0, "alpha": None,
           "histogram": [0, 0, 0, 2, 2], "computed": "2025-01-01T00:00:00+00:00",
           "n_unrendered": 0, "n_raters": 2, "n_tasks": 2}
    ratings.write_summaries([row])
    ratings.write_summaries([{**row, "mean": 3.0}])
    (got,) = ratings.summaries()
    assert got["mean"] == 3.0 and got["histogram"] == [0, 0, 0, 2, 2] and got["alpha"] is None
    ratings.write_summaries([])
    assert ratings.summaries() == []


def test_threads_rating_at_once_lose_nothing_and_never_duplicate(tmp_path):
    with Store(str(tmp_path / "benchmark.db")) as store:
        store.create_run(record())
        rs = RatingStore(store)
        items = frame_items(10)
        rs.add_items(items)
        session = RatingSession(rs, items)

        def rater(i: int) -> None:
            for _ in range(10):
                view = session.view(f"r{i}")
                session.rate(f"r{i}", view.item.item_id, 1 + i % 5)
                session.rate(f"r{i}", view.item.item_id, 1 + (i + 1) % 5)  # a re-rating

        threads = [threading.Thread(target=rater, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    db = tmp_path / "benchmark.db"
    assert rows(db, "SELECT count(*), count(DISTINCT rater || '|' || item_id) FROM ratings") \
        == [(120, 120)]
    assert rows(db, "SELECT count(*) FROM rating_history WHERE reason='replaced'") == [(120,)]


def test_bad_input_to_the_session_stores_nothing(ratings):
    session = RatingSession(ratings, frame_items())
    for call in (lambda: session.view("al ice"), lambda: session.view("ann;DROP TABLE"),
                 lambda: session.view(""), lambda: session.view("x" * 65),
                 lambda: session.rate("ann", "item0", 0), lambda: session.rate("ann", "item0", 6),
                 lambda: session.rate("ann", "item0", 2.5), lambda: session.rate("ann", "item0",
                                                                                 True),
                 lambda: session.rate("ann", "item0", "five"),
                 lambda: session.rate("ann", "nope", 3), lambda: session.skip("ann", None)):
        with pytest.raises(SessionError) as err:
            call()
        assert "\n" not in str(err.value)
    assert ratings.ratings() == [] and ratings.rater_state("ann", ["item0"]).skipped == set()


def test_ratings_work_the_same_on_postgresql(pg_url, tmp_path):  # noqa: F811
    with Store(pg_url, artifacts=tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.create_run(record())
        rs = RatingStore(store)
        items = frame_items(6)
        assert rs.add_items(items) == 6 and rs.add_items(items) == 0
        session = RatingSession(rs, items)

        def rater(i: int) -> None:
            for _ in range(3):
                view = session.view(f"pg{i}")
                session.rate(f"pg{i}", view.item.item_id, 1 + i % 5)

        threads = [threading.Thread(target=rater, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(rs.ratings()) == 24
        assert len({(r.rater, r.item_id) for r in rs.ratings()}) == 24
        assert rs.rate(Rating("pg0", rs.ratings()[0].item_id, 5, None, "1.0")) in (True, False)
        assert session.undo("pg1").item is not None
        assert [h["reason"] for h in rs.history()].count("undone") == 1
        with pytest.raises(sa.exc.IntegrityError):
            rs.rate(Rating("pg9", "item0", 9, None, "1.0"))
        rs.write_summaries([{"run_id": RUN, "submission": "oracle", "suite": "tiny",
                             "split": "test", "n_items": 6, "n_ratings": 24, "mean": 3.0,
                             "mean_lo": 2.5, "mean_hi": 3.5, "good_rate": 0.5, "good_lo": 0.2,
                             "good_hi": 0.8, "alpha": 0.4, "histogram": [1, 2, 3, 4, 5],
                             "computed": "2025-01-01T00:00:00+00:00", "n_unrendered": 0,
                             "n_raters": 8, "n_tasks": 6}])
        assert rs.summaries()[0]["histogram"] == [1, 2, 3, 4, 5]


def test_the_tables_are_an_extension_made_when_attached_and_reopened_unchanged(tmp_path):
    path = tmp_path / "benchmark.db"
    with Store(str(path)) as store:
        assert not store.has_table("ratings")
        with store.connect() as conn:
            assert H.read_summaries(conn) == []  # reading creates nothing
        assert not store.has_table(H.SUMMARY_TABLE)
        store.create_run(record())
        rs = RatingStore(store)
        assert all(store.has_table(t) for t in H.HUMAN_EVAL.table_names)
        rs.add_items(frame_items(2))
        rs.rate(Rating("ann", "item0", 4, 1.5, "1.0"))
    schema = rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    with Store(str(path)) as store:  # a database made earlier: same tables, same rows
        rs = RatingStore(store)
        assert [(r.rater, r.item_id, r.value) for r in rs.ratings()] == [("ann", "item0", 4)]
        assert [i.item_id for i in rs.items()] == ["item0", "item1"]
    assert rows(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
