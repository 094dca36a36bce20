from manim import *


class Braces(Scene):
    def construct(self):
        line = Line(LEFT * 3, RIGHT * 3)
        b = Brace(line, DOWN)
        lab = b.get_tex(r"6\text{ units}")
        sq = Square(side_length=2).shift(UP * 2)
        bl = BraceLabel(sq, "s", brace_direction=RIGHT)
        self.add(line, b, lab, sq, bl)
