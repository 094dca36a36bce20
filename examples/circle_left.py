"""A circle of radius 1 centred at (-4, 0) next to a square."""

from manim import *


class CircleLeft(Scene):
    def construct(self):
        circle = Circle(radius=1, color=RED).move_to([-4, 0, 0])
        square = Square(side_length=2, color=GREEN, fill_opacity=0.5).move_to([3, 0, 0])
        self.add(circle)
        self.play(FadeIn(square))
