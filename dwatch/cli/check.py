"""`dwatch check FILE`: the compliance findings on a report, like a linter (exit 1 when there are errors)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dwatch.cli import app
from dwatch.cli.common import SEVERITY_STYLE, console, fail, load_report, print_finding
from dwatch.labels import SEVERITY_ZH
from dwatch.reports.checks import CATALOGUE, CheckContext, Finding, Severity, run_checks
from dwatch.reports.checks.engine import agency_kind_of
from dwatch.reports.checks.sarif import to_sarif
from dwatch.reports.compliance import KIND_ZH, ResolvedKind
from dwatch.reports.model import AnnualReport
from dwatch.untrusted import for_terminal


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class AgencyKindOption(StrEnum):
    DEPARTMENT = "department"
    GOVERNMENT = "government"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} 应为 YYYY-MM-DD 格式的日期，实际为 {value}") from exc


@app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="报告文件：PDF、DOCX、HTML 或纯文本", show_default=False)],
    previous: Annotated[Path | None, typer.Option("--previous", help="同一机关上一年度的报告")] = None,
    published: Annotated[str | None, typer.Option("--published", help="发布日期，YYYY-MM-DD")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="当地现行的发布截止日期，YYYY-MM-DD")] = None,
    agency_kind: Annotated[
        AgencyKindOption | None,
        typer.Option(
            "--agency-kind",
            help="机关类别：department 政府部门、government 人民政府；默认按机关名称推定（此时逾期只作警告）",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="输出格式：text 文本、json 或 sarif")
    ] = OutputFormat.TEXT,
) -> None:
    """按规则目录检查年度报告；发现错误时退出状态为 1。"""
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


_KIND_SOURCE_ZH = {
    "given": "指定",
    "inferred": "按机关名称推定，可用 --agency-kind 指定；逾期不计为错误",
    "assumed": "名称不足以判断，按政府部门假定，可用 --agency-kind 指定；逾期不计为错误",
}


def _print_text(report: AnnualReport, findings: list[Finding], kind: ResolvedKind) -> None:
    title = for_terminal(report.title or report.source.name)
    console.print(f"[bold]{title}[/]　规则目录 {CATALOGUE.version}", highlight=False, soft_wrap=True)
    console.print(f"机关类别：{KIND_ZH[kind.kind]}（{_KIND_SOURCE_ZH[kind.source]}）", highlight=False, soft_wrap=True)
    for severity in Severity:
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        console.print(f"\n[{SEVERITY_STYLE[severity]}]{SEVERITY_ZH[severity]}（{len(group)}）[/]", highlight=False)
        for f in group:
            print_finding(f.severity, f.rule_id, f.message_zh, f.location, f.evidence)
    counts = _counts(findings)
    console.print(
        f"\n共 {counts['error']} 个错误，{counts['warning']} 个警告，{counts['info']} 个提示", highlight=False
    )
