"""Template tables 二/三/四: labels against the template, counts, fee amounts, 勾稽 identities, extra rows."""

from __future__ import annotations

from typing import Literal

from dwatch.reports.checks.cells import TABLE_SECTION, Number, cell_location, expand, row_evidence, table_names, value
from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.labels import MatchQuality, normalize
from dwatch.reports.model import Location, Table, TableRow
from dwatch.reports.numbers import CellKind, fold
from dwatch.reports.template import TABLE2_2019, TABLE2_2021, TABLE3, TABLE4, ReportFormat, TableId, TableSpec

_CURRENT_FROM = 2021


class TableParams(Params):
    table: TableId


def _spec(table: Table) -> TableSpec:
    if table.table_id == "table2":
        return TABLE2_2019 if table.layout is ReportFormat.F2019 else TABLE2_2021
    return TABLE3 if table.table_id == "table3" else TABLE4


_TRIAL_GROUP = "（六）其他处理"  # one data row in the 2019 trial layout, three sub-rows since 2021


def _trial_layout(table: Table, year: int | None) -> bool:
    """A 2019/2020 report in the 2019 trial layout, which is correct for those years."""
    return table.table_id == "table3" and table.layout is ReportFormat.F2019 and (year or _CURRENT_FROM) < _CURRENT_FROM


def _collapsed_rows(table: Table, year: int | None) -> set[str]:
    """Rows the 2019 trial layout does not have: their absence is no defect in a 2019/2020 report."""
    return {r.row_id for r in TABLE3.rows if r.group == _TRIAL_GROUP} if _trial_layout(table, year) else set()


@kind("template_labels", TableParams, ("missing_row", "missing_column", "missing_header", "label_deviation"))
def template_labels(run: RuleRun, p: TableParams) -> None:
    table = run.subject.report.table(p.table)
    if not table.found:  # an absent table is reported by IMG-01 / STR-01
        return
    names = table_names(p.table)
    header_location = Location(section=TABLE_SECTION[p.table], table=p.table)
    for header in table.headers:
        if header.quality is MatchQuality.MISSING:
            run.emit("missing_header", location=header_location, key=header.template, label=header.template, **names)
        elif header.quality is MatchQuality.FUZZY:
            run.emit(
                "label_deviation",
                location=header_location,
                evidence=header.found or "",
                key=header.template,
                label=header.template,
                found=header.found,
                **names,
            )
    collapsed = _collapsed_rows(table, run.subject.year)
    present = [r for r in table.rows if not r.missing]
    for row in table.rows:
        location = cell_location(table, row)
        if row.missing and row.row_id not in collapsed:
            run.emit("missing_row", location=location, key=row.row_id, label=row.label.template, **names)
        elif row.label.quality is MatchQuality.FUZZY:
            run.emit(
                "label_deviation",
                location=location,
                evidence=row.label.found or "",
                key=row.row_id,
                label=row.label.template,
                found=row.label.found,
                **names,
            )
    spec = _spec(table)
    expected = dict.fromkeys(
        c for r in present if r.row_id in {s.row_id for s in spec.rows} for c in spec.row(r.row_id).columns
    )
    seen = {c.column for r in present for c in r.cells}
    for column in expected:
        if present and column not in seen:
            location = Location(section=TABLE_SECTION[p.table], table=p.table, column=column)
            run.emit("missing_column", location=location, key=column, label=column, **names)


class CountParams(TableParams):
    exclude_rows: tuple[str, ...] = ()


@kind("count_cells", CountParams, ("approx", "not_integer", "blank"))
def count_cells(run: RuleRun, p: CountParams) -> None:
    table = run.subject.report.table(p.table)
    names = table_names(p.table)
    for row in table.rows if table.found else ():
        if row.missing or row.row_id in p.exclude_rows:
            continue
        for cell in row.cells:
            case = _count_defect(cell.kind, cell.value, cell.raw)
            if case is None:
                continue
            run.emit(
                case,
                location=cell_location(table, row, cell.column),
                evidence=f"{row.label.template}／{cell.column}：{cell.raw.strip()}",
                key=cell.column,
                row=row.label.template,
                column=cell.column.replace("/", "／"),
                raw=cell.raw.strip(),
                **names,
            )


def _count_defect(cell_kind: CellKind, number: float | None, raw: str) -> str | None:
    if cell_kind is CellKind.BLANK:
        return "blank"
    if cell_kind is CellKind.APPROX:
        return "approx"
    if cell_kind is not CellKind.NUMBER or number is None:
        return "not_integer"
    signed = fold(raw)[:1] in "+-"
    # A decimal point makes the value a float even for "3.0": counts are written without one.
    return "not_integer" if signed or number < 0 or isinstance(number, float) else None


class FeeParams(Params):
    row: str
    implausible_from: float


