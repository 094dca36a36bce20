"""Chart geometry for inline SVG: grouped bars with 95% whiskers, curves with bands.

Only numbers are computed here (positions in the SVG's user units, ticks,
series colour indices); ``templates/_plots.html.j2`` turns them into SVG
elements, so every label is escaped by the template engine and colours come
from the stylesheet (``.s0`` … ``.s7``), which follows the light/dark scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchmark.scoring import MetricSummary

__all__ = ["N_COLOURS", "Bar", "BarChart", "Curve", "CurveChart", "Label", "Series",
           "bar_chart", "curve_chart"]

N_COLOURS = 8
WIDTH, HEIGHT = 720.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 12.0, 12.0, 44.0


@dataclass(frozen=True)
class Series:
    """A submission in a chart: its name and colour class index."""

    label: str
    colour: int

    @property
    def cls(self) -> str:
        return f"s{self.colour % N_COLOURS}"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: Series
    title: str
    whisker: tuple[float, float] | None = None  # (y of hi, y of lo)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class _Frame:
    width: float = WIDTH
    height: float = HEIGHT
    x0: float = LEFT
    x1: float = WIDTH - RIGHT
    y0: float = TOP  # top of the plot area
    y1: float = HEIGHT - BOTTOM  # bottom (value 0)
    y_max: float = 1.0
    yticks: list[Label] = field(default_factory=list)
    xlabels: list[Label] = field(default_factory=list)
    legend: list[Series] = field(default_factory=list)
    y_label: str = ""

    def y(self, v: float) -> float:
        v = min(max(v, 0.0), self.y_max)
        return round(self.y1 - (self.y1 - self.y0) * v / self.y_max, 2)

    def ticks(self, n: int = 5) -> None:
        for i in range(n + 1):
            v = self.y_max * i / n
            self.yticks.append(Label(self.x0, self.y(v), f"{v:.2g}"))


@dataclass
class BarChart(_Frame):
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Curve:
    series: Series
    points: str  # "x,y x,y …" for a polyline
    band: str  # polygon points: the upper bounds left to right, the lower back
    dots: list[Bar] = field(default_factory=list)  # each point, with its whisker and title


@dataclass
class CurveChart(_Frame):
    curves: list[Curve] = field(default_factory=list)


def _fmt(e: MetricSummary) -> str:
    if e.mean is None:
        return "not measured"
    ci = f" [{e.lo:.3f}, {e.hi:.3f}]" if e.lo is not None and e.hi is not None else ""
    return f"{e.mean:.3f}{ci}"


def bar_chart(groups: Sequence[str], series: Sequence[Series],
              values: Mapping[tuple[str, str], MetricSummary | None], y_max: float = 1.0,
              y_label: str = "", whiskers: bool = True) -> BarChart:
    """Bars grouped by ``groups`` (x axis), one per series; ``values[(group, series)]``."""
    chart = BarChart(y_max=y_max, y_label=y_label, legend=list(series))
    chart.ticks()
    if not groups or not series:
        return chart
    slot = (chart.x1 - chart.x0) / len(groups)
    bar_w = slot * 0.8 / len(series)
    for gi, g in enumerate(groups):
        left = chart.x0 + gi * slot + slot * 0.1
        chart.xlabels.append(Label(round(chart.x0 + (gi + 0.5) * slot, 2), chart.y1 + 16, g))
        for si, s in enumerate(series):
            e = values.get((g, s.label))
            if e is None or e.mean is None:
                continue
            top = chart.y(e.mean)
            whisker = None
            if whiskers and e.lo is not None and e.hi is not None:
                whisker = (chart.y(e.hi), chart.y(e.lo))
            chart.bars.append(Bar(round(left + si * bar_w, 2), top, round(bar_w * 0.92, 2),
                                  round(chart.y1 - top, 2), s, f"{s.label} · {g}: {_fmt(e)}",
                                  whisker))
    return chart


def curve_chart(xs: Sequence[float], series: Sequence[Series],
                values: Mapping[tuple[float, str], MetricSummary | None],
                y_label: str = "", x_label: str = "") -> CurveChart:
    """One curve per series over ``xs`` (equally spaced), with a shaded 95% band."""
    chart = CurveChart(y_label=y_label, legend=list(series))
    chart.ticks()
    if not xs:
        return chart
    lo_x, hi_x = min(xs), max(xs)
    span = (hi_x - lo_x) or 1.0

    def px(x: float) -> float:
        return round(chart.x0 + 10 + (chart.x1 - chart.x0 - 20) * (x - lo_x) / span, 2)

    for x in xs:
        chart.xlabels.append(Label(px(x), chart.y1 + 16, f"{x:g}"))
    if x_label:
        chart.xlabels.append(Label(round((chart.x0 + chart.x1) / 2, 2), chart.y1 + 34, x_label))
    for s in series:
        pts, upper, lower, dots = [], [], [], []
        for x in xs:
            e = values.get((x, s.label))
            if e is None or e.mean is None:
                continue
            y = chart.y(e.mean)
            pts.append(f"{px(x)},{y}")
            lo = e.lo if e.lo is not None else e.mean
            hi = e.hi if e.hi is not None else e.mean
            upper.append(f"{px(x)},{chart.y(hi)}")
            lower.append(f"{px(x)},{chart.y(lo)}")
            dots.append(Bar(px(x), y, 0.0, 0.0, s, f"{s.label} @ {x:g}: {_fmt(e)}",
                            (chart.y(hi), chart.y(lo))))
        if pts:
            chart.curves.append(Curve(s, " ".join(pts), " ".join(upper + lower[::-1]), dots))
    return chart
