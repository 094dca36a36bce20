"""``prepare 3b1b``: from the user's checkouts to a suite folder, with a yield report.

match videos (code ↔ captions) → run their scenes headless (ManimGL) →
meaningful objects per snapshot → narration aligned to each keyframe →
reference frame re-drawn by the trusted Cairo rasteriser → tasks, split into
``dev`` and ``test`` by video.  Every keyframe gives a from-scratch task
(``dev-scratch``, ``test-scratch``: every object is a target) and, when it adds
or moves something, a context task (``dev``, ``test``: what the previous wait
showed, where it stayed, is given; see :mod:`.context`).  Nothing from the
checkouts is written anywhere but the output folder on the user's machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmark._progress import progress_bar
from benchmark.core.tasks import (
    TASK_FORMAT_VERSION,
    Box,
    ObjectSpec,
    PlacedObject,
    Reference,
    Suite,
    Task,
    dump_tasks,
)
from benchmark.measure.raster import Rasteriser
from benchmark.snapshot import decode_snapshot
from benchmark.suites.heldout import without_heldout_twins
from benchmark.suites.threeb1b import narration
from benchmark.suites.threeb1b.context import kept, shown
from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.extract import (
    EXTRACT_VERSION,
    SceneRun,
    extract_files,
    manimgl_version,
)
from benchmark.suites.threeb1b.gl_env import ManimGLEnv, check_checkout, ensure_env
from benchmark.suites.threeb1b.keyframes import MIN_OBJECTS, Candidate, align, candidates, key
from benchmark.suites.threeb1b.matching import VideoMatch, match_videos
from benchmark.suites.threeb1b.objects import GLObject
from benchmark.suites.threeb1b.params import object_params
from benchmark.suites.threeb1b.source import HELDOUT_SPLITS, SPLITS, SUITE, scratch_split

__all__ = ["BUILDER_VERSION", "PrepareOptions", "YieldReport", "prepare"]

BUILDER_VERSION = "6"  # 2: context tasks (dev, test) beside the from-scratch ones;
# 3: a regular polygon states its corners (n), a number line its numbers (x_range);
# 4: a dev task equal to a test task (a stock scene in two videos) is dropped;
# 5: a straight line states its direction (angle); 6: a text states its font, a
# stretched circle or square is an ellipse or rectangle, a formula of several rows of
# parts keeps its rows
MIN_VISIBLE_PX = 20


@dataclass
class PrepareOptions:
    videos: Path
    captions: Path
    out: Path
    years: tuple[int, int] | None = (2021, 2024)
    limit_videos: int | None = None
    jobs: int = 2
    scene_timeout: float = 30.0
    max_waits: int = 40
    max_per_scene: int = 3
    test_share: float = 0.5
    gl_frames: bool = False
    manimgl: Path | None = None  # a ManimGL checkout to use instead of the installed one
    scene_timeouts: dict[str, float] = field(default_factory=dict)  # per scene class


@dataclass
class YieldReport:
    videos_matched: int = 0
    match_methods: dict[str, int] = field(default_factory=dict)
    unmatched_captions: int = 0
    files: int = 0
    stand_ins: dict[str, int] = field(default_factory=dict)  # library → files without it
    scenes_tried: int = 0
    scenes_ok: int = 0
    scene_failures: dict[str, int] = field(default_factory=dict)
    scenes_with_snapshots: int = 0
    snapshots: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    tasks: int = 0
    tasks_by_split: dict[str, int] = field(default_factory=dict)
    videos_with_tasks: int = 0
    per_video: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _git(path: Path) -> dict[str, Any]:
    def out(*args: str) -> str | None:
        try:
            p = subprocess.run(["git", "-C", str(path), *args], capture_output=True,
                               text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return p.stdout.strip() if p.returncode == 0 else None

    top = out("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != path.resolve():
        return {"commit": None, "dirty": None}  # not a checkout of its own
    commit = out("rev-parse", "HEAD")
    dirty = out("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(dirty) if dirty is not None else None}


def split_of(video_id: str, test_share: float) -> str:
    """``test`` or ``dev`` for a video: a stable function of its id alone."""
    h = int(hashlib.sha256(video_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test_share else "dev"


def _assign_files(matches: list[VideoMatch]) -> dict[str, str]:
    """Each code file goes to exactly one video (the most confident match claiming it)."""
    owner: dict[str, tuple[float, str]] = {}
    for m in matches:
        for f in m.code_files:
            cur = owner.get(f)
            if cur is None or (m.confidence, m.video_id) > cur:
                owner[f] = (m.confidence, m.video_id)
    return {f: v for f, (_, v) in owner.items()}
def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in s).strip("-").lower()


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame[..., :3])).save(buf, format="PNG",
                                                                 compress_level=6)
    return buf.getvalue()


def _difficulty(n: int) -> str:
    return "easy" if n <= 4 else "medium" if n <= 8 else "hard"


def _task(c: Candidate, objs: list[GLObject], align: narration.Alignment | None,
          split: str, frame_rel: str, match: VideoMatch,
          given: list[bool] | None = None) -> Task:
    """The context task of a keyframe (``given`` flags its kept objects), or with
    ``given=None`` its from-scratch task."""
    ids = [f"o{i + 1}" for i in range(len(objs))]
    boxes = [Box(*o.box).rounded() for o in objs]
    specs = [ObjectSpec(ids[i], o.kind, o.content, object_params(i, objs, ids),
                        boxes[i] if given is not None and given[i] else None)
             for i, o in enumerate(objs)]
    layout = [PlacedObject(ids[i], o.kind, o.content, boxes[i]) for i, o in enumerate(objs)]
    prompt = align.text.strip() if align is not None and align.text.strip() else (
        "Lay out the objects of this scene.")
    source = {
        "video": c.video, "file": c.run.file, "scene": c.run.scene, "wait": c.wait,
        "match_confidence": round(match.confidence, 3),
        "alignment_confidence": round(align.confidence, 3) if align else 0.0,
        "sentences": [align.first, align.last] if align else None,
        "variant": "scratch" if given is None else "context",
    }
    tid = f"3b1b-{_slug(c.video)}-{_slug(Path(c.run.file).stem)}-{c.run.scene}-w{c.wait:02d}"
    if given is None:
        split, tid = scratch_split(split), tid + "-scratch"
    else:
        source["context_wait"] = c.before_wait
        source["given"] = sum(given)
    return Task(tid, SUITE, split, c.video, _difficulty(len(objs)), prompt, specs, [],
                Reference(layout, None, frame_rel, None), source)


def prepare(opts: PrepareOptions, *, progress: bool = True,
            log: Callable[[str], Any] = print) -> YieldReport:
    """Build the suite into ``opts.out``; returns (and writes) the yield report."""
    t0 = time.perf_counter()
    report = YieldReport()
    if opts.manimgl is not None:
        check_checkout(opts.manimgl)  # before anything is written
    matches = _matches(opts, report)
    owner = _assign_files(matches)
    files = sorted(owner)
    report.files = len(files)
    opts.out.mkdir(parents=True, exist_ok=True)
    glenv = ensure_env(opts.manimgl, opts.out, _git, log if progress else None) \
        if opts.manimgl is not None else None
    runs = _extract(opts, files, glenv, progress, report)
    raster = Rasteriser()
    drops: Counter = Counter()
    by_video: dict[str, list[SceneRun]] = {}
    for r in sorted(runs, key=lambda r: (r.file, r.line, r.scene)):
        by_video.setdefault(owner[r.file], []).append(r)
    frames_dir = opts.out / "frames"
    frames_dir.mkdir(exist_ok=True)
    tasks: list[Task] = []
    split_map: dict[str, str] = {}
    with progress_bar(len(matches), "3b1b tasks", progress) as bar:
        for m in matches:
            split = split_of(m.video_id, opts.test_share)
            split_map[m.video_id] = split
            video_runs = by_video.get(m.video_id, [])
            made, context, confs = _video_tasks(m, video_runs, split, opts, raster, drops,
                                                tasks)
            report.per_video[m.video_id] = {
                "split": split, "method": m.method, "match_confidence": m.confidence,
                "files": sum(1 for f in files if owner[f] == m.video_id),
                "scenes": len(video_runs),
                "scenes_ok": sum(1 for r in video_runs if r.status == "ok"),
                "tasks": made + context, "keyframes": made, "context_tasks": context,
                "mean_alignment": round(float(np.mean(confs)), 3) if confs else None}
            bar.update(1)
    # a stock scene ("Pause and ponder") in a dev and a test video: the test one wins
    tasks, twins = without_heldout_twins(tasks, HELDOUT_SPLITS)
    if twins:
        drops["dev_same_as_test"] += twins
    report.dropped = dict(sorted(drops.items()))
    report.tasks = len(tasks)
    report.videos_with_tasks = sum(1 for v in report.per_video.values() if v["tasks"])
    _write_suite(opts, tasks, report, t0, glenv, split_map)
    return report


def _matches(opts: PrepareOptions, report: YieldReport) -> list[VideoMatch]:
    """The matched videos to build (at most ``limit_videos``), counted in ``report``."""
    matched = match_videos(opts.videos, opts.captions, opts.years)
    matches = matched.matches[: opts.limit_videos] if opts.limit_videos else matched.matches
    if not matches:
        raise PrepareError(f"no video in {opts.captions} matches code in {opts.videos}"
                           + (f" for {opts.years[0]}-{opts.years[1]}" if opts.years else ""))
    report.videos_matched = len(matches)
    report.match_methods = dict(Counter(m.method for m in matches))
    report.unmatched_captions = len(matched.unmatched_captions)
    return matches


def _extract(opts: PrepareOptions, files: list[str], glenv: ManimGLEnv | None,
             progress: bool, report: YieldReport) -> list[SceneRun]:
    """Run the scenes of ``files`` headless; their outcome is counted in ``report``."""
    with progress_bar(len(files), "3b1b files", progress) as bar:
        runs = extract_files(opts.videos, files, opts.out / ".extract-cache", jobs=opts.jobs,
                             scene_timeout=opts.scene_timeout, max_waits=opts.max_waits,
                             gl_frames=opts.gl_frames, on_file=lambda rel, r: bar.update(1),
                             python=str(glenv.python) if glenv else None,
                             tag=glenv.tag if glenv else "",
                             scene_timeouts=opts.scene_timeouts)
    statuses = Counter(r.status for r in runs)
    report.scenes_tried = len(runs)
    report.scenes_ok = statuses.get("ok", 0)
    report.scene_failures = {k: v for k, v in sorted(statuses.items()) if k != "ok"}
    lacking = Counter(lib for _, libs in sorted({(r.file, r.stand_ins) for r in runs})
                      for lib in libs)
    report.stand_ins = dict(sorted(lacking.items()))
    report.scenes_with_snapshots = sum(1 for r in runs if r.snapshots)
    report.snapshots = sum(r.snapshots for r in runs)
    return runs


def _video_tasks(m: VideoMatch, runs: list[SceneRun], split: str, opts: PrepareOptions,
                 raster: Rasteriser, drops: Counter,
                 tasks: list[Task]) -> tuple[int, int, list[float]]:
    """Append the tasks of one video to ``tasks``; returns its keyframes, context tasks
    and alignment confidences."""
    cands = candidates(m.video_id, runs, opts.max_per_scene, drops)
    aligns = align(m, cands)
    made = context = 0
    confs = []
    for c in cands:
        found = aligns.get(key(c))
        made_here = _keyframe_tasks(c, found, split, m, opts.out, raster, drops)
        if made_here is None:
            continue
        context += len(made_here) - 1
        tasks.extend(made_here)
        confs.append(found.confidence if found else 0.0)
        made += 1
    return made, context, confs


def _keyframe_tasks(c: Candidate, found: narration.Alignment | None, split: str,
                    m: VideoMatch, out: Path, raster: Rasteriser,
                    drops: Counter) -> list[Task] | None:
    """The from-scratch task of a keyframe and, when it adds or moves something, its
    context task; ``None`` when fewer than two objects are visible."""
    res = raster.render(decode_snapshot(c.payload), [o.semantic() for o in c.objects])
    objs = [o for o, px in zip(c.objects, res.visible_px, strict=True)
            if px >= MIN_VISIBLE_PX]
    if len(objs) < MIN_OBJECTS:
        drops["fewer_than_2_visible_objects"] += 1
        return None
    if len(objs) < len(c.objects):
        res = raster.render(decode_snapshot(c.payload), [o.semantic() for o in objs])
    data = _png(res.frame)
    rel = f"frames/{hashlib.sha256(data).hexdigest()[:20]}.png"
    if not (out / rel).is_file():
        (out / rel).write_bytes(data)
    given = kept(shown(objs, c.uids), c.before)
    made_here = [_task(c, objs, found, split, rel, m)]
    if all(given):
        drops["context_nothing_new"] += 1
    else:
        made_here.append(_task(c, objs, found, split, rel, m, given))
    gl = c.run.frames.with_name(f"{c.run.scene}.w{c.wait:02d}.png") \
        if c.run.frames else None
    if gl is not None and gl.is_file():
        data = gl.read_bytes()
        gl_rel = f"frames/gl-{hashlib.sha256(data).hexdigest()[:20]}.png"
        (out / gl_rel).write_bytes(data)
        for task in made_here:
            task.source["gl_frame"] = gl_rel
    return made_here


def _write_suite(opts: PrepareOptions, tasks: list[Task], report: YieldReport, t0: float,
                 glenv: ManimGLEnv | None, split_map: dict[str, str]) -> None:
    """The split files and the manifest (with the yield report) in ``opts.out``."""
    hashes = {}
    for split in SPLITS:
        part = [t for t in tasks if t.split == split]
        report.tasks_by_split[split] = len(part)
        dump_tasks(part, opts.out / f"{split}.jsonl")
        hashes[split] = Suite(SUITE, BUILDER_VERSION, split, part).hash
    report.seconds = round(time.perf_counter() - t0, 1)
    manifest = {
        "suite": SUITE, "builder_version": BUILDER_VERSION, "extract_version": EXTRACT_VERSION,
        "task_format": TASK_FORMAT_VERSION,
        "manimgl": glenv.version if glenv else manimgl_version(),
        "manimgl_checkout": glenv.to_json() if glenv else None,
        "videos": {"path": str(opts.videos.resolve()), **_git(opts.videos)},
        "captions": {"path": str(opts.captions.resolve()), **_git(opts.captions)},
        "years": list(opts.years) if opts.years else None,
        "options": {"limit_videos": opts.limit_videos, "scene_timeout": opts.scene_timeout,
                    "max_waits": opts.max_waits, "max_per_scene": opts.max_per_scene,
                    "test_share": opts.test_share, "gl_frames": opts.gl_frames,
                    "scene_timeouts": dict(sorted(opts.scene_timeouts.items()))},
        "split_rule": "sha256(video id)[:8] / 0xffffffff < test_share → test",
        "splits": split_map, "hashes": hashes, "yield": report.to_json(),
    }
    (opts.out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True)
                                            + "\n")
