"""Run the ManimGL scenes of a videos checkout headless, file by file, in parallel.

Each source file gets one :mod:`gl_driver` subprocess (which forks one child
per scene, with a per-scene timeout and memory limit); ``jobs`` files run at
once.  Results are kept per file under ``cache_dir``, keyed by the file's
content, so an interrupted or repeated ``prepare`` does not run a scene twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.suites.threeb1b.errors import PrepareError

__all__ = ["EXTRACT_VERSION", "TEXT_FONT", "SceneRun", "extract_files", "gl_config",
           "manimgl_version"]

EXTRACT_VERSION = 3  # bump when the driver's snapshots change
ASSETS = Path(__file__).parent / "assets"
# The font ManimGL's Text uses in prepare's runs (3b1b's own config asks for CMU Serif;
# Latin Modern Roman, which TeX Live installs, is its OpenType twin and what LaTeX
# typesets TexText in).
TEXT_FONT = "Latin Modern Roman"
DRIVER = Path(__file__).parent / "gl_driver.py"


@dataclass(frozen=True)
class SceneRun:
    """What running one scene gave: a status, and the snapshot file when any."""

    file: str  # relative to the videos root
    scene: str
    status: str
    error: str
    snapshots: int
    seconds: float
    line: int
    frames: Path | None
    stand_ins: tuple[str, ...] = ()  # libraries the file was imported without


def manimgl_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("manimgl")
    except Exception:
        return None


def gl_config(workdir: Path, videos_root: Path) -> Path:
    """Write the ManimGL ``custom_config.yml`` prepare runs every scene with."""
    import yaml

    workdir.mkdir(parents=True, exist_ok=True)
    assets = ASSETS.resolve()
    tmp = workdir / "gl_tmp"
    tmp.mkdir(exist_ok=True)
    config = {
        "directories": {
            "mirror_module_path": False,
            "base": str(assets),
            "subdirs": {
                "output": str(tmp / "videos"),
                "raster_images": str(videos_root / "images" / "raster"),
                "vector_images": str(assets / "vector"),
                "pi_creature_images": str(assets / "pi_creature"),
                "sounds": str(tmp / "sounds"),
                "data": str(tmp / "data"),
                "downloads": str(tmp / "downloads"),
                # newer ManimGL: never under "base" (our packaged assets)
                "latex_cache": str(tmp / "latex_cache"),
                "three_d_models": str(tmp / "three_d_models"),
            },
            "cache": str(workdir / "gl_cache"),
        },
        "universal_import_line": "from manim_imports_ext import *",
        "camera": {"resolution": "(960, 540)", "background_color": "#000000",
                   "fps": 30, "background_opacity": 1.0},
        "file_writer": {"saturation": 1.0},
        "text": {"font": TEXT_FONT, "alignment": "CENTER"},
        "tex": {"template": "default"},
        "embed": {"autoreload": False},
        "scene": {"show_animation_progress": False, "preview_while_skipping": False},
    }
    path = workdir / "custom_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=True))
    return path


def _file_key(videos_root: Path, rel: str, gl_frames: bool, tag: str = "") -> str:
    digest = hashlib.sha256((videos_root / rel).read_bytes()).hexdigest()[:16]
    safe = rel.replace("/", "__").removesuffix(".py")
    return (f"{safe}-{digest}-v{EXTRACT_VERSION}" + ("-gl" if gl_frames else "")
            + (f"-{tag}" if tag else ""))


def _read_results(folder: Path, rel: str) -> list[SceneRun]:
    runs = []
    path = folder / "results.jsonl"
    if not path.is_file():
        return runs
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short when the driver was killed
        frames = folder / f"{d.get('scene')}.jmw"
        runs.append(SceneRun(file=rel, scene=str(d.get("scene")), status=str(d.get("status")),
                             error=str(d.get("error") or ""),
                             snapshots=int(d.get("snapshots") or 0),
                             seconds=float(d.get("seconds") or 0.0),
                             line=int(d.get("line") or 0),
                             frames=frames if frames.is_file() else None,
                             stand_ins=tuple(str(x) for x in d.get("stand_ins") or ())))
    return runs


def _import_failed(runs: list[SceneRun]) -> bool:
    return len(runs) == 1 and runs[0].scene == "*" and runs[0].status == "import_error"


def _run_file(videos_root: Path, rel: str, cache_dir: Path, config: Path,
              scene_timeout: float, file_timeout: float, max_waits: int,
              gl_frames: bool, python: str = sys.executable, tag: str = "",
              scene_timeouts: dict[str, float] | None = None) -> list[SceneRun]:
    folder = cache_dir / _file_key(videos_root, rel, gl_frames, tag)
    if (folder / "DONE").is_file():
        runs = _read_results(folder, rel)
        if not _import_failed(runs):
            return runs
        # A file that failed to import is tried again: that depends on the environment
        # (a library installed since, or a stand-in the driver can now give it).
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TEXMFHOME", "TMPDIR")}
    # Default TeX paths first, our stand-ins (assets/tex) after them.
    env.update(TEXINPUTS=":" + str((ASSETS / "tex").resolve()), PYGLET_HEADLESS="1",
               PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", LP_NUM_THREADS="1")
    cmd = [python, str(DRIVER), "--root", str(videos_root), "--file", rel,
           "--out", str(folder), "--config", str(config),
           "--scene-timeout", str(scene_timeout), "--max-waits", str(max_waits)]
    if gl_frames:
        cmd.append("--gl-frames")
    for scene, seconds in sorted((scene_timeouts or {}).items()):
        cmd += ["--scene-timeout-for", f"{scene}={seconds:g}"]
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=file_timeout, check=False)
        tail = proc.stderr.decode("utf-8", "replace")[-400:]
        failed = proc.returncode != 0
    except subprocess.TimeoutExpired:
        tail, failed = f"file took more than {file_timeout:g} s", True
    runs = _read_results(folder, rel)
    if failed and not runs:
        line = (tail.strip().splitlines() or ["driver failed"])[-1]
        runs = [SceneRun(rel, "*", "crashed", line[:300], 0, 0.0, 0, None)]
    (folder / "DONE").write_text("")
    return runs


def extract_files(videos_root: Path, files: Iterable[str], cache_dir: Path, *,
                  jobs: int = 2, scene_timeout: float = 60.0, file_timeout: float = 1800.0,
                  max_waits: int = 40, gl_frames: bool = False,
                  on_file: Callable[[str, list[SceneRun]], Any] | None = None,
                  python: str | None = None, tag: str = "",
                  scene_timeouts: dict[str, float] | None = None) -> list[SceneRun]:
    """Run every scene of ``files``; returns one :class:`SceneRun` per scene tried.

    ``python``: the interpreter that has ManimGL (default: this one, with the pinned
    ``3b1b`` extra); ``tag`` keeps its cached results apart.  ``scene_timeouts``:
    seconds for particular scenes (by class name), instead of ``scene_timeout``.
    """
    if python is None and manimgl_version() is None:
        raise PrepareError("ManimGL is not installed: pip install '.[3b1b]' "
                           "(or run ./scripts/setup.sh)")
    files = list(files)
    cache_dir = cache_dir.resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    config = gl_config(cache_dir, videos_root.resolve())
    lock = threading.Lock()
    out: dict[str, list[SceneRun]] = {}

    def one(rel: str) -> None:
        runs = _run_file(videos_root.resolve(), rel, cache_dir, config, scene_timeout,
                         file_timeout, max_waits, gl_frames, python or sys.executable, tag,
                         scene_timeouts)
        with lock:
            out[rel] = runs
            if on_file is not None:
                on_file(rel, runs)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for f in [pool.submit(one, rel) for rel in files]:
            f.result()
    return [r for rel in files for r in out.get(rel, [])]
