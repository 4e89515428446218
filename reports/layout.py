"""The intermediate form every format parser produces and `assemble` reads.

A document is a sequence of lines. A paragraph is a line with one fragment. A table row is a line
with one fragment per cell: `grid=True` when the cells are the row's real cells in column order
(HTML, DOCX, Word text export; an empty cell is an empty fragment, a cell covered by a merge from
above is an empty fragment or absent); `grid=False` when the fragments are words laid out on a page
line (PDF) and a blank cell simply has no fragment, so columns are told apart by `x` position.
Format parsers only extract; every decision about what a line means is taken in `assemble`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dwatch.reports.model import Artifact, CellCrop, DateEvidence, Diagnostic, TitleSource


@dataclass(frozen=True, slots=True)
class Fragment:
    text: str
    x0: float | None = None  # left and right edge on the page, for grid=False lines
    x1: float | None = None
    confidence: float | None = None  # read by OCR from an image: the recogniser's confidence, 0-1
    crop: CellCrop | None = None  # … and where in the image

    @property
    def x_center(self) -> float | None:
        if self.x0 is None or self.x1 is None:
            return None
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True, slots=True)
class Line:
    fragments: tuple[Fragment, ...]
    grid: bool = False
    in_table: bool = False  # the line came from a table (HTML <table>, DOCX table, TAB cells, ruled PDF area)
    page: int | None = None
    line_no: int | None = None

    @property
    def text(self) -> str:
        return "".join(f.text for f in self.fragments)

    @classmethod
    def paragraph(cls, text: str, *, page: int | None = None, line_no: int | None = None) -> Line:
        return cls((Fragment(text),), page=page, line_no=line_no)


@dataclass(frozen=True, slots=True)
class TitleHint:
    """A title as the document's container states it (a page's heading, meta tags, <title>), unjudged."""

    source: TitleSource
    text: str


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image in the body (HTML <img>): its source and where it stands (before line index `at`)."""

    src: str
    at: int


@dataclass
class Layout:
    lines: list[Line] = field(default_factory=list)
    title_hints: list[TitleHint] = field(default_factory=list)  # the assembler judges and ranks them
    dates: list[DateEvidence] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Images seen where tables should be (HTML <img> in the body, PDF pages without text).
    image_count: int = 0
    images: list[ImageRef] = field(default_factory=list)  # HTML <img>s in order, for OCR
