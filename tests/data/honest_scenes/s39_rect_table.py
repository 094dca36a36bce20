from manim import *


class Cells(Scene):
    def construct(self):
        cells = VGroup(*[Rectangle(width=1.5, height=1) for _ in range(3)]).arrange(RIGHT, buff=0)
        nums = VGroup(*[MathTex(str(n)).move_to(c) for n, c in zip([7, 1, 9], cells)])
        ptr = Arrow(UP * 2, cells[1].get_top(), buff=0.1)
        self.add(cells, nums, ptr)
