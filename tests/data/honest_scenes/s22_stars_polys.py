from manim import *


class StarsPolys(Scene):
    def construct(self):
        star = Star(n=5, outer_radius=1.5, color=GOLD, fill_opacity=0.8).shift(LEFT * 3)
        pent = RegularPolygon(n=5, color=PURPLE).shift(RIGHT * 3)
        tri = Triangle(color=ORANGE).scale(1.3)
        cap = Text("shapes", slant=ITALIC).to_edge(DOWN)
        self.add(star, pent, tri, cap)
