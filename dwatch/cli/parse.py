"""`dwatch parse FILE`: the structured report as a readable table, or as JSON in the documented schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.cells import cell_len
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console, fail, load_report
from dwatch.reports.labels import MatchQuality
from dwatch.reports.model import AnnualReport, Cell, DiagnosticLevel, Table
from dwatch.reports.numbers import CellKind
from dwatch.reports.template import SECTION_BY_ID
from dwatch.untrusted import for_terminal

_KIND_STYLE = {
    CellKind.APPROX: "bold yellow",
    CellKind.TEXT: "bold red",
    CellKind.DASH: "yellow",
    CellKind.BLANK: "dim",
}
_LABEL_WIDTH = 12
_LEVEL_STYLE = {DiagnosticLevel.ERROR: "red", DiagnosticLevel.WARNING: "yellow", DiagnosticLevel.INFO: "cyan"}


@app.command("parse")
def parse_command(
    file: Annotated[Path | None, typer.Argument(help="报告文件：PDF、DOCX、HTML 或纯文本", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出解析结果")] = False,
    json_schema: Annotated[bool, typer.Option("--json-schema", help="输出 JSON 结果的 JSON Schema")] = False,
) -> None:
    """解析年度报告，输出各部分、各表格和诊断信息。"""
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
    text = for_terminal(cell.raw) if cell.kind is not CellKind.BLANK else "·"
    style = _KIND_STYLE.get(cell.kind)
    return f"[{style}]{text}[/]" if style else text


def _group(column: str) -> str:
    """The header group a column sits under (表四: 行政复议, 行政诉讼/复议后起诉, …); "" when none."""
    return column.rpartition("/")[0]


def _print_table(title: str, table: Table) -> None:
    if not table.found:
        console.print(f"[bold]{title}[/]：[red]未找到[/]")
        return
    widest = max((r for r in table.rows if not r.missing), key=lambda r: len(r.cells), default=None)
    columns = [c.column for c in widest.cells] if widest else []
    groups = list(dict.fromkeys(_group(c) for c in columns))
    console.print(f"[bold]{title}[/]", highlight=False)
    if len(groups) > 1 and all(groups):
        # Grouped headers (表四's three blocks of five outcomes) as one table per group, stacked: the
        # grouping stays visible and each table fits an 80-column terminal.
        for group in groups:
            _print_rows(table, [c for c in columns if _group(c) == group], title=group.replace("/", " › "))
    else:
        _print_rows(table, columns, title=None)


def _print_rows(table: Table, columns: list[str], title: str | None) -> None:
    """The table's rows restricted to `columns`, headed by the columns' own names."""
    wanted = set(columns)
    # No vertical rules, and column widths given: Rich left to itself squeezes the labels to one
    # character or drops the last column at 80 columns. A number column is as wide as its header
    # within an even share of the width left beside the labels, never narrower than its values.
    share = max((console.width - _LABEL_WIDTH - 6) // max(len(columns), 1) - 2, 4)
    rich_table = RichTable(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    rich_table.add_column("行", no_wrap=True)
    rich_table.add_column("标签", overflow="fold")
    for column in columns:
        header = column.rpartition("/")[2]
        values = [cell_len(c.raw) for r in (*table.rows, *table.extra_rows) for c in r.cells if c.column == column]
        width = max(min(cell_len(header), share), *values, 1)
        rich_table.add_column(header, justify="right", overflow="fold", width=width)
    for row in table.rows:
        if row.missing:
            rich_table.add_row(row.row_id or "", f"[red]缺失：{row.label.template}[/]")
            continue
        fuzzy = row.label.quality is MatchQuality.FUZZY
        label = f"[yellow]{for_terminal(row.label.found or '')}[/]" if fuzzy else row.label.template
        rich_table.add_row(row.row_id or "", label, *(_cell_text(c) for c in row.cells if c.column in wanted))
    for row in table.extra_rows:
        cells = (_cell_text(c) for c in row.cells if c.column in wanted)
        rich_table.add_row("[magenta]+[/]", f"[magenta]{for_terminal(row.label.found or '')}[/]", *cells)
    console.print(rich_table)


def print_report(report: AnnualReport) -> None:
    console.print(f"[bold]{for_terminal(report.title or '（未识别标题）')}[/]", highlight=False, soft_wrap=True)
    console.print(
        f"机关：{for_terminal(report.agency or '—')}　年度：{report.year or '—'}　格式：{report.format.value}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"来源：{for_terminal(report.source.name)}（{report.source.media_type}）", highlight=False, soft_wrap=True
    )
    console.out(f"sha256 {report.source.sha256}", highlight=False)
    for section in report.sections:
        spec = SECTION_BY_ID[section.section_id]
        if section.found:
            exact = section.heading.quality is MatchQuality.EXACT
            mark = "✓" if exact else f"≈ {for_terminal(section.heading.found or '')}"
            console.print(f"  {spec.heading}  [green]{mark}[/]  （{len(section.text)} 字）", highlight=False)
        else:
            console.print(f"  {spec.heading}  [red]未找到[/]", highlight=False)
    _print_table("表二 主动公开政府信息情况", report.table2)
    _print_table("表三 收到和处理政府信息公开申请情况", report.table3)
    _print_table("表四 政府信息公开行政复议、行政诉讼情况", report.table4)
    for diagnostic in report.diagnostics:
        style = _LEVEL_STYLE[diagnostic.level]
        line = f"[{style}]{diagnostic.code}[/] {for_terminal(diagnostic.message)}"
        console.print(line, highlight=False, soft_wrap=True)
    if report.artifacts:
        console.print(f"[dim]已清除提取痕迹 {len(report.artifacts)} 处（ART-01）[/]")
