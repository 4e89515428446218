"""Reading the text of table cells: each cell's ink cut into text lines, normalised, recognised in batches.

Whole-image text detection misses isolated one-digit cells, and recognition of a raw cell crop reads
0 as "。" and 8 as "B": every text line of a cell is therefore trimmed to its ink, scaled to a line
height of `LINE_HEIGHT` pixels and padded before recognition. The engine (RapidOCR with the PP-OCR
Chinese models shipped in its wheel, the `ocr` extra) is imported on first use; nothing is downloaded.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

LINE_HEIGHT = 32
_PAD = 8
# Words (running text, a cell's label) are recognised at 32 px high rather than 48: the same readings on the
# synthetic scans at 45 % of the work. A number needs 48 (a lone digit has no neighbours to tell it by):
# lines wider than `_WIDE` times their height are words (a number that long has 7 digits).
TEXT_HEIGHT = 32
_WIDE = 3
_MIN_INK = 3  # pixels: less is dust, not a stroke
# Lines are recognised side by side: packed left to right into strips of at most `_STRIP` input widths
# (800 px at 48 px high), `_GAP` px of paper apart, each character the recogniser reads given back to the
# line under it. A one-number cell costs its own width instead of a line of its own padded to 160 px (a
# table's cells in half the CPU time), and its neighbours tell it apart as they do in print.
_STRIP = 800 / 48
_GAP = 16
# … but a strip of nothing but zeros can read them as "〇" or "o" (at 0.4-0.6): a line read at less than
# `_RECHECK` in a strip is read again alone, padded as RapidOCR pads a line.
_RECHECK = 0.9
# A strip is at least 160 px wide at 48 px high (narrower reads a lone 0 as "o" and white padding as "。").
_MIN_RATIO = 160 / 48
# The recogniser pads every strip of a batch to the batch's widest, and its cost grows with the width:
# batches hold strips within `_SPREAD` of each other's width (a 700 px text line is not padded to 2,000).
# Its cost per pixel also doubles once a batch's input outgrows the CPU's caches: a batch holds at most
# `_BATCH_AREA` pixels (1,600 px of lines at 48 px high: 8-9 ms per 160 px, where 8 strips of 800 px cost
# 16-18 ms per 160 px).
_SPREAD = 1.25
_BATCH_AREA = 1600 * 48
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
    ocr = RapidOCR()
    for infer in (ocr.text_det.infer, ocr.text_rec.session):
        infer.session = _session(infer.session)
    return ocr


def _session(loaded: Any) -> Any:
    """The model of `loaded` (an onnxruntime session) in a session of our options: two threads (the
    deployment's two cores; more only contend with the workers sharing them) that sleep between runs
    rather than spin (RapidOCR's default spinning doubled the CPU time of a batch on a busy machine)."""
    import onnxruntime  # type: ignore[import-untyped]

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(loaded._model_path, options, providers=loaded.get_providers())


@dataclass(slots=True)
class _Strip:
    lines: list[int]  # indexes of the lines packed in it, left to right
    spans: list[tuple[int, int]]  # each one's columns in the strip
    width: int


def rapidocr(lines: Sequence[NDArray[np.uint8]], *, recheck: bool = True) -> list[tuple[str, float]]:
    """RapidOCR's PP-OCRv4 recogniser on cells' normalised lines (recognition only: the cells are found
    already), packed side by side in strips, with `recheck` a doubtful reading read again alone. A line
    wider than `_WIDE` times its height (words: a row's label) is read at TEXT_HEIGHT as running text is,
    a shorter one (a number) at its full 48 px."""
    return _recognise(
        lines,
        lambda line: TEXT_HEIGHT if line.shape[1] > _WIDE * line.shape[0] else LINE_HEIGHT + 2 * _PAD,
        packed=True,
        recheck=recheck,
    )


def running_text(lines: Sequence[NDArray[np.uint8]]) -> list[tuple[str, float]]:
    """The recogniser on lines of running text, at TEXT_HEIGHT and one to a strip (they have their neighbours
    already; packed, a page number "- 2 -" read as "-2、")."""
    return _recognise(lines, lambda _: TEXT_HEIGHT, packed=False, recheck=False)


def _recognise(
    lines: Sequence[NDArray[np.uint8]], height_of: Callable[[NDArray[np.uint8]], int], *, packed: bool, recheck: bool
) -> list[tuple[str, float]]:
    """The text and confidence of each line, read at the height `height_of` gives it, with `packed` side by
    side in strips (and with `recheck` a doubtful one again alone); a line's confidence is the mean of its
    characters', as RapidOCR's would be.

    Identical line images (the many "0" cells of a table cut from a born-digital image) are read once."""
    if not lines:
        return []
    distinct: dict[tuple[tuple[int, ...], bytes], int] = {}
    slots = [distinct.setdefault((line.shape, line.tobytes()), len(distinct)) for line in lines]
    unique = [np.frombuffer(data, dtype=np.uint8).reshape(shape) for shape, data in distinct]
    by_height: dict[int, list[int]] = {}
    for i, line in enumerate(unique):
        by_height.setdefault(height_of(line), []).append(i)
    read: list[tuple[str, float]] = [("", 0.0)] * len(unique)
    for height, members in by_height.items():
        at_height = [unique[i] for i in members]
        texts = _read_at(height, at_height, packed)
        if packed and recheck:  # a doubtful reading is read again alone, and the more confident one kept
            doubtful = [k for k, (_, confidence) in enumerate(texts) if confidence < _RECHECK]
            alone = _read_at(height, [at_height[k] for k in doubtful], packed=False)
            for k, reading in zip(doubtful, alone, strict=True):
                texts[k] = max(texts[k], reading, key=lambda r: r[1])
        for i, text in zip(members, texts, strict=True):
            read[i] = text
    return [read[i] for i in slots]


def _read_at(height: int, lines: list[NDArray[np.uint8]], packed: bool) -> list[tuple[str, float]]:
    resized = [_to_height(line, height) for line in lines]
    rec = engine().text_rec
    characters: list[str] = rec.postprocess_op.character
    read: list[tuple[str, float]] = [("", 0.0)] * len(resized)
    strips = _strips([r.shape[1] for r in resized], round(_STRIP * height) if packed else 0)
    for batch in _batches(strips, height):
        width = max(round(_MIN_RATIO * height), *(strip.width for strip in batch))
        tensor = np.zeros((len(batch), 3, height, width), dtype=np.float32)  # 0 is mid-grey, as RapidOCR pads
        for k, strip in enumerate(batch):
            tensor[k, :, :, : strip.width] = 1.0  # white paper between the lines
            for i, (start, end) in zip(strip.lines, strip.spans, strict=True):
                tensor[k, :, :, start:end] = resized[i] / 127.5 - 1.0
        scores = rec.session(tensor)[0]
        for strip, probabilities in zip(batch, scores, strict=True):
            for i, text in zip(strip.lines, _decode(probabilities, strip.spans, width, characters), strict=True):
                read[i] = text
    return read


def _strips(widths: Sequence[int], limit: int) -> list[_Strip]:
    """Lines of `widths` (pixels) packed in their order (a table's, row by row) into strips of at most
    `limit` pixels (a wider line alone). A row's figures read together as they do in print; sorted by
    width, a strip of nothing but zeros read them as "o"."""
    out: list[_Strip] = []
    for i in range(len(widths)):
        start = out[-1].width + _GAP if out else 0
        if out and start + widths[i] <= limit:
            out[-1].lines.append(i)
            out[-1].spans.append((start, start + widths[i]))
            out[-1].width = start + widths[i]
        else:
            out.append(_Strip([i], [(0, widths[i])], widths[i]))
    return out


def _batches(strips: list[_Strip], height: int) -> list[list[_Strip]]:
    """`strips` (of `height` pixels) in batches of similar width, narrowest first."""
    out: list[list[_Strip]] = []
    for strip in sorted(strips, key=lambda s: s.width):
        area = max(strip.width, round(_MIN_RATIO * height)) * height  # as padded for the recogniser
        if out and (len(out[-1]) + 1) * area <= _BATCH_AREA and strip.width <= _SPREAD * out[-1][0].width:
            out[-1].append(strip)
        else:
            out.append([strip])
    return out


def _decode(
    probabilities: NDArray[np.float32], spans: list[tuple[int, int]], width: int, characters: list[str]
) -> list[tuple[str, float]]:
    """CTC decoding of one strip (greedy, as RapidOCR's), each character given to the line whose span is
    nearest the column it was read at: the text and mean confidence of each line of `spans`."""
    best = probabilities.argmax(axis=1)
    score = probabilities.max(axis=1)
    kept = best != 0  # 0 is CTC's blank
    kept[1:] &= best[1:] != best[:-1]  # a character read over several columns is one
    columns = np.flatnonzero(kept)
    centres = (columns + 0.5) * width / len(best)
    owner = np.searchsorted([(end + start) / 2 for (_, end), (start, _) in itertools.pairwise(spans)], centres)
    out = []
    for k in range(len(spans)):
        mine = columns[owner == k]
        text = "".join(characters[c] for c in best[mine]).strip()
        out.append((text, float(score[mine].mean()) if mine.size else 0.0))
    return out


def _to_height(line: NDArray[np.uint8], height: int) -> NDArray[np.uint8]:
    h, w = line.shape
    if h == height:
        return line
    width = max(1, round(w * height / h))
    return np.asarray(Image.fromarray(line).resize((width, height), Image.Resampling.BILINEAR), dtype=np.uint8)


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


def text_lines(cell: NDArray[np.uint8], threshold: int, paper: float) -> list[NDArray[np.uint8]]:
    """The text lines of a greyscale cell image whose paper is of grey level `paper`, each trimmed, its
    contrast stretched, scaled to LINE_HEIGHT and padded."""
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
        out.append(_normalise(crop, paper))
    return out


def _normalise(crop: NDArray[np.uint8], paper: float) -> NDArray[np.uint8]:
    # Its ink to black and its paper to white, as the recogniser's own padding: on a grey, noisy scan the
    # thin strokes (the foot of a 1) otherwise fade into the paper and 1 reads as "I", 11 as "Ⅱ".
    darkest = int(crop.min())
    if paper > darkest:
        stretched = (crop.astype(np.float32) - darkest) * (255.0 / (paper - darkest))
        crop = np.clip(stretched, 0, 255).astype(np.uint8)
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
    paper_dark = [_paper_and_darkest(cell) for cell in cells]
    per_cell = [text_lines(cell, threshold, paper) for cell, (paper, _) in zip(cells, paper_dark, strict=True)]
    usual = [p - d for (p, d), lines in zip(paper_dark, per_cell, strict=True) if lines]
    reference = float(np.median(usual)) if usual else 255.0 - threshold
    shares = [(p - d) / max(reference, 1.0) for p, d in paper_dark]
    for i, (lines, share, (paper, darkest)) in enumerate(zip(per_cell, shares, paper_dark, strict=True)):
        if not lines and share >= _FAINT:  # a faint mark: read at its own threshold (and never trusted)
            per_cell[i] = text_lines(cells[i], round((paper + darkest) / 2), paper)
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
