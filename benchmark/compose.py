"""Write idiomatic Manim CE code for a task's objects: the shared object vocabulary.

How each ``ObjectSpec`` kind becomes a mobject (the params schema of every
suite that wants its tasks to be composable):

=============  ==========================================================================
kind           constructor and params
=============  ==========================================================================
tex            ``MathTex(content)``, or ``Tex(content)`` when it holds ``$`` math (text
               mode around it); ``font_size`` (48), ``color``
text           ``Text(content)`` (``line_spacing`` 1.25 when it has several lines), or
               ``Tex(content)`` when the content is LaTeX markup (a backslash, or
               balanced ``$`` math: what 3b1b's ``TexText`` holds); ``font_size`` (48),
               ``font`` (a family name, for ``Text``), ``color``
axes           ``Axes(x_range, y_range, x_length, y_length, tips=False)``
graph          ``AXES.plot(lambda x: content, x_range)``; ``axes`` (object id), ``color``
number_line    ``NumberLine(x_range, length, include_numbers)``
shape          ``content`` is the class: Circle, Square, Rectangle, Triangle, Dot, Ellipse,
               RegularPolygon, Star, RoundedRectangle, Line; ``radius``, ``side_length``,
               ``width``, ``height`` (a RegularPolygon's or Triangle's: stretched onto
               them), ``n``, ``length``, ``angle`` (a Line's, radians), ``color``,
               ``fill_opacity``
arrow          ``Arrow(FROM.get_side(), TO.get_side(), buff)``; ``from``, ``to`` (object
               ids), ``buff`` (0.1), ``color``
brace          ``Brace(TARGET, direction)``; ``target`` (object id), ``direction``
               (down/up/left/right)
matrix         ``Matrix(rows)``; ``rows`` (list of lists of LaTeX strings)
=============  ==========================================================================

Objects whose geometry follows others (graph, arrow, brace) are created after
them and never placed directly.  ``compose_scene`` writes a whole scene that
creates every object and places each free one at a given centre (optionally
scaled to a given width/height); baselines and models use it to turn a layout
into code.  ``writable`` splits a task's objects into those the vocabulary can
write and those it cannot (a kind without a constructor here — images,
characters, groups, ``other`` — params it cannot read, such as a graph without
an expression, or an anchor that is itself not writable).  With
``fit_dependents`` a layout's box for a dependent object is honoured too: it is
built on its anchors as usual, then stretched onto that box — an arrow is drawn
through the box instead, from its ``from`` side to its ``to`` side, so that its
tip keeps its shape (how ``oracle`` writes a reference layout that has no
reference code).
"""

from __future__ import annotations

import dataclasses
import keyword
import math
import re
from collections.abc import Mapping

from benchmark.core.tasks import Box, ObjectSpec, Task
from benchmark.placing import Placement, arrow_in_box, place_code, stretch_code

__all__ = ["DEPENDENT_KINDS", "SHAPES", "ComposeError", "Placement", "arrow_in_box",
           "arrow_sides", "compose_scene", "compose_writable", "create_expr", "dependencies",
           "is_latex_markup", "place_code", "py_names", "stretch_code", "writable"]

DEPENDENT_KINDS = ("graph", "arrow", "brace")
SHAPES = ("Circle", "Square", "Rectangle", "Triangle", "Dot", "Ellipse", "RegularPolygon",
          "Star", "RoundedRectangle", "Line")
_DIRECTIONS = {"down": "DOWN", "up": "UP", "left": "LEFT", "right": "RIGHT"}
_EXPR_OK = re.compile(r"^[0-9a-z_.+\-*/() ]+$")
_NP_NAMES = {"sin", "cos", "tan", "exp", "sqrt", "log", "abs", "pi", "e", "arctan", "tanh"}
_COLOR_OK = re.compile(r"^(#[0-9A-Fa-f]{6}|[A-Z][A-Z_]*)$")
# Regular shapes sized by a radius; ``width`` and ``height`` stretch one onto a box.
_SIZED_BY_RADIUS = ("RegularPolygon", "Triangle")
_FONT_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


class ComposeError(ValueError):
    """An object spec that cannot be written as code (bad params or references)."""


