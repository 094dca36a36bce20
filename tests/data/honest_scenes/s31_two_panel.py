from manim import *


class TwoPanel(Scene):
    def construct(self):
        left = Rectangle(width=6, height=5).shift(LEFT * 3.3)
        right = Rectangle(width=6, height=5).shift(RIGHT * 3.3)
        lt = Text("Before", font_size=32).next_to(left, UP, buff=0.1)
        rt = Text("After", font_size=32).next_to(right, UP, buff=0.1)
        c1 = Circle(radius=1).move_to(left)
        c2 = Square(side_length=2).move_to(right)
        self.add(left, right, lt, rt, c1, c2)
