from manim import *


class Styles(Scene):
    def construct(self):
        sq = Square(side_length=2.5, fill_color=BLUE, fill_opacity=0.4, stroke_width=8)
        c = Circle(radius=0.7, fill_color=RED, fill_opacity=1, stroke_opacity=0).shift(RIGHT * 3)
        t = MathTex(r"\alpha", color=GREEN).scale(2).move_to(sq)
        self.add(sq, c, t)
