"""Prompt phrasing: anchors, offsets and relations in words, several ways each.

Every placement a family states comes from one of these phrase banks, so a test
can check that the prompt really states what the layout depends on
(``where_phrases(where)`` lists every phrasing of one placement).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = [
    "CORNER_WORDS",
    "EDGE_WORDS",
    "REL_WORDS",
    "amount",
    "article",
    "cap",
    "color_word",
    "join_list",
    "say",
    "say_rel",
    "say_where",
    "sentences",
    "where_phrases",
]

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}

CORNER_WORDS = {
    "UL": ("in the top-left corner", "in the upper-left corner",
           "at the top left of the frame"),
    "UR": ("in the top-right corner", "in the upper-right corner",
           "at the top right of the frame"),
    "DL": ("in the bottom-left corner", "in the lower-left corner",
           "at the bottom left of the frame"),
    "DR": ("in the bottom-right corner", "in the lower-right corner",
           "at the bottom right of the frame"),
}
EDGE_WORDS = {
    "UP": ("at the top of the frame", "along the top edge", "at the top of the screen"),
    "DOWN": ("at the bottom of the frame", "along the bottom edge",
             "at the bottom of the screen"),
    "LEFT": ("against the left edge", "on the left edge of the frame",
             "flush with the left side of the screen"),
    "RIGHT": ("against the right edge", "on the right edge of the frame",
              "flush with the right side of the screen"),
}
CENTRE_WORDS = ("in the centre", "at the centre of the frame", "in the middle of the screen")
REL_WORDS = {
    "above": ("above", "over"),
    "below": ("below", "under", "underneath"),
    "left": ("to the left of", "left of"),
    "right": ("to the right of", "right of"),
}
_COLOURS = {"BLUE": "blue", "RED": "red", "GREEN": "green", "YELLOW": "yellow",
            "TEAL": "teal", "ORANGE": "orange", "PURPLE": "purple", "PINK": "pink",
            "WHITE": "white", "GOLD": "gold", "MAROON": "maroon"}


def article(phrase: str) -> str:
    """``a red circle``, ``an orange square``."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def sentences(*parts: str) -> str:
    """Join sentences, capitalised, each ending with a full stop."""
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if p[-1] not in ".!?":
            p += "."
        out.append(cap(p))
    return " ".join(out)


def say(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def join_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def color_word(name: str | None) -> str:
    return _COLOURS.get(name or "", (name or "").lower())


def amount(n: float) -> str:
    """``two units``, ``one unit``, ``1.5 units``."""
    if n == int(n) and int(n) in _NUMBERS:
        word = _NUMBERS[int(n)]
        return f"{word} unit" if n == 1 else f"{word} units"
    return f"{n:g} units"


def _offset_phrases(dx: float, dy: float) -> list[str]:
    parts = []
    if dx:
        parts.append(f"{amount(abs(dx))} {'right' if dx > 0 else 'left'}")
    if dy:
        parts.append(f"{amount(abs(dy))} {'up' if dy > 0 else 'down'}")
    moved = " and ".join(parts)
    of = "of" if not dy else "from"
    return [f"{moved} {of} the centre", f"{moved} from the middle of the frame",
            f"at the point ({dx:g}, {dy:g})"]


def where_phrases(where: dict) -> list[str]:
    """Every phrasing of an absolute placement (``at``, ``edge`` or ``corner``)."""
    if "corner" in where:
        return list(CORNER_WORDS[where["corner"]])
    if "edge" in where:
        return list(EDGE_WORDS[where["edge"]])
    at = where.get("at")
    if at == "center" or at == [0, 0]:
        return list(CENTRE_WORDS)
    if isinstance(at, list):
        return _offset_phrases(float(at[0]), float(at[1]))
    raise ValueError(f"not an absolute placement: {where!r}")


def say_where(rng: random.Random, where: dict) -> str:
    return say(rng, where_phrases(where))


def say_rel(rng: random.Random, rel: str) -> str:
    return say(rng, REL_WORDS[rel])
