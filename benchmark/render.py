"""Render untrusted code: sandbox -> Snapshot -> trusted objects, boxes and frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, Self

import numpy as np

from benchmark.measure import Rasteriser, SemanticObject, semantic_objects
from benchmark.measure.raster import MIN_VISIBLE_PX
from benchmark.measure.typeset import TypesetStore, Typesetter
from benchmark.measure.verify import Verifier, apply_verdicts
from benchmark.sandbox import SandboxConfig, SandboxPool, Status
from benchmark.snapshot import Snapshot, SnapshotError, decode_snapshot

__all__ = ["TYPESET_NAMESPACE", "Measurer", "RenderBackend", "RenderReport", "Renderer"]

TYPESET_NAMESPACE = "typeset"  # the trusted side's own typesetting, apart from every submission


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


class Measurer:
    """Snapshot payloads -> verified semantic objects, visibility and the drawn frame.

    The trusted half of a render, usable without a sandbox of the caller's
    (rescoring stored snapshots).  Verifying a claimed string that the typeset
    store does not hold yet starts a one-worker sandbox in the ``typeset``
    namespace, on first need.  Thread-safe: each thread gets its own rasteriser.
    """

    def __init__(self, width: int = 854, height: int = 480,
                 sandbox: SandboxConfig | None = None,
                 store: TypesetStore | None = None) -> None:
        self.size = (width, height)
        self._local = threading.local()
        base = sandbox or SandboxConfig()
        self._typeset_config = replace(base, namespace=TYPESET_NAMESPACE)
        self._typeset_pool: SandboxPool | None = None
        self._pool_lock = threading.Lock()
        self.typesetter = Typesetter(self._typeset, store)
        self.verifier = Verifier(self.typesetter)

    def _typeset(self, code: str) -> tuple[str, list[bytes]]:
        with self._pool_lock:
            if self._typeset_pool is None:
                self._typeset_pool = SandboxPool(self._typeset_config, jobs=1)
            pool = self._typeset_pool
        raw = pool.run(code)
        return (raw.status.value if raw.status is not None else "ok"), raw.snapshots

    def close(self) -> None:
        with self._pool_lock:
            if self._typeset_pool is not None:
                self._typeset_pool.close()
                self._typeset_pool = None

    def _rasteriser(self) -> Rasteriser:
        r = getattr(self._local, "rasteriser", None)
        if r is None:
            r = self._local.rasteriser = Rasteriser(*self.size)
        return r

    def measure(self, payloads: list[bytes]) -> RenderReport:
        """Validate every keyframe, then measure and draw the final one.

        The report's ``sandbox``, ``stderr_tail`` and ``snapshots`` are left empty:
        they describe the run, which ``Renderer.render`` fills in.
        """
        def report(status: Status, error: str, objects: list[SemanticObject] | None = None,
                   frame: np.ndarray | None = None,
                   timings: dict[str, float] | None = None) -> RenderReport:
            return RenderReport(status, error, objects or [], frame, keyframes=len(payloads),
                                sandbox="", timings=timings or {})

        if not payloads:
            return report(Status.INVALID_SNAPSHOT, "the scene reported ok but sent no snapshot")
        timings: dict[str, float] = {}
        t1 = time.perf_counter()
        try:
            snaps: list[Snapshot] = [decode_snapshot(p) for p in payloads]
        except SnapshotError as exc:
            return report(Status.INVALID_SNAPSHOT, f"invalid snapshot: {exc}")
        final = snaps[-1]
        objects = semantic_objects(final)
        timings["decode_s"] = time.perf_counter() - t1
        if not objects:
            return report(Status.EMPTY_SCENE, "the final frame has no objects", timings=timings)
        t2 = time.perf_counter()
        raster = self._rasteriser().render(final, objects)
        for obj, px in zip(objects, raster.visible_px, strict=True):
            obj.visible_px = px
            obj.visible = px >= MIN_VISIBLE_PX
        timings["raster_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        apply_verdicts(objects, self.verifier.verify(final, objects))
        timings["verify_s"] = time.perf_counter() - t3
        return report(Status.OK, "", objects, raster.frame, timings)


class RenderBackend(Protocol):
    """What the runner renders through: this machine's ``Renderer`` or a cluster's.

    ``render`` is thread-safe and runs ``jobs`` at a time; ``abort`` stops every
    render in flight at once (their callers get ``crashed``) and may be called
    from another thread; ``close`` releases what is left.
    """

    jobs: int
    size: tuple[int, int]

    @property
    def sandbox_mode(self) -> str: ...

    @property
    def fallback_reason(self) -> str | None: ...

    def render(self, code: bytes | str, scene: str | None = None) -> RenderReport: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class Renderer:
    """A sandbox pool plus trusted measurement; thread-safe, ``jobs`` at a time.

    The local ``RenderBackend``.
    """

    def __init__(self, config: SandboxConfig | None = None, jobs: int = 1,
                 width: int = 854, height: int = 480) -> None:
        self.pool = SandboxPool(config, jobs=jobs)
        self.jobs = max(1, jobs)
        self.size = (width, height)
        self.measurer = Measurer(width, height, sandbox=self.pool.config)

    @property
    def sandbox_mode(self) -> str:
        return self.pool.mode

    @property
    def fallback_reason(self) -> str | None:
        """Why the pool runs ``rlimit-only`` although ``auto`` was asked (``None``: it does not)."""
        return self.pool.fallback_reason

    def render(self, code: bytes | str, scene: str | None = None) -> RenderReport:
        t0 = time.perf_counter()
        raw = self.pool.run(code, scene)
        timings = dict(raw.timings)
        if raw.status is not None:
            got = RenderReport(raw.status, raw.error, [], None, len(raw.snapshots), raw.sandbox)
        else:
            got = self.measurer.measure(raw.snapshots)
            timings.update(got.timings)
        timings["total_s"] = time.perf_counter() - t0
        return replace(got, keyframes=len(raw.snapshots), sandbox=raw.sandbox,
                       stderr_tail=raw.stderr_tail, timings=timings, snapshots=raw.snapshots)

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

    def abort(self) -> None:
        """Kill every sandbox worker now (Ctrl-C); renders in flight end as ``crashed``."""
        self.pool.abort()

    def close(self) -> None:
        self.pool.close()
        self.measurer.close()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
