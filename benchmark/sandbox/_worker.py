"""One warm sandbox worker: a fork server process and the parent's side of it."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmark.sandbox import _launch
from benchmark.sandbox._types import CHILD_STATUSES, Limits, RawRun, Status
from benchmark.sandbox.runtime import wire

MAX_SERVER_FRAME = 256 << 20
MAX_FRAMES = 1000


class WorkerError(RuntimeError):
    """The worker process itself failed (not the code it ran)."""


class _Spawner:
    """Starts worker processes from one long-lived thread.

    ``bwrap --die-with-parent`` uses ``PR_SET_PDEATHSIG``, which fires when the
    *thread* that forked the process exits, not the process.  A worker
    (re)started from a short-lived thread (a ``ThreadPoolExecutor`` that is
    shut down after a batch) would be SIGKILLed with that thread; starting
    every worker from this daemon thread ties them to the process's lifetime.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: list[tuple[list[str], dict[str, str], list[object],
                               threading.Event]] = []
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._jobs:
                    self._wake.wait()
                cmd, env, out, done = self._jobs.pop(0)
            try:
                out.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=env,
                                            start_new_session=True, close_fds=True))
            except BaseException as exc:  # handed back to the caller's thread
                out.append(exc)
            done.set()

    def spawn(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out: list[object] = []
        done = threading.Event()
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="sandbox-spawner",
                                                daemon=True)
                self._thread.start()
            self._jobs.append((cmd, env, out, done))
            self._wake.notify()
        done.wait()
        if isinstance(out[0], BaseException):
            raise out[0]
        return out[0]  # type: ignore[return-value]


_spawn = _Spawner().spawn


