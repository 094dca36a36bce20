"""Algebra families: a matrix times a vector, points on a number line."""

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
    obj,
    pick,
    pick_offset,
    place_anchor,
)
from benchmark.suites.synthetic._geometry import SceneBuilder
from benchmark.suites.synthetic._prompts import (
    article,
    color_word,
    join_list,
    say,
    say_where,
    sentences,
)
from benchmark.suites.synthetic._sizes import n2p_key, object_key

__all__ = ["MatrixVector", "NumberLinePoints"]

Rows = list[list[str]]


def _rows(m: Sequence[Sequence[Any]]) -> Rows:
    return [[str(x) for x in r] for r in m]


def _product(m: Sequence[Sequence[int]], v: Sequence[int]) -> Rows:
    return [[str(sum(a * b for a, b in zip(r, v, strict=True)))] for r in m]


_NUMERIC = (
    (((1, 2), (3, 4)), (1, 2)), (((2, 0), (0, 3)), (2, 1)), (((1, -1), (2, 1)), (3, -1)),
    (((0, 1), (1, 0)), (1, 5)), (((3, 1), (1, 2)), (-1, 2)), (((2, 5), (1, 3)), (2, 3)),
    (((1, 0), (0, -1)), (4, 2)), (((4, 1), (2, 3)), (1, -2)),
    (((1, 0, 2), (0, 1, 1), (1, 1, 0)), (1, 1, 1)),
    (((2, 1, 0), (1, 3, 1), (0, 1, 2)), (1, 0, 2)),
    (((1, 2, 3), (0, 1, 4), (5, 6, 0)), (2, 1, 1)),
    (((1, 0, 0), (0, 2, 0), (0, 0, 3)), (1, 2, 3)),
    (((2, 1), (1, 1)), (3, 1)), (((1, 3), (2, 0)), (1, 1)), (((5, 2), (0, 1)), (1, 3)),
    (((0, -1), (1, 0)), (2, 3)), (((1, 1, 0), (0, 1, 1), (1, 0, 1)), (2, 1, 3)),
    (((3, 0, 1), (1, 2, 0), (0, 1, 1)), (1, 1, 2)),
)
PRODUCTS: tuple[tuple[Rows, Rows, Rows], ...] = (
    *((_rows(m), _rows([[x] for x in v]), _product(m, v)) for m, v in _NUMERIC),
    ([["a", "b"], ["c", "d"]], [["x"], ["y"]], [["ax + by"], ["cx + dy"]]),
    ([["\\cos\\theta", "-\\sin\\theta"], ["\\sin\\theta", "\\cos\\theta"]], [["1"], ["0"]],
     [["\\cos\\theta"], ["\\sin\\theta"]]),
)
NAMES = (("A", r"\mathbf{x}", r"\mathbf{b}"), ("M", r"\vec{v}", r"\vec{w}"))
PARTS = ("matrix", "vector", "result")


def _content(rows: Rows) -> str:
    return " ".join(c for r in rows for c in r)


def _matrix(oid: str, rows: Rows, place: dict | None) -> ObjectSpec:
    return obj(oid, "matrix", _content(rows), place, rows=rows)


