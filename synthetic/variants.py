"""Deviations found in real reports, applied to a valid report (the result need not be valid).

Each function returns a new report whose truth still says exactly what the document will say.
"""

from __future__ import annotations

import random

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.generate import ROWS_2019_OTHER, fold_2019_other, reports
from hypothesis import strategies as st

# Real label deviations: ganzhou-jkq-jiaojing-2023.txt writes 案件 for 案卷; others drop a clause
# or add a character.
LABEL_DEVIATIONS = {
    "R11": "7.属于行政执法案件",
    "R04": "（二）部分公开",
    "R13": "1.本机关不掌握相关的政府信息",
    "R06": "2.其他法律、行政法规禁止公开",
}


def blank_zero_cells(report: SyntheticReport, seed: int, share: float = 0.3) -> SyntheticReport:
    """Leave some zero cells of tables 三 and 四 empty, as the 2019-era Shanghai tables do (§2.7).

    Each row keeps at least one written cell: a row of nothing but blanks is not a data row.
    """
    rng = random.Random(seed)

    def blank(cells: list[str]) -> list[str]:
        out = [("" if c == "0" and rng.random() < share else c) for c in cells]
        return out if any(out) else cells

    return report.model_copy(
        update={
            "table3": {rid: blank(cells) for rid, cells in report.table3.items()},
            "table4": blank(report.table4),
        }
    )


def table3_2019(report: SyntheticReport) -> SyntheticReport:
    """Table 三 in the 23-row 2019 layout: R21–R23 folded into one "（六）其他处理" row (hongze-gov-2024.pdf)."""
    if not all(r in report.table3 for r in ROWS_2019_OTHER):
        return report
    table3, extra = fold_2019_other(report.table3)
    return report.model_copy(update={"table3": table3, "table3_extra_rows": [*report.table3_extra_rows, *extra]})


def approximate_table2(report: SyntheticReport, row_id: str = "行政许可", raw: str = "3.2万") -> SyntheticReport:
    """A table 二 count written as an approximation, as huaihua-jiaojing-2023.txt writes "25.1万"."""
    column = report.table2_spec.row(row_id).columns[-1]
    table2 = {rid: dict(cells) for rid, cells in report.table2.items()}
    table2[row_id][column] = raw
    return report.model_copy(update={"table2": table2})


def label_deviation(report: SyntheticReport, row_id: str) -> SyntheticReport:
    return report.model_copy(update={"table3_labels": {**report.table3_labels, row_id: LABEL_DEVIATIONS[row_id]}})


@st.composite
def varied_reports(draw: st.DrawFn, label_rows: tuple[str, ...] = tuple(LABEL_DEVIATIONS)) -> SyntheticReport:
    """Valid reports with any combination of the deviations above (label deviations of `label_rows`)."""
    report = draw(reports())
    if draw(st.booleans()):
        report = blank_zero_cells(report, draw(st.integers(0, 2**16)))
    if draw(st.booleans()):
        report = table3_2019(report)
    if draw(st.booleans()):
        report = label_deviation(report, draw(st.sampled_from(label_rows)))
    return report
