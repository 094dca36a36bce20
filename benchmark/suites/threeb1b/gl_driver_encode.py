"""The ManimGL driver's snapshot encoder: a scene's mobjects as one Snapshot.

Part of the ManimGL driver (:mod:`gl_driver`), so it runs in the ManimGL
environment and imports only the standard library and numpy; the wire format
module is handed in by the driver.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FRAME_HEIGHT = 8.0
FRAME_WIDTH = 8.0 * 16 / 9
MAX_MEMBERS = 20_000


def cubic_points(points: np.ndarray) -> np.ndarray:
    """ManimGL's quadratic path (a0 h0 a1 h1 a2 …) as manim CE cubic quadruples."""
    if len(points) < 3:
        return np.zeros((0, 3))
    n = (len(points) - 1) // 2
    a0 = points[0 : 2 * n : 2]
    h = points[1 : 2 * n : 2]
    a1 = points[2 : 2 * n + 1 : 2]
    # A null curve whose handle sits on its start joins two subpaths: drop it.
    joins = (a0 == h).all(1) & (np.abs(h - a1) > 1e-4).any(1)
    keep = ~joins
    a0, h, a1 = a0[keep], h[keep], a1[keep]
    c1 = a0 + 2.0 / 3.0 * (h - a0)
    c2 = a1 + 2.0 / 3.0 * (h - a1)
    return np.stack([a0, c1, c2, a1], axis=1).reshape(-1, 3)


class Encoder:
    def __init__(self, manimlib: Any, wire: Any) -> None:
        self.wire = wire
        self.VMobject = manimlib.VMobject
        self.Mobject = manimlib.Mobject
        self.ImageMobject = manimlib.ImageMobject
        # id() → (the mobject, its number): the mobject is held so its id is never reused.
        self.uids: dict[int, tuple[Any, int]] = {}

    def uid(self, mob: Any) -> int:
        """A number for ``mob``, the same at every wait of this scene run."""
        got = self.uids.get(id(mob))
        if got is None:
            got = self.uids[id(mob)] = (mob, len(self.uids) + 1)
        return got[1]

    def frame_info(self, scene: Any) -> dict[str, Any]:
        frame = scene.camera.frame
        euler = [float(v) for v in frame.get_euler_angles()]
        return {"center": [float(v) for v in frame.get_center()],
                "width": float(frame.get_width()), "height": float(frame.get_height()),
                "euler": euler}

    def encode(self, scene: Any, wait_index: int, info: dict[str, Any]) -> bytes:
        frame = scene.camera.frame
        center = np.asarray(frame.get_center(), dtype=float)
        scale = FRAME_HEIGHT / float(frame.get_height() or FRAME_HEIGHT)
        members: list[dict[str, Any]] = []
        uids: list[int] = []
        arrays: list[np.ndarray] = []
        seen: set[int] = set()

        def add(a: Any, dtype: str = "<f8") -> int:
            arrays.append(np.ascontiguousarray(np.asarray(a, dtype=dtype)))
            return len(arrays) - 1

        def visit(mob: Any, parent: int, depth: int) -> None:
            if id(mob) in seen or len(members) >= MAX_MEMBERS or depth > 64:
                return
            seen.add(id(mob))
            index = len(members)
            members.append(self.describe(mob, parent, add, center, scale))
            uids.append(self.uid(mob))
            for sub in list(getattr(mob, "submobjects", []) or []):
                visit(sub, index, depth + 1)

        for mob in list(scene.mobjects):
            if mob is frame:
                continue
            visit(mob, -1, 0)
        bg = scene.camera.background_rgba
        header = {"class": type(scene).__name__,
                  "background": [round(255 * min(max(float(v), 0.0), 1.0)) for v in bg],
                  "wait": wait_index, "time": float(getattr(scene, "time", 0.0)),
                  "plays": int(getattr(scene, "num_plays", 0)), "uids": uids, **info}
        return self.wire.encode_snapshot(header, members, arrays)

    def describe(self, mob: Any, parent: int, add: Any, center: np.ndarray,
                 scale: float) -> dict[str, Any]:
        cls = type(mob)
        mro = [c.__name__ for c in cls.__mro__][:64]
        rec: dict[str, Any] = {"parent": parent, "cls": cls.__name__, "mro": mro,
                               "z": float(getattr(mob, "z_index", 0) or 0)}
        try:
            raw = np.asarray(mob.get_points(), dtype=float)
        except Exception:
            raw = np.zeros((0, 3))
        if raw.ndim != 2 or (raw.size and raw.shape[1] != 3) or not np.isfinite(raw).all():
            raw = np.zeros((0, 3))
        is_vm = isinstance(mob, self.VMobject)
        pts = cubic_points(raw) if is_vm else raw
        if len(pts):
            pts = pts.copy()
            pts[:, :2] = (pts[:, :2] - center[:2]) * scale
            pts[:, 2] = pts[:, 2] * scale
        rec["points"] = add(pts)
        for attr, key in (("tex_string", "tex_string"), ("string", "tex_string"),
                          ("text", "text")):
            value = getattr(mob, attr, None)
            if isinstance(value, str) and key not in rec:
                if attr == "string" and "MarkupText" in mro:
                    key = "text"
                rec[key] = value[:10_000]
        if "DecimalNumber" in mro and hasattr(mob, "number"):
            try:
                rec["number"] = float(np.real(mob.number))
            except (TypeError, ValueError):
                pass
        if is_vm and len(pts):
            data = mob.data
            rec["draw"] = self.wire.DRAW_VECTOR
            rec["fill"] = add(np.clip(_fill(mob), 0, 1))
            rec["stroke"] = add(np.clip(data["stroke_rgba"][:1], 0, 1))
            rec["bg_stroke"] = add(np.zeros((1, 4)))
            width = float(data["stroke_width"][0, 0]) if len(data) else 0.0
            rec["stroke_width"] = max(0.0, min(width, 1e3))
            rec["bg_stroke_width"] = 0.0
            rec["joint"] = "AUTO"
            rec["cap"] = "ROUND"
        else:
            rec["draw"] = self.wire.DRAW_NONE
        return rec


def _fill(mob: Any) -> np.ndarray:
    """The first fill colour (1 × RGBA): per point in ManimGL 1.7, one uniform in master."""
    try:
        return np.asarray(mob.data["fill_rgba"][:1], dtype=float)
    except (KeyError, ValueError):
        return np.asarray(mob.uniforms["fill_rgba"], dtype=float).reshape(1, 4)
