from manim import *


class Pythagoras(Scene):
    def construct(self):
        title = Title("The Pythagorean theorem")
        eq = MathTex("a^2", "+", "b^2", "=", "c^2")
        eq.set_color_by_tex("c^2", YELLOW)
        tri = Polygon([-2, -1, 0], [2, -1, 0], [-2, 2, 0], color=BLUE)
        self.play(Write(title))
        self.play(Create(tri))
        self.play(Write(eq.next_to(tri, RIGHT)))
        self.wait()
