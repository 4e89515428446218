"""Reading the text of a table cell as a figure (spec §8.3).

Counts must be exact non-negative integers. A cell such as "25.1万" is kept as an approximation
(its raw text is the evidence), never silently turned into 251000; an interpreted value is offered
alongside for display only.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class CellKind(StrEnum):
    NUMBER = "number"  # an exact figure (integer, decimal, or signed as in the 2019 本年增/减)
    BLANK = "blank"  # nothing written
    APPROX = "approx"  # a rounded or hedged figure: 万/千/亿/余/多/约/近/左右/以上/%
    DASH = "dash"  # a placeholder: — - / 无 ——
    TEXT = "text"  # anything else


_PADDING = re.compile(r"[\s\u00a0\u2000-\u200b\u3000\ufeff]+")
_EXACT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_APPROX_MARKERS = re.compile(r"[万千亿余多约近]|左右|以上|%")
_NUMBER_IN_TEXT = re.compile(r"\d+(?:\.\d+)?")
_DASHES = {"-", "—", "——", "–", "/", "无", "－", "―", "--", "---"}
# A figure with a unit typed into the cell ("3235元", "12件"): a value, though not a valid one.
_WITH_UNIT = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?(?:元|件|个|条|次|项|人|份)$")
_UNIT_FACTORS = (("亿", 100_000_000), ("万", 10_000), ("千", 1_000))
_YUAN_SUFFIX = "万元"


def fold(raw: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII) without padding; "，" becomes ","."""
    return _PADDING.sub("", unicodedata.normalize("NFKC", raw))


def classify(raw: str) -> tuple[CellKind, int | float | None, float | None]:
    """Return (kind, exact value, interpreted approximate value) for a cell's raw text."""
    text = fold(raw)
    if text.endswith(_YUAN_SUFFIX):  # 收费金额 cells sometimes repeat the unit of the column
        text = text[: -len(_YUAN_SUFFIX)]
    if not text:
        return CellKind.BLANK, None, None
    if text in _DASHES:
        return CellKind.DASH, None, None
    if _EXACT.match(text):
        number = float(text.replace(",", ""))
        value: int | float = int(number) if "." not in text else number
        return CellKind.NUMBER, value, None
    if _APPROX_MARKERS.search(text) and (found := _NUMBER_IN_TEXT.search(text.replace(",", ""))):
        interpreted = float(found.group())
        for unit, factor in _UNIT_FACTORS:
            if unit in text:
                interpreted *= factor
                break
        return CellKind.APPROX, None, interpreted
    return CellKind.TEXT, None, None


def looks_like_value(raw: str) -> bool:
    """True when a cell's text reads as a figure or placeholder, not as a label."""
    text = fold(raw)
    if not text:
        return False
    kind, _, _ = classify(raw)
    if kind in (CellKind.NUMBER, CellKind.DASH) or _WITH_UNIT.match(text):
        return True
    # Approximations are short ("25.1万", "约30", "3千余"); a label mentioning 万 is long prose.
    return kind is CellKind.APPROX and len(text) <= 10 and (text[0].isdigit() or text[0] in "约近")
