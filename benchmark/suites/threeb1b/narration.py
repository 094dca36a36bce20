"""Narration for 3b1b scenes: load a video's sentences and find what was said over each scene.

A scene's on-screen Tex/Text strings are compared with the narration by
distinctive words: a word found in few sentences (high IDF over the video)
is strong evidence, one found everywhere is weak, stop words and one-letter
tokens count for nothing.  Scenes come in code order, which roughly follows
the video, so a Viterbi pass places them in order unless the words clearly
say otherwise.  Pure functions, standard library and numpy only.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.suites.threeb1b.errors import PrepareError

__all__ = [
    "Alignment",
    "SceneText",
    "Sentence",
    "align_scenes",
    "load_sentences",
    "text_tokens",
]


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float  # seconds; the sentence index when the video has no timings
    end: float


@dataclass(frozen=True)
class SceneText:
    key: str  # identifies the scene and keyframe
    strings: tuple[str, ...]  # Tex/Text strings visible in that keyframe, in scene order


@dataclass(frozen=True)
class Alignment:
    key: str
    first: int  # sentence indices, inclusive
    last: int
    text: str  # the sentences first..last joined (at most max_sentences / max_chars)
    confidence: float  # 0 nothing matched (placed between neighbours) .. 1 many rare words
    matched_tokens: tuple[str, ...]  # the scene's words heard in the window, rarest first


# ---------------------------------------------------------------- sentences


def load_sentences(english_dir: Path) -> list[Sentence]:
    """Sentences of one video from ``sentence_timings.json`` (``[[text, start, end], ...]``).

    Without timings (a missing or empty file) ``transcript.txt`` is split into
    sentences whose start and end are their index.
    """
    english_dir = Path(english_dir)
    timings = english_dir / "sentence_timings.json"
    transcript = english_dir / "transcript.txt"
    if timings.is_file():
        sentences = _from_timings(timings)
        if sentences or not transcript.is_file():
            return sentences
    if transcript.is_file():
        return _from_transcript(transcript)
    raise PrepareError(f"{english_dir}: no sentence_timings.json or transcript.txt")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PrepareError(f"{path}: unreadable ({e})") from None


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _from_timings(path: Path) -> list[Sentence]:
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as e:
        raise PrepareError(f"{path}: malformed JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, list):
        raise PrepareError(f"{path}: expected a list of [sentence, start, end]")
    out: list[Sentence] = []
    for i, entry in enumerate(data):
        if not (isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str)
                and _number(entry[1]) and _number(entry[2])):
            raise PrepareError(f"{path}: entry {i} is not [sentence, start, end]")
        text = " ".join(entry[0].split())
        if text:
            out.append(Sentence(text, float(entry[1]), float(entry[2])))
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def _from_transcript(path: Path) -> list[Sentence]:
    pieces = [" ".join(p.split()) for line in _read(path).splitlines()
              for p in _SENTENCE_END.split(line.strip()) if line.strip()]
    return [Sentence(t, float(i), float(i + 1)) for i, t in enumerate(p for p in pieces if p)]


# ---------------------------------------------------------------- tokens

# Commands that only format or relate things: dropped, their arguments kept.
_DROP = frozenset("""
    frac dfrac tfrac cfrac binom left right big Big bigg Bigg bigl bigr Bigl Bigr cdot times
    div quad qquad text textbf textit textrm textsf texttt emph mathrm mathbf mathit mathcal
    mathbb mathsf mathtt mathfrak boldsymbol operatorname displaystyle textstyle scriptstyle
    scriptscriptstyle over hat widehat bar vec dot ddot tilde widetilde overline underline
    overbrace underbrace overrightarrow overleftarrow rm bf it sf tt cal limits nolimits le
    leq ge geq lt gt ne neq to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow
    Leftrightarrow longrightarrow mapsto implies iff in notin ni subset subseteq supset
    supseteq cup cap setminus pm mp equiv approx sim simeq cong propto prime ldots cdots dots
    vdots ddots mid vert lvert rvert Vert langle rangle lfloor rfloor lceil rceil not
    underset overset stackrel substack phantom hphantom vphantom smash circ bullet ast star
    hline cline newline linebreak centering raggedright small large Large huge tiny normalsize
