from manim import *


class Dashed(Scene):
    def construct(self):
        d = DashedLine(LEFT * 4, RIGHT * 4, color=GREY)
        tick = Line(UP * 0.2, DOWN * 0.2).shift(RIGHT * 2)
        lab = MathTex("x_0").next_to(tick, DOWN)
        self.add(d, tick, lab)
