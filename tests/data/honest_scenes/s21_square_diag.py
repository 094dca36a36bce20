from manim import *


class SquareDiagonal(Scene):
    def construct(self):
        sq = Square(side_length=3, color=WHITE)
        diag = Line(sq.get_corner(DL), sq.get_corner(UR), color=YELLOW)
        lab = MathTex(r"\sqrt{2}").next_to(diag.get_center(), UL, buff=0.1)
        side = MathTex("1").next_to(sq, DOWN)
        self.add(sq, diag, lab, side)
