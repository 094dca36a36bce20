from manim import *


class Matrices(Scene):
    def construct(self):
        m = Matrix([[1, 2], [3, 4]])
        v = Matrix([["x"], ["y"]]).next_to(m, RIGHT)
        eq = MathTex("=").next_to(v, RIGHT)
        r = Matrix([["x + 2y"], ["3x + 4y"]]).next_to(eq, RIGHT)
        VGroup(m, v, eq, r).move_to(ORIGIN)
        self.add(m, v, eq, r)
