from manim import *


class ColoredMath(Scene):
    def construct(self):
        eq = MathTex(r"f(x)", r"=", r"\sin", r"(x)", r"+", r"\cos(x)")
        eq[0].set_color(YELLOW)
        eq[2].set_color(BLUE)
        eq2 = MathTex(r"{{a}}^2 + {{b}}^2", tex_to_color_map={"a": RED, "b": GREEN}).shift(DOWN * 1.5)
        self.play(Write(eq))
        self.play(Write(eq2))
