"""``python -m benchmark prepare 3b1b`` end to end on a fake videos + captions checkout.

The fake checkout and how it is prepared: ``tests/_fake_3b1b.py``.  One prepared
folder is shared by the tests of this module.  ``tasks`` are the from-scratch
tasks (one per keyframe), ``context`` the context tasks.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _fake_3b1b import (
    CAPTIONS,
    DEMO,
    NEVER_ENDS,
    SECOND,
    TEST_SHARE,
    VIDEOS,
    all_tasks,
    cli,
    fixture_scenes,
    git,
    last_json,
    prepare,
    timeout_args,
)

from benchmark.cli import main
from benchmark.core.tasks import KINDS, Suite, Task, load_tasks
from benchmark.suites.threeb1b.build import BUILDER_VERSION, split_of
from benchmark.suites.threeb1b.extract import manimgl_version
from benchmark.suites.threeb1b.source import HELDOUT_SPLITS, SPLITS, SUITE, video_split

needs_gl = pytest.mark.skipif(manimgl_version() is None or shutil.which("latex") is None,
                              reason="needs ManimGL (pip install '.[3b1b]') and LaTeX")


def frame_pixels(folder: Path, task: Task) -> np.ndarray:
    from PIL import Image

    with Image.open(folder / task.reference.frame) as im:
        return np.asarray(im.convert("RGB"))


def by_scene(tasks: list[Task], scene: str) -> list[Task]:
    return [t for t in tasks if t.source["scene"] == scene]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, cache) -> tuple[Path, dict]:
    """The fake checkout prepared once: (suite folder, the --json yield report)."""
    if manimgl_version() is None or shutil.which("latex") is None:
        pytest.skip("needs ManimGL (pip install '.[3b1b]') and LaTeX")
    out = tmp_path_factory.mktemp("prepared") / "3b1b"
    before = assets()
    report = prepare(VIDEOS, CAPTIONS, out, cache)
    assert assets() == before, "prepare wrote into the packaged assets"
    return out, report


def assets() -> list[str]:
    from benchmark.suites.threeb1b.extract import ASSETS

    return sorted(str(p.relative_to(ASSETS)) for p in ASSETS.rglob("*"))


@pytest.fixture(scope="module")
def tasks(prepared) -> list[Task]:
    """The from-scratch tasks: one per keyframe, every object a target."""
    return [t for t in all_tasks(prepared[0]) if t.source["variant"] == "scratch"]


@pytest.fixture(scope="module")
def context(prepared) -> list[Task]:
    """The context tasks: a keyframe's kept objects given, its new or moved ones targets."""
    return [t for t in all_tasks(prepared[0]) if t.source["variant"] == "context"]


# ---------------------------------------------------------------- the yield report


@needs_gl
@pytest.mark.slow
def test_yield_report_counts_videos_scenes_failures_and_tasks(prepared):
    out, report = prepared
    scenes = fixture_scenes()
    assert report["out"] == str(out)
    assert report["videos_matched"] == 2 and report["match_methods"] == {"exact": 2}
    assert report["unmatched_captions"] == 1  # 2099/extra has no code
    assert report["scenes_tried"] == sum(len(v) for v in scenes.values()) == 13
    failures = report["scene_failures"]
    assert failures == {"timeout": 1, "runtime_error": 1, "missing_asset": 1, "three_d": 1}
    # The one timeout is the scene that never ends, after its own (short) timeout.
    assert report["scenes_ok"] == report["scenes_tried"] - sum(failures.values())
    # The 3D scene's first wait (a Sphere, camera still flat) is refused by content.
    assert report["dropped"].get("three_d") == 1
    assert report["tasks"] > 0 and report["videos_with_tasks"] == 2
    assert sum(report["tasks_by_split"].values()) == report["tasks"]
    assert set(report["tasks_by_split"]) == set(SPLITS)
    # BuildTheTheorem's last wait only removes a word: no context task.
    assert report["dropped"].get("context_nothing_new") == 1
    for video, names in scenes.items():
        per = report["per_video"][video]
        assert per["scenes"] == len(names)
        assert per["split"] == split_of(video, TEST_SHARE)
        assert per["tasks"] == per["keyframes"] + per["context_tasks"]
        assert per["keyframes"] > 0 and per["mean_alignment"] is not None
    assert report["per_video"][DEMO]["scenes_ok"] == len(scenes[DEMO]) - 4


