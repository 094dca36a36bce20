"""Lying programs in the real sandbox: what is reported is what the trusted side measured.

Patched renders, replaced mobjects, tampered config and modules, printed or forged
results, and state that must not outlive a request (``test_sandbox_hostile.py`` holds
the resource and escape cases; ``tests/_hostile.py`` what both share).
"""


from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from _hostile import (
    FAILURES,
    REPO,
    assert_box,
    assert_only_square,
    assert_still_works,
    kinds,
    make_renderer,
    scene,
)

from benchmark.sandbox import Limits, Status, bwrap_problem

pytestmark = pytest.mark.skipif(bwrap_problem() is not None,
                                reason=f"bubblewrap unavailable: {bwrap_problem()}")


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    r = make_renderer(tmp_path_factory, "lying-tests")
    try:
        yield r
    finally:
        r.close()


# -- lies and tampering ------------------------------------------------------------

FAKE_JSON = json.dumps({"status": "ok", "objects": [
    {"kind": "tex", "content": "FAKE", "box": [0, 0, 1, 1]}]})


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
