"""Box relations the scorers share: orders, alignment, gaps, the frame's edge.

The boxes and the IoU variants themselves live in :mod:`benchmark.core.geometry`,
the frame in :mod:`benchmark.core.frame`.
"""

from __future__ import annotations

import math

from benchmark.core.frame import FRAME
from benchmark.core.geometry import Box

__all__ = ["NEXT_TO_GAP", "OFF_FRAME_SLACK", "REL_TOLERANCE", "box_gap", "centre_distance",
           "contains", "outside_frame", "relation_holds"]

#: tolerance band (units) for orders and explicit relations
REL_TOLERANCE = 0.25
#: largest gap (units) between two boxes that are "next to" each other
NEXT_TO_GAP = 0.5
#: how far (units) a box may stick out of the frame before it counts as off-frame
OFF_FRAME_SLACK = 1e-3


def centre_distance(a: Box, b: Box) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(ax - bx, ay - by)


def box_gap(a: Box, b: Box) -> float:
    """Euclidean distance between two boxes (0 when they touch or overlap)."""
    dx = max(0.0, b.xmin - a.xmax, a.xmin - b.xmax)
    dy = max(0.0, b.ymin - a.ymax, a.ymin - b.ymax)
    return math.hypot(dx, dy)


def contains(outer: Box, inner: Box, tol: float = 0.0) -> bool:
    return (inner.xmin >= outer.xmin - tol and inner.ymin >= outer.ymin - tol
            and inner.xmax <= outer.xmax + tol and inner.ymax <= outer.ymax + tol)


def outside_frame(box: Box) -> bool:
    """Partly or wholly outside the frame (more than ``OFF_FRAME_SLACK`` past an edge)."""
    return not contains(FRAME, box, OFF_FRAME_SLACK)


def relation_holds(rel: str, a: Box, b: Box, tol: float = REL_TOLERANCE) -> bool:
    """Whether ``a rel b`` holds for two boxes (the definitions every suite should share).

    ``left_of``/``right_of``/``above``/``below``: ``a``'s centre lies more than
    ``tol`` to that side of ``b``'s, and neither of ``a``'s edges on that axis
    lags behind ``b``'s (so overlapping shapes such as Venn circles can be
    "to the right", but a box that sticks out on the far side is not).
    ``aligned_x``: one above the other with their left edges, centres or right
    edges within ``tol``; ``aligned_y``: side by side with bottoms, centres or
    tops within ``tol``.  ``inside``: ``a`` lies within ``b`` grown by ``tol``.
    ``next_to``: the gap between the boxes is at most ``NEXT_TO_GAP``.
    """
    (acx, acy), (bcx, bcy) = a.center, b.center
    if rel == "left_of":
        return acx <= bcx - tol and a.xmin <= b.xmin + tol and a.xmax <= b.xmax + tol
    if rel == "right_of":
        return acx >= bcx + tol and a.xmin >= b.xmin - tol and a.xmax >= b.xmax - tol
    if rel == "above":
        return acy >= bcy + tol and a.ymin >= b.ymin - tol and a.ymax >= b.ymax - tol
    if rel == "below":
        return acy <= bcy - tol and a.ymin <= b.ymin + tol and a.ymax <= b.ymax + tol
    if rel == "aligned_x":
        return min(abs(a.xmin - b.xmin), abs(acx - bcx), abs(a.xmax - b.xmax)) <= tol
    if rel == "aligned_y":
        return min(abs(a.ymin - b.ymin), abs(acy - bcy), abs(a.ymax - b.ymax)) <= tol
    if rel == "inside":
        return contains(b, a, tol)
    if rel == "next_to":
        return box_gap(a, b) <= NEXT_TO_GAP
    raise ValueError(f"unknown relation {rel!r}")
