"""Value types of the sandbox: statuses, limits, configuration and raw runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchmark.status import Status

# What the child itself may claim.  It can only ever claim a failure or "ok";
# "ok" still needs a clean exit and a valid snapshot, checked by the parent.
CHILD_STATUSES = frozenset({
    Status.OK, Status.SYNTAX_ERROR, Status.IMPORT_ERROR, Status.NO_SCENE,
    Status.MULTIPLE_SCENES, Status.RUNTIME_ERROR, Status.LATEX_ERROR,
    Status.MEMORY_EXCEEDED,
})


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to every child (per request)."""

    timeout_s: float = 60.0  # wall clock, enforced by the server and again by the parent
    cpu_s: int = 60  # RLIMIT_CPU
    mem_bytes: int = 2 << 30  # RLIMIT_AS headroom above the warm server's address space
    fsize_bytes: int = 64 << 20  # RLIMIT_FSIZE: largest file the child may write
    nproc: int = 32  # RLIMIT_NPROC for the worker's own uid
    max_data: int = 64 << 20  # bytes of snapshot frames accepted from one child
    max_output: int = 8 << 10  # stdout/stderr tail kept
    tmpfs_bytes: int = 512 << 20  # size of the sandbox's private /tmp


@dataclass(frozen=True)
class SandboxConfig:
    """How workers are started.

    ``mode``: ``"auto"`` uses bubblewrap when it can start and otherwise falls
    back to ``"rlimit-only"`` (recorded in every result, never silent);
    ``"bwrap"`` fails loudly instead of falling back.
    ``namespace`` separates TeX caches: code run under one namespace (one
    submission) can never write a cache entry another namespace reads.
    """

    mode: str = "auto"
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/jepa-manim/sandbox
    namespace: str = "default"
    start_timeout_s: float = 120.0


@dataclass
class RawRun:
    """What the sandbox observed for one request, before any trusted decoding."""

    status: Status | None  # set when the run already failed (timeout, crash …)
    error: str
    claimed: dict  # the child's own RESULT message (untrusted), {} if none
    snapshots: list[bytes]  # snapshot payloads in keyframe order (unvalidated)
    stderr_tail: str
    sandbox: str  # "bwrap" or "rlimit-only"
    timings: dict[str, float] = field(default_factory=dict)
