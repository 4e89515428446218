"""Reading the text of table cells: each cell's ink cut into text lines, normalised, recognised in batches.

Whole-image text detection misses isolated one-digit cells, and recognition of a raw cell crop reads
0 as "。" and 8 as "B": every text line of a cell is therefore trimmed to its ink, scaled to a line
height of `LINE_HEIGHT` pixels and padded before recognition. The engine (RapidOCR with the PP-OCR
Chinese models shipped in its wheel, the `ocr` extra) is imported on first use; nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

LINE_HEIGHT = 32
_PAD = 8
_MIN_INK = 3  # pixels: less is dust, not a stroke
# The recogniser pads every line of a batch to the batch's widest, and its cost grows with the width:
# RapidOCR's batches of 16 by rank put a 700 px line with 2,000 px ones (31 s of CPU instead of 8 s for
# one page's text). Batches here hold lines within `_SPREAD` of each other's width, at most `_BATCH`.
_SPREAD = 1.25
# Every line is padded to at least 160 px wide at 48 px high: half the model's nominal 320 halves the work on
# one-number cells and reads them the same; narrower reads a lone 0 as "o" (and white padding as "。").
_MIN_RATIO = 160 / 48
_BATCH = 16
# A cell's contrast (paper minus its darkest pixel, `_MARGIN` pixels in from its edges) as a share of the
# table's usual contrast (the median over its cells with ink). Print is as dark in every cell; a blurred,
# smeared or faded one is not, and the recogniser can be sure of a wrong reading of it ("8" as "B" at 0.93)
# or the ink can stay above the threshold and the cell look blank. Below `_SHARP` the confidence is capped
# at share / `_SHARP`; a cell with no ink below the threshold but a mark of at least `_FAINT` is read at a
# threshold of its own, never taken for certainly blank.
_MARGIN = 2
_SHARP = 0.8
_FAINT = 0.12


class Recognizer(Protocol):
    def __call__(self, lines: Sequence[NDArray[np.uint8]]) -> list[tuple[str, float]]:
        """The text and confidence (0-1) of each normalised greyscale text-line image."""
        ...


@dataclass(frozen=True, slots=True)
class CellText:
    text: str
    confidence: float  # 1.0 for an empty cell with no mark at all (certainly blank); low for a faint one


class EngineMissing(RuntimeError):
    """The OCR engine is not installed (the `ocr` extra)."""


@cache
def engine() -> Any:
    """RapidOCR (detection, recognition), loaded once per process from the models in its wheel."""
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EngineMissing("OCR needs the `ocr` extra: pip install 'disclosure-watch[ocr]'") from exc
    # Two threads: the deployment's two cores (more only contend with the workers sharing them).
    threads = min(2, os.cpu_count() or 1)
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)


def rapidocr(lines: Sequence[NDArray[np.uint8]], height: int = LINE_HEIGHT + 2 * _PAD) -> list[tuple[str, float]]:
    """RapidOCR's PP-OCRv4 recogniser on the lines (recognition only: the cells are found already).

    Identical line images (the many "0" cells of a table cut from a born-digital image) are read once."""
    if not lines:
        return []
    distinct: dict[tuple[tuple[int, ...], bytes], int] = {}
    slots = [distinct.setdefault((line.shape, line.tobytes()), len(distinct)) for line in lines]
    unique = [np.frombuffer(data, dtype=np.uint8).reshape(shape) for shape, data in distinct]
    rec = engine().text_rec
    read: list[tuple[str, float]] = [("", 0.0)] * len(unique)
    for batch in _batches([line.shape[1] / line.shape[0] for line in unique]):
        resized = [_to_height(unique[i], height) for i in batch]
        width = max(round(_MIN_RATIO * height), *(r.shape[1] for r in resized))
        tensor = np.zeros((len(batch), 3, height, width), dtype=np.float32)  # 0 is mid-grey, as RapidOCR pads
        for k, image in enumerate(resized):
            tensor[k, :, :, : image.shape[1]] = image / 127.5 - 1.0
        for i, (text, score) in zip(batch, rec.postprocess_op(rec.session(tensor)[0]), strict=True):
            read[i] = (str(text), float(score))
    return [read[i] for i in slots]


def _to_height(line: NDArray[np.uint8], height: int) -> NDArray[np.uint8]:
    h, w = line.shape
    if h == height:
        return line
    width = max(1, round(w * height / h))
    return np.asarray(Image.fromarray(line).resize((width, height), Image.Resampling.BILINEAR), dtype=np.uint8)


def _batches(ratios: Sequence[float]) -> list[list[int]]:
    """Indexes of `ratios` (width / height) in batches of similar width, narrowest first."""
    out: list[list[int]] = []
    for i in sorted(range(len(ratios)), key=lambda i: ratios[i]):
        if out and len(out[-1]) < _BATCH and ratios[i] <= _SPREAD * max(ratios[out[-1][0]], _MIN_RATIO):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def read_lines(
    pieces: Sequence[Sequence[NDArray[np.uint8]]], recognizer: Recognizer | None = None
) -> list[tuple[str, float]]:
    """The text of each group of lines (a cell's): joined without a space (Chinese wraps without one), with the
    confidence of its least certain line; ("", 0.0) for a group without lines."""
    recognise = recognizer or rapidocr
    results = iter(recognise([p for group in pieces for p in group]))
    out = []
    for group in pieces:
        read = [next(results) for _ in group]
        out.append(("".join(t for t, _ in read).strip(), min((c for _, c in read), default=0.0)))
    return out


def text_lines(cell: NDArray[np.uint8], threshold: int) -> list[NDArray[np.uint8]]:
    """The text lines of a greyscale cell image, each trimmed, scaled to LINE_HEIGHT and padded."""
    mask = cell < threshold
    rows = np.flatnonzero(mask.sum(axis=1) > 0)
    if rows.size == 0 or int(mask.sum()) < _MIN_INK:
        return []
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    # A band thinner than a third of the tallest is a stroke split off its line (一, the dots of 丶): joined.
    tallest = max(len(b) for b in bands)
    merged: list[list[int]] = []
    for band in bands:
        top, bottom = int(band[0]), int(band[-1]) + 1
        if merged and (
            bottom - top < tallest / 3 or (top - merged[-1][1] <= 2 and bottom - merged[-1][0] < tallest * 1.4)
        ):
            merged[-1][1] = bottom
        else:
            merged.append([top, bottom])
    out = []
    for top, bottom in merged:
        band_mask = mask[top:bottom]
        cols = np.flatnonzero(band_mask.any(axis=0))
        if cols.size == 0 or int(band_mask.sum()) < _MIN_INK:
            continue
        crop = cell[top:bottom, int(cols[0]) : int(cols[-1]) + 1]
        out.append(_normalise(crop))
    return out


def _normalise(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    h, w = crop.shape
    scale = LINE_HEIGHT / h
    width = max(1, round(w * scale))
    image = Image.fromarray(crop).resize((width, LINE_HEIGHT), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (width + 2 * _PAD, LINE_HEIGHT + 2 * _PAD), 255)
    canvas.paste(image, (_PAD, _PAD))
    return np.asarray(canvas, dtype=np.uint8)


def read_cells(
    cells: Sequence[NDArray[np.uint8]], threshold: int, recognizer: Recognizer | None = None
) -> list[CellText]:
    """The text of each cell image (lines joined without a space: Chinese wraps without one)."""
    recognise = recognizer or rapidocr
    per_cell = [text_lines(cell, threshold) for cell in cells]
    paper_dark = [_paper_and_darkest(cell) for cell in cells]
    usual = [p - d for (p, d), lines in zip(paper_dark, per_cell, strict=True) if lines]
    reference = float(np.median(usual)) if usual else 255.0 - threshold
    shares = [(p - d) / max(reference, 1.0) for p, d in paper_dark]
    for i, (lines, share, (paper, darkest)) in enumerate(zip(per_cell, shares, paper_dark, strict=True)):
        if not lines and share >= _FAINT:  # a faint mark: read at its own threshold (and never trusted)
            per_cell[i] = text_lines(cells[i], round((paper + darkest) / 2))
    out = []
    for lines, share, (text, confidence) in zip(per_cell, shares, read_lines(per_cell, recognise), strict=True):
        cap = min(1.0, share / _SHARP)
        if not lines:
            out.append(CellText("", 1.0 if share < _FAINT else cap))
            continue
        out.append(CellText(text, min(cap, confidence)))
    return out


def _paper_and_darkest(cell: NDArray[np.uint8]) -> tuple[float, float]:
    """The paper's grey level of a cell image (its median) and its darkest pixel away from the edges."""
    if cell.size == 0:
        return 255.0, 255.0
    inner = cell[_MARGIN:-_MARGIN, _MARGIN:-_MARGIN] if min(cell.shape) > 2 * _MARGIN + 2 else cell
    return float(np.median(cell)), float(inner.min())
