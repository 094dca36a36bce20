"""The fake 3b1b checkout (``tests/fixtures/fake_3b1b``) and how tests prepare it.

It holds two captioned videos with ManimGL code in 3b1b's style: ``2099/demo``
(content scenes, a 3D scene, a scene that raises after one wait, one that never
ends, one with a missing image, a dense grid) and ``2099/second`` (three simple
scenes, one building a formula up wait by wait), plus a caption video without
code.

Real scenes run with a generous timeout (``SCENE_TIMEOUT``) so a loaded machine
never turns a slow scene into a ``timeout``; only the scene that never ends
gets a short one (``NEVER_ENDS``, through ``--scene-timeout-for``), so the
timeout path is exercised without waiting long for it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmark.core.tasks import Task, load_tasks
from benchmark.suites.threeb1b.source import SPLITS

REPO = Path(__file__).resolve().parent.parent
FAKE = Path(__file__).parent / "fixtures" / "fake_3b1b"
VIDEOS = FAKE / "videos"
CAPTIONS = FAKE / "captions"
SCENE_TIMEOUT = 120  # seconds for every real scene: far more than any takes, even under load
NEVER_ENDS = ("NeverSettles", 3)  # the scene that never ends, and its (short) timeout
TEST_SHARE = 0.6  # 2099/demo hashes to 0.54 (test), 2099/second to 0.72 (dev)
DEMO, SECOND = "2099/demo", "2099/second"


def fixture_scenes() -> dict[str, list[str]]:
    """Scene classes per video of the fake checkout, read from the source (not run)."""
    out: dict[str, list[str]] = {}
    for path in sorted((VIDEOS / "_2099").glob("*/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)
                 and any(isinstance(b, ast.Name) and b.id.endswith("Scene") for b in node.bases)]
        if names:
            out.setdefault(f"2099/{path.parent.name}", []).extend(names)
    return out


def env(cache: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, XDG_CACHE_HOME=str(cache), TORCH_HOME=str(cache / "no-torch"),
                **extra)


def cli(*args: str, cache: Path, timeout: float = 600,
        **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          env=env(cache, **extra_env), capture_output=True, text=True,
                          timeout=timeout, check=False)


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def timeout_args() -> list[str]:
    """Long for every real scene, short for the one that never ends."""
    return ["--scene-timeout", str(SCENE_TIMEOUT),
            "--scene-timeout-for", f"{NEVER_ENDS[0]}={NEVER_ENDS[1]}"]


def prepare(videos: Path, captions: Path, out: Path, cache: Path, *extra: str) -> dict:
    return last_json(cli("prepare", "3b1b", "--videos", str(videos), "--captions",
                         str(captions), "--years", "2099", "--out", str(out), *timeout_args(),
                         "--test-share", str(TEST_SHARE), "--json", *extra, cache=cache))


def all_tasks(folder: Path) -> list[Task]:
    """Every task of every split (both variants)."""
    return [t for split in SPLITS for t in load_tasks(folder / f"{split}.jsonl")]


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1",
                                           "GIT_CONFIG_GLOBAL": os.devnull})
    return done.stdout.strip()