@needs_gl
@pytest.mark.slow
def test_suite_folder_holds_splits_frames_and_manifest(prepared, tasks):
    out, report = prepared
    assert {p.name for p in out.iterdir()} >= {"dev.jsonl", "test.jsonl", "manifest.json",
                                               "frames"}
    assert {p.name for p in out.iterdir()} >= {f"{split}.jsonl" for split in SPLITS}
    frames = {p.name for p in (out / "frames").iterdir()}
    assert frames == {Path(t.reference.frame).name for t in tasks}
    everything = all_tasks(out)
    assert len(everything) == report["tasks"]
    assert {Path(t.reference.frame).name for t in everything} == frames


# ---------------------------------------------------------------- tasks


@needs_gl
@pytest.mark.slow
def test_every_task_is_well_formed_with_a_drawn_reference_frame(prepared, tasks, context):
    out, _ = prepared
    assert len({t.id for t in tasks + context}) == len(tasks + context)
    for t in tasks + context:
        assert t.suite == SUITE
        assert 2 <= len(t.objects) <= 15, t.id
        assert {o.kind for o in t.objects} <= set(KINDS), t.id
        assert [o.id for o in t.reference.layout] == [o.id for o in t.objects]
        assert t.reference.code is None and t.prompt.strip()
        assert {"video", "file", "scene", "wait", "alignment_confidence"} <= set(t.source)
        assert t.family == t.source["video"] and t.source["wait"] >= 1
        assert 0.0 <= t.source["alignment_confidence"] <= 1.0
        assert t.reference.frame.startswith("frames/")
        px = frame_pixels(out, t)
        lit = (px.max(axis=-1) > 64).mean()
        assert 0.001 < lit < 0.6, f"{t.id}: reference frame looks blank ({lit:.4f} lit)"


@needs_gl
@pytest.mark.slow
def test_title_and_parabola_gives_text_axes_and_graph(tasks):
    found = by_scene(tasks, "TitleAndParabola")
    assert found and all(t.source["video"] == DEMO for t in found)
    with_graph = [t for t in found if {"axes", "graph"} <= {o.kind for o in t.objects}]
    assert with_graph, [[o.kind for o in t.objects] for t in found]
    t = with_graph[0]
    assert any(o.kind in ("tex", "text") and "Demo" in o.content for o in t.objects)
    assert any(o.kind == "tex" and "x^2" in o.content for o in t.objects)
    graph = next(o for o in t.objects if o.kind == "graph")
    axes = next(o for o in t.objects if o.kind == "axes")
    assert graph.params == {"axes": axes.id}
    # Each wait is its own layout: the first (title + subtitle) has no axes.
    assert [t.source["wait"] for t in found] == [1, 2, 3]
    assert "axes" not in {o.kind for o in found[0].objects}


@needs_gl
@pytest.mark.slow
def test_arrow_shapes_character_and_equation_are_found(tasks):
    arrows = [o for t in by_scene(tasks, "ArrowToCurve") for o in t.objects
              if o.kind == "arrow"]
    assert len(arrows) == 2 and all({"from", "to"} <= set(o.params) for o in arrows)
    shapes = {o.content for t in by_scene(tasks, "CircleAndSquare") for o in t.objects
              if o.kind == "shape"}
    assert shapes == {"Circle", "Square"}
    randy = [o for t in by_scene(tasks, "RandyWonders") for o in t.objects
             if o.kind == "other"]
    assert randy and all(o.content == "PiCreature" for o in randy)
    assert any(o.kind == "text" and o.content.startswith("Why does the circle")
               for t in by_scene(tasks, "RandyWonders") for o in t.objects)
    assert any(o.kind == "tex" and "e^{i" in o.content
               for t in by_scene(tasks, "EulersIdentity") for o in t.objects)


@needs_gl
@pytest.mark.slow
def test_arrow_params_join_the_label_to_the_curve(tasks):
    found = by_scene(tasks, "ArrowToCurve")
    assert len(found) == 2
    for t in found:
        ids = {o.kind: o.id for o in t.objects}
        arrow = next(o for o in t.objects if o.kind == "arrow")
        assert arrow.params == {"from": ids["text"], "to": ids["graph"]}, t.id


@needs_gl
@pytest.mark.slow
def test_brace_over_the_points_is_above_them(tasks):
    t = by_scene(tasks, "NumberLineDots")[-1]
    brace = next(o for o in t.objects if o.kind == "brace")
    assert brace.params.get("direction") == "up"


