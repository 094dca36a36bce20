from manim import *


class TexList(Scene):
    def construct(self):
        steps = VGroup(*[Tex(f"Step {i}: ", s) for i, s in
                         enumerate(["guess", "check", "refine"], start=1)])
        steps.arrange(DOWN, aligned_edge=LEFT).to_edge(LEFT)
        self.add(steps)
