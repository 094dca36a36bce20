"""Replies kept on disk, so a resumed or repeated run does not ask the model twice.

A reply is keyed by the sha256 of the canonical JSON of everything that
decides it: the model's identity (backend, model id or folder digest, server
URL), the generation settings (temperature, top_p, max_new_tokens, seed), the
whole conversation sent and the sample's index.  One SQLite file holds them,
by default ``$XDG_CACHE_HOME/jepa-manim/generations/replies.sqlite``; writes are
single statements, so concurrent runs share it safely.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmark.core.paths import cache_root

__all__ = ["CACHE_FORMAT", "ReplyCache", "default_cache_dir", "reply_key"]

CACHE_FORMAT = 1  # bump when the key's meaning changes


def default_cache_dir() -> Path:
    return cache_root("generations")


def reply_key(identity: Mapping[str, Any], settings: Mapping[str, Any],
              messages: Sequence[Mapping[str, str]], sample: int) -> str:
    """The cache key of one reply."""
    blob = json.dumps({"format": CACHE_FORMAT, "model": dict(identity),
                       "settings": dict(settings), "messages": [dict(m) for m in messages],
                       "sample": sample}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReplyCache:
    """Reply text by key, in one SQLite file; safe across threads and processes."""

    def __init__(self, folder: Path | str | None = None) -> None:
        base = Path(folder).expanduser() if folder is not None else default_cache_dir()
        base.mkdir(parents=True, exist_ok=True)
        self.path = base / "replies.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False,
                                   isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS reply (k TEXT PRIMARY KEY, "
                             "text TEXT NOT NULL, info TEXT NOT NULL) WITHOUT ROWID")

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM reply WHERE k = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, text: str, info: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO reply VALUES (?, ?, ?)",
                             (key, text, json.dumps(dict(info or {}), sort_keys=True)))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM reply").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
