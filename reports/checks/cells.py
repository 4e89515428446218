"""Reading table cells for the checks: values for arithmetic, logical locations, display names."""

from __future__ import annotations

from typing import TypedDict

from dwatch.reports.model import AnnualReport, Cell, Location, Table, TableRow
from dwatch.reports.numbers import CellKind

TABLE_SECTION = {"table2": "S2", "table3": "S3", "table4": "S4"}
TABLE_NAME = {"table2": ("表二", "table 二"), "table3": ("表三", "table 三"), "table4": ("表四", "table 四")}

Number = int | float


def value(cell: Cell | None) -> Number | None:
    """A cell's figure for arithmetic: blank and placeholders count as 0 (T3-05 warns on them);
    approximations and text have no figure, so identities involving them are not evaluated."""
    if cell is None:
        return None
    if cell.kind is CellKind.NUMBER:
        return cell.value
    if cell.kind in (CellKind.BLANK, CellKind.DASH):
        return 0
    return None


class TableNames(TypedDict):
    """A table's display names, the message arguments `table_zh` and `table_en`."""

    table_zh: str
    table_en: str


def table_names(table_id: str) -> TableNames:
    zh, en = TABLE_NAME[table_id]
    return {"table_zh": zh, "table_en": en}


def cell_location(table: Table, row: TableRow, column: str | None = None) -> Location:
    """The logical place of a row or cell (page and line kept for display, not for fingerprints)."""
    cell = row.cell(column) if column else None
    where = cell.location if cell else row.location
    return Location(
        page=where.page,
        line=where.line,
        section=TABLE_SECTION[table.table_id],
        table=table.table_id,
        row=row.row_id or row.label.found,
        column=column,
    )


def row_evidence(row: TableRow) -> str:
    label = row.label.found or row.label.template
    return f"{label}：" + " ".join(c.raw.strip() or "（空）" for c in row.cells)


def expand(ids: tuple[str, ...]) -> list[str]:
    """Row ids with ranges: ("R03..R23",) → R03, R04, …, R23."""
    result: list[str] = []
    for item in ids:
        if ".." in item:
            first, last = item.split("..")
            prefix = first.rstrip("0123456789")
            width = len(first) - len(prefix)
            result += [f"{prefix}{i:0{width}d}" for i in range(int(first[len(prefix) :]), int(last[len(prefix) :]) + 1)]
        else:
            result.append(item)
    return result


def lookup(report: AnnualReport, ref: str) -> tuple[Table, TableRow, Cell] | None:
    """The cell named "table/row/column" (columns of table 四 contain slashes themselves)."""
    table_id, row_id, column = ref.split("/", 2)
    table = report.table(table_id)
    row = table.row(row_id) if table.found else None
    if row is None or row.missing:
        return None
    cell = row.cell(column)
    return (table, row, cell) if cell is not None else None


def short_name(ref: str) -> str:
    """A compact name of a referenced cell for messages: "第一项总计", "行政复议总计", …"""
    _, row_id, column = ref.split("/", 2)
    column = column.split("/", 1)[-1] if column.count("/") == 2 else column.replace("/", "")
    return f"{row_id}{column}" if row_id != "V" else column
