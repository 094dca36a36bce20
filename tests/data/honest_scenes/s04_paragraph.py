from manim import *


class Para(Scene):
    def construct(self):
        p = Paragraph("First line of the paragraph", "and here is the second", "third",
                      alignment="left", font_size=28)
        p.to_corner(UL)
        c = Circle(radius=1.2, color=GREEN).to_corner(DR)
        self.add(p, c)
