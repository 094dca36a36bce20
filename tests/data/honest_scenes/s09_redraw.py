from manim import *


class Redraw(Scene):
    def construct(self):
        tracker = ValueTracker(1)
        dot = always_redraw(lambda: Dot(RIGHT * tracker.get_value(), color=RED))
        label = always_redraw(lambda: MathTex("x").next_to(dot, UP))
        self.add(dot, label)
        self.play(tracker.animate.set_value(3))
        self.wait()
