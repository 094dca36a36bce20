"""Where a run's renders happen: this machine's sandbox pool, or a Ray cluster.

The runner only ever talks to a *renderer* (``render(code) -> RenderReport``,
``sandbox_mode``, ``size``, ``pool.fallback_reason``, ``pool.abort()``,
``close()``).  The ``local`` executor is ``benchmark.render.Renderer`` with
``jobs`` warm sandbox workers.  The ``ray`` executor (``benchmark.executors._ray``,
imported only when chosen) sends each render to a Ray cluster: every Ray
worker process keeps its own warm sandbox worker and its node's TeX cache, and
returns the measured objects, the frame as PNG bytes and the final Snapshot.
Everything else — generation, the render cache, scoring, the database and the
artifact files — stays on the driver, which is the only writer, so no shared
filesystem is needed and a task's row is the row the local executor writes.
"""

from __future__ import annotations

from typing import Any

from benchmark.sandbox import SandboxConfig

__all__ = ["EXECUTORS", "ExecutorError", "cluster_cpus", "make_renderer"]

EXECUTORS = ("local", "ray")


class ExecutorError(Exception):
    """The executor cannot start (Ray missing, cluster unreachable, nodes that differ)."""


def cluster_cpus(address: str) -> int:
    """Connect to the Ray cluster at ``address``; the CPUs it offers (for ``--jobs``)."""
    from benchmark.executors import _ray

    return _ray.connect(address)


def make_renderer(executor: str, config: SandboxConfig, jobs: int,
                  ray_address: str = "auto") -> Any:
    """A renderer for ``executor``: ``jobs`` renders at a time, here or on the cluster."""
    if executor == "local":
        from benchmark.render import Renderer

        return Renderer(config, jobs=jobs)
    if executor == "ray":
        from benchmark.executors import _ray

        _ray.connect(ray_address)
        return _ray.RayRenderer(config, jobs=jobs)
    raise ExecutorError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")
