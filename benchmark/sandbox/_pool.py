"""A pool of warm sandbox workers shared by the threads that submit code."""

from __future__ import annotations

import hashlib
import os
import queue
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmark.core.paths import cache_root
from benchmark.sandbox import _launch
from benchmark.sandbox._types import RawRun, SandboxConfig
from benchmark.sandbox._worker import Worker


def default_cache_dir() -> Path:
    return cache_root("sandbox")


def _namespace_dir(root: Path, namespace: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", namespace)[:40]
    digest = hashlib.sha256(namespace.encode()).hexdigest()[:12]
    return root / "tex" / f"{safe}-{digest}"


class SandboxPool:
    """``jobs`` warm workers; ``run`` blocks until a worker is free.

    Thread-safe: each call takes a worker from a queue.  Use as a context
    manager, or call :meth:`close`, so the workers are stopped.
    """

    def __init__(self, config: SandboxConfig | None = None, jobs: int = 1) -> None:
        self.config = config or SandboxConfig()
        if self.config.mode not in ("auto", "bwrap", "rlimit-only"):
            raise ValueError(f"unknown sandbox mode {self.config.mode!r}")
        problem = None if self.config.mode == "rlimit-only" else _launch.bwrap_problem()
        if self.config.mode == "bwrap" and problem:
            raise RuntimeError(f"sandbox mode 'bwrap' requested but {problem}")
        self.mode = "rlimit-only" if (problem or self.config.mode == "rlimit-only") else "bwrap"
        self.fallback_reason = problem if self.mode == "rlimit-only" else None
        root = self.config.cache_dir or default_cache_dir()
        self.cache_dir = _namespace_dir(root, self.config.namespace)
        as_root = os.geteuid() == 0
        _launch.prepare_cache(self.cache_dir, as_root=as_root)
        # Children drop to an unprivileged uid whenever we are root and that uid
        # can reach Python (always under bwrap, which mounts what it needs).
        self.drop_uid = as_root and (self.mode == "bwrap" or _launch.reachable_by_others(
            sys.base_prefix, sys.prefix, _launch.RUNTIME_DIR, self.cache_dir))
        if self.mode == "rlimit-only" and as_root and not self.drop_uid:
            self.fallback_reason = (self.fallback_reason or "requested") + \
                "; children also keep root's uid (Python or the cache is not reachable " \
                "by an unprivileged uid)"
        self.workers = [Worker(i, mode=self.mode, cache_dir=self.cache_dir,
                               limits=self.config.limits,
                               start_timeout_s=self.config.start_timeout_s,
                               drop_uid=self.drop_uid)
                        for i in range(max(1, jobs))]
        self._free: queue.Queue[Worker] = queue.Queue()
        for w in self.workers:
            self._free.put(w)

    def start(self) -> None:
        """Start every worker now (otherwise each starts on first use)."""
        for w in self.workers:
            if not w.alive():
                w.start()

    @contextmanager
    def worker(self) -> Iterator[Worker]:
        w = self._free.get()
        try:
            yield w
        finally:
            self._free.put(w)

    def run(self, code: bytes | str, scene: str | None = None) -> RawRun:
        data = code.encode("utf-8") if isinstance(code, str) else code
        with self.worker() as w:
            return w.run(data, scene)

    def abort(self) -> None:
        """Kill every worker now (e.g. on Ctrl-C); renders in flight end as ``crashed``.

        Safe to call from another thread while workers are busy; ``close``
        afterwards releases the rest.
        """
        for w in self.workers:
            w.kill()

    def close(self) -> None:
        for w in self.workers:
            w.stop()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
