from manim import *


class Arranged(Scene):
    def construct(self):
        shapes = VGroup(Circle(), Square(), Triangle(), RegularPolygon(n=6)).arrange(RIGHT, buff=0.5)
        shapes.set_fill(BLUE, opacity=0.5)
        labels = VGroup(*[Text(n, font_size=24) for n in ["circle", "square", "triangle", "hexagon"]])
        for lab, s in zip(labels, shapes):
            lab.next_to(s, DOWN)
        self.add(shapes, labels)
