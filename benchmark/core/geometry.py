"""Boxes and IoU: the one definition of an axis-aligned box and of every overlap measure.

Boxes are in scene units (see :mod:`benchmark.core.frame`).  Two IoU variants
exist, each with one home here:

* :meth:`Box.iou` — the plain intersection over union;
* :func:`padded_iou` — the IoU every layout metric uses.  Boxes come from
  points, so a horizontal line or a dot has (almost) zero height or width and a
  plain IoU would be 0 or undefined for it.  Both boxes are therefore *padded*
  about their centre to at least ``MIN_EXTENT`` units in each dimension: a line
  shifted by 0.02 units still overlaps its reference, one shifted by a whole
  unit does not.  Boxes already larger than ``MIN_EXTENT`` are unchanged, so for
  ordinary objects the padded IoU is the plain IoU.

:func:`mean_padded_iou` is the benchmark's per-scene ``miou`` over objects whose
identity is known (training's validation reports it, so its number and the
benchmark's are the same quantity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["MIN_EXTENT", "Box", "mean_padded_iou", "padded", "padded_iou"]

#: smallest extent (units) a box is padded to before an IoU
MIN_EXTENT = 0.1


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in scene units."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin

    @property
    def center(self) -> tuple[float, float]:
        return ((self.xmin + self.xmax) / 2, (self.ymin + self.ymax) / 2)

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def intersection(self, other: Box) -> float:
        w = min(self.xmax, other.xmax) - max(self.xmin, other.xmin)
        h = min(self.ymax, other.ymax) - max(self.ymin, other.ymin)
        return max(0.0, w) * max(0.0, h)

    def iou(self, other: Box) -> float:
        """Intersection over union; degenerate (zero-area) boxes compare by equality."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        if union <= 1e-12:
            return 1.0 if self.as_list() == other.as_list() else 0.0
        return inter / union

    def translated(self, dx: float, dy: float) -> Box:
        return Box(self.xmin + dx, self.ymin + dy, self.xmax + dx, self.ymax + dy)

    @classmethod
    def from_center(cls, cx: float, cy: float, w: float, h: float) -> Box:
        return cls(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    def as_list(self) -> list[float]:
        return [self.xmin, self.ymin, self.xmax, self.ymax]

    def rounded(self, ndigits: int = 4) -> Box:
        return Box(*(round(v, ndigits) + 0.0 for v in self.as_list()))


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


def mean_padded_iou(pred: Mapping[str, Box], ref: Mapping[str, Box]) -> float:
    """Mean padded IoU over ``ref``'s objects; one missing from ``pred`` scores 0."""
    if not ref:
        return 0.0
    return sum(padded_iou(pred[k], b) if k in pred else 0.0 for k, b in ref.items()) / len(ref)
