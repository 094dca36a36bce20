from manim import *


class ColouredText(Scene):
    def construct(self):
        t = Text("Hello, world of vectors", t2c={"world": RED, "vectors": BLUE}, font_size=40)
        sub = Text("a second line, smaller", font_size=24).next_to(t, DOWN)
        self.add(t, sub)
