"""Child side: run one untrusted scene and send a Snapshot per keyframe.

Runs inside the sandbox, in a process forked from the warm server, with the
rlimits and the unprivileged uid already applied.  Imports only the standard
library, numpy and manim.  Nothing this module sends is trusted: the parent
validates every frame and draws the scene itself, so a scene that tampers with
this module can only change what gets drawn and measured.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import types
from typing import Any

import numpy as np
import walk
import wire

MAX_KEYFRAMES = 500
MAX_IMAGE_PIXELS = 4096 * 4096


class _Failure(Exception):
    def __init__(self, status: str, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class Capture:
    """Serialises scenes to Snapshot frames written to ``out_fd``."""

    def __init__(self, out_fd: int, manim: types.ModuleType) -> None:
        self.out_fd = out_fd
        self.keyframes = 0
        # Captured before user code runs: the identity checks compare with these.
        self.Scene = manim.Scene
        self.VMobject = manim.VMobject
        self.AbstractImageMobject = manim.mobject.types.image_mobject.AbstractImageMobject
        self.PMobject = manim.PMobject
        self.Mobject = manim.Mobject

    # -- sending -------------------------------------------------------------
    def send(self, kind: int, payload: bytes) -> None:
        data = wire.frame(kind, payload)
        view = memoryview(data)
        while view:
            n = os.write(self.out_fd, view)
            view = view[n:]

    def snapshot(self, scene: Any, final: bool = False) -> None:
        if self.keyframes >= MAX_KEYFRAMES and not final:
            return
        self.keyframes += 1
        self.send(wire.KIND_SNAPSHOT, self.encode(scene))

    def encode(self, scene: Any) -> bytes:
        members, arrays = walk.walk(list(scene.mobjects), self.describe)
        camera = getattr(getattr(scene, "renderer", None), "camera", None)
        scene_info: dict[str, Any] = {"class": type(scene).__name__}
        if camera is not None:
            try:
                from manim.utils.color import color_to_int_rgba

                rgba = color_to_int_rgba(camera.background_color,
                                         camera.background_opacity)
                scene_info["background"] = [int(v) for v in rgba]
            except Exception:  # a broken camera only loses the background colour
                pass
        return wire.encode_snapshot(scene_info, members, arrays)

    def describe(self, mob: Any, parent: int, add_array: Any) -> dict[str, Any]:
        rec = walk.record(mob, parent)
        mro = rec["mro"]
        points = walk.checked_points(
            np.asarray(getattr(mob, "points", np.zeros((0, 3))), dtype=float))
        rec["points"] = add_array(points)
        for attr in ("tex_string", "text", "original_text"):
            value = getattr(mob, attr, None)
            if isinstance(value, str):
                rec[attr] = value[:10_000]
        if "Paragraph" in mro:  # its lines are one Text that is not in the family
            value = getattr(getattr(mob, "lines_text", None), "original_text", None)
            if isinstance(value, str):
                rec["original_text"] = value[:10_000]
        settings = _typesetting(mob, mro)
        if settings:
            rec["settings"] = settings
        walk.add_number(rec, mob)
        if isinstance(mob, self.VMobject):
            rec["draw"] = wire.DRAW_VECTOR
            rec["fill"] = add_array(mob.get_fill_rgbas())
            rec["stroke"] = add_array(mob.get_stroke_rgbas())
            rec["bg_stroke"] = add_array(mob.get_stroke_rgbas(background=True))
            rec["stroke_width"] = float(mob.get_stroke_width())
            rec["bg_stroke_width"] = float(mob.get_stroke_width(background=True))
            rec["joint"] = str(getattr(mob.joint_type, "name", mob.joint_type))
            rec["cap"] = str(getattr(mob.cap_style, "name", mob.cap_style))
            rec["sheen"] = float(getattr(mob, "sheen_factor", 0.0) or 0.0)
            if len(mob.get_fill_rgbas()) > 1 or len(mob.get_stroke_rgbas()) > 1 or \
                    len(mob.get_stroke_rgbas(background=True)) > 1:
                if len(points):
                    rec["gradient"] = add_array(mob.get_gradient_start_and_end_points())
        elif isinstance(mob, self.AbstractImageMobject):
            rec["draw"] = wire.DRAW_IMAGE
            pixels = np.asarray(mob.get_pixel_array())
            if pixels.ndim == 3 and pixels.shape[2] == 4 and \
                    pixels.shape[0] * pixels.shape[1] <= MAX_IMAGE_PIXELS:
                rec["pixels"] = add_array(pixels, dtype="|u1")
            rec["resampling"] = int(getattr(mob, "resampling_algorithm", 3))
        elif isinstance(mob, self.PMobject):
            rec["draw"] = wire.DRAW_POINTS
            rec["rgbas"] = add_array(mob.rgbas)
            rec["stroke_width"] = float(getattr(mob, "stroke_width", 4))
        else:
            rec["draw"] = wire.DRAW_NONE
        return rec

    # -- running ---------------------------------------------------------------
    def find_scene(self, namespace: dict[str, Any], module_name: str,
                   wanted: str | None) -> type:
        candidates = []
        for value in list(namespace.values()):
            if not isinstance(value, type):
                continue
            mro = type.__getattribute__(value, "__mro__")
            if self.Scene in mro and value is not self.Scene and \
                    type.__getattribute__(value, "__module__") == module_name:
                candidates.append(value)
        if wanted is not None:
            for c in candidates:
                if c.__name__ == wanted:
                    return c
            names = ", ".join(sorted(c.__name__ for c in candidates)) or "none"
            raise _Failure("no_scene", f"no Scene subclass named {wanted!r} (found: {names})")
        # A class that another candidate derives from is a helper base, not the scene.
        leaves = [c for c in candidates
                  if not any(c is not o and c in type.__getattribute__(o, "__mro__")
                             for o in candidates)]
        if not leaves:
            raise _Failure("no_scene", "no Scene subclass found")
        if len(leaves) > 1:
            names = ", ".join(sorted(c.__name__ for c in leaves))
            raise _Failure("multiple_scenes",
                           f"several Scene subclasses ({names}); choose one with --scene")
        return leaves[0]

    def install_hooks(self, manim: types.ModuleType) -> None:
        renderer_cls = manim.renderer.cairo_renderer.CairoRenderer
        original_play = renderer_cls.play
        capture = self

        def play(renderer: Any, scene: Any, *args: Any, **kwargs: Any) -> None:
            original_play(renderer, scene, *args, **kwargs)
            capture.snapshot(scene)

        renderer_cls.play = play


_TEXT_SETTINGS = ("font", "slant", "weight", "disable_ligatures", "t2f", "t2s", "t2w",
                  "alignment", "justify")
_TEX_SETTINGS = ("tex_environment", "arg_separator", "include_underline",
                 "match_underline_width_to_text", "underline_buff", "buff", "dot_scale_factor")


def _typesetting(mob: Any, mro: list[str]) -> dict[str, Any]:
    """The settings a text-bearing mobject was typeset with (claims, like its string)."""
    out: dict[str, Any] = {}
    if "SingleStringMathTex" in mro:
        names: tuple[str, ...] = _TEX_SETTINGS
        if "BulletedList" in mro:
            out["parts"] = [getattr(m, "tex_string", "") for m in mob.submobjects][:200]
        if isinstance(getattr(mob, "_font_size", None), int | float):
            out["font_size"] = float(mob._font_size)  # as built: absolute buffs depend on it
    elif "Text" in mro or "MarkupText" in mro or "Paragraph" in mro:
        names = _TEXT_SETTINGS
        src = getattr(mob, "lines_text", mob)
        size = getattr(src, "_font_size", None)
        spacing = getattr(src, "line_spacing", None)
        if isinstance(size, int | float) and isinstance(spacing, int | float) and size:
            out["line_spacing"] = float(spacing) / float(size) - 1.0
        for n in names:
            value = getattr(src, n, None) if n != "alignment" else getattr(mob, n, None)
            if value is not None:
                out[n] = value
        names = ()
    else:
        return out
    for n in names:
        value = getattr(mob, n, None)
        if value is not None:
            out[n] = value
    return {k: _plain(v) for k, v in out.items()}


def _plain(value: Any) -> Any:
    """A JSON-safe, bounded copy of a setting (strings, numbers, flat dicts, lists)."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k)[:200]: str(v)[:200] for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [str(v)[:10_000] for v in value[:200]]
    return str(value)[:200]


