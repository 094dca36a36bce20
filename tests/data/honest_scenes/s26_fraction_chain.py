from manim import *


class FractionChain(Scene):
    def construct(self):
        lines = VGroup(
            MathTex(r"\frac{d}{dx} e^{2x}"),
            MathTex(r"= 2 e^{2x}"),
            MathTex(r"\approx 14.78 \text{ at } x = 1"),
        ).arrange(DOWN, aligned_edge=LEFT)
        self.play(LaggedStart(*[Write(line) for line in lines]))
