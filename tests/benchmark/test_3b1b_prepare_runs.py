"""``prepare 3b1b`` on the fake checkout: splits, manifest, re-preparing, runs on the suite, errors.

The prepared folder is shared with ``test_3b1b_prepare.py`` (``tests/_prepared_3b1b.py``).
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
    git,
    last_json,
    prepare,
    timeout_args,
)
from _prepared_3b1b import (
    cache_once,
    context_tasks,
    frame_pixels,
    needs_gl,
    prepared_once,
    scratch_tasks,
)

from benchmark.cli import main
from benchmark.core.tasks import Suite, Task, load_tasks
from benchmark.suites.threeb1b.build import BUILDER_VERSION, split_of
from benchmark.suites.threeb1b.extract import manimgl_version
from benchmark.suites.threeb1b.source import HELDOUT_SPLITS, SPLITS, SUITE, video_split


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return cache_once(tmp_path_factory)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, dict]:
    return prepared_once(tmp_path_factory)


@pytest.fixture(scope="module")
def tasks(prepared) -> list[Task]:
    return scratch_tasks(prepared[0])


@pytest.fixture(scope="module")
def context(prepared) -> list[Task]:
    return context_tasks(prepared[0])


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
    ceiling over the whole suite: tests/baselines/test_3b1b_baselines.py)."""
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
