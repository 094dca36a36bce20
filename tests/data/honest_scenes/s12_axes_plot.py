from manim import *


class AxesPlot(Scene):
    def construct(self):
        axes = Axes(x_range=[-3, 3], y_range=[-1, 9], x_length=6, y_length=5)
        graph = axes.plot(lambda x: x**2, color=YELLOW)
        label = axes.get_graph_label(graph, label="x^2")
        title = Text("A parabola").to_edge(UP)
        self.play(Create(axes), Create(graph), Write(label), Write(title))
