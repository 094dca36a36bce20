"""Tasks and suites: the typed core and Task JSON v2, the on-disk format.

A task is a prompt plus the objects to show, with a reference layout (boxes in
scene units: the frame is 14.222… × 8 units, centred at the origin, y up) and
the reference code that produced it.  One task per line in a ``.jsonl`` file;
every line is validated on load and a malformed one is reported with its file,
line and field.  The shape is a public promise: change it only by bumping
``TASK_FORMAT_VERSION``.

v2 (from v1) adds an optional ``source`` object: where a task came from (a
video, scene and keyframe, and how confidently its prompt was aligned), and
lets ``reference.frame`` stand without ``reference.code`` — a path relative to
the task file.  Every v1 file is a valid v2 file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.core.geometry import Box

__all__ = ["KINDS", "RELATIONS", "TASK_FORMAT_VERSION", "Box", "Layout", "ObjectSpec",
           "PlacedObject", "Reference", "Relation", "Suite", "Task", "TaskFormatError",
           "canonical_json", "dump_tasks", "load_tasks", "parse_task"]

TASK_FORMAT_VERSION = 2

KINDS = ("tex", "text", "axes", "graph", "shape", "arrow", "matrix", "brace",
         "number_line", "image", "other")
RELATIONS = ("left_of", "right_of", "above", "below", "aligned_x", "aligned_y", "inside",
             "next_to")
DIFFICULTIES = ("easy", "medium", "hard")


class TaskFormatError(ValueError):
    """A task that does not follow Task JSON; the message names where."""


@dataclass(frozen=True)
class ObjectSpec:
    """What the task asks to show; ``given`` places a context object already."""

    id: str
    kind: str
    content: str
    params: dict[str, Any] = field(default_factory=dict)
    given: Box | None = None


@dataclass(frozen=True)
class PlacedObject:
    id: str
    kind: str
    content: str
    box: Box


Layout = list[PlacedObject]


@dataclass(frozen=True)
class Relation:
    a: str
    rel: str
    b: str


@dataclass
class Reference:
    layout: Layout
    code: str | None = None
    frame: str | None = None  # path relative to the task file, when shipped
    keyframes: int | None = None


@dataclass
class Task:
    id: str
    suite: str
    split: str
    family: str
    difficulty: str
    prompt: str
    objects: list[ObjectSpec]
    relations: list[Relation]
    reference: Reference
    source: dict[str, Any] = field(default_factory=dict)  # provenance (v2), never scored

    def object(self, object_id: str) -> ObjectSpec:
        for o in self.objects:
            if o.id == object_id:
                return o
        raise KeyError(object_id)

    @property
    def given_ids(self) -> set[str]:
        return {o.id for o in self.objects if o.given is not None}

    def to_json(self) -> dict[str, Any]:
        def obj(o: ObjectSpec) -> dict[str, Any]:
            d: dict[str, Any] = {"id": o.id, "kind": o.kind, "content": o.content}
            if o.params:
                d["params"] = o.params
            if o.given is not None:
                d["given"] = o.given.as_list()
            return d

        ref: dict[str, Any] = {
            "layout": [{"id": p.id, "kind": p.kind, "content": p.content,
                        "box": p.box.as_list()} for p in self.reference.layout],
            "code": self.reference.code,
            "frame": self.reference.frame,
        }
        if self.reference.keyframes is not None:
            ref["keyframes"] = self.reference.keyframes
        d = {"id": self.id, "suite": self.suite, "split": self.split,
             "family": self.family, "difficulty": self.difficulty, "prompt": self.prompt,
             "objects": [obj(o) for o in self.objects],
             "relations": [{"a": r.a, "rel": r.rel, "b": r.b} for r in self.relations],
             "reference": ref}
        if self.source:
            d["source"] = self.source
        return d

    def content_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.to_json()).encode()).hexdigest()

    def inputs_hash(self) -> str:
        """Hash of what a submission sees (no reference): detects split leakage."""
        d = self.to_json()
        d = {k: d[k] for k in ("family", "prompt", "objects", "relations")}
        return hashlib.sha256(canonical_json(d).encode()).hexdigest()

    def layout_hash(self) -> str:
        """Hash of the reference layout alone (ids dropped, boxes rounded to 1e-3)."""
        rows = sorted((p.kind, p.content, [round(v, 3) + 0.0 for v in p.box.as_list()])
                      for p in self.reference.layout)
        return hashlib.sha256(canonical_json(rows).encode()).hexdigest()


@dataclass
class Suite:
    """A named, versioned set of tasks of one split; the hash identifies its content."""

    name: str
    version: str
    split: str
    tasks: list[Task]
    root: Path | None = None  # where reference frames' relative paths start (not hashed)

    @property
    def hash(self) -> str:
        h = hashlib.sha256()
        for t in self.tasks:
            h.update(canonical_json(t.to_json()).encode())
            h.update(b"\n")
        return h.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)


def canonical_json(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- parsing -------------------------------------------------------------------------------

def _need(d: Mapping[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise TaskFormatError(f"{where}{key}: missing")
    value = d[key]
    types = typ if isinstance(typ, tuple) else (typ,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = "/".join(t.__name__ for t in types)
        raise TaskFormatError(f"{where}{key}: expected {names}, got {type(value).__name__}")
    return value


def _box(value: Any, where: str) -> Box:
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise TaskFormatError(f"{where}: expected [xmin, ymin, xmax, ymax] numbers")
    if not all(math.isfinite(v) for v in value):
        raise TaskFormatError(f"{where}: box values must be finite")
    box = Box(*(float(v) for v in value))
    if box.xmax < box.xmin or box.ymax < box.ymin:
        raise TaskFormatError(f"{where}: xmax < xmin or ymax < ymin")
    return box


def _kind(value: str, where: str) -> str:
    if value not in KINDS:
        raise TaskFormatError(f"{where}: unknown kind {value!r} (expected one of "
                              f"{', '.join(KINDS)})")
    return value


def parse_task(d: Any) -> Task:
    """Validate one decoded Task JSON object (v1 or v2); errors name the field."""
    if not isinstance(d, dict):
        raise TaskFormatError(f"expected a JSON object, got {type(d).__name__}")
    tid = _need(d, "id", str, "")
    suite = _need(d, "suite", str, "")
    split = _need(d, "split", str, "")
    family = _need(d, "family", str, "")
    difficulty = _need(d, "difficulty", str, "")
    prompt = _need(d, "prompt", str, "")
    if not prompt.strip():
        raise TaskFormatError("prompt: empty")
    objects: list[ObjectSpec] = []
    seen: set[str] = set()
    for i, o in enumerate(_need(d, "objects", list, "")):
        w = f"objects[{i}]."
        if not isinstance(o, dict):
            raise TaskFormatError(f"objects[{i}]: expected an object")
        oid = _need(o, "id", str, w)
        if oid in seen:
            raise TaskFormatError(f"{w}id: duplicate id {oid!r}")
        seen.add(oid)
        kind = _kind(_need(o, "kind", str, w), f"{w}kind")
        content = _need(o, "content", str, w)
        params = o.get("params") or {}
        if not isinstance(params, dict):
            raise TaskFormatError(f"{w}params: expected an object")
        given = _box(o["given"], f"{w}given") if o.get("given") is not None else None
        objects.append(ObjectSpec(oid, kind, content, params, given))
    if not objects:
        raise TaskFormatError("objects: empty")
    relations: list[Relation] = []
    for i, r in enumerate(d.get("relations") or []):
        w = f"relations[{i}]."
        if not isinstance(r, dict):
            raise TaskFormatError(f"relations[{i}]: expected an object")
        a, rel, b = (_need(r, k, str, w) for k in ("a", "rel", "b"))
        if rel not in RELATIONS:
            raise TaskFormatError(f"{w}rel: unknown relation {rel!r}")
        for k, v in (("a", a), ("b", b)):
            if v not in seen:
                raise TaskFormatError(f"{w}{k}: no object with id {v!r}")
        relations.append(Relation(a, rel, b))
    ref = _need(d, "reference", dict, "")
    layout: Layout = []
    for i, p in enumerate(_need(ref, "layout", list, "reference.")):
        w = f"reference.layout[{i}]."
        if not isinstance(p, dict):
            raise TaskFormatError(f"reference.layout[{i}]: expected an object")
        pid = _need(p, "id", str, w)
        if pid not in seen:
            raise TaskFormatError(f"{w}id: no object with id {pid!r}")
        layout.append(PlacedObject(pid, _kind(_need(p, "kind", str, w), f"{w}kind"),
                                   _need(p, "content", str, w), _box(p.get("box"), f"{w}box")))
    code = ref.get("code")
    if code is not None and not isinstance(code, str):
        raise TaskFormatError("reference.code: expected a string or null")
    frame = ref.get("frame")
    if frame is not None and not isinstance(frame, str):
        raise TaskFormatError("reference.frame: expected a string or null")
    keyframes = ref.get("keyframes")
    if keyframes is not None and (not isinstance(keyframes, int) or isinstance(keyframes, bool)):
        raise TaskFormatError("reference.keyframes: expected an integer or null")
    source = d.get("source") or {}
    if not isinstance(source, dict):
        raise TaskFormatError("source: expected an object")
    return Task(tid, suite, split, family, difficulty, prompt, objects, relations,
                Reference(layout, code, frame, keyframes), source)


def load_tasks(path: Path | str) -> list[Task]:
    """Read a Task JSON ``.jsonl`` (v1 or v2); errors read ``FILE:LINE: FIELD: problem``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFormatError(f"{path}: cannot read: {exc}") from None
    tasks: list[Task] = []
    ids: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{path}:{n}: invalid JSON: {exc.msg} "
                                  f"(column {exc.colno})") from None
        try:
            task = parse_task(d)
        except TaskFormatError as exc:
            raise TaskFormatError(f"{path}:{n}: {exc}") from None
        if task.id in ids:
            raise TaskFormatError(f"{path}:{n}: id: duplicate task id {task.id!r}")
        ids.add(task.id)
        tasks.append(task)
    return tasks


def dump_tasks(tasks: Iterable[Task], path: Path | str) -> Path:
    """Write tasks as Task JSON (v2), atomically (a crash leaves the old file intact)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path
