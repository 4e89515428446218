"""From a format parser's `Layout` to an `AnnualReport`: title, sections, tables, format, diagnostics."""

from __future__ import annotations

from collections.abc import Callable

from dwatch.reports.assemble.cleanup import clean
from dwatch.reports.assemble.sections import build_sections, find_sections
from dwatch.reports.assemble.tables import read_table2, read_table3, read_table4
from dwatch.reports.assemble.title import choose_title, title_year_and_agency
from dwatch.reports.labels import normalize
from dwatch.reports.layout import Layout, Line
from dwatch.reports.model import AnnualReport, Diagnostic, DiagnosticLevel, SourceInfo, Table
from dwatch.reports.template import SECTIONS, SIGNATURES_2019, SIGNATURES_PRE2019, ReportFormat, TableId

# A table region is found by its section heading or, failing that, by a phrase only that table has.
_TABLE_ANCHORS = {
    "table2": normalize("第二十条第（一）项"),
    "table3": normalize("本列数据的勾稽关系"),
    "table4": normalize("未经复议直接起诉"),
}
_TABLE_SECTION = {"table2": "S2", "table3": "S3", "table4": "S4"}


def assemble(layout: Layout, source: SourceInfo) -> AnnualReport:
    lines = clean(layout)
    diagnostics = list(layout.diagnostics)
    title, title_source, body_start = choose_title(lines, layout.title_hints)
    year, agency = title_year_and_agency(title)
    starts, headings = find_sections(lines, body_start)
    sections = build_sections(lines, starts)
    first_section = starts[0].index if starts else len(lines)
    preamble = "\n".join(ln.text for ln in lines[body_start:first_section] if not ln.in_table)

    heading_index = {s.spec.section_id: s.index for s in starts}
    readers: dict[TableId, Callable[[list[Line], list[Diagnostic]], Table]] = {
        "table2": read_table2,
        "table3": read_table3,
        "table4": read_table4,
    }
    tables: dict[TableId, Table] = {}
    for table_id, reader in readers.items():
        region = _region(lines, table_id, heading_index)
        tables[table_id] = reader(region, diagnostics) if region else Table(table_id=table_id)

    report = AnnualReport(
        source=source,
        title=title,
        title_source=title_source,
        agency=agency,
        year=year,
        preamble=preamble,
        headings=headings,
        sections=sections,
        table2=tables["table2"],
        table3=tables["table3"],
        table4=tables["table4"],
        dates=layout.dates,
        artifacts=layout.artifacts,
        diagnostics=diagnostics,
    )
    report.format, report.format_evidence = _detect_format(lines, report)
    _diagnose_structure(report, lines, layout.image_count)
    return report


def _region(lines: list[Line], table_id: str, heading_index: dict[str, int]) -> list[Line]:
    """The lines of a table's region: from its section heading (or anchor) to the next heading."""
    section_id = _TABLE_SECTION[table_id]
    start = heading_index.get(section_id)
    if start is None:
        anchor = _TABLE_ANCHORS[table_id]
        start = next((i for i, ln in enumerate(lines) if anchor in normalize(ln.text)), None)
        if start is None:
            return []
        # The anchor sits inside the table; the table starts at the first table line before it.
        while start > 0 and lines[start - 1].in_table:
            start -= 1
        start -= 1
    later = [i for i in heading_index.values() if i > start]
    end = min(later) if later else len(lines)
    return lines[start + 1 : end]


def _detect_format(lines: list[Line], report: AnnualReport) -> tuple[ReportFormat, list[str]]:
    text = normalize("".join(ln.text for ln in lines))
    old = [s for s in SIGNATURES_2019 if normalize(s) in text]
    ancient = [s for s in SIGNATURES_PRE2019 if normalize(s) in text]
    evidence = old + ancient
    if report.table3.layout is ReportFormat.F2019:
        evidence.append("表三“（六）其他处理”为单行（2019年试行格式）")
    if ancient and not report.table2.found:
        return ReportFormat.PRE2019, evidence
    if report.table2.layout is ReportFormat.F2019:
        return ReportFormat.F2019, evidence
    if report.table2.found or report.table3.found or report.table4.found:
        return ReportFormat.F2021, evidence
    return ReportFormat.UNKNOWN, evidence


def _diagnose_structure(report: AnnualReport, lines: list[Line], image_count: int) -> None:
    if not lines:
        report.diagnostics.append(
            Diagnostic(code="PARSE-NO-TEXT", level=DiagnosticLevel.ERROR, message="no text could be extracted")
        )
        return
    if not any(s.found for s in report.sections):
        report.diagnostics.append(
            Diagnostic(
                code="PARSE-NO-SECTIONS",
                level=DiagnosticLevel.WARNING,
                message="none of the six template headings was found",
            )
        )
    for table_id, section_id in _TABLE_SECTION.items():
        section = report.section(section_id)
        if section is not None and section.found and not report.table(table_id).found:
            spec = next(s for s in SECTIONS if s.section_id == section_id)
            hint = f"; {image_count} image(s) in the document: tables may be images" if image_count else ""
            report.diagnostics.append(
                Diagnostic(
                    code="PARSE-TABLE-MISSING",
                    level=DiagnosticLevel.WARNING,
                    message=f"heading “{spec.heading}” present but its table has no readable cells{hint}",
                    location=section.location,
                )
            )
