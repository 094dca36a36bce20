"""Build the shipped data: measure every content size, then render test and val.

Deterministic: the same environment gives byte-identical ``sizes.json`` and
JSONL files.  Every reference layout is what the sandbox measured from the
reference code (never computed separately); the build fails loudly when a
measured scene does not have the planned objects in order, one is invisible,
or the measured layout strays from the family rules by more than ``TOLERANCE``
(then the rules would not determine the layout and the ceiling would not be 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmark.core.tasks import Box, Layout, PlacedObject, Task, dump_tasks
from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import Limits, SandboxConfig, Status
from benchmark.suites.synthetic._sizes import SIZES_PATH, SizeTable, dump_sizes, measure_keys
from benchmark.suites.synthetic.generate import (
    DATA_DIR,
    FAMILIES,
    FIXED_SPLITS,
    generate_split,
)

__all__ = ["TOLERANCE", "BuildError", "BuildReport", "all_size_keys", "build",
           "deviation", "measured_layout"]

TOLERANCE = 1e-3
_CHECK_CONTENT = ("tex", "text", "matrix", "shape", "arrow")


class BuildError(RuntimeError):
    """The reference code did not render into the planned scene."""


@dataclass
class BuildReport:
    sizes: int = 0
    tasks: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    max_deviation: float = 0.0
    sandbox: str = ""

    def to_json(self) -> dict:
        return {"sizes": self.sizes, "tasks": self.tasks,
                "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
                "max_deviation": self.max_deviation, "sandbox": self.sandbox}


def all_size_keys() -> list[str]:
    keys: set[str] = set()
    for fam in FAMILIES.values():
        keys.update(fam.size_keys())
    return sorted(keys)


def deviation(a: Layout, b: Layout) -> float:
    """Largest coordinate difference between two layouts of the same objects."""
    boxes = {p.id: p.box for p in b}
    worst = 0.0
    for p in a:
        q = boxes.get(p.id)
        if q is None:
            return float("inf")
        worst = max(worst, *(abs(x - y) for x, y in zip(p.box.as_list(), q.as_list(),
                                                        strict=True)))
    return worst if len(a) == len(b) else float("inf")


def measured_layout(task: Task, report: object) -> Layout:
    """Map a render's objects back to the task's ids (same order), checking each."""
    assert isinstance(report, RenderReport)
    where = f"{task.id}"
    if report.status is not Status.OK:
        raise BuildError(f"{where}: reference code failed: {report.status.value}: "
                         f"{report.error} {report.stderr_tail[-300:]}")
    if len(report.objects) != len(task.objects):
        raise BuildError(f"{where}: rendered {len(report.objects)} objects, planned "
                         f"{len(task.objects)}")
    out: Layout = []
    for spec, got in zip(task.objects, report.objects, strict=True):
        if got.kind != spec.kind:
            raise BuildError(f"{where}: object {spec.id!r} rendered as {got.kind}, planned "
                             f"{spec.kind}")
        if spec.kind in _CHECK_CONTENT and got.content != spec.content:
            raise BuildError(f"{where}: object {spec.id!r} rendered content {got.content!r}, "
                             f"planned {spec.content!r}")
        if not got.visible:
            raise BuildError(f"{where}: object {spec.id!r} is not visible")
        out.append(PlacedObject(spec.id, spec.kind, spec.content, Box(*got.box).rounded(4)))
    return out


def _render_split(split: str, n: int, table: SizeTable, renderer: object,
                  log: Callable[[str], None]) -> tuple[list[Task], float]:
    assert isinstance(renderer, Renderer)
    tasks = generate_split(split, table)
    assert len(tasks) == n
    reports = renderer.render_many([t.reference.code or "" for t in tasks])
    out, worst = [], 0.0
    for t, rep in zip(tasks, reports, strict=True):
        layout = measured_layout(t, rep)
        dev = deviation(layout, t.reference.layout)
        for spec in t.objects:
            if spec.given is not None:
                got = next(p.box for p in layout if p.id == spec.id)
                dev = max(dev, *(abs(x - y) for x, y in zip(got.as_list(), spec.given.as_list(),
                                                             strict=True)))
        if dev > TOLERANCE:
            raise BuildError(f"{t.id}: measured layout differs from the family rules by "
                             f"{dev:.4g} units")
        if rep.keyframes != t.reference.keyframes:
            raise BuildError(f"{t.id}: {rep.keyframes} keyframes, planned "
                             f"{t.reference.keyframes}")
        worst = max(worst, dev)
        out.append(replace(t, reference=replace(t.reference, layout=layout,
                                                keyframes=rep.keyframes)))
    log(f"{split}: {len(out)} tasks rendered, largest deviation from the rules {worst:.2e}")
    return out, worst


def build(jobs: int = 2, data_dir: Path = DATA_DIR, sizes_path: Path = SIZES_PATH,
          log: Callable[[str], None] = print) -> BuildReport:
    """Measure sizes, then render and write the test and val splits."""
    report = BuildReport()
    config = SandboxConfig(limits=Limits(timeout_s=600.0, cpu_s=600),
                           namespace="suite-synthetic")
    with Renderer(config, jobs=jobs) as renderer:
        report.sandbox = renderer.sandbox_mode
        t0 = time.perf_counter()
        keys = all_size_keys()
        log(f"measuring {len(keys)} object sizes ({jobs} workers)…")
        entries = measure_keys(keys, renderer=renderer)
        dump_sizes(entries, sizes_path)
        report.sizes = len(entries)
        report.seconds["sizes"] = time.perf_counter() - t0
        log(f"sizes: {len(entries)} entries in {report.seconds['sizes']:.1f} s -> {sizes_path}")
        table = SizeTable(entries)  # strict: a key missing here is a vocabulary bug
        for split, n in FIXED_SPLITS.items():
            t1 = time.perf_counter()
            tasks, worst = _render_split(split, n, table, renderer, log)
            dump_tasks(tasks, data_dir / f"{split}.jsonl")
            report.tasks[split] = len(tasks)
            report.seconds[split] = time.perf_counter() - t1
            report.max_deviation = max(report.max_deviation, worst)
    report.seconds["total"] = sum(report.seconds.values())
    return report
