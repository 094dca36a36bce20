from manim import *


class Orbits(Scene):
    def construct(self):
        e = Ellipse(width=6, height=3, color=WHITE)
        sun = Dot(LEFT * 1.3, radius=0.2, color=YELLOW)
        planet = Dot(e.point_from_proportion(0.1), color=BLUE)
        name = Text("Kepler orbit", font_size=30).to_edge(UP)
        self.add(e, sun, planet, name)
