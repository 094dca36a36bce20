"""Benchmark runs for the human-evaluation tests, made once per test session.

The real runner runs real submissions on an eight-task suite (the four tiny
scenes twice): ``oracle``, ``random`` and ``template`` (every task rendered),
``half`` (the reference code for even tasks, a syntax error for odd ones),
``broken`` (nothing renders) and ``empty`` (a run record without results).
The database and its artifacts are a template: tests that write copy it
first with ``fresh_db``.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _tiny_suite import write_tiny_suite
from gradio_client import Client

from benchmark.core.submission import Generation, Submission, submissions
from benchmark.core.tasks import Task
from benchmark.render import Renderer
from benchmark.runner import RunOptions, run_benchmark
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store
from benchmark.suites import load_suite

REPO = Path(__file__).resolve().parent.parent
N_TASKS = 8
SERVE_START_S = 120  # generous: the shared test machine can be slow to import gradio


class Half(Submission):
    """The reference code on even tasks, a syntax error on odd ones."""

    name = "half"

    def generate(self, task: Task) -> Generation:
        if int(task.id[-1]) % 2 == 0:
            return Generation(code=task.reference.code or "")
        return Generation(code="from manim import *\nclass S(Scene:\n")


class Broken(Submission):
    """Never renders: a syntax error on every task."""

    name = "broken"

    def generate(self, task: Task) -> Generation:
        return Generation(code="from manim import *\nclass S(Scene:\n")


@dataclass(frozen=True)
class Runs:
    root: Path  # holds benchmark.db and the artifacts; a template, never written by tests
    suite: Path
    ids: dict[str, str]  # oracle, random, template, half, broken, empty -> run id

    @property
    def db(self) -> Path:
        return self.root / "benchmark.db"

    @property
    def rated(self) -> list[str]:
        """The three runs whose every task rendered."""
        return [self.ids[m] for m in ("oracle", "random", "template")]


_made: dict[str, Runs] = {}


def benchmark_runs(tmp_path_factory) -> Runs:
    """The session's runs (made on the first call, by the real runner and sandbox)."""
    if "runs" not in _made:
        base = tmp_path_factory.mktemp("human-eval-runs")
        sandbox = SandboxConfig(cache_dir=base / "sandbox-cache")
        with Renderer(dataclasses.replace(sandbox, namespace="tiny-suite"), jobs=2) as r:
            path = write_tiny_suite(r, base / "suite" / "tiny8.jsonl", n=N_TASKS)
        suite = load_suite(str(path))
        root = base / "template"
        ids: dict[str, str] = {}
        with Store(str(root / "benchmark.db")) as store:
            options = RunOptions(jobs=2, sandbox=sandbox)
            subs = {"oracle": submissions.get("oracle")(), "random": submissions.get("random")(),
                    "template": submissions.get("template")(), "half": Half(),
                    "broken": Broken()}
            for name, sub in subs.items():
                stats = run_benchmark(sub, suite, store, options, model=name,
                                      suite_source=str(path))
                ids[name] = stats.run_id
            empty = dataclasses.replace(store.get_run(ids["oracle"]),
                                        run_id=ids["oracle"].replace("oracle", "empty"),
                                        model="empty", status="running", finished=None)
            store.create_run(empty)
            ids["empty"] = empty.run_id
        _made["runs"] = Runs(root, path, ids)
    return _made["runs"]


def fresh_db(runs: Runs, dest: Path) -> Path:
    """A private copy of the runs' database and artifacts; its database path."""
    shutil.copytree(runs.root, dest)
    return dest / "benchmark.db"


def client(url: str) -> Client:
    """A ``gradio_client`` for a local server.

    ``ssl_verify=False``: the URL is plain http on localhost, so no TLS is
    involved; without it the client builds a certificate store for every
    call's event stream, which costs ten times the server's own work.
    """
    return Client(url, verbose=False, ssl_verify=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m human_eval serve`` as a real subprocess, up once it prints ``ready:``."""

    def __init__(self, db: Path, runs: list[str], *extra: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.args = [sys.executable, "-m", "human_eval", "serve", "--db", str(db), "--runs",
                     *runs, "--port", str(self.port), *extra]
        self.log = log
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        seen = self.log.stat().st_size if self.log.exists() else 0  # a restart appends
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=out,
                                         stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + SERVE_START_S
        while time.monotonic() < deadline:
            if b"ready:" in self.log.read_bytes()[seen:]:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: "
                                   f"{self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready in {SERVE_START_S}s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no chance to flush or close anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
