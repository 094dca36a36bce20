"""Run the ManimGL scenes of one 3b1b source file headless and write Snapshots.

This script is started as a subprocess by :mod:`benchmark.suites.threeb1b.extract`
(never imported by the harness): it imports ``manimlib`` and the user's checkout,
so it runs outside the trusted process.  For each scene of the file it forks a
child (the imports are paid once per file), which

* builds the scene with animations skipped and a headless EGL context
  (``PYGLET_HEADLESS=1``, Mesa's software rasteriser works on a CPU),
* hooks ``Scene.wait`` so every wait writes one Snapshot — the same wire format
  as the sandbox's (:mod:`benchmark.sandbox.runtime.wire`) — with quadratic
  Bezier curves converted to cubic ones and every point normalised to the
  camera frame (a zoomed or panned frame becomes the standard 14.2 × 8 frame),
* gives every mobject a number that stays the same for the whole scene run
  (its identity: the same Python object, however it moved) and writes, per
  member, that number into the snapshot's ``scene.uids`` list, so the builder
  can tell what was already on screen at the previous wait,
* stops at the first wait whose camera is rotated (a 3D scene) or after
  ``--max-waits`` waits.

A file that imports a library this environment lacks (or that breaks on import)
is imported again with a stand-in for it (:mod:`gl_driver_standin`): its other
scenes run, and one that uses the library fails as an ``import_error``.

Per scene it writes ``OUT/<Scene>.jmw`` (frames) and appends one JSON line to
``OUT/results.jsonl`` with the status and error, so a killed driver keeps what
it finished.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any

# Siblings, imported by name: this file runs as a script, its folder first on sys.path.
import gl_driver_encode
from gl_driver_encode import Encoder
from gl_driver_patch import patch
from gl_driver_standin import StandIns, missing_library

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "sandbox" / "runtime"
MAX_STAND_INS = 8  # libraries a file may lack before its import counts as failed


def runtime_module(name: str) -> types.ModuleType:
    """A module of the sandbox runtime (``benchmark/sandbox/runtime/NAME.py``), loaded
    from its file: the project need not be importable here, and under its own name
    it can never clash with a module of the checkout."""
    spec = importlib.util.spec_from_file_location(f"jepa_manim_runtime_{name}",
                                                  RUNTIME_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wire = runtime_module("wire")  # the Snapshot format
walk = runtime_module("walk")  # the scene-graph walk, shared with the sandbox capture
#: frames in these files are the driver's own, never where a scene failed
OWN_FILES = {__file__, gl_driver_encode.__file__, walk.__file__}


class StopScene(Exception):
    """Raised from the wait hook once the scene has given what we need."""


class SceneTimeout(BaseException):
    """Raised by the alarm of a scene run in its own interpreter."""


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True, help="the videos checkout")
    p.add_argument("--file", required=True, help="source file, relative to --root")
    p.add_argument("--out", required=True)
    p.add_argument("--config", required=True, help="custom_config.yml to use")
    p.add_argument("--scenes", default="", help="comma-separated; default: all")
    p.add_argument("--scene-timeout", type=float, default=60.0)
    p.add_argument("--scene-timeout-for", action="append", default=[], metavar="SCENE=S",
                   help="seconds for one scene instead of --scene-timeout (repeatable)")
    p.add_argument("--max-waits", type=int, default=40)
    p.add_argument("--memory-mb", type=int, default=6144)
    p.add_argument("--gl-frames", action="store_true",
                   help="also save ManimGL's own frame at each wait (OUT/<Scene>.wNN.png); "
                        "each scene then runs in a fresh interpreter, since Mesa's renderer "
                        "does not survive a fork")
    p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- running one scene (in a forked child) ---------------------------------------------------
def _classify_error(exc: BaseException) -> str:
    if isinstance(exc, SceneTimeout):
        return "timeout"
    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    if isinstance(exc, ImportError) or isinstance(exc, ModuleNotFoundError):
        return "import_error"
    if "latex" in low or ".sty" in low or "tex_file_writing" in _tb_files(exc):
        return "latex_error"
    if isinstance(exc, FileNotFoundError) or "no such file" in low or "not found" in low:
        return "missing_asset"
    if isinstance(exc, MemoryError):
        return "memory_exceeded"
    return "runtime_error"


def _tb_files(exc: BaseException) -> str:
    return " ".join(fs.filename for fs in traceback.extract_tb(exc.__traceback__))


def _run_scene(manimlib: Any, scene_cls: type, out: Path,
               max_waits: int, gl_frames: bool = False) -> dict[str, Any]:
    encoder = Encoder(manimlib, wire, walk)
    Scene = manimlib.Scene
    waits = {"n": 0, "written": 0, "three_d": False}
    fh = open(out, "wb")
    original_wait = Scene.wait

    def write(scene: Any) -> None:
        info = {"frame": encoder.frame_info(scene)}
        if any(abs(a) > 1e-3 for a in info["frame"]["euler"]):
            waits["three_d"] = True
            raise StopScene()
        fh.write(wire.frame(wire.KIND_SNAPSHOT, encoder.encode(scene, waits["n"], info)))
        fh.flush()
        if gl_frames:  # ManimGL's own rendering (EGL), kept beside the snapshot
            scene.camera.capture(*scene.render_groups)
            scene.camera.get_image().save(out.with_name(
                f"{scene_cls.__name__}.w{waits['n']:02d}.png"))
        waits["written"] += 1

    def wait(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_wait(self, *args, **kwargs)
        waits["n"] += 1
        write(self)
        if waits["n"] >= max_waits:
            raise StopScene()
        return result

    Scene.wait = wait
    t0 = time.perf_counter()
    status, error = "ok", ""
    try:
        scene = scene_cls(skip_animations=True)
        try:
            scene.setup()
            scene.construct()
        except StopScene:
            pass
        if waits["n"] == 0 and not waits["three_d"]:
            try:
                write(scene)  # a scene without waits: its final state
            except StopScene:
                pass
    except StopScene:
        pass
    except BaseException as exc:  # the scene's own failure, reported by cause
        status = _classify_error(exc)
        where = ""
        for fs in traceback.extract_tb(exc.__traceback__):
            if "manimlib" not in fs.filename and fs.filename not in OWN_FILES:
                where = f" ({Path(fs.filename).name}:{fs.lineno})"
        first = (str(exc).strip().splitlines() or [""])[0]
        error = f"{type(exc).__name__}{where}: {first}"[:400]
    fh.close()
    if waits["three_d"] and status == "ok":
        status = "three_d"
    return {"status": status, "error": error, "waits": waits["n"],
            "snapshots": waits["written"], "seconds": round(time.perf_counter() - t0, 3)}


def _limit_memory(mb: int) -> None:
    limit = mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


def _fork_scene(manimlib: Any, scene_cls: type, out_dir: Path,
                args: argparse.Namespace) -> dict[str, Any]:
    out = out_dir / f"{scene_cls.__name__}.jmw"
    result_path = out_dir / f".{scene_cls.__name__}.result.json"
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            import faulthandler

            # The parent asks for the stack (SIGUSR1) before killing a scene that ran out of
            # time; dumping from the signal handler, in the main thread, is safe — a
            # watchdog thread dumping while the scene runs can crash it.
            stack = open(out_dir / f".{scene_cls.__name__}.stack", "w")
            faulthandler.register(signal.SIGUSR1, file=stack, all_threads=False)
            _limit_memory(args.memory_mb)
            res = _run_scene(manimlib, scene_cls, out, args.max_waits, args.gl_frames)
            result_path.write_text(json.dumps(res))
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    timeout = _timeout(args, scene_cls.__name__)
    deadline = t0 + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            os.kill(pid, signal.SIGUSR1)  # where it is stuck, for the error message
            time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            where = _stuck_at(out_dir / f".{scene_cls.__name__}.stack")
            return {"status": "timeout",
                    "error": f"no end after {timeout:g} s{where}",
                    "waits": None, "snapshots": _count(out),
                    "seconds": round(time.perf_counter() - t0, 3)}
        time.sleep(0.02)
    if (res := _take_result(result_path)) is not None:
        return res
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    how = f"signal {sig}" if sig else f"status {os.WEXITSTATUS(status)}"
    return {"status": "memory_exceeded" if sig is None else "crashed",
            "error": f"scene process ended with {how}",
            "waits": None, "snapshots": _count(out),
            "seconds": round(time.perf_counter() - t0, 3)}


def _timeout(args: argparse.Namespace, scene: str) -> float:
    """The scene's own ``--scene-timeout-for``, else ``--scene-timeout``."""
    for item in args.scene_timeout_for:
        name, _, seconds = item.partition("=")
        if name == scene:
            return float(seconds)
    return float(args.scene_timeout)


