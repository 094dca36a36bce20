from manim import *


class ShapeLabels(Scene):
    def construct(self):
        tri = Polygon(LEFT * 2, RIGHT * 2, UP * 2.5, color=WHITE)
        labs = VGroup(MathTex("A").next_to(tri.get_vertices()[0], DL),
                      MathTex("B").next_to(tri.get_vertices()[1], DR),
                      MathTex("C").next_to(tri.get_vertices()[2], UP))
        self.add(tri, labs)
