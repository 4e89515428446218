"""Strip extraction artifacts before analysis and record them (ART-01)."""

from __future__ import annotations

import re
from dataclasses import replace

from dwatch.reports.layout import Fragment, Layout, Line
from dwatch.reports.model import Artifact, Location

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]\s*")
_PAGE_NUMBER = re.compile(r"^\s*[-—–－]\s*\d{1,3}\s*[-—–－]\s*$|^\s*第\s*\d{1,3}\s*页(\s*共\s*\d{1,3}\s*页)?\s*$")
_PADDING_CHARS = "\u00a0\u2002\u2003\u3000\u200b\ufeff"


def _location(line: Line) -> Location:
    return Location(page=line.page, line=line.line_no)


def _clean_fragment(fragment: Fragment, line: Line, artifacts: list[Artifact]) -> Fragment:
    text = fragment.text
    if "[bookmark:" in text:
        for token in _BOOKMARK.findall(text):
            artifacts.append(Artifact(kind="bookmark", raw=token.strip(), location=_location(line)))
        text = _BOOKMARK.sub("", text)
    stripped = text.strip(" \t\r\n" + _PADDING_CHARS)
    if stripped != text.strip(" \t\r\n") and any(c in text for c in _PADDING_CHARS):
        artifacts.append(Artifact(kind="space-padding", raw=text, location=_location(line)))
    if line.in_table and "\n" in stripped:
        artifacts.append(Artifact(kind="broken-label", raw=stripped, location=_location(line)))
        stripped = stripped.replace("\r", "").replace("\n", "")
    if stripped == fragment.text:
        return fragment
    return replace(fragment, text=stripped)


def clean(layout: Layout) -> list[Line]:
    """Lines with artifacts removed; blank paragraphs and page furniture dropped."""
    cleaned: list[Line] = []
    for line in layout.lines:
        if not line.in_table and _PAGE_NUMBER.match(line.text):
            layout.artifacts.append(Artifact(kind="page-furniture", raw=line.text, location=_location(line)))
            continue
        fragments = tuple(_clean_fragment(f, line, layout.artifacts) for f in line.fragments)
        if not line.in_table and not any(f.text for f in fragments):
            continue
        cleaned.append(Line(fragments, line.grid, line.in_table, line.page, line.line_no))
    return cleaned
