"""This year's report against last year's: carry-over, documents in force, and copied text (X-02).

X-02 measures how much of this year's section reappears in last year's: the share of this year's
character 3-gram shingles also found in last year's text (containment), fast enough for every run.
"""

from __future__ import annotations

from dwatch.reports.checks.cells import TABLE_SECTION, cell_location, row_evidence, value
from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.checks.text import Compact
from dwatch.reports.model import Location
from dwatch.reports.template import SECTION_BY_ID


class CarryParams(Params):
    table: str
    this_row: str
    previous_row: str


@kind("carry_over", CarryParams, ("default",))
def carry_over(run: RuleRun, p: CarryParams) -> None:
    previous = run.subject.previous
    if previous is None:
        return
    table = run.subject.report.table(p.table)
    this = table.row(p.this_row) if table.found else None
    before = previous.table(p.table).row(p.previous_row) if previous.table(p.table).found else None
    if this is None or this.missing or before is None or before.missing:
        return
    for cell in this.cells:
        actual, expected = value(cell), value(before.cell(cell.column))
        if actual is None or expected is None or abs(actual - expected) < 1e-9:
            continue
        run.emit(
            "default",
            location=cell_location(table, this, cell.column),
            evidence=row_evidence(this),
            key=cell.column,
            column=cell.column,
            expected=expected,
            actual=actual,
            previous_year=previous.year or "上年",
        )


class SimilarityParams(Params):
    sections: tuple[str, ...]
    threshold: float
    shingle: int
    min_chars: int


def containment(text: str, reference: str, size: int) -> float:
    """Share of `text`'s character shingles that also occur in `reference`."""
    mine = {text[i : i + size] for i in range(len(text) - size + 1)}
    theirs = {reference[i : i + size] for i in range(len(reference) - size + 1)}
    return len(mine & theirs) / len(mine) if mine else 0.0


@kind("similarity", SimilarityParams, ("default",))
def similarity(run: RuleRun, p: SimilarityParams) -> None:
    previous = run.subject.previous
    if previous is None:
        return
    for section_id in p.sections:
        this = run.subject.compact(section_id).text
        last_section = previous.section(section_id)
        last = Compact(last_section.text).text if last_section is not None and last_section.found else ""
        if len(this) < p.min_chars or len(last) < p.min_chars:
            continue
        share = containment(this, last, p.shingle)
        if share < p.threshold:
            continue
        run.emit(
            "default",
            location=Location(section=section_id),
            evidence=this[:80],
            key=section_id,
            section=SECTION_BY_ID[section_id].heading,
            similarity=round(share * 100, 1),
            threshold=round(p.threshold * 100),
            previous_year=previous.year or "上年",
        )


class StockParams(Params):
    rows: tuple[str, ...]
    issued: str
    repealed: str
    in_force: str


@kind("stock_continuity", StockParams, ("default",))
def stock_continuity(run: RuleRun, p: StockParams) -> None:
    previous = run.subject.previous
    table = run.subject.report.table2
    if previous is None or not table.found or not previous.table2.found:
        return
    for row_id in p.rows:
        row, before = table.row(row_id), previous.table2.row(row_id)
        if row is None or row.missing or before is None or before.missing:
            continue
        figures = [value(row.cell(p.issued)), value(row.cell(p.repealed)), value(row.cell(p.in_force))]
        last = value(before.cell(p.in_force))
        if last is None or None in figures:
            continue
        issued, repealed, actual = (f or 0 for f in figures)
        expected = last + issued - repealed
        if abs(expected - actual) < 1e-9:
            continue
        run.emit(
            "default",
            location=Location(section=TABLE_SECTION["table2"], table="table2", row=row_id, column=p.in_force),
            evidence=row_evidence(row),
            key=row_id,
            row=row_id,
            previous=last,
            issued=issued,
            repealed=repealed,
            expected=expected,
            actual=actual,
        )
