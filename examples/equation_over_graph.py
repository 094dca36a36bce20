"""The equation f(x) = x^2 above its graph."""

from manim import *


class EquationOverGraph(Scene):
    def construct(self):
        axes = Axes(x_range=[-2, 2, 1], y_range=[0, 4, 1], x_length=5, y_length=3.5)
        axes.move_to(DOWN * 0.8)
        graph = axes.plot(lambda x: x**2, color=BLUE)
        equation = MathTex("f(x) = x^2").move_to(UP * 2)
        self.play(Create(axes), Create(graph))
        self.play(Write(equation))
        self.wait()
