from manim import *


class Curved(Scene):
    def construct(self):
        a = Dot(LEFT * 3)
        b = Dot(RIGHT * 3)
        ca = CurvedArrow(a.get_center(), b.get_center(), angle=-PI / 3)
        self.add(a, b, ca, Text("swap", font_size=28).shift(UP * 1.5))
