from manim import *


class Tracker(Scene):
    def construct(self):
        nl = NumberLine(x_range=[0, 10, 2], length=8, include_numbers=True).shift(DOWN)
        t = ValueTracker(3.5)
        val = DecimalNumber(3.5, num_decimal_places=1).to_edge(UP)
        val.add_updater(lambda m: m.set_value(t.get_value()))
        dot = Dot(nl.n2p(3.5), color=YELLOW)
        self.add(nl, val, dot)
        self.play(t.animate.set_value(6.0))
