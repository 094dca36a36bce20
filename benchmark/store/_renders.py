"""The render cache: what trusted code measured for a piece of code, keyed by its hash.

The key is sha256 over a salt and the code.  The salt names everything else
the measurement depends on: the measurement and Snapshot versions, the manim
and jepa-manim versions, the frame size, the sandbox mode, and the TeX-cache
namespace the code ran under (so code run by one submission, whose TeX cache
it could have poisoned, never serves another submission or the references).
Bump ``MEASURE_VERSION`` when measurement changes without a version change.

Statuses that depend on the machine rather than the code (``timeout``,
``memory_exceeded``, ``crashed``) are never cached: such code is re-run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import numpy as np

from benchmark._provenance import now_iso
from benchmark.core.tasks import Box
from benchmark.outcome import MeasuredObject
from benchmark.status import Status
from benchmark.store._db import CachedRender, Store

if TYPE_CHECKING:  # annotations only: reading a database never imports the sandbox
    from benchmark.render import RenderBackend, RenderReport

__all__ = ["MEASURE_VERSION", "UNCACHED_STATUSES", "RenderCache", "RenderLookup",
           "measured_objects", "render_salt"]

MEASURE_VERSION = 3  # 2: objects are verified (kind and content proven by geometry);
# 3: flat axes are axes (each axis at least 5 % of their extent, was 20 %); a block of
# small glyphs is compared on a grid fine enough to show them
UNCACHED_STATUSES = frozenset({Status.TIMEOUT, Status.MEMORY_EXCEEDED, Status.CRASHED})


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "none"


def render_salt(renderer: RenderBackend, namespace: str) -> str:
    """Everything besides the code that a render of it depends on."""
    # Here, not at the top: reading a database must not import the sandbox package.
    from benchmark.sandbox.runtime.wire import SNAPSHOT_VERSION

    w, h = renderer.size
    return (f"measure-v{MEASURE_VERSION}|snapshot-v{SNAPSHOT_VERSION}"
            f"|manim-{_version('manim')}|jepa-manim-{_version('jepa-manim')}|{w}x{h}"
            f"|sandbox-{renderer.sandbox_mode}|ns-{namespace}")


@dataclass
class RenderLookup:
    """A render (from the cache or fresh) in the form scorers need."""

    entry: CachedRender
    objects: list[MeasuredObject]
    frame: np.ndarray | None  # (h, w, 3) uint8 RGB
    cached: bool

    @property
    def status(self) -> Status:
        """The render's status (the store keeps its value)."""
        return Status(self.entry.status)


class RenderCache:
    """Renders through the store: a hit costs a row and a PNG read, never a sandbox call.

    The caller renders on a miss (it owns the sandbox) and hands the report to
    ``record``, which writes the artifacts, then the entry.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def key(code: str, salt: str) -> str:
        h = hashlib.sha256(salt.encode())
        h.update(b"\x00")
        h.update(code.encode("utf-8"))
        return h.hexdigest()

    def lookup(self, code: str, salt: str) -> RenderLookup | None:
        entry = self.store.get_render(self.key(code, salt))
        if entry is None:
            return None
        frame = None
        if entry.frame is not None:
            try:
                frame = self.store.artifacts.read_frame(entry.frame)
            except OSError:
                return None  # the frame file went missing: render again
        return RenderLookup(entry, measured_objects(entry), frame, cached=True)

    def record(self, code: str, salt: str, report: RenderReport) -> CachedRender:
        arts = self.store.artifacts
        frame = arts.put_frame(report.frame) if report.frame is not None else None
        snapshot = arts.put_snapshot(report.snapshots[-1]) if report.snapshots else None
        objects = [{"kind": o.kind, "cls": o.cls, "content": o.content,
                    "box": [float(v) for v in o.box], "visible": bool(o.visible),
                    "visible_px": int(o.visible_px), "verified": bool(o.verified),
                    "reason": o.reason} for o in report.objects]
        entry = CachedRender(
            key=self.key(code, salt), salt=salt, status=report.status,
            error=report.error, objects=objects, frame=frame, snapshot=snapshot,
            keyframes=report.keyframes, sandbox_mode=report.sandbox,
            stderr_tail=report.stderr_tail[-4000:],
            timings={k: round(float(v), 6) for k, v in report.timings.items()},
            created=now_iso())
        if entry.status not in UNCACHED_STATUSES:
            self.store.put_render(entry)
        return entry


def measured_objects(entry: CachedRender) -> list[MeasuredObject]:
    """The scorers' view of a cached render's objects (full-precision boxes)."""
    return [MeasuredObject(o["kind"], o["content"], Box(*o["box"]), bool(o["visible"]),
                           bool(o.get("verified", True)), str(o.get("reason", "")))
            for o in entry.objects]
