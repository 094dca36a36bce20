from manim import *


class Venn(Scene):
    def construct(self):
        a = Circle(radius=1.8, color=BLUE, fill_opacity=0.3).shift(LEFT)
        b = Circle(radius=1.8, color=RED, fill_opacity=0.3).shift(RIGHT)
        la = MathTex("A").next_to(a, UP)
        lb = MathTex("B").next_to(b, UP)
        inter = MathTex(r"A \cap B")
        self.add(a, b, la, lb, inter)
