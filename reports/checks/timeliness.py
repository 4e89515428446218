"""Publication against the deadline (条例第四十九条, or a configured local deadline).

The statutory deadline depends on the agency's kind (department 01-31, government 03-31). When the kind
is not given (no registry entry, no --agency-kind) it is inferred from the name or, failing that, the
department assumed; a late report is then at most a warning, however late, that states the kind applied
and how it was known: neither the kind nor a local deadline (which may be later) is known for sure.
A given kind or a local deadline makes lateness an error.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.compliance import KIND_ZH, StatutoryDeadlines, report_deadline
from dwatch.reports.model import DateEvidence, DateSource, Location
from dwatch.reports.publication import publication_date

_SOURCE_ZH = {
    "context": "指定",
    "meta": "页面元数据",
    "visible": "页面发布日期",
    "written": "成文日期",
    "url": "网址日期",
}
# The case of a late report by how certain its deadline is (compliance.KindSource).
_LATE_CASE = {"given": "late", "inferred": "late_inferred_kind", "assumed": "late_assumed_kind"}


class DeadlineParams(Params):
    prefer: tuple[DateSource, ...]
    statutory: tuple[StatutoryDeadlines, ...]  # newest first


def _published(run: RuleRun, prefer: tuple[DateSource, ...]) -> tuple[date, str] | None:
    context = run.subject.context
    if context.published is not None:
        return context.published, context.published_source.value if context.published_source else "context"
    found = publication_date(run.subject.report.dates, prefer)
    return (found.value, found.source.value) if found else None


@kind("deadline", DeadlineParams, ("late", "late_inferred_kind", "late_assumed_kind", "no_date"))
def deadline(run: RuleRun, p: DeadlineParams) -> None:
    year = run.subject.year
    if year is None:
        return
    due = run.subject.context.deadline or report_deadline(year, run.subject.agency_kind, statutory=p.statutory)
    if due is None:
        return
    published = _published(run, p.prefer)
    if published is None:
        run.emit("no_date", location=Location(), deadline=due.isoformat())
        return
    when, source = published
    if when > due:
        subject = run.subject
        # A local deadline does not depend on the kind; a statutory one is only as sure as the kind.
        kind_source = "given" if subject.context.deadline is not None else subject.agency_kind_source
        assumption: dict[str, Any] = {}  # the message arguments stating the assumed kind
        if kind_source != "given":
            assumption = {"agency": subject.agency or "", "kind": subject.agency_kind, "kind_source": kind_source}
            assumption["kind_zh"] = KIND_ZH[subject.agency_kind]
        run.emit(
            _LATE_CASE[kind_source],
            location=Location(),
            evidence=f"{source}: {when.isoformat()}",
            published=when.isoformat(),
            source=source,
            source_zh=_SOURCE_ZH[source],
            deadline=due.isoformat(),
            days_late=(when - due).days,
            **assumption,
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
