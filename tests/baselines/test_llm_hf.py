"""The ``llm`` submission's ``hf`` backend with a tiny causal LM built and saved here.

No weights are downloaded: ``_llm_fixtures.tiny_model`` trains a two-layer model
(and its tokenizer) to answer these tasks' conversations with a fenced scene,
saves it to a folder, and the backend loads that folder by path — chat
template, left-padded batches, decoding, extraction, the runner and the
sandbox all real.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from _llm_fixtures import GOOD_SCENE, fenced, tiny_model

from baselines.llm.backend import Request
from baselines.llm.config import GenerationSettings, HfOptions
from baselines.llm.hf import HfBackend, render_prompt
from baselines.llm.prompting import task_messages
from baselines.llm.submission import Llm
from benchmark.core.submission import SubmissionError
from benchmark.runner import RunOptions, run_benchmark
from benchmark.store import Store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, suite) -> Path:
    folder = tmp_path_factory.mktemp("tiny-model")
    return tiny_model(folder, [task_messages(t, shots=0) for t in suite])


def hf(model_dir: Path, cache_dir: Path, **extra: str) -> Llm:
    args = {"model": str(model_dir), "shots": "0", "n": "2", "temperature": "0",
            "max_new_tokens": "96", "batch_size": "3", "cache_dir": str(cache_dir)}
    return Llm(**{**args, **extra})


@pytest.fixture(scope="module")
def first_run(model_dir, suite, sandbox, tmp_path_factory):
    replies = tmp_path_factory.mktemp("replies")
    store = Store(str(tmp_path_factory.mktemp("db") / "benchmark.db"))
    sub = hf(model_dir, replies)
    stats = run_benchmark(sub, suite, store, RunOptions(jobs=2, sandbox=sandbox), model="llm")
    yield store, stats, sub, replies
    store.close()


@pytest.mark.slow
def test_a_local_model_writes_scenes_that_render(first_run, suite):
    store, stats, _, _ = first_run
    results = store.results(stats.run_id)
    assert len(results) == len(suite)
    for r in results:
        assert r.status == "ok", r.error
        assert r.metrics["compiled"] == 1.0 and r.metrics["rendered_pass@2"] == 1.0
        assert store.artifacts.path(r.code_path).read_text() == GOOD_SCENE
        samples = r.generation["sampling"]["samples"]
        assert [s["meta"]["extract"] for s in samples] == ["python", "python"]
        assert all(s["round"] == 0 and not s["meta"]["cached"] for s in samples)


def test_sequences_of_several_tasks_are_generated_in_shared_batches(first_run, suite):
    _, _, sub, _ = first_run
    sequences = 2 * len(suite)
    assert sub.backend.calls < sequences  # batches of up to 3, not one call per sample


def test_a_repeated_run_never_calls_the_model(first_run, model_dir, suite, sandbox):
    store, _, sub, replies = first_run
    calls = sub.backend.calls
    again = run_benchmark(hf(model_dir, replies), suite, store,
                          RunOptions(jobs=2, sandbox=sandbox), model="llm")
    assert sub.backend.calls == calls
    for r in store.results(again.run_id):
        assert all(s["meta"]["cached"] for s in r.generation["sampling"]["samples"])


def test_sampling_settings_reach_generate(model_dir, suite):
    backend = HfBackend(HfOptions(model=str(model_dir), batch_size=4))
    messages = tuple(task_messages(suite.tasks[0], shots=0))
    settings = GenerationSettings(temperature=1.5, top_p=0.5, max_new_tokens=8, seed=3)
    requests = [Request(messages, i, f"key-{i}") for i in range(3)]
    first = backend.complete(requests, settings)
    assert len(first) == 3 and backend.complete(requests, settings) == first  # seeded


def test_the_chat_template_is_used_when_the_tokenizer_has_one(model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    text, special = render_prompt(tok, messages)
    assert text.endswith("<|im_start|>assistant\n") and not special
    tok.chat_template = None
    text, special = render_prompt(tok, messages)
    assert text.endswith("Assistant:\n") and "User:\nU" in text and special


def test_the_cpu_gets_float32_when_no_gpu_is_there(model_dir):
    import torch

    device, dtype = HfBackend(HfOptions(model=str(model_dir)))._pick()
    if not torch.cuda.is_available():
        assert (device, dtype) == ("cpu", torch.float32)
    else:
        assert device == "cuda" and dtype in (torch.bfloat16, torch.float16)


def test_a_missing_model_folder_is_one_line_naming_it(tmp_path):
    with pytest.raises(SubmissionError, match=r"no model folder at \./nowhere/model"):
        Llm(model="./nowhere/model")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(SubmissionError, match=f"no model weights in {tmp_path}"):
        Llm(model=str(tmp_path))


def test_an_unknown_hub_model_offline_is_one_line_naming_it(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", XDG_CACHE_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "benchmark", "run", "--model", "llm", "--model-arg",
         "model=jepa-manim-test/no-such-model", "--suite", "synthetic", "--limit", "1",
         "--db", str(tmp_path / "b.db")], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'jepa-manim-test/no-such-model'" in lines[0], done.stderr
    assert not (tmp_path / "b.db").exists()


HUB_SCRIPT = """
import json, sys
from baselines.llm.backend import Request
from baselines.llm.config import GenerationSettings, HfOptions
from baselines.llm.hf import HfBackend
backend = HfBackend(HfOptions(model=sys.argv[1]))
messages = tuple(json.loads(sys.argv[2]))
reply, = backend.complete([Request(messages, 0, "key")], GenerationSettings(max_new_tokens=96))
print(json.dumps({"identity": backend.identity(), "reply": reply}))
"""


def hub_env(tmp_path: Path) -> dict[str, str]:
    """A private Hub cache and a Hub address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return dict(os.environ, HF_HUB_CACHE=str(tmp_path / "hub"), XDG_CACHE_HOME=str(tmp_path),
                HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HUB_DISABLE_TELEMETRY="1")


def test_a_hub_model_in_the_cache_loads_without_asking_the_hub(model_dir, suite, tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--jepa-manim-test--tiny"
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    messages = json.dumps(task_messages(suite.tasks[0], shots=0))
    done = subprocess.run([sys.executable, "-c", HUB_SCRIPT, "jepa-manim-test/tiny", messages],
                          cwd=REPO, env=hub_env(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["identity"] == {"backend": "hf", "model": "jepa-manim-test/tiny",
                               "revision": commit}  # the reply cache keys on the revision
    assert out["reply"] == fenced(GOOD_SCENE)
    assert "huggingface.co" not in done.stderr and "Retry" not in done.stderr


@pytest.mark.slow
def test_an_unreachable_hub_is_one_line_naming_the_model(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmark", "run", "--model", "llm", "--model-arg",
         "model=jepa-manim-test/not-cached", "--suite", "synthetic", "--limit", "1",
         "--db", str(tmp_path / "b.db")], cwd=REPO, env=hub_env(tmp_path),
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()  # the Hub client's retry warnings held back
    assert len(lines) == 1 and "'jepa-manim-test/not-cached'" in lines[0], done.stderr
    assert "cannot be reached" in lines[0]
    assert not (tmp_path / "b.db").exists()
