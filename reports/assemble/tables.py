"""Tables 二, 三 and 四: from the lines of a region to template rows and cells."""

from __future__ import annotations

from dataclasses import dataclass

from dwatch.reports.assemble.rows import RawRow, label_score, read_rows, split_row, strip_noise
from dwatch.reports.assemble.sections import location_of
from dwatch.reports.labels import MatchQuality, compare, normalize, similarity
from dwatch.reports.layout import Fragment, Line
from dwatch.reports.model import Cell, Diagnostic, DiagnosticLevel, LabelMatch, Table, TableRow
from dwatch.reports.numbers import CellKind, classify
from dwatch.reports.ocr import NOT_A_NUMBER
from dwatch.reports.template import (
    SIGNATURES_2019,
    T3_GROUPS,
    T3_RESULTS,
    T4_COLUMNS,
    T4_OUTCOMES,
    TABLE2_2019,
    TABLE2_2021,
    TABLE3,
    TABLE4,
    ReportFormat,
    RowSpec,
    TableSpec,
)

_ROW_THRESHOLD = 0.7  # below this a data row is not the template row: it is an extra row
_LOOKAHEAD = 6  # template rows a document may skip between two rows it has
_HEADER_SEARCH_CHARS = 3000  # a whole table 三 region's labels are about 1,500 characters
_NOISE = tuple(normalize(x) for x in (T3_RESULTS, *T3_GROUPS))
# Row labels that mark the cells right of them as value cells (`rows.split_row`); table 四 has none.
_ROW_LABELS = {
    "table2": frozenset(normalize(r.label) for spec in (TABLE2_2021, TABLE2_2019) for r in spec.rows),
    "table3": frozenset(normalize(r.label) for r in TABLE3.rows),
}


def _cell(spec_table: TableSpec, row_id: str | None, column: str, fragment: Fragment | None, line: Line) -> Cell:
    raw = fragment.text if fragment else ""
    kind, value, approx = classify(raw)
    confidence = fragment.confidence if fragment else None
    if confidence is not None and kind is CellKind.TEXT:  # value cells of an OCR'd table: numbers only
        confidence = min(confidence, NOT_A_NUMBER)
    return Cell(
        column=column,
        raw=raw,
        kind=kind,
        value=value,
        approx_value=approx,
        ocr=fragment is not None and fragment.confidence is not None,
        confidence=confidence,
        crop=fragment.crop if fragment else None,
        location=location_of(line, table=spec_table.table_id, row=row_id, column=column),
    )


class _ColumnGuide:
    """Column x-centres learnt from the complete rows of a table, to place the cells of short rows."""

    def __init__(self, rows: list[RawRow]) -> None:
        self.centres: dict[int, list[float]] = {}
        for row in rows:
            xs = [x for v in row.values if (x := v.x_center) is not None]
            if not row.grid and len(xs) == len(row.values):
                self.centres.setdefault(len(xs), [0.0] * len(xs))
                self.centres[len(xs)] = [a + b for a, b in zip(self.centres[len(xs)], xs, strict=True)]
        self.counts = {n: sum(1 for r in rows if len(r.values) == n and not r.grid) for n in self.centres}

    def place(self, values: list[Fragment], n: int) -> list[Fragment | None] | None:
        if n not in self.centres or any(v.x_center is None for v in values):
            return None
        centres = [c / self.counts[n] for c in self.centres[n]]
        placed: list[Fragment | None] = [None] * n
        for value in values:
            x = value.x_center
            assert x is not None
            column = min(range(n), key=lambda i: abs(centres[i] - x))
            if placed[column] is not None:
                return None
            placed[column] = value
        return placed


def _short_row(where: str, found: int, expected: int, line: Line) -> Diagnostic:
    return Diagnostic(
        code="PARSE-CELL-ALIGN",
        level=DiagnosticLevel.WARNING,
        message=f"{where}: {found} of {expected} cells found; the missing ones are taken as the last",
        location=location_of(line),
    )


@dataclass(frozen=True)
class _Picked:
    cells: list[Fragment | None]  # the n cells taken as the row's values
    dropped: list[Fragment]  # written cells left out
    guessed: bool  # the written cells fit the n columns at more than one place


