"""Write the static site: Jinja2 templates (autoescaped) over a ``Board``.

Layout of the output folder (every link is relative, so the site works from
``file://`` and from any static host)::

    index.html                          milestones, results per suite, plots, runs
    runs/<run>/index.html               one run: metadata, every metric, its tasks
    runs/<run>/<task>.html              one task's visual diff (failures; all with
                                        ``all_tasks``)
    img/<sha256>.png                    frames (hard links to the artifacts, else copies)
    static/style.css, static/site.js    light/dark styles, table sorting and filters

The site is written to a temporary sibling folder and moved into place, so a
failed build leaves the previous site as it was.  An existing ``out`` folder is
replaced only if it holds a site this builder wrote (a ``.leaderboard`` stamp).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from benchmark.core.tasks import Task
from benchmark.results import TaskResult
from benchmark.scoring import ADHERENCE_THRESHOLDS, HEADLINE, LOWER_IS_BETTER, MetricSummary
from benchmark.store import task_slug
from leaderboard.collect import TIME_METRIC, Board, LeaderboardError, RunData, load_run_tasks
from leaderboard.diff import PLACED_WITHIN, diff_view, failure_reason
from leaderboard.milestones import GOOD_RATING, MILESTONES, SPEED_BUDGET_S, VERDICTS, evaluate
from leaderboard.plots import Series, bar_chart, curve_chart

__all__ = ["STAMP", "BuildOptions", "BuildReport", "build_site", "environment"]

STAMP = ".leaderboard"
#: metrics drawn as bars (all in [0, 1], higher is better)
BAR_METRICS = ("compiled", "rendered", "miou", "type_acc", "rel_acc", "adherence@0.5", "ssim",
               "context_kept")
#: columns of the per-family and per-difficulty tables
GROUP_METRICS = ("compiled", "rendered", "miou", "rel_acc", "adherence@0.5")
TABLE_METRICS = (*HEADLINE, TIME_METRIC)
ADHERENCE = tuple(f"adherence@{t:.1f}" for t in ADHERENCE_THRESHOLDS)
MAX_CODE_CHARS = 200_000


@dataclass(frozen=True)
class BuildOptions:
    """``out``: the site folder; ``all_tasks``: a diff page for every task, not only failures."""

    out: Path
    all_tasks: bool = False


@dataclass
class BuildReport:
    out: Path
    runs: int
    results: int
    failures: int
    pages: int
    images: int
    seconds: float


# -- the template environment ------------------------------------------------------------------

def _num(v: float | None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:.{digits}f}"


def _secs(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return "<0.001" if abs(v) < 0.001 else f"{v:.3g}"


def _fmt(v: float | None, metric: str = "") -> str:
    """A metric's value as shown: seconds to 3 significant digits, the rest to 3 decimals."""
    return _secs(v) if metric == TIME_METRIC else _num(v)


def _sort(v: float | None) -> str:
    return "" if v is None else repr(round(float(v), 6))


