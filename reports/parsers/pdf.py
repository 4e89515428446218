"""PDF with a text layer, read with pdfium.

Characters come from pdfium's text page (one loose box per char), grouped into visual lines in
reading order (pdfium's own order is content order, not top to bottom). Tables are found from the
page's ruling lines (path objects, also inside form XObjects) and read as grid rows, one fragment
per cell, so blank cells, merged labels and wrapped labels keep their columns; see `pdf_grid`.
Pages without text are reported for OCR rather than failing the document.

The Python walk over a page's graphics is bounded (form nesting, objects, path segments, grid size):
past a limit the page's text is still read, its ruling lines are not, and a PARSE-LIMIT warning says
so. What pdfium does itself (inflating streams, expanding forms) is bounded by the parsing process's
budget (`budget`).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from dwatch.reports.layout import Fragment, Layout, Line
from dwatch.reports.model import Diagnostic, DiagnosticLevel
from dwatch.reports.parsers.errors import CorruptDocument, DocumentTooLarge, EncryptedDocument
from dwatch.reports.parsers.limits import Limit, LimitHit, ParseLimits, reached_page
from dwatch.reports.parsers.pdf_grid import SNAP, Char, Rule, find_grids, group_lines, line_text

# pdfium is not thread-safe: one document at a time per process.
_PDFIUM = threading.Lock()
_OVERSIZED = 3  # a loose char box this many times the page's median height is checked …
_LOOSE_BOX_RATIO = 10  # … and replaced by its glyph's box when this many times the glyph
_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class _PageContent:
    chars: list[Char] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    images: int = 0
    objects: int = 0  # examined so far, against the page's budget
    segments: int = 0
    loaded: int = 0  # objects pdfium loaded for the page (top level)
    hit: LimitHit | None = None  # the walk stopped at this limit


def extract(data: bytes, limits: ParseLimits, content_type: str | None = None) -> Layout:  # noqa: ARG001 (one signature for all parsers)
    with _PDFIUM:
        document = _open(data)
        try:
            return _read(document, limits)
        finally:
            document.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocument("the PDF is encrypted and cannot be opened without its password") from exc
        raise CorruptDocument(f"the PDF cannot be read: it is truncated or damaged ({exc})") from exc


def _read(document: pdfium.PdfDocument, limits: ParseLimits) -> Layout:
    count = len(document)
    if count == 0:
        raise CorruptDocument("the PDF has no pages")
    if count > limits.max_pages:
        raise DocumentTooLarge(f"{count} pages, over the limit of {limits.max_pages}")
    layout = Layout()
    textless: list[int] = []  # pages with no text layer
    scanned: list[int] = []  # … of which those holding images
    chars = loaded = 0
    hits: dict[Limit, tuple[LimitHit, list[int]]] = {}
    for number in range(1, count + 1):
        if loaded > limits.max_document_objects:
            detail = f"{loaded} graphics objects on pages 1-{number - 1}; pages {number}-{count} were not read"
            hit = LimitHit(limit=Limit.DOCUMENT_OBJECTS, value=limits.max_document_objects, page=number, detail=detail)
            layout.diagnostics.append(hit.diagnostic(DiagnosticLevel.WARNING))
            break
        reached_page(number, count)
        content = _page_content(document, number, limits)
        loaded += content.loaded
        layout.image_count += content.images
        if not content.chars:
            textless.append(number)
            if content.images:
                scanned.append(number)
        for fragments, in_table in _page_lines(content, limits):
            chars += sum(len(f.text) for f in fragments)
            if len(layout.lines) >= limits.max_lines or chars > limits.max_text_chars:
                layout.diagnostics += [*_limited(hits), _truncated(len(layout.lines), number)]
                return layout
            layout.lines.append(
                Line(fragments, grid=in_table, in_table=in_table, page=number, line_no=len(layout.lines) + 1)
            )
        if content.hit is not None:
            hits.setdefault(content.hit.limit, (content.hit.model_copy(update={"page": number}), []))[1].append(number)
    layout.diagnostics += _limited(hits)
    if len(textless) == count:
        layout.diagnostics.append(_ocr_needed(textless, DiagnosticLevel.ERROR))
    elif scanned:
        layout.diagnostics.append(_ocr_needed(scanned, DiagnosticLevel.WARNING))
    return layout


def _page_content(document: pdfium.PdfDocument, number: int, limits: ParseLimits) -> _PageContent:
    try:
        page = document[number - 1]
    except pdfium.PdfiumError as exc:
        raise CorruptDocument(f"page {number} of the PDF cannot be read ({exc})") from exc
    try:
        content = _PageContent()
        _walk_objects(page, content, limits)
        textpage = page.get_textpage()
        try:
            content.chars = _chars(textpage)
        finally:
            textpage.close()
        return content
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------
# Text


def _chars(textpage: pdfium.PdfTextPage) -> list[Char]:
    """A page's chars with their loose boxes (font ascent to descent), which line up a line's chars."""
    raw = textpage.raw
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # the range API may add or drop chars; then read them one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i)) for i in range(count))
    box = pdfium_c.FS_RECTF()
    chars: list[tuple[int, Char]] = []
    for i, char in enumerate(text):
        if char < " " or char in "\ufffe\uffff":
            continue
        # pdfium inserts spaces and breaks of its own; spacing is rebuilt from the boxes instead.
        if char.isspace() and pdfium_c.FPDFText_IsGenerated(raw, i):
            continue
        if pdfium_c.FPDFText_GetLooseCharBox(raw, i, box):
            chars.append((i, Char(char, box.left, box.bottom, box.right, box.top)))
    return _repair_oversized(raw, chars)


def _repair_oversized(raw: pdfium_c.FPDF_TEXTPAGE, chars: list[tuple[int, Char]]) -> list[Char]:
    """Chars whose loose box is far larger than the page's usual one, checked against their glyph.

    In vertical writing pdfium's loose box can be the size of the whole font matrix (a 200 pt square
    for a 10 pt glyph); then the glyph's tight box is used. A tiny glyph ("." or "一") proves nothing.
    """
    if not chars:
        return []
    heights = sorted(c.height for _, c in chars)
    usual = heights[len(heights) // 2]
    tight = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
    repaired = []
    for index, char in chars:
        size = max(char.x1 - char.x0, char.height)
        if size > _OVERSIZED * usual and pdfium_c.FPDFText_GetCharBox(raw, index, *tight):
            left, right, bottom, top = (v.value for v in tight)
            glyph = max(right - left, top - bottom)
            if glyph > SNAP and size > _LOOSE_BOX_RATIO * glyph:
                char = Char(char.text, left, bottom, right, top)
        repaired.append(char)
    return repaired


def _page_lines(content: _PageContent, limits: ParseLimits) -> list[tuple[tuple[Fragment, ...], bool]]:
    """A page's lines in reading order, each as (fragments, in_table)."""
    grids, hit = find_grids(content.rules, limits)
    content.hit = content.hit or hit
    body: list[Char] = []
    for char in content.chars:
        grid = next((g for g in grids if g.contains(char)), None)
        if grid is None:
            body.append(char)
        else:
            grid.add(char)
    items: list[tuple[float, tuple[Fragment, ...], bool]] = [
        (max(c.y1 for c in line), (Fragment(text),), False) for line in group_lines(body) if (text := line_text(line))
    ]
    for grid in grids:
        for top, cells in grid.rows():
            items.append((top, tuple(Fragment(text, x0, x1) for text, x0, x1 in cells), True))
    items.sort(key=lambda item: -item[0])
    return [(fragments, in_table) for _, fragments, in_table in items]


