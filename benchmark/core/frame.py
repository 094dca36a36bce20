"""The frame: Manim's default camera frame in scene units, the one definition.

14.222… × 8 units (16:9), centred at the origin, y up.  Every module that needs
the frame size imports it from here; code that runs where the project cannot be
imported (the sandbox runtime, the ManimGL driver) states the same numbers and a
test checks they agree.
"""

from __future__ import annotations

import math

from benchmark.core.geometry import Box

__all__ = ["FRAME", "FRAME_AREA", "FRAME_DIAGONAL", "FRAME_HALF_HEIGHT", "FRAME_HALF_WIDTH",
           "FRAME_HEIGHT", "FRAME_WIDTH"]

FRAME_HEIGHT = 8.0
FRAME_WIDTH = 8.0 * 16 / 9  # 14.222…
FRAME_HALF_WIDTH = FRAME_WIDTH / 2  # 7.111…
FRAME_HALF_HEIGHT = FRAME_HEIGHT / 2
FRAME_AREA = 4 * FRAME_HALF_WIDTH * FRAME_HALF_HEIGHT
FRAME_DIAGONAL = 2 * math.hypot(FRAME_HALF_WIDTH, FRAME_HALF_HEIGHT)
FRAME = Box(-FRAME_HALF_WIDTH, -FRAME_HALF_HEIGHT, FRAME_HALF_WIDTH, FRAME_HALF_HEIGHT)
