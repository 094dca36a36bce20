"""Trusted measurement: semantic objects, boxes, the drawn frame, visibility."""

from benchmark.measure.objects import KINDS, SemanticObject, classify, semantic_objects
from benchmark.measure.raster import Rasteriser, RasterResult

__all__ = ["KINDS", "RasterResult", "Rasteriser",
           "SemanticObject", "classify", "semantic_objects"]
