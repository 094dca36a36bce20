"""Tables of the results database (portable SQLAlchemy Core: SQLite and PostgreSQL).

JSON goes into Text columns through ``JSONText`` (our own encoder: sorted keys,
no NaN), timestamps are ISO 8601 UTC strings, so nothing depends on a
dialect's JSON or time-zone handling.  ``SCHEMA_VERSION`` is stored in
``meta``; bump it (and add a migration) whenever a table changes.

Versions: 1 — runs, results, renders.  2 — the human-evaluation tables
(``rating_items``, ``ratings``, ``rating_history``, ``rating_skips``,
``human_eval_summary``); new tables only, so a version-1 database is upgraded
by creating them.  3 — ``runs.origin`` (JSON, nullable: which run a retry or a rescore
was made from); a version-2 database gains the column, every existing run reads
``None``.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

__all__ = ["RATING_ITEM_KINDS", "SCHEMA_VERSION", "JSONText", "human_eval_summary", "meta",
           "metadata", "rating_history", "rating_items", "rating_skips", "ratings", "renders",
           "results", "runs"]

SCHEMA_VERSION = 3

#: ``frame``: a run's rendered frame; ``check_good`` / ``check_bad``: attention checks
#: (a reference frame, or one with objects pushed onto each other or off the frame).
RATING_ITEM_KINDS = ("frame", "check_good", "check_bad")

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

# -- human evaluation (schema version 2) ------------------------------------------------------

rating_items = sa.Table(
    "rating_items", metadata,
    sa.Column("item_id", sa.String(64), primary_key=True),  # opaque: reveals no submission
    sa.Column("kind", sa.String(16), nullable=False),  # one of RATING_ITEM_KINDS
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.run_id", ondelete="CASCADE")),
    sa.Column("task_id", sa.String(256), nullable=False),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("frame", sa.Text, nullable=False),  # artifact path of the frame shown
    sa.Column("reference_frame", sa.Text),
    sa.Column("note", sa.Text, nullable=False),  # how a check item was made
    sa.Column("created", sa.String(32), nullable=False),
)

ratings = sa.Table(
    "ratings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rater", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(64),
              sa.ForeignKey("rating_items.item_id", ondelete="CASCADE"), nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float),  # from serving the item to the rating; None if unknown
    sa.Column("app_version", sa.String(32), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.UniqueConstraint("rater", "item_id", name="uq_ratings_rater_item"),
    sa.CheckConstraint("value BETWEEN 1 AND 5", name="ck_ratings_value"),
)

rating_history = sa.Table(  # every rating that a re-rating replaced or an undo removed
    "rating_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rater", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(64), nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float),
    sa.Column("app_version", sa.String(32), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),  # when it was given
    sa.Column("ended", sa.String(32), nullable=False),  # when it stopped counting
    sa.Column("reason", sa.String(16), nullable=False),  # "replaced" or "undone"
)

rating_skips = sa.Table(
    "rating_skips", metadata,
    sa.Column("rater", sa.String(64), primary_key=True),
    sa.Column("item_id", sa.String(64),
              sa.ForeignKey("rating_items.item_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created", sa.String(32), nullable=False),
)

human_eval_summary = sa.Table(  # written by `python -m human_eval report`, read by pages
    "human_eval_summary", metadata,
    sa.Column("run_id", sa.String(128), primary_key=True),
    sa.Column("submission", sa.String(128), nullable=False),  # the run's model name
    sa.Column("suite", sa.String(128), nullable=False),
    sa.Column("split", sa.String(64), nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),  # rated items (scenes)
    sa.Column("n_ratings", sa.Integer, nullable=False),
    sa.Column("mean", sa.Float),  # mean over items of the item's mean rating
    sa.Column("mean_lo", sa.Float),
    sa.Column("mean_hi", sa.Float),
    sa.Column("good_rate", sa.Float),  # share of scenes rated good (item mean >= 4): M3;
    #                                    unrendered tasks count as not good
    sa.Column("good_lo", sa.Float),
    sa.Column("good_hi", sa.Float),
    sa.Column("alpha", sa.Float),  # Krippendorff's ordinal alpha; None when undefined
    sa.Column("histogram", JSONText, nullable=False),  # counts of ratings 1..5
    sa.Column("computed", sa.String(32), nullable=False),
    sa.Column("n_unrendered", sa.Integer, nullable=False,  # tasks without a frame: not good
              server_default=sa.text("0")),
    sa.Column("n_raters", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("n_tasks", sa.Integer, nullable=False, server_default=sa.text("0")),  # in the run
)
