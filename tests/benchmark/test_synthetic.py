"""The synthetic suite: fixed splits, determinable layouts, disjoint train, commands."""

from __future__ import annotations

import ast
import collections
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from benchmark.core.tasks import ObjectSpec, Task, load_tasks
from benchmark.suites import SuiteError, list_suites, load_suite
from benchmark.suites.synthetic import (
    FAMILIES,
    SizeTable,
    generate_tasks,
    rebuild_layout,
)
from benchmark.suites.synthetic._family import FRAME_MARGIN, _overlap
from benchmark.suites.synthetic._geometry import FRAME_X, FRAME_Y
from benchmark.suites.synthetic._prompts import where_phrases
from benchmark.suites.synthetic._sizes import MissingSize, measure_keys
from benchmark.suites.synthetic.build import all_size_keys, deviation, measured_layout
from benchmark.suites.synthetic.generate import forbidden_hashes, generate_split

REPO = Path(__file__).resolve().parents[2]
REQUIRED_KINDS = {"tex", "text", "axes", "graph", "shape", "arrow", "matrix", "number_line",
                  "brace"}


@cache
def split(name: str) -> tuple[Task, ...]:
    return tuple(load_suite("synthetic", name).tasks)


def fixed() -> list[Task]:
    return [*split("test"), *split("val")]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False,
                          env=env)


# --- the shipped splits -------------------------------------------------------------------

def test_fixed_splits_have_exact_sizes_and_stable_hashes():
    test, val = load_suite("synthetic", "test"), load_suite("synthetic", "val")
    assert (len(test), len(val)) == (500, 200)
    assert (test.name, test.version, test.split) == ("synthetic", "v1", "test")
    assert load_suite("synthetic", "test").hash == test.hash
    assert test.hash != val.hash
    assert len({t.id for t in fixed()}) == 700


def test_shipped_splits_are_exactly_what_the_generator_produces():
    for name in ("test", "val"):
        generated = generate_split(name)
        shipped = split(name)
        assert [t.inputs_hash() for t in generated] == [t.inputs_hash() for t in shipped]
        assert [t.reference.code for t in generated] == [t.reference.code for t in shipped]


def test_at_least_ten_families_balanced_across_each_split():
    assert len(FAMILIES) >= 10
    for name in ("test", "val"):
        counts = collections.Counter(t.family for t in split(name))
        assert set(counts) == set(FAMILIES)
        assert max(counts.values()) - min(counts.values()) <= 1


def test_object_kinds_cover_the_vocabulary():
    kinds = {o.kind for t in split("test") for o in t.objects}
    assert REQUIRED_KINDS <= kinds


def test_every_scene_has_two_to_ten_objects_and_a_difficulty_spread():
    assert all(2 <= len(t.objects) <= 10 for t in fixed())
    counts = collections.Counter(t.difficulty for t in split("test"))
    assert set(counts) == {"easy", "medium", "hard"}
    assert min(counts.values()) >= 50


def test_task_ids_name_suite_family_and_a_five_digit_index():
    for t in fixed():
        suite, fam, number = t.id.split("/")
        assert (suite, fam) == ("synthetic", t.family)
        assert len(number) == 5 and number.isdigit()


def test_prompts_vary_within_each_family():
    by_family = collections.defaultdict(set)
    for t in split("test"):
        by_family[t.family].add(" ".join(t.prompt.split()[:3]))
    for fam, openings in by_family.items():
        assert len(openings) >= 3, fam
    assert len({t.prompt for t in split("test")}) >= 490
    assert len({t.inputs_hash() for t in split("test")}) == 500


def test_every_absolute_placement_is_stated_in_the_prompt():
    checked = 0
    for t in fixed():
        for o in t.objects:
            place = o.params.get("place") or {}
            if {"at", "edge", "corner"} & set(place) and place.get("at") not in ("top",
                                                                                  "middle",
                                                                                  "below",
                                                                                  "bottom"):
                assert any(p.lower() in t.prompt.lower() for p in where_phrases(place)), \
                    (t.id, o.id, place, t.prompt)
                checked += 1
    assert checked > 500


def test_about_a_quarter_of_tasks_give_context_objects_at_their_reference_box():
    given = [t for t in fixed() if t.given_ids]
    assert 0.15 <= len(given) / 700 <= 0.35
    assert len({t.family for t in given}) >= 5
    for t in given:
        boxes = {p.id: p.box for p in t.reference.layout}
        for o in t.objects:
            if o.given is not None:
                assert max(abs(a - b) for a, b in zip(o.given.as_list(),
                                                      boxes[o.id].as_list(),
                                                      strict=True)) <= 1e-3, (t.id, o.id)