class MatrixVector(Family):
    """``A x = b`` written out: matrix, vector, equals sign, result; maybe named."""

    name = "matrix_vector"
    scene_class = "MatrixVector"
    GAP = 0.3
    LABEL_SIZE = 40
    LABEL_BUFF = 0.3

    def draft(self, rng: random.Random) -> Draft:
        m, v, r = pick(rng, PRODUCTS)
        where = pick_offset(rng, (-2, -1, 0, 0, 1, 2), (-2, -1, 0, 0, 1, 2))
        objects = [_matrix("matrix", m, where),
                   _matrix("vector", v, {"after": "matrix"}),
                   obj("equals", "tex", "=", {"after": "vector"}),
                   _matrix("result", r, {"after": "equals"})]
        if rng.random() < 0.5:
            names = pick(rng, NAMES)
            side = pick(rng, ("below", "below", "above"))
            for part, name in zip(PARTS, names, strict=True):
                objects.append(obj(f"{part}_name", "tex", name, {"rel": side, "of": part},
                                   font_size=self.LABEL_SIZE))
        return Draft(objects, givable=("matrix",))

    def build(self, b: SceneBuilder) -> None:
        row = ["matrix", "vector", "equals", "result"]
        for x in row:
            b.create(x)
        if b.spec("matrix").given is not None:
            b.given("matrix")
            for prev, cur in pairwise(row):
                b.next_to(cur, prev, "RIGHT", buff=self.GAP)
            b.group("product", row)
        else:
            b.arrange("product", row, "RIGHT", buff=self.GAP)
            apply_where(b, "product", b.place("matrix"))
        b.play("product")
        names = [f"{p}_name" for p in PARTS if f"{p}_name" in b.specs]
        for n in names:
            b.create(n)
            place = b.place(n)
            b.next_to(n, place["of"], "DOWN" if place["rel"] == "below" else "UP",
                      buff=self.LABEL_BUFF)
        if names:
            b.play(*names)
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}

        def show(x: ObjectSpec) -> str:
            rows = x.params["rows"]
            return "[" + "; ".join(", ".join(r) for r in rows) + "]"

        product = (f"the matrix {show(o['matrix'])} times the vector {show(o['vector'])} "
                   f"equals {show(o['result'])}")
        if o["matrix"].given is not None:
            first = say(rng, (f"The matrix is already placed. To its right, complete the "
                              f"product: {product}",
                              f"Continue from the given matrix, left to right in one row: "
                              f"{product}"))
        else:
            where = say_where(rng, o["matrix"].params["place"])
            first = say(rng, (f"Write, in one row centred {where}, {product}",
                              f"{where}, show {product}, left to right",
                              f"Lay out {product} as a single line centred {where}"))
        parts = [first]
        names = [o[f"{p}_name"] for p in PARTS if f"{p}_name" in o]
        if names:
            side = names[0].params["place"]["rel"]
            parts.append(say(rng, (f"Name them {join_list([n.content for n in names])}, each "
                                   f"{side} its part",
                                   f"Write {names[0].content}, {names[1].content} and "
                                   f"{names[2].content} {side} the matrix, the vector and the "
                                   "result")))
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        row = ["matrix", "vector", "equals", "result"]
        out = [Relation(b, "right_of", a) for a, b in pairwise(row)]
        out += [Relation(b, "aligned_y", a) for a, b in pairwise(row)]
        for x in objects:
            if x.id.endswith("_name"):
                out.append(Relation(x.id, x.params["place"]["rel"], x.params["place"]["of"]))
        return out

    def size_keys(self) -> Iterable[str]:
        yield object_key(obj("e", "tex", "="))
        for m, v, r in PRODUCTS:
            for rows in (m, v, r):
                yield object_key(_matrix("m", rows, None))
        for names in NAMES:
            for n in names:
                yield object_key(obj("n", "tex", n, font_size=self.LABEL_SIZE))


LINES: tuple[dict[str, Any], ...] = (
    {"x_range": [-5, 5, 1], "length": 10, "include_numbers": True},
    {"x_range": [0, 10, 1], "length": 10, "include_numbers": True},
    {"x_range": [-3, 3, 1], "length": 9, "include_numbers": True},
    {"x_range": [-4, 4, 1], "length": 8},
)
POINT_NAMES = (("A", "B", "C", "D"), ("P", "Q", "R", "S"), ("x_1", "x_2", "x_3", "x_4"))
DOT_COLOURS = ("RED", "YELLOW", "GREEN", "BLUE", "ORANGE", "PINK")


def _value_tex(v: float) -> str:
    return f"{v:g}"


def _values(line: dict[str, Any]) -> list[float]:
    lo, hi = line["x_range"][:2]
    return [lo + k / 2 for k in range(1, int((hi - lo) * 2))]


