"""Two labelled boxes joined by an arrow (a tiny flowchart)."""

from manim import *


class ShapesArrow(Scene):
    def construct(self):
        left = Rectangle(width=3, height=1.5).move_to(LEFT * 3.5)
        right = Rectangle(width=3, height=1.5).move_to(RIGHT * 3.5)
        left_label = Text("input", font_size=32).move_to(left)
        right_label = Text("output", font_size=32).move_to(right)
        arrow = Arrow(left.get_right(), right.get_left(), buff=0.1)
        dot = Dot(DOWN * 2.5, color=YELLOW)
        self.add(VGroup(left, left_label), VGroup(right, right_label))
        self.play(GrowArrow(arrow))
        self.add(dot)