@kind("fee_cell", FeeParams, ("yuan", "magnitude", "not_number"))
def fee_cell(run: RuleRun, p: FeeParams) -> None:
    table = run.subject.report.table2
    row = table.row(p.row) if table.found else None
    if row is None or row.missing or not row.cells:
        return
    cell = row.cells[0]
    text = fold(cell.raw)
    case: str | None
    if text.endswith("元") and not text.endswith("万元"):
        case = "yuan"
    elif cell.kind is CellKind.NUMBER and cell.value is not None:
        case = "not_number" if cell.value < 0 else "magnitude" if cell.value >= p.implausible_from else None
    else:
        case = None if cell.kind is CellKind.BLANK else "not_number"
    if case is not None:
        run.emit(
            case, location=cell_location(table, row, cell.column), evidence=row_evidence(row), raw=cell.raw.strip()
        )


class Identity(Params):
    name: str
    total: tuple[str, ...]
    parts: tuple[str, ...]


class SumParams(TableParams):
    across: Literal["rows", "columns"]
    identities: tuple[Identity, ...]
    # Sum the extra rows in place of missing part rows (the 2019 single-row （六）其他处理).
    substitute_extra_rows: bool = False


def _terms(values: list[Number]) -> str:
    return " + ".join(str(int(v)) if float(v).is_integer() else str(v) for v in values)


@kind("sum_identity", SumParams, ("mismatch",))
def sum_identity(run: RuleRun, p: SumParams) -> None:
    table = run.subject.report.table(p.table)
    if not table.found:
        return
    for identity in p.identities:
        if p.across == "columns":
            _column_identity(run, p, table, identity)
        else:
            _row_identity(run, table, identity)


def _column_identity(run: RuleRun, p: SumParams, table: Table, identity: Identity) -> None:
    totals, total_ids = _present(table, identity.total)
    parts, part_ids = _present(table, identity.parts)
    if len(totals) < len(total_ids):
        return
    if len(parts) < len(part_ids):
        if not p.substitute_extra_rows:
            return
        parts += table.extra_rows
    anchor = totals[0]
    for cell in anchor.cells:
        total_values = [value(r.cell(cell.column)) for r in totals]
        part_values = [value(r.cell(cell.column)) for r in parts]
        _compare(run, table, anchor, cell.column, identity, part_values, total_values)


def _present(table: Table, ids: tuple[str, ...]) -> tuple[list[TableRow], list[str]]:
    wanted = expand(ids)
    rows = [table.row(r) for r in wanted]
    return [r for r in rows if r is not None and not r.missing], wanted


def _row_identity(run: RuleRun, table: Table, identity: Identity) -> None:
    for row in table.rows:
        if row.missing:
            continue
        total_values = [value(row.cell(c)) for c in identity.total]
        part_values = [value(row.cell(c)) for c in identity.parts]
        _compare(run, table, row, identity.total[0], identity, part_values, total_values)


def _compare(
    run: RuleRun,
    table: Table,
    row: TableRow,
    column: str,
    identity: Identity,
    part_values: list[Number | None],
    total_values: list[Number | None],
) -> None:
    parts = [v for v in part_values if v is not None]
    totals = [v for v in total_values if v is not None]
    if len(parts) < len(part_values) or len(totals) < len(total_values):  # an unreadable cell: the count rules
        return
    expected, actual = sum(parts), sum(totals)
    if abs(expected - actual) < 1e-9:
        return
    run.emit(
        "mismatch",
        location=cell_location(table, row, column),
        evidence=row_evidence(row),
        key=identity.name,
        identity=identity.name,
        row=row.label.template,
        column=column,
        expected=expected,
        actual=actual,
        parts=_terms(parts),
        totals=_terms(totals),
    )


@kind("extra_rows", TableParams, ("default",))
def extra_rows(run: RuleRun, p: TableParams) -> None:
    table = run.subject.report.table(p.table)
    trial = _trial_layout(table, run.subject.year)
    for row in table.extra_rows if table.found else ():
        label = row.label.found or ""
        if trial and normalize(label) == normalize(_TRIAL_GROUP):
            continue
        location = Location(
            page=row.location.page,
            line=row.location.line,
            section=TABLE_SECTION[p.table],
            table=p.table,
            row=normalize(label),
        )
        run.emit(
            "default",
            location=location,
            evidence=row_evidence(row),
            key=normalize(label),
            label=label,
            values=" ".join(c.raw.strip() for c in row.cells),
        )


class RuleMakingParams(Params):
    national_prefixes: tuple[str, ...]
    national_suffixes: tuple[str, ...] = ("部", "总署")
    local_government_markers: tuple[str, ...]
    regional_exceptions: tuple[str, ...]


@kind("rule_making_power", RuleMakingParams, ("default",))
def rule_making_power(run: RuleRun, p: RuleMakingParams) -> None:
    subject = run.subject
    agency = subject.agency or ""
    row = subject.report.table2.row("规章") if subject.report.table2.found else None
    if not agency or row is None or row.missing:
        return
    if not any((value(c) or 0) > 0 for c in row.cells):
        return
    if subject.agency_kind == "department":
        empowered = agency.startswith(p.national_prefixes) or agency.endswith(p.national_suffixes)
    else:
        local = any(m in agency for m in p.local_government_markers)
        empowered = not local or any(e in agency for e in p.regional_exceptions)
    if not empowered:
        run.emit(
            "default",
            location=cell_location(subject.report.table2, row),
            evidence=row_evidence(row),
            agency=agency,
            values=" / ".join(c.raw.strip() for c in row.cells),
        )
