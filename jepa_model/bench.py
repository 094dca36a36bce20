"""``python -m jepa_model bench``: how long the ``jepa`` submission takes per scene.

One scene at a time (batch of one), on the CPU, with ``--threads`` torch threads: the layout
(featurise + forward pass) and the code (composer), each task timed twice —

* **uncached**: the first time, with an empty text-embedding cache, so every string not seen
  before in the run is embedded by all-MiniLM-L6-v2 (what a new task costs);
* **cached**: the same tasks again, embeddings now in the cache (object sizes come from the
  suite's size table both times).

The model is warmed up on one task outside the timed set first.  Medians and 90th percentiles
are reported; rendering and scoring are not part of it (the benchmark runner times those).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmark.core.text import EmbeddingCache
from benchmark.suites import load_suite
from jepa_model.features import Featurizer
from jepa_model.submission import Jepa, JepaPredictor

__all__ = ["BenchResult", "bench"]


@dataclass
class BenchResult:
    checkpoint: str
    tasks: int
    threads: int
    uncached: dict[str, float]  # {"layout_ms", "compose_ms", "total_ms"} medians, "total_p90_ms"
    cached: dict[str, float]

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _summary(rows: list[tuple[float, float]]) -> dict[str, float]:
    layout = np.array([r[0] for r in rows])
    compose = np.array([r[1] for r in rows])
    total = layout + compose
    return {"layout_ms": round(float(np.median(layout)), 3),
            "compose_ms": round(float(np.median(compose)), 3),
            "total_ms": round(float(np.median(total)), 3),
            "total_p90_ms": round(float(np.percentile(total, 90)), 3)}


def bench(checkpoint: Path, n: int = 100, threads: int = 1, suite: str = "synthetic",
          split: str = "test") -> BenchResult:
    import torch

    torch.set_num_threads(threads)
    tasks = load_suite(suite, split, limit=n + 1).tasks
    if len(tasks) < 2:
        raise ValueError(f"bench: {suite} {split} has fewer than 2 tasks")
    warmup, timed = tasks[-1], tasks[:-1]
    sub = Jepa(checkpoint=str(checkpoint))
    predictor: JepaPredictor = sub.predictor
    old = predictor.featurizer
    with tempfile.TemporaryDirectory() as cache_dir:
        empty = EmbeddingCache(old.encoder, cache_dir)
        predictor.featurizer = Featurizer(old.encoder, empty, old.sizes)  # for the timing only
        try:

            def one(task: object) -> tuple[float, float]:
                t0 = time.perf_counter()
                gen = sub.generate(task)  # type: ignore[arg-type]
                wall = 1000 * (time.perf_counter() - t0)
                return float(gen.meta["layout_ms"]), wall - float(gen.meta["layout_ms"])

            one(warmup)
            uncached = [one(t) for t in timed]
            cached = [one(t) for t in timed]
        finally:
            predictor.featurizer = old
            empty.close()
    return BenchResult(str(checkpoint), len(timed), threads, _summary(uncached),
                       _summary(cached))
