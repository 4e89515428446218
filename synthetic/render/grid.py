"""The merged-cell grids of tables 二, 三 and 四, computed once for every output format.

A grid is a list of rows; each row lists its slots left to right. A slot is either a cell anchored
in that row (with its rowspan/colspan) or the continuation of a cell anchored above (what Word
writes as a `vMerge` cell and its text export as an empty TAB line). The structure follows the
official template (../shared/corpus/template-2021.docx): 三、本年度办理结果 spans the result rows,
the groups （三）…（六） span their sub-rows, 申请人情况 spans 7 columns, 行政复议 5 and 行政诉讼 10.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from dwatch.demo.synthetic.content import EXTRA_ROWS_BEFORE, SyntheticReport
from dwatch.demo.synthetic.render.options import Table2Cells
from dwatch.reports.template import T3_COLUMNS, T3_NOTE, T3_RESULTS, T4_BLOCKS, T4_OUTCOMES, TABLE3, RowSpec

_FULLWIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


@dataclass(frozen=True)
class Slot:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    continued: bool = False  # covered by a cell anchored in a row above


@dataclass(frozen=True)
class Grid:
    table_id: str
    columns: int
    rows: tuple[tuple[Slot, ...], ...]
    # Column widths as fractions of the text width (PDF and DOCX lay tables out with them).
    widths: tuple[float, ...] = ()

    def anchored(self) -> list[tuple[int, int, Slot]]:
        """(row, column, slot) of every cell anchored in the grid, in reading order."""
        return [(r, c, slot) for r, c, slot in self.positions() if not slot.continued]

    def positions(self) -> list[tuple[int, int, Slot]]:
        out = []
        for r, row in enumerate(self.rows):
            column = 0
            for slot in row:
                out.append((r, column, slot))
                column += slot.colspan
        return out

    def split(self, at: int) -> tuple[Grid, Grid]:
        """Two grids, rows [0, at) and [at, end): a cell spanning the cut continues, empty, below it."""
        top: list[list[Slot]] = [list(row) for row in self.rows[:at]]
        bottom: list[list[Slot]] = [list(row) for row in self.rows[at:]]
        index: dict[tuple[int, int], int] = {}  # (row, column) -> position of the slot in its row
        seen: Counter[int] = Counter()
        for r, c, _slot in self.positions():
            index[r, c] = seen[r]
            seen[r] += 1
        for r, c, slot in self.anchored():
            if r < at < r + slot.rowspan:
                top[r][index[r, c]] = replace(slot, rowspan=at - r)
                bottom[0][index[at, c]] = Slot("", rowspan=r + slot.rowspan - at, colspan=slot.colspan)
        return (
            replace(self, rows=tuple(tuple(row) for row in top)),
            replace(self, rows=tuple(tuple(row) for row in bottom)),
        )


class _Builder:
    """Places cells row by row, inserting continuation slots where a cell from above still spans."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[tuple[Slot, ...]] = []
        self.open: dict[int, tuple[int, int]] = {}  # start column -> (rows still covered, colspan)

    def add(self, *cells: Slot) -> None:
        row: list[Slot] = []
        pending = list(cells)
        column = 0
        while column < self.columns:
            if column in self.open:
                remaining, span = self.open[column]
                row.append(Slot(continued=True, colspan=span))
                self.open[column] = (remaining - 1, span)
                if remaining == 1:
                    del self.open[column]
                column += span
                continue
            if not pending:
                raise ValueError(f"row {len(self.rows)} fills {column} of {self.columns} columns")
            cell = pending.pop(0)
            row.append(cell)
            if cell.rowspan > 1:
                self.open[column] = (cell.rowspan - 1, cell.colspan)
            column += cell.colspan
        if pending:
            raise ValueError(f"row {len(self.rows)} has {len(pending)} cells too many")
        self.rows.append(tuple(row))


class CellText:
    """How a document writes cell text: figures (full-width, thousands separators), header breaks."""

    def __init__(self, *, fullwidth_digits: bool, thousands_separators: bool, header_line_breaks: bool) -> None:
        self.fullwidth = fullwidth_digits
        self.thousands = thousands_separators
        self.breaks = header_line_breaks

    def value(self, raw: str) -> Slot:
        text = raw
        if self.thousands and _is_plain_number(raw):
            whole, dot, fraction = raw.partition(".")
            sign = whole[0] if whole[0] in "+-" else ""
            text = f"{sign}{int(whole.lstrip('+-')):,}{dot}{fraction}"
        if self.fullwidth:
            text = text.translate(_FULLWIDTH)
        return Slot(text)

    def header(self, label: str, *, narrow: bool = False, rowspan: int = 1, colspan: int = 1) -> Slot:
        # Narrow header cells of the template carry a hard break in the middle ("商业\n企业").
        text = f"{label[:2]}\n{label[2:]}" if narrow and self.breaks and len(label) == 4 else label
        return Slot(text, rowspan=rowspan, colspan=colspan)


def _is_plain_number(raw: str) -> bool:
    digits = raw.lstrip("+-").replace(".", "", 1)
    return bool(digits) and digits.isdigit()


