"""The keyframes of a 3b1b scene run worth a task: 2-15 meaningful objects, each
layout once, at most a few per scene, and the narration aligned to each."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmark.sandbox.runtime import wire
from benchmark.snapshot import SnapshotError, decode_snapshot
from benchmark.suites.threeb1b import narration
from benchmark.suites.threeb1b.context import Shown, shown
from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.extract import SceneRun
from benchmark.suites.threeb1b.matching import VideoMatch
from benchmark.suites.threeb1b.objects import GLObject, gl_objects, is_three_d, scene_header

__all__ = ["MAX_OBJECTS", "MIN_OBJECTS", "Candidate", "align", "candidates", "key"]

MIN_OBJECTS, MAX_OBJECTS = 2, 15


@dataclass
class Candidate:
    """One keyframe of a scene run, with what the previous wait showed."""

    video: str
    run: SceneRun
    wait: int
    payload: bytes
    objects: list[GLObject]
    uids: list[Any] | None = None
    before: list[Shown] = field(default_factory=list)  # on screen at the previous wait
    before_wait: int | None = None




def signature(objs: list[GLObject]) -> tuple:
    return tuple(sorted((o.kind, o.content, *(round(v / 0.05) for v in o.box)) for o in objs))


def spread(items: list[Any], k: int) -> list[Any]:
    if len(items) <= k:
        return items
    idx = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)}) if k > 1 else [
        len(items) - 1]
    return [items[i] for i in idx]


def candidates(video: str, runs: list[SceneRun], max_per_scene: int,
               drops: Counter) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[tuple] = set()
    for run in runs:
        if run.frames is None:
            continue
        try:
            frames = wire.split_frames(run.frames.read_bytes(), 10_000)
        except (OSError, ValueError):
            drops["unreadable_snapshots"] += 1
            continue
        mine: list[Candidate] = []
        before: list[Shown] = []
        before_wait: int | None = None
        for kind, payload in frames:
            if kind != wire.KIND_SNAPSHOT:
                continue
            try:
                snap = decode_snapshot(payload)
                header = scene_header(payload)
            except (SnapshotError, ValueError) as exc:
                drops["invalid_snapshot"] += 1
                before, before_wait = [], None
                del exc
                continue
            if is_three_d(snap):
                drops["three_d"] += 1
                before, before_wait = [], None
                continue
            objs = gl_objects(snap)
            wait = int(header.get("wait", 0) or 0)
            uids = header.get("uids") if isinstance(header.get("uids"), list) else None
            prev, prev_wait = before, before_wait
            before, before_wait = shown(objs, uids), wait
            if len(objs) < MIN_OBJECTS:
                drops["fewer_than_2_objects"] += 1
                continue
            if len(objs) > MAX_OBJECTS:
                drops["more_than_15_objects"] += 1
                continue
            sig = signature(objs)
            if sig in seen:
                drops["same_layout_as_earlier_wait"] += 1
                continue
            seen.add(sig)
            mine.append(Candidate(video, run, wait, payload, objs, uids, prev, prev_wait))
        keep = spread(mine, max_per_scene)
        if len(mine) > len(keep):
            drops["over_per_scene_cap"] += len(mine) - len(keep)
        out.extend(keep)
    return out


def key(c: Candidate) -> str:
    return f"{c.run.file}::{c.run.scene}::{c.wait}"


def align(m: VideoMatch, cands: list[Candidate]) -> dict[str, narration.Alignment]:
    if not cands:
        return {}
    try:
        sentences = narration.load_sentences(m.captions_dir)
    except PrepareError:
        return {}
    scenes = [narration.SceneText(key(c), tuple(o.content for o in c.objects
                                                 if o.kind in ("tex", "text")))
              for c in cands]
    return {a.key: a for a in narration.align_scenes(sentences, scenes)}
