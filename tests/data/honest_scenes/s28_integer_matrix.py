from manim import *


class IntMatrix(Scene):
    def construct(self):
        m = IntegerMatrix([[2, 0], [1, -3]], left_bracket="(", right_bracket=")")
        det = MathTex(r"\det = -6").next_to(m, DOWN)
        self.add(m, det)
