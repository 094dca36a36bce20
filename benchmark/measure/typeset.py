"""Typesetting a claimed string on the trusted side's behalf, and a store of the results.

To check that an object drew the string it claims, the trusted side needs the
ink that string really typesets to.  LaTeX and Pango on a hostile string are
untrusted work, so they run in the sandbox, in a namespace of their own
(``typeset``), each TeX string in a fresh directory so that no string can
leave files that change how another typesets.  The parent decodes and
validates what comes back like any snapshot, and keeps the ink in a store that
only it writes, keyed by the recipe (class, string, settings) and the manim
version.  So a submission can neither see nor poison another's verification,
and each string is typeset once per machine.

A recipe accepts only settings that change glyph shapes (fonts, weights, TeX
environment…), sanitised here; TeX always uses manim's default template, so a
custom preamble cannot redefine what a claimed string means.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from benchmark.core.paths import cache_root
from benchmark.measure.ink import Ink, ink_of
from benchmark.measure.objects import CONTAINER, classify
from benchmark.snapshot import Member, Snapshot, SnapshotError, decode_snapshot

__all__ = ["RECIPE_CLASSES", "Recipe", "TypesetStore", "Typesetter", "recipe_for"]

TYPESET_VERSION = 2  # 2: attachments (a Title's underline …) are not part of the ink
BATCH = 12  # recipes per sandbox request
# Most-derived first: the first of these in a member's MRO says how to typeset it.
RECIPE_CLASSES = ("Title", "BulletedList", "Tex", "MathTex", "SingleStringMathTex",
                  "Paragraph", "MarkupText", "Text")
_TEX_DEFAULT_ENV = {"Title": "center", "BulletedList": "itemize", "Tex": "center",
                    "MathTex": "align*", "SingleStringMathTex": "align*"}
_ENV = re.compile(r"[A-Za-z]{1,32}\*?")
_SLANTS = frozenset({"NORMAL", "ITALIC", "OBLIQUE"})
_WEIGHTS = frozenset({"NORMAL", "BOLD", "THIN", "ULTRALIGHT", "LIGHT", "SEMILIGHT", "BOOK",
                      "MEDIUM", "SEMIBOLD", "ULTRABOLD", "HEAVY", "ULTRAHEAVY"})
_ALIGN = frozenset({"left", "center", "right"})


@dataclass(frozen=True)
class Recipe:
    """How to typeset one claimed string: a manim class, the string, sanitised settings."""

    cls: str
    string: str
    settings: str = "{}"  # canonical JSON of the sanitised settings

    def key(self) -> str:
        blob = json.dumps([TYPESET_VERSION, self.cls, self.string, self.settings])
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_json(self) -> dict:
        return {"cls": self.cls, "string": self.string, "settings": json.loads(self.settings)}


def _num(v: object, lo: float, hi: float) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return min(hi, max(lo, float(v)))


def _text_settings(raw: dict, cls: str) -> dict[str, object]:
    out: dict[str, object] = {}
    font = raw.get("font")
    if isinstance(font, str) and len(font) <= 100:
        out["font"] = font
    if raw.get("slant") in _SLANTS:
        out["slant"] = raw["slant"]
    if raw.get("weight") in _WEIGHTS:
        out["weight"] = raw["weight"]
    spacing = _num(raw.get("line_spacing"), -0.9, 10.0)
    if spacing is not None:
        out["line_spacing"] = round(spacing, 4)
    if isinstance(raw.get("disable_ligatures"), bool):
        out["disable_ligatures"] = raw["disable_ligatures"]
    if cls == "Text":
        for name in ("t2f", "t2s", "t2w"):
            value = raw.get(name)
            if isinstance(value, dict) and value:
                out[name] = {str(k): str(v) for k, v in sorted(value.items())}
    if cls == "Paragraph" and raw.get("alignment") in _ALIGN:
        out["alignment"] = raw["alignment"]
    if cls == "MarkupText" and isinstance(raw.get("justify"), bool):
        out["justify"] = raw["justify"]
    return out


def _tex_settings(raw: dict, cls: str) -> dict[str, object]:
    out: dict[str, object] = {}
    env = raw.get("tex_environment")
    if cls in ("Tex", "MathTex", "SingleStringMathTex"):
        if isinstance(env, str) and _ENV.fullmatch(env):
            out["tex_environment"] = env
        elif env is not None:
            out["tex_environment"] = "?"  # an environment we will not typeset
        else:
            out["tex_environment"] = _TEX_DEFAULT_ENV[cls]
    if cls in ("Title", "BulletedList"):  # their rules and gaps are absolute lengths
        size = _num(raw.get("font_size"), 1.0, 500.0)
        if size is not None:
            out["font_size"] = round(size, 3)
    if cls == "Title":
        for name in ("include_underline", "match_underline_width_to_text"):
            if isinstance(raw.get(name), bool):
                out[name] = raw[name]
        buff = _num(raw.get("underline_buff"), 0.0, 5.0)
        if buff is not None:
            out["underline_buff"] = round(buff, 4)
    if cls == "BulletedList":
        parts = raw.get("parts")
        if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
            out["items"] = [p.removesuffix("\\\\") for p in parts]
        for name, hi in (("buff", 10.0), ("dot_scale_factor", 10.0)):
            v = _num(raw.get(name), 0.0, hi)
            if v is not None:
                out[name] = round(v, 4)
    return out


def recipe_for(member: Member) -> Recipe | None:
    """The recipe that re-typesets ``member``'s claimed string, or ``None`` if it has none."""
    cls = next((n for n in member.mro_names if n in RECIPE_CLASSES), None)
    if cls is None:
        return None
    tex = cls in _TEX_DEFAULT_ENV
    string = member.tex if tex else member.text
    if string is None or not string.strip():
        return None
    raw = member.settings or {}
    settings = _tex_settings(raw, cls) if tex else _text_settings(raw, cls)
    return Recipe(cls, string, json.dumps(settings, sort_keys=True))


