"""Trusted decoding and validation of Snapshot payloads (format versions 1 and 2).

A Snapshot is what the sandboxed child says its scene graph looked like at one
keyframe (wire format: :mod:`benchmark.sandbox.runtime.wire`).  It is untrusted
input: every count and size is bounded, every number must be finite, every
reference must point backwards, before any of it reaches measurement or
drawing.  Decoding never executes or unpickles anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from benchmark.sandbox.runtime import wire

__all__ = ["Member", "Snapshot", "SnapshotError", "SnapshotLimits", "decode_snapshot"]

JOINTS = frozenset({"AUTO", "ROUND", "BEVEL", "MITER"})
CAPS = frozenset({"AUTO", "ROUND", "BUTT", "SQUARE"})
DRAWS = frozenset({wire.DRAW_VECTOR, wire.DRAW_IMAGE, wire.DRAW_POINTS, wire.DRAW_NONE})


class SnapshotError(ValueError):
    """The snapshot is malformed or exceeds a bound; the message says which."""


@dataclass(frozen=True)
class SnapshotLimits:
    max_header_bytes: int = 16 << 20
    max_members: int = 20_000
    max_points: int = 4_000_000  # over all members
    max_colours: int = 256  # rows of one rgba array, or one per point where there are more
    max_settings: int = 32  # keys of one member's typesetting settings
    max_image_pixels: int = 4096 * 4096
    max_string: int = 10_000
    max_mro: int = 64
    max_abs_coord: float = 1e6
    max_stroke_width: float = 1e4


@dataclass(frozen=True, eq=False)
class Member:
    """One mobject of the scene's family tree, as the child described it."""

    index: int
    parent: int  # -1 for a mobject added to the scene directly
    cls: str
    mro_names: tuple[str, ...]
    draw: str  # wire.DRAW_*
    points: np.ndarray  # (n, 3) float64
    z: float = 0.0
    tex: str | None = None
    text: str | None = None
    number: float | None = None
    fill: np.ndarray | None = None  # (k, 4) rgba in [0, 1]
    stroke: np.ndarray | None = None
    bg_stroke: np.ndarray | None = None
    stroke_width: float = 0.0
    bg_stroke_width: float = 0.0
    joint: str = "AUTO"
    cap: str = "BUTT"
    sheen: float = 0.0
    gradient: np.ndarray | None = None  # (2, 3) start and end of a colour gradient
    pixels: np.ndarray | None = None  # (h, w, 4) uint8 for images
    resampling: int = 3
    rgbas: np.ndarray | None = None  # (n, 4) for point clouds
    settings: dict[str, object] | None = None  # how its string was typeset (a claim)


@dataclass(frozen=True, eq=False)
class Snapshot:
    version: int
    scene_class: str
    background: tuple[int, int, int, int]
    members: tuple[Member, ...]

    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.members]
        for m in self.members:
            if m.parent >= 0:
                kids[m.parent].append(m.index)
        return kids

    def roots(self) -> list[int]:
        return [m.index for m in self.members if m.parent < 0]


def _fail(msg: str) -> SnapshotError:
    return SnapshotError(msg)


def _arrays(specs: object, data: memoryview, lim: SnapshotLimits) -> list[np.ndarray]:
    if not isinstance(specs, list) or len(specs) > lim.max_members * 8:
        raise _fail("array table is not a bounded list")
    out: list[np.ndarray] = []
    pos = 0
    for i, spec in enumerate(specs):
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in wire.ARRAY_DTYPES
                and isinstance(spec[1], list) and 1 <= len(spec[1]) <= 3
                and all(isinstance(d, int) and 0 <= d <= 1 << 24 for d in spec[1])):
            raise _fail(f"array {i}: bad dtype or shape")
        dtype = np.dtype(spec[0])
        count = math.prod(spec[1])
        nbytes = count * dtype.itemsize
        if pos + nbytes > len(data):
            raise _fail(f"array {i}: data runs past the end of the snapshot")
        arr = np.frombuffer(data[pos : pos + nbytes], dtype=dtype).reshape(spec[1])
        if dtype.kind == "f" and not np.isfinite(arr).all():
            raise _fail(f"array {i}: non-finite numbers")
        out.append(arr)
        pos += nbytes
    if pos != len(data):
        raise _fail(f"{len(data) - pos} stray bytes after the arrays")
    return out