def _pick(values: list[Fragment], n: int) -> _Picked:
    """n consecutive value cells out of more: those holding the most written cells, the last on a tie.

    A Word table may keep as separate blank cells what the template merges (table 二's 本年处理决定数量
    spans three columns), so the figure can sit in any of them. The written cells left out are returned,
    to be reported, never dropped silently.
    """
    written = [i for i, v in enumerate(values) if v.text]
    last = len(values) - n
    start = max(range(last + 1), key=lambda s: (sum(s <= i < s + n for i in written), s))
    dropped = [values[i] for i in written if not start <= i < start + n]
    # Moved off the last n with room on both sides: which blank is which column is a guess.
    guessed = start < last and not dropped and start > max(0, written[-1] - n + 1)
    return _Picked(list(values[start : start + n]), dropped, guessed)


def _align(
    row: RawRow, n: int, guide: _ColumnGuide, diagnostics: list[Diagnostic], where: str
) -> tuple[list[Fragment | None], list[Fragment]]:
    """The row's n value cells (None where it has none) and the written cells left out."""
    values = row.values
    if len(values) == n:
        return list(values), []
    if len(values) > n:
        picked = _pick(values, n)
        if picked.guessed:
            diagnostics.append(
                Diagnostic(
                    code="PARSE-CELL-ALIGN",
                    level=DiagnosticLevel.WARNING,
                    message=f"{where}: {len(values)} cells for {n} columns; the written ones are taken as the first",
                    location=location_of(row.line),
                )
            )
        return picked.cells, picked.dropped
    placed = None if row.grid else guide.place(values, n)
    if placed is not None:
        return placed, []
    diagnostics.append(_short_row(where, len(values), n, row.line))
    return [*values, *([None] * (n - len(values)))], []


def _stray_labels(line: Line, table_id: str, label: str) -> list[str]:
    """Text cells to the right of a row's own label cell on its line (a label not quite the template's).

    Empty when no cell of the line carries the label (it is on the lines above): nothing is known
    to sit beside it then.
    """
    labels, _ = split_row(line, _ROW_LABELS.get(table_id, frozenset()))
    want = normalize(label)
    stray: list[str] = []
    for cell in reversed(labels):
        text = normalize(cell.text)
        if text in want or label_score(want, text) >= _ROW_THRESHOLD:
            return stray[::-1]
        stray.append(cell.text)
    return []


def _diagnose_stray(
    spec: TableSpec, row: TableRow, raw: RawRow, dropped: list[Fragment], diagnostics: list[Diagnostic]
) -> None:
    """A value cell left blank while the row holds text elsewhere, or written cells not read: never silent."""
    blank = next((c for c in row.cells if c.kind is CellKind.BLANK), None)
    stray = [f.text for f in dropped]
    if blank is not None and row.row_id is not None:
        stray += _stray_labels(raw.line, spec.table_id, row.label.template)
    if not dropped and (blank is None or not stray):
        return
    where = f"{spec.table_id} {row.row_id or row.label.found}"
    quoted = "、".join(f"“{text}”" for text in stray)
    if blank is not None:
        message = f"{where}: “{blank.column}” is empty while the row also holds {quoted}, not read as a value"
    else:
        message = (
            f"{where}: {quoted} not read: the row has more written cells than its {len(row.cells)} value column(s)"
        )
    diagnostics.append(
        Diagnostic(
            code="PARSE-CELL-STRAY",
            level=DiagnosticLevel.WARNING,
            message=message,
            location=blank.location if blank is not None else row.location,
        )
    )