# -- the sandboxed program ---------------------------------------------------------------

_PROGRAM = '''\
import base64, json, os, tempfile
from manim import *

REQUESTS = json.loads(base64.b64decode("{payload}"))
SLANT = {{"NORMAL": NORMAL, "ITALIC": ITALIC, "OBLIQUE": OBLIQUE}}


def build(r):
    cls, s, o = r["cls"], r["string"], r["settings"]
    env = o.get("tex_environment")
    if env == "?":
        raise ValueError("environment not typeset")
    if cls in ("MathTex", "SingleStringMathTex"):
        return MathTex(s, tex_environment=env)
    if cls == "Tex":
        return Tex(s, tex_environment=env)
    if cls == "Title":
        keys = ("include_underline", "match_underline_width_to_text", "underline_buff",
                "font_size")
        return Title(s, **{{k: o[k] for k in keys if k in o}})
    if cls == "BulletedList":
        keys = ("buff", "dot_scale_factor", "font_size")
        return BulletedList(*o.get("items", [s]), **{{k: o[k] for k in keys if k in o}})
    kw = {{k: o[k] for k in ("font", "weight", "disable_ligatures", "t2f", "t2s", "t2w",
                              "justify") if k in o}}
    if "slant" in o:
        kw["slant"] = SLANT[o["slant"]]
    if "line_spacing" in o:
        kw["line_spacing"] = o["line_spacing"]
    if cls == "Paragraph":
        if "alignment" in o:
            kw["alignment"] = o["alignment"]
        return Paragraph(*s.split("\\n"), **kw)
    if cls == "MarkupText":
        return MarkupText(s, **kw)
    return Text(s, **kw)


class Typeset(Scene):
    def construct(self):
        for r in REQUESTS:
            config.tex_dir = os.path.join(tempfile.mkdtemp(), "Tex")
            try:
                mob = build(r)
            except Exception:
                mob = VMobject()  # nothing typeset: an empty root
            self.add(mob)
'''


def program(recipes: list[Recipe]) -> str:
    """The scene that typesets ``recipes``, one top-level mobject each, in order."""
    blob = json.dumps([r.to_json() for r in recipes]).encode()
    return _PROGRAM.format(payload=base64.b64encode(blob).decode())


def glyphs(snap: Snapshot, index: int, kids: list[list[int]]) -> tuple[list[int], list[int]]:
    """A text member's own drawing, and the roots of what is attached to it.

    Below a formula or a text, a child of another kind (a ``Title``'s
    underline, a label's dot) is not part of the typeset string: it is left out
    of the ink on both sides and checked as what it claims to be instead.
    """
    own, attached, stack = [], [], [index]
    while stack:
        i = stack.pop()
        kind = classify(snap.members[i])
        if i != index and kind not in (None, CONTAINER, "tex", "text"):
            attached.append(i)
            continue
        own.append(i)
        stack.extend(reversed(kids[i]))
    return own, attached


