from manim import *


class BoldText(Scene):
    def construct(self):
        a = Text("Bold statement", weight=BOLD).to_edge(UP)
        b = Text("monospace here", font="Monospace", font_size=30)
        c = Text("Spaced  out   words", font_size=26).to_edge(DOWN)
        self.add(a, b, c)
