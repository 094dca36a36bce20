"""Ink: the painted geometry of a group of members, compared shape against shape.

Content verification asks whether what an object drew is what typesetting its
claimed string draws.  Both sides are reduced to *ink*: the outlines of the
members that carry visible paint (filled where filled, a thin line where only
stroked), whatever their colour.  Each side is normalised to its own bounding
box and rasterised onto the same small grid, so colour, uniform scale, font
size and position do not matter, while a different string, a stretch in one
direction or missing glyphs do.  Rotations by a multiple of 90° are tried too.

Pure geometry on validated snapshot members; no manim, one small Cairo surface.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import cairo
import numpy as np

from benchmark.snapshot import Member

__all__ = ["ASPECT_TOLERANCE", "IOU_THRESHOLD", "Ink", "InkMatch", "compare_ink", "ink_of",
           "painted", "raster", "subpaths"]

PAINT_ALPHA = 0.05  # fill or stroke alpha below this is no paint
ASPECT_TOLERANCE = 0.12  # |log(aspect ratio)| difference allowed: a uniform scale keeps it
IOU_THRESHOLD = 0.75  # ink IoU on the normalised grid
GRID_SHORT_SIDE = 32  # pixels on the box's shorter side
GRID_MAX_SIDE = 2048
# A block of small glyphs (a four-line paragraph) thins to nothing on 32 pixels: the
# grid doubles until the typeset ink covers this share of it, up to GRID_MAX_SHORT.
MIN_INK_SHARE = 0.03
GRID_MAX_SHORT = 256
STROKE_PX = 1.5


@dataclass(frozen=True)
class Ink:
    """Painted outlines: (points, filled) per member, points (n, 3) cubic Bézier."""

    parts: tuple[tuple[np.ndarray, bool], ...]

    @property
    def empty(self) -> bool:
        return not self.parts

    def box(self) -> tuple[float, float, float, float]:
        allp = np.concatenate([p for p, _ in self.parts])
        return (float(allp[:, 0].min()), float(allp[:, 1].min()),
                float(allp[:, 0].max()), float(allp[:, 1].max()))

    def to_arrays(self) -> dict[str, np.ndarray]:
        if self.empty:
            return {"points": np.zeros((0, 3)), "ends": np.zeros(0, np.int64),
                    "filled": np.zeros(0, bool)}
        return {"points": np.concatenate([p for p, _ in self.parts]),
                "ends": np.cumsum([len(p) for p, _ in self.parts]),
                "filled": np.array([f for _, f in self.parts], dtype=bool)}

    @classmethod
    def from_arrays(cls, points: np.ndarray, ends: np.ndarray, filled: np.ndarray) -> Ink:
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else []
        return cls(tuple((np.asarray(points[s:e], dtype=np.float64), bool(f))
                         for s, e, f in zip(starts, ends, filled, strict=True)))


def _alpha(rgbas: np.ndarray | None) -> float:
    return 0.0 if rgbas is None or not len(rgbas) else float(rgbas[:, 3].max())


def painted(m: Member) -> str | None:
    """``"fill"``, ``"stroke"`` or ``None``: how a vector member shows its outline."""
    if len(m.points) < 4 or m.draw != "V":
        return None
    if _alpha(m.fill) > PAINT_ALPHA:
        return "fill"
    if _alpha(m.stroke) > PAINT_ALPHA and m.stroke_width > 0:
        return "stroke"
    return None


def ink_of(members: Iterable[Member]) -> Ink:
    """The painted outlines of ``members`` (vector members with at least one curve)."""
    parts = []
    for m in members:
        how = painted(m)
        if how is not None:
            parts.append((m.points, how == "fill"))
    return Ink(tuple(parts))


def subpaths(points: np.ndarray, tol: float = 1e-6) -> list[np.ndarray]:
    """Split a member's points into subpaths of whole cubic curves (manim's rule)."""
    n = len(points) // 4 * 4
    if n == 0:
        return []
    curves = points[:n].reshape(-1, 4, 3)
    breaks = np.flatnonzero(np.abs(curves[1:, 0] - curves[:-1, 3]).max(axis=1) > tol) + 1
    return [c for c in np.split(curves, breaks) if len(c)]


def _draw(ctx: cairo.Context, ink: Ink, box: tuple[float, float, float, float],
          size: tuple[int, int], turns: int) -> None:
    """Draw ``ink`` with its box mapped onto the grid, after ``turns`` quarter turns."""
    w, h = size
    x0, y0, x1, y1 = box
    bw, bh = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    for points, filled in ink.parts:
        for sub in subpaths(points):
            u = (sub[..., 0] - x0) / bw  # in [0, 1], y up
            v = (sub[..., 1] - y0) / bh
            for _ in range(turns % 4):  # a quarter turn counter-clockwise in the unit square
                u, v = 1.0 - v, u
            px, py = u * w, (1.0 - v) * h
            ctx.move_to(px[0, 0], py[0, 0])
            for c in range(len(sub)):
                ctx.curve_to(px[c, 1], py[c, 1], px[c, 2], py[c, 2], px[c, 3], py[c, 3])
            if filled:
                ctx.close_path()
        if filled:
            ctx.fill()
        else:
            ctx.set_line_width(STROKE_PX)
            ctx.stroke()


def raster(ink: Ink, box: tuple[float, float, float, float], size: tuple[int, int],
            turns: int) -> np.ndarray:
    w, h = size
    surface = cairo.ImageSurface(cairo.FORMAT_A8, w, h)
    ctx = cairo.Context(surface)
    ctx.set_fill_rule(cairo.FILL_RULE_EVEN_ODD)
    _draw(ctx, ink, box, size, turns)
    surface.flush()
    stride = surface.get_stride()
    data = np.frombuffer(surface.get_data(), dtype=np.uint8).reshape(h, stride)[:, :w]
    return data > 127


def _grid(aspect: float, short: int = GRID_SHORT_SIDE) -> tuple[int, int]:
    stretch = max(aspect, 1 / aspect)
    long = min(GRID_MAX_SIDE, max(short, round(short * stretch)))
    return (long, short) if aspect >= 1 else (short, long)


@dataclass(frozen=True)
class InkMatch:
    ok: bool
    iou: float
    reason: str


def _aspect(box: tuple[float, float, float, float], floor: float) -> float:
    return max(box[2] - box[0], floor) / max(box[3] - box[1], floor)


def compare_ink(drawn: Ink, reference: Ink, *, threshold: float = IOU_THRESHOLD,
                stretch: bool = False) -> InkMatch:
    """Whether ``drawn`` is ``reference`` up to position, uniform scale and quarter turns.

    ``stretch`` also allows a non-uniform scale (a matrix stretches its
    brackets to its height), upright only.
    """
    if reference.empty:
        return InkMatch(False, 0.0, "the claimed string draws nothing")
    if drawn.empty:
        return InkMatch(False, 0.0, "no painted glyphs")
    rbox, dbox = reference.box(), drawn.box()
    floor = 1e-3 * max(rbox[2] - rbox[0], rbox[3] - rbox[1], 1e-9)
    ra = _aspect(rbox, floor)
    dfloor = 1e-3 * max(dbox[2] - dbox[0], dbox[3] - dbox[1], 1e-9)
    da = _aspect(dbox, dfloor)
    short = GRID_SHORT_SIDE
    size = _grid(ra, short)
    ref_px = raster(reference, rbox, size, 0)
    while ref_px.mean() < MIN_INK_SHARE and short < GRID_MAX_SHORT:
        short *= 2
        size = _grid(ra, short)
        ref_px = raster(reference, rbox, size, 0)
    best = InkMatch(False, 0.0, f"aspect ratio {da:.3g}, typeset {ra:.3g} (stretched)")
    for turns in range(1 if stretch else 4):
        a = da if turns % 2 == 0 else 1.0 / da
        if not stretch and abs(math.log(a / ra)) > ASPECT_TOLERANCE:
            continue
        got = raster(drawn, dbox, size, turns)
        union = np.logical_or(got, ref_px).sum()
        iou = float(np.logical_and(got, ref_px).sum() / union) if union else 0.0
        if iou > best.iou:
            ok = iou >= threshold
            best = InkMatch(ok, iou, f"ink IoU {iou:.2f}" + ("" if ok else
                            f" < {threshold:.2f} against the typeset string"))
    return best
