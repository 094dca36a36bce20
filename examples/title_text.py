"""A title flush with the top edge of the frame, and a caption below it."""

from manim import *


class TitleText(Scene):
    def construct(self):
        title = Text("Layout matters").to_edge(UP, buff=0)
        caption = Text("Nothing should overlap", font_size=28).next_to(title, DOWN)
        self.add(title, caption)