def test_layouts_stay_inside_the_frame_without_unplanned_overlaps():
    for t in fixed():
        fam = FAMILIES[t.family]
        for p in t.reference.layout:
            b = p.box
            assert -FRAME_X + FRAME_MARGIN - 1e-3 <= b.xmin and b.xmax <= FRAME_X - FRAME_MARGIN \
                + 1e-3 and -FRAME_Y + FRAME_MARGIN - 1e-3 <= b.ymin \
                and b.ymax <= FRAME_Y - FRAME_MARGIN + 1e-3, (t.id, p.id)
        layout = t.reference.layout
        for i, p in enumerate(layout):
            for q in layout[i + 1:]:
                if _overlap(p.box, q.box):
                    assert fam.may_overlap(p.id, q.id), (t.id, p.id, q.id)


def test_reference_code_is_one_idiomatic_scene_and_frames_are_not_shipped():
    for t in fixed():
        code = t.reference.code or ""
        tree = ast.parse(code)
        assert code.startswith("from manim import *\n")
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        assert len(classes) == 1 and classes[0].bases[0].id == "Scene"  # type: ignore[attr-defined]
        assert t.reference.frame is None
        assert t.reference.keyframes is not None and t.reference.keyframes >= 2
        assert len(t.reference.layout) == len(t.objects)


def test_relations_name_objects_of_the_task():
    for t in fixed():
        ids = {o.id for o in t.objects}
        assert t.relations, t.id
        assert all(r.a in ids and r.b in ids and r.a != r.b for r in t.relations)


def test_every_stated_relation_holds_on_the_reference_layout_as_scored():
    from benchmark.scoring import relation_holds

    for t in fixed():
        boxes = {p.id: p.box for p in t.reference.layout}
        for r in t.relations:
            assert relation_holds(r.rel, boxes[r.a], boxes[r.b]), (t.id, r)


# --- determinable layouts ------------------------------------------------------------------

def test_rebuild_layout_equals_the_measured_reference_on_every_test_and_val_task():
    worst = max(deviation(rebuild_layout(t), t.reference.layout) for t in fixed())
    assert worst <= 1e-3


def test_rebuild_layout_reads_given_boxes_not_hidden_state():
    t = next(t for t in split("test") if t.family == "flowchart" and t.given_ids)
    moved = [replace(o, given=o.given.translated(0.5, -0.25)) if o.given else o
             for o in t.objects]
    before = rebuild_layout(t)
    after = rebuild_layout(replace(t, objects=moved))
    shifted = [replace(p, box=p.box.translated(0.5, -0.25)) for p in before]
    assert deviation(after, shifted) <= 1e-3


@pytest.mark.slow
def test_a_sample_of_test_tasks_rerendered_in_the_sandbox_reproduces_its_layout():
    from benchmark.render import Renderer
    from benchmark.sandbox import SandboxConfig

    sample = list(split("test")[100:112])  # one task of every family
    assert {t.family for t in sample} == set(FAMILIES)
    with Renderer(SandboxConfig(namespace="suite-synthetic"), jobs=2) as r:
        reports = r.render_many([t.reference.code or "" for t in sample])
    for t, rep in zip(sample, reports, strict=True):
        layout = measured_layout(t, rep)
        assert deviation(layout, t.reference.layout) <= 1e-3, t.id
        assert rep.keyframes == t.reference.keyframes


def test_the_shipped_size_table_covers_everything_the_generator_emits():
    strict = SizeTable(SizeTable.load())
    assert set(all_size_keys()) <= set(strict.entries)
    tasks = list(generate_tasks("train", 0, 600, sizes=strict))  # raises MissingSize if not
    assert len(tasks) == 600


def test_unknown_content_is_measured_in_the_sandbox_and_cached(tmp_path):
    t = next(t for t in split("test") if t.family == "brace_annotation"
             and len(t.objects) == 3 and not t.given_ids)
    objects = [replace(o, content="y = mx + c") if o.id == "equation" else o
               for o in t.objects]
    novel = replace(t, objects=objects)
    cache_path = tmp_path / "sizes.json"
    table = SizeTable(SizeTable.load(), cache_path=cache_path, measure=measure_keys)
    layout = rebuild_layout(novel, table)
    assert cache_path.is_file()
    cached = json.loads(cache_path.read_text())["entries"]
    assert any("y = mx + c" in k for k in cached)
    eq = next(p for p in layout if p.id == "equation")
    assert eq.box.width > 0.5
    with pytest.raises(MissingSize):
        rebuild_layout(novel, SizeTable(SizeTable.load()))
    # the cache is read back: no sandbox needed the second time
    assert rebuild_layout(novel, SizeTable(SizeTable.load(), cache_path=cache_path)) == layout


# --- train ----------------------------------------------------------------------------------

