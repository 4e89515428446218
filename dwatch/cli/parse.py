"""`dwatch parse FILE`: the structured report as a readable table, or as JSON in the documented schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console, fail, load_report
from dwatch.reports.labels import MatchQuality
from dwatch.reports.model import AnnualReport, Cell, DiagnosticLevel, Table
from dwatch.reports.numbers import CellKind
from dwatch.reports.template import SECTION_BY_ID

_KIND_STYLE = {
    CellKind.APPROX: "bold yellow",
    CellKind.TEXT: "bold red",
    CellKind.DASH: "yellow",
    CellKind.BLANK: "dim",
}
_LEVEL_STYLE = {DiagnosticLevel.ERROR: "red", DiagnosticLevel.WARNING: "yellow", DiagnosticLevel.INFO: "cyan"}


@app.command("parse")
def parse_command(
    file: Annotated[
        Path | None, typer.Argument(help="report file: PDF, DOCX, HTML or text", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    json_schema: Annotated[bool, typer.Option("--json-schema", help="print the JSON schema of the output")] = False,
) -> None:
    """Parse an annual report and print its sections, tables and diagnostics."""
    if json_schema:
        console.out(json.dumps(AnnualReport.model_json_schema(), ensure_ascii=False, indent=2), highlight=False)
        return
    if file is None:
        raise fail("请指定要解析的文件（FILE）")
    report = load_report(file)
    if as_json:
        console.out(report.model_dump_json(indent=2), highlight=False)
        return
    print_report(report)


def _cell_text(cell: Cell) -> str:
    text = cell.raw if cell.kind is not CellKind.BLANK else "·"
    style = _KIND_STYLE.get(cell.kind)
    return f"[{style}]{text}[/]" if style else text


def _print_table(title: str, table: Table) -> None:
    if not table.found:
        console.print(f"[bold]{title}[/]：[red]未找到[/]")
        return
    widest = max((r for r in table.rows if not r.missing), key=lambda r: len(r.cells), default=None)
    headers = [c.column.split("/")[-1] for c in widest.cells] if widest else []
    rich_table = RichTable(title=title, title_justify="left", show_lines=False)
    rich_table.add_column("行", no_wrap=True)
    rich_table.add_column("标签")
    for header in headers:
        rich_table.add_column(header, justify="right")
    for row in table.rows:
        label = row.label.template if row.label.quality is not MatchQuality.FUZZY else f"[yellow]{row.label.found}[/]"
        if row.missing:
            rich_table.add_row(row.row_id or "", f"[red]缺失：{row.label.template}[/]")
            continue
        rich_table.add_row(row.row_id or "", label, *(_cell_text(c) for c in row.cells))
    for row in table.extra_rows:
        rich_table.add_row("[magenta]+[/]", f"[magenta]{row.label.found}[/]", *(_cell_text(c) for c in row.cells))
    console.print(rich_table)


def print_report(report: AnnualReport) -> None:
    console.print(f"[bold]{report.title or '（未识别标题）'}[/]", highlight=False)
    console.print(
        f"机关：{report.agency or '—'}　年度：{report.year or '—'}　格式：{report.format.value}"
        f"　来源：{report.source.name}（{report.source.media_type}，sha256 {report.source.sha256[:12]}…）",
        highlight=False,
    )
    for section in report.sections:
        spec = SECTION_BY_ID[section.section_id]
        if section.found:
            mark = "✓" if section.heading.quality is MatchQuality.EXACT else f"≈ {section.heading.found}"
            console.print(f"  {spec.heading}  [green]{mark}[/]  （{len(section.text)} 字）", highlight=False)
        else:
            console.print(f"  {spec.heading}  [red]未找到[/]", highlight=False)
    _print_table("表二 主动公开政府信息情况", report.table2)
    _print_table("表三 收到和处理政府信息公开申请情况", report.table3)
    _print_table("表四 政府信息公开行政复议、行政诉讼情况", report.table4)
    for diagnostic in report.diagnostics:
        style = _LEVEL_STYLE[diagnostic.level]
        console.print(f"[{style}]{diagnostic.code}[/] {diagnostic.message}", highlight=False)
    if report.artifacts:
        console.print(f"[dim]已清除提取痕迹 {len(report.artifacts)} 处（ART-01）[/]")
