"""``python -m leaderboard bench``: how long a build of N results takes.

Writes a results database shaped like real runs (no sandbox: the layouts are
the synthetic test split's reference layouts, perturbed per submission, and
scored by the real layout scorers), with a reference frame per task, frames
and code files for the submissions, and a ``human_eval_summary`` row; then
times what ``python -m leaderboard build`` does on it (read, summarise,
render, copy frames).  Submissions cycle through profiles from exact to
broken, so about half the results are failures that get a diff page.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.tasks import Box, Task
from benchmark.outcome import MeasuredObject, Outcome
from benchmark.results import RunRecord, TaskResult
from benchmark.scoring import ScoringConfig, score_outcome
from benchmark.store import Store
from benchmark.suites import load_suite
from human_eval.storage import RatingStore
from leaderboard.collect import collect
from leaderboard.render import BuildOptions, build_site

__all__ = ["TARGET_S", "Profile", "make_database", "run_bench"]

TARGET_S = 30.0
_SCORING = ScoringConfig(scorers=("execution", "layout", "defects"))
_W, _H = 854, 480  # the harness's frame size
_FRAME_POOL = 64  # distinct submission frames per run


@dataclass(frozen=True)
class Profile:
    """A kind of submission: how far it moves objects and how often its code fails."""

    name: str
    jitter: float  # standard deviation of each object's shift, in units
    crash_rate: float  # share of tasks with a runtime error


PROFILES = (Profile("exact", 0.0, 0.0), Profile("close", 0.08, 0.02),
            Profile("loose", 0.35, 0.05), Profile("lost", 1.5, 0.1),
            Profile("broken", 0.2, 0.6))


def _png(rng: np.random.Generator, boxes: list[Box]) -> bytes:
    """A black frame with the boxes drawn, as the harness's PNGs look."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (_W, _H))
    draw = ImageDraw.Draw(im)
    sx, sy = _W / FRAME_WIDTH, _H / FRAME_HEIGHT
    for b in boxes:
        colour = tuple(int(c) for c in rng.integers(90, 255, size=3))
        draw.rectangle([(b.xmin + 64 / 9) * sx, (4 - b.ymax) * sy,
                        (b.xmax + 64 / 9) * sx, (4 - b.ymin) * sy], outline=colour, width=3)
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _result(store: Store, run_id: str, task: Task, profile: Profile, rng: np.random.Generator,
            frames: list[str], ref_frame: str) -> TaskResult:
    crashed = rng.random() < profile.crash_rate
    objects = []
    if not crashed:
        for p in task.reference.layout:
            dx, dy = rng.normal(0.0, profile.jitter, 2) if profile.jitter else (0.0, 0.0)
            objects.append(MeasuredObject(p.kind, p.content, p.box.translated(dx, dy)))
    status = "runtime_error" if crashed else "ok"
    code = f"from manim import *\n# {profile.name} layout for {task.id}\n"
    outcome = Outcome(code=code, compiled=True, status=status,
                      error="NameError: name 'Foo' is not defined" if crashed else "",
                      objects=objects)
    return TaskResult(
        run_id=run_id, task_id=task.id, family=task.family, difficulty=task.difficulty,
        status=status, error=outcome.error, code_hash="0" * 64,
        code_path=store.artifacts.write_code(run_id, task.id, code),
        metrics=score_outcome(task, outcome, _SCORING), objects=objects,
        frame=None if crashed else frames[int(rng.integers(len(frames)))],
        reference_frame=ref_frame, keyframes=1, sandbox_mode="bwrap",
        timings={"generate_s": float(rng.gamma(2.0, 0.4 + profile.jitter)),
                 "render_s": 0.3, "score_s": 0.01})


