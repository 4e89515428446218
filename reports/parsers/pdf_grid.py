"""Page geometry for the PDF parser: characters into visual lines, ruling lines into table cells.

Pure Python on plain coordinates (PDF user space, y pointing up), so it is independent of pdfium
and testable on its own. A table is a connected set of horizontal and vertical rules; its cells are
the boxes of the finest grid the rules define, merged wherever no rule separates two of them
(this is how a merged cell, e.g. a vertical label spanning 22 rows, is recovered).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from dwatch.reports.parsers.limits import Limit, LimitHit, ParseLimits

SNAP = 2.0  # points: rules closer than this are one rule (line widths, double-drawn borders)
_LINE_OVERLAP = 0.5  # a char joins a line when its centre is within this share of the line height
_WIDE_GAP = 0.3  # a gap wider than this share of the char height reads as a space
_CJK_GAP = 1.0  # … between two CJK characters, this share


@dataclass(frozen=True, slots=True)
class Char:
    text: str
    x0: float
    y0: float  # bottom
    x1: float
    y1: float  # top

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True, slots=True)
class Rule:
    """An axis-aligned ruling line: at `pos` (y if horizontal, x if vertical), from `start` to `end`."""

    horizontal: bool
    pos: float
    start: float
    end: float


# ---------------------------------------------------------------------------------------------
# Characters into text


def group_lines(chars: Iterable[Char]) -> list[list[Char]]:
    """Visual lines, top to bottom, each sorted left to right."""
    lines: list[list[Char]] = []
    centre = height = 0.0
    for char in sorted(chars, key=lambda c: -c.cy):
        if lines and abs(centre - char.cy) <= _LINE_OVERLAP * min(height, char.height or height):
            lines[-1].append(char)
            continue
        lines.append([char])
        centre, height = char.cy, char.height
    for line in lines:
        line.sort(key=lambda c: c.x0)
    return lines


def line_text(line: Sequence[Char]) -> str:
    """A visual line's text: real spaces kept (collapsed), a space added where the gap is wide."""
    out: list[str] = []
    previous: Char | None = None
    for char in line:
        if char.text.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if previous is not None and out[-1] != " " and _spaced(previous, char):
            out.append(" ")
        out.append(char.text)
        previous = char
    return "".join(out).strip()


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _spaced(left: Char, right: Char) -> bool:
    """A wide gap reads as a space; between CJK characters only a gap of a full character does,
    as justified and letter-spaced Chinese text has narrower gaps that are not word breaks."""
    share = _CJK_GAP if _is_wide(left.text) and _is_wide(right.text) else _WIDE_GAP
    return right.x0 - left.x1 > share * max(right.height, 1.0)


def join_wrapped(parts: Iterable[str]) -> str:
    """A cell's wrapped lines as one text: CJK wraps join directly, Latin words keep a space."""
    text = ""
    for part in parts:
        if not part:
            continue
        if text and not (_is_wide(text[-1]) or _is_wide(part[0])):
            text += " "
        text += part
    return text


# ---------------------------------------------------------------------------------------------
# Rules into tables


def _snap_groups(values: list[float]) -> list[list[int]]:
    """Indexes of `values` grouped where positions lie within SNAP of the group's first, ascending."""
    groups: list[list[int]] = []
    for i in sorted(range(len(values)), key=values.__getitem__):
        if groups and values[i] - values[groups[-1][0]] <= SNAP:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _cluster(values: list[float]) -> list[float]:
    """Positions closer than SNAP merged into one (their mean), ascending."""
    return [sum(values[i] for i in g) / len(g) for g in _snap_groups(values)]


def merge_rules(rules: list[Rule]) -> list[Rule]:
    """Collinear rules that touch or overlap joined: Word draws a border as one piece per cell."""
    merged: list[Rule] = []
    for horizontal in (True, False):
        same = [r for r in rules if r.horizontal is horizontal]
        for group in _snap_groups([r.pos for r in same]):
            pos = sum(same[i].pos for i in group) / len(group)
            pieces = sorted((same[i] for i in group), key=lambda r: r.start)
            start, end = pieces[0].start, pieces[0].end
            for piece in pieces[1:]:
                if piece.start > end + SNAP:
                    merged.append(Rule(horizontal, pos, start, end))
                    start = piece.start
                end = max(end, piece.end)
            merged.append(Rule(horizontal, pos, start, end))
    return merged


