"""OCR of tables (and scanned pages) that are images, offline (the `ocr` extra; nothing is downloaded).

`available()` says whether the engine is installed; the rest (`page`, `grid`, `recognize`) needs numpy
and is imported by the parsers only then. Without it, image tables stay unread and the report needs a
person to verify it (READ-01 / IMG-01, status needs_review).
"""

from __future__ import annotations

from importlib.util import find_spec

# The confidence of a number cell of tables 二/三/四 that OCR read as something the number parser does not
# take ("B" for 8, "o" for 0, "一" for a dash), however sure the recogniser was: below READ-01's
# min_confidence, so the cell is a doubt for a person to verify (待人工核对), never a wrong value or a
# missing one that a check accuses.
NOT_A_NUMBER = 0.5


def available() -> bool:
    """The OCR engine (RapidOCR with its bundled PP-OCR models) and numpy are installed."""
    return find_spec("rapidocr_onnxruntime") is not None and find_spec("numpy") is not None
