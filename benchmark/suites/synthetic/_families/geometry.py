"""Shape families: labelled triangle, a row of labelled shapes, a Venn diagram."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from benchmark.core.tasks import Box, ObjectSpec, Relation
from benchmark.suites.synthetic._family import (
    Draft,
    Family,
    apply_where,
    inside,
    obj,
    pick,
    pick_offset,
    place_anchor,
    place_title,
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
from benchmark.suites.synthetic._sizes import object_key

__all__ = ["LabelledTriangle", "ShapesRow", "Venn"]

COLOURS = ("BLUE", "RED", "GREEN", "YELLOW", "TEAL", "ORANGE", "PURPLE")
LETTERS = (("A", "B", "C"), ("P", "Q", "R"), ("X", "Y", "Z"), ("K", "L", "M"),
           ("D", "E", "F"))
VERTEX = {"top": ("UP", "UP"), "left": ("DL", "DL"), "right": ("DR", "DR")}
VERTEX_WORDS = {"top": ("the top vertex", "the apex"),
                "left": ("the bottom-left vertex", "the lower-left corner"),
                "right": ("the bottom-right vertex", "the lower-right corner")}
CAPTIONS = ("An equilateral triangle", "Triangle", "Three equal sides", "All angles are 60°")


class LabelledTriangle(Family):
    """A triangle with its vertices labelled, maybe a side label and a caption."""

    name = "labelled_triangle"
    scene_class = "LabelledTriangle"
    overlaps = ()
    LABEL_SIZE = 40
    CAPTION_SIZE = 30
    VERTEX_BUFF = 0.15
    SIDE_BUFF = 0.3
    CAPTION_BUFF = 0.8

    def draft(self, rng: random.Random) -> Draft:
        letters = pick(rng, LETTERS)
        corners = ["top", "left", "right"]
        if rng.random() < 0.5:
            rng.shuffle(corners)
        objects = [obj("triangle", "shape", "Triangle",
                       pick_offset(rng, (-3, -2, 0, 0, 2, 3), (-1, 0, 0)),
                       radius=pick(rng, (1.5, 2.0)), color=pick(rng, COLOURS))]
        for i, (letter, corner) in enumerate(zip(letters, corners, strict=True), 1):
            objects.append(obj(f"vertex_{i}", "tex", letter, {"vertex": corner},
                               font_size=self.LABEL_SIZE))
        if rng.random() < 0.5:
            top = letters[corners.index("top")]
            objects.append(obj("side", "tex", top.lower(), {"side": "bottom"},
                               font_size=self.LABEL_SIZE))
        if rng.random() < 0.4:
            objects.append(obj("caption", "text", pick(rng, CAPTIONS),
                               {"rel": pick(rng, ("left", "right", "below"))},
                               font_size=self.CAPTION_SIZE))
        return Draft(objects, givable=("triangle",))

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "triangle")
        labels = [i for i in b.order if i.startswith("vertex_")]
        for i in labels:
            b.create(i)
            corner, direction = VERTEX[b.place(i)["vertex"]]
            b.next_to(i, b.corner_of("triangle", corner), direction, buff=self.VERTEX_BUFF)
        b.play("triangle")
        b.play(*labels)
        if "side" in b.specs:
            b.create("side")
            b.next_to("side", "triangle", "DOWN", buff=self.SIDE_BUFF)
            b.play("side")
        if "caption" in b.specs:
            b.create("caption")
            rel = b.place("caption")["rel"]
            b.next_to("caption", "triangle", {"left": "LEFT", "right": "RIGHT",
                                              "below": "DOWN"}[rel], buff=self.CAPTION_BUFF)
            b.play("caption")
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        tri = o["triangle"]
        colour = color_word(tri.params.get("color"))
        size = f"radius {tri.params['radius']:g}"
        if tri.given is not None:
            first = f"{article(colour)} triangle is already drawn"
        else:
            where = say_where(rng, tri.params["place"])
            first = say(rng, (f"Draw {article(colour)} equilateral triangle ({size}) {where}",
                              f"{where}, draw an equilateral triangle of {size} in {colour}",
                              f"Place {article(colour)} triangle with {size} {where}"))
        names = [f"{say(rng, VERTEX_WORDS[x.params['place']['vertex']])} {x.content}"
                 for x in objects if x.id.startswith("vertex_")]
        parts = [first, say(rng, (f"Label {join_list(names)}",
                                  f"Name the corners: {join_list(names)}"))]
        if "side" in o:
            parts.append(say(rng, (f"Write {o['side'].content} under the base",
                                   f"Label the bottom side {o['side'].content}, below it")))
        if "caption" in o:
            rel = o["caption"].params["place"]["rel"]
            side = {"left": "to the left of", "right": "to the right of", "below": "below"}[rel]
            parts.append(say(rng, (f'Add the caption "{o["caption"].content}" {side} the '
                                   f"triangle",
                                   f'{side} the triangle, write "{o["caption"].content}"')))
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        out = []
        rel = {"top": "above", "left": "left_of", "right": "right_of"}
        for x in objects:
            if x.id.startswith("vertex_"):
                out.append(Relation(x.id, rel[x.params["place"]["vertex"]], "triangle"))
            elif x.id == "side":
                out.append(Relation("side", "below", "triangle"))
            elif x.id == "caption":
                r = x.params["place"]["rel"]
                out.append(Relation("caption", {"left": "left_of", "right": "right_of",
                                                "below": "below"}[r], "triangle"))
        return out

    def size_keys(self) -> Iterable[str]:
        for r in (1.5, 2.0):
            yield object_key(obj("t", "shape", "Triangle", radius=r))
        for letters in LETTERS:
            for s in letters:
                yield object_key(obj("v", "tex", s, font_size=self.LABEL_SIZE))
                yield object_key(obj("v", "tex", s.lower(), font_size=self.LABEL_SIZE))
        for c in CAPTIONS:
            yield object_key(obj("c", "text", c, font_size=self.CAPTION_SIZE))


# (class, params, name)
SHAPES: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("Circle", {"radius": 0.7}, "Circle"),
    ("Square", {"side_length": 1.4}, "Square"),
    ("Triangle", {"radius": 0.85}, "Triangle"),
    ("RegularPolygon", {"n": 5, "radius": 0.8}, "Pentagon"),
    ("RegularPolygon", {"n": 6, "radius": 0.8}, "Hexagon"),
    ("Ellipse", {"width": 1.8, "height": 1.0}, "Ellipse"),
    ("Rectangle", {"width": 1.8, "height": 1.0}, "Rectangle"),
)


def _shape_name(spec: ObjectSpec) -> str:
    for cls, params, name in SHAPES:
        if cls == spec.content and all(spec.params.get(k) == v for k, v in params.items()):
            return name
    return spec.content


class ShapesRow(Family):
    """A row of shapes, evenly spaced, each named below (or above) it."""

    name = "shapes_row"
    scene_class = "ShapesRow"
    GAP = 0.8
    NAME_SIZE = 28
    NAME_BUFF = 0.3
    TITLE_SIZE = 40

    def draft(self, rng: random.Random) -> Draft:
        n = rng.randint(2, 5)
        chosen = rng.sample(range(len(SHAPES)), n)
        colours = rng.sample(COLOURS, n)
        row = pick_offset(rng, (0, 0, -1, 1), (-1, 0, 0, 1))
        named = rng.random() < 0.75
        side = pick(rng, ("below", "below", "above"))
        objects = []
        for i, (k, c) in enumerate(zip(chosen, colours, strict=True), 1):
            cls, params, _ = SHAPES[k]
            place = row if i == 1 else {"after": f"shape_{i - 1}"}
            objects.append(obj(f"shape_{i}", "shape", cls, place, **params, color=c))
        if named:
            for i, k in enumerate(chosen, 1):
                objects.append(obj(f"name_{i}", "text", SHAPES[k][2],
                                   {"rel": side, "of": f"shape_{i}"}, font_size=self.NAME_SIZE))
        if len(objects) < 10 and rng.random() < 0.25:
            objects.append(obj("title", "text", "Shapes", {"edge": "UP"},
                               font_size=self.TITLE_SIZE))
        return Draft(objects)

    def build(self, b: SceneBuilder) -> None:
        shapes = [i for i in b.order if i.startswith("shape_")]
        for s in shapes:
            b.create(s)
        b.arrange("row", shapes, "RIGHT", buff=self.GAP)
        apply_where(b, "row", b.place(shapes[0]))
        b.play("row")
        names = [i for i in b.order if i.startswith("name_")]
        for n in names:
            b.create(n)
            place = b.place(n)
            b.next_to(n, place["of"], "DOWN" if place["rel"] == "below" else "UP",
                      buff=self.NAME_BUFF)
        if names:
            b.play(*names)
        place_title(b)
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        shapes = [o for o in objects if o.id.startswith("shape_")]
        names = {o.params["place"]["of"]: o for o in objects if o.id.startswith("name_")}
        desc = [article(f"{color_word(s.params.get('color'))} {_shape_name(s).lower()}")
                for s in shapes]
        where = say_where(rng, shapes[0].params["place"])
        parts = [say(rng, (f"Line up {join_list(desc)} from left to right, evenly spaced and "
                           f"centred {where}",
                           f"{where}, show a row of {len(shapes)} shapes: {join_list(desc)}",
                           f"Arrange {join_list(desc)} in a horizontal row {where}"))]
        if names:
            side = next(iter(names.values())).params["place"]["rel"]
            parts.append(say(rng, (f"Name each shape {side} it",
                                   f"Write each shape's name {side} the shape")))
        title = next((o for o in objects if o.id == "title"), None)
        if title is not None:
            parts.append(f'Add the title "{title.content}" '
                         f'{say_where(rng, title.params["place"])}')
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        shapes = [o.id for o in objects if o.id.startswith("shape_")]
        out = [Relation(b, "right_of", a) for a, b in pairwise(shapes)]
        out += [Relation(b, "aligned_y", a) for a, b in pairwise(shapes)]
        for o in objects:
            if o.id.startswith("name_"):
                out.append(Relation(o.id, o.params["place"]["rel"], o.params["place"]["of"]))
        return out

    def size_keys(self) -> Iterable[str]:
        yield object_key(obj("t", "text", "Shapes", font_size=self.TITLE_SIZE))
        for cls, params, name in SHAPES:
            yield object_key(obj("s", "shape", cls, **params))
            yield object_key(obj("n", "text", name, font_size=self.NAME_SIZE))


SETS: tuple[tuple[str, str, str], ...] = (
    ("Mammals", "Fliers", "Bats"), ("Even", "Prime", "2"), ("Squares", "Rhombi", "Squares"),
    ("Cats", "Dogs", "Pets"), ("Physics", "Maths", "Both"), ("Land", "Water", "Frogs"),
    ("Red", "Blue", "Purple"), ("Vowels", "First half", "A E I"),
    ("Odd", "Square", "1, 9"), ("Fruit", "Red things", "Apples"),
    ("Integers", "Positive", "1, 2, 3"), ("Music", "Maths", "Rhythm"),
)
VENN_COLOURS = (("BLUE", "RED"), ("GREEN", "YELLOW"), ("TEAL", "ORANGE"), ("PURPLE", "GOLD"))


class Venn(Family):
    """Two overlapping circles, their names, and what they share in the middle."""

    name = "venn_diagram"
    scene_class = "VennDiagram"
    overlaps = (("set_", "set_"), ("both", "set_"))
    SPREAD = 0.6  # each centre sits this many radii from the diagram's centre
    NAME_SIZE = 32
    BOTH_SIZE = 24
    TITLE_SIZE = 40
    NAME_BUFF = 0.2

    def draft(self, rng: random.Random) -> Draft:
        a, b, both = pick(rng, SETS)
        r = pick(rng, (1.5, 2.0))
        ca, cb = pick(rng, VENN_COLOURS)
        where = pick_offset(rng, (-2, 0, 0, 2), (-1, 0, 0))
        side = pick(rng, ("above", "above", "below", "outside"))
        objects = [obj("set_a", "shape", "Circle", where, radius=r, color=ca,
                       fill_opacity=0.3),
                   obj("set_b", "shape", "Circle", {"after": "set_a"}, radius=r, color=cb,
                       fill_opacity=0.3),
                   obj("name_a", "text", a, {"rel": side, "of": "set_a"},
                       font_size=self.NAME_SIZE),
                   obj("name_b", "text", b, {"rel": side, "of": "set_b"},
                       font_size=self.NAME_SIZE)]
        if rng.random() < 0.6:
            objects.append(obj("both", "text", both, {"inside": ["set_a", "set_b"]},
                               font_size=self.BOTH_SIZE))
        if rng.random() < 0.3:
            objects.append(obj("title", "text", "Venn diagram", {"edge": "UP"},
                               font_size=self.TITLE_SIZE))
        return Draft(objects, givable=("set_a", "set_b"))

    def build(self, b: SceneBuilder) -> None:
        b.create("set_a")
        b.create("set_b")
        if b.spec("set_a").given is not None:
            b.given("set_a")
            b.given("set_b")
        else:
            r = float(b.spec("set_a").params["radius"])
            b.shift("set_a", -self.SPREAD * r, 0)
            b.shift("set_b", self.SPREAD * r, 0)
            b.group("venn", ["set_a", "set_b"])
            apply_where(b, "venn", b.place("set_a"))
        b.play("set_a", "set_b")
        for name, circle in (("name_a", "set_a"), ("name_b", "set_b")):
            b.create(name)
            rel = b.place(name)["rel"]
            direction = {"above": "UP", "below": "DOWN"}.get(
                rel, "LEFT" if circle == "set_a" else "RIGHT")
            b.next_to(name, circle, direction, buff=self.NAME_BUFF)
        b.play("name_a", "name_b")
        if "both" in b.specs:
            b.create("both")
            if "venn" not in b.groups:
                b.group("venn", ["set_a", "set_b"])
            b.move_to("both", "venn")
            b.play("both")
        place_title(b)
        b.wait()

    def valid(self, b: SceneBuilder) -> bool:
        if "both" not in b.specs:
            return True
        a, c = b.box("set_a"), b.box("set_b")
        lens = Box(c.xmin, max(a.ymin, c.ymin), a.xmax, min(a.ymax, c.ymax))
        return inside(b.box("both"), lens, margin=0.05)

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        sa, sb = o["set_a"], o["set_b"]
        na, nb = o["name_a"].content, o["name_b"].content
        colours = f"{color_word(sa.params['color'])} and {color_word(sb.params['color'])}"
        r = f"{sa.params['radius']:g}"
        if sa.given is not None:
            first = say(rng, (f"The two circles of a Venn diagram are already drawn; the left "
                              f"one is {na}, the right one {nb}",
                              f"Two overlapping circles are given: {na} on the left and {nb} "
                              f"on the right"))
        else:
            where = say_where(rng, sa.params["place"])
            first = say(rng, (f"Draw a Venn diagram {where}: two overlapping {colours} circles "
                              f"of radius {r}, {na} on the left and {nb} on the right",
                              f"{where}, make a Venn diagram of {na} (left) and {nb} (right) "
                              f"with two translucent circles of radius {r}, {colours}"))
        side = o["name_a"].params["place"]["rel"]
        how = {"above": "above its circle", "below": "below its circle",
               "outside": "on the outer side of its circle"}[side]
        parts = [first, say(rng, (f"Write each set's name {how}",
                                  f"Label the sets {na} and {nb}, each {how}"))]
        if "both" in o:
            parts.append(say(rng, (f'Put "{o["both"].content}" in the overlap',
                                   f'In the middle, where they overlap, write '
                                   f'"{o["both"].content}"')))
        if "title" in o:
            parts.append(f'Title it "{o["title"].content}" '
                         f'{say_where(rng, o["title"].params["place"])}')
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        o = {x.id: x for x in objects}
        out = [Relation("set_b", "aligned_y", "set_a")]  # they overlap: not wholly right_of
        side = o["name_a"].params["place"]["rel"]
        if side == "outside":
            out += [Relation("name_a", "left_of", "set_a"), Relation("name_b", "right_of",
                                                                    "set_b")]
        else:
            out += [Relation("name_a", side, "set_a"), Relation("name_b", side, "set_b")]
        if "both" in o:
            out += [Relation("both", "inside", "set_a"), Relation("both", "inside", "set_b")]
        return out

    def size_keys(self) -> Iterable[str]:
        yield object_key(obj("t", "text", "Venn diagram", font_size=self.TITLE_SIZE))
        for r in (1.5, 2.0):
            yield object_key(obj("c", "shape", "Circle", radius=r))
        for a, b, both in SETS:
            yield object_key(obj("n", "text", a, font_size=self.NAME_SIZE))
            yield object_key(obj("n", "text", b, font_size=self.NAME_SIZE))
            yield object_key(obj("n", "text", both, font_size=self.BOTH_SIZE))