def _crosses(h: Rule, v: Rule) -> bool:
    return h.start - SNAP <= v.pos <= h.end + SNAP and v.start - SNAP <= h.pos <= v.end + SNAP


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _connected(rules: list[Rule]) -> list[list[Rule]]:
    """Sets of rules that touch each other: one per table (or frame, or underline)."""
    links = _UnionFind(len(rules))
    for i, h in enumerate(rules):
        if not h.horizontal:
            continue
        for j, v in enumerate(rules):
            if not v.horizontal and _crosses(h, v):
                links.union(i, j)
    groups: dict[int, list[Rule]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(links.find(i), []).append(rule)
    return list(groups.values())


@dataclass
class Grid:
    """A ruled table: the finest grid of its rules, and which cell each grid box belongs to."""

    xs: list[float]  # column boundaries, left to right
    ys: list[float]  # row boundaries, top to bottom (descending y)
    cell_of: list[list[int]]  # [row][column] → cell id; a merged cell owns several boxes
    texts: dict[int, list[Char]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._down = [-y for y in self.ys]  # ascending, for bisect

    def contains(self, char: Char) -> bool:
        return self.xs[0] <= char.cx <= self.xs[-1] and self.ys[-1] <= char.cy <= self.ys[0]

    def add(self, char: Char) -> None:
        column = min(bisect_right(self.xs, char.cx) - 1, len(self.xs) - 2)
        row = min(bisect_right(self._down, -char.cy) - 1, len(self.ys) - 2)
        self.texts.setdefault(self.cell_of[max(row, 0)][max(column, 0)], []).append(char)

    def rows(self) -> list[tuple[float, list[tuple[str, float, float]]]]:
        """Per grid row with text: its top y and its cells as (text, x0, x1), left to right.

        A merged cell's text is given in the first row it covers; in the rows below it is an
        empty cell, so value columns stay in place.
        """
        first_row: dict[int, int] = {}
        for r, row in enumerate(self.cell_of):
            for cell in row:
                first_row.setdefault(cell, r)
        text = {cell: join_wrapped(line_text(ln) for ln in group_lines(chars)) for cell, chars in self.texts.items()}
        out = []
        for r, row in enumerate(self.cell_of):
            cells: list[tuple[str, float, float]] = []
            for c, cell in enumerate(row):
                if c and row[c - 1] == cell:
                    cells[-1] = (cells[-1][0], cells[-1][1], self.xs[c + 1])
                    continue
                cells.append((text.get(cell, "") if first_row[cell] == r else "", self.xs[c], self.xs[c + 1]))
            if any(t for t, _, _ in cells):
                out.append((self.ys[r], cells))
        return out


def _rules_at(rules: list[Rule], positions: list[float]) -> list[list[Rule]]:
    """For each grid boundary, the rules lying on it: a box's side is looked up, not searched for."""
    ordered = sorted(rules, key=lambda r: r.pos)
    keys = [r.pos for r in ordered]
    return [ordered[bisect_left(keys, p - SNAP) : bisect_right(keys, p + SNAP)] for p in positions]


def _boundaries(rules: list[Rule]) -> tuple[list[float], list[float]] | None:
    """The grid lines of a set of connected rules: xs left to right, ys top to bottom."""
    horizontal = [r for r in rules if r.horizontal]
    vertical = [r for r in rules if not r.horizontal]
    if not horizontal or not vertical:
        return None
    # The rules' own extents close a table whose outer borders are not drawn.
    xs = _cluster([v.pos for v in vertical] + [min(h.start for h in horizontal), max(h.end for h in horizontal)])
    ys = _cluster([h.pos for h in horizontal] + [min(v.start for v in vertical), max(v.end for v in vertical)])
    ys.reverse()
    return (xs, ys) if len(xs) >= 2 and len(ys) >= 2 else None


def _grid(rules: list[Rule], xs: list[float], ys: list[float]) -> Grid | None:
    horizontal = [r for r in rules if r.horizontal]
    vertical = [r for r in rules if not r.horizontal]
    boxes = _UnionFind((len(ys) - 1) * (len(xs) - 1))
    width = len(xs) - 1
    on_x, on_y = _rules_at(vertical, xs), _rules_at(horizontal, ys)

    def ruled(candidates: list[Rule], at: float) -> bool:
        return any(r.start - SNAP <= at <= r.end + SNAP for r in candidates)

    for r, (top, bottom) in enumerate(pairwise(ys)):
        for c, (left, right) in enumerate(pairwise(xs)):
            if c + 1 < width and not ruled(on_x[c + 1], (top + bottom) / 2):
                boxes.union(r * width + c, r * width + c + 1)
            if r + 2 < len(ys) and not ruled(on_y[r + 1], (left + right) / 2):
                boxes.union(r * width + c, (r + 1) * width + c)
    cell_of = [[boxes.find(r * width + c) for c in range(width)] for r in range(len(ys) - 1)]
    if len({cell for row in cell_of for cell in row}) < 2:  # a single box is a frame or a text box
        return None
    # One row is enough: the last row of a table can stand alone at the top of the next page.
    return Grid(xs, ys, cell_of)


def find_grids(rules: list[Rule], limits: ParseLimits) -> tuple[list[Grid], LimitHit | None]:
    """The ruled tables on a page, from its axis-aligned rules, and the limit hit if any was too large.

    The work is bounded on hostile input: rules × rules to connect them, boxes to merge cells. Too
    many rules or boxes are a drawing (or a bomb): their text is read as prose, and the hit reported.
    """
    merged = merge_rules(rules)
    if len(merged) > limits.max_grid_rules:
        detail = f"{len(merged)} ruling lines on the page; its tables were read as plain text"
        return [], LimitHit(limit=Limit.GRID_RULES, value=limits.max_grid_rules, detail=detail)
    grids: list[Grid] = []
    hit = None
    for group in _connected(merged):
        bounds = _boundaries(group)
        if bounds is None:
            continue
        xs, ys = bounds
        if (len(xs) - 1) * (len(ys) - 1) > limits.max_grid_boxes:
            detail = f"a ruled area of {len(ys) - 1} × {len(xs) - 1} boxes was read as plain text"
            hit = LimitHit(limit=Limit.GRID_BOXES, value=limits.max_grid_boxes, detail=detail)
        elif (grid := _grid(group, xs, ys)) is not None:
            grids.append(grid)
    return grids, hit
