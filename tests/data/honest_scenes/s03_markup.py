from manim import *


class Markup(Scene):
    def construct(self):
        m = MarkupText('Make it <b>bold</b> or <span fgcolor="yellow">yellow</span>')
        m2 = MarkupText("<i>italic</i> too", font_size=30).to_edge(DOWN)
        self.play(Write(m), FadeIn(m2))