def make_database(folder: Path, n_results: int, seed: int = 0) -> Path:
    """A database of ``n_results`` results (runs of up to 500 synthetic test tasks)."""
    suite = load_suite("synthetic", "test")
    rng = np.random.default_rng(seed)
    db = folder / "runs" / "benchmark.db"
    n_runs = math.ceil(n_results / len(suite))
    with Store(str(db)) as store:
        ref_frames = {t.id: store.artifacts.put_blob(
            "frames", _png(rng, [p.box for p in t.reference.layout]), ".png")
            for t in suite.tasks[:min(len(suite), n_results)]}
        left = n_results
        for i in range(n_runs):
            profile = PROFILES[i % len(PROFILES)]
            tasks = suite.tasks[:min(left, len(suite))]
            left -= len(tasks)
            run_id = f"20260101-{i:06d}-{profile.name}-{i:06x}"
            store.create_run(RunRecord(
                run_id=run_id, created=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00",
                model=profile.name, model_args={"variant": str(i // len(PROFILES))},
                suite="synthetic", split="test", suite_version=suite.version,
                suite_hash=suite.hash if len(tasks) == len(suite) else "partial",
                n_tasks=len(tasks), status="complete", suite_source="synthetic",
                limit=None if len(tasks) == len(suite) else len(tasks),
                sandbox_mode="bwrap", packages={"manim": "0.22.0"}, seeds={"seed": i}))
            frames = [store.artifacts.put_blob("frames", _png(rng, [
                Box.from_center(*rng.normal(0, 2, 2), 2.0, 1.0)]), ".png")
                for _ in range(_FRAME_POOL)]
            for task in tasks:
                store.add_result(_result(store, run_id, task, profile, rng, frames,
                                         ref_frames[task.id]))
        _human_eval(store, "20260101-000000-exact-000000")
    return db


def _human_eval(store: Store, run_id: str) -> None:
    """One human-evaluation summary row, written as ``python -m human_eval report`` does."""
    RatingStore(store).write_summaries([{
        "run_id": run_id, "submission": "exact", "suite": "synthetic", "split": "test",
        "n_items": 100, "n_ratings": 300, "mean": 4.1, "mean_lo": 3.9, "mean_hi": 4.3,
        "good_rate": 0.66, "good_lo": 0.57, "good_hi": 0.75, "alpha": 0.58,
        "histogram": [10, 20, 40, 110, 120], "computed": "2026-01-02T00:00:00+00:00",
        "n_unrendered": 0, "n_raters": 3, "n_tasks": 500}])


def run_bench(n_results: int, folder: Path | None = None, all_tasks: bool = False) -> int:
    """Make the database, time the build, print the numbers; 1 when over ``TARGET_S``."""
    tmp = folder is None
    root = Path(tempfile.mkdtemp(prefix="leaderboard-bench-")) if folder is None else folder
    try:
        t0 = time.perf_counter()
        db = make_database(root, n_results)
        print(f"database: {n_results:,} results in {db} ({time.perf_counter() - t0:.1f} s "
              "to write; not timed)", flush=True)
        t1, cpu = time.perf_counter(), time.process_time()
        with Store(str(db)) as store:
            board = collect(store)
        t2 = time.perf_counter()
        report = build_site(board, BuildOptions(root / "site", all_tasks=all_tasks))
        total, cpu = time.perf_counter() - t1, time.process_time() - cpu
        print(f"build: {report.runs} runs, {report.results:,} results, {report.failures:,} "
              f"failing, {report.pages:,} task pages, {report.images:,} frames")
        print(f"  read and summarise {t2 - t1:.1f} s, write the site {report.seconds:.1f} s")
        verdict = "within" if total < TARGET_S else "OVER"
        print(f"total {total:.1f} s ({verdict} the {TARGET_S:.0f} s target; {cpu:.1f} s of CPU, "
              "so a busy machine shows in the difference)")
        if not tmp:
            print(f"site: {root / 'site' / 'index.html'}")
        return 0 if total < TARGET_S else 1
    finally:
        if tmp:
            shutil.rmtree(root, ignore_errors=True)
