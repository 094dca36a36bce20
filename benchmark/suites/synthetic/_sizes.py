"""The size table: the measured geometry of every object the generator can emit.

A key names one object as it is constructed (``MathTex('x^2', font_size=40)``:
the constructor expression without colour), or a dependent object relative to
what it is built from (a graph relative to its axes, a brace relative to its
target, an arrow relative to its start point, a number line's ends).  Each
entry holds two boxes, both measured by rendering through the sandbox: the
anchor box (manim's ``get_corner`` geometry, what placement uses) and the point
box (what the harness measures).  Keys are self-describing, so any key can be
re-measured; unknown ones are measured on demand and cached under the XDG cache
directory, which keeps generation a pure function of (seed, table).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from benchmark.compose import create_expr
from benchmark.core.paths import cache_root
from benchmark.core.tasks import Box, ObjectSpec
from benchmark.render import Renderer
from benchmark.sandbox import Limits, SandboxConfig

__all__ = ["SIZES_PATH", "MissingSize", "SizeTable", "arrow_key", "brace_key", "graph_key",
           "measure_keys", "n2p_key", "object_key"]

SIZES_PATH = Path(__file__).with_name("sizes.json")
SIZES_FORMAT = 1
_NON_GEOMETRIC = ("color", "fill_opacity", "place")
_BATCH = 24  # keys per measuring scene


class MissingSize(KeyError):
    """A key the table has not measured (the caller measures it and retries)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _bare(spec: ObjectSpec, **names: str) -> str:
    params = {k: v for k, v in spec.params.items() if k not in _NON_GEOMETRIC}
    return create_expr(ObjectSpec(spec.id, spec.kind, spec.content, params), names)


def object_key(spec: ObjectSpec) -> str:
    return _bare(spec)


def graph_key(axes: ObjectSpec, graph: ObjectSpec) -> str:
    return f"graph|{object_key(axes)}|{_bare(graph, **{axes.id: 'ref'})}"


def brace_key(target: ObjectSpec, brace: ObjectSpec) -> str:
    return f"brace|{object_key(target)}|{_bare(brace, **{target.id: 'ref'})}"


def arrow_key(dx: float, dy: float, buff: float) -> str:
    return f"arrow|{round(dx, 4) + 0.0!r}|{round(dy, 4) + 0.0!r}|{round(buff, 4) + 0.0!r}"


def n2p_key(line: ObjectSpec) -> str:
    return f"n2p|{object_key(line)}"


class SizeTable:
    """Measured geometry by key; ``measure`` (when set) fills misses and caches them."""

    def __init__(self, entries: Mapping[str, list[float]] | None = None,
                 cache_path: Path | None = None,
                 measure: Callable[[list[str]], dict[str, list[float]]] | None = None) -> None:
        self.entries: dict[str, list[float]] = dict(entries or {})
        self.cache_path = cache_path
        self.measure = measure
        self._lock = threading.Lock()
        if cache_path is not None and cache_path.is_file():
            try:
                cached = json.loads(cache_path.read_text())["entries"]
            except (OSError, ValueError, KeyError, TypeError):
                cached = {}
            for k, v in cached.items():
                self.entries.setdefault(k, v)

    @classmethod
    def load(cls, path: Path = SIZES_PATH) -> dict[str, list[float]]:
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != SIZES_FORMAT:
            raise ValueError(f"{path}: unknown size table format {data.get('format')!r}")
        return data["entries"]

    @classmethod
    def shipped(cls, measuring: bool = True) -> SizeTable:
        """The shipped table plus the user's cache; misses are measured when ``measuring``."""
        return cls(cls.load(), cache_path=default_cache_path(),
                   measure=measure_keys if measuring else None)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def raw(self, key: str) -> list[float]:
        v = self.entries.get(key)
        if v is None:
            raise MissingSize(key)
        return v

    def geometry(self, key: str) -> tuple[Box, Box]:
        """(anchor box, point box) at construction (relative, for dependent keys)."""
        v = self.raw(key)
        return Box(*v[:4]), Box(*v[4:8])

    def n2p(self, line: ObjectSpec) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where the ends of a number line's range are, relative to its anchor centre."""
        v = self.raw(n2p_key(line))
        return (v[0], v[1]), (v[2], v[3])

    def fill(self, keys: Iterable[str]) -> None:
        """Measure the keys not in the table yet (sandbox), and cache them."""
        missing = sorted({k for k in keys if k not in self.entries})
        if not missing:
            return
        if self.measure is None:
            raise MissingSize(missing[0])
        with self._lock:
            missing = [k for k in missing if k not in self.entries]
            if not missing:
                return
            print(f"synthetic: measuring {len(missing)} new object size(s) in the sandbox",
                  file=sys.stderr)
            got = self.measure(missing)
            self.entries.update(got)
            if self.cache_path is not None:
                self._write_cache(got)

    def _write_cache(self, got: Mapping[str, list[float]]) -> None:
        assert self.cache_path is not None
        path = self.cache_path
        entries: dict[str, list[float]] = {}
        if path.is_file():
            try:
                entries = json.loads(path.read_text())["entries"]
            except (OSError, ValueError, KeyError, TypeError):
                entries = {}
        entries.update(got)
        dump_sizes(entries, path)

    def call(self, fn: Callable[[SizeTable], object], attempts: int = 64) -> object:
        """Run ``fn`` with this table, measuring missing keys between attempts."""
        for _ in range(attempts):
            try:
                return fn(self)
            except MissingSize as exc:
                self.fill([exc.key])
        return fn(self)


