"""Diagram families: a flowchart of boxes and arrows, a two-panel comparison."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from benchmark.core.tasks import ObjectSpec, Relation
from benchmark.suites.synthetic._family import (
    Draft,
    Family,
    apply_where,
    inside,
    obj,
    pick,
    pick_offset,
    place_title,
)
from benchmark.suites.synthetic._geometry import SceneBuilder
from benchmark.suites.synthetic._prompts import join_list, say, say_where, sentences
from benchmark.suites.synthetic._sizes import arrow_key, object_key

__all__ = ["Flowchart", "TwoPanelComparison"]

PROCESSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("A compiler", ("Source", "Parse", "Optimise", "Emit")),
    ("Training a model", ("Data", "Train", "Evaluate", "Deploy")),
    ("The water cycle", ("Evaporate", "Condense", "Rain", "Collect")),
    ("Scientific method", ("Question", "Hypothesis", "Experiment", "Conclude")),
    ("A web request", ("Client", "Server", "Database", "Response")),
    ("Baking bread", ("Mix", "Knead", "Rise", "Bake")),
    ("Solving a problem", ("Understand", "Plan", "Execute", "Review")),
    ("Rendering", ("Scene", "Layout", "Draw", "Frame")),
    ("Photosynthesis", ("Light", "Water", "Glucose", "Oxygen")),
    ("A build pipeline", ("Commit", "Test", "Package", "Release")),
)
BOX_SHAPES = {"rounded": "RoundedRectangle", "square": "Rectangle"}
BOX_W, BOX_H = 2.6, 1.1
FLOW = {"right": ("RIGHT", 1.2), "down": ("DOWN", 0.7)}
ARROW_BUFF = 0.1


class Flowchart(Family):
    """Two or three labelled boxes joined by arrows, left to right or top to bottom."""

    name = "flowchart"
    scene_class = "Flowchart"
    overlaps = (("step_", "box_"),)
    LABEL_SIZE = 28
    TITLE_SIZE = 40

    def draft(self, rng: random.Random) -> Draft:
        title, steps = pick(rng, PROCESSES)
        n = pick(rng, (2, 3, 3))
        start = rng.randrange(len(steps) - n + 1)
        flow = pick(rng, ("right", "right", "down"))
        shape = pick(rng, tuple(BOX_SHAPES))
        where = pick_offset(rng, (-2, 0, 0, 2), (-1, 0, 0, 1))
        objects: list[ObjectSpec] = []
        for i, word in enumerate(steps[start:start + n], 1):
            place = {"flow": flow, **where} if i == 1 else {"after": f"box_{i - 1}"}
            if i > 1:
                objects.append(obj(f"arrow_{i - 1}", "arrow", "Arrow", None,
                                   **{"from": f"box_{i - 1}", "to": f"box_{i}"},
                                   buff=ARROW_BUFF))
            objects.append(obj(f"box_{i}", "shape", BOX_SHAPES[shape], place, width=BOX_W,
                               height=BOX_H))
            objects.append(obj(f"step_{i}", "text", word, {"inside": f"box_{i}"},
                               font_size=self.LABEL_SIZE))
        if rng.random() < 0.3:
            objects.append(obj("title", "text", title, {"edge": "UP"},
                               font_size=self.TITLE_SIZE))
        return Draft(objects, givable=("box_1",))

    def build(self, b: SceneBuilder) -> None:
        boxes = [i for i in b.order if i.startswith("box_")]
        first = b.place(boxes[0])
        for x in boxes:
            b.create(x)
        direction, gap = FLOW[b.place(boxes[0]).get("flow", "right")]
        if b.spec(boxes[0]).given is not None:
            b.given(boxes[0])
            for prev, cur in pairwise(boxes):
                b.next_to(cur, prev, direction, buff=gap)
        else:
            b.arrange("chart", boxes, direction, buff=gap)
            apply_where(b, "chart", {k: v for k, v in first.items() if k != "flow"})
        for i, x in enumerate(boxes, 1):
            b.create(f"step_{i}")
            b.move_to(f"step_{i}", x)
        for i in range(1, len(boxes)):
            b.create_dependent(f"arrow_{i}")
        for i in range(1, len(boxes) + 1):
            if i > 1:
                b.play(f"arrow_{i - 1}")
            b.play(f"box_{i}", f"step_{i}")
        place_title(b)
        b.wait()

    def valid(self, b: SceneBuilder) -> bool:
        return all(inside(b.box(f"step_{i}"), b.box(x), margin=0.1)
                   for i, x in enumerate((i for i in b.order if i.startswith("box_")), 1))

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        steps = [o.content for o in objects if o.id.startswith("step_")]
        box1 = next(o for o in objects if o.id == "box_1")
        flow = box1.params.get("place", {}).get("flow", "right")
        shape = "rounded boxes" if box1.content == "RoundedRectangle" else "rectangles"
        one = "rounded box" if box1.content == "RoundedRectangle" else "rectangle"
        order = "left to right" if flow == "right" else "top to bottom"
        quoted = [f'"{s}"' for s in steps]
        if box1.given is not None:
            first = say(rng, (f'The first box, "{steps[0]}", is already placed; continue the '
                              f"flowchart {order} with {join_list(quoted[1:])} in matching "
                              f"{shape}",
                              f"Starting from the given box {quoted[0]}, add "
                              f"{join_list(quoted[1:])} {order} as {shape}"))
        else:
            where = say_where(rng, {k: v for k, v in box1.params["place"].items()
                                    if k != "flow"})
            first = say(rng, (f"Draw a flowchart {order}, centred {where}, with the steps "
                              f"{join_list(quoted)} in {shape}",
                              f"{where}, lay out {join_list(quoted)} as {shape} from "
                              f"{order}",
                              f"Make a {len(steps)}-step flowchart running {order} {where}: "
                              f"{join_list(quoted)}, each in its own {one}"))
        parts = [first, say(rng, ("Join consecutive steps with arrows",
                                  "Connect each step to the next with an arrow",
                                  "Arrows lead from each box to the next"))]
        title = next((o for o in objects if o.id == "title"), None)
        if title is not None:
            parts.append(f'Put the title "{title.content}" '
                         f'{say_where(rng, title.params["place"])}')
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        boxes = [o.id for o in objects if o.id.startswith("box_")]
        box1 = next(o for o in objects if o.id == "box_1")
        flow = box1.params.get("place", {}).get("flow", "right")
        out = []
        for i, x in enumerate(boxes, 1):
            out.append(Relation(f"step_{i}", "inside", x))
        for a, c in pairwise(boxes):
            if flow == "right":
                out += [Relation(c, "right_of", a), Relation(c, "aligned_y", a)]
            else:
                out += [Relation(c, "below", a), Relation(c, "aligned_x", a)]
        for o in objects:
            if o.kind == "arrow":
                out += [Relation(o.id, "next_to", o.params["from"]),
                        Relation(o.id, "next_to", o.params["to"])]
        return out

    def size_keys(self) -> Iterable[str]:
        for title, steps in PROCESSES:
            yield object_key(obj("t", "text", title, font_size=self.TITLE_SIZE))
            for s in steps:
                yield object_key(obj("s", "text", s, font_size=self.LABEL_SIZE))
        for cls in BOX_SHAPES.values():
            yield object_key(obj("b", "shape", cls, width=BOX_W, height=BOX_H))
        yield arrow_key(FLOW["right"][1], 0.0, ARROW_BUFF)
        yield arrow_key(0.0, -FLOW["down"][1], ARROW_BUFF)


COMPARISONS: tuple[tuple[str, str, str, str], ...] = (
    ("Before", "x^2 + 2x + 1", "After", "(x+1)^2"),
    ("Discrete", r"\sum_{i=1}^{n} a_i", "Continuous", r"\int_a^b f(x)\,dx"),
    ("Derivative", r"\frac{d}{dx} x^n", "Integral", r"\int x^n\,dx"),
    ("Linear", "y = 2x + 1", "Quadratic", "y = x^2 - 3"),
    ("Sine", r"\sin(0) = 0", "Cosine", r"\cos(0) = 1"),
    ("Growth", "2^n", "Decay", "2^{-n}"),
    ("Circle", r"A = \pi r^2", "Square", "A = s^2"),
    ("Mean", r"\bar{x} = \frac{1}{n}\sum x_i", "Variance",
     r"\sigma^2 = \frac{1}{n}\sum (x_i - \bar{x})^2"),
    ("Product rule", "(fg)' = f'g + fg'", "Quotient rule",
     r"\left(\frac{f}{g}\right)' = \frac{f'g - fg'}{g^2}"),
    ("Series", r"\sum_{n=0}^{\infty} \frac{1}{2^n} = 2", "Harmonic",
     r"\sum_{n=1}^{\infty} \frac{1}{n} = \infty"),
    ("Real", "x^2 = -1", "Complex", "i^2 = -1"),
    ("Kinetic", r"E_k = \frac{1}{2}mv^2", "Potential", "E_p = mgh"),
    ("Sum", "a + b", "Product", r"a \cdot b"),
    ("Even", "f(-x) = f(x)", "Odd", "f(-x) = -f(x)"),
    ("Arithmetic", "a_n = a_1 + (n-1)d", "Geometric", "a_n = a_1 r^{n-1}"),
    ("Speed", r"v = \frac{d}{t}", "Acceleration", r"a = \frac{\Delta v}{t}"),
    ("Degrees", r"180^\circ", "Radians", r"\pi"),
    ("Cartesian", "(x, y)", "Polar", r"(r, \theta)"),
    ("Union", r"A \cup B", "Intersection", r"A \cap B"),
    ("Limit", r"\lim_{x \to 0} \frac{\sin x}{x} = 1", "Value", r"\frac{\sin 0}{0}"),
    ("Exponential", "e^x", "Logarithm", r"\ln x"),
    ("Dot product", r"\mathbf{a} \cdot \mathbf{b}", "Cross product",
     r"\mathbf{a} \times \mathbf{b}"),
    ("Permutations", r"\frac{n!}{(n-k)!}", "Combinations", r"\binom{n}{k}"),
    ("Inequality", "x > 2", "Equation", "x = 2"),
)
PANEL_W, PANEL_X = 6.2, 3.4
PANEL_HEIGHTS = (4.4, 5.4)
HALF_X, TITLE_Y, BOTTOM_Y = 3.5, 2.5, -2.5
SPOTS = ("middle", "below", "bottom")


class TwoPanelComparison(Family):
    """Two titled halves side by side, each with a formula, optionally framed."""

    name = "two_panel_comparison"
    scene_class = "TwoPanelComparison"
    overlaps = (("title_", "panel_"), ("content_", "panel_"))
    TITLE_SIZE = 36
    CONTENT_SIZE = 40
    TITLE_IN_BUFF = 0.35
    CONTENT_BUFF = 0.9
    BOTTOM_BUFF = 0.5

    def draft(self, rng: random.Random) -> Draft:
        lt, lc, rt, rc = pick(rng, COMPARISONS)
        if rng.random() < 0.5:
            lt, lc, rt, rc = rt, rc, lt, lc
        framed = rng.random() < 0.5
        height = pick(rng, PANEL_HEIGHTS)
        spot = pick(rng, SPOTS)
        objects: list[ObjectSpec] = []
        for side, t, c in (("left", lt, lc), ("right", rt, rc)):
            if framed:
                objects.append(obj(f"panel_{side}", "shape", "Rectangle", {"half": side},
                                   width=PANEL_W, height=height))
            objects.append(obj(f"title_{side}", "text", t, {"half": side, "at": "top"},
                               font_size=self.TITLE_SIZE))
            objects.append(obj(f"content_{side}", "tex", c, {"half": side, "at": spot},
                               font_size=self.CONTENT_SIZE))
        return Draft(objects, givable=("panel_left", "panel_right") if framed else ())

    def build(self, b: SceneBuilder) -> None:
        for side, sign in (("left", -1), ("right", 1)):
            panel, title, content = f"panel_{side}", f"title_{side}", f"content_{side}"
            framed = panel in b.specs
            if framed:
                b.create(panel)
                if b.spec(panel).given is not None:
                    b.given(panel)
                else:
                    b.move_to(panel, b.at(sign * PANEL_X, 0))
            b.create(title)
            if framed:
                b.next_to(title, b.corner_of(panel, "UP"), "DOWN", buff=self.TITLE_IN_BUFF)
            else:
                b.move_to(title, b.at(sign * HALF_X, TITLE_Y))
            b.create(content)
            spot = b.place(content)["at"]
            if spot == "below":
                b.next_to(content, title, "DOWN", buff=self.CONTENT_BUFF)
            elif spot == "bottom" and framed:
                b.next_to(content, b.corner_of(panel, "DOWN"), "UP", buff=self.BOTTOM_BUFF)
            elif spot == "bottom":
                b.move_to(content, b.at(sign * HALF_X, BOTTOM_Y))
            elif framed:
                b.move_to(content, panel)
            else:
                b.move_to(content, b.at(sign * HALF_X, 0))
            b.play(*(x for x in (panel, title, content) if x in b.specs))
        b.wait()

    def valid(self, b: SceneBuilder) -> bool:
        for side in ("left", "right"):
            panel = f"panel_{side}"
            if panel in b.specs and not all(inside(b.box(f"{x}_{side}"), b.box(panel), 0.2)
                                            for x in ("title", "content")):
                return False
        return True

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        framed = "panel_left" in o
        lt, rt = o["title_left"].content, o["title_right"].content
        lc, rc = o["content_left"].content, o["content_right"].content
        spot = o["content_left"].params["place"]["at"]
        if framed and o["panel_left"].given is not None:
            first = say(rng, ("Two framed panels are already on screen, one per half",
                              "The left and right frames are given"))
        elif framed:
            h = f"{o['panel_left'].params['height']:g}"
            first = say(rng, (f"Split the screen into two framed halves, {h} units tall",
                              f"Draw a rectangular frame {h} units tall on each half of the "
                              "screen"))
        else:
            first = say(rng, ("Compare two ideas side by side, one per half of the screen",
                              "Use the left and right halves of the frame for a comparison"))
        tops = say(rng, ("at the top of", "as the heading of", "across the top of"))
        where = {"middle": say(rng, ("in the middle of its half", "centred in its half")),
                 "below": say(rng, ("below its title", "under its heading")),
                 "bottom": say(rng, ("near the bottom of its half",
                                     "low in its half, near the bottom"))}[spot]
        second = say(rng, (f'Title the left half "{lt}" and the right half "{rt}", each '
                           f"{tops} its side",
                           f'Put "{lt}" {tops} the left half and "{rt}" {tops} the right'))
        third = say(rng, (f"Show {lc} on the left and {rc} on the right, each {where}",
                          f"Each half gets a formula {where}: {lc} on the left, {rc} on the "
                          "right"))
        return sentences(first, second, third)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        o = {x.id: x for x in objects}
        out = [Relation("title_right", "right_of", "title_left"),
               Relation("title_right", "aligned_y", "title_left"),
               Relation("content_right", "right_of", "content_left")]
        for side in ("left", "right"):
            if f"panel_{side}" in o:
                out += [Relation(f"title_{side}", "inside", f"panel_{side}"),
                        Relation(f"content_{side}", "inside", f"panel_{side}")]
            out.append(Relation(f"content_{side}", "below", f"title_{side}"))
        return out

    def size_keys(self) -> Iterable[str]:
        for h in PANEL_HEIGHTS:
            yield object_key(obj("p", "shape", "Rectangle", width=PANEL_W, height=h))
        for lt, lc, rt, rc in COMPARISONS:
            for t in (lt, rt):
                yield object_key(obj("t", "text", t, font_size=self.TITLE_SIZE))
            for c in (lc, rc):
                yield object_key(obj("c", "tex", c, font_size=self.CONTENT_SIZE))
