"""Text-first families: title and bullets, equation chain, brace annotation."""

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
    place_title,
)
from benchmark.suites.synthetic._geometry import SceneBuilder
from benchmark.suites.synthetic._prompts import say, say_where, sentences
from benchmark.suites.synthetic._sizes import brace_key, object_key

__all__ = ["BraceAnnotation", "EquationChain", "TitleAndBullets"]

TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Newton's laws", ("Inertia keeps motion steady", "Force equals mass times acceleration",
                       "Every action has a reaction", "Forces add as vectors",
                       "Mass resists acceleration")),
    ("Derivatives", ("Slope of the tangent line", "Rate of change", "Power rule",
                     "Product rule", "Chain rule", "Linear approximation")),
    ("Vectors", ("Magnitude and direction", "Addition tip to tail", "Scaling by a number",
                 "Dot product", "Unit vectors")),
    ("Prime numbers", ("Divisible only by one and itself", "Two is the only even prime",
                       "There are infinitely many", "Every integer factors uniquely",
                       "Gaps grow on average")),
    ("Probability", ("Outcomes and events", "Values between zero and one",
                     "Independent events multiply", "Expected value",
                     "Conditional probability")),
    ("Linear algebra", ("Matrices act on vectors", "Determinants measure area",
                        "Eigenvectors keep direction", "Bases span the space",
                        "Rank counts dimensions")),
    ("Integrals", ("Area under a curve", "Riemann sums", "Antiderivatives",
                   "The fundamental theorem", "Substitution")),
    ("Complex numbers", ("Real and imaginary parts", "The unit circle", "Euler's formula",
                         "Multiplication rotates", "Conjugates reflect")),
    ("Sequences", ("Arithmetic progressions", "Geometric progressions", "Limits",
                   "Convergence tests", "Recursive definitions")),
    ("Energy", ("Kinetic energy", "Potential energy", "Energy is conserved",
                "Work transfers energy", "Power is energy per second")),
)
BULLET = "• "


class TitleAndBullets(Family):
    """A title and a left-aligned bulleted list below it (or centred in the frame)."""

    name = "title_and_bullets"
    scene_class = "TitleAndBullets"
    TITLE_SIZE = 44
    ITEM_SIZE = 30
    ITEM_BUFF = 0.35
    LIST_BUFF = 0.6

    def draft(self, rng: random.Random) -> Draft:
        title, items = pick(rng, TOPICS)
        n = rng.randint(2, len(items))
        chosen = sorted(rng.sample(range(len(items)), n))
        where = pick(rng, ({"edge": "UP"}, {"edge": "UP"}, {"corner": "UL"}))
        mode = pick(rng, ("left", "centred", "middle"))
        objects = [obj("title", "text", title, where, font_size=self.TITLE_SIZE)]
        for i, k in enumerate(chosen, 1):
            place = {"list": mode, "of": "title"} if i == 1 else {"after": f"item_{i - 1}"}
            objects.append(obj(f"item_{i}", "text", BULLET + items[k], place,
                               font_size=self.ITEM_SIZE))
        return Draft(objects, givable=("title",))

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "title")
        items = [i for i in b.order if i.startswith("item_")]
        for i in items:
            b.create(i)
        b.arrange("items", items, "DOWN", buff=self.ITEM_BUFF, aligned_edge="LEFT")
        mode = b.place(items[0])["list"]
        if mode == "left":
            b.next_to("items", "title", "DOWN", buff=self.LIST_BUFF, aligned_edge="LEFT")
        elif mode == "centred":
            b.next_to("items", "title", "DOWN", buff=self.LIST_BUFF)
        else:
            b.move_to("items", b.at(0, 0))
        b.play("title")
        b.play("items")
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        title = objects[0]
        items = [o.content.removeprefix(BULLET) for o in objects[1:]]
        listed = "; ".join(f'"{s}"' for s in items)
        if title.given is not None:
            first = say(rng, (f'The title "{title.content}" is already placed',
                              f'Keep the existing title "{title.content}" where it is'))
        else:
            where = say_where(rng, title.params["place"])
            first = say(rng, (f'Put the title "{title.content}" {where}',
                              f'{where}, write the title "{title.content}"',
                              f'Show the heading "{title.content}" {where}'))
        mode = objects[1].params["place"]["list"]
        how = {"left": ("below the title, left-aligned with it",
                        "under the title, sharing its left edge"),
               "centred": ("centred below the title", "below the title, centred under it"),
               "middle": ("in the middle of the frame", "centred on the screen")}[mode]
        second = say(rng, (f"List {len(items)} bullet points {say(rng, how)}, one per line, "
                           f"left-aligned: {listed}",
                           f"Add a left-aligned bulleted list {say(rng, how)}: {listed}"))
        return sentences(first, second)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        items = [o.id for o in objects[1:]]
        mode = objects[1].params["place"]["list"]
        out = []
        if mode != "middle":
            out += [Relation(i, "below", "title") for i in items]
        out += [Relation(b, "below", a) for a, b in pairwise(items)]
        return out

    def size_keys(self) -> Iterable[str]:
        for title, items in TOPICS:
            yield object_key(obj("t", "text", title, font_size=self.TITLE_SIZE))
            for s in items:
                yield object_key(obj("i", "text", BULLET + s, font_size=self.ITEM_SIZE))


CHAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Expanding a square", ("(a+b)^2", "= (a+b)(a+b)", "= a^2 + ab + ba + b^2",
                            "= a^2 + 2ab + b^2")),
    ("Difference of squares", ("a^2 - b^2", "= a^2 - ab + ab - b^2", "= a(a-b) + b(a-b)",
                               "= (a+b)(a-b)")),
    ("Solving a linear equation", ("3x + 5 = 20", "3x = 15", "x = 5")),
    ("Completing the square", ("x^2 + 6x + 5", "= x^2 + 6x + 9 - 4", "= (x+3)^2 - 4")),
    ("A derivative", (r"\frac{d}{dx} x^3", "= 3x^{3-1}", "= 3x^2")),
    ("An integral", (r"\int_0^2 x\,dx", r"= \left[\frac{x^2}{2}\right]_0^2",
                     r"= \frac{4}{2} - 0", "= 2")),
    ("Logarithm rules", (r"\log(100x)", r"= \log 100 + \log x", r"= 2 + \log x")),
    ("Exponent rules", ("2^3 \\cdot 2^4", "= 2^{3+4}", "= 2^7", "= 128")),
    ("A geometric sum", ("S = 1 + r + r^2", "rS = r + r^2 + r^3", "S - rS = 1 - r^3",
                         r"S = \frac{1 - r^3}{1 - r}")),
    ("Simplifying a fraction", (r"\frac{x^2 - 1}{x - 1}", r"= \frac{(x-1)(x+1)}{x-1}",
                                "= x + 1")),
    ("Quadratic roots", ("x^2 - 5x + 6 = 0", "(x-2)(x-3) = 0", "x = 2", "x = 3")),
    ("Chain rule", (r"\frac{d}{dx}\sin(x^2)", r"= \cos(x^2) \cdot \frac{d}{dx} x^2",
                    r"= 2x\cos(x^2)")),
    ("Distributing", ("3(x + 4)", r"= 3x + 3 \cdot 4", "= 3x + 12")),
    ("Adding fractions", (r"\frac{1}{2} + \frac{1}{3}", r"= \frac{3}{6} + \frac{2}{6}",
                          r"= \frac{5}{6}")),
    ("A power of a product", ("(2x)^3", "= 2^3 x^3", "= 8x^3")),
    ("Solving for y", ("2y - 4 = 10", "2y = 14", "y = 7")),
    ("Cube of a sum", ("(a+b)^3", "= (a+b)(a+b)^2", "= (a+b)(a^2 + 2ab + b^2)",
                       "= a^3 + 3a^2b + 3ab^2 + b^3")),
    ("Product rule", (r"\frac{d}{dx}(x e^x)", r"= 1 \cdot e^x + x e^x", "= (1 + x)e^x")),
    ("A telescoping sum", (r"\sum_{k=1}^{n} \frac{1}{k(k+1)}",
                           r"= \sum_{k=1}^{n} \left(\frac{1}{k} - \frac{1}{k+1}\right)",
                           r"= 1 - \frac{1}{n+1}")),
    ("Rationalising", (r"\frac{1}{\sqrt{2}}", r"= \frac{\sqrt{2}}{\sqrt{2}\sqrt{2}}",
                       r"= \frac{\sqrt{2}}{2}")),
)


