from manim import *


class Rings(Scene):
    def construct(self):
        ring = Annulus(inner_radius=1, outer_radius=1.6, color=BLUE, fill_opacity=0.6).shift(LEFT * 3)
        sector = Sector(radius=1.6, angle=PI / 3, color=RED, fill_opacity=0.6).shift(RIGHT * 2)
        arc = Arc(radius=1.0, start_angle=0, angle=PI, color=GREEN).shift(DOWN * 2)
        self.add(ring, sector, arc)
