"""The Ray executor: renders run as Ray tasks; results come back to the driver.

Each render is one Ray task (one CPU).  The Ray worker process that runs it
keeps a ``Renderer`` with one warm sandbox worker per TeX namespace for as long
as the job lives, so after the first task a node renders as fast as a local
worker, and the TeX cache is the node's own (``$XDG_CACHE_HOME`` there).  The
task returns the measured objects, the frame as PNG bytes and the final
Snapshot; the driver turns them back into a ``RenderReport`` and the runner
records it exactly as it records a local render.

Failures: a task whose worker process or node dies is retried once by Ray
(``max_retries=1``), on any worker that is free; a task that kills its worker
twice comes back as a ``crashed`` render (never cached, so a later run tries
again).  Results are written only by the driver, with insert-or-ignore on
``(run_id, task_id)``, so a retried task is never recorded twice.

Every node must run the same jepa-manim, manim and sandbox mode as the
driver: a render's cache key says what it was measured with, and a node whose
fingerprint differs stops the run with an error naming it.
"""

from __future__ import annotations

import io
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmark.executors._errors import ExecutorError
from benchmark.measure import SemanticObject
from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import SandboxConfig, Status
from benchmark.store import render_salt

__all__ = ["RayRenderer", "connect"]

MAX_RETRIES = 1  # a task is retried once after its worker dies; the second death: crashed

_INSTALL = "pip install '.[ray]'"


# -- on the worker nodes -------------------------------------------------------------------

_RENDERERS: dict[tuple[SandboxConfig, tuple[int, int]], Renderer] = {}
_RENDERERS_LOCK = threading.Lock()


def _node_renderer(config: SandboxConfig, size: tuple[int, int]) -> Renderer:
    """This worker process's warm renderer for ``config`` (one sandbox worker each)."""
    with _RENDERERS_LOCK:
        renderer = _RENDERERS.get((config, size))
        if renderer is None:
            renderer = _RENDERERS[(config, size)] = Renderer(config, jobs=1, width=size[0],
                                                             height=size[1])
        return renderer


def _node_name() -> str:
    import ray

    try:
        return str(ray.util.get_node_ip_address())
    except Exception:  # outside a Ray worker (never in practice): the host name will do
        return os.uname().nodename


@dataclass
class _NodeInfo:
    """What a node says about itself: its sandbox and what its renders are keyed by."""

    node: str
    mode: str
    fallback_reason: str | None
    salt: str


@dataclass
class _Shipped:
    """One render as it travels back to the driver (the frame as a PNG)."""

    status: Status
    error: str
    objects: list[SemanticObject]
    png: bytes | None
    keyframes: int
    sandbox: str
    stderr_tail: str
    node: str
    salt: str
    timings: dict[str, float] = field(default_factory=dict)
    snapshot: bytes | None = None  # the final keyframe's payload (all the store keeps)


def _node_info(config: SandboxConfig, size: tuple[int, int]) -> _NodeInfo:
    renderer = _node_renderer(config, size)
    return _NodeInfo(_node_name(), renderer.sandbox_mode, renderer.fallback_reason,
                     render_salt(renderer, config.namespace))


def _render_on_node(config: SandboxConfig, size: tuple[int, int], code: str) -> _Shipped:
    """Render ``code`` on this node (a Ray task body)."""
    from PIL import Image

    renderer = _node_renderer(config, size)
    report = renderer.render(code)
    png = None
    if report.frame is not None:
        buf = io.BytesIO()
        rgb = np.ascontiguousarray(report.frame[..., :3], dtype=np.uint8)
        Image.fromarray(rgb, mode="RGB").save(buf, format="PNG", compress_level=1)
        png = buf.getvalue()
    return _Shipped(report.status, report.error, report.objects, png, report.keyframes,
                    report.sandbox, report.stderr_tail, _node_name(),
                    render_salt(renderer, config.namespace), dict(report.timings),
                    report.snapshots[-1] if report.snapshots else None)


# -- on the driver -------------------------------------------------------------------------

def connect(address: str) -> int:
    """Join the cluster at ``address`` (``auto``, ``host:port``, ``ray://host:port``, or
    ``local`` for a private one on this machine) once per process; its CPU count."""
    try:
        import ray
    except ImportError:
        raise ExecutorError(f"--executor ray needs Ray, which is not installed: "
                            f"{_INSTALL}") from None
    if not ray.is_initialized():
        if address.startswith("ray://"):
            try:
                import grpc  # noqa: F401  (Ray Client's transport)
            except ImportError:
                raise ExecutorError(f"--ray-address {address}: ray:// addresses use Ray "
                                    "Client, which needs pip install 'ray[client]'; or run "
                                    "on a cluster node with --ray-address auto") from None
        problem = _unreachable(address)
        if problem:
            raise ExecutorError(f"no Ray cluster reachable at {address}: {problem}")
        kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
        if address == "local":
            kwargs["include_dashboard"] = False
        else:
            kwargs["address"] = address
        try:
            ray.init(**kwargs)
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            hint = (" (start one with `ray start --head`)" if address == "auto" else "")
            raise ExecutorError(f"no Ray cluster reachable at {address}{hint}: "
                                f"{first}") from None
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if cpus < 1:
        raise ExecutorError(f"the Ray cluster at {address} offers no CPUs")
    return cpus


