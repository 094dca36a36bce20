"""A matrix times a vector, with a brace under the matrix."""

from manim import *


class MatrixVector(Scene):
    def construct(self):
        matrix = Matrix([[1, 2], [3, 4]]).move_to(LEFT * 2)
        vector = Matrix([["x"], ["y"]]).next_to(matrix, RIGHT)
        brace = Brace(matrix, DOWN)
        label = MathTex("A").next_to(brace, DOWN)
        self.add(matrix, vector, brace, label)
        self.wait(0.5)