# ---- Table 二 ----------------------------------------------------------------------------------


def table2(report: SyntheticReport, cells: CellText, value_cells: Table2Cells = "merged") -> Grid:
    """Caption, header and rows of each block of table 二 stacked in one 4-column grid (§2.4.1)."""
    builder = _Builder(4)
    spec = report.table2_spec
    captions = list(dict.fromkeys(r.group for r in spec.rows))
    for caption in captions:
        rows = [r for r in spec.rows if r.group == caption]
        builder.add(Slot(caption or "", colspan=4))
        builder.add(cells.header("信息内容"), *_value_slots([cells.header(c) for c in rows[0].columns], value_cells))
        for row in rows:
            values = report.table2[row.row_id]
            builder.add(Slot(row.label), *_value_slots([cells.value(values[c]) for c in row.columns], value_cells))
    return Grid("table2", 4, tuple(builder.rows), widths=(0.31, 0.23, 0.23, 0.23))


def _value_slots(slots: list[Slot], value_cells: Table2Cells) -> list[Slot]:
    """A block's value slots (its column heads or a row's figures) across the three grid columns."""
    spare = 3 - len(slots)
    if value_cells == "merged":  # the last one takes what is left
        return [*slots[:-1], replace(slots[-1], colspan=1 + spare)]
    blanks = [Slot()] * spare
    return [*slots, *blanks] if value_cells == "unmerged" else [*blanks, *slots]


# ---- Table 三 ----------------------------------------------------------------------------------


def _table3_rows(report: SyntheticReport) -> list[tuple[RowSpec, str]]:
    """(row spec, label as written) of the rows the document has, extra rows before （七）总计."""
    rows: list[tuple[RowSpec, str]] = []
    for spec in TABLE3.rows:
        if spec.row_id == EXTRA_ROWS_BEFORE:
            rows += [(RowSpec("", label, T3_COLUMNS, group=T3_RESULTS), label) for label, _ in report.table3_extra_rows]
        if spec.row_id in report.table3:
            rows.append((spec, report.table3_label(spec)))
    return rows


def table3(report: SyntheticReport, cells: CellText) -> Grid:
    builder = _Builder(10)
    builder.add(Slot(T3_NOTE, rowspan=3, colspan=3), cells.header("申请人情况", colspan=7))
    builder.add(
        cells.header(T3_COLUMNS[0], rowspan=2),
        cells.header("法人或其他组织", colspan=5),
        cells.header(T3_COLUMNS[6], rowspan=2),
    )
    builder.add(*(cells.header(c, narrow=True) for c in T3_COLUMNS[1:6]))

    rows = _table3_rows(report)
    extra_values = dict(report.table3_extra_rows)
    in_results = [spec for spec, _ in rows if spec.group is not None]
    group_sizes = Counter(spec.group for spec, _ in rows if spec.group not in (None, T3_RESULTS))
    first_of_results, seen_groups = True, set()
    for spec, label in rows:
        slots: list[Slot] = []
        if spec.group is None:
            slots.append(Slot(label, colspan=3))
        else:
            if first_of_results:
                slots.append(Slot(T3_RESULTS, rowspan=len(in_results)))
                first_of_results = False
            if spec.group == T3_RESULTS:
                slots.append(Slot(label, colspan=2))
            else:
                if spec.group not in seen_groups:
                    slots.append(Slot(spec.group, rowspan=group_sizes[spec.group]))
                    seen_groups.add(spec.group)
                slots.append(Slot(label))
        values = report.table3[spec.row_id] if spec.row_id else extra_values[label]
        builder.add(*slots, *(cells.value(v) for v in values))
    return Grid("table3", 10, tuple(builder.rows), widths=(0.1, 0.1, 0.3, *([0.5 / 7] * 7)))


T3_HEADER_ROWS = 3  # rows of a table 三 grid before its first data row


# ---- Table 四 ----------------------------------------------------------------------------------


def table4(report: SyntheticReport, cells: CellText) -> Grid:
    builder = _Builder(15)
    review, litigation = T4_BLOCKS[0], T4_BLOCKS[1].split("/")[0]
    builder.add(cells.header(review, colspan=5), cells.header(litigation, colspan=10))
    # In the template only 结果纠正/其他结果/尚未审结 break in the 复议 block; the 诉讼 heads all do.
    builder.add(
        cells.header(T4_OUTCOMES[0], rowspan=2),
        *(cells.header(o, narrow=True, rowspan=2) for o in T4_OUTCOMES[1:4]),
        cells.header(T4_OUTCOMES[4], rowspan=2),
        *(cells.header(block.split("/")[1], colspan=5) for block in T4_BLOCKS[1:]),
    )
    builder.add(*(cells.header(o, narrow=True) for _block in T4_BLOCKS[1:] for o in T4_OUTCOMES))
    builder.add(*(cells.value(v) for v in report.table4))
    return Grid("table4", 15, tuple(builder.rows), widths=tuple([1 / 15] * 15))
