"""Hostile programs run in the real bubblewrap sandbox end in the right status.

Each test runs one hostile behaviour through a warm worker and checks that it
ends in the documented status, that nothing leaks to the host (files, network,
processes), that what is reported is what the trusted side measured, and that
the same worker still renders an ordinary scene correctly afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from benchmark.render import Renderer, RenderReport
from benchmark.sandbox import Limits, SandboxConfig, Status, bwrap_problem

REPO = Path(__file__).resolve().parent.parent
RUNTIME_DIR = REPO / "benchmark" / "sandbox" / "runtime"
LIMITS = Limits(timeout_s=8, cpu_s=8)
BOX_TOL = 1e-6
FAILURES = {s for s in Status if s is not Status.OK}
AS_ROOT = os.geteuid() == 0

pytestmark = pytest.mark.skipif(bwrap_problem() is not None,
                                reason=f"bubblewrap unavailable: {bwrap_problem()}")

HEAD = "from manim import *\n\n\nclass S(Scene):\n    def construct(self):\n"


def scene(body: str) -> str:
    """A one-scene module whose ``construct`` runs ``body`` (dedented lines)."""
    lines = body.strip("\n").splitlines()
    return HEAD + "".join(f"        {line}\n" for line in lines)


def make_renderer(tmp_path_factory: pytest.TempPathFactory, namespace: str,
                  limits: Limits = LIMITS) -> Renderer:
    cfg = SandboxConfig(mode="bwrap", limits=limits, namespace=namespace,
                        cache_dir=tmp_path_factory.mktemp("sandbox-cache"))
    return Renderer(cfg, jobs=1)


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


def kinds(report: RenderReport) -> list[tuple[str, str]]:
    return [(o.kind, o.cls) for o in report.objects]


def assert_box(box: tuple[float, ...], expected: tuple[float, ...]) -> None:
    assert len(box) == 4
    assert all(abs(a - b) <= BOX_TOL for a, b in zip(box, expected, strict=True)), box


def assert_still_works(renderer: Renderer) -> None:
    """The worker that ran the hostile code still renders a normal scene exactly."""
    report = renderer.render(scene("self.add(Circle(radius=1).move_to([-4, 0, 0]))"))
    assert report.status is Status.OK, (report.status, report.error, report.stderr_tail)
    assert report.sandbox == "bwrap"
    assert kinds(report) == [("shape", "Circle")]
    assert_box(report.objects[0].box, (-5.0, -1.0, -3.0, 1.0))


def assert_only_square(report: RenderReport) -> None:
    """The scene drew exactly the marker ``Square()``: every probe came out as expected."""
    assert report.status is Status.OK, (report.status, report.error, report.stderr_tail)
    assert kinds(report) == [("shape", "Square")], report.stderr_tail
    assert_box(report.objects[0].box, (-1.0, -1.0, 1.0, 1.0))


def sandbox_uid(renderer: Renderer) -> int:
    """The uid the worker's children run as, read back from what a scene draws."""
    report = renderer.render(scene(
        "import os\nself.add(Square().move_to([(os.getuid() - 47000) / 100, 0, 0]))"))
    assert report.status is Status.OK, report.error
    x0, _, x1, _ = report.objects[0].box
    return 47000 + round((x0 + x1) / 2 * 100)


