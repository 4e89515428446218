"""Collecting a structured document's lines (HTML, DOCX) in order, within the text limits.

Both structured parsers emit paragraphs and table rows as they walk the document; this one place
numbers the lines and stops accepting them once `max_lines` or `max_text_chars` is reached, so a
hostile document cannot grow the layout without bound.
"""

from __future__ import annotations

from dwatch.reports.layout import Fragment, ImageRef, Layout, Line
from dwatch.reports.model import Diagnostic, DiagnosticLevel
from dwatch.reports.parsers.limits import ParseLimits


class LineSink:
    def __init__(self, limits: ParseLimits, layout: Layout | None = None) -> None:
        self.layout = layout if layout is not None else Layout()
        self._limits = limits
        self._chars = 0
        self.full = False  # set once a limit is reached; walkers stop early when they see it

    def paragraph(self, text: str) -> None:
        """One paragraph line; blank ones (spaces, NBSP, U+3000 only) carry nothing and are skipped."""
        if text.strip():
            self._add((Fragment(text),), in_table=False)

    def row(self, cells: list[str]) -> None:
        """One table row: a fragment per physical cell, empty cells included."""
        if cells:
            self._add(tuple(Fragment(c) for c in cells), in_table=True)

    def image(self, src: str) -> None:
        """An image in the flow (for OCR): it stands before the next line."""
        if not self.full and src:
            self.layout.images.append(ImageRef(src, len(self.layout.lines)))

    def _add(self, fragments: tuple[Fragment, ...], *, in_table: bool) -> None:
        if self.full:
            return
        size = sum(len(f.text) for f in fragments)
        if len(self.layout.lines) >= self._limits.max_lines or self._chars + size > self._limits.max_text_chars:
            self.full = True
            self.layout.diagnostics.append(
                Diagnostic(
                    code="PARSE-TRUNCATED",
                    level=DiagnosticLevel.WARNING,
                    message=f"text limit reached after {len(self.layout.lines)} lines; the rest was not read",
                )
            )
            return
        self._chars += size
        number = len(self.layout.lines) + 1
        self.layout.lines.append(Line(fragments, grid=in_table, in_table=in_table, line_no=number))
