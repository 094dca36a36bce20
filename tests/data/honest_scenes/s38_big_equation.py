from manim import *


class Big(Scene):
    def construct(self):
        eq = MathTex(r"\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}", font_size=64)
        self.play(Write(eq))
        self.play(eq.animate.to_edge(UP))
        note = Tex("Basel problem", font_size=30).next_to(eq, DOWN)
        self.play(FadeIn(note))
