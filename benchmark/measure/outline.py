"""Outline geometry the kind signatures share: curves, samples, conics, corners, tips.

Tolerances are relative to the object's size.
"""

from __future__ import annotations

import numpy as np

from benchmark.measure.ink import subpaths
from benchmark.snapshot import Member

_CONIC_TOL = 0.02  # distance to the fitted conic, in units of the points' rms radius
_STRAIGHT_TOL = 0.01  # control points' distance from the chord, relative to its length
_ANGLE_TOL_DEG = 4.0


def _curves(m: Member) -> np.ndarray:
    n = len(m.points) // 4 * 4
    return m.points[:n].reshape(-1, 4, 3)[..., :2]


def _samples(curves: np.ndarray) -> np.ndarray:
    """Points on the curves (t = 0, 1/4, 1/2, 3/4), without the handles."""
    ts = np.array([0.0, 0.25, 0.5, 0.75])[:, None, None]
    p0, p1, p2, p3 = (curves[None, :, i] for i in range(4))
    pts = ((1 - ts) ** 3 * p0 + 3 * (1 - ts) ** 2 * ts * p1 + 3 * (1 - ts) * ts ** 2 * p2
           + ts ** 3 * p3)  # (t, curve, xy)
    return np.concatenate([pts.transpose(1, 0, 2).reshape(-1, 2), curves[-1:, 3]])


def _straight(curve: np.ndarray) -> bool:
    a, d = curve[0], curve[3]
    chord = d - a
    length = float(np.hypot(*chord))
    if length < 1e-9:
        return bool(np.abs(curve - a).max() < 1e-6)
    normal = np.array([-chord[1], chord[0]]) / length
    return bool(np.abs((curve[1:3] - a) @ normal).max() <= _STRAIGHT_TOL * length)


def _conic_distance(pts: np.ndarray) -> float:
    """Largest distance of ``pts`` from their best-fitting conic (normalised units)."""
    pts = np.unique(np.round(pts, 9), axis=0)
    if len(pts) < 6:
        return 0.0 if len(pts) >= 3 else float("inf")
    c = pts.mean(axis=0)
    scale = float(np.sqrt(((pts - c) ** 2).sum(axis=1).mean())) or 1.0
    x, y = ((pts - c) / scale).T
    design = np.stack([x * x, x * y, y * y, x, y, np.ones_like(x)], axis=1)
    a, b, cc, d, e, f = np.linalg.svd(design)[2][-1]
    value = design @ np.array([a, b, cc, d, e, f])
    grad = np.hypot(2 * a * x + b * y + d, b * x + 2 * cc * y + e)
    return float(np.max(np.abs(value) / np.maximum(grad, 1e-9)))


def _on_conic(pts: np.ndarray) -> bool:
    return _conic_distance(pts) <= _CONIC_TOL


def _corners(m: Member, sub: np.ndarray | None = None) -> list[np.ndarray] | None:
    """The corners of a closed path made only of straight segments, else ``None``.

    ``sub``: one subpath of ``m`` (default: ``m`` must be a single subpath).
    """
    if sub is None:
        subs = subpaths(m.points)
        if len(subs) != 1:
            return None
        sub = subs[0]
    curves = sub[..., :2]
    if not all(_straight(c) for c in curves) or \
            np.abs(curves[0, 0] - curves[-1, 3]).max() > 1e-6 * (1 + np.abs(curves).max()):
        return None
    dirs = [c[3] - c[0] for c in curves if np.hypot(*(c[3] - c[0])) > 1e-9]
    corners = []
    for i, d in enumerate(dirs):
        prev = dirs[i - 1]
        cos = float(d @ prev / (np.hypot(*d) * np.hypot(*prev)))
        if cos < np.cos(np.radians(_ANGLE_TOL_DEG)):
            corners.append(i)
    starts = [c[0] for c in curves if np.hypot(*(c[3] - c[0])) > 1e-9]
    return [starts[i] for i in corners]


def _angles_right(corners: list[np.ndarray]) -> bool:
    n = len(corners)
    for i in range(n):
        u, v = corners[i - 1] - corners[i], corners[(i + 1) % n] - corners[i]
        cos = abs(float(u @ v / (np.hypot(*u) * np.hypot(*v))))
        if cos > np.sin(np.radians(_ANGLE_TOL_DEG)):
            return False
    return True


def _sides(corners: list[np.ndarray]) -> list[float]:
    return [float(np.hypot(*(corners[i] - corners[i - 1]))) for i in range(len(corners))]


# -- signatures --------------------------------------------------------------------------

def _collinear(points: np.ndarray) -> bool:
    pts = points[:, :2] - points[:, :2].mean(axis=0)
    if len(pts) < 2:
        return False
    s = np.linalg.svd(pts, compute_uv=False)
    return bool(s[0] > 0 and (len(s) < 2 or s[1] <= 1e-3 * s[0]))


def _is_tip(m: Member) -> bool:
    return "ArrowTip" in m.mro_names
