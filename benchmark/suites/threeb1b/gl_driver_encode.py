"""The ManimGL driver's snapshot encoder: a scene's mobjects as one Snapshot.

Part of the ManimGL driver (:mod:`gl_driver`), so it runs in the ManimGL
environment and imports only the standard library and numpy; the sandbox
runtime's ``wire`` (the format) and ``walk`` (the scene-graph walk shared with the
sandbox capture, and the frame size) are handed in by the driver.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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
    """Snapshots of one scene run, every member with its scene-run number (uid)."""

    def __init__(self, manimlib: Any, wire: Any, walk: Any) -> None:
        self.wire = wire
        self.walk = walk
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
        height = self.walk.FRAME_HEIGHT
        scale = height / float(frame.get_height() or height)
        uids: list[int] = []

        def describe(mob: Any, parent: int, add: Any) -> dict[str, Any]:
            return self.describe(mob, parent, add, center, scale)

        members, arrays = self.walk.walk(
            [mob for mob in list(scene.mobjects) if mob is not frame], describe,
            lambda mob: uids.append(self.uid(mob)))
        bg = scene.camera.background_rgba
        header = {"class": type(scene).__name__,
                  "background": [round(255 * min(max(float(v), 0.0), 1.0)) for v in bg],
                  "wait": wait_index, "time": float(getattr(scene, "time", 0.0)),
                  "plays": int(getattr(scene, "num_plays", 0)), "uids": uids, **info}
        return self.wire.encode_snapshot(header, members, arrays)

    def describe(self, mob: Any, parent: int, add: Any, center: np.ndarray,
                 scale: float) -> dict[str, Any]:
        rec = self.walk.record(mob, parent, mro_limit=64)
        mro = rec["mro"]
        try:
            raw = np.asarray(mob.get_points(), dtype=float)
        except Exception:
            raw = np.zeros((0, 3))
        raw = self.walk.checked_points(raw, finite=True)
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
        self.walk.add_number(rec, mob, np.real)
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
