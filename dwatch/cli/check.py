"""`dwatch check FILE`: the compliance findings on a report, like a linter (exit 1 when there are errors)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dwatch.cli import app
from dwatch.cli.common import console, fail, load_report
from dwatch.reports.checks import CATALOGUE, CheckContext, Finding, Severity, run_checks
from dwatch.reports.checks.engine import agency_kind_of
from dwatch.reports.checks.sarif import to_sarif
from dwatch.reports.compliance import KIND_ZH, ResolvedKind
from dwatch.reports.model import AnnualReport


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class AgencyKindOption(StrEnum):
    DEPARTMENT = "department"
    GOVERNMENT = "government"


_HEADING = {Severity.ERROR: ("错误", "bold red"), Severity.WARNING: ("警告", "yellow"), Severity.INFO: ("提示", "cyan")}


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} 应为 YYYY-MM-DD 格式的日期，实际为 {value}") from exc


@app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="report file: PDF, DOCX, HTML or text", show_default=False)],
    previous: Annotated[Path | None, typer.Option("--previous", help="the same agency's previous-year report")] = None,
    published: Annotated[str | None, typer.Option("--published", help="publication date, YYYY-MM-DD")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="a local deadline in force, YYYY-MM-DD")] = None,
    agency_kind: Annotated[
        AgencyKindOption | None,
        typer.Option(
            "--agency-kind", help="the agency's kind; default: inferred from its name (deadlines then only warn)"
        ),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text, json or sarif")] = OutputFormat.TEXT,
) -> None:
    """Check an annual report against the rule catalogue; exit status 1 when there are errors."""
    context_fields: dict[str, object] = {"published": _date(published, "--published")}
    context_fields["deadline"] = _date(deadline, "--deadline")
    if agency_kind is not None:
        context_fields["agency_kind"] = agency_kind.value
    report = load_report(file)
    last_year = load_report(previous) if previous is not None else None
    context = CheckContext.model_validate(context_fields)
    findings = run_checks(report, last_year, context)
    kind = agency_kind_of(report, context)
    if output is OutputFormat.JSON:
        console.out(json.dumps(_as_json(report, findings, kind), ensure_ascii=False, indent=2), highlight=False)
    elif output is OutputFormat.SARIF:
        log = to_sarif(findings, file.as_posix(), agency_kind=kind)
        console.out(json.dumps(log, ensure_ascii=False, indent=2), highlight=False)
    else:
        _print_text(report, findings, kind)
    if any(f.severity is Severity.ERROR for f in findings):
        raise typer.Exit(1)


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {s.value: sum(f.severity is s for f in findings) for s in Severity}


def _as_json(report: AnnualReport, findings: list[Finding], kind: ResolvedKind) -> dict[str, object]:
    return {
        "catalogue_version": CATALOGUE.version,
        "document": report.source.name,
        "sha256": report.source.sha256,
        "title": report.title,
        "title_source": report.title_source,
        "agency": report.agency,
        "agency_kind": kind.kind,
        "agency_kind_source": kind.source,
        "year": report.year,
        "summary": _counts(findings),
        "findings": [f.model_dump(mode="json") for f in findings],
    }


def _where(finding: Finding) -> str:
    loc = finding.location
    parts = [loc.section, loc.table, loc.row, loc.column]
    place = " › ".join(p for p in parts if p)
    position = f"第{loc.page}页" if loc.page else f"第{loc.line}行" if loc.line else ""
    return "，".join(p for p in (place, position) if p)


_KIND_SOURCE_ZH = {
    "given": "指定",
    "inferred": "按机关名称推定，可用 --agency-kind 指定；逾期不计为错误",
    "assumed": "名称不足以判断，按政府部门假定，可用 --agency-kind 指定；逾期不计为错误",
}


def _print_text(report: AnnualReport, findings: list[Finding], kind: ResolvedKind) -> None:
    console.print(f"[bold]{report.title or report.source.name}[/]　规则目录 {CATALOGUE.version}", highlight=False)
    console.print(f"机关类别：{KIND_ZH[kind.kind]}（{_KIND_SOURCE_ZH[kind.source]}）", highlight=False)
    for severity in Severity:
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        label, style = _HEADING[severity]
        console.print(f"\n[{style}]{label}（{len(group)}）[/]", highlight=False)
        for finding in group:
            text = escape(finding.message_zh.removeprefix(f"{finding.rule_id} "))
            console.print(f"  [{style}]{finding.rule_id}[/] {text}", highlight=False)
            where = _where(finding)
            if where:
                console.print(f"      [dim]位置：{escape(where)}[/]", highlight=False)
            if finding.evidence:
                console.print(f"      [dim]原文：{escape(finding.evidence[:100])}[/]", highlight=False)
    counts = _counts(findings)
    console.print(
        f"\n共 {counts['error']} 个错误，{counts['warning']} 个警告，{counts['info']} 个提示", highlight=False
    )