def environment() -> jinja2.Environment:
    """Templates from the package, autoescaped, undefined names are errors."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("leaderboard", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["fmt"] = _fmt
    env.filters["sortkey"] = _sort
    env.globals.update(lower_is_better=LOWER_IS_BETTER, verdicts=VERDICTS,
                       placed_within=PLACED_WITHIN, time_metric=TIME_METRIC)
    return env


# -- the output folder ---------------------------------------------------------------------------

def _prepare(out: Path) -> Path:
    """A fresh temporary folder beside ``out`` (checked to be replaceable and writable)."""
    if out.exists() and not out.is_dir():
        raise LeaderboardError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / STAMP).is_file():
        raise LeaderboardError(f"{out}: not empty and not a site built here; choose another "
                               "--out or empty it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    except OSError as exc:
        raise LeaderboardError(f"{out}: cannot write there: {exc.strerror or exc}") from None


def _swap(tmp: Path, out: Path) -> None:
    if out.is_dir():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


class _Images:
    """Frames the pages use, linked (or copied) once each into ``img/``."""

    def __init__(self, board: Board, site: Path) -> None:
        self.src = board.artifacts
        self.dir = site / "img"
        self.done: dict[str, str | None] = {}

    def __call__(self, rel: str | None) -> str | None:
        """The site-relative path of an artifact frame, or ``None`` when it is missing."""
        if not rel:
            return None
        if rel in self.done:
            return self.done[rel]
        src = self.src / rel
        name = f"img/{Path(rel).name}"
        dst = self.dir / Path(rel).name
        try:
            self.dir.mkdir(exist_ok=True)
            if not dst.exists():
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
        except OSError:
            self.done[rel] = None
            return None
        self.done[rel] = name
        return name


# -- page contexts -------------------------------------------------------------------------------

def _series(board: Board) -> dict[str, Series]:
    return {s: Series(s, i) for i, s in enumerate(board.submissions)}


def _lpips_reason(runs: Sequence[RunData]) -> str:
    for r in runs:
        if not r.record.lpips.get("available", True):
            return str(r.record.lpips.get("reason") or "")
    return ""


def _suite_context(key: tuple[str, str], runs: list[RunData], series: dict[str, Series]
                   ) -> dict[str, Any]:
    suite, split = key
    ss = [series[r.submission] for r in runs]
    present = [m for m in BAR_METRICS if any(
        r.summary.overall.get(m) is not None and r.summary.overall[m].mean is not None
        for r in runs)]
    bars = bar_chart(present, ss, {(m, r.submission): r.summary.overall.get(m)
                                   for m in present for r in runs}, y_label="mean, 95% CI")
    curve = curve_chart(ADHERENCE_THRESHOLDS, ss,
                        {(t, r.submission): r.summary.overall.get(f"adherence@{t:.1f}")
                         for t in ADHERENCE_THRESHOLDS for r in runs},
                        y_label="share of objects placed", x_label="threshold (units)")
    statuses = sorted({s for r in runs for s in r.summary.statuses},
                      key=lambda s: (s != "ok", s))
    families = sorted({f for r in runs for f in r.summary.by_family})
    difficulties = sorted({d for r in runs for d in r.summary.by_difficulty},
                          key=lambda d: (["easy", "medium", "hard"].index(d)
                                         if d in ("easy", "medium", "hard") else 3, d))
    hashes = sorted({r.record.suite_hash for r in runs})
    return {"suite": suite, "split": split, "anchor": f"suite-{task_slug(suite)}-{split}",
            "runs": runs, "series": series, "bars": bars, "curve": curve,
            "statuses": statuses, "families": families, "difficulties": difficulties,
            "hash_warning": len(hashes) > 1, "hashes": hashes,
            "lpips_reason": _lpips_reason(runs)}


def _human_chart(board: Board, series: dict[str, Series]) -> Any:
    values: dict[tuple[str, str], MetricSummary | None] = {}
    subs = []
    for sub in board.submissions:  # the order (and colours) of every other chart
        h = board.human.get(sub)
        total = sum(h.histogram) if h is not None else 0
        if h is None or not total:
            continue
        subs.append(series[sub])
        for i, c in enumerate(h.histogram):
            values[(str(i + 1), sub)] = MetricSummary(c / total, None, None, total)
    return bar_chart(["1", "2", "3", "4", "5"], subs, values, y_label="share of ratings",
                     whiskers=False) if subs else None


@dataclass
class _TaskRow:
    result: TaskResult
    failure: str
    page: str | None = None  # file name within the run's folder


def _task_rows(run: RunData, all_tasks: bool) -> list[_TaskRow]:
    rows = []
    for r in run.results:
        fail = failure_reason(r)
        page = f"{task_slug(r.task_id)}.html" if fail or all_tasks else None
        rows.append(_TaskRow(r, fail, page))
    return rows


def _read_code(board: Board, result: TaskResult) -> tuple[str, str]:
    """The code and a note (missing file, truncated)."""
    if not result.code_path:
        return "", "no code (the submission's generate failed)"
    try:
        code = (board.artifacts / result.code_path).read_text(encoding="utf-8",
                                                              errors="replace")
    except OSError as exc:
        return "", f"code file {result.code_path} not readable: {exc.strerror or exc}"
    if len(code) > MAX_CODE_CHARS:
        return code[:MAX_CODE_CHARS], f"truncated to the first {MAX_CODE_CHARS:,} characters"
    return code, ""


def _neighbours(pages: list[_TaskRow], i: int, failures_only: bool
                ) -> tuple[_TaskRow | None, _TaskRow | None]:
    def scan(rng: Iterable[int]) -> _TaskRow | None:
        for j in rng:
            if pages[j].failure or not failures_only:
                return pages[j]
        return None

    return scan(range(i - 1, -1, -1)), scan(range(i + 1, len(pages)))


# -- the build -----------------------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _copy_static(site: Path) -> None:
    static = site / "static"
    static.mkdir()
    for name in ("style.css", "site.js"):
        (static / name).write_bytes(
            resources.files("leaderboard").joinpath("static", name).read_bytes())


def build_site(board: Board, options: BuildOptions) -> BuildReport:
    """Write the whole site for ``board`` into ``options.out``."""
    t0 = time.perf_counter()
    out = options.out
    tmp = _prepare(out)
    try:
        report = _build(board, options, tmp)
        (tmp / STAMP).write_text("jepa-manim leaderboard\n", encoding="utf-8")
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LeaderboardError(f"{out}: cannot write the site: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.out, report.seconds = out, time.perf_counter() - t0
    return report


def _build(board: Board, options: BuildOptions, site: Path) -> BuildReport:
    env = environment()
    built = datetime.now(UTC).isoformat(timespec="seconds")
    common = {"built": built, "db": board.db}
    series = _series(board)
    images = _Images(board, site)
    _copy_static(site)
    evidence = board.evidence()
    milestone_rows = [(sub, series[sub], evaluate(evidence[sub])) for sub in board.submissions]
    suites = [_suite_context(k, rs, series) for k, rs in board.groups()]
    _write(site / "index.html", env.get_template("index.html.j2").render(
        root="", milestones=MILESTONES, milestone_rows=milestone_rows, suites=suites,
        board=board, series=series, human_chart=_human_chart(board, series),
        table_metrics=TABLE_METRICS, group_metrics=GROUP_METRICS, adherence=ADHERENCE,
        all_tasks=options.all_tasks, good_rating=f"{GOOD_RATING:g}",
        speed_budget=f"{SPEED_BUDGET_S:g}", **common))

    run_tpl, task_tpl = env.get_template("run.html.j2"), env.get_template("task.html.j2")
    n_pages = n_failures = n_results = 0
    loaded: dict[tuple[str, str, int | None], Any] = {}  # each suite once per build
    for run in board.runs:
        folder = site / "runs" / run.slug
        folder.mkdir(parents=True)
        rows = _task_rows(run, options.all_tasks)
        n_results += len(rows)
        n_failures += sum(bool(r.failure) for r in rows)
        pages = [r for r in rows if r.page]
        tasks: dict[str, Task] = {}
        warning = ""
        if pages:
            tasks, warning = load_run_tasks(run.record, loaded)
        _write(folder / "index.html", run_tpl.render(
            root="../../", run=run, rows=rows, series=series[run.submission],
            metrics=list(run.summary.overall),
            warning=warning, all_tasks=options.all_tasks, **common))
        for i, row in enumerate(pages):
            r = row.result
            task = tasks.get(r.task_id)
            code, code_note = _read_code(board, r)
            prev_page, next_page = _neighbours(pages, i, failures_only=False)
            prev_fail, next_fail = _neighbours(pages, i, failures_only=True)
            assert row.page is not None
            _write(folder / row.page, task_tpl.render(
                root="../../", run=run, row=row, r=r, task=task, view=diff_view(task, r),
                series=series[run.submission],
                frame=images(r.frame), reference_frame=images(r.reference_frame),
                code=code, code_note=code_note, warning=warning, prev_page=prev_page,
                next_page=next_page, prev_fail=prev_fail, next_fail=next_fail,
                position=i + 1, n_pages=len(pages), all_tasks=options.all_tasks, **common))
            n_pages += 1
    return BuildReport(site, len(board.runs), n_results, n_failures, n_pages,
                       sum(v is not None for v in images.done.values()), 0.0)