class EquationChain(Family):
    """Several equations stacked and left-aligned, maybe under a title."""

    name = "equation_chain"
    scene_class = "EquationChain"
    LINE_SIZE = 40
    TITLE_SIZE = 40
    LINE_BUFF = 0.3
    TITLE_BUFF = 0.6

    def draft(self, rng: random.Random) -> Draft:
        title, lines = pick(rng, CHAINS)
        n = rng.randint(2, len(lines))
        with_title = rng.random() < 0.5
        if with_title and rng.random() < 0.6:
            where: dict = {"rel": "below", "of": "title"}
        else:
            where = pick(rng, ({"at": "center"}, {"edge": "LEFT"}, {"corner": "UL"},
                               pick_offset(rng, (-3, -2, 0, 2), (-1, 0, 1))))
        objects = []
        for i, line in enumerate(lines[:n], 1):
            place = where if i == 1 else {"after": f"line_{i - 1}"}
            objects.append(obj(f"line_{i}", "tex", line, place, font_size=self.LINE_SIZE))
        if with_title:
            objects.append(obj("title", "text", title,
                               pick(rng, ({"edge": "UP"}, {"corner": "UL"})),
                               font_size=self.TITLE_SIZE))
        return Draft(objects, givable=("title",) if with_title else ())

    def build(self, b: SceneBuilder) -> None:
        lines = [i for i in b.order if i.startswith("line_")]
        if "title" in b.specs:
            place_anchor(b, "title")
        for i in lines:
            b.create(i)
        b.arrange("chain", lines, "DOWN", buff=self.LINE_BUFF, aligned_edge="LEFT")
        where = b.place(lines[0])
        if where.get("rel") == "below":
            b.next_to("chain", "title", "DOWN", buff=self.TITLE_BUFF)
        else:
            apply_where(b, "chain", where)
        b.play(*lines)
        if "title" in b.specs:
            b.play("title")
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        lines = [o for o in objects if o.id.startswith("line_")]
        chain = "; ".join(o.content for o in lines)
        where = lines[0].params["place"]
        if where.get("rel") == "below":
            at = say(rng, ("below the title", "under the title", "beneath the heading"))
        else:
            at = say_where(rng, where)
        first = say(rng, (f"Write the {len(lines)} steps {chain} as left-aligned lines, one "
                          f"under another, {at}",
                          f"{at}, stack these equations with their left edges aligned: "
                          f"{chain}",
                          f"Show a chain of {len(lines)} left-aligned equations {at}: {chain}"))
        parts = [first]
        title = next((o for o in objects if o.id == "title"), None)
        if title is not None:
            if title.given is not None:
                parts.append(f'The title "{title.content}" is already in place')
            else:
                parts.append(say(rng, (f'Title it "{title.content}" '
                                       f'{say_where(rng, title.params["place"])}',
                                       f'Put the title "{title.content}" '
                                       f'{say_where(rng, title.params["place"])}')))
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        lines = [o.id for o in objects if o.id.startswith("line_")]
        out = [Relation(b, "below", a) for a, b in pairwise(lines)]
        if objects[0].params["place"].get("rel") == "below":
            out.append(Relation(lines[0], "below", "title"))
        return out

    def size_keys(self) -> Iterable[str]:
        for title, lines in CHAINS:
            yield object_key(obj("t", "text", title, font_size=self.TITLE_SIZE))
            for s in lines:
                yield object_key(obj("l", "tex", s, font_size=self.LINE_SIZE))


FORMULAS: tuple[tuple[str, str, str], ...] = (
    ("E = mc^2", "mass-energy equivalence", "rest energy"),
    ("a^2 + b^2 = c^2", "Pythagorean theorem", "right triangles only"),
    (r"e^{i\pi} + 1 = 0", "Euler's identity", "five constants"),
    ("F = ma", "Newton's second law", "force and acceleration"),
    (r"\int_0^1 x^2\,dx = \frac{1}{3}", "area under a parabola", "a definite integral"),
    (r"A = \pi r^2", "area of a circle", "grows with the square"),
    (r"\sum_{k=1}^{n} k = \frac{n(n+1)}{2}", "sum of the first n integers", "Gauss's trick"),
    (r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}", "quadratic formula", "two roots"),
    (r"\frac{d}{dx} e^x = e^x", "its own derivative", "exponential growth"),
    (r"V - E + F = 2", "Euler's formula for polyhedra", "a topological invariant"),
    (r"\sin^2\theta + \cos^2\theta = 1", "Pythagorean identity", "the unit circle"),
    ("PV = nRT", "ideal gas law", "pressure and volume"),
    (r"\nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0}", "Gauss's law",
     "charge makes fields"),
    ("p = mv", "momentum", "mass times velocity"),
    (r"c^2 = a^2 + b^2 - 2ab\cos C", "law of cosines", "any triangle"),
    (r"\binom{n}{k} = \frac{n!}{k!(n-k)!}", "binomial coefficient", "ways to choose"),
)
BRACE_SIDE = {"down": "DOWN", "up": "UP"}