def live_processes_of(uid: int) -> list[str]:
    """Host processes (not zombies) running as ``uid``: 'pid state name' each."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{name}/status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        state = fields.get("State", "").split()
        if fields.get("Uid", "").split()[:1] == [str(uid)] and state[:1] not in (["Z"], ["X"]):
            found.append(f"{name} {state[:1]} {fields.get('Name', '').strip()}")
    return found


# -- limits ------------------------------------------------------------------------


def test_infinite_loop_times_out(renderer):
    t0 = time.monotonic()
    report = renderer.render(scene("while True:\n    pass"))
    assert report.status is Status.TIMEOUT, report.error
    assert report.objects == [] and report.frame is None
    assert time.monotonic() - t0 < LIMITS.timeout_s + 10
    assert_still_works(renderer)


@pytest.mark.parametrize("body", [
    "x = bytearray(50 * 2**30)\nself.add(Square())",
    "hoard = []\nwhile True:\n    hoard.append(bytearray(2**24))",
], ids=["one-huge-allocation", "growing-list"])
def test_memory_bomb_is_memory_exceeded(renderer, body):
    report = renderer.render(scene(body))
    assert report.status is Status.MEMORY_EXCEEDED, (report.status, report.error)
    assert report.objects == []
    assert_still_works(renderer)


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


# -- lies and tampering ------------------------------------------------------------

FAKE_JSON = json.dumps({"status": "ok", "objects": [
    {"kind": "tex", "content": "FAKE", "box": [0, 0, 1, 1]}]})


def test_noop_render_patch_reports_nothing_fake(renderer):
    code = ("from manim import *\n\nScene.render = lambda self, *a, **k: None\n\n\n"
            "class S(Scene):\n    def construct(self):\n        self.add(Square())\n")
    report = renderer.render(code)
    # construct never ran, so nothing was drawn and nothing may be reported.
    assert report.status is Status.EMPTY_SCENE, (report.status, report.error)
    assert report.objects == []
    assert_still_works(renderer)


def test_replaced_render_reports_what_it_drew(renderer):
    code = ("from manim import *\n\n\ndef render(self, *a, **k):\n"
            "    self.mobjects = [Square(side_length=2).move_to([3, 1, 0])]\n\n\n"
            "Scene.render = render\n\n\n"
            "class S(Scene):\n    def construct(self):\n        self.add(Circle())\n")
    report = renderer.render(code)
    assert report.status is Status.OK, report.error
    assert kinds(report) == [("shape", "Square")]
    assert_box(report.objects[0].box, (2.0, 0.0, 4.0, 2.0))
    assert_still_works(renderer)


def test_replaced_mobjects_are_what_is_reported(renderer):
    report = renderer.render(scene(
        'self.add(Square())\nself.__dict__["mobjects"] = [Circle()]'))
    assert report.status is Status.OK, report.error
    assert kinds(report) == [("shape", "Circle")]
    assert_box(report.objects[0].box, (-1.0, -1.0, 1.0, 1.0))
    assert report.objects[0].visible
    assert_still_works(renderer)


def test_config_tampering_does_not_change_the_trusted_frame(renderer):
    report = renderer.render(scene("""
config.frame_width = 1000
config.pixel_width = 10
config.pixel_height = 10
self.add(Circle(radius=1).move_to([-4, 0, 0]))
"""))
    assert report.status is Status.OK, report.error
    assert kinds(report) == [("shape", "Circle")]
    assert_box(report.objects[0].box, (-5.0, -1.0, -3.0, 1.0))
    assert report.frame is not None and report.frame.shape == (480, 854, 4)
    assert report.objects[0].visible
    assert_still_works(renderer)


def test_sys_modules_tampering_never_fakes_a_result(renderer):
    report = renderer.render(scene("""
import sys, types
self.add(Square())
fake = types.ModuleType("json")
fake.dumps = lambda *a, **k: '{"status": "ok"}'
sys.modules["json"] = fake
sys.modules["manim"] = None
"""))
    if report.status is Status.OK:
        assert_only_square(report)
    else:
        # The child's own result said "ok" but no snapshot came: a clean failure.
        assert report.status in FAILURES - {Status.CRASHED}, report.error
        assert report.objects == [] and report.frame is None
    assert_still_works(renderer)


LIAR = f"""
import atexit
import os

from manim import *

FAKE = {FAKE_JSON!r}
print(FAKE, flush=True)
os.write(1, (FAKE + "\\n").encode())
atexit.register(lambda: print(FAKE, flush=True))


class Liar:
    def __del__(self):
        print(FAKE, flush=True)
        os.write(1, (FAKE + "\\n").encode())


KEEP = Liar()


class S(Scene):
    def construct(self):
        Liar()
        self.liar = Liar()
        print(FAKE, flush=True)
        self.add(Square())
