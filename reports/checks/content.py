"""Sections 五 and 六: concrete problems, measures and rectification; the items 六 is expected to report."""

from __future__ import annotations

from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.model import Location


class ProblemsParams(Params):
    min_chars: int
    problems: tuple[str, ...]
    measures: tuple[str, ...]
    rectification: tuple[str, ...]


@kind("problems_section", ProblemsParams, ("empty", "no_problems", "no_measures", "no_rectification"))
def problems_section(run: RuleRun, p: ProblemsParams) -> None:
    section = run.subject.report.section("S5")
    if section is None or not section.found:  # a missing heading is STR-01's
        return
    text = run.subject.compact("S5").text
    location = Location(section="S5")
    if len(text) < p.min_chars:
        run.emit("empty", location=location, evidence=text, length=len(text))
        return
    for case, words in (
        ("no_problems", p.problems),
        ("no_measures", p.measures),
        ("no_rectification", p.rectification),
    ):
        if not any(w in text for w in words):
            run.emit(case, location=location, evidence=text[:80])


class OtherMattersParams(Params):
    empty_max_chars: int
    fee: tuple[str, ...]
    items: dict[str, tuple[str, ...]]


@kind("other_matters", OtherMattersParams, ("empty", "no_fee", "missing_items"))
def other_matters(run: RuleRun, p: OtherMattersParams) -> None:
    section = run.subject.report.section("S6")
    if section is None or not section.found:
        return
    text = run.subject.compact("S6").text
    location = Location(section="S6")
    has_fee = any(w in text for w in p.fee)
    if len(text) <= p.empty_max_chars and not has_fee:
        run.emit("empty", location=location, evidence=text or "（空）", text=text or "（空）")
        return
    if not has_fee:
        run.emit("no_fee", location=location, evidence=text[:80])
    missing = [name for name, words in p.items.items() if not any(w in text for w in words)]
    if missing:
        run.emit("missing_items", location=location, evidence=text[:80], items=missing)
