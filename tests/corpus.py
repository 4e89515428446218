"""Access to ../shared/corpus and the scoring of a report against its ground truth.

`mismatches` compares every cell of tables 二/三/四 with a truth (a corpus file's, or a synthetic
report's); `score` grades one corpus document as a whole: cells, title, agency and year, and the
truth file's `expect` block. tests/test_corpus_accuracy.py asserts the scores, bench/accuracy.py
prints them: one implementation of what "right" means on the corpus.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dwatch.reports.checks import Finding, Severity, run_checks
from dwatch.reports.model import AnnualReport, Cell
from dwatch.reports.numbers import CellKind
from dwatch.reports.parsers import parse_document
from pydantic import BaseModel, ConfigDict, Field

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TRUTH = CORPUS / "truth"
# Every corpus document with a ground-truth file (the blank template has none).
REPORT_FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file() and (TRUTH / f"{p.stem}.json").is_file())
TABLES = ("table2", "table3", "table4")

# Defects a truth file describes in its notes only, having no rule id when it was written, named by
# the rules added since (the truth files are read-only input).
NOTED_EXPECTATIONS: dict[str, dict[str, list[str]]] = {
    "pingtan-junshan-2022.html": {"warnings_include": ["N-03"]},
}

_SPACE = re.compile(r"\s+")


def truth(name: str) -> dict[str, Any]:
    return json.loads((TRUTH / f"{Path(name).stem}.json").read_text(encoding="utf-8"))


# ---- cells ----------------------------------------------------------------------------------------


def _as_truth(cell: Cell) -> Any:
    """A cell as the truth files write it: the number when exact, else the raw text."""
    return cell.value if cell.kind is CellKind.NUMBER else cell.raw


@dataclass(frozen=True)
class RowCheck:
    """One row of a table as the truth has it and as the parser read it (None: no such row)."""

    table: str
    row: str
    expected: list[Any] | None
    found: list[Any] | None
    label: str | None = None

    @property
    def cells(self) -> int:
        # Cells the parser made up (in a row the document does not have) count as wrong ones.
        return max(len(self.expected or ()), len(self.found or ()))

    @property
    def exact(self) -> int:
        if self.expected is None or self.found is None:
            return 0
        return sum(want == got for want, got in zip(self.expected, self.found, strict=False))

    def problem(self) -> str | None:
        if self.expected == self.found:
            return None
        label = f" (label {self.label!r})" if self.label is not None else ""
        return f"{self.table} {self.row}: expected {self.expected}, got {self.found}{label}"


def compare(report: AnnualReport, expected: dict[str, Any]) -> list[RowCheck]:
    """Every row of tables 二/三/四 that the truth lists (table 二 only when it does), row by row."""
    checks: list[RowCheck] = []
    for row_id, want in expected.get("table2", {}).items():
        row = report.table2.row(row_id)
        found = None if row is None or row.missing else [_as_truth(c) for c in row.cells]
        checks.append(RowCheck("table2", row_id, list(want.values()) if isinstance(want, dict) else [want], found))
    for row_id, want in expected["table3"].items():
        row = report.table3.row(row_id)
        found = None if row is None or row.missing else [_as_truth(c) for c in row.cells]
        checks.append(RowCheck("table3", row_id, want, found, row.label.found if row is not None else None))
    # Extra rows are compared in order by their figures: their labels may carry merged-cell text around them.
    want_extra = list((expected.get("table3_extra_rows") or {}).values())
    got_extra = [(r.label.found, [_as_truth(c) for c in r.cells]) for r in report.table3.extra_rows]
    for i in range(max(len(want_extra), len(got_extra))):
        label, found = got_extra[i] if i < len(got_extra) else (None, None)
        want = want_extra[i] if i < len(want_extra) else None
        checks.append(RowCheck("table3", f"extra row {i + 1}", want, found, label))
    got4 = [_as_truth(c) for c in report.table4.rows[0].cells] if report.table4.rows else None
    checks.append(RowCheck("table4", "V", expected["table4"], got4))
    return checks


def mismatches(report: AnnualReport, expected: dict[str, Any]) -> list[str]:
    """Every row of tables 二/三/四 that differs from the truth, as readable lines (empty when exact)."""
    return [problem for check in compare(report, expected) if (problem := check.problem()) is not None]


# ---- the whole document ---------------------------------------------------------------------------


class Expect(BaseModel):
    """A truth file's `expect` block (corpus README): the findings a checker must and may report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    errors: tuple[str, ...] = ()
    errors_any_of: tuple[tuple[str, ...], ...] = ()
    errors_allowed: tuple[str, ...] = ()
    warnings_include: tuple[str, ...] = ()
    notes: str = ""


