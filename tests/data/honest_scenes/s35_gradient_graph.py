from manim import *


class GradientGraph(Scene):
    def construct(self):
        ax = Axes(x_range=[0, 10], y_range=[0, 5], tips=False)
        g = ax.plot(lambda x: 2 + np.sin(x), color=[BLUE, RED])
        t = Text("colourful", gradient=(BLUE, GREEN)).to_edge(UP)
        self.add(ax, g, t)
