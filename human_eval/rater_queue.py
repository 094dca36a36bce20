"""Which item a rater sees next: pure functions of the session and the ratings so far.

Each rater has their own seeded random order of the session's items
(``rater_order``), rearranged so that no two items of the same task are
adjacent where that is possible.  ``next_item`` then serves, in that order:
items the rater has neither rated nor skipped and that still need ratings
(fewer than ``k`` raters; attention checks always count as needing them),
then such items that already have ``k`` ratings, then the rater's skipped
items — never an item they have rated, and never an item of the same task as
the one they just acted on while any other task is left.

Everything is derived from the stored ratings and skips, so a restarted
server serves each rater exactly the item it would have served before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from human_eval.storage import Item, RaterState

__all__ = ["next_item", "rater_order", "rater_seed"]


def rater_seed(seed: int, rater: str) -> int:
    """A 64-bit seed for one rater, stable across Python versions and processes."""
    digest = hashlib.sha256(f"{seed}\x00{rater}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def rater_order(items: Sequence[Item], rater: str, seed: int = 0) -> list[Item]:
    """The rater's own random order of ``items``, same-task neighbours split apart.

    The shuffle is seeded by ``seed`` and the rater's id (the input order does
    not matter); a greedy pass then takes, at each step, the first remaining
    item whose task differs from the previous one.
    """
    ordered = sorted(items, key=lambda it: it.item_id)
    perm = np.random.default_rng(rater_seed(seed, rater)).permutation(len(ordered))
    pending = [ordered[i] for i in perm]
    out: list[Item] = []
    while pending:
        last = out[-1].task_id if out else None
        pick = next((j for j, it in enumerate(pending) if it.task_id != last), 0)
        out.append(pending.pop(pick))
    return out


def next_item(order: Sequence[Item], state: RaterState, counts: Mapping[str, int], k: int,
              last_task: str | None = None) -> Item | None:
    """The item to serve now (``None`` when the rater has rated everything).

    ``order``: the rater's ``rater_order``; ``state``: what they have rated and
    skipped; ``counts``: ratings per item from everyone; ``last_task``: the
    task of the item they acted on last (not to be repeated while avoidable).
    """
    fresh: list[Item] = []
    full: list[Item] = []
    skipped: list[Item] = []
    for item in order:
        if item.item_id in state.rated:
            continue
        if item.item_id in state.skipped:
            skipped.append(item)
        elif item.is_check or counts.get(item.item_id, 0) < k:
            fresh.append(item)
        else:
            full.append(item)
    for tier in (fresh, full, skipped):
        for item in tier:
            if item.task_id != last_task:
                return item
    for tier in (fresh, full, skipped):
        if tier:
            return tier[0]
    return None
