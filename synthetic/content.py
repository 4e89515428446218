"""The truth of a synthetic report: exactly what a rendered document says, cell by cell.

Cells hold raw text (as a person typed it into the template: "0", "198716", "516.94", "+3", or ""
for a blank), so a renderer only lays text out and the round trip can compare raw text or numbers.
Labels come from `reports.template`; only deviations are stored here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from dwatch.reports.numbers import CellKind, classify
from dwatch.reports.template import TABLE2_2019, TABLE2_2021, TABLE3, RowSpec, TableSpec
from pydantic import BaseModel, ConfigDict, Field

T3_ROW_IDS = tuple(r.row_id for r in TABLE3.rows)
# Rows not in the template are placed just before （七）总计: where a 2019 "（六）其他处理" row or a
# subtotal sits in real tables.
EXTRA_ROWS_BEFORE = "R24"


class SyntheticReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agency: str
    agency_kind: Literal["department", "government"]
    year: int
    title: str
    preamble: str
    headings: dict[str, str] = Field(description="section id S1..S6 -> heading as written; missing = omitted")
    sections: dict[str, str] = Field(description="section id -> body paragraphs separated by newlines")
    table2: dict[str, dict[str, str]] = Field(description="template row id -> column label -> raw cell text")
    table2_layout: Literal["2021", "2019"] = "2021"
    table3: dict[str, list[str]] = Field(description="R01..R25 -> 7 raw cells; a missing key = row omitted")
    table3_labels: dict[str, str] = Field(default_factory=dict, description="row id -> deviating label")
    table3_extra_rows: list[tuple[str, list[str]]] = Field(default_factory=list)
    table4: list[str] = Field(description="the 15 raw cells in template order")
    published: date

    @property
    def table2_spec(self) -> TableSpec:
        return TABLE2_2019 if self.table2_layout == "2019" else TABLE2_2021

    def table3_label(self, row: RowSpec) -> str:
        return self.table3_labels.get(row.row_id, row.label)

    def truth(self) -> dict[str, Any]:
        """Cell-level ground truth in the format of ../shared/corpus/truth/*.json (see its README).

        A cell is its number when the raw text reads as an exact number, else its raw text.
        """
        table2: dict[str, Any] = {}
        for row in self.table2_spec.rows:
            cells = self.table2[row.row_id]
            values = {column: _truth_value(cells[column]) for column in row.columns}
            table2[row.row_id] = values if len(values) > 1 else next(iter(values.values()))
        return {
            "agency": self.agency,
            "year": self.year,
            "agency_kind": self.agency_kind,
            "template": self.table2_layout,
            "table2": table2,
            "table3": {
                rid: [_truth_value(c) for c in self.table3[rid]] if rid in self.table3 else None for rid in T3_ROW_IDS
            },
            "table3_extra_rows": {label: [_truth_value(c) for c in cells] for label, cells in self.table3_extra_rows},
            "table4": [_truth_value(c) for c in self.table4],
        }


def _truth_value(raw: str) -> int | float | str:
    kind, value, _ = classify(raw)
    return value if kind is CellKind.NUMBER and value is not None else raw
