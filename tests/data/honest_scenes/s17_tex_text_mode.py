from manim import *


class TexText(Scene):
    def construct(self):
        t = Tex(r"The derivative of $x^n$ is $n x^{n-1}$.")
        t2 = Tex(r"This is \emph{emphasised}", r" and this is not", font_size=36).next_to(t, DOWN)
        self.add(t, t2)
