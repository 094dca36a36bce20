"""The rating app as a real server driven through its API with ``gradio_client``.

A real ``python -m human_eval serve`` subprocess over real runs in a real
SQLite (WAL) database: the named endpoints, refused input, 50 raters at once,
``kill -9`` and restart, access codes, and the report on the ratings made.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _human_eval_runs import REPO, Server, benchmark_runs, client, fresh_db
from gradio_client.exceptions import AppError

N_RATERS, PER_RATER = 50, 20


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return benchmark_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def served(runs, tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    db = fresh_db(runs, root / "db")
    with Server(db, runs.rated, "--checks", "0.1", log=root / "serve.log") as server:
        yield server, db


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_the_actions_are_named_api_endpoints(served):
    server, _ = served
    api = client(server.url).view_api(print_info=False, return_format="dict")
    assert {"/start", "/rate", "/skip", "/undo"} <= set(api["named_endpoints"])


def test_start_rate_skip_undo_through_the_api(served):
    server, db = served
    c = client(server.url)
    v = c.predict("api-ann", api_name="/start")
    assert v["progress"] == {"rated": 0, "total": 3 * 8 + 3, "skipped": 0} and not v["done"]
    first = v["item"]["item_id"]
    v = c.predict("api-ann", first, 4, api_name="/rate")
    assert v["progress"]["rated"] == 1 and v["item"]["item_id"] != first
    second = v["item"]["item_id"]
    v = c.predict("api-ann", second, api_name="/skip")
    assert v["progress"]["skipped"] == 1 and v["item"]["item_id"] not in (first, second)
    v = c.predict("api-ann", api_name="/undo")  # takes back the skip
    assert v["item"]["item_id"] == second and v["progress"]["skipped"] == 0
    v = c.predict("api-ann", api_name="/undo")  # then the rating
    assert v["item"]["item_id"] == first and v["progress"]["rated"] == 0
    assert rows(db, "SELECT count(*) FROM ratings WHERE rater = 'api-ann'") == [(0,)]
    assert rows(db, "SELECT item_id, value, reason FROM rating_history WHERE rater = 'api-ann'") \
        == [(first, 4, "undone")]


def test_what_the_api_shows_is_blind(served, runs):
    server, _ = served
    v = client(server.url).predict("api-blind", api_name="/start")
    assert set(v) == {"rater", "item", "done", "progress", "message"}
    assert set(v["item"]) == {"item_id", "prompt", "has_reference"}
    text = json.dumps(v)
    for run_id in runs.rated:
        assert run_id not in text
    for name in ("oracle", "random", "template", "check", "tiny8/"):
        assert name not in text


@pytest.mark.parametrize(("rater", "value", "message"), [
    ("api-bob", 0, "whole number from 1 to 5"),
    ("api-bob", 6, "whole number from 1 to 5"),
    ("api-bob", 2.5, "whole number from 1 to 5"),
    ("api-bob", "five", "whole number from 1 to 5"),
    ("bob; DROP TABLE ratings", 3, "is not allowed"),
    ("bob smith", 3, "is not allowed"),
])
def test_bad_input_through_the_api_is_a_clear_error_and_stores_nothing(served, rater, value,
                                                                       message):
    server, db = served
    c = client(server.url)
    item = c.predict("api-bob", api_name="/start")["item"]["item_id"]
    with pytest.raises(AppError, match=message):
        c.predict(rater, item, value, api_name="/rate")
    with pytest.raises(AppError, match="unknown item"):
        c.predict("api-bob", "not-an-item", 3, api_name="/rate")
    assert rows(db, "SELECT count(*) FROM ratings WHERE rater LIKE '%bob%'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM rating_skips WHERE rater LIKE '%bob%'") == [(0,)]


@pytest.mark.slow
def test_50_raters_at_once_store_exactly_1000_ratings(served):
    server, db = served

    def rater(i: int) -> int:
        name = f"crowd-{i:02d}"
        c = client(server.url)  # one client per rater
        v = c.predict(name, api_name="/start")
        for n in range(PER_RATER):
            v = c.predict(name, v["item"]["item_id"], 1 + (i + n) % 5, api_name="/rate")
        return v["progress"]["rated"]

    with ThreadPoolExecutor(N_RATERS) as pool:
        assert list(pool.map(rater, range(N_RATERS))) == [PER_RATER] * N_RATERS
    crowd = "FROM ratings WHERE rater LIKE 'crowd-%'"
    assert rows(db, f"SELECT count(*), count(DISTINCT rater || '|' || item_id) {crowd}") == \
        [(N_RATERS * PER_RATER, N_RATERS * PER_RATER)]
    assert rows(db, f"SELECT count(DISTINCT rater) {crowd}") == [(N_RATERS,)]
    assert rows(db, f"SELECT max(n), min(n) FROM (SELECT count(*) n {crowd} GROUP BY rater)") \
        == [(PER_RATER, PER_RATER)]
    assert rows(db, "SELECT count(*) FROM rating_history WHERE rater LIKE 'crowd-%'") == [(0,)]
    ((nulls, versions),) = rows(db, f"SELECT sum(seconds IS NULL), group_concat(DISTINCT "
                                    f"app_version) {crowd}")
    assert nulls == 0 and versions == "1.0"


def test_report_on_the_sessions_ratings_writes_one_row_per_rated_run(served, runs):
    server, db = served
    c = client(server.url)
    for name in ("rep-1", "rep-2"):
        v = c.predict(name, api_name="/start")
        for _ in range(6):
            v = c.predict(name, v["item"]["item_id"], 4, api_name="/rate")
    done = subprocess.run([sys.executable, "-m", "human_eval", "report", "--db", str(db),
                           "--json", "--bootstrap", "500"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    table = rows(db, "SELECT run_id, submission, n_ratings, good_rate, histogram "
                     "FROM human_eval_summary ORDER BY run_id")
    assert [r[0] for r in table] == sorted(runs.rated)
    frame_ratings = rows(db, "SELECT count(*) FROM ratings r JOIN rating_items i "
                             "USING (item_id) WHERE i.kind = 'frame'")[0][0]
    assert sum(r[2] for r in table) == frame_ratings
    assert {r[1] for r in table} == {"oracle", "random", "template"}
    for run_id, _, n, good, hist in table:
        assert sum(json.loads(hist)) == n and 0 <= good <= 1
        (sub,) = [s for s in report["submissions"] if s["run_id"] == run_id]
        assert sub["n_ratings"] == n and sub["good"]["mean"] == pytest.approx(good)
    assert report["n_ratings"] == rows(db, "SELECT count(*) FROM ratings")[0][0]


@pytest.mark.slow
def test_kill_9_mid_session_then_restart_resumes_every_rater(runs, tmp_path):
    db = fresh_db(runs, tmp_path / "db")
    # K so large that no item moves to the "already rated enough" tier mid-test: the next
    # item then depends only on the rater's own ratings.
    server = Server(db, runs.rated, "--ratings-per-item", "1000", log=tmp_path / "serve.log")
    server.start()
    raters = [f"kill-{i}" for i in range(6)]
    acked: dict[str, list[str]] = {r: [] for r in raters}
    last: dict[str, dict] = {}

    def work(name: str) -> None:
        c = client(server.url)
        v = c.predict(name, api_name="/start")
        last[name] = v
        while v["item"] is not None:
            try:
                v = c.predict(name, v["item"]["item_id"], 3, api_name="/rate")
            except Exception:  # the server died under this call
                return
            acked[name].append(last[name]["item"]["item_id"])
            last[name] = v

    try:
        threads = [threading.Thread(target=work, args=(r,), daemon=True) for r in raters]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while sum(map(len, acked.values())) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()  # mid-session: raters are rating right now
        for t in threads:
            t.join(timeout=60)
        assert sum(map(len, acked.values())) >= 40
        stored = {r: {i for (i,) in rows(db, "SELECT item_id FROM ratings WHERE rater = ?", r)}
                  for r in raters}
        for r in raters:  # nothing acknowledged is lost; at most the call in flight is extra
            assert set(acked[r]) <= stored[r] and len(stored[r] - set(acked[r])) <= 1

        server.start()
        c = client(server.url)
        for r in raters:
            v = c.predict(r, api_name="/start")
            assert v["progress"]["rated"] == len(stored[r])
            assert v["item"]["item_id"] not in stored[r]
            if stored[r] == set(acked[r]):  # the rater saw the response: same next item
                assert v["item"]["item_id"] == last[r]["item"]["item_id"]
    finally:
        server.stop()


def test_access_codes_admit_only_listed_codes_and_store_the_rater_id(runs, tmp_path):
    db = fresh_db(runs, tmp_path / "db")
    codes = tmp_path / "codes.txt"
    codes.write_text("# lab session\nq7x-19k alice\nmn4-2bz\n")
    with Server(db, [runs.ids["oracle"]], "--access-codes", str(codes),
                log=tmp_path / "serve.log") as server:
        c = client(server.url)
        v = c.predict("q7x-19k", api_name="/start")
        assert v["rater"] == "alice"
        c.predict("q7x-19k", v["item"]["item_id"], 5, api_name="/rate")
        assert c.predict("mn4-2bz", api_name="/start")["rater"] == "mn4-2bz"
        for wrong in ("alice", "q7x-19", "nobody"):
            with pytest.raises(AppError, match="unknown access code"):
                c.predict(wrong, api_name="/start")
            with pytest.raises(AppError, match="unknown access code"):
                c.predict(wrong, v["item"]["item_id"], 5, api_name="/rate")
    assert rows(db, "SELECT rater, value FROM ratings") == [("alice", 5)]
