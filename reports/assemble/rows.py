"""Reading the data rows of a table region, whatever the source format.

A data row is a line ending in value cells. Label text seen before it (wrapped label lines,
merged group labels, header cells, vertical text from a merged cell) accumulates and is offered to
the label matcher with the row, so a label split over lines or pages is still recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dwatch.reports.labels import normalize, similarity
from dwatch.reports.layout import Fragment, Line
from dwatch.reports.numbers import looks_like_value

_TOKEN = re.compile(r"\S+")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")  # a normalised label's closing "(…)" note


@dataclass
class RawRow:
    label: str  # label text accumulated up to and including this line (raw)
    values: list[Fragment]  # value cells in order (blank cells included when the source has them)
    grid: bool  # values are positional cells, blanks included
    line: Line
    label_lines: list[Line] = field(default_factory=list)


def cells_of(line: Line) -> tuple[Fragment, ...]:
    """A line's cells: grid cells as they are, PDF words as they are, plain text split on spaces."""
    if line.grid or len(line.fragments) > 1 or line.fragments[0].x0 is not None:
        return line.fragments
    return tuple(Fragment(m.group()) for m in _TOKEN.finditer(line.fragments[0].text))


def split_row(line: Line, row_labels: frozenset[str] = frozenset()) -> tuple[list[Fragment], list[Fragment]]:
    """(label cells, trailing value cells). Grid rows keep their empty value cells.

    In a grid row, every cell right of a cell that is exactly a template row label (`row_labels`,
    normalised) is a value cell, whatever it holds: words typed where a figure belongs ("见附件")
    are then that row's value, not label text run into the next row.
    """
    cells = list(cells_of(line))
    cut = len(cells)
    while cut > 0 and (looks_like_value(cells[cut - 1].text) or (line.grid and not cells[cut - 1].text)):
        cut -= 1
    if line.grid and row_labels:
        labelled = [i for i, c in enumerate(cells[:cut]) if c.text and normalize(c.text) in row_labels]
        cut = labelled[-1] + 1 if labelled else cut
    labels = [c for c in cells[:cut] if c.text]
    values = cells[cut:]
    # A row of empty cells carries no data, unless it is a labelled grid row: a template row left blank.
    if not any(v.text for v in values) and not (line.grid and labels):
        return labels, []
    return labels, values


def read_rows(lines: list[Line], row_labels: frozenset[str] = frozenset()) -> tuple[list[RawRow], str]:
    """Data rows of a region, and the normalised text of everything that was not a value."""
    rows: list[RawRow] = []
    pending: list[str] = []
    pending_lines: list[Line] = []
    all_labels: list[str] = []
    for line in lines:
        labels, values = split_row(line, row_labels)
        label_text = "".join(c.text for c in labels)
        all_labels.append(label_text)
        if not values:
            if label_text:
                pending.append(label_text)
                pending_lines.append(line)
            continue
        rows.append(RawRow("".join(pending) + label_text, values, line.grid, line, [*pending_lines, line]))
        pending, pending_lines = [], []
    return rows, normalize("".join(all_labels))


# Labels of merged cells that carry no data of their own: stripped before matching a row label.
def strip_noise(label: str, noise: tuple[str, ...]) -> str:
    text = normalize(label)
    for junk in noise:
        text = text.replace(junk, "")
    return text


def label_score(template_label: str, found: str) -> float:
    """How well accumulated label text `found` (normalised) stands for `template_label` (normalised).

    Containment scores near 1: the accumulated text may carry merged-cell labels around the row's own.
    A leading part of the template label (at least half of it) scores 0.85: a PDF can place a row's
    figures beside the first line of a wrapped label.
    """
    if not found:
        return 0.0
    if template_label == found:
        return 1.0
    if template_label in found:
        return 0.99
    if len(found) * 2 >= len(template_label) and template_label.startswith(found):
        return 0.85
    if _TRAILING_NOTE.sub("", template_label) in (found, found[-len(template_label) :]) and len(found) >= 4:
        return 0.8  # the label without its parenthetical note, e.g. "（二）部分公开"
    tail = found[-(len(template_label) + 2) :]
    return max(similarity(template_label, found), similarity(template_label, tail))