@needs_gl
@pytest.mark.slow
def test_dense_grid_collapses_into_one_group_object(tasks):
    grid = by_scene(tasks, "SquareGrid")
    assert len(grid) == 1
    objs = grid[0].objects
    groups = [o for o in objs if re.fullmatch(r"group of (\d+) Square", o.content)]
    assert len(groups) == 1 and groups[0].kind == "other"
    assert int(groups[0].content.split()[2]) == 36
    assert not [o for o in objs if o.kind == "shape"]
    assert any(o.kind == "tex" and "36" in o.content for o in objs)
    assert len(objs) == 2


@needs_gl
@pytest.mark.slow
def test_failed_and_3d_scenes_give_no_tasks_except_what_came_before_the_error(tasks):
    scenes = {t.source["scene"] for t in tasks}
    assert not scenes & {"RotatingSphere", "NeverSettles", "MissingPhoto"}
    # The raising scene reached one wait before its error: that keyframe is kept.
    broken = by_scene(tasks, "DivideByNothing")
    assert [t.source["wait"] for t in broken] == [1]
    # Every scene of the fake checkout that can give a task did.
    every = {name for names in fixture_scenes().values() for name in names}
    assert scenes == every - {"RotatingSphere", "NeverSettles", "MissingPhoto"}


@needs_gl
@pytest.mark.slow
def test_prompts_are_the_narration_heard_over_the_keyframe(tasks):
    transcript = (CAPTIONS / "2099" / "demo" / "english" / "transcript.txt").read_text()
    sentences = [s.strip() for s in transcript.splitlines() if s.strip()]
    demo = [t for t in tasks if t.source["video"] == DEMO]
    for t in demo:
        first, last = t.source["sentences"]
        assert t.prompt == " ".join(sentences[first:last + 1]) or t.prompt.endswith("…")
    euler = by_scene(tasks, "EulersIdentity")
    assert any("celebrated identities" in t.prompt for t in euler)
    assert any("five fundamental constants" in t.prompt for t in euler)
    shapes = by_scene(tasks, "CircleAndSquare")
    assert any("a circle, and on the right a square" in t.prompt for t in shapes)
    title = by_scene(tasks, "TitleAndParabola")[0]
    assert "reads Demo" in title.prompt or "short demo" in title.prompt
    assert title.source["alignment_confidence"] > 0.5
    second = [t for t in tasks if t.source["video"] == SECOND]
    assert any("triangle next to a pentagon" in t.prompt for t in second)


# ---------------------------------------------------------------- context tasks


def _given(t: Task) -> dict[str, str]:
    return {o.content: o.kind for o in t.objects if o.given is not None}


def _targets(t: Task) -> list[str]:
    return [o.content for o in t.objects if o.given is None]


@needs_gl
@pytest.mark.slow
def test_context_tasks_give_what_the_previous_wait_showed_where_it_stayed(tasks, context):
    theorem = {t.source["wait"]: t for t in by_scene(context, "BuildTheTheorem")}
    # Wait 3 only removes the word (and swaps the formula's right side for an identical
    # copy, a new mobject that looks the same): nothing new, so no context task.
    assert sorted(theorem) == [1, 2]
    assert [t.source["wait"] for t in by_scene(tasks, "BuildTheTheorem")] == [1, 2, 3]
    assert _given(theorem[1]) == {} and theorem[1].source["context_wait"] is None
    second = theorem[2]
    assert second.source["context_wait"] == 1 and second.source["given"] == 2
    assert _given(second) == {"Pythagoras, one piece at a time": "text", "a^2 + b^2": "tex"}
    assert _targets(second) == ["= c^2", "the hypotenuse"]
    # A moved object is a target again: the title shrinks between waits 1 and 2, and the
    # axes, graph and label shift left between waits 2 and 3.
    parabola = {t.source["wait"]: t for t in by_scene(context, "TitleAndParabola")}
    assert _given(parabola[2]) == {}
    assert _given(parabola[3]) == {"Demo": "text"}
    assert {"axes", "graph"} <= {o.kind for o in parabola[3].objects if o.given is None}
    # Turned half a turn, the triangle keeps its box: it stays given; the pentagon moved.
    shapes = {t.source["wait"]: t for t in by_scene(context, "TriangleAndPentagon")}
    assert _given(shapes[2]) == {"Triangle": "shape", "A triangle next to a pentagon": "text"}
    assert _targets(shapes[2]) == ["RegularPolygon"]


