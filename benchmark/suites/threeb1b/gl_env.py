"""``prepare 3b1b --manimgl PATH``: run the scenes with the user's own ManimGL checkout.

The 3b1b videos follow ManimGL's master branch, which is ahead of the newest
release on PyPI (the ``3b1b`` extra pins 1.7.2).  Given a checkout of
github.com/3b1b/manim, ``prepare`` makes an isolated virtual environment under
``OUT/.manimgl-env/`` (nothing is installed into the harness's own environment),
installs the checkout into it with pip (its dependencies come from the package
index), and runs the ManimGL driver with that environment's interpreter.  The
environment is reused while the checkout's commit stays the same and it has no
uncommitted changes; the manifest records the checkout's path, commit and
version.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.suites.threeb1b.errors import PrepareError

__all__ = ["ENV_DIR", "ManimGLEnv", "check_checkout", "checkout_name", "ensure_env"]

ENV_DIR = ".manimgl-env"
INSTALL_TIMEOUT = 1800.0


@dataclass(frozen=True)
class ManimGLEnv:
    """An environment with the user's ManimGL: its interpreter and what went into it."""

    python: Path
    checkout: Path
    commit: str | None
    dirty: bool | None
    version: str | None

    @property
    def tag(self) -> str:
        """Short key for caches: results of one checkout never stand for another's."""
        basis = f"{self.checkout}:{self.commit}:{self.dirty}"
        return "gl" + hashlib.sha256(basis.encode()).hexdigest()[:10]

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.checkout), "commit": self.commit, "dirty": self.dirty,
                "version": self.version}


def checkout_name(path: Path) -> str | None:
    """The distribution name a source checkout declares (setup.cfg or pyproject.toml)."""
    cfg = path / "setup.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg, encoding="utf-8")
            name = parser.get("metadata", "name", fallback=None)
        except (configparser.Error, UnicodeDecodeError):
            name = None
        if name:
            return name.strip()
    toml = path / "pyproject.toml"
    if toml.is_file():
        try:
            name = tomllib.loads(toml.read_text(encoding="utf-8")).get("project", {}).get("name")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
            name = None
        if isinstance(name, str):
            return name.strip()
    return None


def check_checkout(path: Path) -> Path:
    """The resolved checkout, or a one-line ``PrepareError`` for anything else."""
    if not path.is_dir():
        raise PrepareError(f"--manimgl {path}: no such folder")
    path = path.resolve()
    name = checkout_name(path)
    if not (path / "manimlib" / "__init__.py").is_file() or \
            re.sub(r"[-_.]+", "-", (name or "").lower()) != "manimgl":
        raise PrepareError(f"--manimgl {path}: not a ManimGL checkout (expected a manimlib/ "
                           "package and a setup.cfg or pyproject.toml naming manimgl, as in "
                           "a clone of github.com/3b1b/manim)")
    return path


def _run(cmd: list[str], what: str, timeout: float = INSTALL_TIMEOUT) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PrepareError(f"{what}: took more than {timeout:g} s") from None
    except OSError as exc:
        raise PrepareError(f"{what}: {exc}") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise PrepareError(f"{what}: {last[:300]}")
    return done.stdout


def _python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_env(checkout: Path, root: Path, git: Callable[[Path], dict[str, Any]],
               log: Callable[[str], Any] | None = None) -> ManimGLEnv:
    """The environment for ``checkout`` under ``root/.manimgl-env``, made when needed.

    ``git(path)`` gives ``{"commit", "dirty"}`` of a checkout.  A clean checkout at a
    commit already installed is reused; anything else is (re)installed.
    """
    checkout = check_checkout(checkout)
    info = git(checkout)
    commit, dirty = info.get("commit"), info.get("dirty")
    key = hashlib.sha256(str(checkout).encode()).hexdigest()[:12]
    env = (root / ENV_DIR / key).resolve()
    python = _python(env)
    stamp = env / "installed.json"
    want = {"checkout": str(checkout), "commit": commit}
    try:
        have = json.loads(stamp.read_text())
    except (OSError, ValueError):
        have = None
    if have != want or commit is None or dirty is not False or not python.is_file():
        if log:
            log(f"installing ManimGL from {checkout} into {env} …")
        if not python.is_file():
            _run([sys.executable, "-m", "venv", "--without-pip", str(env)],
                 f"--manimgl: creating the environment {env}", timeout=300)
        stamp.unlink(missing_ok=True)
        _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
              "--disable-pip-version-check", str(checkout)],
             f"--manimgl: pip install {checkout}")
        stamp.write_text(json.dumps(want) + "\n")
    version = _run([str(python), "-c", "from importlib.metadata import version; "
                    "print(version('manimgl'))"], f"--manimgl: the environment {env}",
                   timeout=120).strip() or None
    return ManimGLEnv(python, checkout, commit, dirty, version)
