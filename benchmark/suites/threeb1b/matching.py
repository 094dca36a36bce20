"""Pair each captioned 3b1b video with the ManimGL files that animated it.

A captions checkout holds ``YEAR/slug/english/`` (shorts one level deeper, in
``YEAR/shorts/slug/english/``); a videos checkout holds ``_YEAR/name.py`` files
(mostly up to 2021) and ``_YEAR/name/`` folders.  The curated table in
:mod:`.mapping` decides first; the rest are matched by name within the same
year: equal normalised names (``newtons-fractal`` and ``newton_fractal``) are
"exact", names sharing most of their words are "fuzzy" with a lower confidence.
Many caption videos may share one code folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.mapping import CURATED, CuratedEntry
from benchmark.suites.threeb1b.narration import load_sentences

__all__ = [
    "EXACT_CONFIDENCE",
    "FUZZY_THRESHOLD",
    "MatchReport",
    "VideoMatch",
    "match_videos",
    "name_similarity",
    "name_tokens",
]

EXACT_CONFIDENCE = 0.9
FUZZY_THRESHOLD = 0.6  # Dice similarity of name words below which nothing is matched
_FUZZY_SCALE = 0.8  # a fuzzy match's confidence is this times its similarity
_NAME_STOP = frozenset({"a", "an", "and", "the", "of", "to", "in", "on", "for", "with"})
_CODE_YEAR = re.compile(r"_(\d{4})")
_CAPTION_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class VideoMatch:
    year: int
    slug: str  # "attention", or "shorts/max-rand" for a short
    captions_dir: Path  # the video's english/ folder
    code_files: tuple[str, ...]  # sorted .py paths relative to the videos root
    confidence: float
    method: str  # "curated" | "exact" | "fuzzy"
    video_id: str  # "2024/attention"


@dataclass
class MatchReport:
    matches: list[VideoMatch] = field(default_factory=list)  # sorted by video_id
    unmatched_captions: list[str] = field(default_factory=list)  # video ids, sorted
    unmatched_code: list[str] = field(default_factory=list)  # files/folders no match uses
    reasons: dict[str, str] = field(default_factory=dict)  # unmatched video id -> why


@dataclass(frozen=True)
class _Candidate:
    unit: str  # the top-level file or folder this candidate belongs to
    path: str  # the file or folder it would match
    names: tuple[tuple[str, ...], ...]  # token forms of its name
    rank: int  # 0 a whole unit, 1 a file inside a folder


def name_tokens(name: str) -> tuple[str, ...]:
    """Comparable words of a slug or a file/folder name.

    Lowercase; ``-``, ``_``, ``.`` and spaces separate words; trailing digits
    go (``convolutions2``, ``some3``, ``barber-pole-1``), as do filler words; a
    plural ``s`` is dropped so ``newtons`` meets ``newton``.
    """
    stem = name[:-3] if name.endswith(".py") else name
    out: list[str] = []
    for word in re.split(r"[^a-z0-9]+", stem.lower()):
        word = word.rstrip("0123456789")
        if not word or word in _NAME_STOP:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return tuple(out)


def _words_meet(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


def name_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Dice overlap of two token lists, where a word meets its own prefix of 3+ letters
    (``gauss``/``gaussian``, ``exp``/``exponent``)."""
    if not a or not b:
        return 0.0
    left = list(b)
    hits = 0
    for word in a:
        for i, other in enumerate(left):
            if _words_meet(word, other):
                hits += 1
                del left[i]
                break
    return 2 * hits / (len(a) + len(b))


def _check_root(root: Path, what: str, pattern: re.Pattern[str], looks_like: str) -> None:
    if not root.is_dir():
        raise PrepareError(f"{what} checkout not found: {root}")
    if not any(p.is_dir() and pattern.fullmatch(p.name) for p in root.iterdir()):
        raise PrepareError(f"{root} does not look like a 3b1b/{what} checkout ({looks_like})")


def _in_years(year: int, years: tuple[int, int] | None) -> bool:
    return years is None or years[0] <= year <= years[1]


def _py_files(root: Path, rel: str) -> list[str]:
    path = root / rel
    if path.is_file():
        return [rel] if path.suffix == ".py" and path.name != "__init__.py" else []
    if not path.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in path.rglob("*.py")
                  if p.is_file() and p.name != "__init__.py"
                  and not any(part.startswith(".") for part in p.relative_to(path).parts))


def _caption_videos(captions_root: Path, years: tuple[int, int] | None,
                    ) -> tuple[list[tuple[int, str, Path]], dict[str, str]]:
    """``(year, slug, video folder)`` for every captioned video, plus folders that are none."""
    found: list[tuple[int, str, Path]] = []
    odd: dict[str, str] = {}
    for year_dir in sorted(captions_root.iterdir()):
        if not (year_dir.is_dir() and _CAPTION_YEAR.fullmatch(year_dir.name)):
            continue
        year = int(year_dir.name)
        if not _in_years(year, years):
            continue
        for video in sorted(p for p in year_dir.iterdir() if p.is_dir()):
            if video.name.startswith("."):
                continue
            if (video / "english").is_dir():
                found.append((year, video.name, video))
                continue
            nested = sorted(p for p in video.iterdir() if (p / "english").is_dir())
            found.extend((year, f"{video.name}/{p.name}", p) for p in nested)
            if not nested:
                odd[f"{year}/{video.name}"] = "no english/ captions"
    return found, odd


