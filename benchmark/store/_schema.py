"""Tables of the results database (portable SQLAlchemy Core: SQLite and PostgreSQL).

JSON goes into Text columns through ``JSONText`` (our own encoder: sorted keys,
no NaN), timestamps are ISO 8601 UTC strings, so nothing depends on a
dialect's JSON or time-zone handling.  ``SCHEMA_VERSION`` is stored in
``meta``; bump it (and add a migration) whenever a table changes.  A
``ratings`` table (one per rater × item) joins in a later schema version.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

__all__ = ["SCHEMA_VERSION", "JSONText", "meta", "metadata", "renders", "results", "runs"]

SCHEMA_VERSION = 1

metadata = sa.MetaData()


class JSONText(sa.types.TypeDecorator):
    """JSON in a Text column: portable, and byte-for-byte stable (sorted keys)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else json.loads(value)


meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(128), primary_key=True),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("finished", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("model_args", JSONText, nullable=False),
    sa.Column("suite", sa.String(128), nullable=False),
    sa.Column("split", sa.String(64), nullable=False),
    sa.Column("suite_version", sa.String(64), nullable=False),
    sa.Column("suite_hash", sa.String(64), nullable=False),
    sa.Column("suite_source", sa.Text),
    sa.Column("n_tasks", sa.Integer, nullable=False),
    sa.Column("task_limit", sa.Integer),
    sa.Column("git_sha", sa.String(64)),
    sa.Column("packages", JSONText, nullable=False),
    sa.Column("seeds", JSONText, nullable=False),
    sa.Column("sandbox_mode", sa.String(32), nullable=False),
    sa.Column("sandbox_note", sa.Text),
    sa.Column("scoring", JSONText, nullable=False),
    sa.Column("lpips", JSONText, nullable=False),
    sa.Column("timings", JSONText, nullable=False),
)

results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("task_id", sa.String(256), nullable=False),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("family", sa.String(128), nullable=False),
    sa.Column("difficulty", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("stderr_tail", sa.Text, nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("code_path", sa.Text),
    sa.Column("metrics", JSONText, nullable=False),
    sa.Column("objects", JSONText, nullable=False),
    sa.Column("frame", sa.Text),
    sa.Column("reference_frame", sa.Text),
    sa.Column("snapshot", sa.Text),
    sa.Column("keyframes", sa.Integer, nullable=False),
    sa.Column("render_cached", sa.Boolean, nullable=False),
    sa.Column("sandbox_mode", sa.String(32), nullable=False),
    sa.Column("timings", JSONText, nullable=False),
    sa.Column("generation", JSONText, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.UniqueConstraint("run_id", "task_id", name="uq_results_run_task"),
)

renders = sa.Table(
    "renders", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),  # sha256(salt + code)
    sa.Column("salt", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("objects", JSONText, nullable=False),
    sa.Column("frame", sa.Text),
    sa.Column("snapshot", sa.Text),
    sa.Column("keyframes", sa.Integer, nullable=False),
    sa.Column("sandbox_mode", sa.String(32), nullable=False),
    sa.Column("stderr_tail", sa.Text, nullable=False),
    sa.Column("timings", JSONText, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
)
