"""``prepare 3b1b --manimgl PATH``: the user's ManimGL checkout in an environment of its own.

A fake checkout stands for github.com/3b1b/manim: a ``manimlib`` package and a
``pyproject.toml`` naming ``manimgl``, built by an in-tree backend with no build
requirements, so pip installs it without the package index (``PIP_NO_INDEX``).
It has no dependencies — not even NumPy — so the driver, run with the new
environment's interpreter, fails on its first import: proof that it did not run
in the harness's own environment.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from _fake_3b1b import CAPTIONS, VIDEOS, cli, git, last_json, timeout_args

from benchmark.cli import main
from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.gl_env import ENV_DIR, check_checkout, checkout_name

BACKEND = '''\
"""Builds the wheel of this checkout with the standard library alone."""
import base64, hashlib, pathlib, zipfile

NAME, VERSION = "manimgl", "0.0.1"


def _record(files):
    rows = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{name},sha256={digest},{len(data)}")
    return "\\n".join(rows) + "\\n"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{NAME}-{VERSION}.dist-info"
    files = {p.as_posix(): p.read_bytes() for p in sorted(pathlib.Path("manimlib").rglob("*.py"))}
    meta = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
    files[f"{info}/METADATA"] = meta.encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\\nGenerator: fake\\nRoot-Is-Purelib: true\\n"
                              b"Tag: py3-none-any\\n")
    record = _record(files) + f"{info}/RECORD,,\\n"
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / name, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
        z.writestr(f"{info}/RECORD", record)
    return name
'''

PYPROJECT = '''\
[build-system]
requires = []
build-backend = "fakebuild"
backend-path = ["."]

[project]
name = "manimgl"
version = "0.0.1"
'''


def fake_manimgl(root: Path) -> Path:
    (root / "manimlib").mkdir(parents=True)
    (root / "manimlib" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    (root / "fakebuild.py").write_text(BACKEND)
    (root / "pyproject.toml").write_text(PYPROJECT)
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "fake ManimGL", cwd=root)
    return root


def prepare_with(checkout: Path, out: Path, cache: Path) -> dict:
    # Only the first video (2099/demo): its code files are enough to show where scenes ran.
    return last_json(cli("prepare", "3b1b", "--videos", str(VIDEOS), "--captions",
                         str(CAPTIONS), "--years", "2099", "--limit-videos", "1", "--out",
                         str(out), *timeout_args(), "--manimgl", str(checkout), "--json",
                         cache=cache, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1"))


@pytest.mark.slow
def test_manimgl_checkout_is_installed_in_its_own_environment_and_recorded(tmp_path):
    checkout = fake_manimgl(tmp_path / "manim")
    commit = git("rev-parse", "HEAD", cwd=checkout)
    out, cache = tmp_path / "suite", tmp_path / "cache"
    report = prepare_with(checkout, out, cache)
    envs = list((out / ENV_DIR).iterdir())
    assert len(envs) == 1 and (envs[0] / "bin" / "python").exists()
    stamp = json.loads((envs[0] / "installed.json").read_text())
    assert stamp == {"checkout": str(checkout.resolve()), "commit": commit}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["manimgl"] == "0.0.1"
    assert manifest["manimgl_checkout"] == {"path": str(checkout.resolve()), "commit": commit,
                                            "dirty": False, "version": "0.0.1"}
    # The driver ran with the environment's interpreter: the checkout is there, NumPy
    # (which the fake does not depend on) is not, so every file failed on its first import.
    python = envs[0] / "bin" / "python"
    has = subprocess.run([str(python), "-c", "import manimlib; print(manimlib.__file__)"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert str(envs[0]) in has
    assert subprocess.run([str(python), "-c", "import numpy"], capture_output=True,
                          timeout=60, check=False).returncode != 0
    assert report["files"] == 2 and report["tasks"] == 0
    assert report["scene_failures"] == {"crashed": 2}
    cached = [p.parent for p in (out / ".extract-cache").glob("*/DONE")]
    assert len(cached) == 2 and all(re.search(r"-gl[0-9a-f]{10}$", p.name) for p in cached)

    # Same commit, clean: the environment is reused, not reinstalled.
    before = (envs[0] / "installed.json").stat().st_mtime_ns
    prepare_with(checkout, out, cache)
    assert (envs[0] / "installed.json").stat().st_mtime_ns == before
    # A new commit: installed again, and the manifest follows it.
    (checkout / "manimlib" / "extra.py").write_text("X = 1\n")
    git("add", "-A", cwd=checkout)
    git("commit", "-q", "-m", "more", cwd=checkout)
    newer = git("rev-parse", "HEAD", cwd=checkout)
    prepare_with(checkout, out, cache)
    assert json.loads((envs[0] / "installed.json").read_text())["commit"] == newer
    assert json.loads((out / "manifest.json").read_text())["manimgl_checkout"]["commit"] == newer


def test_checkout_checks_name_the_problem(tmp_path):
    assert checkout_name(fake_manimgl(tmp_path / "ok")) == "manimgl"
    assert check_checkout(tmp_path / "ok") == (tmp_path / "ok").resolve()
    other = tmp_path / "other"
    (other / "manimlib").mkdir(parents=True)
    (other / "manimlib" / "__init__.py").write_text("")
    (other / "setup.cfg").write_text("[metadata]\nname = manim\n")  # Manim CE, not ManimGL
    with pytest.raises(PrepareError, match="not a ManimGL checkout"):
        check_checkout(other)
    with pytest.raises(PrepareError, match="no such folder"):
        check_checkout(tmp_path / "missing")


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--manimgl", "{tmp}/no-such-checkout", "--manimgl"),
    ("--manimgl", "{videos}", "not a ManimGL checkout"),
    ("--scene-timeout-for", "NeverSettles", "expected SCENE=SECONDS"),
    ("--scene-timeout-for", "NeverSettles=-1", "expected SCENE=SECONDS"),
    ("--scene-timeout-for", "not a name=3", "expected SCENE=SECONDS"),
])
def test_bad_manimgl_or_scene_timeout_is_one_line_and_writes_nothing(
        tmp_path, capsys, flag, value, says):
    out = tmp_path / "out"
    code = main(["prepare", "3b1b", "--videos", str(VIDEOS), "--captions", str(CAPTIONS),
                 "--years", "2099", "--out", str(out), flag,
                 value.format(tmp=tmp_path, videos=VIDEOS), "--json", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert not out.exists()
