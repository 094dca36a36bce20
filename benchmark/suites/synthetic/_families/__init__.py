"""The scene families of the synthetic suite, a few per module."""

from __future__ import annotations

from benchmark.suites.synthetic._families.algebra import MatrixVector, NumberLinePoints
from benchmark.suites.synthetic._families.diagrams import Flowchart, TwoPanelComparison
from benchmark.suites.synthetic._families.geometry import LabelledTriangle, ShapesRow, Venn
from benchmark.suites.synthetic._families.graphs import AxesPlotLabels, EquationOverGraph
from benchmark.suites.synthetic._families.text import (
    BraceAnnotation,
    EquationChain,
    TitleAndBullets,
)

__all__ = ["FAMILY_CLASSES"]

# Order matters: task i of a split belongs to family i mod len(FAMILY_CLASSES).
FAMILY_CLASSES = (EquationOverGraph, TitleAndBullets, AxesPlotLabels, LabelledTriangle,
                  EquationChain, MatrixVector, NumberLinePoints, TwoPanelComparison,
                  Flowchart, Venn, BraceAnnotation, ShapesRow)