def test_train_never_repeats_a_test_or_val_task():
    fixed_hashes = {h for t in fixed() for h in (t.inputs_hash(), t.layout_hash())}
    assert fixed_hashes <= forbidden_hashes()
    train = list(generate_tasks("train", 0, 3000))
    for t in train:
        assert t.inputs_hash() not in fixed_hashes
        assert t.layout_hash() not in fixed_hashes
        rebuilt = replace(t, reference=replace(t.reference, layout=rebuild_layout(t)))
        assert rebuilt.layout_hash() not in forbidden_hashes()


def test_train_is_deterministic_seed_disjoint_and_fast():
    t0 = time.perf_counter()
    first = list(generate_tasks("train", 0, 2000))
    elapsed = time.perf_counter() - t0
    again = list(generate_tasks("train", 1000, 5))
    assert [t.content_hash() for t in first[1000:1005]] == [t.content_hash() for t in again]
    assert all(t.split == "train" and t.reference.code for t in first)
    assert not {t.id for t in first} & {t.id for t in fixed()}
    assert elapsed < 20, f"2000 train tasks took {elapsed:.1f} s"


def test_train_split_needs_a_limit():
    with pytest.raises(SuiteError, match="unbounded"):
        load_suite("synthetic", "train")
    suite = load_suite("synthetic", "train", limit=3, start=10)
    assert [t.id.rsplit("/", 1)[1] for t in suite] == ["01010", "01011", "01012"]


# --- registry, files, commands --------------------------------------------------------------

def test_unknown_suite_and_split_suggest_the_right_name():
    with pytest.raises(SuiteError, match="did you mean 'synthetic'"):
        load_suite("synthtic")
    with pytest.raises(SuiteError, match="did you mean 'val'"):
        load_suite("synthetic", "vall")


def test_a_jsonl_path_loads_as_a_suite_named_after_the_file(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(t.to_json()) + "\n" for t in split("val")[:4]))
    suite = load_suite(str(path))
    assert (suite.name, suite.split, len(suite)) == ("mine", "val", 4)
    with pytest.raises(SuiteError, match="no such suite file"):
        load_suite(str(tmp_path / "absent.jsonl"))
    path.write_text('{"id": 1}\n')
    with pytest.raises(SuiteError, match=r"mine.jsonl:1: id: expected str"):
        load_suite(str(path))


def test_list_suites_reports_size_version_and_hash():
    rows = {r["split"]: r for r in list_suites() if r["name"] == "synthetic"}
    assert rows["test"]["size"] == 500 and rows["val"]["size"] == 200
    assert rows["train"]["size"] == "unbounded" and rows["train"]["hash"] is None
    assert rows["test"]["hash"] == load_suite("synthetic", "test").hash
    assert rows["test"]["version"] == "v1"


def test_suites_command_prints_a_table_and_one_json_object():
    done = run_cli("suites", "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert {r["split"] for r in json.loads(lines[0])["suites"]} >= {"test", "val", "train"}
    table = run_cli("suites")
    assert table.returncode == 0 and "synthetic" in table.stdout and "unbounded" in table.stdout


def test_export_round_trips_through_load_tasks(tmp_path):
    out = tmp_path / "val.jsonl"
    done = run_cli("export", "--suite", "synthetic", "--split", "val", "--limit", "7",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert [t.to_json() for t in load_tasks(out)] == [t.to_json() for t in split("val")[:7]]
    train = tmp_path / "train.jsonl"
    done = run_cli("export", "--suite", "synthetic", "--split", "train", "--limit", "4",
                   "--seed-start", "20", "--out", str(train))
    assert done.returncode == 0, done.stderr
    got = load_tasks(train)
    assert [t.to_json() for t in got] == [t.to_json() for t in generate_tasks("train", 20, 4)]


def test_export_rejects_bad_usage_with_one_line():
    env = dict(os.environ)
    no_limit = run_cli("export", "--suite", "synthetic", "--split", "train", "--out",
                       "/tmp/never.jsonl", env=env)
    assert no_limit.returncode == 2 and "unbounded" in no_limit.stderr
    seeded = run_cli("export", "--suite", "synthetic", "--split", "test", "--seed-start", "3",
                     "--out", "/tmp/never.jsonl", env=env)
    assert seeded.returncode == 2 and "--seed-start" in seeded.stderr
    assert not Path("/tmp/never.jsonl").exists()


def test_families_state_their_choices_with_the_object_specs_only():
    """rebuild depends on nothing but the objects: dropping prompt and relations keeps it."""
    for t in split("val")[:24]:
        bare = replace(t, prompt="-", relations=[], reference=replace(t.reference, layout=[]))
        assert deviation(rebuild_layout(bare), t.reference.layout) <= 1e-3


def test_object_specs_use_the_compose_vocabulary():
    from benchmark.compose import create_expr, py_names

    for t in split("test")[:60]:
        names = py_names(t.objects)
        for o in t.objects:
            assert isinstance(o, ObjectSpec)
            create_expr(o, names)
