from manim import *


class ScaledRotated(Scene):
    def construct(self):
        eq = MathTex(r"\int_0^1 x^2\,dx = \frac{1}{3}").scale(1.5)
        side = Text("sideways").rotate(PI / 2).to_edge(LEFT)
        upside = MathTex(r"e^{i\pi} + 1 = 0").rotate(PI).to_edge(DOWN)
        self.add(eq, side, upside)
