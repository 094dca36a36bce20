"""Render untrusted code: sandbox -> Snapshot -> trusted objects, boxes and frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.measure import Rasteriser, SemanticObject, semantic_objects
from benchmark.measure.raster import MIN_VISIBLE_PX
from benchmark.sandbox import SandboxConfig, SandboxPool, Status
from benchmark.snapshot import Snapshot, SnapshotError, decode_snapshot

__all__ = ["Measurement", "Measurer", "RenderReport", "Renderer"]


@dataclass
class Measurement:
    """The trusted side's verdict on one run's snapshots (final keyframe)."""

    status: Status
    error: str
    objects: list[SemanticObject] = field(default_factory=list)
    frame: np.ndarray | None = None  # (h, w, 4) uint8 RGBA
    timings: dict[str, float] = field(default_factory=dict)


class Measurer:
    """Snapshot payloads -> semantic objects, visibility and the drawn frame.

    The trusted half of a render, usable without a sandbox (rescoring stored
    snapshots).  Thread-safe: each thread gets its own rasteriser.
    """

    def __init__(self, width: int = 854, height: int = 480) -> None:
        self.size = (width, height)
        self._local = threading.local()

    def _rasteriser(self) -> Rasteriser:
        r = getattr(self._local, "rasteriser", None)
        if r is None:
            r = self._local.rasteriser = Rasteriser(*self.size)
        return r

    def measure(self, payloads: list[bytes]) -> Measurement:
        """Validate every keyframe, then measure and draw the final one."""
        if not payloads:
            return Measurement(Status.INVALID_SNAPSHOT,
                               "the scene reported ok but sent no snapshot")
        timings: dict[str, float] = {}
        t1 = time.perf_counter()
        try:
            snaps: list[Snapshot] = [decode_snapshot(p) for p in payloads]
        except SnapshotError as exc:
            return Measurement(Status.INVALID_SNAPSHOT, f"invalid snapshot: {exc}")
        final = snaps[-1]
        objects = semantic_objects(final)
        timings["decode_s"] = time.perf_counter() - t1
        if not objects:
            return Measurement(Status.EMPTY_SCENE, "the final frame has no objects",
                               timings=timings)
        t2 = time.perf_counter()
        raster = self._rasteriser().render(final, objects)
        for obj, px in zip(objects, raster.visible_px, strict=True):
            obj.visible_px = px
            obj.visible = px >= MIN_VISIBLE_PX
        timings["raster_s"] = time.perf_counter() - t2
        return Measurement(Status.OK, "", objects, raster.frame, timings)


@dataclass
class RenderReport:
    """Everything measured about one piece of code (final keyframe)."""

    status: Status
    error: str
    objects: list[SemanticObject]
    frame: np.ndarray | None  # (h, w, 4) uint8 RGBA, drawn by trusted code
    keyframes: int
    sandbox: str
    stderr_tail: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    snapshots: list[bytes] = field(default_factory=list)  # raw payloads, for artifacts

    def save_frame(self, path: Path) -> Path | None:
        if self.frame is None:
            return None
        from PIL import Image

        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(self.frame, mode="RGBA").convert("RGB").save(path)
        return path

    def to_json(self, frame_path: Path | None = None) -> dict:
        return {
            "status": self.status.value,
            "error": self.error,
            "objects": [o.to_json() for o in self.objects],
            "frame": str(frame_path) if frame_path is not None else None,
            "keyframes": self.keyframes,
            "sandbox": self.sandbox,
            "stderr_tail": self.stderr_tail,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class Renderer:
    """A sandbox pool plus trusted measurement; thread-safe, ``jobs`` at a time."""

    def __init__(self, config: SandboxConfig | None = None, jobs: int = 1,
                 width: int = 854, height: int = 480) -> None:
        self.pool = SandboxPool(config, jobs=jobs)
        self.jobs = max(1, jobs)
        self.size = (width, height)
        self.measurer = Measurer(width, height)

    @property
    def sandbox_mode(self) -> str:
        return self.pool.mode

    def render(self, code: bytes | str, scene: str | None = None) -> RenderReport:
        t0 = time.perf_counter()
        raw = self.pool.run(code, scene)
        timings = dict(raw.timings)
        if raw.status is not None:
            got = Measurement(raw.status, raw.error)
        else:
            got = self.measurer.measure(raw.snapshots)
            timings.update(got.timings)
        timings["total_s"] = time.perf_counter() - t0
        return RenderReport(status=got.status, error=got.error, objects=got.objects,
                            frame=got.frame, keyframes=len(raw.snapshots), sandbox=raw.sandbox,
                            stderr_tail=raw.stderr_tail, timings=timings,
                            snapshots=raw.snapshots)

    def render_many(self, codes: Iterable[bytes | str], scene: str | None = None,
                    on_done: Callable[[int, RenderReport], None] | None = None
                    ) -> list[RenderReport]:
        """Render several programs ``jobs`` at a time, results in input order."""
        items = list(codes)
        out: list[RenderReport | None] = [None] * len(items)

        def one(i: int) -> None:
            out[i] = self.render(items[i], scene)
            if on_done is not None:
                on_done(i, out[i])

        with ThreadPoolExecutor(max_workers=self.jobs) as ex:
            list(ex.map(one, range(len(items))))
        return [r for r in out if r is not None]

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