def _header_matches(labels: tuple[str, ...], header_text: str, table_id: str, first: Line | None) -> list[LabelMatch]:
    matches = []
    for label in dict.fromkeys(labels):
        want = normalize(label)
        location = location_of(first, table=table_id) if first else None
        if want in header_text:
            matches.append(LabelMatch(template=label, found=label, quality=MatchQuality.EXACT, similarity=1.0))
        else:
            # Headers open the region: the fuzzy search stays near its start, so a huge region costs no more.
            head = header_text[:_HEADER_SEARCH_CHARS]
            best = max(
                (head[i : i + len(want)] for i in range(max(1, len(head) - len(want) + 1))),
                key=lambda window: similarity(want, window),
                default="",
            )
            quality, score = compare(label, best)
            matches.append(LabelMatch(template=label, found=best or None, quality=quality, similarity=round(score, 3)))
        if location is not None:
            matches[-1].location = location
    return matches


def _match_rows(
    spec: TableSpec, raw_rows: list[RawRow], diagnostics: list[Diagnostic], noise: tuple[str, ...]
) -> tuple[list[TableRow], list[TableRow]]:
    guide = _ColumnGuide(raw_rows)
    matched: dict[str, TableRow] = {}
    extra: list[TableRow] = []
    cursor = 0
    for raw in raw_rows:
        found = strip_noise(raw.label, noise)
        window = spec.rows[cursor : cursor + _LOOKAHEAD]
        scored = [(label_score(normalize(r.label), found), i, r) for i, r in enumerate(window)]
        score, offset, row_spec = max(scored, key=lambda t: (t[0], -t[1]), default=(0.0, 0, None))
        if row_spec is None or score < _ROW_THRESHOLD:
            if any(v.text for v in raw.values):  # a blank row that is no template row is a header row
                extra.append(_extra_row(spec, raw, diagnostics))
            continue
        cursor += offset + 1
        matched[row_spec.row_id] = _table_row(spec, row_spec, raw, found, score, guide, diagnostics)
    rows = [matched.get(r.row_id) or _missing_row(r) for r in spec.rows]
    return rows, extra


def _table_row(
    spec: TableSpec,
    row_spec: RowSpec,
    raw: RawRow,
    found: str,
    score: float,
    guide: _ColumnGuide,
    diagnostics: list[Diagnostic],
) -> TableRow:
    quality, _ = compare(row_spec.label, found)
    if score >= 0.99 and quality is not MatchQuality.EXACT:
        quality = MatchQuality.EXACT if normalize(row_spec.label) in found else quality
    if quality is MatchQuality.MISSING:
        quality = MatchQuality.FUZZY  # accepted by order and partial text: a label with parts missing
    values, dropped = _align(raw, len(row_spec.columns), guide, diagnostics, f"{spec.table_id} {row_spec.row_id}")
    row = TableRow(
        row_id=row_spec.row_id,
        label=LabelMatch(
            template=row_spec.label,
            found=raw.label,
            quality=quality,
            similarity=round(max(score, similarity(normalize(row_spec.label), found)), 3),
            location=location_of(raw.line, table=spec.table_id, row=row_spec.row_id),
        ),
        cells=[
            _cell(spec, row_spec.row_id, column, value, raw.line)
            for column, value in zip(row_spec.columns, values, strict=True)
        ],
        location=location_of(raw.line, table=spec.table_id, row=row_spec.row_id),
    )
    _diagnose_stray(spec, row, raw, dropped, diagnostics)
    return row


def _extra_row(spec: TableSpec, raw: RawRow, diagnostics: list[Diagnostic]) -> TableRow:
    columns = spec.rows[0].columns if spec.table_id == "table3" else tuple(str(i + 1) for i in range(len(raw.values)))
    picked = _pick(raw.values, len(columns)) if len(raw.values) > len(columns) else _Picked(list(raw.values), [], False)
    values = picked.cells + [None] * (len(columns) - len(picked.cells))
    row = TableRow(
        row_id=None,
        label=LabelMatch(template="", found=raw.label, quality=MatchQuality.MISSING),
        cells=[_cell(spec, None, c, v, raw.line) for c, v in zip(columns, values, strict=True)],
        location=location_of(raw.line, table=spec.table_id),
    )
    if picked.dropped:
        _diagnose_stray(spec, row, raw, picked.dropped, diagnostics)
    return row


def _missing_row(row_spec: RowSpec) -> TableRow:
    return TableRow(
        row_id=row_spec.row_id,
        label=LabelMatch(template=row_spec.label, quality=MatchQuality.MISSING),
        missing=True,
    )


