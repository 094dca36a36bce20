"""Build the command line that starts one sandboxed fork server.

Under bubblewrap the server sees only: /usr (and the merged-/usr links), the
few /etc and /var files that fonts, TeX and the dynamic loader need, the Python
installation and the virtualenv (read-only), the runtime directory holding the
server and capture code (read-only), its submission's TeX cache (read-write),
a private size-limited /tmp, fresh /proc and /dev.  Not the repository, not the
tasks, references or results database, not other runs, not /root, not the
network (a fresh network namespace has only a downed loopback).
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
SANDBOX_RUNTIME = "/opt/jepa-manim/runtime"
SANDBOX_CACHE = "/cache"
TEX_LOCK = ".compile.lock"  # same name in runtime/server.py
SANDBOX_WORK = "/tmp/work"
WORKER_UID_BASE = 47000  # children run as a uid leased from 47000..47999
WORKER_UID_COUNT = 1000
WORKER_GID = 47000
UID_LOCK_DIR = Path("/tmp/jepa-manim-uids")

_ETC = ("/etc/fonts", "/etc/texmf", "/etc/alternatives", "/etc/ld.so.cache",
        "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
        "/etc/ImageMagick-6")
_VAR = ("/var/lib/texmf", "/var/cache/fontconfig")
_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


def python_paths() -> list[str]:
    """Directories the child's Python needs: installation, venv, site dirs."""
    paths = {sys.base_prefix, sys.prefix, *site.getsitepackages()}
    real = {str(Path(p).resolve()) for p in paths if os.path.isdir(p)}
    exe = Path(sys.executable)
    real.add(str(exe.resolve().parent.parent))
    # Keep only outermost directories; never anything under /usr (bound whole).
    keep = sorted(p for p in real if not p.startswith("/usr/") and p != "/usr")
    out: list[str] = []
    for p in keep:
        if not any(p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def bwrap_command(*, uid: int | None, cache_dir: Path, tmpfs_bytes: int,
                  as_root: bool) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap not found")
    cmd = [bwrap, "--die-with-parent", "--new-session",
           "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try"]
    if as_root:
        # No user namespace: the server keeps just enough root to set up each
        # child and drop it to an unprivileged uid; the child keeps nothing.
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_KILL", "--cap-add", "CAP_CHOWN",
                # to delete whatever a child left in its dir, whatever its modes
                "--cap-add", "CAP_DAC_OVERRIDE", "--cap-add", "CAP_FOWNER"]
    else:
        cmd += ["--unshare-user"]
    binds: list[tuple[str, str, str]] = [("--ro-bind", "/usr", "/usr")]
    links: list[str] = []
    for link in _USR_LINKS:
        if os.path.islink(link):
            links += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            binds.append(("--ro-bind", link, link))
    binds += [("--ro-bind", p, p) for p in (*_ETC, *_VAR) if os.path.exists(p)]
    binds += [("--ro-bind", p, p) for p in python_paths()]
    binds += [("--ro-bind", str(RUNTIME_DIR), SANDBOX_RUNTIME),
              ("--bind", str(cache_dir), SANDBOX_CACHE)]
    # The private /tmp first: binds below it (a venv under /tmp) stay visible.
    cmd += ["--size", str(tmpfs_bytes), "--perms", "0755", "--tmpfs", "/tmp"]
    # bwrap creates missing parents of mount points as 0700, which the
    # unprivileged child could not traverse: create them 0755 first.
    parents = sorted({str(q) for _, _, dest in binds for q in Path(dest).parents
                      if str(q) != "/"}, key=lambda q: q.count("/"))
    for d in parents:
        if d not in _USR_LINKS and d != "/tmp":
            cmd += ["--perms", "0755", "--dir", d]
    for flag, src, dest in binds:
        cmd += [flag, src, dest]
    cmd += links
    cmd += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv"]
    for key, value in CHILD_ENV.items():
        cmd += ["--setenv", key, value]
    cmd += server_command(uid=uid, runtime=SANDBOX_RUNTIME, workdir=SANDBOX_WORK,
                          tex_cache=SANDBOX_CACHE, pidns=True)
    return cmd


def server_command(*, uid: int | None, runtime: str, workdir: str, tex_cache: str,
                   pidns: bool) -> list[str]:
    cmd = [sys.executable, "-I", "-B", f"{runtime}/server.py", "--workdir", workdir,
           "--tex-cache", tex_cache, "--pidns", "1" if pidns else "0"]
    if uid is not None:
        cmd += ["--drop-uid", str(uid), "--drop-gid", str(WORKER_GID)]
    return cmd


def reachable_by_others(*paths: str | Path) -> bool:
    """Whether an unprivileged uid can traverse to (and read) every path."""
    for path in paths:
        p = Path(path).resolve()
        for d in (p, *p.parents):
            if d.is_dir() and not os.stat(d).st_mode & 0o001:
                return False
    return True


def lease_uid() -> tuple[int, int]:
    """Lease an unprivileged uid no other live worker on this machine uses.

    Each worker's children run as their own uid, so the per-uid process limit
    and the "kill everything of this uid" sweep after each request touch that
    worker only.  The lease is an exclusive flock held until the returned fd is
    closed (or the process dies).
    """
    UID_LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    for uid in range(WORKER_UID_BASE, WORKER_UID_BASE + WORKER_UID_COUNT):
        fd = os.open(UID_LOCK_DIR / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError(f"all {WORKER_UID_COUNT} sandbox uids are in use")


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot start here, or ``None`` when it can."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian package 'bubblewrap')"
    probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net",
             "--die-with-parent", "--proc", "/proc", "--dev", "/dev", "true"]
    if os.geteuid() != 0:
        probe.insert(1, "--unshare-user")
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if done.returncode != 0:
        msg = done.stderr.decode(errors="replace").strip().splitlines()
        return "bwrap cannot create namespaces here: " + (msg[-1] if msg else "unknown error")
    return None


def prepare_cache(cache_dir: Path, as_root: bool) -> None:
    """Create a namespace's TeX cache, writable by every worker of the pool."""
    for sub in ("", "Tex", "texts"):
        path = cache_dir / sub
        path.mkdir(parents=True, exist_ok=True)
        if as_root:
            os.chown(path, 0, WORKER_GID)
            os.chmod(path, 0o2775)
    # One TeX compile at a time per cache (see runtime/server.py): the lock file
    # is created here so unprivileged children only ever need to open it.
    lock = cache_dir / TEX_LOCK
    if not lock.exists():
        lock.touch(mode=0o644)
        if as_root:
            os.chown(lock, 0, WORKER_GID)
