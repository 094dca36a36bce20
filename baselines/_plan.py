"""The template's static plan: units, and trees of units read from the relations.

A *unit* is one free-standing object together with what moves with it: the
graphs plotted on it, its braces and the objects placed ``inside`` it.  Units
joined by relations form a *cluster*, walked breadth-first from its root into a
tree: each unit hangs off one already placed unit (preferring the most recently
placed one it is related to, so a list continues from its last item) in the
direction its relation names (``below``: DOWN, ``left_of``: LEFT, ``aligned_x``:
DOWN, ``aligned_y`` and ``next_to``: RIGHT).  The scene places every subtree
beside its parent, pushed past whatever of the parent's subtree is already there,
so nothing lands on anything else.  A cluster whose root is ``given``, or states an
absolute place (``params["place"]``: ``{"edge": "UP"}``, ``{"corner": "UL"}``,
``{"at": "center"}`` or ``{"at": [dx, dy]}``, as the prompt says in words), is
anchored there.  An object placed beside a *member* of another unit (a label under
a brace, above a dot on a number line) is a satellite: it goes ``next_to`` that
member and joins the unit.  Arrows join units but never position them; an object
related only to an arrow is placed beside the arrow once it exists.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from benchmark.core.tasks import Task

__all__ = ["Cluster", "Plan", "pin", "plan_layout"]

# Manim direction of ``a`` from ``b`` for a relation ``(a, rel, b)`` in a tree.
DIRECTIONS = {"left_of": "LEFT", "right_of": "RIGHT", "above": "UP", "below": "DOWN",
              "aligned_x": "DOWN", "aligned_y": "RIGHT", "next_to": "RIGHT"}
OPPOSITE = {"LEFT": "RIGHT", "RIGHT": "LEFT", "UP": "DOWN", "DOWN": "UP"}
TITLE_WORDS = ("title", "heading", "header")
# Manim direction of ``a`` from ``b`` for a relation ``(a, rel, b)`` placed with ``next_to``.
SIDES = {"left_of": "LEFT", "right_of": "RIGHT", "above": "UP", "below": "DOWN",
         "next_to": "RIGHT"}
EDGES = ("UP", "DOWN", "LEFT", "RIGHT")
CORNERS = ("UL", "UR", "DL", "DR")


@dataclass
class Cluster:
    """Units joined by relations, as a tree; ``anchor`` is a given or placed root."""

    root: str
    order: list[str]  # units in walk order, root first
    parent: dict[str, tuple[str, str]] = field(default_factory=dict)  # unit -> (parent, DIR)
    anchor: str | None = None
    title: bool = False
    #: for an anchor with a stated place: the units that place moves together (the anchor
    #: and the units aligned with it, e.g. a row of boxes), in walk order
    pinned: list[str] = field(default_factory=list)

    def children(self, unit: str) -> list[tuple[str, str]]:
        """(child, direction) pairs of ``unit``, in walk order."""
        return [(c, self.parent[c][1]) for c in self.order if self.parent.get(c, ("",))[0]
                == unit]


@dataclass
class Plan:
    """Everything the template decides before writing code."""

    units: dict[str, list[str]]  # owner -> members (owner first)
    unit_of: dict[str, str]  # object id -> owner of its unit (arrows and late objects absent)
    inside: dict[str, str]  # object id -> container object id
    shared: dict[str, list[str]] = field(default_factory=dict)  # object -> its containers
    pins: dict[str, str] = field(default_factory=dict)  # owner -> placing call, e.g. to_edge(UP)
    clusters: list[Cluster] = field(default_factory=list)
    satellites: list[tuple[str, str, str]] = field(default_factory=list)  # (object, DIR, member)
    aligned: dict[str, set[str]] = field(default_factory=dict)  # units stated aligned
    late: list[tuple[str, str, str]] = field(default_factory=list)  # (object, DIR, arrow)


def _is_title(task: Task, oid: str) -> bool:
    spec = task.object(oid)
    return spec.kind in ("text", "tex") and any(w in oid.lower() for w in TITLE_WORDS)


def pin(params: dict) -> str | None:
    """The Manim call that puts an object where ``params["place"]`` says, if it says."""
    where = params.get("place")
    if not isinstance(where, dict):
        return None
    if where.get("edge") in EDGES:
        return f"to_edge({where['edge']})"
    if where.get("corner") in CORNERS:
        return f"to_corner({where['corner']})"
    at = where.get("at")
    if at == "center":
        return "move_to(ORIGIN)"
    if (isinstance(at, list) and len(at) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 100 for v in at)):
        return f"move_to([{float(at[0])!r}, {float(at[1])!r}, 0])"
    return None


def _owner(task: Task, oid: str, inside: dict[str, str], seen: frozenset[str] = frozenset()
           ) -> str | None:
    """The object whose unit ``oid`` moves with; None for arrows (and broken references)."""
    if oid in seen:
        return None
    seen = seen | {oid}
    try:
        spec = task.object(oid)
    except KeyError:
        return None
    if oid in inside:
        return _owner(task, inside[oid], inside, seen)
    p = spec.params
    if spec.kind == "graph":
        return _owner(task, str(p.get("axes", "")), inside, seen)
    if spec.kind == "brace":
        return _owner(task, str(p.get("target", "")), inside, seen)
    if spec.kind == "arrow":
        return None
    return oid


def _inside(task: Task) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Container of each object placed inside another (no cycles, given objects never),
    and the containers of objects placed inside several at once (a Venn overlap)."""
    containers: dict[str, list[str]] = {}
    for r in task.relations:
        if r.rel != "inside" or r.a == r.b:
            continue
        a, b = task.object(r.a), task.object(r.b)
        if a.given is None and not {a.kind, b.kind} & {"graph", "arrow", "brace"}:
            containers.setdefault(r.a, []).append(r.b)
    inside: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    for a, bs in containers.items():
        if len(bs) > 1:
            shared[a] = bs
            continue
        inside[a] = bs[0]
        if _owner(task, a, inside) is None:  # a cycle, or a container that is an arrow
            del inside[a]
    return inside, shared


