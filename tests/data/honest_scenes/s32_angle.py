from manim import *


class Angles(Scene):
    def construct(self):
        l1 = Line(ORIGIN, RIGHT * 3)
        l2 = Line(ORIGIN, UP * 2 + RIGHT * 2)
        a = Angle(l1, l2, radius=0.8)
        th = MathTex(r"\theta").next_to(a, RIGHT, buff=0.1).shift(UP * 0.2)
        self.add(l1, l2, a, th)