def default_cache_path() -> Path:
    return cache_root("synthetic", f"sizes-v{SIZES_FORMAT}.json")


def dump_sizes(entries: Mapping[str, list[float]], path: Path) -> Path:
    """Write a table deterministically (sorted keys, one entry per line), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(entries[k])}"
             for k in sorted(entries)]
    text = ('{"format": ' + str(SIZES_FORMAT) + ', "entries": {\n' + ",\n".join(lines)
            + "\n}}\n")
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# --- measuring through the sandbox --------------------------------------------------------

def _scene_lines(i: int, key: str) -> tuple[list[str], int]:
    """Code adding one key's objects (each followed by its anchor-box line)."""
    m = f"m{i}"

    def anchored(name: str) -> str:
        return f"self.add({name}, Line({name}.get_corner(DL), {name}.get_corner(UR)))"

    kind, _, rest = key.partition("|")
    if kind in ("graph", "brace"):
        parent, _, expr = rest.partition("|")
        return [f"ref = {parent}", f"{m} = {expr}", anchored("ref"), anchored(m)], 4
    if kind == "arrow":
        dx, dy, buff = rest.split("|")
        return [f"{m} = Arrow(ORIGIN, [{dx}, {dy}, 0], buff={buff})", anchored(m)], 2
    if kind == "n2p":
        return [f"ref = {rest}", anchored("ref"),
                "self.add(Dot(ref.n2p(ref.x_range[0])), Dot(ref.n2p(ref.x_range[1])))"], 4
    return [f"{m} = {key}", anchored(m)], 2


def _scene(keys: list[str]) -> tuple[str, list[int]]:
    body, counts = [], []
    for i, k in enumerate(keys):
        lines, n = _scene_lines(i, k)
        body.extend(lines)
        counts.append(n)
    code = ("from manim import *\n\n\nclass MeasureSizes(Scene):\n    def construct(self):\n"
            + "".join(f"        {line}\n" for line in body))
    return code, counts


def _r(v: float) -> float:
    return round(v, 6) + 0.0


def _entry(key: str, boxes: list[tuple[float, float, float, float]]) -> list[float]:
    kind = key.partition("|")[0]
    if kind in ("graph", "brace"):
        ref_a = Box(*boxes[1])
        ox, oy = ref_a.center
        a, p = Box(*boxes[3]), Box(*boxes[2])
        return [_r(v) for v in (*a.translated(-ox, -oy).as_list(),
                                *p.translated(-ox, -oy).as_list())]
    if kind == "n2p":
        ox, oy = Box(*boxes[1]).center
        d0, d1 = Box(*boxes[2]).center, Box(*boxes[3]).center
        return [_r(d0[0] - ox), _r(d0[1] - oy), _r(d1[0] - ox), _r(d1[1] - oy)]
    return [_r(v) for v in (*boxes[1], *boxes[0])]


def measure_keys(keys: list[str], jobs: int = 1, renderer: object | None = None
                 ) -> dict[str, list[float]]:
    """Render the keys' objects in batches (all at the origin) and read their boxes."""
    batches = [keys[i:i + _BATCH] for i in range(0, len(keys), _BATCH)]
    own = renderer is None
    if own:
        config = SandboxConfig(limits=Limits(timeout_s=600.0, cpu_s=600),
                               namespace="suite-synthetic")
        renderer = Renderer(config, jobs=jobs)
    assert isinstance(renderer, Renderer)
    try:
        scenes = [_scene(b) for b in batches]
        reports = renderer.render_many([code for code, _ in scenes])
        out: dict[str, list[float]] = {}
        for batch, (code, counts), rep in zip(batches, scenes, reports, strict=True):
            if rep.status.value in ("crashed", "timeout"):  # a lost worker: try once more
                rep = renderer.render(code)
            if rep.status.value != "ok":
                if len(batch) > 1:  # find the culprit
                    for k in batch:
                        out.update(measure_keys([k], renderer=renderer))
                    continue
                raise ValueError(f"cannot measure {batch[0]!r}: {rep.status.value}: "
                                 f"{rep.error}")
            if len(rep.objects) != sum(counts):
                raise ValueError(f"measuring scene returned {len(rep.objects)} objects, "
                                 f"expected {sum(counts)} (keys {batch[0]!r}…)")
            at = 0
            for k, n in zip(batch, counts, strict=True):
                out[k] = _entry(k, [o.box for o in rep.objects[at:at + n]])
                at += n
        return out
    finally:
        if own:
            renderer.close()
