"""Ratings in the benchmark's database, behind a small interface.

``RatingStore(store)`` reads and writes the human-evaluation tables
(``human_eval.schema``, attached with ``Store.extend``) of a
``benchmark.store.Store`` (SQLite in WAL mode by default, or any SQLAlchemy
URL).  Every write is one transaction, committed before the call returns, so
a crash or a restart loses nothing that a rater was told was saved.  One
rating per rater × item is a database constraint; re-rating replaces the
rating and copies the old one into ``rating_history`` (as does an undo), so
nothing a rater ever said is lost.  Writes from the app's threads are
serialised by a lock; other processes wait on SQLite's busy timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from benchmark.store import Store
from human_eval import schema as S

__all__ = ["Item", "RaterState", "Rating", "RatingStore", "now_us"]


def now_us() -> str:
    """The current UTC time, ISO 8601 to the microsecond (orders a rater's actions)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Item:
    """One thing to rate: a run's frame of a task, or an attention check.

    ``item_id`` is opaque (a hash), so nothing shown to a rater names the
    submission.  ``run_id`` is ``None`` for attention checks; ``note`` says how
    a check's frame was made.
    """

    item_id: str
    kind: str  # one of human_eval.schema.RATING_ITEM_KINDS
    task_id: str
    prompt: str
    frame: str  # artifact path
    run_id: str | None = None
    reference_frame: str | None = None
    note: str = ""

    @property
    def is_check(self) -> bool:
        return self.kind != "frame"

    @property
    def expect(self) -> str | None:
        """``"good"`` or ``"bad"`` for attention checks, else ``None``."""
        return {"check_good": "good", "check_bad": "bad"}.get(self.kind)

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "created": now_us()}


@dataclass(frozen=True)
class Rating:
    rater: str
    item_id: str
    value: int
    seconds: float | None
    app_version: str
    created: str = field(default_factory=now_us)


@dataclass
class RaterState:
    """What one rater has done: items rated and skipped, and their latest action's item."""

    rated: dict[str, int]  # item id -> value
    skipped: set[str]
    last_item: str | None


