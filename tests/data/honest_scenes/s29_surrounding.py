from manim import *


class Highlight(Scene):
    def construct(self):
        eq = MathTex(r"E = mc^2").scale(2)
        box = SurroundingRectangle(eq, color=YELLOW, buff=0.2)
        note = Text("famous", font_size=24).next_to(box, DOWN)
        self.play(Write(eq))
        self.play(Create(box), FadeIn(note))
