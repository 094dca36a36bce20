"""A rating session: who may rate, what each rater sees next, and what a rating does.

``RatingSession`` is everything the app does, with no UI: the Gradio
callbacks and the named API endpoints are thin wrappers around its methods,
so a script and a person in a browser go through the same checks.  Bad input
(a rater ID with odd characters, an unknown access code or item, a rating
outside 1–5) raises ``SessionError`` with one readable line, before anything
is stored.

State lives in the store (``RatingStore``); the only thing kept in memory is
when each item was served, to record the seconds a rating took.  A restarted
server therefore resumes every rater where they were.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from human_eval import APP_VERSION
from human_eval.rater_queue import next_item, rater_order
from human_eval.storage import Item, Rating, RatingStore

__all__ = ["RATER_ID_RULE", "Progress", "RatingSession", "SessionConfig", "SessionError", "View",
           "check_rater_id", "load_access_codes"]

_RATER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
RATER_ID_RULE = ("1–64 characters: letters, digits and . _ @ - (starting with a letter or "
                 "digit)")


class SessionError(Exception):
    """Input the session refuses; one readable line, nothing stored."""


def check_rater_id(text: object, what: str = "rater ID") -> str:
    """The ID without surrounding spaces, or ``SessionError`` if it breaks the rule."""
    if not isinstance(text, str):
        raise SessionError(f"{what} must be text")
    rid = text.strip()
    if not rid:
        raise SessionError(f"enter your {what}")
    if not _RATER_ID.fullmatch(rid):
        shown = rid if len(rid) <= 40 else rid[:40] + "…"
        raise SessionError(f"{what} {shown!r} is not allowed: use {RATER_ID_RULE}")
    return rid


def load_access_codes(path: Path | str) -> dict[str, str]:
    """Access code → rater ID, from a file of ``CODE`` or ``CODE RATER_ID`` lines.

    Blank lines and ``#`` comments are ignored.  A code alone is also its
    rater ID.  A missing or empty file, a malformed line, or a repeated code
    or rater ID is a ``SessionError`` naming the file and line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SessionError(f"{p}: cannot read the access codes: {reason}") from None
    codes: dict[str, str] = {}
    raters: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 2:
            raise SessionError(f"{p}:{n}: expected 'CODE' or 'CODE RATER_ID', got "
                               f"{len(fields)} fields")
        try:
            code = check_rater_id(fields[0], "access code")
            rater = check_rater_id(fields[-1])
        except SessionError as exc:
            raise SessionError(f"{p}:{n}: {exc}") from None
        if code in codes:
            raise SessionError(f"{p}:{n}: access code {code!r} is listed twice")
        if rater in raters:
            raise SessionError(f"{p}:{n}: rater ID {rater!r} already has a code (line "
                               f"{raters[rater]})")
        codes[code] = rater
        raters[rater] = n
    if not codes:
        raise SessionError(f"{p}: no access codes in the file")
    return codes


@dataclass(frozen=True)
class SessionConfig:
    """How a session serves items (``python -m human_eval serve`` options)."""

    ratings_per_item: int = 3  # items with this many ratings are served last
    seed: int = 0  # seeds every rater's order and the choice of check tasks
    checks: float = 0.1  # share of items that are attention checks
    show_reference: bool = False  # show the reference frame beside each item


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int
    skipped: int

    def to_json(self) -> dict[str, int]:
        return {"rated": self.rated, "total": self.total, "skipped": self.skipped}


@dataclass(frozen=True)
class View:
    """What a rater sees now: an item (``None`` once everything is rated) and progress."""

    rater: str
    item: Item | None
    progress: Progress
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The API's shape; blind: no run, submission, task or check flag."""
        item = None if self.item is None else {
            "item_id": self.item.item_id, "prompt": self.item.prompt,
            "has_reference": self.item.reference_frame is not None}
        return {"rater": self.rater, "item": item, "done": self.item is None,
                "progress": self.progress.to_json(), "message": self.message}