# ---------------------------------------------------------------------------------------------
# Graphics: ruling lines and images


def _walk_objects(page: pdfium.PdfPage, content: _PageContent, limits: ParseLimits) -> None:
    count = content.loaded = pdfium_c.FPDFPage_CountObjects(page.raw)
    objects = (pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(count))
    _visit(objects, _IDENTITY, 0, content, limits)


def _visit(
    objects: Iterator[pdfium_c.FPDF_PAGEOBJECT], outer: _Matrix, depth: int, content: _PageContent, limits: ParseLimits
) -> None:
    for obj in objects:
        content.objects += 1
        if content.objects > limits.max_page_objects:
            detail = "more graphics objects on the page; its ruling lines were not all examined"
            content.hit = LimitHit(limit=Limit.PAGE_OBJECTS, value=limits.max_page_objects, detail=detail)
        if content.hit is not None:
            return
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            content.images += 1
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            content.segments += pdfium_c.FPDFPath_CountSegments(obj)
            if content.segments > limits.max_path_segments:
                detail = "more path segments on the page; its ruling lines were not all examined"
                content.hit = LimitHit(limit=Limit.PATH_SEGMENTS, value=limits.max_path_segments, detail=detail)
                return
            content.rules.extend(_path_rules(obj, _compose(_matrix(obj), outer)))
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            if depth >= limits.max_form_depth:
                detail = "form XObjects nested deeper; their content was not examined for ruling lines"
                content.hit = LimitHit(limit=Limit.FORM_DEPTH, value=limits.max_form_depth, detail=detail)
                return
            count = pdfium_c.FPDFFormObj_CountObjects(obj)
            children = (pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(count))
            _visit(children, _compose(_matrix(obj), outer), depth + 1, content, limits)


