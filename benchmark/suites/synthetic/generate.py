"""The seeded generator: task ``index`` of a split is a pure function of (seed, sizes).

Task ``i`` of a split belongs to family ``i mod 12`` (balanced splits) and draws
from ``Random(sha256("synthetic/v1/<split>/<i>/<attempt>"))``: split names make
the seeds disjoint.  A draw that leaves the frame or overlaps where the family
does not allow it is redrawn (next attempt).  A train task whose inputs or
layout equal a test or val task's is redrawn too, so nothing of the fixed
splits appears in train.

Reference layouts here are computed by the family rules (``SceneBuilder``);
``build.py`` replaces them with sandbox-measured ones for test and val.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Set
from dataclasses import replace
from functools import cache
from pathlib import Path

from benchmark.core.tasks import Layout, ObjectSpec, Reference, Relation, Task, load_tasks
from benchmark.suites.synthetic._families import FAMILY_CLASSES
from benchmark.suites.synthetic._family import Family
from benchmark.suites.synthetic._geometry import SceneBuilder
from benchmark.suites.synthetic._sizes import MissingSize, SizeTable
from benchmark.suites.synthetic.sizes import default_sizes

__all__ = ["DATA_DIR", "FAMILIES", "FIXED_SPLITS", "ID_OFFSET", "SPLITS", "SUITE", "VERSION",
           "GenerationError", "build_scene", "difficulty", "family", "forbidden_hashes",
           "generate_split", "generate_task", "generate_tasks", "rebuild_layout", "split_path"]

SUITE = "synthetic"
VERSION = "v1"
FIXED_SPLITS = {"test": 500, "val": 200}
SPLITS = ("test", "val", "train")
ID_OFFSET = {"test": 0, "val": 500, "train": 1000}  # task ids are unique across splits
DATA_DIR = Path(__file__).with_name("data") / VERSION
P_GIVEN = 0.35  # share of tasks (of families with context objects) that give some
MAX_ATTEMPTS = 200
_ABSOLUTE = ("at", "edge", "corner")  # facts a given box replaces

FAMILIES: dict[str, Family] = {cls.name: cls() for cls in FAMILY_CLASSES}
_ORDER = tuple(FAMILIES)


class GenerationError(RuntimeError):
    """A family could not draw a valid scene (a bug in its vocabulary or style)."""


def family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise GenerationError(f"unknown synthetic family {name!r}") from None


def split_path(split: str) -> Path:
    return DATA_DIR / f"{split}.jsonl"


def _rng(split: str, index: int, attempt: int) -> random.Random:
    digest = hashlib.sha256(f"{SUITE}/{VERSION}/{split}/{index}/{attempt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def difficulty(objects: list[ObjectSpec], relations: list[Relation]) -> str:
    """By size: object count plus a share of the stated relations."""
    score = len(objects) + 0.25 * len(relations)
    return "easy" if score < 5.5 else "medium" if score < 8.5 else "hard"


def build_scene(fam: Family, objects: list[ObjectSpec], sizes: SizeTable) -> SceneBuilder:
    """Run the family's placement rules on these objects (what ``rebuild_layout`` does)."""
    b = SceneBuilder(objects, sizes)
    fam.build(b)
    return b


def _with_given(objects: list[ObjectSpec], layout: Layout, ids: tuple[str, ...]
                ) -> list[ObjectSpec]:
    """Give these objects as context: their box, and no stated absolute placement."""
    boxes = {p.id: p.box for p in layout}
    out = []
    for o in objects:
        if o.id in ids:
            params = {k: v for k, v in o.params.items() if k != "place"}
            place = {k: v for k, v in o.params.get("place", {}).items() if k not in _ABSOLUTE}
            if place:
                params["place"] = place
            o = replace(o, params=params, given=boxes[o.id].rounded(4))
        out.append(o)
    return out


def _deviation(a: Layout, b: Layout) -> float:
    return max(abs(x - y) for p, q in zip(a, b, strict=True)
               for x, y in zip(p.box.as_list(), q.box.as_list(), strict=True))


