from manim import *


class TitleList(Scene):
    def construct(self):
        t = Title("Linear maps", match_underline_width_to_text=True)
        lst = BulletedList("keep lines straight", "keep the origin fixed").scale(0.8)
        self.add(t, lst)
