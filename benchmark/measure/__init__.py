"""Trusted measurement: semantic objects, boxes, the drawn frame, visibility."""

from benchmark.measure.objects import KINDS, SemanticObject, classify, semantic_objects
from benchmark.measure.raster import FRAME_HEIGHT, FRAME_WIDTH, Rasteriser, RasterResult

__all__ = ["FRAME_HEIGHT", "FRAME_WIDTH", "KINDS", "RasterResult", "Rasteriser",
           "SemanticObject", "classify", "semantic_objects"]
