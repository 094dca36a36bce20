"""Results storage: the runs/results/renders database and the artifacts beside it.

``Store(url, artifacts)`` opens (creating if missing) an SQLite file or any
SQLAlchemy URL; rows go in and out as ``benchmark.results`` records.
``RenderCache`` serves renders by code hash so unchanged code never reaches
the sandbox twice.  Layout on disk (artifact root = the SQLite file's folder):

    benchmark.db
    <run_id>/<task-slug>.py            the code each task's submission wrote
    artifacts/frames/<sha256>.png      frames drawn by trusted code (shared)
    artifacts/snapshots/<sha256>.bin   final-keyframe Snapshots (shared)

Human ratings share the database (schema version 2): ``human_eval.storage``
writes them, ``python -m human_eval report`` summarises them into
``human_eval_summary`` (one row per rated run), which pages read.
"""

from benchmark.store._artifacts import Artifacts, task_slug
from benchmark.store._db import DEFAULT_DB, CachedRender, Store, StoreError
from benchmark.store._renders import (
    MEASURE_VERSION,
    UNCACHED_STATUSES,
    RenderCache,
    RenderLookup,
    measured_objects,
    render_salt,
)
from benchmark.store._schema import RATING_ITEM_KINDS, SCHEMA_VERSION, human_eval_summary

__all__ = ["DEFAULT_DB", "MEASURE_VERSION", "RATING_ITEM_KINDS", "SCHEMA_VERSION",
           "UNCACHED_STATUSES", "Artifacts", "CachedRender", "RenderCache", "RenderLookup",
           "Store", "StoreError", "human_eval_summary", "measured_objects", "render_salt",
           "task_slug"]
