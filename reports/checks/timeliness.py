"""Publication against the deadline (条例第四十九条, or a configured local deadline)."""

from __future__ import annotations

from datetime import date

from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.model import DateEvidence, DateSource, Location
from dwatch.reports.publication import publication_date

_SOURCE_ZH = {
    "context": "指定",
    "meta": "页面元数据",
    "visible": "页面发布日期",
    "written": "成文日期",
    "url": "网址日期",
}


class Statutory(Params):
    from_year: int
    department: str  # "MM-DD" of the year after the report year
    government: str


class DeadlineParams(Params):
    prefer: tuple[DateSource, ...]
    statutory: tuple[Statutory, ...]  # newest first


def _deadline(run: RuleRun, p: DeadlineParams, year: int) -> date | None:
    if run.subject.context.deadline is not None:
        return run.subject.context.deadline
    rule = next((s for s in p.statutory if year >= s.from_year), None)
    if rule is None:
        return None
    month, day = map(int, getattr(rule, run.subject.agency_kind).split("-"))
    return date(year + 1, month, day)


def _published(run: RuleRun, prefer: tuple[DateSource, ...]) -> tuple[date, str] | None:
    context = run.subject.context
    if context.published is not None:
        return context.published, context.published_source.value if context.published_source else "context"
    found = publication_date(run.subject.report.dates, prefer)
    return (found.value, found.source.value) if found else None


@kind("deadline", DeadlineParams, ("late", "no_date"))
def deadline(run: RuleRun, p: DeadlineParams) -> None:
    year = run.subject.year
    due = _deadline(run, p, year) if year is not None else None
    if due is None:
        return
    published = _published(run, p.prefer)
    if published is None:
        run.emit("no_date", location=Location(), deadline=due.isoformat())
        return
    when, source = published
    if when > due:
        run.emit(
            "late",
            location=Location(),
            evidence=f"{source}: {when.isoformat()}",
            published=when.isoformat(),
            source=source,
            source_zh=_SOURCE_ZH[source],
            deadline=due.isoformat(),
            days_late=(when - due).days,
        )


class AgreementParams(Params):
    max_days: int


_PUBLICATION_SOURCES = (DateSource.META, DateSource.VISIBLE, DateSource.WRITTEN, DateSource.URL)


@kind("date_agreement", AgreementParams, ("default",))
def date_agreement(run: RuleRun, p: AgreementParams) -> None:
    dates: list[DateEvidence] = [d for d in run.subject.report.dates if d.source in _PUBLICATION_SOURCES]
    if len(dates) < 2:
        return
    spread = (max(d.value for d in dates) - min(d.value for d in dates)).days
    if spread > p.max_days:
        shown = [f"{d.value.isoformat()}（{d.source.value}）" for d in dates]
        run.emit("default", location=Location(), evidence="；".join(d.raw for d in dates), spread=spread, dates=shown)