@needs_gl
@pytest.mark.slow
def test_every_context_task_is_its_keyframe_with_the_kept_objects_given(tasks, context):
    scratch = {t.id: t for t in tasks}
    assert context and all(t.split in ("dev", "test") for t in context)
    assert all(t.split.endswith("-scratch") and t.id.endswith("-scratch") for t in tasks)
    for t in context:
        twin = scratch[t.id + "-scratch"]  # the same keyframe, from scratch
        assert t.reference == twin.reference and t.prompt == twin.prompt
        assert [(o.id, o.kind, o.content, o.params) for o in t.objects] == \
            [(o.id, o.kind, o.content, o.params) for o in twin.objects]
        assert all(o.given is None for o in twin.objects)
        boxes = {p.id: p.box for p in t.reference.layout}
        assert any(o.given is None for o in t.objects), t.id  # something to place
        for o in t.objects:
            if o.given is not None:
                assert o.given == boxes[o.id], (t.id, o.id)


@needs_gl
@pytest.mark.slow
def test_context_stats_on_the_prepared_dev_split(prepared, cache):
    out, _ = prepared
    stats = last_json(cli("context-stats", "--suite", "3b1b", "--split", "dev", "--json",
                          "--per-target", cache=cache, JEPA_MANIM_3B1B=str(out)))
    dev = load_tasks(out / "dev.jsonl")
    assert stats["split"] == "dev" and stats["tasks"] == len(dev)
    assert stats["tasks_with_context"] == sum(1 for t in dev if t.given_ids) == 3
    assert stats["targets_with_context"] == len(stats["per_target"]) == 8
    rows = {(r["task"].split("-scenes-")[1], r["target"]): r for r in stats["per_target"]}
    rhs = rows[("BuildTheTheorem-w02", "o3")]  # "= c^2", put right of "a^2 + b^2"
    assert rhs["anchor"] == "o2" and rhs["side"] == "right" and abs(rhs["dy"]) < 0.05
    assert rhs["next_to_error"] < 0.5  # next_to with buff 0.4, the rule's default 0.25
    assert sum(stats["sides"].values()) == 8
    assert sum(r["n"] for r in stats["histogram"]["distance"]) == 8
    assert 0 < stats["within"]["next_to"] < 1 and stats["within"]["frame_centre"] == 0
    text = cli("context-stats", "--suite", "3b1b", "--split", "dev", cache=cache,
               JEPA_MANIM_3B1B=str(out))
    assert text.returncode == 0, text.stderr
    assert "within 0.5 units" in text.stdout and "next_to" in text.stdout and "#" in text.stdout


# ---------------------------------------------------------------- split and manifest


@needs_gl
@pytest.mark.slow
def test_split_is_by_video_and_follows_split_of(prepared, tasks, context):
    out, _ = prepared
    for split in SPLITS:
        for t in load_tasks(out / f"{split}.jsonl"):
            assert t.split == split
            assert video_split(split) == split_of(t.source["video"], TEST_SHARE)
            assert t.source["variant"] == ("scratch" if split.endswith("-scratch")
                                           else "context")
    splits = {t.source["video"]: {u.split for u in tasks + context if u.source["video"] ==
                                  t.source["video"]} for t in tasks}
    assert splits == {DEMO: {"test", "test-scratch"}, SECOND: {"dev", "dev-scratch"}}
    assert set(HELDOUT_SPLITS) == {"test", "test-scratch"}


@needs_gl
@pytest.mark.slow
def test_manifest_records_checkouts_versions_splits_and_hashes(prepared):
    out, report = prepared
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["suite"] == SUITE and manifest["builder_version"] == BUILDER_VERSION
    assert manifest["manimgl"] is not None and manifest["manimgl"] == manimgl_version()
    assert manifest["manimgl_checkout"] is None  # the installed (pinned) ManimGL
    for key, path in (("videos", VIDEOS), ("captions", CAPTIONS)):
        assert manifest[key]["path"] == str(path.resolve())
        commit = manifest[key]["commit"]
        assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert manifest["splits"] == {DEMO: split_of(DEMO, TEST_SHARE),
                                  SECOND: split_of(SECOND, TEST_SHARE)}
    assert manifest["options"]["test_share"] == TEST_SHARE
    assert manifest["options"]["scene_timeouts"] == {NEVER_ENDS[0]: NEVER_ENDS[1]}
    for split in SPLITS:
        suite = Suite(SUITE, BUILDER_VERSION, split, load_tasks(out / f"{split}.jsonl"))
        assert manifest["hashes"][split] == suite.hash
    assert manifest["yield"]["tasks"] == report["tasks"]


