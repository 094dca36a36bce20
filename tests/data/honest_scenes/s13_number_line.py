from manim import *


class NumberLineScene(Scene):
    def construct(self):
        nl = NumberLine(x_range=[-5, 5, 1], length=10, include_numbers=True)
        p = Dot(nl.n2p(2), color=RED)
        lab = MathTex("p = 2").next_to(p, UP)
        self.add(nl, p, lab)
