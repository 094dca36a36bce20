"""``template``: rule-based placement from the object kinds and the task's relations.

The seed plan's fallback.  It reads the objects and relations — never the
reference — and writes idiomatic Manim CE code:

1. every object is created at its natural size; ``given`` objects go to their boxes, and
   objects whose params state an absolute place (``params["place"]``, the facts the
   prompt states in words: an edge, a corner, the centre or an offset) go there with
   ``to_edge``/``to_corner``/``move_to``;
2. objects ``inside`` another are centred on it (shrunk to fit); graphs and braces are
   created on their anchors and move with them (a *unit*, see ``baselines._plan``);
3. units joined by relations form trees (see ``baselines._plan``): every subtree goes
   ``next_to`` its parent on the side its relation names, pushed further out past
   siblings already there, so related objects sit next to each other and never on top
   of each other; a tree rooted at a given object grows around it, one rooted at a
   placed object is moved as a whole to that place;
4. title-like texts go to the top, then everything else is moved (and shrunk only if
   it does not fit) into the roomiest part of the frame not covered by what is
   already placed; arrows are drawn last between the facing sides of their ends.
   On a context task that states no relations (some objects given, as in the
   3b1b suite) the free objects are instead placed one by one next to what is
   already on screen (``baselines._context``).
"""

from __future__ import annotations

import math
from typing import ClassVar

from baselines._context import place_in_context
from baselines._helpers import HELPERS, helper_source
from baselines._plan import Cluster, Plan, plan_layout
from benchmark.compose import (
    ComposeError,
    Placement,
    create_expr,
    dependencies,
    place_code,
    py_names,
)
from benchmark.core.submission import Generation, Submission
from benchmark.core.tasks import Box, ObjectSpec, Task

__all__ = ["SceneWriter", "Template", "write_scene"]

INDENT = " " * 8


class Template(Submission):
    name = "template"
    args_help: ClassVar[dict[str, str]] = {
        "buff": "gap between related objects, in scene units (default 0.25)"}

    def generate(self, task: Task) -> Generation:
        buff = self.float_arg("buff", 0.25)
        return Generation(code=write_scene(task, buff), meta={"buff": buff})


