"""Tables of the results database (portable SQLAlchemy Core: SQLite and PostgreSQL).

JSON goes into Text columns through ``JSONText`` (our own encoder: sorted keys,
no NaN), timestamps are ISO 8601 UTC strings, so nothing depends on a
dialect's JSON or time-zone handling.  ``SCHEMA_VERSION`` is stored in
``meta``; bump it (and add a migration) whenever a table changes.

Versions: 1 — runs, results, renders.  2 — the human-evaluation tables
(defined by ``human_eval.schema`` as a ``StoreExtension``, created when that
extension is attached); new tables only, so a version-1 database is upgraded
by recording the version.  3 — ``runs.origin`` (JSON, nullable: which run a retry or a rescore
was made from); a version-2 database gains the column, every existing run reads
``None``.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["SCHEMA_VERSION", "JSONText", "insert_ignore", "meta", "metadata", "migrate",
           "renders", "results", "run_id_fk", "runs"]

SCHEMA_VERSION = 3

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
    sa.Column("origin", JSONText),  # schema version 3
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


def run_id_fk(ondelete: str | None = "CASCADE") -> sa.ForeignKey:
    """A foreign key to ``runs.run_id``, for an extension's tables (another ``MetaData``)."""
    return sa.ForeignKey(runs.c.run_id, ondelete=ondelete)


def migrate(conn: Connection, version: int) -> None:
    """Bring an older database up to ``SCHEMA_VERSION`` (inside the opening transaction).

    1 → 2 only records the version (the human-evaluation tables are an
    extension's, made when it is attached); existing tables and rows are
    untouched.  2 → 3 adds the nullable
    ``runs.origin`` column (existing runs: ``None``).  A future step that changes
    an existing table goes here, guarded by the version it upgrades from.
    """
    if version < 3 and "origin" not in {c["name"] for c in sa.inspect(conn).get_columns("runs")}:
        conn.execute(sa.text("ALTER TABLE runs ADD COLUMN origin TEXT"))
    conn.execute(meta.update().where(meta.c.key == "schema_version").values(
        value=str(SCHEMA_VERSION)))


def insert_ignore(conn: Connection, table: sa.Table, row: dict[str, Any]) -> bool:
    """Insert unless the unique key exists (never a second row); True if inserted."""
    row = {k: v for k, v in row.items() if k in table.c}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        return conn.execute(insert(table).values(**row).on_conflict_do_nothing()).rowcount == 1
    try:
        with conn.begin_nested():
            conn.execute(table.insert().values(**row))
    except sa.exc.IntegrityError:
        return False
    return True