def _unreachable(address: str, timeout_s: float = 5.0) -> str | None:
    """Why ``HOST:PORT`` cannot be reached, or ``None`` (Ray itself would retry for
    minutes); ``auto`` and ``local`` are left to Ray."""
    if address in ("auto", "local"):
        return None
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return "expected auto, local, HOST:PORT or ray://HOST:PORT"
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


class RayRenderer:
    """The ``RenderBackend`` over a Ray cluster; thread-safe, ``jobs`` at a time.

    ``connect`` must have been called.  ``jobs`` only bounds what the runner
    keeps in flight; Ray runs one render per CPU on whichever node is free.
    """

    def __init__(self, config: SandboxConfig | None = None, jobs: int = 1,
                 width: int = 854, height: int = 480) -> None:
        import ray

        self.config = config or SandboxConfig()
        self.jobs = max(1, jobs)
        self.size = (width, height)
        # Task options: one CPU each; retried once when the worker or node dies.
        opts = {"num_cpus": 1, "max_retries": MAX_RETRIES, "retry_exceptions": False}
        self._render = ray.remote(**opts)(_render_on_node)
        self._info = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_node_info)
        self._inflight: set[Any] = set()
        self._lock = threading.Lock()
        self._cancelled = False
        try:
            info: _NodeInfo = ray.get(self._info.remote(self.config, self.size))
        except ray.exceptions.RayTaskError as exc:
            raise ExecutorError(f"a Ray node cannot start its sandbox: "
                                f"{_cause_line(exc)}") from None
        self.sandbox_mode = info.mode
        self.fallback_reason = info.fallback_reason
        self.salt = info.salt
        self._first_node = info.node

    def render(self, code: bytes | str, scene: str | None = None) -> RenderReport:
        """Render on the cluster (``scene`` is not supported: the runner never names one)."""
        import ray

        if scene is not None:
            raise ValueError("RayRenderer renders a file's only scene; scene names are "
                             "not supported")
        text = code.decode("utf-8") if isinstance(code, bytes) else code
        with self._lock:
            if self._cancelled:
                return _crashed("the run was cancelled", self.sandbox_mode)
            ref = self._render.remote(self.config, self.size, text)
            self._inflight.add(ref)
        try:
            shipped: _Shipped = ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            return _crashed("the run was cancelled", self.sandbox_mode)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.ObjectLostError, ray.exceptions.OwnerDiedError,
                ray.exceptions.OutOfMemoryError) as exc:
            return _crashed(f"the render killed its Ray worker {MAX_RETRIES + 1} times: "
                            f"{_cause_line(exc)}", self.sandbox_mode)
        finally:
            with self._lock:
                self._inflight.discard(ref)
        if shipped.salt != self.salt:
            raise ExecutorError(
                f"Ray node {shipped.node} renders with {shipped.salt!r}, but node "
                f"{self._first_node} with {self.salt!r}: give every node the same "
                "jepa-manim, manim and sandbox mode")
        return _report(shipped)

    def abort(self) -> None:
        """Cancel every render in flight (Ctrl-C); their callers see ``crashed``."""
        import ray

        with self._lock:
            self._cancelled = True
            refs = list(self._inflight)
        for ref in refs:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # already finished or its node gone: nothing left to stop
                pass

    def close(self) -> None:
        """Nothing to release here: each node's sandboxes end with the Ray job."""

    def __enter__(self) -> RayRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _report(shipped: _Shipped) -> RenderReport:
    """A ``RenderReport`` from what a node sent (``frame`` is RGB, not RGBA)."""
    frame = None
    if shipped.png is not None:
        from PIL import Image

        with Image.open(io.BytesIO(shipped.png)) as im:
            frame = np.asarray(im.convert("RGB"), dtype=np.uint8)
    timings = dict(shipped.timings)
    return RenderReport(status=shipped.status, error=shipped.error,
                        objects=shipped.objects, frame=frame, keyframes=shipped.keyframes,
                        sandbox=shipped.sandbox, stderr_tail=shipped.stderr_tail,
                        timings=timings,
                        snapshots=[shipped.snapshot] if shipped.snapshot is not None else [])


def _crashed(error: str, mode: str) -> RenderReport:
    return RenderReport(status=Status.CRASHED, error=error, objects=[], frame=None,
                        keyframes=0, sandbox=mode, stderr_tail="")


def _cause_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__

