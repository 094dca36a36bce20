from manim import *


class FunctionGraphs(Scene):
    def construct(self):
        plane = NumberPlane(x_range=[-7, 7], y_range=[-4, 4])
        sine = FunctionGraph(lambda x: np.sin(x), color=BLUE)
        lab = MathTex(r"y = \sin x", color=BLUE).to_corner(UR)
        self.add(plane, sine, lab)
