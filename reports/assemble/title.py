"""The title and the agency it names.

A report's title can be stated in several places: the page's article heading, its meta tags and
`<title>` (HTML), and the document's own first lines. Each statement is judged on its text: a title
names a 年度报告/年报 outside any 《…》, is a line and not prose. pingtan-zone-2023.html opens its body
with a paragraph naming 《…年度报告格式》 and has its title only around the body, so the first line
that mentions 年度报告 cannot simply be taken. Of the statements that read as a title, the strongest
source wins (`TitleSource` order); the agency is the title's text before its year.
"""

from __future__ import annotations

import re

from dwatch.reports.layout import Line, TitleHint
from dwatch.reports.model import TitleSource

_TITLE_WORDS = re.compile(r"年度报告|年报")
# A named document (《中华人民共和国政府信息公开工作年度报告格式》) is not the report's own title.
_NAMED_DOCUMENT = re.compile(r"《[^》]*》|〈[^〉]*〉")
_PROSE_START = re.compile(r"^(?:本(?:年度)?报告|根据|依据|按照)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_MAX_TITLE_CHARS = 80
_TITLE_LINES = 6  # a title wrapped over more lines than this is not at the top of the document
# Separators between a page's title and the site's name: "报告_栏目_某某区人民政府", "报告 - 某某网站".
_SITE_SEPARATOR = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s|－|——)\s*")
_RANK = {source: rank for rank, source in enumerate(TitleSource)}


def reads_as_title(text: str) -> bool:
    """Whether `text` reads as a report's title: short, no sentence, names a 年度报告 of its own."""
    text = text.strip()
    if not text or len(text) > _MAX_TITLE_CHARS or "。" in text or _PROSE_START.match(text):
        return False
    return _TITLE_WORDS.search(_NAMED_DOCUMENT.sub("", text)) is not None


def _without_site(text: str) -> str | None:
    """The part of a `<title>` or meta title that is the report's title (a part with a year first)."""
    parts = [p for p in _SITE_SEPARATOR.split(text) if reads_as_title(p)]
    return next((p for p in parts if _YEAR.search(p)), parts[0] if parts else None)


def _candidate(hint: TitleHint) -> str | None:
    if hint.source in (TitleSource.PAGE_TITLE, TitleSource.META):
        return _without_site(hint.text)
    text = hint.text.strip()
    return text if reads_as_title(text) else None


def first_lines_title(lines: list[Line]) -> tuple[str | None, int]:
    """The title at the top of the document (joined over its wrapped lines) and the index of the first
    line after it; (None, 0) when the document does not open with one."""
    parts: list[str] = []
    for i, line in enumerate(lines[:_TITLE_LINES]):
        text = line.text.strip()
        if line.in_table or len(text) > _MAX_TITLE_CHARS or _PROSE_START.match(text):
            break
        parts.append(text)
        if _TITLE_WORDS.search(text):
            joined = "".join(parts)
            return (joined, i + 1) if reads_as_title(joined) else (None, 0)
    return None, 0


def choose_title(lines: list[Line], hints: list[TitleHint]) -> tuple[str | None, TitleSource | None, int]:
    """The title from the strongest source stating one, that source, and where the body starts."""
    own, body_start = first_lines_title(lines)
    candidates = [(hint.source, text) for hint in hints if (text := _candidate(hint)) is not None]
    if own is not None:
        candidates.append((TitleSource.FIRST_LINES, own))
    if not candidates:
        return None, None, body_start
    source, title = min(candidates, key=lambda c: _RANK[c[0]])
    return title, source, body_start


def title_year_and_agency(title: str | None) -> tuple[int | None, str | None]:
    if not title:
        return None, None
    m = _YEAR.search(title)
    if not m:
        return None, None
    agency = title[: m.start()].strip() or None
    return int(m.group(1)), agency
