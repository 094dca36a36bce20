"""The human-evaluation tables: a ``benchmark.store.StoreExtension``.

``HUMAN_EVAL`` holds ``rating_items``, ``ratings``, ``rating_history``,
``rating_skips`` and ``human_eval_summary`` (schema version 2 of the results
database; names and columns unchanged since).  ``RatingStore`` attaches it with
``Store.extend``; ``read_summaries`` reads ``human_eval_summary`` without
creating anything, for readers such as the leaderboard.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from benchmark.store import JSONText, StoreExtension, run_id_fk

__all__ = ["HUMAN_EVAL", "RATING_ITEM_KINDS", "SUMMARY_TABLE", "human_eval_summary",
           "metadata", "rating_history", "rating_items", "rating_skips", "ratings",
           "read_summaries"]

#: ``frame``: a run's rendered frame; ``check_good`` / ``check_bad``: attention checks
#: (a reference frame, or one with objects pushed onto each other or off the frame).
RATING_ITEM_KINDS = ("frame", "check_good", "check_bad")
SUMMARY_TABLE = "human_eval_summary"

metadata = sa.MetaData()

rating_items = sa.Table(
    "rating_items", metadata,
    sa.Column("item_id", sa.String(64), primary_key=True),  # opaque: reveals no submission
    sa.Column("kind", sa.String(16), nullable=False),  # one of RATING_ITEM_KINDS
    sa.Column("run_id", sa.String(128), run_id_fk("CASCADE")),
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
    SUMMARY_TABLE, metadata,
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


HUMAN_EVAL = StoreExtension("human-evaluation", metadata)


def read_summaries(conn: Connection) -> list[dict[str, Any]]:
    """Every ``human_eval_summary`` row as a mapping of its columns (read by reflection, so
    a table from an older version reads too), or nothing when the table does not exist."""
    if not sa.inspect(conn).has_table(SUMMARY_TABLE):
        return []
    table = sa.Table(SUMMARY_TABLE, sa.MetaData(), autoload_with=conn)
    return [dict(r) for r in conn.execute(sa.select(table)).mappings()]
