"""Resource limits for parsing untrusted documents; one place so every parser applies the same.

Two kinds of limit. Size limits refuse a document before it is parsed (`DocumentTooLarge`). Budget
limits bound the work of parsing it: the wall time and memory of the process parsing it (enforced
from outside by `budget.parse_within_budget`) and the work done per page or per part inside the
parsers. A budget limit that is hit is a PARSE-LIMIT diagnostic (`LimitHit`): an error when nothing
could be read, a warning when only part of a page was left unexamined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from dwatch.reports.model import Diagnostic, DiagnosticLevel, Location
from pydantic import BaseModel

PARSE_LIMIT = "PARSE-LIMIT"


class ParseLimits(BaseModel):
    max_bytes: int = 50 * 1024 * 1024  # a larger download is refused before parsing
    max_pages: int = 300  # PDF pages read; a real annual report has under 30
    max_unzipped_bytes: int = 100 * 1024 * 1024  # DOCX: total uncompressed size of the zip members
    max_compression_ratio: int = 200  # DOCX: a member inflating more than this is a zip bomb
    max_text_chars: int = 5_000_000  # extracted text kept for analysis
    max_lines: int = 200_000
    # Budget of the parsing process. Wall time: the base covers loading the OCR model, and each page
    # gets several times what OCR takes to read a scanned one on a busy machine, up to the cap, which
    # the review activity's start-to-close timeout stays above (workflows/agency_report.py).
    wall_seconds: float = 120.0
    wall_seconds_per_page: float = 20.0
    wall_seconds_cap: float = 1200.0
    memory_bytes: int = 3 * 1024**3  # address space (RLIMIT_AS); OCR's runtime alone maps ~1.5 GB
    # Work inside the parsers.
    max_form_depth: int = 8  # PDF: nested form XObjects followed; deeper nesting is hostile, not a report
    max_page_objects: int = 20_000  # PDF: page objects (those inside forms included) examined per page
    max_path_segments: int = 20_000  # PDF: path segments examined per page for ruling lines
    # PDF: page objects pdfium loads in the whole document (each page's are loaded, examined or not);
    # a real report has a few thousand per page at most.
    max_document_objects: int = 1_000_000
    max_grid_rules: int = 500  # PDF: merged ruling lines of a page; more is a drawing, not a form
    max_grid_boxes: int = 10_000  # PDF: grid boxes of one table; a full page of table 三 has under 1,000
    max_xml_bytes: int = 32 * 1024 * 1024  # DOCX: all XML parts inflated (a large report has ~2 MB)

    def wall_seconds_for(self, pages: int) -> float:
        """The wall-time budget of a document with `pages` pages (0 when not paged)."""
        return min(self.wall_seconds_cap, self.wall_seconds + self.wall_seconds_per_page * pages)


DEFAULT_LIMITS = ParseLimits()


class Limit(StrEnum):
    """The budget limits, named after their `ParseLimits` field (the process's own: time, memory)."""

    WALL_SECONDS = "wall_seconds"
    MEMORY_BYTES = "memory_bytes"
    FORM_DEPTH = "max_form_depth"
    PAGE_OBJECTS = "max_page_objects"
    PATH_SEGMENTS = "max_path_segments"
    DOCUMENT_OBJECTS = "max_document_objects"
    GRID_RULES = "max_grid_rules"
    GRID_BOXES = "max_grid_boxes"
    XML_BYTES = "max_xml_bytes"


_HIT = re.compile(r"^(?P<limit>\w+) limit of (?P<value>[\d.]+) reached(?: in (?P<part>\S+))?: ")


class LimitHit(BaseModel):
    """A budget limit that was hit: which, its value, where (a page, a part of the archive) and what it cost."""

    limit: Limit
    value: float
    page: int | None = None
    part: str | None = None  # e.g. word/document.xml
    detail: str  # English: what was found and what was left unread

    @property
    def shown_value(self) -> str:
        return str(int(self.value)) if self.value.is_integer() else str(self.value)

    def diagnostic(self, level: DiagnosticLevel) -> Diagnostic:
        part = f" in {self.part}" if self.part else ""
        return Diagnostic(
            code=PARSE_LIMIT,
            level=level,
            message=f"{self.limit.value} limit of {self.shown_value} reached{part}: {self.detail}",
            location=Location(page=self.page),
        )

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> LimitHit | None:
        """The hit a PARSE-LIMIT diagnostic (made by `diagnostic`) records."""
        match = _HIT.match(diagnostic.message) if diagnostic.code == PARSE_LIMIT else None
        if match is None:
            return None
        return cls(
            limit=Limit(match["limit"]),
            value=float(match["value"]),
            page=diagnostic.location.page,
            part=match["part"],
            detail=diagnostic.message[match.end() :],
        )


# Progress of the parse (page being read, pages in all), for the process supervising it: it extends
# the wall-time budget by the page count and says where a parse was stopped. Unset, nobody listens.
PageHook = Callable[[int, int], None]
_page_hook: PageHook | None = None


def listen_pages(hook: PageHook | None) -> None:
    global _page_hook
    _page_hook = hook


def reached_page(page: int, pages: int) -> None:
    if _page_hook is not None:
        _page_hook(page, pages)
