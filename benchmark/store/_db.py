"""The results database behind a small interface: runs, results, the render cache.

Applications keep their own tables in the same database through
``Store.extend(StoreExtension)`` (the human-evaluation tables, schema version 2,
are ``human_eval.schema.HUMAN_EVAL``) and read or write them through
``Store.connect()`` and ``Store.transaction()``.

SQLite by default (WAL, a busy timeout so concurrent runs wait rather than
fail, foreign keys on); any SQLAlchemy URL works, e.g. ``postgresql://`` for
a shared lab server.  Rows go in and out only as the typed records of
``benchmark.results`` (and ``CachedRender`` for the cache).  A file that is
not one of our databases is never written to: it gets a one-line error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from benchmark.core.paths import DEFAULT_DB, RUNS_DIR
from benchmark.results import ResultsFormatError, RunRecord, TaskResult
from benchmark.store import _schema as S
from benchmark.store._artifacts import Artifacts
from benchmark.store._extension import StoreExtension

__all__ = ["DEFAULT_DB", "CachedRender", "Store", "StoreError"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_RUN_UPDATABLE = frozenset({"status", "finished", "timings", "sandbox_mode", "sandbox_note",
                            "lpips", "scoring"})
#: what rescoring may change in a stored row (everything else is what the run did)
_RESCORED = ("status", "error", "metrics", "objects", "frame", "generation")


class StoreError(Exception):
    """A database that cannot be used as asked; the message is one readable line."""


@dataclass
class CachedRender:
    """One render-cache entry: what trusted code measured for one piece of code.

    ``objects`` hold full-precision boxes (``kind``, ``cls``, ``content``, ``box``,
    ``visible``, ``visible_px``), so a cache hit scores exactly like the render.
    """

    key: str
    salt: str
    status: str
    error: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)
    frame: str | None = None
    snapshot: str | None = None
    keyframes: int = 0
    sandbox_mode: str = ""
    stderr_tail: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    created: str = ""

    def row(self) -> dict[str, Any]:
        return {"code_hash": self.key, "salt": self.salt, "status": self.status,
                "error": self.error, "objects": self.objects, "frame": self.frame,
                "snapshot": self.snapshot, "keyframes": self.keyframes,
                "sandbox_mode": self.sandbox_mode, "stderr_tail": self.stderr_tail,
                "timings": self.timings, "created": self.created}

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> CachedRender:
        return cls(key=r["code_hash"], salt=r["salt"], status=r["status"], error=r["error"],
                   objects=list(r["objects"] or []), frame=r["frame"], snapshot=r["snapshot"],
                   keyframes=int(r["keyframes"]), sandbox_mode=r["sandbox_mode"],
                   stderr_tail=r["stderr_tail"], timings=dict(r["timings"] or {}),
                   created=r["created"])


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _sqlite_engine(path: Path | None) -> Engine:
    if path is None:  # in memory: one shared connection for every thread
        engine = sa.create_engine("sqlite://", poolclass=StaticPool,
                                  connect_args={"check_same_thread": False})
    else:
        engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)),
                                  connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA foreign_keys = ON")
        if path is not None:  # WAL itself is set once the file is known to be ours
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    return engine


def _check_sqlite_file(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, expected a database file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror}") from None
    if head != _SQLITE_MAGIC:
        raise StoreError(f"{path}: not an SQLite database (corrupt or another kind of file); "
                         "left untouched — pass another --db")


class Store:
    """Open (and create if missing) a results database and its artifact root.

    ``url``: an SQLAlchemy URL or a plain file path (SQLite); default
    ``runs/benchmark.db``.  ``artifacts``: where code, frames and snapshots go;
    default the SQLite file's directory, or ``runs/`` for other databases.
    Thread-safe: writes are serialised by a lock.
    """

    def __init__(self, url: str | None = None, artifacts: Path | str | None = None) -> None:
        url = url or DEFAULT_DB
        self.display = url
        self._lock = threading.Lock()
        try:
            parsed = sa.make_url(url) if "://" in url else None
        except sa.exc.ArgumentError:
            raise StoreError(f"{url}: not a database URL or path") from None
        root: Path | None = None
        if parsed is None or parsed.get_backend_name() == "sqlite":
            db = url if parsed is None else (parsed.database or "")
            path = None if db in ("", ":memory:") else Path(db)
            if path is not None:
                _check_sqlite_file(path)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"{path.parent}: cannot create: {exc.strerror}") from None
                root = path.parent
            self.engine = _sqlite_engine(path)
        else:
            try:
                self.engine = sa.create_engine(parsed, pool_pre_ping=True)
            except (ImportError, sa.exc.ArgumentError) as exc:
                raise StoreError(f"{parsed.render_as_string()}: cannot use this database: "
                                 f"{_first_line(exc)}") from None
        self.artifacts = Artifacts(Path(artifacts) if artifacts is not None
                                   else root if root is not None else RUNS_DIR)
        try:
            self._ensure_schema()
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            raise StoreError(f"{self.display}: not a usable results database: "
                             f"{_first_line(exc)}") from None
        except StoreError:
            self.engine.dispose()
            raise

    # -- schema ------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        with self.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            if tables and "meta" not in tables:
                raise StoreError(f"{self.display}: a database without jepa-manim's tables "
                                 f"(has {', '.join(sorted(tables)[:3])}…); left untouched")
            version = None
            if "meta" in tables:
                version = conn.execute(sa.select(S.meta.c.value).where(
                    S.meta.c.key == "schema_version")).scalar()
        if version is not None and int(version) > S.SCHEMA_VERSION:
            raise StoreError(f"{self.display}: schema version {version} is newer than this "
                             f"jepa-manim knows ({S.SCHEMA_VERSION}); upgrade jepa-manim")
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            with self.engine.connect() as conn:  # persistent in the file: once is enough
                conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        with self._lock, self.engine.begin() as conn:
            S.metadata.create_all(conn)
            if version is None:
                S.insert_ignore(conn, S.meta, {"key": "schema_version",
                                              "value": str(S.SCHEMA_VERSION)})
            elif int(version) < S.SCHEMA_VERSION:
                S.migrate(conn, int(version))

    @property
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(S.meta.c.value).where(
                S.meta.c.key == "schema_version")).scalar_one())

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    # -- extensions: an application's own tables ------------------------------------------------

    def extend(self, extension: StoreExtension) -> None:
        """Create ``extension``'s tables that are missing (existing ones stay as they are)."""
        try:
            with self._write() as conn:
                extension.metadata.create_all(conn)
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"{self.display}: cannot add the {extension.name} tables: "
                             f"{_first_line(exc)}") from None

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reading (``with store.connect() as conn: ...``)."""
        return self.engine.connect()

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction, serialised with every other write of this ``Store``,
        committed when the block ends (rolled back on an exception)."""
        return self._write()

    def has_table(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return sa.inspect(conn).has_table(name)

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, record: RunRecord, results: Sequence[TaskResult] = ()) -> None:
        """Insert a run, and ``results`` already recorded for it, in one transaction."""
        row = _run_row(record)
        exists = StoreError(f"run {record.run_id} already exists")
        try:
            with self._write() as conn:
                if conn.execute(sa.select(S.runs.c.run_id).where(
                        S.runs.c.run_id == record.run_id)).first() is not None:
                    raise exists
                conn.execute(S.runs.insert().values(**row))
                if results:
                    conn.execute(S.results.insert(), [r.to_json() for r in results])
        except sa.exc.IntegrityError as exc:
            if not results:
                raise exists from None
            raise StoreError(f"run {record.run_id}: cannot be stored ({_first_line(exc)}); "
                             "nothing was stored") from None

    def rescore_results(self, run_id: str, results: Sequence[TaskResult],
                        scoring: dict[str, Any]) -> int:
        """Replace what rescoring changes in the run's rows (status, error, metrics,
        objects, frame, generation) and its scoring setup, all in one transaction:
        either every row and the run change, or nothing does.  Returns the rows updated."""
        stmt = S.results.update().where(
            S.results.c.run_id == sa.bindparam("b_run"),
            S.results.c.task_id == sa.bindparam("b_task")).values(
            **{c: sa.bindparam(f"v_{c}") for c in _RESCORED})
        params = []
        for r in results:
            if r.run_id != run_id:
                raise ValueError(f"result of run {r.run_id} is not of run {run_id}")
            row = r.to_json()
            params.append({"b_run": run_id, "b_task": r.task_id,
                           **{f"v_{c}": row[c] for c in _RESCORED}})
        with self._write() as conn:
            updated = conn.execute(stmt, params).rowcount if params else 0
            if not conn.dialect.supports_sane_multi_rowcount:
                updated = len(params)
            elif updated != len(params):
                raise StoreError(f"run {run_id}: {len(params) - updated} of its rows changed "
                                 "while it was rescored; nothing was stored")
            conn.execute(S.runs.update().where(S.runs.c.run_id == run_id).values(
                scoring=scoring))
        return updated

    def update_run(self, run_id: str, **fields: Any) -> None:
        bad = set(fields) - _RUN_UPDATABLE
        if bad:
            raise ValueError(f"cannot update run fields {sorted(bad)}")
        with self._write() as conn:
            conn.execute(S.runs.update().where(S.runs.c.run_id == run_id).values(**fields))

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id, or the only run whose id starts with it."""
        with self.engine.connect() as conn:
            row = conn.execute(S.runs.select().where(S.runs.c.run_id == run_id)).first()
            if row is None:
                esc = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                rows = conn.execute(S.runs.select().where(
                    S.runs.c.run_id.like(f"{esc}%", escape="\\")).limit(2)).all()
                if len(rows) > 1:
                    raise StoreError(f"run id {run_id!r} is ambiguous; give more of it")
                row = rows[0] if rows else None
        if row is None:
            raise StoreError(f"no run {run_id!r} in {self.display} "
                             "(see `python -m benchmark runs`)")
        return _run_record(row._mapping)

    def list_runs(self) -> list[RunRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(S.runs.select().order_by(S.runs.c.created,
                                                         S.runs.c.run_id)).all()
        return [_run_record(r._mapping) for r in rows]

    # -- results -----------------------------------------------------------------------------

    def add_result(self, result: TaskResult) -> bool:
        """Insert one result in one transaction; ``False`` if the task was already recorded."""
        with self._write() as conn:
            return S.insert_ignore(conn, S.results, result.to_json())

    def done_task_ids(self, run_id: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(S.results.c.task_id).where(
                S.results.c.run_id == run_id)).scalars())

    def result_counts(self) -> dict[str, int]:
        q = sa.select(S.results.c.run_id, sa.func.count()).group_by(S.results.c.run_id)
        with self.engine.connect() as conn:
            return {r: int(n) for r, n in conn.execute(q).all()}

    def metrics(self, run_id: str) -> dict[str, dict[str, float | None]]:
        """Task id → metrics of one run (a light read for listings and comparisons)."""
        q = sa.select(S.results.c.task_id, S.results.c.metrics).where(
            S.results.c.run_id == run_id)
        with self.engine.connect() as conn:
            return {t: dict(m or {}) for t, m in conn.execute(q).all()}

    def results(self, run_id: str) -> list[TaskResult]:
        q = S.results.select().where(S.results.c.run_id == run_id).order_by(
            S.results.c.task_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        try:
            return [TaskResult.from_json(dict(r._mapping)) for r in rows]
        except ResultsFormatError as exc:
            raise StoreError(f"{self.display}: {exc}") from None

    # -- render cache ------------------------------------------------------------------------

    def get_render(self, key: str) -> CachedRender | None:
        with self.engine.connect() as conn:
            row = conn.execute(S.renders.select().where(S.renders.c.code_hash == key)).first()
        return None if row is None else CachedRender.from_row(dict(row._mapping))

    def renders_by_snapshot(self, snapshots: Iterable[str], salt_prefix: str = ""
                            ) -> dict[str, CachedRender]:
        """Render-cache entries whose final snapshot is one of ``snapshots`` and whose salt
        starts with ``salt_prefix``, keyed by snapshot path (one per snapshot: entries
        with the same snapshot and the same measurement salt measured the same)."""
        wanted = sorted(set(snapshots))
        out: dict[str, CachedRender] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                q = S.renders.select().where(S.renders.c.snapshot.in_(wanted[i:i + 500]))
                for row in conn.execute(q).all():
                    entry = CachedRender.from_row(dict(row._mapping))
                    if entry.snapshot is not None and entry.salt.startswith(salt_prefix):
                        out.setdefault(entry.snapshot, entry)
        return out

    def frame_snapshot(self, frame: str) -> str | None:
        """The Snapshot of a cached render that drew ``frame`` (an artifact path), if any."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(S.renders.c.snapshot).where(
                S.renders.c.frame == frame, S.renders.c.snapshot.is_not(None)).limit(1)).scalar()

    def put_render(self, entry: CachedRender) -> bool:
        with self._write() as conn:
            return S.insert_ignore(conn, S.renders, entry.row())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_row(record: RunRecord) -> dict[str, Any]:
    row = record.to_json()
    row["task_limit"] = row.pop("limit")
    return row


def _run_record(mapping: Any) -> RunRecord:
    d = dict(mapping)
    d["limit"] = d.pop("task_limit")
    try:
        return RunRecord.from_json(d)
    except ResultsFormatError as exc:
        raise StoreError(str(exc)) from None
