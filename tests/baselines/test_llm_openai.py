"""The ``llm`` submission against an OpenAI-compatible server on loopback, end to end.

The server (``_llm_fixtures.ChatServer``) is real HTTP; everything between it and
the results database — the ``openai`` client, prompting, code extraction, the
reply cache, repair rounds, the runner, the sandbox and the scorers — is the
code under test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _llm_fixtures import BROKEN_SCENE, GOOD_SCENE, ChatServer, fenced
from _tiny_suite import write_tiny_suite

from baselines.llm.prompting import SYSTEM_PROMPT, describe_task
from baselines.llm.submission import Llm
from benchmark.core.submission import SubmissionError
from benchmark.render import Renderer
from benchmark.runner import RunOptions, run_benchmark
from benchmark.sampling import ModelUnavailable
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store

REPO = Path(__file__).resolve().parents[2]
SEED = 7
IN_WORDS = "I would rather describe the scene in words."


def respond(body: dict) -> str:
    """Sample 0 writes a scene that raises and fixes it when told; sample 1 never writes
    code at all."""
    last = body["messages"][-1]["content"]
    if last.startswith("The sandbox ran your scene"):
        return fenced(GOOD_SCENE)
    if last.startswith("Your reply contained no Python code block"):
        return IN_WORDS
    return fenced(BROKEN_SCENE) if body["seed"] == SEED else IN_WORDS


class Slow:
    """A responder that takes a while and counts how many requests it served at once."""

    def __init__(self) -> None:
        self.active = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> str:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.2)
        with self.lock:
            self.active -= 1
        return fenced(GOOD_SCENE)


@pytest.fixture(scope="module")
def server():
    with ChatServer(respond) as s:
        yield s


@pytest.fixture(scope="module")
def replies(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("replies")


def llm(server: ChatServer, cache_dir: Path, **extra: str) -> Llm:
    args = {"backend": "openai", "base_url": server.url, "model": server.model,
            "n": "2", "repair_rounds": "1", "shots": "1", "seed": str(SEED),
            "temperature": "0.7", "backoff": "0.01", "cache_dir": str(cache_dir)}
    return Llm(**{**args, **extra})


@pytest.fixture(scope="module")
def first_run(server, suite, sandbox, replies, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "benchmark.db"
    store = Store(str(db))
    before = len(server.answered())
    stats = run_benchmark(llm(server, replies), suite, store,
                          RunOptions(jobs=2, sandbox=sandbox), model="llm")
    yield store, stats, server.answered()[before:]
    store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_samples_are_repaired_and_rows_report_pass_at_k(first_run, suite):
    store, stats, _ = first_run
    results = store.results(stats.run_id)
    assert len(results) == len(suite)
    for r in results:
        assert r.status == "ok"  # the first sample, as repaired
        assert r.metrics["rendered"] == 0.5 and r.metrics["rendered_pass@2"] == 1.0
        s0, s1 = r.generation["sampling"]["samples"]
        assert [a["status"] for a in s0["attempts"]] == ["runtime_error", "ok"]
        assert s0["round"] == 1 and s0["repaired"] and s0["meta"]["extract"] == "python"
        assert s1["status"] == "no_scene" and not s1["rendered"]
        assert s1["meta"]["extract"] == "none" and s1["round"] == 1


def test_the_prompt_has_conventions_train_examples_and_the_task(first_run, suite):
    _, _, requests = first_run
    first = [r for r in requests if len(r["messages"]) == 4]
    assert len(first) == 2 * len(suite)  # two samples per task, one conversation each
    system, example, answer, task = first[0]["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert "14.22 units wide" in system["content"] and "from manim import *" in system["content"]
    assert answer["role"] == "assistant" and answer["content"].startswith("```python\n")
    from benchmark.suites import load_suite

    held_out = {describe_task(t) for split in ("test", "val")
                for t in load_suite("synthetic", split).tasks}
    assert example["content"] not in held_out  # the example is a train task
    assert task["content"] in {describe_task(t) for t in suite}
    assert all(f"- {o.id}: " in task["content"]
               for o in next(t for t in suite if describe_task(t) == task["content"]).objects)
    assert {r["seed"] for r in first} == {SEED, SEED + 1} and {r["temperature"]
                                                               for r in first} == {0.7}


def test_a_repair_turn_carries_the_reply_and_the_sandbox_error(first_run, suite):
    _, _, requests = first_run
    repairs = [r for r in requests if len(r["messages"]) == 6]
    assert len(repairs) == 2 * len(suite)
    broken = [r for r in repairs if "failed with status" in r["messages"][-1]["content"]]
    assert len(broken) == len(suite)
    for r in broken:
        assert r["messages"][4] == {"role": "assistant", "content": fenced(BROKEN_SCENE)}
        text = r["messages"][5]["content"]
        assert "`runtime_error`" in text and "boom" in text
    for r in repairs:
        if r not in broken:
            assert r["messages"][5]["content"].startswith("Your reply contained no Python")


def test_a_repeated_run_is_answered_from_the_reply_cache(first_run, server, suite, sandbox,
                                                         replies):
    store, first, _ = first_run
    before = len(server.requests)
    again = run_benchmark(llm(server, replies), suite, store,
                          RunOptions(jobs=2, sandbox=sandbox), model="llm")
    assert len(server.requests) == before  # not one request
    rows = {r.task_id: r for r in store.results(again.run_id)}
    for r in store.results(first.run_id):
        assert rows[r.task_id].metrics == r.metrics
        for s in rows[r.task_id].generation["sampling"]["samples"]:
            assert s["meta"]["cached"] is True


def test_429_and_500_are_retried_with_backoff(server, suite, tmp_path):
    sub = llm(server, tmp_path, n="1", repair_rounds="0", cache="0", retries="3")
    server.faults = [429, 500]
    before = len(server.requests)
    gen = sub.generate(suite.tasks[0])
    assert [r["fault"] for r in server.requests[before:]] == [429, 500, None]
    assert gen.code == BROKEN_SCENE  # sample 0's reply, after two failures


def test_a_server_that_stays_down_stops_the_run_naming_it(server, suite, tmp_path):
    sub = llm(server, tmp_path, n="1", cache="0", retries="2")
    server.faults = [503] * 3
    with pytest.raises(ModelUnavailable, match="failed after 3 tries") as err:
        sub.generate(suite.tasks[0])
    assert server.url in str(err.value) and "\n" not in str(err.value)



def test_a_request_that_outlives_its_timeout_is_retried_then_stops_the_run(suite, tmp_path):
    def slow(body: dict) -> str:
        time.sleep(2)
        return fenced(GOOD_SCENE)

    with ChatServer(slow) as s:
        sub = Llm(backend="openai", base_url=s.url, model=s.model, timeout="0.3",
                  retries="1", backoff="0.01", cache="0")
        t0 = time.monotonic()
        with pytest.raises(ModelUnavailable, match=r"no answer within the timeout of 0\.3 s"):
            sub.generate(suite.tasks[0])
        assert time.monotonic() - t0 < 1.8  # neither try waited for the reply
        assert len(s.requests) == 2  # the first try and its one retry

def test_an_unreachable_server_is_one_line_naming_the_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(SubmissionError, match="cannot reach the server") as err:
        Llm(backend="openai", base_url=url, model="m", backoff="0.01",
            cache_dir=str(tmp_path))
    assert url in str(err.value) and "\n" not in str(err.value)


def test_a_model_the_server_does_not_serve_is_named(server, tmp_path):
    with pytest.raises(SubmissionError, match="does not serve model 'no-such-model'"):
        Llm(backend="openai", base_url=server.url, model="no-such-model",
            cache_dir=str(tmp_path))


def test_a_named_key_variable_that_is_unset_is_an_error(server, tmp_path):
    with pytest.raises(SubmissionError, match="JEPA_MANIM_NO_SUCH_KEY"):
        Llm(backend="openai", base_url=server.url, model=server.model,
            api_key_env="JEPA_MANIM_NO_SUCH_KEY", cache_dir=str(tmp_path))


def test_requests_in_flight_never_exceed_the_concurrency_limit(suite, tmp_path):
    slow = Slow()
    with ChatServer(slow) as s:
        sub = Llm(backend="openai", base_url=s.url, model=s.model, n="6", concurrency="2",
                  cache="0")
        gens = sub.generate_samples(suite.tasks[0], 6)
    assert len(gens) == 6 and all(g.code == GOOD_SCENE for g in gens)
    assert slow.most == 2


@pytest.mark.slow
def test_run_and_report_commands_show_pass_at_k(server, sandbox, tmp_path):
    cache = tmp_path / "xdg"
    with Renderer(SandboxConfig(cache_dir=cache / "suite", namespace="tiny-suite"),
                  jobs=2) as r:
        path = write_tiny_suite(r, tmp_path / "tiny.jsonl", n=2)
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), TORCH_HOME=str(cache / "no-torch"))
    db = tmp_path / "benchmark.db"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "benchmark", *args, "--db", str(db)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    run = cli("run", "--model", "llm", "--model-arg", "backend=openai",
              "--model-arg", f"base_url={server.url}", "--model-arg", f"model={server.model}",
              "--model-arg", "n=2", "--model-arg", "repair_rounds=1",
              "--model-arg", f"seed={SEED}", "--suite", str(path), "--jobs", "2", "--json")
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["metrics"]["rendered_pass@2"] == 1.0 and out["metrics"]["rendered"] == 0.5
    assert out["sampling"]["pass_at_k"]["rendered"] == {"1": 0.5, "2": 1.0}
    assert out["sampling"]["repaired_by_round"] == {"1": 2}
    text = cli("report", out["run_id"]).stdout
    assert "pass@k" in text and "k=2" in text and "rendered after repair" in text
    assert "the metrics above are mean@2" in text