def _code_units(videos_root: Path, years: tuple[int, int] | None,
                ) -> dict[int, list[str]]:
    """Top-level ``.py`` files and folders holding ``.py`` files, per year."""
    units: dict[int, list[str]] = {}
    for year_dir in sorted(videos_root.iterdir()):
        m = _CODE_YEAR.fullmatch(year_dir.name)
        if not (year_dir.is_dir() and m) or not _in_years(int(m.group(1)), years):
            continue
        rels = [p.relative_to(videos_root).as_posix() for p in sorted(year_dir.iterdir())
                if not p.name.startswith((".", "__"))]
        units[int(m.group(1))] = [r for r in rels if _py_files(videos_root, r)]
    return units


def _candidates(videos_root: Path, units: Iterable[str]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for unit in units:
        name = unit.rsplit("/", 1)[-1]
        out.append(_Candidate(unit, unit, (name_tokens(name),), 0))
        if (videos_root / unit).is_dir():
            for rel in _py_files(videos_root, unit):
                inner = rel[len(unit) + 1:]
                stem = name_tokens(inner.replace("/", "_"))
                out.append(_Candidate(unit, rel, (stem, name_tokens(name) + stem), 1))
    return out


def _auto_match(slug: str, candidates: Sequence[_Candidate],
                ) -> tuple[list[_Candidate], str, float] | None:
    """The best-named candidates for a slug, with the method and confidence."""
    want = name_tokens(slug.rsplit("/", 1)[-1])
    if not want:
        return None
    exact = [c for c in candidates if want in c.names]
    if exact:
        best_rank = min(c.rank for c in exact)
        return [c for c in exact if c.rank == best_rank], "exact", EXACT_CONFIDENCE
    scored = [(max(name_similarity(want, n) for n in c.names), c) for c in candidates]
    top = max((s for s, _ in scored), default=0.0)
    if top < FUZZY_THRESHOLD:
        return None
    best = [c for s, c in scored if s == top]
    best_rank = min(c.rank for c in best)
    return [c for c in best if c.rank == best_rank], "fuzzy", round(_FUZZY_SCALE * top, 3)


def _curated_files(videos_root: Path, entry: CuratedEntry) -> list[str]:
    files: set[str] = set()
    for rel in entry.paths:
        files.update(_py_files(videos_root, rel))
    return sorted(files)


def _match_one(videos_root: Path, year: int, slug: str, english: Path,
               entry: CuratedEntry | None, candidates: Sequence[_Candidate],
               require_timings: bool) -> VideoMatch | str:
    """The match for one caption video, or why there is none."""
    if require_timings and not (english / "sentence_timings.json").is_file():
        return "no english/sentence_timings.json"
    try:
        if not load_sentences(english):
            return "no narration sentences"
    except PrepareError as e:
        return str(e)
    if entry is not None and not entry.paths:
        return f"curated: no code ({entry.note})" if entry.note else "curated: no code"
    files = _curated_files(videos_root, entry) if entry is not None else []
    method, confidence = "curated", entry.confidence if entry is not None else 0.0
    if not files:
        found = _auto_match(slug, candidates)
        if found is None:
            return ("curated paths missing from this checkout" if entry is not None
                    else "no code with a matching name")
        chosen, method, confidence = found
        files = sorted({f for c in chosen for f in _py_files(videos_root, c.path)})
    return VideoMatch(year, slug, english, tuple(files), confidence, method,
                      f"{year}/{slug}")


def match_videos(videos_root: Path, captions_root: Path,
                 years: tuple[int, int] | None = None, *,
                 curated: Sequence[CuratedEntry] | None = None,
                 require_timings: bool = True) -> MatchReport:
    """Match every captioned video (in ``years``, inclusive) to its code files.

    ``curated`` replaces the built-in table (tests pass their own).  A video
    without ``english/sentence_timings.json`` is left unmatched unless
    ``require_timings`` is false, and so is one with no narration sentences
    (some music-only videos) or an unreadable timings file.  Curated paths
    missing from this checkout are ignored; when none is left the video falls
    back to name matching.
    """
    videos_root, captions_root = Path(videos_root), Path(captions_root)
    _check_root(videos_root, "videos", _CODE_YEAR, "no _20xx year folders")
    _check_root(captions_root, "captions", _CAPTION_YEAR, "no YEAR/ folders")
    if years is not None and years[0] > years[1]:
        raise PrepareError(f"bad year range {years[0]}-{years[1]}: the first is after the last")
    table = {e.video_id: e for e in (CURATED if curated is None else curated)}

    captions, reasons = _caption_videos(captions_root, years)
    units = _code_units(videos_root, years)
    candidates = {year: _candidates(videos_root, us) for year, us in units.items()}
    report = MatchReport()
    for year, slug, folder in captions:
        found = _match_one(videos_root, year, slug, folder / "english",
                           table.get(f"{year}/{slug}"), candidates.get(year, []),
                           require_timings)
        if isinstance(found, str):
            reasons[f"{year}/{slug}"] = found
        else:
            report.matches.append(found)

    report.matches.sort(key=lambda m: m.video_id)
    report.reasons = dict(sorted(reasons.items()))
    report.unmatched_captions = list(report.reasons)
    used = {f for m in report.matches for f in m.code_files}
    report.unmatched_code = sorted(
        unit for us in units.values() for unit in us
        if not any(f == unit or f.startswith(unit + "/") for f in used))
    return report