def _matrix(obj: pdfium_c.FPDF_PAGEOBJECT) -> _Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    """The matrix applying `inner`, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    oa, ob, oc, od, oe, of = outer
    return (
        a * oa + b * oc,
        a * ob + b * od,
        c * oa + d * oc,
        c * ob + d * od,
        e * oa + f * oc + oe,
        e * ob + f * od + of,
    )


def _subpaths(obj: pdfium_c.FPDF_PAGEOBJECT, m: _Matrix) -> Iterator[tuple[list[tuple[float, float]], bool]]:
    """Straight subpaths of a path as (page points, closed); curved ones are not rules."""
    x, y = ctypes.c_float(), ctypes.c_float()
    points: list[tuple[float, float]] = []
    closed = curved = False
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            if points and not curved:
                yield points, closed
            points, closed, curved = [], False, False
        curved = curved or kind == pdfium_c.FPDF_SEGMENT_BEZIERTO
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        points.append((m[0] * x.value + m[2] * y.value + m[4], m[1] * x.value + m[3] * y.value + m[5]))
        closed = closed or bool(pdfium_c.FPDFPathSegment_GetClose(segment))
    if points and not curved:
        yield points, closed


def _path_rules(obj: pdfium_c.FPDF_PAGEOBJECT, m: _Matrix) -> list[Rule]:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke):
        return []
    rules: list[Rule] = []
    for points, closed in _subpaths(obj, m):
        if stroke.value:
            edges = list(zip(points, points[1:] + points[:1] if closed else points[1:], strict=False))
            rules.extend(rule for p, q in edges if (rule := _edge_rule(p, q)) is not None)
        elif fill.value and (rule := _bar_rule(points)) is not None:
            rules.append(rule)
    return rules


def _edge_rule(p: tuple[float, float], q: tuple[float, float]) -> Rule | None:
    """A stroked straight edge, if axis-aligned and not a dot."""
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) < SNAP / 4 and abs(x1 - x0) > SNAP:
        return Rule(True, (y0 + y1) / 2, min(x0, x1), max(x0, x1))
    if abs(x1 - x0) < SNAP / 4 and abs(y1 - y0) > SNAP:
        return Rule(False, (x0 + x1) / 2, min(y0, y1), max(y0, y1))
    return None


def _bar_rule(points: list[tuple[float, float]]) -> Rule | None:
    """A filled thin box drawn as a border (Word does this); a filled large box is shading."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    if height <= SNAP < width:
        return Rule(True, (min(ys) + max(ys)) / 2, min(xs), max(xs))
    if width <= SNAP < height:
        return Rule(False, (min(xs) + max(xs)) / 2, min(ys), max(ys))
    return None


# ---------------------------------------------------------------------------------------------
# Diagnostics


def _page_list(pages: list[int]) -> str:
    """1, 2, 3, 5 → "1-3, 5"."""
    spans: list[list[int]] = []
    for page in pages:
        if spans and page == spans[-1][1] + 1:
            spans[-1][1] = page
        else:
            spans.append([page, page])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _ocr_needed(pages: list[int], level: DiagnosticLevel) -> Diagnostic:
    which = "page {} has" if len(pages) == 1 else "pages {} have"
    return Diagnostic(
        code="PARSE-OCR-NEEDED",
        level=level,
        message=f"{which.format(_page_list(pages))} no text layer (scanned images?): OCR is needed to read them",
    )


def _limited(hits: dict[Limit, tuple[LimitHit, list[int]]]) -> list[Diagnostic]:
    """One warning per limit hit, at its first page, naming every page it was hit on."""
    out = []
    for first, pages in hits.values():
        hit = first.model_copy(update={"detail": f"{first.detail} (pages {_page_list(pages)})"})
        out.append(hit.diagnostic(DiagnosticLevel.WARNING))
    return out


def _truncated(lines: int, page: int) -> Diagnostic:
    return Diagnostic(
        code="PARSE-TRUNCATED",
        level=DiagnosticLevel.WARNING,
        message=f"text limit reached after {lines} lines, on page {page}; the rest was not read",
    )