def _units(task: Task, inside: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    unit_of: dict[str, str] = {}
    units: dict[str, list[str]] = {}
    for o in task.objects:
        owner = _owner(task, o.id, inside)
        if owner is not None:
            unit_of[o.id] = owner
            units.setdefault(owner, [])
    for o in task.objects:  # members in task order, owner first
        if o.id in unit_of:
            owner = unit_of[o.id]
            if o.id == owner:
                units[owner].insert(0, o.id)
            else:
                units[owner].append(o.id)
    return units, unit_of


def _satellites(task: Task, plan: Plan) -> None:
    """Objects placed beside a *member* of another unit (a brace, a dot on a line) join it.

    Not beside a graph: it lies within its axes, so its unit's grid cell is the place.
    """
    for r in task.relations:
        if r.rel not in SIDES:
            continue
        ua, ub = plan.unit_of.get(r.a), plan.unit_of.get(r.b)
        spec = task.object(r.a)
        if (ua != r.a or ub is None or ub == r.b or ua == ub or spec.given is not None
                or pin(spec.params) is not None or task.object(r.b).kind == "graph"):
            continue
        plan.satellites.append((r.a, SIDES[r.rel], r.b))
        for m in plan.units.pop(ua):
            plan.unit_of[m] = ub
            plan.units[ub].append(m)


def plan_layout(task: Task) -> Plan:
    """Units, clusters as trees, satellites and late objects for one task."""
    inside, shared = _inside(task)
    units, unit_of = _units(task, inside)
    for a in shared:  # centred on its containers once they are placed
        if units.get(a) == [a]:
            del units[a], unit_of[a]
    plan = Plan(units=units, unit_of=unit_of, inside=inside,
                shared={a: bs for a, bs in shared.items() if a not in unit_of})
    _satellites(task, plan)

    # Edges between units: (neighbour, direction of the neighbour from this unit).
    edges: dict[str, list[tuple[str, str]]] = {u: [] for u in units}
    aligned = plan.aligned = {u: set() for u in units}
    arrow_ties: dict[str, tuple[str, str]] = {}
    for r in task.relations:
        if r.rel == "inside":
            continue
        ua, ub = unit_of.get(r.a), unit_of.get(r.b)
        if ua is None or ub is None:
            if ua == r.a and task.object(r.b).kind == "arrow":
                arrow_ties.setdefault(r.a, (SIDES.get(r.rel, "UP"), r.b))
            elif ub == r.b and task.object(r.a).kind == "arrow":
                arrow_ties.setdefault(r.b, ("UP", r.a))
            continue
        if ua == ub:
            continue
        d = DIRECTIONS[r.rel]
        edges[ub].append((ua, d))
        edges[ua].append((ub, OPPOSITE[d]))
        if r.rel in ("aligned_x", "aligned_y"):
            aligned[ua].add(ub)
            aligned[ub].add(ua)

    for owner, (direction, arrow) in arrow_ties.items():
        spec = task.object(owner)
        if (not edges[owner] and spec.given is None and pin(spec.params) is None
                and len(units[owner]) == 1):
            plan.late.append((owner, direction, arrow))
            del units[owner], unit_of[owner], edges[owner]

    for u in units:
        call = pin(task.object(u).params)
        if call is not None and task.object(u).given is None:
            plan.pins[u] = call
    given = [u for u in units if task.object(u).given is not None]
    anchors = given + list(plan.pins)
    claimed: set[str] = set(anchors)
    for root in anchors + [u for u in units if u not in anchors]:
        if root in claimed and root not in anchors:
            continue
        cluster = Cluster(root, [root], anchor=root if root in anchors else None)
        claimed.add(root)
        queue = deque([root])
        while queue:
            u = queue.popleft()
            for v, _ in edges[u]:
                if v in claimed:
                    continue
                claimed.add(v)
                # hang v off the most recently placed unit it is related to
                parent, d = next((w, dw) for w in reversed(cluster.order)
                                 for x, dw in edges[v] if x == w)
                cluster.parent[v] = (parent, OPPOSITE[d])
                cluster.order.append(v)
                queue.append(v)
        if cluster.anchor in plan.pins:
            cluster.pinned = _reach(cluster.anchor, aligned, set(cluster.order))
        if cluster.anchor is None:
            cluster.title = _is_title(task, root) and all(
                d != "UP" for _, d in cluster.parent.values())
        plan.clusters.append(cluster)
    return plan


def _reach(start: str, adjacency: dict[str, set[str]], within: set[str]) -> list[str]:
    """``start`` and what the adjacency reaches from it inside ``within``, in visit order."""
    seen, queue = [start], deque([start])
    while queue:
        for v in sorted(adjacency.get(queue.popleft(), ())):
            if v in within and v not in seen:
                seen.append(v)
                queue.append(v)
    return seen
