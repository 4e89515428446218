"""Geometry of the matrix's two small charts, drawn by the template as inline SVG (no JavaScript).

1. Publication dates against the deadline: agencies per week before/after their own deadline (the
   statutory one differs for departments and governments), stacked by status; the deadline is x=0.
2. Status over the years: one 100 % bar per report year, a segment per status.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel

from dwatch.web.labels import STATUS_ORDER, STATUS_ZH

WEEKS = 8  # weeks shown either side of the deadline; earlier and later dates fall into the edge bars
WIDTH, HEIGHT = 640, 150
_LEFT, _BOTTOM, _TOP = 28, 20, 8


class Bar(BaseModel):
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str


class Tick(BaseModel):
    x: float
    label: str


class TimelinessChart(BaseModel):
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar]
    ticks: list[Tick]
    deadline_x: float
    baseline_y: float
    max_count: int
    published: int
    unpublished: int


def _week_label(week: int) -> str:
    if week == 0:
        return "截止后第1周"
    if week <= -WEEKS:
        return f"截止前{WEEKS}周及更早"
    if week >= WEEKS:
        return f"截止后{WEEKS + 1}周及更晚"
    return f"截止前第{-week}周" if week < 0 else f"截止后第{week + 1}周"


@dataclass(frozen=True, slots=True)
class Published:
    """`count` agencies of `status` that published `days` after their deadline (negative: before)."""

    days: int
    status: str
    count: int


def timeliness(published_counts: list[Published], total: int) -> TimelinessChart:
    """The chart of the `total` agencies selected, of which `published_counts` have a publication date."""
    bins: dict[int, Counter[str]] = {w: Counter() for w in range(-WEEKS, WEEKS + 1)}
    published = 0
    for entry in published_counts:
        published += entry.count
        # Week 0 starts the day after the deadline: a report on the deadline day is on time (week -1).
        week = entry.days - 1
        bins[max(-WEEKS, min(WEEKS, week // 7))][entry.status] += entry.count
    max_count = max((sum(c.values()) for c in bins.values()), default=0) or 1
    plot_w, plot_h = WIDTH - _LEFT - 4, HEIGHT - _BOTTOM - _TOP
    step = plot_w / len(bins)
    bars, ticks = [], []
    for i, (week, counts) in enumerate(sorted(bins.items())):
        x, y = _LEFT + i * step, float(HEIGHT - _BOTTOM)
        for status in STATUS_ORDER:
            if counts[status]:
                h = counts[status] / max_count * plot_h
                y -= h
                title = f"{_week_label(week)}：{STATUS_ZH[status]} {counts[status]} 个"
                bars.append(Bar(x=x + 1, y=y, width=step - 2, height=h, status=status, title=title))
        if week % 2 == 0:
            ticks.append(Tick(x=x + step / 2, label=f"{week:+d}周" if week else "截止"))
    return TimelinessChart(
        bars=bars,
        ticks=ticks,
        deadline_x=_LEFT + WEEKS * step,
        baseline_y=HEIGHT - _BOTTOM,
        max_count=max_count,
        published=published,
        unpublished=total - published,
    )


class TrendBar(BaseModel):
    year: int
    y: float
    total: int
    segments: list[Bar]


def trend(by_year: dict[int, dict[str, int]], years: int = 6) -> list[TrendBar]:
    bars = []
    width = WIDTH - 120
    for i, (year, counts) in enumerate(sorted(by_year.items())[-years:]):
        total = sum(counts.values()) or 1
        x, segments = 48.0, []
        for status in STATUS_ORDER:
            if counts.get(status):
                w = counts[status] / total * width
                title = f"{year} 年度：{STATUS_ZH[status]} {counts[status]} 个（{counts[status] / total:.0%}）"
                segments.append(Bar(x=x, y=i * 22 + 4, width=w, height=16, status=status, title=title))
                x += w
        bars.append(TrendBar(year=year, y=i * 22 + 4, total=sum(counts.values()), segments=segments))
    return bars
