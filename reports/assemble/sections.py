"""Headings and the six sections.

Headings are matched on their full text after normalisation, in template order, never on the
numeral alone: huaihua-jiaojing-2023.txt reuses 一、…五、 for the sub-items of 总体情况, so a line
"二、政府信息依申请公开工作" must not open section 二 (spec §8.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from dwatch.reports.labels import FUZZY_THRESHOLD, MatchQuality, NumberingStyle, compare, split_numbering
from dwatch.reports.layout import Line
from dwatch.reports.model import Heading, LabelMatch, Location, Section
from dwatch.reports.template import SECTIONS, SectionSpec

_MAX_HEADING_CHARS = 40  # a line longer than this is prose, even if it starts with a numeral


@dataclass(frozen=True)
class SectionStart:
    spec: SectionSpec
    index: int  # index of the heading line
    match: LabelMatch


def location_of(line: Line, **extra: str | None) -> Location:
    return Location(page=line.page, line=line.line_no, **extra)


def _numbered(line: Line) -> tuple[NumberingStyle, int | None, str] | None:
    if line.in_table:
        return None
    style, ordinal, rest = split_numbering(line.text)
    rest = rest.rstrip("。：: ")
    return (style, ordinal, rest) if rest else None


def find_sections(lines: list[Line], start: int) -> tuple[list[SectionStart], list[Heading]]:
    """Section headings found in order, and every numbered heading-like line (for STR-02)."""
    found: list[SectionStart] = []
    headings: list[Heading] = []
    next_spec = 0
    for index in range(start, len(lines)):
        line = lines[index]
        numbered = _numbered(line)
        if numbered is None:
            continue
        style, ordinal, rest = numbered
        heading = Heading(
            text=line.text.strip()[:_MAX_HEADING_CHARS],
            style=style,
            ordinal=ordinal,
            location=location_of(line),
        )
        if style in (NumberingStyle.CHINESE, NumberingStyle.ARABIC):
            headings.append(heading)
        if style is NumberingStyle.PAREN or len(rest) > _MAX_HEADING_CHARS:
            continue
        best: tuple[float, int, MatchQuality] | None = None
        for j in range(next_spec, len(SECTIONS)):
            spec = SECTIONS[j]
            quality, score = compare(spec.title, rest, spec.variants)
            if quality is MatchQuality.MISSING or (style is NumberingStyle.NONE and score < 1.0):
                continue
            if best is None or score > best[0]:
                best = (score, j, quality)
        if best is None or best[0] < FUZZY_THRESHOLD:
            continue
        score, j, quality = best
        spec = SECTIONS[j]
        heading.section_id = spec.section_id
        match = LabelMatch(
            template=spec.heading,
            found=line.text.strip(),
            quality=quality,
            similarity=round(score, 3),
            location=location_of(line, section=spec.section_id),
        )
        found.append(SectionStart(spec, index, match))
        next_spec = j + 1
    return found, headings


def build_sections(lines: list[Line], starts: list[SectionStart]) -> list[Section]:
    """All six sections in template order; a section not found has quality MISSING and no text."""
    by_id = {s.spec.section_id: s for s in starts}
    boundaries = [s.index for s in starts] + [len(lines)]
    sections: list[Section] = []
    for spec in SECTIONS:
        start = by_id.get(spec.section_id)
        if start is None:
            sections.append(
                Section(
                    section_id=spec.section_id,
                    heading=LabelMatch(template=spec.heading, quality=MatchQuality.MISSING),
                )
            )
            continue
        end = next(b for b in boundaries if b > start.index)
        body = [ln.text for ln in lines[start.index + 1 : end] if not ln.in_table]
        sections.append(
            Section(
                section_id=spec.section_id,
                heading=start.match,
                text="\n".join(body),
                location=start.match.location,
            )
        )
    return sections
