"""The parsed annual report: a typed, versioned model every other part of the service reads.

Every table cell keeps its raw text, its reading (`numbers.CellKind`) and where it was found, so a
finding can quote the evidence and point at the exact cell. Rows the document lacks stay in the
model (as `missing`), rows it has beyond the template go to `extra_rows`: nothing is dropped.
`dwatch parse --json-schema` prints the JSON schema of `AnnualReport`.
`schema_version` changes only when stored reports would no longer load: a field added with a
default (as `title_source` was) keeps it, since every stored 1.0 report still validates.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final, Literal

from dwatch.reports.labels import MatchQuality, NumberingStyle
from dwatch.reports.numbers import CellKind
from dwatch.reports.template import ReportFormat, TableId
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Model):
    """Where something was found. `line` is 1-based in the extracted text; `page` 1-based in PDFs."""

    page: int | None = None
    line: int | None = None
    section: str | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None


class CellCrop(_Model):
    """Where an OCR'd cell is in its image, so that a person can see what was read."""

    image: str | None = Field(default=None, description="the <img src> the cell was read from (an HTML report)")
    page: int | None = Field(default=None, description="the scanned PDF page the cell was read from (1-based)")
    dpi: int | None = Field(default=None, description="the resolution the PDF page was rendered at")
    angle: float = Field(default=0.0, description="degrees the image was turned upright before the box was taken")
    box: tuple[int, int, int, int] = Field(description="left, top, right, bottom in pixels of the upright image")


class Cell(_Model):
    column: str
    raw: str
    kind: CellKind
    value: int | float | None = None
    approx_value: float | None = Field(default=None, description="interpreted value of an approximation")
    ocr: bool = Field(default=False, description="read by OCR from an image (a scanned page, an <img> table)")
    confidence: float | None = Field(default=None, description="the OCR recogniser's confidence (0-1) when `ocr`")
    crop: CellCrop | None = Field(default=None, description="where in its image the cell was read, when `ocr`")
    location: Location = Field(default_factory=Location)


class LabelMatch(_Model):
    """A template label and what the document had in its place."""

    template: str
    found: str | None = None
    quality: MatchQuality
    similarity: float = 0.0
    location: Location = Field(default_factory=Location)


class TableRow(_Model):
    row_id: str | None = Field(description="template row id (R01…R25, 规章…); None for an extra row")
    label: LabelMatch
    missing: bool = False
    cells: list[Cell] = Field(default_factory=list)
    location: Location = Field(default_factory=Location)

    def cell(self, column: str) -> Cell | None:
        return next((c for c in self.cells if c.column == column), None)


class Table(_Model):
    table_id: TableId
    found: bool = False
    layout: ReportFormat = ReportFormat.F2021
    headers: list[LabelMatch] = Field(default_factory=list)
    rows: list[TableRow] = Field(default_factory=list)
    extra_rows: list[TableRow] = Field(default_factory=list)
    location: Location = Field(default_factory=Location)

    def row(self, row_id: str) -> TableRow | None:
        return next((r for r in self.rows if r.row_id == row_id), None)


class Heading(_Model):
    """A numbered heading-like line, as written (for numbering-style checks)."""

    text: str
    style: NumberingStyle
    ordinal: int | None = None
    section_id: str | None = Field(default=None, description="the template section it was taken for")
    location: Location = Field(default_factory=Location)


class Section(_Model):
    section_id: str
    heading: LabelMatch
    text: str = ""
    location: Location = Field(default_factory=Location)

    @property
    def found(self) -> bool:
        return self.heading.quality is not MatchQuality.MISSING


class DiagnosticLevel(StrEnum):
    ERROR = "error"  # part of the document could not be read
    WARNING = "warning"
    INFO = "info"


class Diagnostic(_Model):
    """Something the parser could not read, or read with doubt. Codes are stable (PARSE-…)."""

    code: str
    level: DiagnosticLevel
    message: str
    location: Location = Field(default_factory=Location)


class Artifact(_Model):
    """An extraction artifact removed before analysis (ART-01): bookmark tokens, space padding, …"""

    kind: Literal["bookmark", "space-padding", "broken-label", "page-furniture"]
    raw: str
    location: Location = Field(default_factory=Location)


class DateSource(StrEnum):
    META = "meta"  # <meta name="PubDate">
    VISIBLE = "visible"  # 发布日期/发布时间 on the page
    WRITTEN = "written"  # 成文日期
    URL = "url"  # date in the URL path
    SIGNATURE = "signature"  # 落款 at the foot of the report


class DateEvidence(_Model):
    value: date
    source: DateSource
    raw: str


class TitleSource(StrEnum):
    """Where the title was read, strongest first (the assembler takes the strongest that reads as a title)."""

    HEADING = "heading"  # the article's heading on the page (HTML <h1>, .article_title, …)
    META = "meta"  # <meta name="ArticleTitle"> or og:title
    PAGE_TITLE = "page-title"  # <title>, the site's name stripped
    FIRST_LINES = "first-lines"  # the document's own first line(s)


class SourceInfo(_Model):
    name: str = Field(description="file name or URL")
    sha256: str
    media_type: str
    size: int


class AnnualReport(_Model):
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    source: SourceInfo
    title: str | None = None
    title_source: TitleSource | None = Field(default=None, description="where the title was read")
    agency: str | None = Field(default=None, description="the title's agency: its text before the year")
    year: int | None = None
    format: ReportFormat = ReportFormat.UNKNOWN
    format_evidence: list[str] = Field(default_factory=list)
    preamble: str = ""
    headings: list[Heading] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    table2: Table = Field(default_factory=lambda: Table(table_id="table2"))
    table3: Table = Field(default_factory=lambda: Table(table_id="table3"))
    table4: Table = Field(default_factory=lambda: Table(table_id="table4"))
    dates: list[DateEvidence] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.section_id == section_id), None)

    def table(self, table_id: str) -> Table:
        return {"table2": self.table2, "table3": self.table3, "table4": self.table4}[table_id]