def _inside_a_git_work_tree(path: Path) -> bool:
    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return done.returncode == 0


@needs_gl
@pytest.mark.slow
def test_manifest_commit_is_null_for_a_folder_inside_another_repository(prepared):
    if not _inside_a_git_work_tree(VIDEOS):
        pytest.skip("the fixture is not inside a git work tree here")
    manifest = json.loads((prepared[0] / "manifest.json").read_text())
    assert manifest["videos"]["commit"] is None and manifest["captions"]["commit"] is None


# ---------------------------------------------------------------- reproducibility


@needs_gl
@pytest.mark.slow
def test_fresh_prepare_of_a_git_copy_is_byte_identical_and_records_commits(
        prepared, tmp_path, cache):
    out, _ = prepared
    videos, captions = tmp_path / "videos", tmp_path / "captions"
    shutil.copytree(VIDEOS, videos, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(CAPTIONS, captions)
    commits = {}
    for repo in (videos, captions):
        git("init", "-q", cwd=repo)
        git("add", "-A", cwd=repo)
        git("commit", "-q", "-m", "snapshot", cwd=repo)
        commits[repo.name] = git("rev-parse", "HEAD", cwd=repo)

    again = tmp_path / "again"
    report = prepare(videos, captions, again, cache)
    for split in SPLITS:
        assert (again / f"{split}.jsonl").read_bytes() == (out / f"{split}.jsonl").read_bytes()
    assert sorted(p.name for p in (again / "frames").iterdir()) == \
        sorted(p.name for p in (out / "frames").iterdir())
    first = json.loads((out / "manifest.json").read_text())
    manifest = json.loads((again / "manifest.json").read_text())
    assert manifest["hashes"] == first["hashes"]
    assert report["scene_failures"] == first["yield"]["scene_failures"]
    for key in ("videos", "captions"):
        assert re.fullmatch(r"[0-9a-f]{40}", manifest[key]["commit"])
        assert manifest[key]["commit"] == commits[key]
        assert manifest[key]["dirty"] is False


@needs_gl
@pytest.mark.slow
def test_second_prepare_into_the_same_folder_reuses_the_extraction_cache(
        prepared, tmp_path, cache):
    out, first = prepared
    same = tmp_path / "same"
    shutil.copytree(out, same)
    cache_dir = same / ".extract-cache"
    assert len(list(cache_dir.glob("*/DONE"))) == 3  # one folder per code file
    results = sorted([*cache_dir.glob("*/DONE"), *cache_dir.glob("*/results.jsonl"),
                      *cache_dir.glob("*/*.jmw")])
    stamps = [p.stat().st_mtime_ns for p in results]
    report = prepare(VIDEOS, CAPTIONS, same, cache)
    # No scene ran again: every cached result is untouched.
    assert [p.stat().st_mtime_ns for p in results] == stamps
    for split in SPLITS:
        assert (same / f"{split}.jsonl").read_bytes() == (out / f"{split}.jsonl").read_bytes()
    assert {k: v for k, v in report.items() if k not in ("seconds", "out")} == \
        {k: v for k, v in first.items() if k not in ("seconds", "out")}


# ---------------------------------------------------------------- the suite in a run


@needs_gl
@pytest.mark.slow
def test_template_run_on_the_prepared_suite_has_reference_frames(prepared, tmp_path, cache):
    from benchmark.store import Store

    out, _ = prepared
    dev = load_tasks(out / "dev.jsonl")
    assert dev
    db = tmp_path / "b.db"
    run = last_json(cli("run", "--model", "template", "--suite", "3b1b", "--split", "dev",
                        "--db", str(db), "--jobs", "2", "--json", cache=cache,
                        JEPA_MANIM_3B1B=str(out)))
    manifest = json.loads((out / "manifest.json").read_text())
    assert run["suite"] == SUITE and run["split"] == "dev" and run["n"] == len(dev)
    assert run["suite_hash"] == manifest["hashes"]["dev"]
    assert run["suite_version"] == BUILDER_VERSION
    assert run["statuses"] == {"ok": len(dev)}
    assert run["metrics"]["ssim"] is not None  # needs the reference frames
    by_id = {t.id: t for t in dev}
    with Store(str(db)) as store:
        rows = store.results(run["run_id"])
    assert sorted(r.task_id for r in rows) == sorted(by_id)
    for r in rows:
        assert r.reference_frame and (db.parent / r.reference_frame).is_file()
        from PIL import Image

        with Image.open(db.parent / r.reference_frame) as im:
            stored = np.asarray(im.convert("RGB"))
        assert np.array_equal(stored, frame_pixels(out, by_id[r.task_id]))


@needs_gl
@pytest.mark.slow
def test_oracle_without_reference_code_composes_the_reference_layout(prepared, tmp_path, cache):
    """No reference code: the oracle is the composer's scene of the reference layout (its
    ceiling over the whole suite: tests/test_3b1b_baselines.py)."""
    from benchmark.store import Store

    out, _ = prepared
    db = tmp_path / "o.db"
    run = last_json(cli("run", "--model", "oracle", "--suite", "3b1b", "--split", "dev",
                        "--db", str(db), "--json", cache=cache, JEPA_MANIM_3B1B=str(out)))
    n = len(load_tasks(out / "dev.jsonl"))
    assert run["status"] == "complete" and run["n"] == n
    assert run["statuses"] == {"ok": n}
    with Store(str(db)) as store:
        rows = store.results(run["run_id"])
    assert len(rows) == n
    for r in rows:
        assert r.status == "ok" and not r.error
        assert r.generation["oracle"] == "composed"
        assert r.generation["unwritable"] == [] == r.generation["unwritable_targets"]
    assert run["metrics"]["miou"] > 0.95


# ---------------------------------------------------------------- bad input


def _prepare_args(out: Path, **over: str) -> list[str]:
    args = {"--videos": str(VIDEOS), "--captions": str(CAPTIONS), "--years": "2099",
            "--out": str(out), **over}
    return ["prepare", "3b1b", *[x for kv in args.items() for x in kv], "--json",
            "--no-progress"]


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--videos", "{tmp}/no-such-checkout", "videos checkout not found"),
    ("--captions", str(VIDEOS), "does not look like a 3b1b/captions checkout"),
    ("--years", "2030-2020", "2030 is after 2020"),
    ("--years", "abc", "--years"),
    ("--jobs", "0", "--jobs"),
])
def test_bad_prepare_input_is_one_line_exit_2_and_writes_nothing(
        tmp_path, capsys, flag, value, says):
    out = tmp_path / "out"
    code = main(_prepare_args(out, **{flag: value.format(tmp=tmp_path)}))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert not out.exists()


