from manim import *


class MultiLine(Scene):
    def construct(self):
        t = Text("line one\nline two is longer", line_spacing=1.2, font_size=34)
        self.add(t, Underline(t))
