"""Word (.docx) documents: the body's paragraphs and tables, in order (spec §5.3).

The zip container is checked against the decompression limits before python-docx inflates it, and
its XML against the parse budget: python-docx parses every XML part into a tree at once, some 70
bytes of memory per byte of XML, so a large document.xml within the compression limits still costs
gigabytes (PARSE-LIMIT).
The body is walked element by element so paragraphs and tables keep their order. A table row
becomes one grid line with a fragment per physical cell: a horizontally merged cell (w:gridSpan)
is one fragment, a vertical-merge continuation cell is an empty fragment (as Word's own text
export writes it), paragraphs inside a cell are joined with "\\n". A nested table's rows follow the
row that holds it. Soft line breaks (w:br) split a body paragraph into lines, as <br> does in HTML.
Headers, footers and footnotes are not read: only the body is the report.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.document import CT_Document
from dwatch.reports.layout import Layout
from dwatch.reports.parsers.errors import CorruptDocument, DocumentTooLarge, ParseLimitExceeded, UnsupportedFormat
from dwatch.reports.parsers.limits import Limit, LimitHit, ParseLimits
from dwatch.reports.parsers.sink import LineSink
from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _TBL, _TR, _TC = f"{{{_W}}}p", f"{{{_W}}}tbl", f"{{{_W}}}tr", f"{{{_W}}}tc"
_T, _TAB, _BR, _CR, _HYPHEN = f"{{{_W}}}t", f"{{{_W}}}tab", f"{{{_W}}}br", f"{{{_W}}}cr", f"{{{_W}}}noBreakHyphen"
# Content controls and custom XML wrap blocks, rows and cells without changing what they hold.
_WRAPPERS = frozenset({f"{{{_W}}}sdt", f"{{{_W}}}sdtContent", f"{{{_W}}}customXml"})
# Run content in document order; mc:Fallback repeats a text box already read from mc:Choice.
_RUN_CONTENT = etree.XPath(
    "(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr | .//w:r/w:noBreakHyphen)[not(ancestor::mc:Fallback)]",
    namespaces={"w": _W, "mc": _MC},
)
_VMERGE = etree.XPath("w:tcPr/w:vMerge", namespaces={"w": _W})
_VAL = f"{{{_W}}}val"


def extract(data: bytes, limits: ParseLimits, content_type: str | None = None) -> Layout:  # noqa: ARG001
    _check_archive(data, limits)
    sink = LineSink(limits)
    for block in _children(_open_body(data), (_P, _TBL)):
        if sink.full:
            break
        if block.tag == _P:
            for line in _paragraph_text(block).split("\n"):
                sink.paragraph(line)
        else:
            _emit_table(block, sink)
    return sink.layout


def _check_archive(data: bytes, limits: ParseLimits) -> None:
    """Refuse zip bombs from the archive directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise CorruptDocument(f"the .docx archive cannot be read: {exc}") from exc
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise DocumentTooLarge(f"{total} bytes once unzipped, over the limit of {limits.max_unzipped_bytes}")
    for info in infos:
        if info.file_size > limits.max_compression_ratio * max(info.compress_size, 1):
            raise DocumentTooLarge(
                f"member {info.filename} inflates {info.file_size // max(info.compress_size, 1)}-fold,"
                f" over the limit of {limits.max_compression_ratio}"
            )
    xml = [info for info in infos if info.filename.endswith((".xml", ".rels"))]
    xml_bytes = sum(info.file_size for info in xml)
    if xml_bytes > limits.max_xml_bytes:
        largest = max(xml, key=lambda info: info.file_size)
        detail = f"{xml_bytes} bytes of XML once inflated ({largest.file_size} in the largest part); nothing was read"
        raise ParseLimitExceeded(
            LimitHit(limit=Limit.XML_BYTES, value=limits.max_xml_bytes, part=largest.filename, detail=detail)
        )


def _open_body(data: bytes) -> etree._Element:
    try:
        document = docx.Document(BytesIO(data))
    except (PackageNotFoundError, KeyError) as exc:
        raise UnsupportedFormat(f"not a Word document: {exc}") from exc
    except ValueError as exc:  # python-docx: "… is not a Word file, content type is …"
        raise UnsupportedFormat(str(exc)) from exc
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise CorruptDocument(f"the .docx content cannot be read: {exc}") from exc
    element: CT_Document = document.element  # python-docx leaves the `element` property unannotated
    return element.body


def _children(parent: etree._Element, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Children of `parent` with one of `tags`, in order, looking through wrapper elements."""
    for child in parent:
        if child.tag in tags:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tags)


def _paragraph_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    for node in _RUN_CONTENT(paragraph):
        tag = node.tag
        if tag == _T:
            parts.append(node.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag == _HYPHEN:
            parts.append("-")
        else:  # w:br, w:cr
            parts.append("\n")
    return "".join(parts)


def _emit_table(table: etree._Element, sink: LineSink) -> None:
    for row in _children(table, (_TR,)):
        if sink.full:
            return
        cells: list[str] = []
        nested: list[etree._Element] = []
        for cell in _children(row, (_TC,)):
            cells.append("" if _continues_merge(cell) else _cell_text(cell, nested))
        sink.row(cells)
        for inner in nested:
            _emit_table(inner, sink)


def _continues_merge(cell: etree._Element) -> bool:
    """A w:vMerge without val="restart" continues the cell above: its own content is not shown."""
    merges = _VMERGE(cell)
    return bool(merges) and merges[0].get(_VAL, "continue") != "restart"


def _cell_text(cell: etree._Element, nested: list[etree._Element]) -> str:
    """The cell's paragraphs joined with "\\n"; nested tables are collected for their own rows."""
    texts: list[str] = []
    for block in _children(cell, (_P, _TBL)):
        if block.tag == _TBL:
            nested.append(block)
        else:
            texts.append(_paragraph_text(block))
    return "\n".join(texts).strip("\n")