class NumberLinePoints(Family):
    """A number line with coloured dots at stated values, each labelled."""

    name = "number_line_points"
    scene_class = "NumberLinePoints"
    overlaps = (("dot_", "line"),)
    LABEL_SIZE = 36
    LABEL_BUFF = 0.2
    MIN_GAP = 0.9  # scene units between neighbouring points

    def draft(self, rng: random.Random) -> Draft:
        k = rng.randrange(len(LINES))
        line = LINES[k]
        unit = line["length"] / (line["x_range"][1] - line["x_range"][0])
        n = rng.randint(1, 4)
        values: list[float] = []
        candidates = _values(line)
        rng.shuffle(candidates)
        for v in candidates:
            if all(abs(v - w) * unit >= self.MIN_GAP for w in values):
                values.append(v)
            if len(values) == n:
                break
        values.sort()
        naming = rng.randrange(len(POINT_NAMES) + 1)
        side = "above" if line.get("include_numbers") else pick(rng, ("above", "below"))
        objects = [obj("line", "number_line", "", pick_offset(rng, (0,), (-2, -1, 0, 0, 1)),
                       **line)]
        colours = rng.sample(DOT_COLOURS, len(values))
        for i, (v, c) in enumerate(zip(values, colours, strict=True), 1):
            objects.append(obj(f"dot_{i}", "shape", "Dot", {"value": v, "on": "line"},
                               color=c))
        for i, v in enumerate(values, 1):
            text = _value_tex(v) if naming == len(POINT_NAMES) else POINT_NAMES[naming][i - 1]
            objects.append(obj(f"label_{i}", "tex", text, {"rel": side, "of": f"dot_{i}"},
                               font_size=self.LABEL_SIZE))
        return Draft(objects, givable=("line",))

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "line")
        b.play("line")
        dots = [i for i in b.order if i.startswith("dot_")]
        labels = [i for i in b.order if i.startswith("label_")]
        for d in dots:
            b.create(d)
            b.move_to(d, b.n2p("line", float(b.place(d)["value"])))
        b.play(*dots)
        for lab in labels:
            b.create(lab)
            place = b.place(lab)
            b.next_to(lab, place["of"], "UP" if place["rel"] == "above" else "DOWN",
                      buff=self.LABEL_BUFF)
        b.play(*labels)
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        line = o["line"]
        lo, hi = line.params["x_range"][:2]
        nums = "with numbers" if line.params.get("include_numbers") else "without numbers"
        if line.given is not None:
            first = f"A number line from {lo} to {hi} is already drawn"
        else:
            where = say_where(rng, line.params["place"])
            first = say(rng, (f"Draw a number line from {lo} to {hi}, {line.params['length']} "
                              f"units long and {nums}, {where}",
                              f"{where}, place a number line {line.params['length']} units "
                              f"long running from {lo} to {hi} ({nums})"))
        dots = [x for x in objects if x.id.startswith("dot_")]
        labels = [x for x in objects if x.id.startswith("label_")]
        marks = [f"{d.params['place']['value']:g} with "
                 f"{article(color_word(d.params['color']))} dot labelled {lab.content}"
                 for d, lab in zip(dots, labels, strict=True)]
        side = labels[0].params["place"]["rel"]
        second = say(rng, (f"Mark {join_list(marks)}", f"On it, mark {join_list(marks)}"))
        third = say(rng, (f"Each label goes just {side} its dot",
                          f"Put every label {side} its point"))
        return sentences(first, second, third)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        out = []
        dots = [x.id for x in objects if x.id.startswith("dot_")]
        for x in objects:
            if x.id.startswith("dot_"):
                out.append(Relation(x.id, "inside", "line"))
            if x.id.startswith("label_"):
                out.append(Relation(x.id, x.params["place"]["rel"], x.params["place"]["of"]))
        out += [Relation(b, "right_of", a) for a, b in pairwise(dots)]
        return out

    def size_keys(self) -> Iterable[str]:
        yield object_key(obj("d", "shape", "Dot"))
        for line in LINES:
            spec = obj("line", "number_line", "", **line)
            yield object_key(spec)
            yield n2p_key(spec)
            for v in _values(line):
                yield object_key(obj("l", "tex", _value_tex(v), font_size=self.LABEL_SIZE))
        for names in POINT_NAMES:
            for n in names:
                yield object_key(obj("l", "tex", n, font_size=self.LABEL_SIZE))
