"""The warm fork server that runs inside each sandbox worker.

It imports manim once, then serves requests read from stdin: for each one it
forks a child that applies the rlimits, drops to the worker's unprivileged uid
(when the server may), and runs :mod:`capture`.  The server relays the child's
frames unparsed, observes how the child ended (exit code, signal, timeout, CPU
time), kills every process the child left behind, and reports on stdout.

The child never sees the server's stdin/stdout: its fds 0-2 are /dev/null and
an output pipe, fd 3 is its own data pipe.  The server is non-dumpable, so a
child with the same uid cannot ptrace it or open its /proc fds.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire

REQUEST_HEAD = struct.Struct("<I")
PR_SET_DUMPABLE = 4


def _set_nondumpable() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stdin = sys.stdin.buffer
        self.stdout = sys.stdout.buffer
        self.counter = 0
        self.base = args.workdir
        self.children_cpu = 0.0
        self.retire = False

    def send(self, kind: int, payload: bytes) -> None:
        self.stdout.write(wire.frame(kind, payload))
        self.stdout.flush()

    def serve(self) -> None:
        self.send(wire.KIND_READY, json.dumps({"pid": os.getpid(),
                                               "uid": os.getuid()}).encode())
        while True:
            got = wire.read_frame(self.stdin, max_payload=64 << 20)
            if got is None:
                return
            kind, payload = got
            if kind != wire.KIND_REQUEST:
                raise SystemExit(f"unexpected frame kind {kind}")
            (hlen,) = REQUEST_HEAD.unpack_from(payload)
            header = json.loads(payload[4 : 4 + hlen])
            code = payload[4 + hlen :]
            data, done = self.handle(header, code)
            self.send(wire.KIND_DATA, data)
            self.send(wire.KIND_DONE, json.dumps(done).encode())
            if self.retire:
                return

    # -- one request -------------------------------------------------------------
    def handle(self, req: dict, code: bytes) -> tuple[bytes, dict]:
        self.counter += 1
        workdir = os.path.join(self.base, f"r{self.counter}")
        os.makedirs(workdir, mode=0o700)
        if self.args.drop_uid is not None:
            os.chown(workdir, self.args.drop_uid, self.args.drop_gid)
        data_r, data_w = os.pipe()
        out_r, out_w = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child
            try:
                os.close(data_r)
                os.close(out_r)
                self.enter_child(req, data_w, out_w, workdir)
                import capture

                rc = capture.run(code, req.get("scene"), 3, workdir)
            except BaseException:
                rc = 70
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):  # the child is exiting anyway
                    stream.flush()
            os._exit(rc)
        os.close(data_w)
        os.close(out_w)
        result = self.supervise(pid, data_r, out_r, req, start)
        self.kill_strays(pid)
        shutil.rmtree(workdir, ignore_errors=True)
        if os.path.exists(workdir) or self.low_on_space():
            # Something we cannot clean up: end this worker; the parent starts
            # a fresh one (with an empty private /tmp) for the next request.
            result[1]["worker_retiring"] = True
            self.retire = True
        return result

    def low_on_space(self) -> bool:
        st = os.statvfs(self.base)
        return st.f_bavail < st.f_blocks * 0.5

    def enter_child(self, req: dict, data_w: int, out_w: int, workdir: str) -> None:
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(data_w, 3)
        os.closerange(4, 65536)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail, not kill
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        mem = int(req["mem_bytes"])
        vm = _vm_size()
        resource.setrlimit(resource.RLIMIT_AS, (vm + mem, vm + mem))
        cpu = int(req["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        fsize = int(req["fsize_bytes"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        nproc = int(req["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        if self.args.drop_uid is not None:
            os.setgroups([])
            os.setresgid(self.args.drop_gid, self.args.drop_gid, self.args.drop_gid)
            os.setresuid(self.args.drop_uid, self.args.drop_uid, self.args.drop_uid)
        os.umask(0o002)  # the shared TeX cache is group-writable for this pool's workers
        os.chdir(workdir)
        os.environ["HOME"] = workdir
        os.environ["TMPDIR"] = workdir
        os.environ["TEXMFVAR"] = os.path.join(workdir, ".texmf-var")

    def supervise(self, pid: int, data_r: int, out_r: int, req: dict,
                  start: float) -> tuple[bytes, dict]:
        max_data = int(req["max_data"])
        max_output = int(req["max_output"])
        deadline = start + float(req["timeout_s"])
        data = bytearray()
        tail = bytearray()
        out_bytes = 0
        truncated = timed_out = False
        sel = selectors.DefaultSelector()
        sel.register(data_r, selectors.EVENT_READ, "data")
        sel.register(out_r, selectors.EVENT_READ, "out")
        pidfd = os.pidfd_open(pid)
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        exited = False
        status = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not exited:
                timed_out = True
                self.kill_child(pid)
            open_pipes = [k for k in sel.get_map().values() if k.data != "exit"]
            if exited and not open_pipes:
                break
            if timed_out and not exited:
                # The child is dead or dying; collect it, then drain what is left.
                _, status = os.waitpid(pid, 0)
                exited = True
                sel.unregister(pidfd)
                continue
            wait = 0.5 if exited else max(0.0, min(remaining, 0.5))
            events = sel.select(wait)
            if exited and not events:
                break  # a grandchild holds a pipe open; it is killed below
            for key, _ in events:
                if key.data == "exit":
                    _, status = os.waitpid(pid, 0)
                    exited = True
                    sel.unregister(pidfd)
                    continue
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                if key.data == "data":
                    if len(data) + len(chunk) > max_data:
                        truncated = True
                        self.kill_child(pid)
                    else:
                        data += chunk
                else:
                    out_bytes += len(chunk)
                    tail += chunk
                    if len(tail) > max_output:
                        del tail[: len(tail) - max_output]
        sel.close()
        for fd in (data_r, out_r, pidfd):
            try:
                os.close(fd)
            except OSError:
                pass
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        total_cpu = usage.ru_utime + usage.ru_stime
        child_cpu, self.children_cpu = total_cpu - self.children_cpu, total_cpu
        done = {
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "timed_out": timed_out,
            "data_truncated": truncated,
            "output_tail": tail.decode("utf-8", errors="replace"),
            "output_bytes": out_bytes,
            "wall_s": time.monotonic() - start,
            "cpu_s": child_cpu,
        }
        return bytes(data), done

    def kill_child(self, pid: int) -> None:
        for target in (-pid, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass

    def kill_strays(self, pid: int) -> None:
        """Kill everything the child left behind (daemons, fork bombs)."""
        self.kill_child(pid)
        if self.args.drop_uid is not None:
            # A reaper with the worker's uid may signal exactly that uid's processes.
            reaper = os.fork()
            if reaper == 0:
                try:
                    os.setresuid(self.args.drop_uid, self.args.drop_uid, self.args.drop_uid)
                    _kill_all(self.args.drop_uid)
                finally:
                    os._exit(0)
            os.waitpid(reaper, 0)
        elif self.args.pidns:
            _kill_all()  # in our own pid namespace: all but us and init
        while True:  # reap zombies re-parented to us
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break


def _kill_all(uid: int | None = None) -> None:
    """SIGKILL every process this one may signal, until none is left alive.

    ``kill(-1)`` cannot tell whether it found anyone, so /proc is checked for
    live (non-zombie) processes of ``uid`` (any uid when ``None``), other than
    this one and init.  Passes repeat so that processes forked during a pass
    (a fork bomb) are caught by the next.
    """
    for attempt in range(50):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        if not _others_alive(uid):
            return
        time.sleep(0.001 * min(attempt + 1, 10))


def _others_alive(uid: int | None) -> bool:
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (me, 1):
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                status = fh.read()
        except OSError:
            continue
        state = uid_line = ""
        for line in status.splitlines():
            if line.startswith("State:"):
                state = line.split()[1]
            elif line.startswith("Uid:"):
                uid_line = line.split()[1]
        if state in ("Z", "X"):
            continue
        if uid is None or uid_line == str(uid):
            return True
    return False


def _serialise_cache_writes(cache_dir: str) -> None:
    """One writer at a time in the shared TeX/text cache, across this pool's workers.

    manim writes into the cache in ways that break when two workers do it at
    once: after every TeX compile it deletes every non-SVG file in the TeX
    folder (another worker's ``.tex``/``.dvi`` mid-compile), and every
    ``SVGMobject`` writes its modified copy as ``<name>_.svg`` next to the
    original and unlinks it after parsing (another worker's copy of the same
    SVG), and every ``Text`` rewrites its cached SVG in place.  So TeX
    compiles, text-to-SVG conversion, that rewrite and SVG parsing take an
    advisory ``flock`` on a file the trusted side created (re-entrant within a
    process).  Cached work holds it for a millisecond or two; a child that holds
    it and hangs is killed at its timeout, which releases it.
    """
    import fcntl
    import functools

    from manim.mobject.svg.svg_mobject import SVGMobject
    from manim.mobject.text import tex_mobject, text_mobject
    from manim.utils import tex_file_writing

    lock_path = os.path.join(cache_dir, ".compile.lock")
    depth = [0]

    def locked(fn):  # type: ignore[no-untyped-def]
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            if depth[0]:
                return fn(*args, **kwargs)
            try:
                fd = os.open(lock_path, os.O_RDONLY)
            except OSError:
                return fn(*args, **kwargs)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                depth[0] += 1
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1 if depth[0] else 0
                os.close(fd)

        return wrapper

    tex_to_svg = locked(tex_file_writing.tex_to_svg_file)
    tex_file_writing.tex_to_svg_file = tex_to_svg
    tex_mobject.tex_to_svg_file = tex_to_svg
    SVGMobject.generate_mobject = locked(SVGMobject.generate_mobject)
    text_mobject.Text._text2svg = locked(text_mobject.Text._text2svg)
    text_mobject.MarkupText._text2svg = locked(text_mobject.MarkupText._text2svg)
    pango = text_mobject.PangoUtils  # rewrites a cached text SVG in place after each use
    pango.remove_last_M = staticmethod(locked(pango.remove_last_M))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drop-uid", type=int, default=None)
    parser.add_argument("--drop-gid", type=int, default=None)
    parser.add_argument("--pidns", type=int, default=0)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--tex-cache", required=True)
    args = parser.parse_args()
    _set_nondumpable()
    os.makedirs(args.workdir, exist_ok=True)
    # Warm imports: every child forks with manim already loaded.
    import manim

    manim.config.verbosity = "ERROR"
    manim.config.progress_bar = "none"
    manim.config.tex_dir = os.path.join(args.tex_cache, "Tex")
    manim.config.text_dir = os.path.join(args.tex_cache, "texts")
    _serialise_cache_writes(args.tex_cache)
    import capture  # noqa: F401

    # Move everything imported so far out of the collector's reach: children
    # then do not touch (and copy-on-write) those pages when they collect.
    gc.collect()
    gc.freeze()
    Server(args).serve()


if __name__ == "__main__":
    main()
