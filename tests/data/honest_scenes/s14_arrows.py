from manim import *


class Arrows(Scene):
    def construct(self):
        a = Rectangle(width=3, height=1.5).shift(LEFT * 3)
        b = Rectangle(width=3, height=1.5).shift(RIGHT * 3)
        ta = Text("Input").move_to(a)
        tb = Text("Output").move_to(b)
        arr = Arrow(a.get_right(), b.get_left(), buff=0.1)
        v = Vector([1, 2]).shift(DOWN * 2)
        d = DoubleArrow(LEFT, RIGHT).shift(UP * 2.5)
        self.add(a, b, ta, tb, arr, v, d)