""".split())
# Commands narration says as another word.
_SPOKEN = {"int": "integral", "iint": "integral", "iiint": "integral", "oint": "integral",
           "infty": "infinity", "sqrt": "root", "prod": "product", "lim": "limit",
           "nabla": "nabla", "partial": "partial", "deg": "degrees", "varphi": "phi",
           "vartheta": "theta", "varepsilon": "epsilon", "ell": "l"}
_WITH_ARG = re.compile(r"\\(?:begin|end|(?:text)?color|label|hspace|vspace|ref|cite|"
                       r"includegraphics|tag)\*?\{[^{}]*\}")
_SQUARED = re.compile(r"\^\s*(?:\{\s*2\s*\}|2)")
_CUBED = re.compile(r"\^\s*(?:\{\s*3\s*\}|3)")
_COMMAND = re.compile(r"\\([A-Za-z]+)|\\.")
_TOKEN = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")


def _command(m: re.Match[str]) -> str:
    name = m.group(1)
    if name is None or name in _DROP:
        return " "
    return f" {_SPOKEN.get(name, name.lower())} "


def text_tokens(s: str) -> list[str]:
    """Lowercase word tokens of a Tex, Text or narration string, in order.

    ``\\frac{a}{b}`` gives ``a b``; ``\\text{area of}`` gives ``area of``; named
    symbols become words (``\\pi`` ``pi``, ``\\sum`` ``sum``, ``\\int``
    ``integral``); ``x^2`` gives ``x squared``; braces and punctuation go;
    numbers stay (``3.14``, ``1,000`` as ``1000``); ``Euler's`` is ``euler``.
    """
    s = _WITH_ARG.sub(" ", s)
    s = _CUBED.sub(" cubed ", _SQUARED.sub(" squared ", s))
    s = _COMMAND.sub(_command, s)
    s = s.lower().replace("\u2019", "'")
    s = re.sub(r"'s\b", "", s).replace("'", "")
    return [t.replace(",", "") for t in _TOKEN.findall(s)]


_STOP = frozenset("""
    a about above after again against all also am an and any are as at back be because been
    before being below between both but by can cant could did do does doing done down during
    each even ever every few for from further get gets getting go goes going gonna got had has
    have having he her here hers herself him himself his how i if in into is it its itself
    just kind know let lets like look looks lot lots make makes many may me might more most
    much must my myself need new no nor not now of off oh ok okay on once one only or other
    our ours ourselves out over own really right said same say says see seem seems she should
    so some something such take than that thats the their theirs them themselves then there
    these they thing things think this those though through to too two under until up us
    very want was way we well were what whats when where which while who whom why will with
    would yeah yes yet you your youre yours yourself yourselves ill ive im dont doesnt isnt
    arent wasnt wont didnt
""".split())


def _stem(t: str) -> str:
    if len(t) > 4 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


def _content(tokens: Sequence[str]) -> list[str]:
    """Tokens that can carry evidence, stemmed: no stop words, none of one character."""
    return [_stem(t) for t in tokens if len(t) > 1 and t not in _STOP]


# ---------------------------------------------------------------- alignment

_FORWARD = 1e-3  # per sentence skipped forward: only breaks ties towards the nearest
_BACK_STEP = 0.3  # per sentence of a small step back
_BACK_SLACK = 2  # steps back up to this many sentences are small
_TAU = 1.2  # confidence = 1 - exp(-(sum of matched weights / rarest weight) / _TAU)
_GUESS = 0.05  # confidence of a scene placed between matched neighbours


def _running_argmax(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefix maxima of ``values`` and the first index reaching each."""
    best = np.maximum.accumulate(values)
    before = np.concatenate(([-np.inf], best[:-1]))
    index = np.maximum.accumulate(np.where(values > before, np.arange(len(values)), 0))
    return best, index


def _window_text(sentences: Sequence[Sentence], first: int, last: int, max_chars: int) -> str:
    text = " ".join(s.text for s in sentences[first:last + 1])
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[:cut if cut > 0 else max_chars].rstrip() + "…"


