"""Hostile programs run in the real bubblewrap sandbox end in the right status.

Each test runs one hostile behaviour through a warm worker and checks that it
ends in the documented status, that nothing leaks to the host (files, network,
processes), that what is reported is what the trusted side measured, and that
the same worker still renders an ordinary scene correctly afterwards.
"""

from __future__ import annotations

import resource
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from _hostile import (
    AS_ROOT,
    LIMITS,
    REPO,
    RUNTIME_DIR,
    assert_only_square,
    assert_still_works,
    kinds,
    live_processes_of,
    make_renderer,
    sandbox_uid,
    scene,
)

from benchmark.sandbox import Status, bwrap_problem

pytestmark = pytest.mark.skipif(bwrap_problem() is not None,
                                reason=f"bubblewrap unavailable: {bwrap_problem()}")


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    r = make_renderer(tmp_path_factory, "hostile-tests")
    try:
        yield r
    finally:
        r.close()


@pytest.fixture(scope="module")
def host_dir():
    """A world-readable, world-writable directory on the host, outside the sandbox.

    Its permissions let the sandbox's unprivileged uid in, so only the mount
    isolation keeps the sandbox from reading or writing it.
    """
    path = Path(tempfile.mkdtemp(prefix="hostile-host-", dir="/tmp"))
    path.chmod(0o777)
    secret = path / "secret.txt"
    secret.write_text("host secret\n")
    secret.chmod(0o644)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- limits ------------------------------------------------------------------------


@pytest.mark.slow
def test_infinite_loop_times_out(renderer):
    t0 = time.monotonic()
    report = renderer.render(scene("while True:\n    pass"))
    assert report.status is Status.TIMEOUT, report.error
    assert report.objects == [] and report.frame is None
    assert time.monotonic() - t0 < LIMITS.timeout_s + 10
    assert_still_works(renderer)


@pytest.mark.parametrize("body", [
    "x = bytearray(50 * 2**30)\nself.add(Square())",
    # np.empty reserves without touching its pages, so the limit is reached at once however
    # busy the machine (zero-filling 2 GiB can outlast the timeout on a loaded one)
    "import numpy as np\nhoard = []\nwhile True:\n    hoard.append(np.empty(2**24))",
], ids=["one-huge-allocation", "growing-list"])
def test_memory_bomb_is_memory_exceeded(renderer, body):
    report = renderer.render(scene(body))
    assert report.status is Status.MEMORY_EXCEEDED, (report.status, report.error)
    assert report.objects == []
    assert_still_works(renderer)


@pytest.mark.slow
def test_fork_bomb_is_contained_and_leaves_no_process(renderer):
    uid = sandbox_uid(renderer) if AS_ROOT else None
    t0 = time.monotonic()
    report = renderer.render(scene("""
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""))
    assert time.monotonic() - t0 < 30
    assert report.status is not Status.OK
    assert report.status in {Status.TIMEOUT, Status.RUNTIME_ERROR, Status.CRASHED}, report.error
    assert report.objects == []
    if uid is not None:
        assert 47000 <= uid < 48000
        assert live_processes_of(uid) == []
    assert_still_works(renderer)
    if uid is not None:
        assert live_processes_of(uid) == []


def test_segfault_is_crashed(renderer):
    report = renderer.render(scene("import ctypes\nctypes.string_at(0)"))
    assert report.status is Status.CRASHED, report.error
    assert "SIGSEGV" in report.error
    assert report.objects == []
    assert_still_works(renderer)


def test_hard_exit_is_crashed(renderer):
    report = renderer.render(scene("self.add(Square())\nimport os\nos._exit(3)"))
    assert report.status is Status.CRASHED, report.error
    assert "3" in report.error
    assert report.objects == []
    assert_still_works(renderer)


def test_gigabyte_of_stdout_is_bounded(renderer):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    t0 = time.monotonic()
    report = renderer.render(scene("""
import sys
chunk = "x" * 2**20
for _ in range(1024):
    sys.stdout.write(chunk)
sys.stdout.flush()
self.add(Square())
"""))
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    # 1 GiB through a pipe fits in the time limit here; only a bounded tail is kept.
    assert report.status is Status.OK, (report.status, report.error)
    assert time.monotonic() - t0 < LIMITS.timeout_s + 10
    assert kinds(report) == [("shape", "Square")]
    assert 0 < len(report.stderr_tail) <= 16384
    assert set(report.stderr_tail) == {"x"}
    assert grown_mib < 200
    assert_still_works(renderer)


def test_unflushed_output_reaches_the_tail(renderer):
    report = renderer.render(scene('print("said-before-failing")\nraise ValueError("boom")'))
    assert report.status is Status.RUNTIME_ERROR, report.error
    assert "said-before-failing" in report.stderr_tail


# -- isolation ---------------------------------------------------------------------


def test_reading_files_outside_the_sandbox_fails(renderer, host_dir):
    paths = [str(host_dir / "secret.txt"), str(REPO / "README.md"),
             str(REPO / "benchmark" / "render.py"), "/root/.bashrc", "/etc/shadow",
             "/etc/passwd", "/etc/hostname"]
    assert (host_dir / "secret.txt").read_text() == "host secret\n"
    report = renderer.render(scene(f"""
leaked = []
for path in {paths!r}:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        leaked.append(path)
    except OSError:
        pass
self.add(Text("LEAK " + " ".join(leaked)) if leaked else Square())
"""))
    assert not any(o.kind == "text" for o in report.objects), [o.content for o in report.objects]
    assert_only_square(report)


def test_connecting_to_a_loopback_server_fails(renderer):
    seen: list[tuple[str, int]] = []
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        # The server is reachable from the host, so a sandboxed success would show.
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(seen) == 1
        report = renderer.render(scene(f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    self.add(Circle())
except OSError:
    self.add(Square())
"""))
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(5)
        srv.close()
    assert_only_square(report)
    assert len(seen) == 1  # only the host's own check connected


def test_writing_outside_the_temp_dir_fails(renderer, host_dir):
    host_target = host_dir / "written-by-sandbox"
    targets = ["/tmp/../etc/x", "/usr/x", "/opt/jepa-manim/runtime/x", str(host_target),
               str(REPO / "x")]
    existed = {p: Path(p).exists() for p in ("/etc/x", "/usr/x", str(RUNTIME_DIR / "x"),
                                             str(REPO / "x"))}
    report = renderer.render(scene(f"""
import os
written = []
for path in {targets!r}:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        written.append(path)
    except OSError:
        pass
own = []
try:  # its own temp dir (the working directory) is writable
    with open(os.path.join(os.getcwd(), "mine.txt"), "w") as fh:
        fh.write("ok")
    own.append(1)
except OSError:
    pass
self.add(Square() if own and not written else Circle())
"""))
    assert_only_square(report)
    assert not host_target.exists()
    for path, was in existed.items():
        if not was:
            assert not Path(path).exists(), path