class _FrameReader:
    """Reads frames from a pipe with a deadline, without blocking forever."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.sel = selectors.DefaultSelector()
        self.sel.register(fd, selectors.EVENT_READ)

    def read(self, deadline: float) -> tuple[int, bytes]:
        head = wire.FRAME_HEADER.size
        while True:
            if len(self.buf) >= head:
                magic, kind, length = wire.FRAME_HEADER.unpack_from(self.buf)
                if magic != wire.MAGIC or length > MAX_SERVER_FRAME:
                    raise WorkerError("malformed frame from the sandbox server")
                if len(self.buf) >= head + length:
                    payload = bytes(self.buf[head : head + length])
                    del self.buf[: head + length]
                    return kind, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not self.sel.select(remaining):
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise WorkerError("the sandbox server exited")
            self.buf += chunk

    def close(self) -> None:
        self.sel.close()


class Worker:
    """A fork server in its own sandbox; runs one request at a time."""

    def __init__(self, index: int, *, mode: str, cache_dir: Path, limits: Limits,
                 start_timeout_s: float, drop_uid: bool) -> None:
        self.index = index
        self.drop_uid = drop_uid  # run children as a leased unprivileged uid
        self.mode = mode  # "bwrap" or "rlimit-only", decided by the pool
        self.cache_dir = cache_dir
        self.limits = limits
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: _FrameReader | None = None
        self._stderr_tail = bytearray()
        self._uid_lease: int | None = None
        self._workdir: Path | None = None  # rlimit-only mode: the server's temp base
        self.requests = 0

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        as_root = os.geteuid() == 0
        uid = None
        if self.drop_uid:
            uid, self._uid_lease = _launch.lease_uid()
        if self.mode == "bwrap":
            cmd = _launch.bwrap_command(uid=uid, cache_dir=self.cache_dir,
                                        tmpfs_bytes=self.limits.tmpfs_bytes, as_root=as_root)
            env = {}
        else:
            workdir = Path(tempfile.mkdtemp(prefix="jepa-manim-work-"))
            os.chmod(workdir, 0o711)
            self._workdir = workdir
            cmd = _launch.server_command(uid=uid, runtime=str(_launch.RUNTIME_DIR),
                                         workdir=str(workdir), tex_cache=str(self.cache_dir),
                                         pidns=False)
            env = dict(_launch.CHILD_ENV)
        self.proc = _spawn(cmd, env)
        self._stderr_tail = bytearray()
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        self.reader = _FrameReader(self.proc.stdout.fileno())
        try:
            kind, _ = self.reader.read(time.monotonic() + self.start_timeout_s)
        except (TimeoutError, WorkerError) as exc:
            tail = self.stderr_tail()
            self.stop()
            raise WorkerError(f"sandbox worker failed to start ({exc or 'timeout'}): "
                              f"{tail.strip().splitlines()[-1] if tail.strip() else ''}") from exc
        if kind != wire.KIND_READY:
            self.stop()
            raise WorkerError("sandbox worker sent an unexpected first frame")

    def _drain_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read1(1 << 14), b""):
            self._stderr_tail += chunk
            if len(self._stderr_tail) > 8192:
                del self._stderr_tail[:-8192]

    def stderr_tail(self) -> str:
        return bytes(self._stderr_tail).decode("utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the server's process group; the thread using it sees a dead worker.

        Unlike ``stop`` it closes nothing, so a thread waiting on this worker's
        pipe wakes at once (end of file) instead of at the request deadline.
        """
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self.reader is not None:
            self.reader.close()
        self.proc = None
        self.reader = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._uid_lease is not None:
            os.close(self._uid_lease)  # the uid is free again once nothing runs as it
            self._uid_lease = None

    # -- requests --------------------------------------------------------------
    def run(self, code: bytes, scene: str | None = None) -> RawRun:
        if not self.alive():
            self.stop()
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.reader is not None
        lim = self.limits
        header = json.dumps({
            "scene": scene, "timeout_s": lim.timeout_s, "cpu_s": lim.cpu_s,
            "mem_bytes": lim.mem_bytes, "fsize_bytes": lim.fsize_bytes, "nproc": lim.nproc,
            "max_data": lim.max_data, "max_output": lim.max_output,
        }).encode()
        payload = struct.pack("<I", len(header)) + header + code
        start = time.monotonic()
        self.requests += 1
        try:
            self.proc.stdin.write(wire.frame(wire.KIND_REQUEST, payload))
            self.proc.stdin.flush()
            deadline = start + lim.timeout_s + 15.0  # the server enforces timeout_s itself
            kind, data = self.reader.read(deadline)
            kind2, done_raw = self.reader.read(deadline)
            if (kind, kind2) != (wire.KIND_DATA, wire.KIND_DONE):
                raise WorkerError("sandbox server broke protocol")
            done = json.loads(done_raw)
        except TimeoutError:
            self.stop()
            return self._failed(Status.TIMEOUT,
                                f"no answer within {lim.timeout_s:.0f} s; worker restarted", start)
        except (WorkerError, BrokenPipeError, OSError, ValueError) as exc:
            tail = self.stderr_tail()
            code = None
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(timeout=1.0)
            self.stop()
            how = "" if code is None else f" (exit status {code})"
            return self._failed(Status.CRASHED, f"sandbox worker died: {exc}{how}", start, tail)
        if done.get("worker_retiring"):
            self.stop()  # it could not clean up after this request; start afresh next time
        return self._interpret(data, done, start)

    def _failed(self, status: Status, error: str, start: float, tail: str = "") -> RawRun:
        return RawRun(status=status, error=error, claimed={}, snapshots=[], stderr_tail=tail,
                      sandbox=self.mode, timings={"sandbox_s": time.monotonic() - start})

    def _interpret(self, data: bytes, done: dict, start: float) -> RawRun:
        """Decide the status from what the server observed, then the child's claims."""
        tail = str(done.get("output_tail", ""))
        timings = {"sandbox_s": time.monotonic() - start, "child_cpu_s": done.get("cpu_s", 0.0)}
        snapshots: list[bytes] = []
        claimed: dict = {}
        frame_error = ""
        try:
            for kind, payload in wire.split_frames(data, MAX_FRAMES):
                if kind == wire.KIND_SNAPSHOT:
                    snapshots.append(payload)
                elif kind == wire.KIND_RESULT and not claimed:
                    obj = json.loads(payload)
                    claimed = obj if isinstance(obj, dict) else {"status": "?"}
                else:
                    frame_error = f"unexpected frame kind {kind}"
        except (ValueError, UnicodeDecodeError) as exc:
            frame_error = str(exc)
        base = RawRun(status=None, error="", claimed=claimed, snapshots=snapshots,
                      stderr_tail=tail, sandbox=self.mode, timings=timings)
        lim = self.limits
        if done.get("timed_out"):
            base.status, base.error = Status.TIMEOUT, f"exceeded the {lim.timeout_s:g} s limit"
        elif done.get("cpu_s", 0.0) >= lim.cpu_s - 0.05 and done.get("exit_code") != 0:
            base.status, base.error = Status.TIMEOUT, f"exceeded {lim.cpu_s} CPU seconds"
        elif done.get("data_truncated"):
            base.status = Status.INVALID_SNAPSHOT
            base.error = f"snapshot stream exceeded {lim.max_data} bytes"
        elif done.get("signal") is not None:
            sig = int(done["signal"])
            base.status = Status.CRASHED
            base.error = f"killed by signal {_signame(sig)}"
        elif done.get("exit_code") != 0:
            base.status = Status.CRASHED
            base.error = f"exited with code {done.get('exit_code')} before reporting"
        elif frame_error:
            base.status, base.error = Status.INVALID_SNAPSHOT, f"malformed frames: {frame_error}"
        elif not claimed:
            base.status, base.error = Status.CRASHED, "exited without reporting a result"
        else:
            claim = str(claimed.get("status", ""))
            if claim not in {s.value for s in CHILD_STATUSES}:
                base.status = Status.INVALID_SNAPSHOT
                base.error = f"unknown status {claim[:40]!r}"
            elif claim != Status.OK:
                base.status = Status(claim)
                base.error = str(claimed.get("error", ""))[:500]
            # "ok" stays None here: the trusted decoder decides after validation.
            child_t = claimed.get("timings")
            if isinstance(child_t, dict):
                for k, v in child_t.items():
                    if isinstance(v, int | float) and isinstance(k, str) and len(timings) < 16:
                        timings[f"child_{k[:20]}"] = float(v)
        return base


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)