def test_run_on_an_unprepared_3b1b_folder_says_how_to_prepare(tmp_path, cache):
    empty = tmp_path / "empty"
    empty.mkdir()
    db = tmp_path / "b.db"
    done = cli("run", "--model", "template", "--suite", "3b1b", "--split", "dev", "--db",
               str(db), "--json", cache=cache, timeout=60, JEPA_MANIM_3B1B=str(empty))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "prepare 3b1b" in lines[0] and str(empty) in lines[0]
    assert not db.exists() and list(empty.iterdir()) == []


@pytest.mark.slow
@needs_gl
def test_gl_frames_keep_manimgls_own_rendering_beside_the_cairo_redraw(tmp_path, cache):
    # Only the second video: copy its code (and the shared modules) and captions.
    videos, captions = tmp_path / "videos", tmp_path / "captions"
    shutil.copytree(VIDEOS, videos, ignore=shutil.ignore_patterns("demo", "__pycache__"))
    shutil.copytree(CAPTIONS / "2099" / "second", captions / "2099" / "second")
    out = tmp_path / "suite"
    report = last_json(cli("prepare", "3b1b", "--videos", str(videos), "--captions",
                           str(captions), "--years", "2099", "--out", str(out),
                           *timeout_args(), "--gl-frames", "--json",
                           cache=cache))
    assert report["tasks"] > 0
    from PIL import Image

    for task in all_tasks(out):
        gl = out / task.source["gl_frame"]
        with Image.open(gl) as im:
            gl_px = np.asarray(im.convert("L").resize((854, 480)), dtype=float)
        with Image.open(out / task.reference.frame) as im:
            cairo = np.asarray(im.convert("L"), dtype=float)
        assert gl_px.std() > 5  # something was drawn
        # The two rasterisers draw the same geometry: the frames nearly agree.
        assert np.abs(gl_px - cairo).mean() < 1.0, task.id  # another keyframe: 1-10
