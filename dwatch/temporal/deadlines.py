"""Statutory deadlines (条例第四十九条), read from the rule catalogue's TIME-01 so there is one source."""

from __future__ import annotations

from datetime import date
from functools import cache

from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.reports.checks.timeliness import DeadlineParams, Statutory


@cache
def _statutory() -> tuple[Statutory, ...]:
    rule = next(r for r in CATALOGUE.rules if r.id == "TIME-01")
    check = next(c for c in rule.checks if c.kind == "deadline")
    return DeadlineParams.model_validate(check.params).statutory


def month_day(kind: str, year: int) -> tuple[int, int]:
    """(month, day) of the following year by which an agency of `kind` publishes its `year` report."""
    rule = next(s for s in _statutory() if year >= s.from_year)
    month, day = (int(part) for part in getattr(rule, kind).split("-"))
    return month, day


def statutory_deadline(kind: str, year: int) -> date:
    return date(year + 1, *month_day(kind, year))