def generate_task(split: str, index: int, sizes: SizeTable | None = None,
                  avoid: Set[str] | None = None) -> Task:
    """Task ``index`` of ``split`` with its rules layout and reference code.

    A draw whose inputs or layout hash is in ``avoid`` is redrawn; for train it
    defaults to the shipped test and val tasks.  (Test and val come from
    ``generate_split``, which also avoids repeats within and across them.)
    """
    if split not in SPLITS:
        raise GenerationError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")
    if index < 0:
        raise GenerationError("task index must be non-negative")
    table = sizes if sizes is not None else default_sizes()
    fam = FAMILIES[_ORDER[index % len(_ORDER)]]
    if avoid is None:
        avoid = forbidden_hashes() if split == "train" else frozenset()
    for attempt in range(MAX_ATTEMPTS):
        rng = _rng(split, index, attempt)
        draft = fam.draft(rng)
        b = build_scene(fam, draft.objects, table)
        if not fam.fits(b):
            continue
        objects = draft.objects
        if draft.givable and rng.random() < P_GIVEN:
            planned = b.layout()
            objects = _with_given(objects, planned, draft.givable)
            b = build_scene(fam, objects, table)
            if _deviation(planned, b.layout()) > 1e-3:
                raise GenerationError(f"{fam.name}: giving {', '.join(draft.givable)} as "
                                      "context moved the scene (a placement fact was lost)")
        relations = fam.relations(objects)
        number = ID_OFFSET[split] + index
        task = Task(id=f"{SUITE}/{fam.name}/{number:05d}", suite=SUITE, split=split,
                    family=fam.name, difficulty=difficulty(objects, relations),
                    prompt=fam.prompt(rng, objects, draft.notes), objects=objects,
                    relations=relations,
                    reference=Reference(b.layout(), b.code(fam.scene_class), None,
                                        b.keyframes))
        if avoid and (task.inputs_hash() in avoid or task.layout_hash() in avoid):
            continue
        return task
    raise GenerationError(f"{fam.name}: no valid scene for {split} task {index} in "
                          f"{MAX_ATTEMPTS} draws")


def generate_split(split: str, sizes: SizeTable | None = None) -> list[Task]:
    """A fixed split in full: no inputs or layout repeat within it or an earlier fixed split."""
    if split not in FIXED_SPLITS:
        raise GenerationError(f"{split!r} is not a fixed split")
    table = sizes if sizes is not None else default_sizes()
    seen: set[str] = set()
    for earlier in FIXED_SPLITS:
        if earlier == split:
            break
        seen |= {h for t in generate_split(earlier, table)
                 for h in (t.inputs_hash(), t.layout_hash())}
    out = []
    for i in range(FIXED_SPLITS[split]):
        t = table.call(lambda tab, i=i, seen=seen: generate_task(split, i, tab, seen))
        assert isinstance(t, Task)
        seen |= {t.inputs_hash(), t.layout_hash()}
        out.append(t)
    return out


def generate_tasks(split: str, start: int = 0, n: int = 1,
                   sizes: SizeTable | None = None) -> Iterator[Task]:
    """Tasks ``start … start+n-1`` of a split with rules layouts (train is unbounded)."""
    table = sizes if sizes is not None else default_sizes()
    if split in FIXED_SPLITS:
        yield from generate_split(split, table)[start:start + n]
        return
    for i in range(start, start + n):
        yield table.call(lambda t, i=i: generate_task(split, i, t))  # type: ignore[misc]


def rebuild_layout(task: Task, sizes: SizeTable | None = None) -> Layout:
    """The task's layout from its inputs alone, by its family's rules (no rendering).

    Sizes come from the shipped table; contents it lacks are measured in the
    sandbox once and cached.
    """
    fam = family(task.family)
    table = sizes if sizes is not None else default_sizes()
    b = table.call(lambda t: build_scene(fam, task.objects, t))
    return b.layout()  # type: ignore[attr-defined]


@cache
def forbidden_hashes() -> frozenset[str]:
    """Inputs and layout hashes of the shipped test and val tasks (rules layout too)."""
    out: set[str] = set()
    for split in FIXED_SPLITS:
        path = split_path(split)
        if not path.is_file():
            continue
        for t in load_tasks(path):
            out.add(t.inputs_hash())
            out.add(t.layout_hash())
            try:
                rebuilt = rebuild_layout(t, default_sizes())
            except (MissingSize, GenerationError):
                continue
            out.add(replace(t, reference=Reference(rebuilt)).layout_hash())
    return frozenset(out)