class RatingStore:
    """The ratings of a results database (``Store``); thread-safe."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.extend(S.HUMAN_EVAL)
        self._lock = threading.Lock()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._lock, self.store.transaction() as conn:
            yield conn

    # -- items -----------------------------------------------------------------------------

    def add_items(self, items: Iterable[Item]) -> int:
        """Record items that are not recorded yet (same id: kept as first made); count new."""
        new = 0
        with self._write() as conn:
            known = set(conn.execute(sa.select(S.rating_items.c.item_id)).scalars())
            for item in items:
                if item.item_id not in known:
                    conn.execute(S.rating_items.insert().values(**item.row()))
                    known.add(item.item_id)
                    new += 1
        return new

    def items(self, item_ids: Collection[str] | None = None) -> list[Item]:
        with self.store.connect() as conn:
            rows = conn.execute(S.rating_items.select().order_by(S.rating_items.c.item_id)).all()
        wanted = None if item_ids is None else set(item_ids)
        return [_item(r._mapping) for r in rows if wanted is None or r.item_id in wanted]

    # -- ratings -----------------------------------------------------------------------------

    def rate(self, rating: Rating) -> bool:
        """Store a rating (replacing this rater's earlier one of the item); True if replaced."""
        with self._write() as conn:
            # A write first: SQLite then holds the write lock before reading, so another
            # process writing meanwhile makes this wait (busy timeout), never fail.
            conn.execute(S.rating_skips.delete().where(
                S.rating_skips.c.rater == rating.rater,
                S.rating_skips.c.item_id == rating.item_id))
            old = conn.execute(S.ratings.select().where(
                S.ratings.c.rater == rating.rater,
                S.ratings.c.item_id == rating.item_id)).first()
            if old is not None:
                _to_history(conn, old._mapping, rating.created, "replaced")
                conn.execute(S.ratings.update().where(S.ratings.c.id == old.id).values(
                    value=rating.value, seconds=rating.seconds,
                    app_version=rating.app_version, created=rating.created))
            else:
                conn.execute(S.ratings.insert().values(**asdict(rating)))
        return old is not None

    def skip(self, rater: str, item_id: str) -> None:
        """Put an item last in this rater's queue (a later skip of it moves it again)."""
        with self._write() as conn:
            conn.execute(S.rating_skips.delete().where(S.rating_skips.c.rater == rater,
                                                       S.rating_skips.c.item_id == item_id))
            conn.execute(S.rating_skips.insert().values(rater=rater, item_id=item_id,
                                                        created=now_us()))

    def undo_last(self, rater: str, item_ids: Collection[str]) -> str | None:
        """Take back the rater's latest rating or skip among ``item_ids``; its item id.

        An undone rating is kept in ``rating_history`` (reason ``undone``).
        """
        wanted = set(item_ids)
        with self._write() as conn:
            rated = [r for r in conn.execute(S.ratings.select().where(
                S.ratings.c.rater == rater)).all() if r.item_id in wanted]
            skips = [r for r in conn.execute(S.rating_skips.select().where(
                S.rating_skips.c.rater == rater)).all() if r.item_id in wanted]
            last_rating = max(rated, key=lambda r: (r.created, r.id), default=None)
            last_skip = max(skips, key=lambda r: r.created, default=None)
            if last_rating is None and last_skip is None:
                return None
            if last_skip is None or (last_rating is not None
                                     and last_rating.created >= last_skip.created):
                assert last_rating is not None
                _to_history(conn, last_rating._mapping, now_us(), "undone")
                conn.execute(S.ratings.delete().where(S.ratings.c.id == last_rating.id))
                return str(last_rating.item_id)
            conn.execute(S.rating_skips.delete().where(
                S.rating_skips.c.rater == rater, S.rating_skips.c.item_id == last_skip.item_id))
            return str(last_skip.item_id)

    def rater_state(self, rater: str, item_ids: Collection[str]) -> RaterState:
        wanted = set(item_ids)
        with self.store.connect() as conn:
            rated = [r for r in conn.execute(
                sa.select(S.ratings.c.item_id, S.ratings.c.value, S.ratings.c.created)
                .where(S.ratings.c.rater == rater)).all() if r.item_id in wanted]
            skips = [r for r in conn.execute(
                sa.select(S.rating_skips.c.item_id, S.rating_skips.c.created)
                .where(S.rating_skips.c.rater == rater)).all() if r.item_id in wanted]
        latest = max([(r.created, r.item_id) for r in rated]
                     + [(r.created, r.item_id) for r in skips], default=None)
        return RaterState(rated={r.item_id: int(r.value) for r in rated},
                          skipped={r.item_id for r in skips},
                          last_item=None if latest is None else latest[1])

    def rating_counts(self) -> dict[str, int]:
        """Item id → number of raters who rated it."""
        q = sa.select(S.ratings.c.item_id, sa.func.count()).group_by(S.ratings.c.item_id)
        with self.store.connect() as conn:
            return {i: int(n) for i, n in conn.execute(q).all()}

    def ratings(self) -> list[Rating]:
        """Every current rating, in the order given."""
        with self.store.connect() as conn:
            rows = conn.execute(S.ratings.select().order_by(S.ratings.c.created,
                                                            S.ratings.c.id)).all()
        return [Rating(r.rater, r.item_id, int(r.value), r.seconds, r.app_version, r.created)
                for r in rows]

    def history(self) -> list[dict[str, Any]]:
        """Ratings that were replaced or undone, oldest first."""
        with self.store.connect() as conn:
            rows = conn.execute(S.rating_history.select().order_by(S.rating_history.c.id)).all()
        return [dict(r._mapping) for r in rows]

    # -- summaries ---------------------------------------------------------------------------

    def write_summaries(self, rows: list[dict[str, Any]]) -> None:
        """Replace every ``human_eval_summary`` row with ``rows`` (one transaction)."""
        with self._write() as conn:
            conn.execute(S.human_eval_summary.delete())
            for row in rows:
                conn.execute(S.human_eval_summary.insert().values(
                    **{k: v for k, v in row.items() if k in S.human_eval_summary.c}))

    def summaries(self) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            rows = conn.execute(S.human_eval_summary.select().order_by(
                S.human_eval_summary.c.run_id)).all()
        return [dict(r._mapping) for r in rows]


def _item(m: Any) -> Item:
    return Item(item_id=m["item_id"], kind=m["kind"], task_id=m["task_id"], prompt=m["prompt"],
                frame=m["frame"], run_id=m["run_id"], reference_frame=m["reference_frame"],
                note=m["note"] or "")


def _to_history(conn: Connection, old: Any, ended: str, reason: str) -> None:
    conn.execute(S.rating_history.insert().values(
        rater=old["rater"], item_id=old["item_id"], value=old["value"], seconds=old["seconds"],
        app_version=old["app_version"], created=old["created"], ended=ended, reason=reason))
