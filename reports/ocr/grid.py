"""Ruled tables in an image: find the grid lines, the tables they form and each (merged) cell's box.

Pure numpy on a greyscale image. The image is binarised (Otsu), deskewed by the angle that makes the
long horizontal rules sharpest (scans are a degree or two off), then horizontal and vertical rules are
the runs of ink much longer than any character. Rules that touch form one table; its distinct rule
positions make an elementary grid, and two neighbouring elementary cells are one (merged) cell when
no rule separates them. Cells are returned row by row in column order, each at its top row only:
the convention of `reports/layout.py` for grid lines (an HTML rowspan-covered position has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Mask = NDArray[np.bool_]

# A horizontal rule is a run of ink at least this long, in pixels (characters are ~15-40 px at 150 dpi);
# a vertical one may be as short as a one-row table's height. Strokes of characters never touch rules.
_MIN_RULE = 40
_MIN_VERTICAL = 20
# … and at most this thick; rules closer than `_MERGE` pixels are one.
_MERGE = 4
_MAX_SKEW = 3.0  # degrees


@dataclass(frozen=True, slots=True)
class Segment:
    pos: int  # y of a horizontal rule, x of a vertical one
    start: int  # its extent along the other axis
    end: int


@dataclass(frozen=True, slots=True)
class CellBox:
    row: int  # top elementary row
    col: int  # left elementary column
    rows: int  # span
    cols: int
    box: tuple[int, int, int, int]  # left, top, right, bottom (exclusive), inside the rules


@dataclass(frozen=True, slots=True)
class TableGrid:
    box: tuple[int, int, int, int]  # left, top, right, bottom of the table's outer rules
    cells: tuple[CellBox, ...]
    n_rows: int
    n_cols: int

    def rows(self) -> list[list[CellBox]]:
        """The cells starting on each elementary row, left to right (rows without a start are left out)."""
        out: dict[int, list[CellBox]] = {}
        for cell in self.cells:
            out.setdefault(cell.row, []).append(cell)
        return [sorted(out[r], key=lambda c: c.col) for r in sorted(out)]


def grey(image: Image.Image) -> NDArray[np.uint8]:
    return np.asarray(image.convert("L"), dtype=np.uint8)


def otsu(pixels: NDArray[np.uint8]) -> int:
    """The threshold between ink and paper that best separates the two (Otsu's method)."""
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    weights = np.cumsum(hist)
    means = np.cumsum(hist * np.arange(256))
    background = total - weights
    valid = (weights > 0) & (background > 0)
    between = np.zeros(256)
    mean_all = means[-1]
    w, m = weights[valid], means[valid]
    between[valid] = (mean_all * w / total - m) ** 2 / (w * (total - w) / total)
    return int(np.argmax(between))


def ink(pixels: NDArray[np.uint8]) -> Mask:
    return pixels < otsu(pixels)


def _runs(mask: Mask, length: int) -> Mask:
    """The pixels of `mask` lying in a horizontal run of at least `length` pixels."""
    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    padded = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=padded[:, 1:])
    full = (padded[:, length:] - padded[:, :-length]) == length  # window [i, i+length) all ink
    out = np.zeros((h, w + 1), dtype=np.int32)
    starts = full.astype(np.int32)
    out[:, : w - length + 1] += starts
    out[:, length : w + 1] -= starts
    return np.cumsum(out, axis=1)[:, :w] > 0


def skew_angle(mask: Mask) -> float:
    """The rotation (degrees) that makes the long horizontal rules sharpest; 0 for an upright image.

    Sharpest: the sum of squares of the count of rule pixels in each row. Each candidate angle moves the
    rule pixels' coordinates, not the image (a rotated image cost 25 times as much)."""
    rows, cols = np.nonzero(_runs(mask, _MIN_RULE // 2))
    if rows.size == 0:
        return 0.0
    y = rows - mask.shape[0] / 2
    x = cols - mask.shape[1] / 2

    def sharpness(angle: float) -> float:
        radians = np.radians(angle)
        # The row of each pixel once the image is turned by `angle` counter-clockwise about its centre.
        turned = np.rint(y * np.cos(radians) - x * np.sin(radians)).astype(np.int64)
        counts = np.bincount(turned - turned.min()).astype(np.float64)
        return float((counts**2).sum())

    best = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.25), key=lambda a: sharpness(float(a)))
    fine = max(np.arange(best - 0.25, best + 0.26, 0.05), key=lambda a: sharpness(float(a)))
    return 0.0 if abs(fine) < 0.1 else float(fine)


