"""Document structure: headings and their numbering, title, preamble, format, tables present, artifacts."""

from __future__ import annotations

import re
from collections import defaultdict

from dwatch.reports.checks.cells import TABLE_SECTION, table_names
from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.checks.text import Compact
from dwatch.reports.labels import MatchQuality, NumberingStyle, chinese_ordinal
from dwatch.reports.model import Artifact, Heading, Location
from dwatch.reports.template import SECTION_BY_ID, SECTIONS, SIGNATURES_2019, ReportFormat


class NoParams(Params):
    pass


@kind("section_headings", NoParams, ("missing", "out_of_order", "variant"))
def section_headings(run: RuleRun, _: NoParams) -> None:
    report = run.subject.report
    position = {h.section_id: i for i, h in enumerate(report.headings) if h.section_id}
    latest: tuple[int, str] | None = None  # (position, heading) of the furthest heading seen so far
    for spec in SECTIONS:
        section = report.section(spec.section_id)
        location = Location(section=spec.section_id)
        if section is None or not section.found:
            run.emit("missing", location=location, key=spec.section_id, heading=spec.heading)
            continue
        if section.heading.quality in (MatchQuality.VARIANT, MatchQuality.FUZZY):
            found = section.heading.found or ""
            run.emit("variant", location=location, evidence=found, heading=spec.heading, found=found)
        where = position.get(spec.section_id)
        if where is None:
            continue
        if latest is not None and where < latest[0]:
            run.emit("out_of_order", location=location, heading=spec.heading, previous=latest[1])
        elif latest is None or where > latest[0]:
            latest = (where, spec.heading)


def _excerpt(heading: Heading, limit: int = 24) -> str:
    return heading.text if len(heading.text) <= limit else heading.text[:limit] + "…"


@kind("heading_numbering", NoParams, ("top_level", "sub_item_reuse"))
def heading_numbering(run: RuleRun, _: NoParams) -> None:
    headings = run.subject.report.headings
    for heading in headings:
        if heading.section_id is None:
            continue
        spec = SECTION_BY_ID[heading.section_id]
        if heading.style is not NumberingStyle.CHINESE or heading.ordinal != chinese_ordinal(spec.number):
            run.emit(
                "top_level",
                location=Location(section=spec.section_id, page=heading.location.page, line=heading.location.line),
                evidence=heading.text,
                expected=f"{spec.number}、",
                found=_excerpt(heading),
            )
    # Sub-items of 总体情况 numbered 一、二、… are what split reports at the wrong "二、" (spec §7.1 item 5).
    inside, reused = False, []
    for heading in headings:
        if heading.section_id is not None:
            inside = heading.section_id == "S1"
        elif inside and heading.style is NumberingStyle.CHINESE:
            reused.append(heading)
    if reused:
        run.emit(
            "sub_item_reuse",
            location=Location(section="S1", page=reused[0].location.page, line=reused[0].location.line),
            evidence="；".join(_excerpt(h, 16) for h in reused),
            found=_excerpt(reused[0], 12),
            count=len(reused),
        )


class PatternParams(Params):
    pattern: str


@kind("title_pattern", PatternParams, ("missing_title", "variant"))
def title_pattern(run: RuleRun, p: PatternParams) -> None:
    title = run.subject.report.title
    location = Location(section=None)
    if not title:
        run.emit("missing_title", location=location)
        return
    compact = Compact(title).text
    if not re.match(p.pattern, compact):
        run.emit("variant", location=location, evidence=title, found=compact)


@kind("statistical_period", PatternParams, ("missing", "year_mismatch"))
def statistical_period(run: RuleRun, p: PatternParams) -> None:
    year = run.subject.year
    preamble = Compact(run.subject.report.preamble)
    match = re.search(p.pattern, preamble.text)
    if match is None:
        run.emit("missing", location=Location(), year=year or "YYYY")
        return
    found = {int(y) for y in match.group("start", "end") if y}
    if year is not None and found != {year}:
        run.emit(
            "year_mismatch",
            location=Location(),
            evidence=match.group(),
            span=preamble.span(*match.span()),
            year=year,
            found="、".join(str(y) for y in sorted(found)),
        )


class OldFormatParams(Params):
    current_from: int


@kind("old_format", OldFormatParams, ("trial_2019", "pre_2019"))
def old_format(run: RuleRun, p: OldFormatParams) -> None:
    report, year = run.subject.report, run.subject.year
    if year is None:
        return
    signatures = report.format_evidence or [report.format.value]
    if report.format is ReportFormat.PRE2019:
        run.emit("pre_2019", location=Location(), evidence="；".join(signatures), year=year, signatures=signatures)
        return
    trial_tables = [t for t in (report.table2, report.table3) if t.found and t.layout is ReportFormat.F2019]
    trial_words = [s for s in report.format_evidence if s in SIGNATURES_2019]
    if year >= p.current_from and (report.format is ReportFormat.F2019 or trial_tables or trial_words):
        table = trial_tables[-1].table_id if trial_tables else None
        location = Location(section=TABLE_SECTION[table] if table else None, table=table)
        run.emit("trial_2019", location=location, evidence="；".join(signatures), year=year, signatures=signatures)


@kind("image_tables", NoParams, ("default",))
def image_tables(run: RuleRun, _: NoParams) -> None:
    report = run.subject.report
    for table_id, section_id in TABLE_SECTION.items():
        section = report.section(section_id)
        if section is not None and section.found and not report.table(table_id).found:
            heading = SECTION_BY_ID[section_id].heading
            run.emit(
                "default",
                location=Location(section=section_id, table=table_id),
                evidence=section.heading.found or heading,
                key=table_id,
                heading=heading,
                **table_names(table_id),
            )


@kind("artifacts", NoParams, ("bookmark", "space_padding", "broken_label", "page_furniture"))
def artifacts(run: RuleRun, _: NoParams) -> None:
    by_kind: dict[str, list[Artifact]] = defaultdict(list)
    for artifact in run.subject.report.artifacts:
        by_kind[artifact.kind].append(artifact)
    for artifact_kind, found in by_kind.items():
        first = found[0]
        example = first.raw.replace("\n", "↵").strip() or repr(first.raw)
        run.emit(
            artifact_kind.replace("-", "_"),
            location=Location(section=first.location.section, page=first.location.page, line=first.location.line),
            evidence=example,
            key=artifact_kind,
            count=len(found),
            example=example,
        )
