"""Where a composed object goes, and the statements that put a built mobject there.

``Placement`` is a layout's answer for one object (a centre, optionally a size);
``place_code`` scales a free object into it, ``stretch_code`` stretches one whose
shape follows others (a graph, a brace) onto it, and ``arrow_in_box`` draws an
arrow through it.  :mod:`benchmark.compose` writes whole scenes with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.core.tasks import Box

__all__ = ["ARROW_TIP_WIDTH", "Placement", "arrow_in_box", "place_code", "stretch_code"]


@dataclass(frozen=True)
class Placement:
    """Where a free object goes: its centre, and optionally the size to scale it to."""

    cx: float
    cy: float
    width: float | None = None
    height: float | None = None

    @classmethod
    def of_box(cls, box: Box, scale: bool = True) -> Placement:
        if not scale:
            return cls(*box.center)
        return cls(box.center[0], box.center[1], box.width, box.height)



def place_code(name: str, pl: Placement) -> list[str]:
    """Statements that scale ``name`` into the placement's size (if any) and centre it."""
    parts = []
    if pl.width is not None and pl.height is not None:
        w, h = max(pl.width, 0.0), max(pl.height, 0.0)
        if w > 1e-3 and h > 1e-3:
            parts.append(f"{name}.scale(min({w:.4f} / max({name}.width, 1e-6), "
                         f"{h:.4f} / max({name}.height, 1e-6)))")
        elif w > 1e-3:
            parts.append(f"{name}.scale_to_fit_width({w:.4f})")
        elif h > 1e-3:
            parts.append(f"{name}.scale_to_fit_height({h:.4f})")
    parts.append(f"{name}.move_to([{pl.cx:.4f}, {pl.cy:.4f}, 0])")
    return parts


def stretch_code(name: str, pl: Placement) -> list[str]:
    """Statements that stretch ``name`` onto the placement's box (each side that both the
    mobject and the box have) and centre it: for objects whose shape follows others."""
    parts = []
    for side, size in (("width", pl.width), ("height", pl.height)):
        if size is not None and size > 1e-3:
            parts.append(f"if {name}.{side} > 1e-3:")
            parts.append(f"    {name}.stretch_to_fit_{side}({size:.4f})")
    parts.append(f"{name}.move_to([{pl.cx:.4f}, {pl.cy:.4f}, 0])")
    return parts


ARROW_TIP_WIDTH = 0.35  # a box no wider than an arrow's tip holds an upright arrow


def arrow_in_box(pl: Placement, a: Box | None, b: Box | None, colour: str = "") -> str:
    """An ``Arrow`` (``colour``: its ``, color=…`` argument) drawn through the placement's
    box, pointing
    from anchor ``a`` towards anchor ``b``: along its long side when the box is no wider
    than a tip (the tip then as wide as the box), else corner to corner.  Built in
    place, not stretched, so its tip keeps its shape."""
    w, h = pl.width or 0.0, pl.height or 0.0
    dx, dy = (b.center[0] - a.center[0], b.center[1] - a.center[1]) if a and b else (1, 0)
    sx, sy = (1.0 if dx >= 0 else -1.0), (1.0 if dy >= 0 else -1.0)
    tip = ""
    if w <= ARROW_TIP_WIDTH and h > w:
        half, tip = (0.0, sy * h / 2), f", tip_length={max(w, 0.05):.4f}"
    elif h <= ARROW_TIP_WIDTH:
        half, tip = (sx * w / 2, 0.0), f", tip_length={max(h, 0.05):.4f}"
    else:
        half = (sx * w / 2, sy * h / 2)
    start = f"[{pl.cx - half[0]:.4f}, {pl.cy - half[1]:.4f}, 0]"
    end = f"[{pl.cx + half[0]:.4f}, {pl.cy + half[1]:.4f}, 0]"
    return f"Arrow({start}, {end}, buff=0{tip}{colour})"
