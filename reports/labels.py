"""Label normalisation and matching (spec §8.2).

Government documents fold full-width punctuation, pad with NBSP/EN SPACE, break cell labels over
lines and drop characters; labels are therefore compared after NFKC folding with all whitespace
removed, and matched fuzzily where an exact match fails.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from enum import StrEnum

_WHITESPACE = re.compile(r"[\s\u00a0\u2000-\u200b\u3000\ufeff]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "『": '"', "』": '"'})
# Row numbers "1．" / "1、" / "1." are equivalent (§8.2); fold them all to "1.".
_ROW_NUMBER = re.compile(r"(?<![0-9])([0-9]{1,2})[、.．]")
# 法人或者其他组织 is an accepted variant of 法人或其他组织.
_VARIANT_FOLDS = (("法人或者其他组织", "法人或其他组织"),)


def normalize(text: str) -> str:
    """Fold a label for comparison: NFKC, no whitespace, one kind of quote, one row-number form."""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    # Removing a space can leave a combining mark next to a new base character: compose again.
    folded = unicodedata.normalize("NFC", _WHITESPACE.sub("", folded))
    folded = _ROW_NUMBER.sub(r"\1.", folded)
    for variant, canonical in _VARIANT_FOLDS:
        folded = folded.replace(variant, canonical)
    return folded


class MatchQuality(StrEnum):
    EXACT = "exact"  # equal after normalisation
    VARIANT = "variant"  # a listed variant, or equal but for punctuation/number style
    FUZZY = "fuzzy"  # similar enough to be the same label, with characters wrong or missing
    MISSING = "missing"


def similarity(a: str, b: str) -> float:
    """Similarity of two already-normalised labels in [0, 1]."""
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


_PUNCT = re.compile(r"[\W_]+")


def compare(template_label: str, found: str, variants: tuple[str, ...] = ()) -> tuple[MatchQuality, float]:
    """How well `found` (raw) matches `template_label` (raw), with the similarity used."""
    want, got = normalize(template_label), normalize(found)
    if want == got:
        return MatchQuality.EXACT, 1.0
    if got in {normalize(v) for v in variants} or _PUNCT.sub("", want) == _PUNCT.sub("", got):
        return MatchQuality.VARIANT, 1.0
    score = similarity(want, got)
    return (MatchQuality.FUZZY if score >= FUZZY_THRESHOLD else MatchQuality.MISSING), score


FUZZY_THRESHOLD = 0.8

# ---- Heading numbering ----------------------------------------------------------------------------

CHINESE_NUMERALS = "一二三四五六七八九十"
# "一、" top level; "（一）" sub-item; "1、" / "1." Arabic. Captured so STR-02 can report the style.
_NUMBERING = re.compile(
    r"^(?:(?P<cn>[一二三四五六七八九十]{1,2})\s*[、.．]"
    r"|[(（]\s*(?P<paren>[一二三四五六七八九十]{1,2})\s*[)）]"
    r"|(?P<ar>[0-9０-９]{1,2})\s*[、.．](?![0-9０-９]))\s*"
)


class NumberingStyle(StrEnum):
    CHINESE = "chinese"  # 一、
    PAREN = "paren"  # （一）
    ARABIC = "arabic"  # 1、 / 1.
    NONE = "none"


def split_numbering(line: str) -> tuple[NumberingStyle, int | None, str]:
    """Split a heading-like line into (numbering style, ordinal, rest of the line)."""
    stripped = line.strip().lstrip("\u2002\u3000\u00a0")
    m = _NUMBERING.match(stripped)
    if not m:
        return NumberingStyle.NONE, None, stripped
    rest = stripped[m.end() :]
    if m["cn"]:
        return NumberingStyle.CHINESE, chinese_ordinal(m["cn"]), rest
    if m["paren"]:
        return NumberingStyle.PAREN, chinese_ordinal(m["paren"]), rest
    return NumberingStyle.ARABIC, int(unicodedata.normalize("NFKC", m["ar"])), rest


def chinese_ordinal(numeral: str) -> int:
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + CHINESE_NUMERALS.index(numeral[1]) + 1
    return CHINESE_NUMERALS.index(numeral[0]) + 1