class SceneWriter:
    """Accumulates the body of ``construct`` and the helpers it needs."""

    def __init__(self, task: Task, plan: Plan, buff: float) -> None:
        self.task, self.plan, self.buff = task, plan, buff
        reserved = set(HELPERS) | {"config", "np", "parts"}
        self.names: dict[str, str] = {}
        for oid, name in py_names(task.objects).items():
            while name in reserved or name in self.names.values():
                name += "_obj"  # never shadow a helper the scene calls
            self.names[oid] = name
        self.used_names = set(self.names.values()) | reserved
        self.helpers: set[str] = set()
        self.lines: list[str] = []
        self.unit_expr: dict[str, str] = {}

    def fresh(self, base: str) -> str:
        name, n = base, 2
        while name in self.used_names:
            name, n = f"{base}_{n}", n + 1
        self.used_names.add(name)
        return name

    def emit(self, line: str = "") -> None:
        self.lines.append(INDENT + line if line else "")

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    # -- objects --------------------------------------------------------------------------

    def create(self, spec: ObjectSpec) -> None:
        try:
            expr = create_expr(spec, self.names)
        except ComposeError:
            expr = f"Text({(spec.content.strip() or spec.id)[:40]!r})"
        self.emit(f"{self.names[spec.id]} = {expr}")

    def place_given(self, spec: ObjectSpec, box: Box) -> None:
        for line in place_code(self.names[spec.id], Placement.of_box(box)):
            self.emit(line)

    def arrow(self, spec: ObjectSpec) -> None:
        """``arrow_between`` with the keyword arguments the shared vocabulary writes."""
        name = self.names[spec.id]
        if not all(str(spec.params.get(k)) in self.names for k in ("from", "to")):
            self.create(spec)  # an arrow that joins no stated objects
            return
        expr = create_expr(spec, self.names)
        a, b = (self.names[str(spec.params[k])] for k in ("from", "to"))
        prefix = f"Arrow({a}.get_right(), {b}.get_left(), "
        if expr.startswith(prefix):
            expr = f"{self.helper('arrow_between')}({a}, {b}, " + expr[len(prefix):]
        self.emit(f"{name} = {expr}")

    # -- units and trees ------------------------------------------------------------------

    def define_units(self) -> None:
        for owner, members in self.plan.units.items():
            if len(members) == 1:
                self.unit_expr[owner] = self.names[owner]
                continue
            var = self.fresh(f"{self.names[owner]}_group")
            self.emit(f"{var} = VGroup({', '.join(self.names[m] for m in members)})")
            self.unit_expr[owner] = var

    def fill_inside(self) -> None:
        """Centre each container's contents on it, innermost containers first."""
        inside = self.plan.inside

        def depth(oid: str) -> int:
            return 1 + depth(inside[oid]) if oid in inside else 0

        def subtree(oid: str) -> list[str]:
            out = [oid]
            for o in self.task.objects:
                if inside.get(o.id) == oid:
                    out += subtree(o.id)
            return out

        containers = sorted(dict.fromkeys(inside[o.id] for o in self.task.objects
                                          if o.id in inside), key=depth, reverse=True)
        for c in containers:
            direct = [o.id for o in self.task.objects if inside.get(o.id) == c]
            if self.task.object(c).kind == "number_line":
                for oid in list(direct):
                    value = _value(self.task.object(oid))
                    if value is not None:
                        self.emit(f"{self.names[oid]}.move_to({self.names[c]}.n2p({value!r}))")
                        direct.remove(oid)
            if not direct:
                continue
            parts = []
            for oid in direct:
                tree = subtree(oid)
                parts.append(self.names[oid] if len(tree) == 1
                             else f"VGroup({', '.join(self.names[t] for t in tree)})")
            group = parts[0] if len(parts) == 1 else (
                f"VGroup({', '.join(parts)}).arrange(DOWN, buff={self.buff / 2:.2f})")
            self.emit(f"{self.helper('fit_inside')}({group}, {self.names[c]})")

    def tree(self, c: Cluster, unit: str, avoid: tuple[str, ...] = ()
             ) -> tuple[str, list[str]]:
        """Place ``unit``'s subtrees beside it (clear of ``avoid`` too); return the whole
        and the direct subtrees."""
        subs: list[str] = []
        for child, direction in c.children(unit):
            sub, _ = self.tree(c, child)
            edge = ", aligned_edge=LEFT" if (direction in ("UP", "DOWN") and self.is_line(unit)
                                            and self.is_line(child)) else ""
            gap = self.gap(unit, child)
            align = f", align={self.unit_expr[child]}" if (
                sub != self.unit_expr[child] and child in self.plan.aligned.get(unit, ())) else ""
            self.emit(f"{self.helper('beside')}({sub}, {self.unit_expr[unit]}, {direction}, "
                      f"[{', '.join([*avoid, *subs])}], buff={gap}{align}{edge})")
            subs.append(sub)
        if not subs:
            return self.unit_expr[unit], []
        var = self.fresh(f"{self.names[unit]}_tree")
        self.emit(f"{var} = VGroup({', '.join([self.unit_expr[unit], *subs])})")
        return var, subs

    def gap(self, a: str, b: str) -> str:
        """Room between two related units: more for an arrow, less beside a label, and
        less than none for two shapes that share what is inside both (a Venn overlap)."""
        if any({a, b} <= set(cs) for cs in self.plan.shared.values()):
            return f"-0.4 * min({self.names[a]}.width, {self.names[b]}.width)"
        if self.arrow_between(a, b):
            return f"{max(0.7, 3 * self.buff):.2f}"
        if any(self.task.object(u).kind in ("text", "tex") for u in (a, b)):
            return f"{self.buff:.2f}"
        return f"{2 * self.buff:.2f}"

    def arrow_between(self, a: str, b: str) -> bool:
        """Whether an arrow joins units ``a`` and ``b`` (they then need room for it)."""
        ends = {a, b}
        return any(o.kind == "arrow" and {self.plan.unit_of.get(str(o.params.get(k)))
                                          for k in ("from", "to")} == ends
                   for o in self.task.objects)

    def is_line(self, unit: str) -> bool:
        """A unit that is one line of text: lists and chains of them are left-aligned."""
        members = self.plan.units[unit]
        return len(members) == 1 and self.task.object(unit).kind in ("text", "tex")


def _value(spec: ObjectSpec) -> float | None:
    """The number an object marks on a number line, when its params state one."""
    place = spec.params.get("place")
    for v in (place.get("value") if isinstance(place, dict) else None,
              spec.params.get("value")):
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
    return None


def _creation_order(specs: list[ObjectSpec]) -> list[ObjectSpec]:
    done = {o.id for o in specs if not dependencies(o)}
    out = [o for o in specs if not dependencies(o)]
    pending = [o for o in specs if dependencies(o)]
    while pending:
        ready = [o for o in pending if all(d in done for d in dependencies(o))]
        if not ready:  # a dependency on something missing: let create_expr say so
            ready = pending[:1]
        for o in ready:
            out.append(o)
            done.add(o.id)
            pending.remove(o)
    return out


