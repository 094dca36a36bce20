"""Where a run's renders happen: this machine's sandbox pool, or a Ray cluster.

The runner only ever talks to a ``benchmark.render.RenderBackend``
(``render(code) -> RenderReport``, ``sandbox_mode``, ``fallback_reason``,
``size``, ``abort()``, ``close()``).  The ``local`` executor is
``benchmark.render.Renderer`` with ``jobs`` warm sandbox workers.  The ``ray``
executor (``benchmark.executors._ray``; Ray itself is imported only when it is
chosen) sends each render to a Ray cluster: every Ray worker process keeps its
own warm sandbox worker and its node's TeX cache, and returns the measured
objects, the frame as PNG bytes and the final Snapshot.  Everything else —
generation, the render cache, scoring, the database and the artifact files —
stays on the driver, which is the only writer, so no shared filesystem is
needed and a task's row is the row the local executor writes.
"""

from __future__ import annotations

from benchmark.executors import _ray
from benchmark.executors._errors import ExecutorError
from benchmark.render import RenderBackend, Renderer
from benchmark.sandbox import SandboxConfig

__all__ = ["EXECUTORS", "ExecutorError", "cluster_cpus", "make_renderer"]

EXECUTORS = ("local", "ray")


def cluster_cpus(address: str) -> int:
    """Connect to the Ray cluster at ``address``; the CPUs it offers (for ``--jobs``)."""
    return _ray.connect(address)


def make_renderer(executor: str, config: SandboxConfig, jobs: int,
                  ray_address: str = "auto") -> RenderBackend:
    """A renderer for ``executor``: ``jobs`` renders at a time, here or on the cluster."""
    if executor == "local":
        return Renderer(config, jobs=jobs)
    if executor == "ray":
        _ray.connect(ray_address)
        return _ray.RayRenderer(config, jobs=jobs)
    raise ExecutorError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")
