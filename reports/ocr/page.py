"""An image (a scanned page, an <img> table) read into layout lines the assembler reads like any other.

Each ruled table becomes grid lines: one per elementary row, a fragment per cell starting on it (in
column order), each fragment carrying the recogniser's confidence. On a whole page the text outside
the tables is detected and recognised too and becomes paragraph lines, top to bottom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from dwatch.reports.layout import Fragment, Line
from dwatch.reports.model import CellCrop
from dwatch.reports.ocr import grid, recognize
from dwatch.reports.ocr.recognize import CellText, Recognizer
from numpy.typing import NDArray
from PIL import Image

_TEXT_MIN_SCORE = 0.5
# Running text is found on the page scaled by `_DETECT_SCALE` (a 150 dpi page at 112 dpi, its body text
# still 17 px high): the detector's work more than halved, and on the synthetic scans, clean and degraded,
# as many characters read and as few wrong (its boxes are cut from the full page for recognition).
_DETECT_SCALE = 0.75
_FOOTER = re.compile(r"[-—–－·.\s]*(\d{1,3})[-—–－·.\s]*")


@dataclass(frozen=True, slots=True)
class ReadTable:
    box: tuple[int, int, int, int]
    rows: list[list[CellText]]
    boxes: list[list[tuple[int, int, int, int]]]  # each cell's box in the upright image, as `rows`


@dataclass(frozen=True, slots=True)
class ReadImage:
    lines: list[Line]
    tables: list[ReadTable]

    @property
    def cells(self) -> list[CellText]:
        return [c for t in self.tables for row in t.rows for c in row]


@dataclass(frozen=True, slots=True)
class Upright:
    """An image deskewed, its ink threshold and its ruled tables: what reading it and judging which way up
    it is (`parsers.ocr`) both need, found once."""

    pixels: NDArray[np.uint8]  # greyscale, deskewed
    angle: float  # degrees it was turned by
    threshold: int
    tables: list[grid.TableGrid]


def upright(image: Image.Image) -> Upright:
    """`image` deskewed, binarised and its ruled tables found."""
    turned, angle = grid.deskew(image)
    pixels = grid.grey(turned)
    return Upright(pixels, angle, grid.otsu(pixels), grid.find_tables(turned))


def read_tables(scan: Upright, recognizer: Recognizer | None = None) -> list[ReadTable]:
    """The ruled tables of a deskewed image, every cell read."""
    boxes = [c for t in scan.tables for c in t.cells]
    crops = [scan.pixels[c.box[1] : c.box[3], c.box[0] : c.box[2]] for c in boxes]
    texts = dict(zip(boxes, recognize.read_cells(crops, scan.threshold, recognizer), strict=True))
    return [
        ReadTable(t.box, [[texts[c] for c in row] for row in t.rows()], [[c.box for c in row] for row in t.rows()])
        for t in scan.tables
    ]


def read_image(
    scan: Upright, *, page: int | None = None, dpi: int | None = None, source: str | None = None, text: bool = True
) -> ReadImage:
    """Lines of a deskewed image: its tables as grid lines and, with `text`, the text around them as
    paragraphs. Each cell carries its crop: `source` (an <img src>) or `page` rendered at `dpi`, and its box."""
    tables = read_tables(scan)
    placed: list[tuple[int, Line]] = []
    for table in tables:
        top = table.box[1]
        for i, (row, boxes) in enumerate(zip(table.rows, table.boxes, strict=True)):
            fragments = tuple(
                Fragment(
                    c.text,
                    confidence=round(c.confidence, 4),
                    crop=CellCrop(image=source, page=page, dpi=dpi, angle=round(scan.angle, 2), box=box),
                )
                for c, box in zip(row, boxes, strict=True)
            )
            placed.append((top + i, Line(fragments, grid=True, in_table=True, page=page)))
    if text:
        blanked = scan.pixels.copy()
        for table in tables:
            left, top, right, bottom = table.box
            blanked[max(0, top - 2) : bottom + 3, max(0, left - 2) : right + 3] = 255
        placed += [(y, line) for y, line in _text_lines(blanked, page)]
    placed.sort(key=lambda p: p[0])
    return ReadImage([line for _, line in placed], tables)


def _text_lines(pixels: NDArray[np.uint8], page: int | None) -> list[tuple[int, Line]]:
    """Text outside the tables: detected boxes grouped into visual lines, left to right."""
    if not (pixels < 128).any():
        return []
    engine = recognize.engine()
    height, width = pixels.shape
    small = Image.fromarray(pixels).resize(
        (round(width * _DETECT_SCALE), round(height * _DETECT_SCALE)), Image.Resampling.BILINEAR
    )
    found, _ = engine.auto_text_det(np.asarray(small.convert("RGB")))
    if found is None:
        return []
    found = [np.asarray(points, dtype=np.float32) / _DETECT_SCALE for points in found]
    crops = [np.ascontiguousarray(crop) for crop in engine.get_crop_img_list(pixels, found)]  # cut in greyscale
    boxes: list[tuple[float, float, float, str, float]] = []  # top, bottom, left, text, score
    for points, (text, score) in zip(found, recognize.running_text(crops), strict=True):
        ys = [p[1] for p in points]
        xs = [p[0] for p in points]
        if score >= _TEXT_MIN_SCORE and text.strip():
            boxes.append((float(min(ys)), float(max(ys)), float(min(xs)), text.strip(), score))
    boxes.sort()
    groups: list[list[tuple[float, float, float, str, float]]] = []
    for box in boxes:
        if groups:
            last = groups[-1]
            top, bottom = min(b[0] for b in last), max(b[1] for b in last)
            overlap = min(bottom, box[1]) - max(top, box[0])
            if overlap > 0.5 * min(bottom - top, box[1] - box[0]):
                last.append(box)
                continue
        groups.append([box])
    out = []
    for group in groups:
        group.sort(key=lambda b: b[2])
        text = "".join(b[3] for b in group)
        footer = _FOOTER.fullmatch(text)
        if footer and min(b[0] for b in group) > 0.85 * pixels.shape[0]:
            text = f"- {footer.group(1)} -"  # a page number ("- 2 -" often reads as "2"): page furniture
        line = Line((Fragment(text, confidence=round(min(b[4] for b in group), 4)),), page=page)
        out.append((round(min(b[0] for b in group)), line))
    return out


CROP_MARGIN = 6  # pixels of the image shown around a cell's box


def cell_png(image: Image.Image, crop: CellCrop) -> bytes:
    """The cell of `crop` cut from its image (turned upright as when it was read), with a margin, as PNG."""
    upright = grid.turn(image, crop.angle)
    left, top, right, bottom = crop.box
    box = (
        max(0, left - CROP_MARGIN),
        max(0, top - CROP_MARGIN),
        min(upright.width, right + CROP_MARGIN),
        min(upright.height, bottom + CROP_MARGIN),
    )
    buffer = BytesIO()
    upright.crop(box).save(buffer, format="PNG")
    return buffer.getvalue()
