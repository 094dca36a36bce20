from manim import *


class RightAngles(Scene):
    def construct(self):
        l1 = Line(ORIGIN, RIGHT * 2)
        l2 = Line(ORIGIN, UP * 2)
        ra = RightAngle(l1, l2, length=0.4)
        self.add(l1, l2, ra, Text("90 degrees", font_size=24).shift(DOWN + RIGHT))