class BraceAnnotation(Family):
    """An equation with a brace under (or over) it and a label; maybe a second brace."""

    name = "brace_annotation"
    scene_class = "BraceAnnotation"
    overlaps = (("brace", "equation"),)
    EQ_SIZE = 48
    LABEL_SIZE = 30
    TITLE_SIZE = 40
    LABEL_BUFF = 0.2

    def draft(self, rng: random.Random) -> Draft:
        k = rng.randrange(len(FORMULAS))
        eq, first, second = FORMULAS[k]
        side = pick(rng, ("down", "down", "up"))
        objects = [obj("equation", "tex", eq,
                       pick_offset(rng, (-2, -1, 0, 0, 1, 2), (-2, -1, 0, 0, 1, 2)),
                       font_size=self.EQ_SIZE),
                   obj("brace", "brace", "", target="equation", direction=side),
                   obj("label", "text", first, {"rel": side, "of": "brace"},
                       font_size=self.LABEL_SIZE)]
        if rng.random() < 0.35:
            other = "up" if side == "down" else "down"
            objects += [obj("brace_2", "brace", "", target="equation", direction=other),
                        obj("label_2", "text", second, {"rel": other, "of": "brace_2"},
                            font_size=self.LABEL_SIZE)]
        if rng.random() < 0.3:
            objects.append(obj("title", "text", "Famous formulas", {"edge": "UP"},
                               font_size=self.TITLE_SIZE))
        return Draft(objects, givable=("equation",))

    def build(self, b: SceneBuilder) -> None:
        place_anchor(b, "equation")
        b.play("equation")
        for brace, label in (("brace", "label"), ("brace_2", "label_2")):
            if brace not in b.specs:
                continue
            b.create_dependent(brace)
            b.create(label)
            b.next_to(label, brace, BRACE_SIDE[b.place(label)["rel"]], buff=self.LABEL_BUFF)
            b.play(brace, label)
        place_title(b)
        b.wait()

    def prompt(self, rng: random.Random, objects: Sequence[ObjectSpec],
               notes: dict[str, Any]) -> str:
        o = {x.id: x for x in objects}
        eq = o["equation"]
        if eq.given is not None:
            first = f"The equation {eq.content} is already on screen"
        else:
            where = say_where(rng, eq.params["place"])
            first = say(rng, (f"Write {eq.content} {where}", f"Show the equation {eq.content} "
                              f"{where}", f"{where}, display {eq.content}"))
        parts = [first]
        for brace, label in (("brace", "label"), ("brace_2", "label_2")):
            if brace not in o:
                continue
            side = o[brace].params["direction"]
            under = say(rng, ("under", "below", "beneath")) if side == "down" else \
                say(rng, ("over", "above", "on top of"))
            text = o[label].content
            parts.append(say(rng, (f'Put a brace {under} it labelled "{text}"',
                                   f'Add a brace {under} the equation with the words "{text}" '
                                   f"{'below' if side == 'down' else 'above'} the brace",
                                   f'Annotate it with a brace {under} it and the label '
                                   f'"{text}"')))
        if "title" in o:
            parts.append(f'Add the heading "{o["title"].content}" '
                         f'{say_where(rng, o["title"].params["place"])}')
        return sentences(*parts)

    def relations(self, objects: Sequence[ObjectSpec]) -> list[Relation]:
        out = []
        o = {x.id: x for x in objects}
        for brace, label in (("brace", "label"), ("brace_2", "label_2")):
            if brace in o:
                rel = "below" if o[brace].params["direction"] == "down" else "above"
                out += [Relation(brace, rel, "equation"), Relation(label, rel, brace)]
        return out

    def size_keys(self) -> Iterable[str]:
        yield object_key(obj("t", "text", "Famous formulas", font_size=self.TITLE_SIZE))
        for eq, first, second in FORMULAS:
            target = obj("equation", "tex", eq, font_size=self.EQ_SIZE)
            yield object_key(target)
            for side in BRACE_SIDE:
                yield brace_key(target, obj("b", "brace", "", target="equation",
                                            direction=side))
            for s in (first, second):
                yield object_key(obj("l", "text", s, font_size=self.LABEL_SIZE))
