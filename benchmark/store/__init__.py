"""Results storage: the runs/results/renders database and the artifacts beside it.

``Store(url, artifacts)`` opens (creating if missing) an SQLite file or any
SQLAlchemy URL; rows go in and out as ``benchmark.results`` records.
``RenderCache`` serves renders by code hash so unchanged code never reaches
the sandbox twice.  Layout on disk (artifact root = the SQLite file's folder):

    benchmark.db
    <run_id>/<task-slug>.py            the code each task's submission wrote
    artifacts/frames/<sha256>.png      frames drawn by trusted code (shared)
    artifacts/snapshots/<sha256>.bin   final-keyframe Snapshots (shared)

Applications keep their own tables in the same database: a ``StoreExtension``
(its tables in their own ``MetaData``, typed with ``JSONText`` and linked to runs
by ``run_id_fk()``) is created by ``Store.extend``, and read and written through
``Store.connect()`` / ``Store.transaction()``.  Human ratings are one
(``human_eval.schema``, schema version 2).
"""

from benchmark.store._artifacts import Artifacts, atomic_write, task_slug
from benchmark.store._db import DEFAULT_DB, CachedRender, Store, StoreError
from benchmark.store._extension import StoreExtension
from benchmark.store._renders import (
    MEASURE_VERSION,
    UNCACHED_STATUSES,
    RenderCache,
    RenderLookup,
    measured_objects,
    render_salt,
)
from benchmark.store._schema import SCHEMA_VERSION, JSONText, run_id_fk

__all__ = ["DEFAULT_DB", "MEASURE_VERSION", "SCHEMA_VERSION", "UNCACHED_STATUSES", "Artifacts",
           "CachedRender", "JSONText", "RenderCache", "RenderLookup", "Store", "StoreError",
           "StoreExtension", "atomic_write", "measured_objects", "render_salt", "run_id_fk",
           "task_slug"]