def _take_result(path: Path) -> dict[str, Any] | None:
    """The result a scene's process left behind (then removed), if it left one."""
    if not path.is_file():
        return None
    res = json.loads(path.read_text())
    path.unlink()
    return res


def _spawn_scene(scene_cls: type, out_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one scene in a fresh interpreter (needed for ManimGL's own frames)."""
    name = scene_cls.__name__
    result_path = out_dir / f".{name}.result.json"
    t0 = time.perf_counter()
    timeout = _timeout(args, name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--root", args.root, "--file",
           args.file, "--out", str(out_dir), "--config", args.config, "--scenes", name,
           "--scene-timeout", str(timeout), "--max-waits", str(args.max_waits),
           "--memory-mb", str(args.memory_mb), "--gl-frames", "--in-process"]
    try:
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout + 60, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no end after {timeout:g} s",
                "waits": None, "snapshots": 0, "seconds": round(time.perf_counter() - t0, 3)}
    if (res := _take_result(result_path)) is not None:
        return res
    return {"status": "crashed", "error": "scene process ended without a result",
            "waits": None, "snapshots": 0, "seconds": round(time.perf_counter() - t0, 3)}


def _stuck_at(stack: Path) -> str:
    """Where the scene was when it ran out of time (from faulthandler's dump)."""
    try:
        lines = stack.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    frames = [ln.strip() for ln in lines if ln.strip().startswith("File ")]
    return f" (at {frames[0]})" if frames else ""


def _count(path: Path) -> int:
    try:
        return len(wire.split_frames(path.read_bytes(), 10_000))
    except (OSError, ValueError):
        return 0


def main(argv: list[str]) -> int:
    args = _args(argv)
    root = Path(args.root).resolve()
    args.root = str(root)
    out_dir = Path(args.out).resolve()
    args.config = str(Path(args.config).resolve())
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.jsonl"

    def record(scene: str, res: dict[str, Any]) -> None:
        extra = {"stand_ins": stand_ins.names} if stand_ins.names else {}
        with open(results, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"scene": scene, **res, **extra}) + "\n")

    os.environ["PYGLET_HEADLESS"] = "1"
    os.chdir(out_dir)
    sys.argv = ["manimgl", "--config_file", args.config]
    sys.path[:0] = [str(root), str((root / args.file).parent)]

    t0 = time.perf_counter()
    stand_ins = StandIns()
    try:
        import manimlib

        patch(manimlib)
        module_name = args.file[:-3].replace("/", ".").replace("\\", ".")
        loaded = frozenset(k.split(".")[0] for k in list(sys.modules))
        while True:
            try:
                module = importlib.import_module(module_name)
                break
            except ImportError as exc:  # a library the file needs only for some scenes?
                library = missing_library(exc, root, loaded)
                if library is None or library in stand_ins.names or \
                        len(stand_ins.names) >= MAX_STAND_INS:
                    raise
                stand_ins.add(library)
    except BaseException as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        record("*", {"status": "import_error" if not isinstance(exc, SyntaxError)
                     else "syntax_error",
                     "error": f"{type(exc).__name__}: {first}"[:400], "waits": None,
                     "snapshots": 0, "seconds": round(time.perf_counter() - t0, 3)})
        return 0
    wanted = [s for s in args.scenes.split(",") if s]
    scenes = [v for v in vars(module).values()
              if isinstance(v, type) and issubclass(v, manimlib.Scene)
              and v.__module__ == module.__name__]
    scenes.sort(key=lambda c: _line(c))
    if wanted:
        scenes = [c for c in scenes if c.__name__ in wanted]
    if args.in_process:  # one scene, here (spawned by _spawn_scene)
        def alarm(signum: int, frame: Any) -> None:
            raise SceneTimeout(f"no end after {args.scene_timeout:g} s")

        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, args.scene_timeout)
        _limit_memory(args.memory_mb)
        for cls in scenes:
            res = _run_scene(manimlib, cls, out_dir / f"{cls.__name__}.jmw",
                             args.max_waits, args.gl_frames)
            (out_dir / f".{cls.__name__}.result.json").write_text(json.dumps(res))
        return 0
    for cls in scenes:
        res = (_spawn_scene(cls, out_dir, args) if args.gl_frames
               else _fork_scene(manimlib, cls, out_dir, args))
        record(cls.__name__, {**res, "line": _line(cls)})
    return 0


def _line(cls: type) -> int:
    """Where the class is defined: scenes run, and are matched to narration, in this order."""
    try:
        return int(inspect.getsourcelines(cls)[1])
    except (OSError, TypeError):
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
