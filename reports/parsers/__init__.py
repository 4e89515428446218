"""Parse a document of any supported format into an AnnualReport.

The format is chosen by content sniffing (magic bytes), not by file extension or claimed media
type: government sites serve PDFs as text/html and DOCX as application/octet-stream.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from enum import StrEnum
from io import BytesIO

from dwatch.reports.assemble import assemble
from dwatch.reports.layout import Layout
from dwatch.reports.model import AnnualReport, SourceInfo
from dwatch.reports.parsers import text
from dwatch.reports.parsers.errors import DocumentTooLarge, EmptyDocument, ParseError, UnsupportedFormat
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, ParseLimits

__all__ = ["DocumentKind", "ParseError", "parse_document", "sniff", "source_info"]


class DocumentKind(StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    HTML = "text/html"
    TEXT = "text/plain"


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps / .xls
_HTML_MARKERS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<meta",
    b"<table",
    b"<div",
    b"<p>",
    b"<title",
)


def sniff(data: bytes) -> DocumentKind:
    head = data[:2048]
    if head.lstrip().startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return DocumentKind.PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DocumentKind.DOCX
        except zipfile.BadZipFile:
            pass
        raise UnsupportedFormat("a ZIP archive that is not a Word (.docx) document")
    if head.startswith(_OLE):
        raise UnsupportedFormat("a legacy binary Office document (.doc/.wps); convert it to .docx or PDF")
    if b"\x00" in head.replace(b"\x00\x00", b"") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedFormat("binary data that is neither PDF, DOCX, HTML nor text")
    lowered = head.lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return DocumentKind.HTML
    return DocumentKind.TEXT


def _extractor(kind: DocumentKind) -> Callable[[bytes, ParseLimits, str | None], Layout]:
    # Imported on use: a text-only caller does not pay for pdfium or lxml start-up.
    if kind is DocumentKind.PDF:
        from dwatch.reports.parsers import pdf

        return pdf.extract
    if kind is DocumentKind.DOCX:
        from dwatch.reports.parsers import docx

        return docx.extract
    if kind is DocumentKind.HTML:
        from dwatch.reports.parsers import html

        return html.extract
    return text.extract


def parse_document(
    data: bytes,
    name: str,
    *,
    content_type: str | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
    images: Callable[[str], bytes | None] | None = None,
) -> AnnualReport:
    """Parse `data` (named `name`: a file name or URL). Raises a `ParseError` subclass when unreadable.

    Scanned pages and <img> tables are read by OCR when the `ocr` extra is installed; `images` gives an
    <img src>'s bytes (data: URIs need none)."""
    if not data or not data.strip():
        raise EmptyDocument("the document is empty (zero bytes or only white space)")
    if len(data) > limits.max_bytes:
        raise DocumentTooLarge(f"{len(data)} bytes, over the limit of {limits.max_bytes}")
    kind = sniff(data)
    layout = _extractor(kind)(data, limits, content_type)
    if kind is DocumentKind.PDF or (kind is DocumentKind.HTML and layout.images):
        from dwatch.reports.parsers import ocr

        layout = ocr.ocr_pdf(data, layout) if kind is DocumentKind.PDF else ocr.ocr_images(layout, images)
    return assemble(layout, source_info(data, name, kind))


def source_info(data: bytes, name: str, kind: DocumentKind) -> SourceInfo:
    return SourceInfo(name=name, sha256=hashlib.sha256(data).hexdigest(), media_type=kind.value, size=len(data))
