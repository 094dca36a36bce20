"""Families with axes and plotted functions: equation over graph, axes with labels."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmark.core.tasks import ObjectSpec, Relation
from benchmark.suites.synthetic._family import (
    Draft,
    Family,
    apply_where,
    obj,
    pick,
    pick_offset,
    place_anchor,
    place_title,
)
from benchmark.suites.synthetic._geometry import SceneBuilder
from benchmark.suites.synthetic._prompts import (
    color_word,
    say,
    say_rel,
    say_where,
    sentences,
)
from benchmark.suites.synthetic._sizes import graph_key, object_key

__all__ = ["AxesPlotLabels", "EquationOverGraph"]

RELATION = {"above": "above", "below": "below", "left": "left_of", "right": "right_of"}
SIDE = {"above": "UP", "below": "DOWN", "left": "LEFT", "right": "RIGHT"}
GRAPH_COLOURS = ("BLUE", "YELLOW", "GREEN", "RED", "TEAL", "ORANGE")


@dataclass(frozen=True)
class Fn:
    tex: str  # right-hand side as LaTeX
    expr: str  # the same function in Python (compose's expression vocabulary)
    domain: tuple[float, float]
    x_range: tuple[float, float, float]
    y_range: tuple[float, float, float]
    words: str


FUNCTIONS = (
    Fn("x^2", "x**2", (-2, 2), (-2, 2, 1), (0, 4, 1), "a parabola"),
    Fn(r"\sin x", "np.sin(x)", (-3, 3), (-3, 3, 1), (-1.5, 1.5, 0.5), "a sine wave"),
    Fn(r"\cos x", "np.cos(x)", (-3, 3), (-3, 3, 1), (-1.5, 1.5, 0.5), "a cosine wave"),
    Fn("e^{x}", "np.exp(x)", (-2, 1.3), (-2, 2, 1), (0, 4, 1), "exponential growth"),
    Fn("x^3 - x", "x**3 - x", (-1.5, 1.5), (-2, 2, 1), (-2, 2, 1), "a cubic"),
    Fn(r"\sqrt{x}", "np.sqrt(x)", (0, 4), (0, 4, 1), (0, 2, 1), "the square root"),
    Fn(r"\frac{x}{2} + 1", "0.5*x + 1", (-2, 2), (-2, 2, 1), (0, 2, 1), "a straight line"),
    Fn("|x|", "np.abs(x)", (-2, 2), (-2, 2, 1), (0, 2, 1), "the absolute value"),
    Fn("2 - x^2", "2 - x**2", (-2, 2), (-2, 2, 1), (-2, 2, 1), "an upside-down parabola"),
    Fn(r"\ln x", "np.log(x)", (0.2, 4), (0, 4, 1), (-2, 2, 1), "the natural logarithm"),
    Fn("x^2 - 1", "x**2 - 1", (-2, 2), (-2, 2, 1), (-1, 3, 1), "a shifted parabola"),
    Fn(r"\sin 2x", "np.sin(2*x)", (-3, 3), (-3, 3, 1), (-1.5, 1.5, 0.5), "a fast sine wave"),
)
EQ_NAMES = ("f(x)", "y", "g(x)")
TITLES = ("The parabola", "A sine wave", "A cosine wave", "Exponential growth",
          "A cubic curve", "The square root", "A straight line", "Absolute value",
          "An inverted parabola", "The logarithm", "A shifted parabola", "A faster wave")


def _axes(fn_ranges: tuple[tuple[float, ...], tuple[float, ...]], length: tuple[float, float],
          place: dict | None) -> ObjectSpec:
    xr, yr = fn_ranges
    return obj("axes", "axes", "", place, x_range=list(xr), y_range=list(yr),
               x_length=length[0], y_length=length[1])


def _graph(oid: str, fn: Fn, colour: str) -> ObjectSpec:
    return obj(oid, "graph", fn.expr, axes="axes", x_range=list(fn.domain), color=colour)


class EquationOverGraph(Family):
    """Axes with one plotted function, its equation beside it, maybe a title."""

    name = "equation_over_graph"
    scene_class = "EquationOverGraph"
    overlaps = (("graph", "axes"),)
    LENGTH = (5.0, 3.0)
    EQ_SIZE = 44
    TITLE_SIZE = 40
    EQ_BUFF = 0.4

    def draft(self, rng: random.Random) -> Draft:
        k = rng.randrange(len(FUNCTIONS))
        fn = FUNCTIONS[k]
        axes = _axes((fn.x_range, fn.y_range), self.LENGTH,
                     pick_offset(rng, (-3, -2, 0, 0, 2, 3), (0, 0, -1)))
        if rng.random() < 0.7:
            eq_place: dict = {"rel": pick(rng, tuple(SIDE)), "of": "axes"}
        else:
            eq_place = {"corner": pick(rng, ("UL", "UR", "DL", "DR"))}
        objects = [axes, _graph("graph", fn, pick(rng, GRAPH_COLOURS)),
                   obj("equation", "tex", f"{pick(rng, EQ_NAMES)} = {fn.tex}", eq_place,
                       font_size=self.EQ_SIZE)]
        if rng.random() < 0.4:
            where = pick(rng, ({"edge": "UP"}, {"corner": "UL"}, {"corner": "UR"}))
            objects.append(obj("title", "text", TITLES[k], where, font_size=self.TITLE_SIZE))
        return Draft(objects, givable=("axes",), notes={"words": fn.words})

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "axes")
        b.create_dependent("graph")
        b.create("equation")
        place = b.place("equation")
        if "rel" in place:
            b.next_to("equation", "axes", SIDE[place["rel"]], buff=self.EQ_BUFF)
        else:
            apply_where(b, "equation", place)
        b.play("axes", "graph")
        b.play("equation")
        place_title(b)
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        eq, graph, axes = o["equation"].content, o["graph"], o["axes"]
        colour = color_word(graph.params.get("color"))
        words = notes.get("words", "the function")
        if axes.given is not None:
            first = say(rng, (f"The axes are already on screen; plot {words}, {eq}, on them "
                              f"in {colour}",
                              f"On the axes already placed, draw the {colour} graph of {eq}"))
        else:
            where = say_where(rng, axes.params["place"])
            first = say(rng, (f"Draw a set of axes {where} and plot {words}, {eq}, in {colour}",
                              f"Plot {eq} in {colour} on axes placed {where}",
                              f"Put a pair of axes {where}; graph {words} ({eq}) on them in "
                              f"{colour}"))
        place = o["equation"].params["place"]
        if "rel" in place:
            rel = say_rel(rng, place["rel"])
            second = say(rng, (f"Write the equation {eq} {rel} the axes",
                               f"{rel} the axes, show {eq}",
                               f"Label the plot with {eq}, placed {rel} the axes"))
        else:
            where = say_where(rng, place)
            second = say(rng, (f"Put the equation {eq} {where}", f"{where}, write {eq}"))
        parts = [first, second]
        if "title" in o:
            t = o["title"]
            where = say_where(rng, t.params["place"])
            parts.append(say(rng, (f'Add the title "{t.content}" {where}',
                                   f'{where}, put the heading "{t.content}"')))
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        out = [Relation("graph", "inside", "axes")]
        place = next(x for x in objects if x.id == "equation").params["place"]
        if "rel" in place:
            out.append(Relation("equation", RELATION[place["rel"]], "axes"))
        return out

    def size_keys(self) -> Iterable[str]:
        for k, fn in enumerate(FUNCTIONS):
            axes = _axes((fn.x_range, fn.y_range), self.LENGTH, None)
            yield object_key(axes)
            yield graph_key(axes, _graph("graph", fn, "BLUE"))
            for name in EQ_NAMES:
                yield object_key(obj("e", "tex", f"{name} = {fn.tex}", font_size=self.EQ_SIZE))
            yield object_key(obj("t", "text", TITLES[k], font_size=self.TITLE_SIZE))

    def valid(self, b: SceneBuilder) -> bool:
        return _graph_inside(b, "graph")


# Function sets that share one pair of axes (indices into FUNCTIONS).
PLOT_SETS = (
    ((-3, 3, 1), (-1.5, 1.5, 0.5), (1, 2, 11)),
    ((-2, 2, 1), (0, 4, 1), (0, 3, 7, 6)),
    ((-2, 2, 1), (-2, 2, 1), (4, 8, 6)),
    ((0, 4, 1), (-2, 2, 1), (5, 9)),
)
AXIS_LABELS = (("x", "y"), ("t", "y"), ("x", "f(x)"), ("t", "s(t)"), (r"\theta", "y"))
LEGEND_NAMES = ("f(x)", "g(x)")


class AxesPlotLabels(Family):
    """Axes with one or two graphs, a legend of their equations, and axis labels."""

    name = "axes_plot_labels"
    scene_class = "AxesPlotLabels"
    overlaps = (("graph", "axes"), ("graph", "graph"))
    LENGTH = (6.5, 4.0)
    LABEL_SIZE = 36
    LEGEND_BUFF = 0.4
    AXIS_LABEL_BUFF = 0.3

    def draft(self, rng: random.Random) -> Draft:
        xr, yr, fns = pick(rng, PLOT_SETS)
        n = 1 if rng.random() < 0.4 else 2
        chosen = rng.sample(list(fns), n)
        colours = rng.sample(list(GRAPH_COLOURS), n)
        objects = [_axes((xr, yr), self.LENGTH,
                         pick_offset(rng, (-2, -1, 0, 0, 1), (0, 0, -1)))]
        legend = {"rel": pick(rng, ("right", "right", "above", "left")), "of": "axes"}
        for i, (k, c) in enumerate(zip(chosen, colours, strict=True), 1):
            objects.append(_graph(f"graph_{i}", FUNCTIONS[k], c))
        for i, (k, c) in enumerate(zip(chosen, colours, strict=True), 1):
            objects.append(obj(f"legend_{i}", "tex", f"{LEGEND_NAMES[i - 1]} = "
                               f"{FUNCTIONS[k].tex}", legend, font_size=self.LABEL_SIZE,
                               color=c))
        if rng.random() < 0.6:
            xl, yl = pick(rng, AXIS_LABELS)
            objects.append(obj("x_label", "tex", xl, {"rel": "below", "of": "axes"},
                               font_size=self.LABEL_SIZE))
            objects.append(obj("y_label", "tex", yl, {"rel": "left", "of": "axes"},
                               font_size=self.LABEL_SIZE))
        return Draft(objects, givable=("axes",),
                     notes={"words": [FUNCTIONS[k].words for k in chosen]})

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "axes")
        graphs = [i for i in b.order if i.startswith("graph_")]
        legends = [i for i in b.order if i.startswith("legend_")]
        for g in graphs:
            b.create_dependent(g)
        for lab in legends:
            b.create(lab)
        rel = b.place(legends[0])["rel"]
        if len(legends) > 1:
            if rel == "above":
                b.arrange("legend", legends, "RIGHT", buff=0.8)
            else:
                b.arrange("legend", legends, "DOWN", buff=0.3, aligned_edge="LEFT")
            target = "legend"
        else:
            target = legends[0]
        b.next_to(target, "axes", SIDE[rel], buff=self.LEGEND_BUFF)
        b.play("axes", *graphs)
        b.play(*legends)
        if "x_label" in b.specs:
            for lab in ("x_label", "y_label"):
                b.create(lab)
                b.next_to(lab, "axes", SIDE[b.place(lab)["rel"]], buff=self.AXIS_LABEL_BUFF)
            b.play("x_label", "y_label")
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        legends = [x for x in objects if x.id.startswith("legend_")]
        graphs = [x for x in objects if x.id.startswith("graph_")]
        curves = [f"{lab.content} in {color_word(g.params.get('color'))}"
                  for lab, g in zip(legends, graphs, strict=True)]
        what = curves[0] if len(curves) == 1 else f"{curves[0]} and {curves[1]}"
        axes = o["axes"]
        if axes.given is not None:
            first = say(rng, (f"Using the axes already on screen, plot {what}",
                              f"The axes are given; draw {what} on them"))
        else:
            where = say_where(rng, axes.params["place"])
            first = say(rng, (f"Place axes {where} and plot {what}",
                              f"Draw a coordinate system {where} showing {what}",
                              f"Plot {what} on a set of axes {where}"))
        rel = say_rel(rng, legends[0].params["place"]["rel"])
        if len(legends) == 1:
            second = say(rng, (f"Write its equation {rel} the axes",
                               f"Put the label {legends[0].content} {rel} the axes"))
        else:
            stack = "side by side" if legends[0].params["place"]["rel"] == "above" else \
                "stacked, left-aligned"
            second = say(rng, (f"List both equations {rel} the axes, {stack}",
                               f"Add a legend with the two equations {rel} the axes ({stack})"))
        parts = [first, second]
        if "x_label" in o:
            xl, yl = o["x_label"].content, o["y_label"].content
            parts.append(say(rng, (f"Label the horizontal axis {xl} below the axes and the "
                                   f"vertical axis {yl} to their left",
                                   f"Put the axis label {xl} under the axes and {yl} left of "
                                   f"them")))
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        out = []
        legends = [x for x in objects if x.id.startswith("legend_")]
        for x in objects:
            if x.id.startswith("graph_"):
                out.append(Relation(x.id, "inside", "axes"))
        rel = legends[0].params["place"]["rel"]
        for lab in legends:
            out.append(Relation(lab.id, RELATION[rel], "axes"))
        if len(legends) == 2:
            out.append(Relation("legend_2", "right_of" if rel == "above" else "below",
                                "legend_1"))
        if any(x.id == "x_label" for x in objects):
            out += [Relation("x_label", "below", "axes"), Relation("y_label", "left_of", "axes")]
        return out

    def size_keys(self) -> Iterable[str]:
        for xr, yr, fns in PLOT_SETS:
            axes = _axes((xr, yr), self.LENGTH, None)
            yield object_key(axes)
            for k in fns:
                yield graph_key(axes, _graph("graph_1", FUNCTIONS[k], "BLUE"))
                for name in LEGEND_NAMES:
                    yield object_key(obj("l", "tex", f"{name} = {FUNCTIONS[k].tex}",
                                         font_size=self.LABEL_SIZE))
        for pair in AXIS_LABELS:
            for s in pair:
                yield object_key(obj("l", "tex", s, font_size=self.LABEL_SIZE))

    def valid(self, b: SceneBuilder) -> bool:
        return all(_graph_inside(b, g) for g in b.order if g.startswith("graph_"))


def _graph_inside(b: SceneBuilder, graph: str) -> bool:
    g, a = b.box(graph), b.box("axes")
    tol = 0.05
    return (g.xmin >= a.xmin - tol and g.xmax <= a.xmax + tol and g.ymin >= a.ymin - tol
            and g.ymax <= a.ymax + tol)
