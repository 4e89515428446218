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


class Recognizer(Protocol):
    def __call__(self, lines: Sequence[NDArray[np.uint8]]) -> list[tuple[str, float]]:
        """The text and confidence (0-1) of each normalised greyscale text-line image."""
        ...


@dataclass(frozen=True, slots=True)
class CellText:
    text: str
    confidence: float  # 1.0 for an empty cell (no ink: certainly blank)


class EngineMissing(RuntimeError):
    """The OCR engine is not installed (the `ocr` extra)."""


@cache
def engine() -> Any:
    """RapidOCR (detection, recognition), loaded once per process from the models in its wheel."""
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EngineMissing("OCR needs the `ocr` extra: pip install 'disclosure-watch[ocr]'") from exc
    # Recognition pads every line to at least the model's nominal width: 160 instead of 320 pixels halves
    # the work on one-number cells and reads them the same (narrower reads 0 as "o").
    threads = min(4, os.cpu_count() or 1)
    return RapidOCR(rec_batch_num=16, rec_img_shape=[3, 48, 160], intra_op_num_threads=threads, inter_op_num_threads=1)


def rapidocr(lines: Sequence[NDArray[np.uint8]]) -> list[tuple[str, float]]:
    """RapidOCR's PP-OCRv4 recogniser on the lines (recognition only: the cells are found already)."""
    if not lines:
        return []
    recognise = engine().text_rec
    results, _ = recognise([np.repeat(line[:, :, None], 3, axis=2) for line in lines])
    return [(str(text), float(score)) for text, score in results]


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
    flat = [line for lines in per_cell for line in lines]
    results = iter(recognise(flat))
    out = []
    for lines in per_cell:
        read = [next(results) for _ in lines]
        if not read:
            out.append(CellText("", 1.0))
            continue
        out.append(CellText("".join(t for t, _ in read).strip(), min(c for _, c in read)))
    return out
