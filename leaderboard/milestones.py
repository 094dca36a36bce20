"""The plan's milestones as data, and the verdict of one estimate against one threshold.

Pure functions over estimates (``MetricSummary``: mean, 95% interval, n), so
the decision logic is testable without a database or a browser.  A verdict is

* ``pass`` — the whole 95% interval is on the right side of the threshold;
* ``fail`` — the whole interval is on the wrong side;
* ``tie`` — the interval straddles the threshold: the data cannot tell yet;
* ``not measured`` — no run (or no rating) that could say.

A milestone with several criteria (M2: compiled *and* positions) fails when
any criterion fails, and passes only when every one passes.

M2 reads the 3b1b ``test`` split, the context variant (what the previous wait
of the scene showed is given; adherence is over the targets).  The same
criteria on the from-scratch variant (``test-scratch``) are shown beside it
(``Cell.beside``) and do not decide the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from benchmark.scoring import MetricSummary

__all__ = [
    "ADHERENCE",
    "COMPILED",
    "FAIL",
    "GOOD_RATING",
    "M1_MIOU",
    "M3_GOOD_RATE",
    "MILESTONES",
    "NOT_MEASURED",
    "PASS",
    "SPEED_BUDGET_S",
    "TIE",
    "VERDICTS",
    "Cell",
    "Criterion",
    "Evidence",
    "Milestone",
    "Part",
    "combine",
    "evaluate",
    "verdict",
]

PASS, FAIL, TIE, NOT_MEASURED = "pass", "fail", "tie", "not measured"
VERDICTS = (PASS, TIE, FAIL, NOT_MEASURED)

#: where a milestone's evidence comes from
RUNS, HUMAN, TIMING = "runs", "human", "timing"

# The plan's thresholds: the one place they are defined (help texts, the site, and
# ``python -m human_eval report`` read them from here).
M1_MIOU = 0.70  # M1: synthetic test miou
COMPILED = 0.80  # M2 and the short-term criteria: share of scenes that compile
ADHERENCE = 0.70  # M2 and the short-term criteria: adherence@0.5
GOOD_RATING = 4.0  # a scene is "rated good" when the mean of its ratings reaches this
M3_GOOD_RATE = 0.60  # M3: share of scenes rated good
SPEED_BUDGET_S = 5.0  # seconds per scene in ``generate``


@dataclass(frozen=True)
class Criterion:
    """``metric`` ≥ ``threshold`` (or ≤ when ``higher_is_better`` is False)."""

    metric: str
    threshold: float
    higher_is_better: bool = True
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.metric

    @property
    def goal(self) -> str:
        return f"{self.name} {'≥' if self.higher_is_better else '≤'} {self.threshold:g}"


@dataclass(frozen=True)
class Milestone:
    """One column of the milestones table.

    ``source``: ``runs`` (the metrics of the submission's run on ``suite``/``split``),
    ``human`` (the human-evaluation good-rate) or ``timing`` (seconds per scene
    spent in ``generate``, over every compared run of the submission).
    """

    key: str
    title: str
    source: str
    criteria: tuple[Criterion, ...]
    suite: str | None = None
    split: str | None = None
    beside: str | None = None  # another split of ``suite``, shown but not judged

    @property
    def goal(self) -> str:
        where = f" on {self.suite} {self.split}" if self.suite else ""
        what = " (with context)" if self.beside else ""
        return " and ".join(c.goal for c in self.criteria) + where + what


MILESTONES: tuple[Milestone, ...] = (
    Milestone("M1", "M1 · synthetic layout", RUNS, (Criterion("miou", M1_MIOU),),
              "synthetic", "test"),
    Milestone("M2", "M2 · 3b1b scenes", RUNS,
              (Criterion("compiled", COMPILED), Criterion("adherence@0.5", ADHERENCE)),
              "3b1b", "test", beside="test-scratch"),
    Milestone("M3", "M3 · human rating", HUMAN,
              (Criterion("good_rate", M3_GOOD_RATE,
                         label=f"rated good (mean ≥ {GOOD_RATING:g})"),)),
    Milestone("short", "Short term · synthetic", RUNS,
              (Criterion("compiled", COMPILED), Criterion("adherence@0.5", ADHERENCE)),
              "synthetic", "test"),
    Milestone("speed", "Inference time", TIMING,
              (Criterion("generate_s", SPEED_BUDGET_S, higher_is_better=False,
                         label="s per scene"),)),
)


@dataclass
class Evidence:
    """What is known about one submission.

    ``suites``: (suite, split) → metric → estimate, from the compared runs;
    ``human``: the good-rate estimate of its latest human evaluation;
    ``generate_s``: seconds per scene in ``generate``.  ``notes`` say where a
    number came from, by milestone key (shown next to it).
    """

    suites: dict[tuple[str, str], Mapping[str, MetricSummary]] = field(default_factory=dict)
    human: MetricSummary | None = None
    generate_s: MetricSummary | None = None
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Part:
    """One criterion of one cell: the estimate and its verdict."""

    criterion: Criterion
    estimate: MetricSummary | None
    verdict: str


@dataclass
class Cell:
    """One submission × milestone: the combined verdict and every criterion's part."""

    milestone: Milestone
    verdict: str
    parts: list[Part]
    note: str = ""
    beside: list[Part] = field(default_factory=list)  # on ``milestone.beside``; not judged


def _measured(e: MetricSummary | None) -> bool:
    return e is not None and e.mean is not None and e.n > 0


def verdict(estimate: MetricSummary | None, criterion: Criterion) -> str:
    """Pass, fail, tie (the 95% interval straddles the threshold) or not measured."""
    if estimate is None or not _measured(estimate):
        return NOT_MEASURED
    assert estimate.mean is not None
    lo = estimate.lo if estimate.lo is not None else estimate.mean
    hi = estimate.hi if estimate.hi is not None else estimate.mean
    t = criterion.threshold
    if criterion.higher_is_better:
        return PASS if lo >= t else FAIL if hi < t else TIE
    return PASS if hi <= t else FAIL if lo > t else TIE


def combine(verdicts: list[str]) -> str:
    """All criteria of a milestone: any fail fails; all must pass to pass."""
    if not verdicts:
        return NOT_MEASURED
    if FAIL in verdicts:
        return FAIL
    if NOT_MEASURED in verdicts:
        return NOT_MEASURED
    return TIE if TIE in verdicts else PASS


def _estimate(milestone: Milestone, criterion: Criterion, ev: Evidence,
              split: str | None = None) -> MetricSummary | None:
    if milestone.source == HUMAN:
        return ev.human
    if milestone.source == TIMING:
        return ev.generate_s
    metrics = ev.suites.get((milestone.suite or "", split or milestone.split or ""))
    return None if metrics is None else metrics.get(criterion.metric)


def evaluate(ev: Evidence, milestones: tuple[Milestone, ...] = MILESTONES) -> list[Cell]:
    """One cell per milestone for one submission."""
    cells = []
    for m in milestones:
        parts = []
        for c in m.criteria:
            e = _estimate(m, c, ev)
            parts.append(Part(c, e, verdict(e, c)))
        beside = []
        if m.beside:
            for c in m.criteria:
                e = _estimate(m, c, ev, m.beside)
                beside.append(Part(c, e, verdict(e, c)))
        cells.append(Cell(m, combine([p.verdict for p in parts]), parts,
                          ev.notes.get(m.key, ""), beside))
    return cells