def align_scenes(sentences: Sequence[Sentence], scenes: Sequence[SceneText], *,
                 max_sentences: int = 3, max_chars: int = 400) -> list[Alignment]:
    """One window of narration per scene, in the scenes' order; deterministic.

    A scene's score at a window is the summed IDF of its words heard there.
    Windows start and end on a sentence with a hit, and a wider one wins only
    by hearing more.  Among placements, the order of ``scenes`` is preferred:
    stepping back a sentence or two costs a little, jumping further back costs
    nearly what one word said only once is worth.  A scene whose words are
    never heard gets the sentences between its placed neighbours, with
    confidence ``_GUESS`` (0 when no scene matched).
    """
    if not scenes:
        return []
    n = len(sentences)
    if n == 0:
        raise ValueError("align_scenes needs at least one sentence")
    heard = [set(_content(text_tokens(s.text))) for s in sentences]
    df = Counter(t for words in heard for t in words)
    idf = {t: math.log(1 + n / c) for t, c in df.items()}
    rarest = math.log(1 + n)
    lengths = np.array([len(s.text) for s in sentences])

    vocab: list[dict[str, str]] = []  # per scene: stem -> the scene's own spelling
    for scene in scenes:
        words: dict[str, str] = {}
        for string in scene.strings:
            for raw in text_tokens(string):
                if len(raw) > 1 and raw not in _STOP:
                    words.setdefault(_stem(raw), raw)
        vocab.append({stem: raw for stem, raw in words.items() if stem in idf})

    local = np.zeros((len(scenes), n))
    width = np.ones((len(scenes), n), dtype=int)
    for k, words in enumerate(vocab):
        if not words:
            continue
        stems = list(words)
        weights = np.array([idf[t] for t in stems])
        hit = np.array([[t in heard[i] for t in stems] for i in range(n)])
        heard_any = hit.any(axis=1)  # a window must start and end on a sentence with a hit
        union = np.zeros_like(hit)
        chars = np.zeros(n, dtype=int)
        for w in range(1, max_sentences + 1):
            if w > n:
                break
            span = n - w + 1
            union[:span] |= hit[w - 1:]
            chars[:span] += lengths[w - 1:] + (1 if w > 1 else 0)
            score = union[:span] @ weights  # a wider window must hear more to win
            ok = (score > local[k, :span] + 1e-12) & heard_any[:span] & heard_any[w - 1:] \
                & ((w == 1) | (chars[:span] <= max_chars))
            local[k, :span] = np.where(ok, score, local[k, :span])
            width[k, :span] = np.where(ok, w, width[k, :span])

    anchored = [k for k in range(len(scenes)) if local[k].max() > 0]
    placed: dict[int, int] = {}
    if anchored:
        # A jump further back costs between the weights of a word said once and one said
        # twice: one word said only once may pull a scene back, a word said twice may not.
        far_back = 0.5 * (rarest + math.log(1 + n / 2))
        placed = _viterbi(local[anchored], far_back)
        placed = {anchored[j]: q for j, q in placed.items()}

    out: dict[int, Alignment] = {}
    for k, q in placed.items():
        last = q + int(width[k, q]) - 1
        window = set().union(*heard[q:last + 1])
        matched = sorted((t for t in vocab[k] if t in window), key=lambda t: (-idf[t], t))
        if not matched:
            continue
        strength = sum(idf[t] for t in matched) / rarest
        out[k] = Alignment(scenes[k].key, q, last, _window_text(sentences, q, last, max_chars),
                           round(1 - math.exp(-strength / _TAU), 4),
                           tuple(vocab[k][t] for t in matched))
    _fill_gaps(out, sentences, scenes, max_sentences, max_chars)
    return [out[k] for k in range(len(scenes))]


def _viterbi(local: np.ndarray, far_back: float) -> dict[int, int]:
    """Best start sentence per scene: sum of local scores minus order penalties."""
    k_count, n = local.shape
    idx = np.arange(n)
    value = local[0].copy()
    back = np.zeros((k_count, n), dtype=int)
    for k in range(1, k_count):
        fwd, fwd_at = _running_argmax(value + _FORWARD * idx)
        best = fwd - _FORWARD * idx
        best_at = fwd_at
        for d in range(1, _BACK_SLACK + 1):
            if d >= n:
                break
            cand = np.full(n, -np.inf)
            cand[:n - d] = value[d:] - _BACK_STEP * d
            better = cand > best
            best, best_at = np.where(better, cand, best), np.where(better, idx + d, best_at)
        far = n - _BACK_SLACK - 1  # from q, sentences q + _BACK_SLACK + 1 .. n - 1
        if far > 0:
            rev, rev_at = _running_argmax(value[::-1])
            cand = np.full(n, -np.inf)
            cand[:far] = rev[::-1][_BACK_SLACK + 1:] - far_back
            cand_at = np.zeros(n, dtype=int)
            cand_at[:far] = (n - 1 - rev_at[::-1])[_BACK_SLACK + 1:]
            better = cand > best
            best, best_at = np.where(better, cand, best), np.where(better, cand_at, best_at)
        value = local[k] + best
        back[k] = best_at
    q = int(np.argmax(value))
    path = {k_count - 1: q}
    for k in range(k_count - 1, 0, -1):
        q = int(back[k, q])
        path[k - 1] = q
    return path


def _fill_gaps(out: dict[int, Alignment], sentences: Sequence[Sentence],
               scenes: Sequence[SceneText], max_sentences: int, max_chars: int) -> None:
    """Place each run of unmatched scenes evenly in the sentences between its neighbours."""
    n = len(sentences)
    confidence = _GUESS if out else 0.0
    k = 0
    while k < len(scenes):
        if k in out:
            k += 1
            continue
        run_end = k
        while run_end + 1 < len(scenes) and run_end + 1 not in out:
            run_end += 1
        lo = out[k - 1].last + 1 if k - 1 in out else 0
        hi = out[run_end + 1].first - 1 if run_end + 1 in out else n - 1
        if lo > hi:  # neighbours adjacent or out of order: share the previous one's end
            lo = hi = min(max(lo - 1, 0), n - 1)
        run = run_end - k + 1
        span = hi - lo + 1
        for j in range(run):
            first = lo + (j * span) // run
            last = min(hi, first + max(1, span // run) - 1, first + max_sentences - 1)
            while last > first and sum(len(s.text) + 1 for s in sentences[first:last + 1]) \
                    > max_chars + 1:
                last -= 1
            out[k + j] = Alignment(scenes[k + j].key, first, last,
                                   _window_text(sentences, first, last, max_chars),
                                   confidence, ())
        k = run_end + 1
