"""A number line with two marked points and their labels."""

from manim import *


class NumberLinePoints(Scene):
    def construct(self):
        line = NumberLine(x_range=[-5, 5, 1], length=10, include_numbers=True)
        a = Dot(line.n2p(-2), color=RED)
        b = Dot(line.n2p(3), color=BLUE)
        label_a = MathTex("a").next_to(a, UP)
        label_b = MathTex("b").next_to(b, UP)
        self.add(line, a, b, label_a, label_b)