def write_scene(task: Task, buff: float = 0.25, class_name: str = "GeneratedScene") -> str:
    """The template's Manim CE scene for ``task``."""
    plan = plan_layout(task)
    w = SceneWriter(task, plan, buff)
    order = _creation_order(task.objects)
    late_ids = {x for x, *_ in plan.late}
    in_units = [o for o in order
                if o.id in plan.unit_of or o.id in late_ids or o.id in plan.shared]
    early = [o for o in in_units if o.kind not in ("graph", "brace", "arrow")]
    attached = [o for o in in_units if o.kind in ("graph", "brace")]

    for o in early:
        w.create(o)
    for o in early:
        if o.given is not None:
            w.place_given(o, o.given)
    w.fill_inside()
    for o in attached:
        w.create(o)
    for oid, direction, member in plan.satellites:
        w.emit(f"{w.names[oid]}.next_to({w.names[member]}, {direction}, buff={buff:.2f})")
    w.define_units()

    obstacles: list[str] = []
    for c in plan.clusters:
        if c.anchor is not None:
            obstacles += _place_anchored(w, c, obstacles)
    free = [c for c in plan.clusters if c.anchor is None]
    if task.given_ids and not task.relations:
        place_in_context(w, free, obstacles)
    else:
        _place_free(w, free, obstacles)

    for o in order:
        if o.kind == "arrow" and o.id not in plan.unit_of:
            w.arrow(o)
        elif o not in in_units:
            w.create(o)
    for oid, containers in plan.shared.items():
        group = ", ".join(w.names[c] for c in containers)
        w.emit(f"{w.names[oid]}.move_to(VGroup({group}))")
    for oid, direction, arrow in plan.late:
        n = w.names[oid]
        w.emit(f"{n}.next_to({w.names[arrow]}, {direction}, buff=0.15)")
        w.emit(f"{w.helper('keep_in_frame')}({n})")

    def z(o: ObjectSpec) -> tuple[int, int]:
        d, x = 1 if o.id in plan.shared else 0, o.id
        while x in plan.inside:
            d, x = d + 1, plan.inside[x]
        return (2 if o.kind == "arrow" else 1 if d else 0, d)

    drawn = sorted(task.objects, key=z)
    w.emit(f"self.add({', '.join(w.names[o.id] for o in drawn)})")
    head = "from manim import *\n\n\n" + helper_source(w.helpers)
    return (f"{head}class {class_name}(Scene):\n    def construct(self):\n"
            + "\n".join(w.lines) + "\n")


def _place_anchored(w: SceneWriter, c: Cluster, obstacles: list[str]) -> list[str]:
    """Lay out a cluster around its given or placed anchor; return the new obstacles."""
    assert c.anchor is not None
    if c.anchor in w.plan.pins:
        tree, _ = w.tree(c, c.anchor)
        pinned = [w.names[o] for o in c.pinned]
        ref = pinned[0] if len(pinned) == 1 else w.fresh("pinned")
        if len(pinned) > 1:
            w.emit(f"{ref} = VGroup({', '.join(pinned)})")
        w.emit(f"{tree}.shift({ref}.copy().{w.plan.pins[c.anchor]}.get_center() "
               f"- {ref}.get_center())")
        w.emit(f"{w.helper('keep_in_frame')}({tree})")
        return [tree]
    given = [w.unit_expr[x.anchor] for x in w.plan.clusters
             if x.anchor is not None and x.anchor not in w.plan.pins]
    tree, subs = w.tree(c, c.anchor, tuple(dict.fromkeys([*given, *obstacles])))
    for sub in subs:  # the given anchor stays; what hangs off it must stay in the frame
        w.emit(f"{w.helper('keep_in_frame')}({sub})")
    return [w.unit_expr[c.anchor], *subs]


def _place_free(w: SceneWriter, free: list[Cluster], obstacles: list[str]) -> None:
    """Titles to the top, then the rest into the roomiest clear part of the frame."""
    for c in (c for c in free if c.title):
        tree, _ = w.tree(c, c.root)
        w.emit(f"{w.helper('clear_spot')}({tree}, [{', '.join(obstacles)}], "
               "toward=UP * config.frame_y_radius)")
        obstacles.append(tree)
    rest = [w.tree(c, c.root)[0] for c in free if not c.title]
    if not rest:
        return
    whole = rest[0]
    if len(rest) > 1:
        whole = w.fresh("layout")
        cols = len(rest) if len(rest) <= 3 else math.ceil(math.sqrt(len(rest)))
        w.emit(f"{whole} = VGroup({', '.join(rest)}).arrange_in_grid("
               f"cols={cols}, buff={max(0.8, 2 * w.buff):.2f})")
    w.emit(f"{w.helper('clear_spot')}({whole}, [{', '.join(obstacles)}])")
