"""One ``run_benchmark`` session: the state its worker threads share, and running them."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import numpy as np

from benchmark.render import RenderBackend
from benchmark.results import RunRecord
from benchmark.runner.options import RunOptions, RunStats
from benchmark.store import (
    CachedRender,
    RenderCache,
    RenderLookup,
    Store,
    measured_objects,
    render_salt,
)

__all__ = ["Session", "parallel"]


class Session:
    """State shared by the worker threads of one ``run_benchmark`` call.

    ``renderer`` renders the submission's code, in its own TeX namespace; the
    references are rendered by a renderer of their own, before it.
    """

    def __init__(self, store: Store, record: RunRecord, options: RunOptions, stats: RunStats,
                 renderer: RenderBackend) -> None:
        self.store = store
        self.record = record
        self.options = options
        self.cache = RenderCache(store)
        self.stats = stats
        self.renderer = renderer
        self.salt = render_salt(renderer, options.sandbox.namespace)
        self.stopping = threading.Event()
        self.references: dict[str, CachedRender] = {}
        self.bar: Any = None
        self._lock = threading.Lock()
        #: held around every call into a submission that is not concurrent
        self.gen_lock: Any = threading.Lock()

    def concurrent_generation(self) -> None:
        """The submission may be called from several threads at once."""
        self.gen_lock = contextlib.nullcontext()

    def count(self, *, renders: int = 0, hits: int = 0, written: int = 0,
              generate_s: float = 0.0) -> None:
        with self._lock:
            self.stats.renders += renders
            self.stats.cache_hits += hits
            self.stats.written += written
            self.stats.generate_s += generate_s

    def render(self, renderer: RenderBackend, code: str, salt: str) -> RenderLookup | None:
        """The cached render, else a sandbox render; ``None`` once the run is stopping."""
        hit = self.cache.lookup(code, salt)
        if hit is not None:
            self.count(hits=1)
            return hit
        if self.stopping.is_set():
            return None
        report = renderer.render(code)
        if self.stopping.is_set():
            return None  # the sandbox may have been torn down under this render
        self.count(renders=1)
        entry = self.cache.record(code, salt, report)
        frame = None if report.frame is None else np.ascontiguousarray(report.frame[..., :3])
        return RenderLookup(entry, measured_objects(entry), frame, cached=False)


def parallel(session: Session, calls: Iterator[Callable[[], None]],
             renderer: RenderBackend) -> None:
    """Run ``calls`` ``options.jobs`` at a time (at most 2 × jobs queued), in this order.

    On any exception or Ctrl-C: stop accepting results, cancel what has not
    started, abort the renderer so running renders end now (their threads see
    the render fail and return; nothing is recorded), and re-raise.
    """
    workers = session.options.jobs
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench")
    inflight: set[Future[None]] = set()
    try:
        for call in calls:
            inflight.add(pool.submit(call))
            if len(inflight) >= 2 * workers:
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for f in done:
                    f.result()
        for f in wait(inflight).done:
            f.result()
    except BaseException:
        session.stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        renderer.abort()
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