def py_names(objects: list[ObjectSpec]) -> dict[str, str]:
    """A distinct Python identifier per object id."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for o in objects:
        base = re.sub(r"\W", "_", o.id).strip("_").lower() or "obj"
        if base[0].isdigit() or keyword.iskeyword(base) or base in {"self", "np"}:
            base = f"obj_{base}"
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[o.id] = name
    return out


def _num(v: object, what: str) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ComposeError(f"{what}: expected a finite number, got {v!r}")
    return repr(round(float(v), 6))


def _nums(v: object, n: int | tuple[int, ...], what: str) -> str:
    counts = (n,) if isinstance(n, int) else n
    if not isinstance(v, list | tuple) or len(v) not in counts:
        raise ComposeError(f"{what}: expected a list of {n} numbers, got {v!r}")
    return "[" + ", ".join(_num(x, what) for x in v) + "]"


def _color(params: Mapping[str, object]) -> str:
    c = params.get("color")
    if c is None:
        return ""
    if not isinstance(c, str) or not _COLOR_OK.match(c):
        raise ComposeError(f"color: expected a manim colour name or #RRGGBB, got {c!r}")
    return f", color={c}" if not c.startswith("#") else f', color="{c}"'


def _expr(content: str) -> str:
    """A function of ``x`` in numpy terms (``np.sin(x)``): what ``from manim import *`` has."""
    words = re.findall(r"(np\.)?([a-z_][a-z_0-9]*)", content)
    if not _EXPR_OK.match(content) or not all(
            (name in _NP_NAMES) if prefix else name in ("x", "np") for prefix, name in words):
        raise ComposeError(f"graph: unsupported function expression {content!r} (a function "
                           "of x with numpy functions, e.g. np.sin(x) + x**2)")
    return content


def dependencies(spec: ObjectSpec) -> list[str]:
    p = spec.params
    if spec.kind == "graph":
        return [str(p.get("axes", ""))]
    if spec.kind == "arrow":
        return [str(p.get("from", "")), str(p.get("to", ""))]
    if spec.kind == "brace":
        return [str(p.get("target", ""))]
    return []


def arrow_sides(a: Box, b: Box) -> tuple[str, str]:
    """Which sides an arrow from ``a`` to ``b`` joins: horizontal unless mostly vertical."""
    dx = b.center[0] - a.center[0]
    dy = b.center[1] - a.center[1]
    if abs(dx) >= abs(dy):
        return ("right", "left") if dx >= 0 else ("left", "right")
    return ("top", "bottom") if dy >= 0 else ("bottom", "top")


_NOT_IN_CE_TEMPLATE = ("\\ding",)
# Lines of a multi-line Text as far apart as ManimGL sets them (Manim CE's default is
# tighter: a two-line 3b1b text came out 0.71 of its height).
TEXT_LINE_SPACING = 1.25


def _math_dollars(content: str) -> bool:
    """An even, non-zero number of unescaped ``$``: inline math in text-mode LaTeX."""
    dollars = content.count("$") - content.count("\\$")
    return dollars > 0 and dollars % 2 == 0


def _font(v: object) -> str:
    if not isinstance(v, str) or not _FONT_OK.match(v):
        raise ComposeError(f"font: expected a font family name, got {v!r}")
    return v


def is_latex_markup(content: str) -> bool:
    """Whether a text's content is LaTeX source (typeset in text mode by ``Tex``): it has a
    backslash (a command or a ``\\\\`` line break) or an even, non-zero number of ``$``,
    and no command of a package Manim CE's default template lacks (pifont's ``\\ding``,
    in ManimGL's template), which would fail the whole scene."""
    if any(cmd in content for cmd in _NOT_IN_CE_TEMPLATE):
        return False
    return "\\" in content or _math_dollars(content)