def _num(rec: dict, key: str, default: float, lo: float, hi: float, where: str) -> float:
    value = rec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{where}: {key} is not a number")
    value = float(value)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise _fail(f"{where}: {key}={value!r} out of range")
    return value


def _str(rec: dict, key: str, lim: SnapshotLimits, where: str) -> str | None:
    value = rec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > lim.max_string:
        raise _fail(f"{where}: {key} is not a bounded string")
    return value


def _array(rec: dict, key: str, arrays: list[np.ndarray], shape: tuple[int | None, ...],
           where: str, dtype: str = "f") -> np.ndarray | None:
    ref = rec.get(key)
    if ref is None:
        return None
    if not isinstance(ref, int) or isinstance(ref, bool) or not 0 <= ref < len(arrays):
        raise _fail(f"{where}: {key} refers to a missing array")
    arr = arrays[ref]
    if arr.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, arr.shape,
                                                                            strict=True)):
        raise _fail(f"{where}: {key} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind != dtype:
        raise _fail(f"{where}: {key} has dtype {arr.dtype}")
    return arr


def _colours(rec: dict, key: str, arrays: list[np.ndarray], lim: SnapshotLimits,
             where: str, n_points: int) -> np.ndarray | None:
    arr = _array(rec, key, arrays, (None, 4), where)
    if arr is None:
        return None
    # manim keeps one colour per point for a gradient along a long path
    if not 1 <= len(arr) <= max(lim.max_colours, n_points + 1):
        raise _fail(f"{where}: {key} has {len(arr)} colour rows")
    if arr.min() < 0 or arr.max() > 1:
        raise _fail(f"{where}: {key} has colour values outside [0, 1]")
    return arr.astype(np.float64)


def _settings(rec: dict, lim: SnapshotLimits, where: str) -> dict[str, object] | None:
    """Flat typesetting settings: strings, numbers, booleans, string lists and maps."""
    value = rec.get("settings")
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > lim.max_settings:
        raise _fail(f"{where}: settings is not a small object")

    def ok(v: object, nested: bool = True) -> bool:
        if isinstance(v, bool | int | float):
            return not isinstance(v, float) or math.isfinite(v)
        if isinstance(v, str):
            return len(v) <= lim.max_string
        if not nested:
            return False
        if isinstance(v, list):
            return len(v) <= 200 and all(ok(x, False) for x in v)
        if isinstance(v, dict):
            return len(v) <= 50 and all(ok(x, False) for x in v.values())
        return False

    if not all(isinstance(k, str) and len(k) <= 64 and ok(v) for k, v in value.items()):
        raise _fail(f"{where}: bad settings")
    return value


def _member(i: int, rec: object, arrays: list[np.ndarray], lim: SnapshotLimits) -> Member:
    where = f"member {i}"
    if not isinstance(rec, dict):
        raise _fail(f"{where}: not an object")
    parent = rec.get("parent")
    if not isinstance(parent, int) or isinstance(parent, bool) or not -1 <= parent < i:
        raise _fail(f"{where}: parent must be -1 or an earlier member")
    cls = _str(rec, "cls", lim, where)
    if not cls or len(cls) > 200:
        raise _fail(f"{where}: missing class name")
    mro = rec.get("mro")
    if not (isinstance(mro, list) and 1 <= len(mro) <= lim.max_mro
            and all(isinstance(n, str) and 0 < len(n) <= 200 for n in mro)):
        raise _fail(f"{where}: bad mro")
    draw = rec.get("draw")
    if draw not in DRAWS:
        raise _fail(f"{where}: unknown draw type {draw!r}")
    points = _array(rec, "points", arrays, (None, 3), where)
    if points is None:
        raise _fail(f"{where}: no points array")
    if points.size and np.abs(points).max() > lim.max_abs_coord:
        raise _fail(f"{where}: coordinates beyond {lim.max_abs_coord:g}")
    joint = rec.get("joint", "AUTO")
    cap = rec.get("cap", "BUTT")
    if joint not in JOINTS or cap not in CAPS:
        raise _fail(f"{where}: bad joint or cap style")
    number = rec.get("number")
    if number is not None:
        number = _num(rec, "number", 0.0, -1e300, 1e300, where)
    pixels = _array(rec, "pixels", arrays, (None, None, 4), where, dtype="u")
    if pixels is not None and pixels.shape[0] * pixels.shape[1] > lim.max_image_pixels:
        raise _fail(f"{where}: image too large")
    gradient = _array(rec, "gradient", arrays, (2, 3), where)
    rgbas = _array(rec, "rgbas", arrays, (None, 4), where)
    if rgbas is not None and (rgbas.min(initial=0) < 0 or rgbas.max(initial=0) > 1):
        raise _fail(f"{where}: rgbas outside [0, 1]")
    resampling = rec.get("resampling", 3)
    if not isinstance(resampling, int) or not 0 <= resampling <= 5:
        raise _fail(f"{where}: bad resampling")
    return Member(
        index=i, parent=parent, cls=cls, mro_names=tuple(mro), draw=draw,
        points=points.astype(np.float64),
        z=_num(rec, "z", 0.0, -1e9, 1e9, where),
        tex=_str(rec, "tex_string", lim, where),
        text=_str(rec, "original_text", lim, where) or _str(rec, "text", lim, where),
        number=number,
        fill=_colours(rec, "fill", arrays, lim, where, len(points)),
        stroke=_colours(rec, "stroke", arrays, lim, where, len(points)),
        bg_stroke=_colours(rec, "bg_stroke", arrays, lim, where, len(points)),
        stroke_width=_num(rec, "stroke_width", 0.0, 0.0, lim.max_stroke_width, where),
        bg_stroke_width=_num(rec, "bg_stroke_width", 0.0, 0.0, lim.max_stroke_width, where),
        joint=joint, cap=cap,
        sheen=_num(rec, "sheen", 0.0, -1e3, 1e3, where),
        gradient=None if gradient is None else gradient.astype(np.float64),
        pixels=pixels, resampling=resampling,
        rgbas=None if rgbas is None else rgbas.astype(np.float64),
        settings=_settings(rec, lim, where),
    )


def decode_snapshot(payload: bytes, limits: SnapshotLimits | None = None) -> Snapshot:
    """Validate and decode one snapshot payload; raise :class:`SnapshotError`."""
    lim = limits or SnapshotLimits()
    if len(payload) < wire.SNAPSHOT_HEAD.size:
        raise _fail("snapshot shorter than its header")
    version, hlen = wire.SNAPSHOT_HEAD.unpack_from(payload)
    if version not in wire.SNAPSHOT_VERSIONS_READ:
        raise _fail(f"snapshot version {version}, expected one of {wire.SNAPSHOT_VERSIONS_READ}")
    start = wire.SNAPSHOT_HEAD.size
    if hlen > lim.max_header_bytes or start + hlen > len(payload):
        raise _fail("snapshot header length out of bounds")
    try:
        header = json.loads(bytes(payload[start : start + hlen]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _fail(f"snapshot header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise _fail("snapshot header is not an object")
    arrays = _arrays(header.get("arrays"), memoryview(payload)[start + hlen :], lim)
    recs = header.get("members")
    if not isinstance(recs, list) or len(recs) > lim.max_members:
        raise _fail(f"members must be a list of at most {lim.max_members}")
    members = tuple(_member(i, rec, arrays, lim) for i, rec in enumerate(recs))
    if sum(len(m.points) for m in members) > lim.max_points:
        raise _fail(f"more than {lim.max_points} points")
    scene = header.get("scene")
    if not isinstance(scene, dict):
        raise _fail("missing scene record")
    scene_class = scene.get("class")
    if not isinstance(scene_class, str) or len(scene_class) > 200:
        scene_class = "?"
    bg = scene.get("background", [0, 0, 0, 255])
    if not (isinstance(bg, list) and len(bg) == 4
            and all(isinstance(v, int) and 0 <= v <= 255 for v in bg)):
        raise _fail("bad background colour")
    return Snapshot(version=version, scene_class=scene_class,
                    background=(bg[0], bg[1], bg[2], bg[3]), members=members)
