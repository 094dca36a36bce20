from manim import *


class Grouped(Scene):
    def construct(self):
        box = RoundedRectangle(corner_radius=0.3, width=4, height=2, color=TEAL)
        txt = Text("Step 1", font_size=32).move_to(box)
        grp = VGroup(box, txt).shift(UP * 2 + LEFT * 3)
        box2 = box.copy().shift(RIGHT * 6)
        txt2 = Text("Step 2", font_size=32).move_to(box2)
        arrow = Arrow(grp.get_right(), box2.get_left())
        self.add(grp, box2, txt2, arrow)
