"""Plain text: pasted reports, and text exported from Word (spec §8.1).

In the Word export each table cell starts with a TAB, a cell's hard line breaks continue on the
next line without a TAB, and rows are separated by an empty line. Text without TAB cells is read
as paragraphs; `assemble` splits table-looking paragraphs into cells itself.
"""

from __future__ import annotations

from dwatch.reports.layout import Fragment, Layout, Line
from dwatch.reports.model import Diagnostic
from dwatch.reports.parsers.encoding import decode
from dwatch.reports.parsers.limits import ParseLimits


def extract(data: bytes, limits: ParseLimits, content_type: str | None = None) -> Layout:
    text, _, diagnostics = decode(data, content_type)
    return from_text(text[: limits.max_text_chars], limits, diagnostics_in=diagnostics)


def from_text(text: str, limits: ParseLimits, diagnostics_in: list[Diagnostic] | None = None) -> Layout:
    layout = Layout(diagnostics=list(diagnostics_in or []))
    row: list[str] = []
    row_start = 0
    in_row_cell = False  # the previous line was a cell, so a TAB-less line continues it

    def close_row() -> None:
        nonlocal row, in_row_cell
        if row:
            layout.lines.append(Line(tuple(Fragment(c) for c in row), grid=True, in_table=True, line_no=row_start))
        row, in_row_cell = [], False

    for number, raw in enumerate(text.splitlines()[: limits.max_lines], start=1):
        line = raw.rstrip("\r")
        if line.startswith("\t"):
            if not row:
                row_start = number
            row.append(line[1:])
            in_row_cell = True
        elif not line.strip(" \t"):
            close_row()
        elif in_row_cell:
            row[-1] += "\n" + line
        else:
            layout.lines.append(Line.paragraph(line, line_no=number))
    close_row()
    return layout