def _value(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SessionError(f"a rating must be a whole number from 1 to 5, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise SessionError(f"a rating must be a whole number from 1 to 5, not {value!r}") from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise SessionError(f"a rating must be a whole number from 1 to 5, not {value!r}")
    return int(number)


class RatingSession:
    """The session over ``items``; thread-safe (one action at a time per rater)."""

    def __init__(self, ratings: RatingStore, items: Sequence[Item],
                 config: SessionConfig | None = None, access: dict[str, str] | None = None,
                 app_version: str = "") -> None:

        if not items:
            raise SessionError("no items to rate")
        self.ratings = ratings
        self.items = {it.item_id: it for it in items}
        self.config = config or SessionConfig()
        if self.config.ratings_per_item < 1:
            raise SessionError("ratings per item must be at least 1")
        self.access = access
        self.app_version = app_version or APP_VERSION
        self._orders: dict[str, list[Item]] = {}
        self._served: dict[tuple[str, str], float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- who ---------------------------------------------------------------------------------

    def rater(self, credential: object) -> str:
        """The rater ID for what someone typed: their ID, or their access code."""
        if self.access is None:
            return check_rater_id(credential)
        code = check_rater_id(credential, "access code")
        if code not in self.access:
            raise SessionError("unknown access code")
        return self.access[code]

    def _lock(self, rater: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(rater, threading.Lock())

    def _item(self, item_id: object) -> Item:
        if not isinstance(item_id, str) or item_id not in self.items:
            raise SessionError(f"unknown item {item_id!r} (not in this session)")
        return self.items[item_id]

    # -- what they see -------------------------------------------------------------------------

    def _view(self, rater: str, message: str = "", item: Item | None = None) -> View:
        state = self.ratings.rater_state(rater, self.items)
        if item is None:
            order = self._orders.get(rater)
            if order is None:
                order = self._orders[rater] = rater_order(list(self.items.values()), rater,
                                                          self.config.seed)
            last = self.items[state.last_item].task_id if state.last_item else None
            item = next_item(order, state, self.ratings.rating_counts(),
                             self.config.ratings_per_item, last)
        if item is not None:
            self._served.setdefault((rater, item.item_id), time.monotonic())
        progress = Progress(rated=len(state.rated), total=len(self.items),
                            skipped=len(state.skipped))
        if item is None and not message:
            message = "All items are rated. Thank you!"
        return View(rater, item, progress, message)

    def view(self, credential: object) -> View:
        """The rater's current item (logging in is asking for it)."""
        rater = self.rater(credential)
        with self._lock(rater):
            return self._view(rater)

    # -- what they do --------------------------------------------------------------------------

    def rate(self, credential: object, item_id: object, value: object) -> View:
        """Record a rating (replacing the rater's earlier one of the item); the next view."""
        rater = self.rater(credential)
        item = self._item(item_id)
        v = _value(value)
        with self._lock(rater):
            served = self._served.pop((rater, item.item_id), None)
            seconds = None if served is None else round(time.monotonic() - served, 3)
            replaced = self.ratings.rate(Rating(rater, item.item_id, v, seconds,
                                                self.app_version))
            return self._view(rater, f"Saved {v}" + (" (replacing your earlier rating)."
                                                     if replaced else "."))

    def skip(self, credential: object, item_id: object) -> View:
        """Move an item to the end of the rater's queue; the next view."""
        rater = self.rater(credential)
        item = self._item(item_id)
        with self._lock(rater):
            self.ratings.skip(rater, item.item_id)
            return self._view(rater, "Skipped; it comes back at the end.")

    def undo(self, credential: object) -> View:
        """Take back the rater's last rating or skip and show that item again."""
        rater = self.rater(credential)
        with self._lock(rater):
            undone = self.ratings.undo_last(rater, self.items)
            if undone is None:
                return self._view(rater, "Nothing to undo.")
            self._served.pop((rater, undone), None)
            return self._view(rater, "Undone: rate this item again.", self.items[undone])