def deskew(image: Image.Image) -> tuple[Image.Image, float]:
    """`image` (greyscale) rotated upright, and the angle it was turned by (`turn` repeats it)."""
    grey_image = image.convert("L")
    angle = skew_angle(ink(grey(grey_image)))
    return turn(grey_image, angle), angle


def turn(image: Image.Image, angle: float) -> Image.Image:
    """`image` (greyscale) rotated by `angle` degrees about its centre, same size; white fills the corners."""
    grey_image = image.convert("L")
    if angle == 0.0:
        return grey_image
    return grey_image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)


def _segments(rules: Mask, minimum: int = _MIN_RULE) -> list[Segment]:
    """Horizontal segments of a horizontal-rule mask: rows of rule pixels grouped into rules."""
    rows = np.flatnonzero(rules.any(axis=1))
    out: list[Segment] = []
    if rows.size == 0:
        return out
    groups = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for group in groups:
        band = rules[group[0] : group[-1] + 1].any(axis=0)
        cols = np.flatnonzero(band)
        pieces = np.split(cols, np.flatnonzero(np.diff(cols) > _MERGE) + 1)
        pos = round(float(group.mean()))
        out += [Segment(pos, int(p[0]), int(p[-1]) + 1) for p in pieces if p[-1] + 1 - p[0] >= minimum]
    return out


def _merge_positions(values: list[int]) -> list[int]:
    merged: list[list[int]] = []
    for v in sorted(values):
        if merged and v - merged[-1][-1] <= _MERGE:
            merged[-1].append(v)
        else:
            merged.append([v])
    return [round(sum(g) / len(g)) for g in merged]


def _covers(segments: list[Segment], pos: int, at: int) -> bool:
    """A rule of `segments` near `pos` passes `at` along its length."""
    return any(abs(s.pos - pos) <= _MERGE + 1 and s.start - _MERGE <= at <= s.end + _MERGE for s in segments)


def find_tables(image: Image.Image) -> list[TableGrid]:
    """The ruled tables of an upright greyscale image, top to bottom."""
    mask = ink(grey(image))
    horizontal = _segments(_runs(mask, _MIN_RULE))
    vertical = _segments(_runs(mask.T.copy(), _MIN_VERTICAL), _MIN_VERTICAL)
    # Tables: rules that touch, grouped (union-find over horizontal and vertical segments).
    parent = list(range(len(horizontal) + len(vertical)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if h.start - _MERGE <= v.pos <= h.end + _MERGE and v.start - _MERGE <= h.pos <= v.end + _MERGE:
                parent[find(i)] = find(len(horizontal) + j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(find(len(horizontal) + j), ([], []))[1].append(v)
    tables = [_grid(hs, vs) for hs, vs in groups.values() if len(hs) >= 2 and len(vs) >= 2]
    return sorted((t for t in tables if t is not None), key=lambda t: t.box[1])


def _grid(hs: list[Segment], vs: list[Segment]) -> TableGrid | None:
    ys, xs = _merge_positions([s.pos for s in hs]), _merge_positions([s.pos for s in vs])
    if len(ys) < 2 or len(xs) < 2:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        mid_y = (ys[r] + ys[r + 1]) // 2
        for c in range(n_cols):
            mid_x = (xs[c] + xs[c + 1]) // 2
            if c + 1 < n_cols and not _covers(vs, xs[c + 1], mid_y):
                parent[find(r * n_cols + c)] = find(r * n_cols + c + 1)
            if r + 1 < n_rows and not _covers(hs, ys[r + 1], mid_x):
                parent[find(r * n_cols + c)] = find((r + 1) * n_cols + c)
    members: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            members.setdefault(find(r * n_cols + c), []).append((r, c))
    cells = []
    for group in members.values():
        r0, r1 = min(r for r, _ in group), max(r for r, _ in group)
        c0, c1 = min(c for _, c in group), max(c for _, c in group)
        box = (xs[c0] + _MERGE, ys[r0] + _MERGE, xs[c1 + 1] - _MERGE + 1, ys[r1 + 1] - _MERGE + 1)
        cells.append(CellBox(r0, c0, r1 - r0 + 1, c1 - c0 + 1, box))
    cells.sort(key=lambda c: (c.row, c.col))
    return TableGrid((xs[0], ys[0], xs[-1], ys[-1]), tuple(cells), n_rows, n_cols)
