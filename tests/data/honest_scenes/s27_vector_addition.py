from manim import *


class VectorAddition(Scene):
    def construct(self):
        plane = NumberPlane()
        v = Arrow(ORIGIN, [2, 1, 0], buff=0, color=YELLOW)
        w = Arrow([2, 1, 0], [3, 3, 0], buff=0, color=GREEN)
        s = Arrow(ORIGIN, [3, 3, 0], buff=0, color=RED)
        lv = MathTex(r"\vec{v}").next_to(v.get_center(), DOWN)
        lw = MathTex(r"\vec{w}").next_to(w.get_center(), RIGHT)
        self.add(plane, v, w, s, lv, lw)
