from manim import *


class Numbers(Scene):
    def construct(self):
        d = DecimalNumber(3.14159, num_decimal_places=3).shift(UP)
        i = Integer(42).next_to(d, DOWN)
        label = Tex("value: ").next_to(d, LEFT)
        self.add(d, i, label)
