"""A video file that imports a library this environment lacks still gives the scenes that
never use it: the ManimGL driver imports it again with a stand-in for that library."""

from __future__ import annotations

import shutil

import pytest
from _fake_3b1b import SCENE_TIMEOUT, VIDEOS
from _prepared_3b1b import needs_gl

from benchmark.suites.threeb1b.extract import extract_files

pytestmark = needs_gl

LIBRARY = "jepa_manim_absent_library"
WITH_LIBRARY = f"""# ruff: noqa: F403, F405
from manim_imports_ext import *
import {LIBRARY} as absent
from {LIBRARY}.models import Model


class NeedsNothing(InteractiveScene):
    def construct(self):
        self.add(Square(), Text("Hello"))
        self.wait()


class NeedsTheLibrary(InteractiveScene):
    def construct(self):
        self.add(Circle())
        self.wait()
        self.add(Text(str(Model.load("vectors"))))
        self.wait()
"""
OWN_MODULE_MISSING = """# ruff: noqa: F403, F405
from manim_imports_ext import *
from _2099.no_such_helper import helper


class NeverRuns(InteractiveScene):
    def construct(self):
        self.add(Square())
        self.wait()
"""

WORKING_LIBRARY_PART_MISSING = OWN_MODULE_MISSING.replace(
    "_2099.no_such_helper import helper", "numpy.no_such_part import helper")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("standin") / "videos"
    shutil.copytree(VIDEOS, root)
    (root / "_2099" / "third").mkdir()
    (root / "_2099" / "third" / "scenes.py").write_text(WITH_LIBRARY)
    (root / "_2099" / "third" / "broken.py").write_text(OWN_MODULE_MISSING)
    (root / "_2099" / "third" / "numpy_part.py").write_text(WORKING_LIBRARY_PART_MISSING)
    cache = root.parent / "cache"
    files = ["_2099/third/scenes.py", "_2099/third/broken.py", "_2099/third/numpy_part.py"]
    return {(r.file, r.scene): r for r in extract_files(
        root, files, cache, jobs=1, scene_timeout=SCENE_TIMEOUT)}


def test_scenes_that_never_use_the_missing_library_run(runs):
    ok = runs[("_2099/third/scenes.py", "NeedsNothing")]
    assert ok.status == "ok" and ok.snapshots == 1, ok.error
    assert ok.stand_ins == (LIBRARY,)


def test_a_scene_that_uses_it_fails_as_an_import_error_naming_it(runs):
    used = runs[("_2099/third/scenes.py", "NeedsTheLibrary")]
    assert used.status == "import_error" and LIBRARY in used.error
    assert used.snapshots == 1  # what it showed before it needed the library


def test_a_missing_module_of_the_checkout_itself_gets_no_stand_in(runs):
    (only,) = [r for (f, _), r in runs.items() if f == "_2099/third/broken.py"]
    assert (only.scene, only.status) == ("*", "import_error")
    assert "no_such_helper" in only.error and only.stand_ins == ()


def test_a_library_already_working_here_is_never_replaced(runs):
    (only,) = [r for (f, _), r in runs.items() if f == "_2099/third/numpy_part.py"]
    assert (only.scene, only.status, only.stand_ins) == ("*", "import_error", ())
    assert "numpy.no_such_part" in only.error
