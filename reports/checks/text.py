"""Narrative text without white space, with a map back to the original offsets.

PDF text layers space digits and characters apart ("3119 件") and break sentences over lines;
patterns are matched on the compact text and reported as spans of the original section text.
"""

from __future__ import annotations

import re
from functools import cached_property

_SPACE = re.compile(r"[\s\u200b\ufeff]+")
_CLAUSE_END = re.compile(r"[，,。；;：:！？!?（）()\n]")


class Compact:
    def __init__(self, original: str) -> None:
        self.original = original
        self.text = _SPACE.sub("", original)

    @cached_property
    def offsets(self) -> list[int]:
        """Original offset of each compact character; built only when a span is asked for."""
        offsets: list[int] = []
        kept = 0
        for m in _SPACE.finditer(self.original):
            offsets.extend(range(kept, m.start()))
            kept = m.end()
        offsets.extend(range(kept, len(self.original)))
        return offsets

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of compact text[start:end]."""
        if not self.offsets:
            return 0, 0
        first = self.offsets[min(start, len(self.offsets) - 1)]
        last = self.offsets[min(max(end - 1, start), len(self.offsets) - 1)] + 1
        return first, last

    def clauses(self) -> list[tuple[int, str]]:
        """(start offset, text) of each clause: text between punctuation marks."""
        result: list[tuple[int, str]] = []
        start = 0
        for m in _CLAUSE_END.finditer(self.text):
            if m.start() > start:
                result.append((start, self.text[start : m.start()]))
            start = m.end()
        if start < len(self.text):
            result.append((start, self.text[start:]))
        return result

    def sentence_around(self, start: int, end: int, limit: int = 80) -> str:
        """The compact sentence containing text[start:end], cut to `limit` characters around it."""
        left = max(self.text.rfind(mark, 0, start) for mark in "。；\n") + 1
        stops = [i for i in (self.text.find(mark, end) for mark in "。；\n") if i >= 0]
        right = min(stops) + 1 if stops else len(self.text)
        if right - left > limit:
            left = max(left, start - limit // 2)
            right = min(right, left + limit)
        return self.text[left:right]