def _exception_status(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory_exceeded"
    if isinstance(exc, ImportError):
        return "import_error"
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("tex_file_writing.py"):
            return "latex_error"
        tb = tb.tb_next
    if "latex error" in str(exc).lower():
        return "latex_error"
    return "runtime_error"


def _short_error(exc: BaseException, filename: str) -> str:
    """One line: the exception and the deepest frame in the user's file."""
    where = ""
    for fs in traceback.extract_tb(exc.__traceback__):
        if fs.filename == filename:
            where = f" (line {fs.lineno})"
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if _exception_status(exc) == "latex_error":
        first = _latex_log_error(exc) or first
    return f"{type(exc).__name__}{where}: {first}"[:500]


def _latex_log_error(exc: BaseException) -> str:
    """The first '! ...' line of the LaTeX log named in the exception, if any."""
    for word in str(exc).split():
        if word.endswith(".log") and os.path.exists(word):
            try:
                with open(word, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        if line.startswith("!"):
                            return "LaTeX error: " + line[1:].strip()
            except OSError:
                return ""
    return ""


def run(code: bytes, scene_name: str | None, out_fd: int, workdir: str) -> int:
    """Execute ``code`` as a module and render its scene. Returns an exit code."""
    import manim

    capture = Capture(out_fd, manim)
    timings: dict[str, float] = {}
    filename = os.path.join(workdir, "scene.py")
    with open(filename, "wb") as fh:
        fh.write(code)

    def result(status: str, error: str = "") -> int:
        capture.send(wire.KIND_RESULT, _json({
            "status": status, "error": error, "keyframes": capture.keyframes,
            "timings": timings}))
        return 0

    t0 = time.perf_counter()
    try:
        source = code.decode("utf-8")
    except UnicodeDecodeError as exc:
        return result("syntax_error", f"file is not valid UTF-8: {exc.reason} at byte {exc.start}")
    try:
        compiled = compile(source, filename, "exec")
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        msg = getattr(exc, "msg", None) or str(exc)
        return result("syntax_error", f"{type(exc).__name__}: {msg}"
                      + (f" (line {line})" if line else ""))
    except (MemoryError, RecursionError) as exc:
        return result("syntax_error", f"{type(exc).__name__} while compiling")

    manim.config.dry_run = True
    manim.config.media_dir = workdir
    manim.config.verbosity = "ERROR"
    manim.config.progress_bar = "none"
    capture.install_hooks(manim)

    module = types.ModuleType("scene_module")
    module.__file__ = filename
    sys.modules["scene_module"] = module
    sys.path.insert(0, workdir)
    try:
        exec(compiled, module.__dict__)
    except BaseException as exc:  # the user's module failed at import time
        if isinstance(exc, SystemExit):
            return result("runtime_error", f"SystemExit({exc.code!r}) while importing the scene")
        return result(_exception_status(exc), _short_error(exc, filename))
    timings["exec_s"] = time.perf_counter() - t0

    try:
        scene_cls = capture.find_scene(module.__dict__, "scene_module", scene_name)
    except _Failure as f:
        return result(f.status, f.error)

    t1 = time.perf_counter()
    try:
        scene = scene_cls(skip_animations=True)
        scene.render()
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            return result("runtime_error", f"SystemExit({exc.code!r}) while rendering")
        return result(_exception_status(exc), _short_error(exc, filename))
    timings["render_s"] = time.perf_counter() - t1
    try:
        t2 = time.perf_counter()
        capture.snapshot(scene, final=True)  # the final state
        timings["snapshot_s"] = time.perf_counter() - t2
    except MemoryError:
        return result("memory_exceeded", "MemoryError while taking the snapshot")
    except Exception as exc:
        return result("runtime_error", f"could not snapshot the scene: {exc}"[:500])
    return result("ok")


def _json(obj: Any) -> bytes:
    import json

    return json.dumps(obj, default=str).encode()