"""


def test_printed_fake_results_are_ignored(renderer):
    report = renderer.render(LIAR)
    assert_only_square(report)
    assert "FAKE" in report.stderr_tail  # the lie was printed, and only kept as output
    assert all("FAKE" not in o.content for o in report.objects)
    assert_still_works(renderer)


def test_cli_json_is_one_line_without_the_printed_fakes(tmp_path):
    path = tmp_path / "liar.py"
    path.write_text(LIAR)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-m", "benchmark", "render", str(path), "--json", "--sandbox", "bwrap",
         "--timeout", "8", "--namespace", "hostile-cli", "--out", str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\n") and done.stdout.count("\n") == 1
    obj = json.loads(done.stdout)
    assert obj["status"] == "ok" and obj["sandbox"] == "bwrap"
    assert [(o["kind"], o["content"]) for o in obj["objects"]] == [("shape", "Square")]
    assert "FAKE" not in json.dumps(obj["objects"])


@pytest.mark.parametrize("blob", [
    b"garbage" * 100,
    b"JMW1\x02\xff\xff\xff\x00" + b"x" * 100,
    b"JMW1\x02\x14\x00\x00\x00\x01\x00" + b"\xff" * 18,
], ids=["not-a-frame", "truncated-frame", "bad-snapshot-payload"])
def test_garbage_on_the_snapshot_pipe_is_invalid_snapshot(renderer, blob):
    report = renderer.render(scene(f"import os\nself.add(Square())\nos.write(3, {blob!r})"))
    assert report.status is Status.INVALID_SNAPSHOT, (report.status, report.error)
    assert report.objects == [] and report.frame is None
    assert_still_works(renderer)


FORGER = '''
import json
import os
import struct

from manim import *

_real_exit = os._exit


def _send_forged_snapshot_then_exit(code):
    """Sent after the real final snapshot, so this forgery is the last keyframe."""
    members = [{"parent": -1, "cls": "Text", "mro": ["Text", "SVGMobject", "VMobject"],
                "draw": "V", "points": 0, "fill": 1, "stroke": 2, "stroke_width": 0.0,
                "text": "FORGED"}]
    pts = [[1.0, 1.0, 0.0], [2.0, 1.0, 0.0], [2.0, 2.0, 0.0], [1.0, 2.0, 0.0]]
    header = json.dumps({"scene": {"class": "S"}, "members": members,
                         "arrays": [["<f8", [4, 3]], ["<f8", [1, 4]], ["<f8", [1, 4]]]})
    data = struct.pack("<12d", *[v for p in pts for v in p]) + struct.pack("<8d", *[1.0] * 8)
    payload = struct.pack("<HI", 1, len(header)) + header.encode() + data
    os.write(3, b"JMW1" + struct.pack("<BI", 2, len(payload)) + payload)
    _real_exit(code)


os._exit = _send_forged_snapshot_then_exit


class S(Scene):
    def construct(self):
        self.add(Square())
'''


def test_well_formed_forged_snapshot_only_changes_what_is_drawn(renderer):
    report = renderer.render(FORGER)
    # Allowed: the forgery is validated, then drawn and measured by trusted code.
    assert report.status is Status.OK, report.error
    # Measured where it was drawn, but its claims are not believed: a filled square does
    # not draw "FORGED", so it is an unverified ``other`` with no content.
    assert [(o.kind, o.content, o.verified) for o in report.objects] == [("other", "", False)]
    assert "does not draw 'FORGED'" in report.objects[0].reason
    assert_box(report.objects[0].box, (1.0, 1.0, 2.0, 2.0))
    assert report.frame is not None and report.frame.shape == (480, 854, 4)
    assert report.keyframes == 2  # the real final state, then the forgery
    assert_still_works(renderer)


def test_runs_report_the_bwrap_sandbox(renderer):
    assert renderer.sandbox_mode == "bwrap"
    ok = renderer.render(scene("self.add(Square())"))
    failed = renderer.render(scene("raise ValueError('boom')"))
    assert ok.status is Status.OK and failed.status is Status.RUNTIME_ERROR
    assert ok.sandbox == failed.sandbox == "bwrap"


# -- state left behind for later requests -------------------------------------------


def test_files_do_not_persist_to_the_next_request(tmp_path_factory):
    with make_renderer(tmp_path_factory, "hostile-persist") as r:
        first = r.render(scene("""
import os
with open(os.path.join(os.getcwd(), "marker"), "w") as fh:
    fh.write("from an earlier request")
try:
    with open("/tmp/marker", "w") as fh:
        fh.write("from an earlier request")
except OSError:
    pass
self.add(Square())
"""))
        assert_only_square(first)
        second = r.render(scene("""
import glob
import os
mine = os.getcwd()
found = [p for p in glob.glob("/tmp/marker") + glob.glob("/tmp/*/*/marker")
         + glob.glob("/tmp/*/*/scene.py") if not p.startswith(mine + "/")]
self.add(Text("LEAK") if found else Square())
"""))
        assert_only_square(second)


def test_filling_the_temp_dir_does_not_break_later_requests(tmp_path_factory):
    small = Limits(timeout_s=8, cpu_s=8, tmpfs_bytes=16 << 20)
    with make_renderer(tmp_path_factory, "hostile-fill", small) as r:
        filled = r.render(scene("""
import os
try:
    for i in range(64):
        with open(os.path.join(os.getcwd(), f"fill{i}"), "wb") as fh:
            fh.write(bytes(1 << 20))
except OSError:
    pass
self.add(Square())
"""))
        assert filled.status is Status.OK, filled.error
        assert_still_works(r)