def create_expr(spec: ObjectSpec, names: Mapping[str, str],
                sides: tuple[str, str] = ("right", "left")) -> str:
    """A Python expression creating ``spec``'s mobject (dependencies by variable name)."""
    p = spec.params
    col = _color(p)

    def ref(key: str) -> str:
        target = str(p.get(key, ""))
        if target not in names:
            raise ComposeError(f"{spec.id}: params.{key} names no object ({target!r})")
        return names[target]

    if spec.kind in ("tex", "text"):
        if spec.kind == "tex":
            cls = "Tex" if _math_dollars(spec.content) else "MathTex"
        else:
            cls = "Tex" if is_latex_markup(spec.content) else "Text"
        fs = f", font_size={_num(p['font_size'], 'font_size')}" if "font_size" in p else ""
        if cls == "Text" and "font" in p:
            fs += f", font={_font(p['font'])!r}"
        if cls == "Text" and "\n" in spec.content:
            fs += f", line_spacing={TEXT_LINE_SPACING}"
        return f"{cls}({spec.content!r}{fs}{col})"
    if spec.kind == "axes":
        return (f"Axes(x_range={_nums(p.get('x_range', [-3, 3, 1]), (2, 3), 'x_range')}, "
                f"y_range={_nums(p.get('y_range', [-2, 2, 1]), (2, 3), 'y_range')}, "
                f"x_length={_num(p.get('x_length', 6), 'x_length')}, "
                f"y_length={_num(p.get('y_length', 4), 'y_length')}, tips=False)")
    if spec.kind == "graph":
        xr = f", x_range={_nums(p['x_range'], (2, 3), 'x_range')}" if "x_range" in p else ""
        return f"{ref('axes')}.plot(lambda x: {_expr(spec.content)}{xr}{col})"
    if spec.kind == "number_line":
        inc = ", include_numbers=True" if p.get("include_numbers") else ""
        return (f"NumberLine(x_range={_nums(p.get('x_range', [-5, 5, 1]), (2, 3), 'x_range')}, "
                f"length={_num(p.get('length', 8), 'length')}{inc})")
    if spec.kind == "shape":
        if spec.content not in SHAPES:
            raise ComposeError(f"{spec.id}: unknown shape {spec.content!r}")
        args, stretch = [], ""
        for key in ("radius", "side_length", "width", "height", "length", "fill_opacity"):
            if key in p:
                args.append(f"{key}={_num(p[key], key)}")
        if spec.content in _SIZED_BY_RADIUS and "width" in p and "height" in p:
            args = [a for a in args if not a.startswith(("width=", "height="))]
            stretch = (f".stretch_to_fit_width({_num(p['width'], 'width')})"
                       f".stretch_to_fit_height({_num(p['height'], 'height')})")
        if spec.content == "RegularPolygon":
            args.insert(0, f"n={int(_num(p.get('n', 6), 'n').split('.')[0])}")
        if spec.content == "Line":
            length = float(p.get("length", 2))
            args = [f"LEFT * {length / 2!r}", f"RIGHT * {length / 2!r}"]
            if "angle" in p:
                return (f"Line({', '.join(args)}{col})"
                        f".rotate({_num(p['angle'], 'angle')})")
        return f"{spec.content}({', '.join(args)}{col}){stretch}".replace("(, ", "(")
    if spec.kind == "arrow":
        buff = _num(p.get("buff", 0.1), "buff")
        return (f"Arrow({ref('from')}.get_{sides[0]}(), {ref('to')}.get_{sides[1]}(), "
                f"buff={buff}{col})")
    if spec.kind == "brace":
        d = _DIRECTIONS.get(str(p.get("direction", "down")))
        if d is None:
            raise ComposeError(f"{spec.id}: brace direction must be one of "
                               f"{', '.join(_DIRECTIONS)}")
        return f"Brace({ref('target')}, direction={d}{col})"
    if spec.kind == "matrix":
        rows = p.get("rows")
        if (not isinstance(rows, list) or not rows
                or not all(isinstance(r, list) and r for r in rows)):
            raise ComposeError(f"{spec.id}: matrix needs params.rows, a list of lists")
        body = ", ".join("[" + ", ".join(repr(str(c)) for c in r) + "]" for r in rows)
        return f"Matrix([{body}]{col})"
    raise ComposeError(f"{spec.id}: cannot compose kind {spec.kind!r}")


def _order(objects: list[ObjectSpec]) -> list[ObjectSpec]:
    """Dependencies first, otherwise the task's order."""
    ids = {o.id for o in objects}
    for o in objects:
        for d in dependencies(o):
            if d not in ids:
                raise ComposeError(f"{o.id}: params names no object ({d!r})")
    done: set[str] = set()
    out: list[ObjectSpec] = []
    pending = list(objects)
    while pending:
        progressed = False
        for o in list(pending):
            if all(d in done for d in dependencies(o)):
                out.append(o)
                done.add(o.id)
                pending.remove(o)
                progressed = True
        if not progressed:
            raise ComposeError(f"{pending[0].id}: circular dependency between objects")
    return out