def inks_from_payload(payload: bytes, n: int) -> list[Ink | None]:
    """Per recipe, its ink (``None``: nothing typeset), from the program's snapshot."""
    snap = decode_snapshot(payload)
    roots = snap.roots()
    if len(roots) != n:
        raise SnapshotError(f"typeset {len(roots)} roots for {n} recipes")
    kids = snap.children()
    out: list[Ink | None] = []
    for r in roots:
        ink = ink_of(snap.members[i] for i in glyphs(snap, r, kids)[0])
        out.append(None if ink.empty else ink)
    return out


# -- the store ---------------------------------------------------------------------------

def _manim_version() -> str:
    try:
        return version("manim")
    except PackageNotFoundError:
        return "none"


def default_store_dir() -> Path:
    return cache_root("typeset")


@dataclass
class TypesetStore:
    """Typeset ink on disk, written only by the trusted parent; a small memory cache in front.

    An entry is ``<key>.npz`` (the ink) or ``<key>.none`` (the recipe typesets to
    nothing, e.g. a LaTeX error).  Writes are atomic renames.
    """

    root: Path = field(default_factory=default_store_dir)
    memory: int = 4096

    def __post_init__(self) -> None:
        self.dir = self.root / f"v{TYPESET_VERSION}-manim-{_manim_version()}"
        self._cache: OrderedDict[str, Ink | None] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, key: str, ext: str) -> Path:
        return self.dir / key[:2] / f"{key}.{ext}"

    def get(self, recipe: Recipe) -> tuple[bool, Ink | None]:
        """(found, ink); ink ``None`` when the recipe is known to typeset to nothing."""
        key = recipe.key()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return True, self._cache[key]
        ink: Ink | None
        path = self._path(key, "npz")
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    ink = Ink.from_arrays(z["points"], z["ends"], z["filled"])
            except (OSError, ValueError, KeyError):
                return False, None  # a damaged entry: typeset again
        elif self._path(key, "none").is_file():
            ink = None
        else:
            return False, None
        self._remember(key, ink)
        return True, ink

    def put(self, recipe: Recipe, ink: Ink | None) -> None:
        key = recipe.key()
        ext = "none" if ink is None else "npz"
        path = self._path(key, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            if ink is not None:
                np.savez_compressed(fh, **ink.to_arrays())
        os.replace(tmp, path)
        self._remember(key, ink)

    def _remember(self, key: str, ink: Ink | None) -> None:
        with self._lock:
            self._cache[key] = ink
            self._cache.move_to_end(key)
            while len(self._cache) > self.memory:
                self._cache.popitem(last=False)


RunProgram = Callable[[str], tuple[str, list[bytes]]]  # code -> (status, snapshot payloads)


class Typesetter:
    """Looks recipes up in the store and typesets the misses in the sandbox, in batches."""

    def __init__(self, run_program: RunProgram, store: TypesetStore | None = None) -> None:
        self.run_program = run_program
        self.store = store or TypesetStore()
        self.typeset_count = 0

    def inks(self, recipes: list[Recipe]) -> dict[Recipe, Ink | str | None]:
        """Per recipe: its ink, ``None`` (typesets to nothing) or a str (could not run)."""
        out: dict[Recipe, Ink | str | None] = {}
        missing: list[Recipe] = []
        for r in dict.fromkeys(recipes):
            found, ink = self.store.get(r)
            if found:
                out[r] = ink
            else:
                missing.append(r)
        for i in range(0, len(missing), BATCH):
            batch = missing[i : i + BATCH]
            status, payloads = self.run_program(program(batch))
            try:
                if status != "ok" or not payloads:
                    raise SnapshotError(f"typesetting ended {status}")
                got = inks_from_payload(payloads[-1], len(batch))
            except SnapshotError as exc:
                for r in batch:  # machine trouble is not the string's fault: not stored
                    out[r] = f"could not typeset: {exc}"
                continue
            self.typeset_count += len(batch)
            for r, ink in zip(batch, got, strict=True):
                self.store.put(r, ink)
                out[r] = ink
        return out
