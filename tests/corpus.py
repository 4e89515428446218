"""Access to ../shared/corpus and comparison of a parsed report with its cell-level ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dwatch.reports.model import AnnualReport, Cell
from dwatch.reports.numbers import CellKind

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
REPORT_FILES = sorted(p.name for p in CORPUS.glob("*") if p.suffix in {".txt", ".pdf"})


def truth(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / "truth" / f"{Path(name).stem}.json").read_text(encoding="utf-8"))


def _as_truth(cell: Cell) -> Any:
    """A cell as the truth files write it: the number when exact, else the raw text."""
    return cell.value if cell.kind is CellKind.NUMBER else cell.raw


def mismatches(report: AnnualReport, expected: dict[str, Any]) -> list[str]:
    """Every cell of tables 二/三/四 that differs from the truth, as readable lines (empty when exact)."""
    problems: list[str] = []
    for row in report.table2.rows:
        want = expected["table2"][row.row_id]
        want_cells = list(want.values()) if isinstance(want, dict) else [want]
        got = [_as_truth(c) for c in row.cells] if not row.missing else None
        if got != want_cells:
            problems.append(f"table2 {row.row_id}: expected {want_cells}, got {got}")
    for row in report.table3.rows:
        want = expected["table3"][row.row_id]
        got = None if row.missing else [_as_truth(c) for c in row.cells]
        if got != want:
            problems.append(f"table3 {row.row_id}: expected {want}, got {got} (label {row.label.found!r})")
    want_extra = expected.get("table3_extra_rows") or {}
    got_extra = {r.label.found: [_as_truth(c) for c in r.cells] for r in report.table3.extra_rows}
    # Extra-row labels may carry merged-cell text around them; their figures must match exactly.
    if list(got_extra.values()) != list(want_extra.values()):
        problems.append(f"table3 extra rows: expected {want_extra}, got {got_extra}")
    got4 = [_as_truth(c) for c in report.table4.rows[0].cells] if report.table4.rows else None
    if got4 != expected["table4"]:
        problems.append(f"table4: expected {expected['table4']}, got {got4}")
    return problems