def writable(task: Task) -> tuple[list[ObjectSpec], list[str]]:
    """The objects ``compose_scene`` can write (in task order), and the ids of the rest:
    a kind or params the vocabulary cannot write, or an anchor that is not writable."""
    names = py_names(task.objects)
    ok: dict[str, ObjectSpec] = {}
    bad: set[str] = set()
    pending = list(task.objects)
    while pending:
        progressed = False
        for o in list(pending):
            deps = dependencies(o)
            if any(d in bad or d not in names for d in deps):
                bad.add(o.id)
            elif all(d in ok for d in deps):
                try:
                    create_expr(o, {k: names[k] for k in (*ok, o.id)})
                    ok[o.id] = o
                except ComposeError:
                    bad.add(o.id)
            else:
                continue
            pending.remove(o)
            progressed = True
        if not progressed:  # a cycle of dependencies
            bad.update(o.id for o in pending)
            break
    return ([o for o in task.objects if o.id in ok],
            [o.id for o in task.objects if o.id in bad])


def _place(name: str, kind: str, pl: Placement, stretch: bool = False) -> str:
    if stretch:
        code = stretch_code(name, pl)
    else:
        code = place_code(name, Placement(pl.cx, pl.cy) if kind in DEPENDENT_KINDS else pl)
    return "\n".join("        " + s for s in code)


def compose_scene(task: Task, placements: Mapping[str, Placement],
                  class_name: str = "GeneratedScene", fit_dependents: bool = False) -> str:
    """A complete scene placing every free object; ``given`` objects go to their boxes.

    With ``fit_dependents``, a graph, arrow or brace that has a placement with a size
    (or a given box) is stretched onto it after it is built on its anchors."""
    names = py_names(task.objects)
    lines = ["from manim import *", "", "", f"class {class_name}(Scene):",
             "    def construct(self):"]
    boxes: dict[str, Box] = {}
    for o in task.objects:
        pl = placements.get(o.id)
        if o.given is not None:
            boxes[o.id] = o.given
        elif pl is not None and pl.width is not None and pl.height is not None:
            boxes[o.id] = Box.from_center(pl.cx, pl.cy, pl.width, pl.height)
        elif pl is not None:
            boxes[o.id] = Box.from_center(pl.cx, pl.cy, 0.0, 0.0)
    for o in _order(task.objects):
        name = names[o.id]
        sides = ("right", "left")
        if o.kind == "arrow":
            a, b = (boxes.get(str(o.params.get(k, ""))) for k in ("from", "to"))
            if a is not None and b is not None:
                sides = arrow_sides(a, b)
        expr = create_expr(o, names, sides)
        if o.kind in DEPENDENT_KINDS:
            pl = Placement.of_box(o.given) if o.given is not None else placements.get(o.id)
            fit = fit_dependents and pl is not None and pl.width is not None
            if fit and o.kind == "arrow":
                a, b = (boxes.get(str(o.params.get(k, ""))) for k in ("from", "to"))
                lines.append(f"        {name} = {arrow_in_box(pl, a, b, _color(o.params))}")
                continue
            lines.append(f"        {name} = {expr}")
            if fit:
                lines.append(_place(name, o.kind, pl, stretch=True))
            continue
        lines.append(f"        {name} = {expr}")
        if o.given is not None:
            lines.append(_place(name, o.kind, Placement.of_box(o.given)))
        elif o.id in placements:
            lines.append(_place(name, o.kind, placements[o.id]))
    lines.append(f"        self.add({', '.join(names[o.id] for o in task.objects)})")
    return "\n".join(lines) + "\n"


def compose_writable(task: Task, placements: Mapping[str, Placement],
                     fit_dependents: bool = False) -> tuple[str, list[str]]:
    """``compose_scene`` over the objects the vocabulary can write, and the ids of those it
    leaves out (a 3b1b image or character, what hangs on one): they are not drawn, so they
    score as misses.  A task with nothing writable gets an empty scene, as the composed
    ``oracle`` does; other errors (a dependency cycle) are a ``ComposeError``."""
    try:
        return compose_scene(task, placements, fit_dependents=fit_dependents), []
    except ComposeError:
        ok, unwritable = writable(task)
        if not unwritable:
            raise
        return (compose_scene(dataclasses.replace(task, objects=ok), placements,
                              fit_dependents=fit_dependents), unwritable)
