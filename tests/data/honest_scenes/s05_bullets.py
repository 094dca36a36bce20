from manim import *


class Bullets(Scene):
    def construct(self):
        heading = Tex(r"\textbf{Key ideas}").to_edge(UP)
        items = BulletedList("Vectors add tip to tail", "Scaling stretches them",
                             "Bases span the plane", font_size=36)
        items.next_to(heading, DOWN, buff=0.5)
        self.play(Write(heading), Write(items))