def read_table2(lines: list[Line], diagnostics: list[Diagnostic]) -> Table:
    raw_rows, header_text = read_rows(lines, _ROW_LABELS["table2"])
    old = sum(1 for sig in SIGNATURES_2019 if normalize(sig) in header_text)
    spec = TABLE2_2019 if old >= 2 else TABLE2_2021
    return _build(spec, lines, raw_rows, header_text, diagnostics, noise=(), layout=_layout(spec))


def read_table3(lines: list[Line], diagnostics: list[Diagnostic]) -> Table:
    raw_rows, header_text = read_rows(lines, _ROW_LABELS["table3"])
    table = _build(TABLE3, lines, raw_rows, header_text, diagnostics, noise=_NOISE, layout=ReportFormat.F2021)
    missing_other = all((row := table.row(r)) is not None and row.missing for r in ("R21", "R22", "R23"))
    if missing_other and any(normalize("（六）其他处理") in normalize(r.label.found or "") for r in table.extra_rows):
        table.layout = ReportFormat.F2019
    return table


def read_table4(lines: list[Line], diagnostics: list[Diagnostic]) -> Table:
    """Table 四 has no row labels: its figures are the first 15 value cells after the header."""
    raw_rows, header_text = read_rows(lines)
    raw_rows = [r for r in raw_rows if any(v.text for v in r.values)]  # labelled blank rows are headers here
    table = Table(table_id="table4", found=bool(raw_rows))
    table.headers = _table4_headers(header_text)
    if not raw_rows:
        return table
    first = raw_rows[0]
    values: list[Fragment] = [v for r in raw_rows for v in r.values][: len(T4_COLUMNS)]
    if len(values) < len(T4_COLUMNS):
        diagnostics.append(_short_row("table4", len(values), len(T4_COLUMNS), first.line))
    padded: list[Fragment | None] = [*values, *([None] * (len(T4_COLUMNS) - len(values)))]
    row_spec = TABLE4.rows[0]
    table.rows = [
        TableRow(
            row_id=row_spec.row_id,
            label=LabelMatch(template=row_spec.label, found=None, quality=MatchQuality.EXACT, similarity=1.0),
            cells=[_cell(TABLE4, row_spec.row_id, c, v, first.line) for c, v in zip(T4_COLUMNS, padded, strict=True)],
            location=location_of(first.line, table="table4"),
        )
    ]
    table.location = location_of(lines[0], table="table4")
    return table


def _table4_headers(header_text: str) -> list[LabelMatch]:
    """Each of the 15 column heads: the k-th occurrence of an outcome label belongs to block k."""
    matches = _header_matches(TABLE4.header_labels[:4], header_text, "table4", None)
    for outcome in T4_OUTCOMES:
        occurrences = header_text.count(normalize(outcome))
        for k, column in enumerate(c for c in T4_COLUMNS if c.endswith("/" + outcome)):
            quality = MatchQuality.EXACT if k < occurrences else MatchQuality.MISSING
            matches.append(
                LabelMatch(
                    template=column,
                    found=outcome if k < occurrences else None,
                    quality=quality,
                    similarity=1.0 if k < occurrences else 0.0,
                )
            )
    return matches


def _layout(spec: TableSpec) -> ReportFormat:
    return ReportFormat.F2019 if spec is TABLE2_2019 else ReportFormat.F2021


def _build(
    spec: TableSpec,
    lines: list[Line],
    raw_rows: list[RawRow],
    header_text: str,
    diagnostics: list[Diagnostic],
    noise: tuple[str, ...],
    layout: ReportFormat,
) -> Table:
    table = Table(table_id=spec.table_id, layout=layout)
    if not raw_rows:
        table.rows = [_missing_row(r) for r in spec.rows]
        return table
    table.found = True
    table.location = location_of(lines[0], table=spec.table_id)
    table.headers = _header_matches(spec.header_labels, header_text, spec.table_id, lines[0])
    table.rows, table.extra_rows = _match_rows(spec, raw_rows, diagnostics, noise)
    return table