def expectations(name: str) -> Expect:
    """The truth file's `expect`, with the defects its notes describe under a rule id added since."""
    raw = dict(truth(name)["expect"])
    for key, rule_ids in NOTED_EXPECTATIONS.get(name, {}).items():
        raw[key] = [*raw.get(key, []), *rule_ids]
    return Expect.model_validate(raw)


class TableScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    exact: int
    cells: int


class Score(BaseModel):
    """How right the pipeline is on one corpus document."""

    model_config = ConfigDict(frozen=True)

    name: str
    tables: dict[str, TableScore] = Field(description="the tables the truth lists: exact cells of all cells")
    cell_problems: tuple[str, ...]
    title: tuple[str | None, str | None] = Field(description="(expected, found)")
    agency: tuple[str | None, str | None]
    year: tuple[int | None, int | None]
    errors_expected: int = Field(description="required errors, a group of alternatives counting once")
    errors_missing: tuple[str, ...] = Field(description="required errors not reported; alternatives joined by |")
    errors_unexpected: tuple[str, ...] = Field(description="reported errors neither required nor allowed")
    warnings_expected: int
    warnings_missing: tuple[str, ...]

    @property
    def title_ok(self) -> bool:
        want, got = self.title
        return got is not None and _SPACE.sub("", got) == _SPACE.sub("", want or "")

    @property
    def agency_ok(self) -> bool:
        return self.agency[0] == self.agency[1]

    @property
    def year_ok(self) -> bool:
        return self.year[0] == self.year[1]


def _expected_title(expected: dict[str, Any]) -> str:
    """The truth's title; where it gives none, the template's title (every such corpus title follows it)."""
    return expected.get("title") or f"{expected['agency']}{expected['year']}年政府信息公开工作年度报告"


@cache
def parsed(name: str) -> AnnualReport:
    return parse_document((CORPUS / name).read_bytes(), name)


@cache
def checked(name: str) -> tuple[Finding, ...]:
    """The findings as `dwatch check FILE` reports them: the agency kind and the dates read from the document."""
    return tuple(run_checks(parsed(name)))


@cache
def score(name: str) -> Score:
    report, expected, expect = parsed(name), truth(name), expectations(name)
    rows = compare(report, expected)
    findings = checked(name)
    errors = {f.rule_id for f in findings if f.severity is Severity.ERROR}
    warnings = {f.rule_id for f in findings if f.severity is Severity.WARNING}
    groups = [set(group) for group in expect.errors_any_of]
    allowed = set(expect.errors) | set(expect.errors_allowed) | set().union(*groups)
    return Score(
        name=name,
        tables={
            table: TableScore(
                exact=sum(r.exact for r in rows if r.table == table),
                cells=sum(r.cells for r in rows if r.table == table),
            )
            for table in TABLES
            if table in expected
        },
        cell_problems=tuple(p for r in rows if (p := r.problem()) is not None),
        title=(_expected_title(expected), report.title),
        agency=(expected["agency"], report.agency),
        year=(expected["year"], report.year),
        errors_expected=len(expect.errors) + len(groups),
        errors_missing=tuple(
            [r for r in expect.errors if r not in errors] + ["|".join(sorted(g)) for g in groups if not g & errors]
        ),
        errors_unexpected=tuple(sorted(errors - allowed)),
        warnings_expected=len(expect.warnings_include),
        warnings_missing=tuple(r for r in expect.warnings_include if r not in warnings),
    )
