"""Box geometry the scorers share: padded IoU, relations, the frame.

Boxes come from points, so a horizontal line or a dot has (almost) zero
height or width and a plain IoU would be 0 or undefined for it.  Every layout
IoU here is therefore taken on boxes *padded* about their centre to at least
``MIN_EXTENT`` units in each dimension: a line shifted by 0.02 units still
overlaps its reference, one shifted by a whole unit does not.  Boxes that are
already larger than ``MIN_EXTENT`` are unchanged, so for ordinary objects the
padded IoU is the plain IoU.
"""

from __future__ import annotations

import math

from benchmark.tasks import Box

__all__ = ["FRAME", "FRAME_AREA", "FRAME_DIAGONAL", "FRAME_HALF_HEIGHT", "FRAME_HALF_WIDTH",
           "MIN_EXTENT", "NEXT_TO_GAP", "REL_TOLERANCE", "box_gap", "centre_distance",
           "contains", "outside_frame", "padded", "padded_iou", "relation_holds"]

FRAME_HALF_WIDTH = 8.0 * 16 / 9 / 2  # 7.111…: manim's default frame, 14.222… × 8 units
FRAME_HALF_HEIGHT = 4.0
FRAME_AREA = 4 * FRAME_HALF_WIDTH * FRAME_HALF_HEIGHT
FRAME_DIAGONAL = 2 * math.hypot(FRAME_HALF_WIDTH, FRAME_HALF_HEIGHT)
FRAME = Box(-FRAME_HALF_WIDTH, -FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH, FRAME_HALF_HEIGHT)

#: smallest extent (units) a box is padded to before an IoU
MIN_EXTENT = 0.1
#: tolerance band (units) for orders and explicit relations
REL_TOLERANCE = 0.25
#: largest gap (units) between two boxes that are "next to" each other
NEXT_TO_GAP = 0.5
#: how far (units) a box may stick out of the frame before it counts as off-frame
OFF_FRAME_SLACK = 1e-3


def padded(box: Box, min_extent: float = MIN_EXTENT) -> Box:
    """``box`` grown symmetrically so each side is at least ``min_extent`` long."""
    w, h = box.width, box.height
    if w >= min_extent and h >= min_extent:
        return box
    cx, cy = box.center
    return Box.from_center(cx, cy, max(w, min_extent), max(h, min_extent))


def padded_iou(a: Box, b: Box, min_extent: float = MIN_EXTENT) -> float:
    """IoU of the padded boxes: symmetric, in [0, 1], 1 for identical boxes."""
    return padded(a, min_extent).iou(padded(b, min_extent))


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
