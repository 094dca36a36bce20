"""Run untrusted Manim code in a sandbox and collect its Snapshots.

What it protects against: code that reads files outside its private temp dir
(the repository, tasks, references, the results database, other runs, /root),
opens network connections, writes outside its temp dir and its own
submission's TeX cache, loops forever (wall clock and CPU limits), exhausts
memory (address-space limit), fork-bombs (per-worker-uid process limit, and
every leftover process is killed after each request), floods stdout (only a
bounded tail is kept), crashes the interpreter, or lies in its output (the
parent never reads stdout as data; snapshot frames are validated and drawn by
trusted code, so a forged snapshot only changes what is drawn and measured).

What it does not protect against: kernel exploits that escape namespaces, and
side channels (timing) between concurrent workers.  Without bubblewrap (no
user namespaces), mode ``rlimit-only`` keeps the limits and the uid drop but
not the filesystem and network isolation; every result records the mode.
"""

from benchmark.sandbox._launch import bwrap_problem
from benchmark.sandbox._pool import SandboxPool, default_cache_dir
from benchmark.sandbox._types import Limits, RawRun, SandboxConfig, Status

__all__ = ["Limits", "RawRun", "SandboxConfig", "SandboxPool", "Status", "bwrap_problem",
           "default_cache_dir"]
