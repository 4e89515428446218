"""HTML report pages of government CMSs (spec §5.3, §5.4).

The page is decoded (HTTP charset, then <meta>, then detection), parsed with lxml, and only the
article body is read: the container a CMS marks (div#zoom, .TRS_Editor, …) or, failing that, the
smallest element holding the report's headings, so menus, headers and footers stay out. Paragraphs
split on block elements and <br>; a table row becomes one grid line with a fragment per <td>/<th>
(a colspan cell is one fragment, rowspan-covered positions have none). A table laid out around the
page (rows of at most two cells, holding a nested table or long text) is read as flowing blocks.

Bounds: libxml2 stops at a nesting depth of 256 and at 10 MB text nodes (reported as truncation),
and markup beyond `_MAX_TAGS` tags is cut before parsing, which keeps the tree, and the time spent
walking it, small however large the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from itertools import islice
from typing import Protocol
from urllib.parse import urljoin

from dwatch.reports.layout import Layout, TitleHint
from dwatch.reports.model import DateEvidence, DateSource, Diagnostic, DiagnosticLevel, TitleSource
from dwatch.reports.parsers.encoding import decode
from dwatch.reports.parsers.limits import ParseLimits
from dwatch.reports.parsers.ocr import img_src
from dwatch.reports.parsers.sink import LineSink
from lxml import etree

_MAX_TAGS = 50_000  # a real report page has a few thousand; more only feeds the assembler noise
_LAYOUT_CELL_CHARS = 200  # a data table's cells are short; a longer cell is page layout
_MAX_CUES = 64
_MAX_HEADINGS = 4  # heading candidates kept on each side of the body's start
_HEADING_CHARS = 120  # an article heading is a line; longer text is a block holding more

_SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg", "select", "textarea"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # HTML white space only: NBSP and U+3000 are content
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# id/class tokens of article containers on government CMSs, most specific first.
_CONTAINER_HINTS = (
    "zoom",
    "trs_editor",
    "custom_unionstyle",
    "article-content",
    "article_content",
    "main-text",
    "detail",
    "content",
    "con",
    "article",
)
_CONTAINER_TOKEN = re.compile(r"zoom|trs_editor|unionstyle|content|detail|main-text|article|^con$|_con$|-con$")
# Phrases of the section headings and table anchors: the body container must hold them.
_CUES = (
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请",
    "本列数据的勾稽关系",
    "未经复议直接起诉",
    "存在的主要问题",
    "其他需要报告的事项",
)
_CUE_TEXTS = etree.XPath("//body//text()[" + " or ".join(f"contains(., '{c}')" for c in _CUES) + "]")

_META_DATES = frozenset({"pubdate", "publishdate"})
_META_TITLES = frozenset({"articletitle", "og:title"})
# Article headings: <h1>/<h2>, or an element whose id/class names a title (article_title, detail-tit, bt, …).
_HEADING_TAGS = frozenset({"h1", "h2"})
_HEADING_TOKEN = re.compile(r"title|biaoti|^bt$|^tit$|[_-]tit$|[_-]bt$")
_DATE = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_LABELLED_DATE = re.compile(r"(发布日期|发布时间|信息提供日期|更新时间|成文日期)\s*[:：]?\s*" + _DATE)
_BARE_DATE = re.compile(_DATE)
_DATE_ANCESTORS = 3  # visible date labels sit beside the article, within a few levels of its container


def extract(data: bytes, limits: ParseLimits, content_type: str | None = None) -> Layout:
    sink = LineSink(limits, Layout())
    root = _parse(data, content_type, sink.layout.diagnostics)
    if root is None:
        return sink.layout
    sink.layout.title_hints = _head_titles(root)
    sink.layout.dates = _meta_dates(root)
    base = root.find(".//base[@href]")  # <img src>s are relative to it (itself relative to the page's URL)
    etree.strip_elements(root, *_SKIP, with_tail=False)
    container = _container(root)
    sink.layout.title_hints += [TitleHint(TitleSource.HEADING, t) for t in _article_headings(root, container)]
    sink.layout.image_count = sum(1 for _ in container.iter("img"))
    _walk(container, _Flow(sink))
    sink.layout.dates += _visible_dates(container)
    if base is not None and (href := (base.get("href") or "").strip()):
        sink.layout.images = [replace(ref, src=urljoin(href, ref.src)) for ref in sink.layout.images]
    return sink.layout


def page_dates(data: bytes, content_type: str | None = None) -> list[DateEvidence]:
    """The dates `extract` finds (meta tags, then labelled dates by the article), without reading the
    body's text and tables: what a crawler needs to date a page it has not yet decided to keep."""
    root = _parse(data, content_type, [])
    if root is None:
        return []
    dates = _meta_dates(root)
    etree.strip_elements(root, *_SKIP, with_tail=False)
    return dates + _visible_dates(_container(root))


def _parse(data: bytes, content_type: str | None, diagnostics: list[Diagnostic]) -> etree._Element | None:
    text, _, decoding = decode(data, content_type)
    diagnostics += decoding
    text = _cap_tags(text, diagnostics)
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, encoding="utf-8")
    root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    _report_parser_limits(parser, diagnostics)
    return root


# ---- Bounds -------------------------------------------------------------------------------------


def _cap_tags(text: str, diagnostics: list[Diagnostic]) -> str:
    if text.count("<") <= _MAX_TAGS:
        return text
    cut = -1
    for _ in range(_MAX_TAGS):
        cut = text.find("<", cut + 1)
    diagnostics.append(_truncated(f"over {_MAX_TAGS} tags; markup after character {cut} was not read"))
    return text[:cut]


def _report_parser_limits(parser: etree.HTMLParser, diagnostics: list[Diagnostic]) -> None:
    fatal = [e for e in parser.error_log if e.level == etree.ErrorLevels.FATAL]
    if fatal:
        diagnostics.append(_truncated(f"the HTML parser stopped at line {fatal[0].line}: {fatal[0].message}"))


def _truncated(message: str) -> Diagnostic:
    return Diagnostic(code="PARSE-TRUNCATED", level=DiagnosticLevel.WARNING, message=message)


# ---- Head: title and dates ------------------------------------------------------------------------


def _meta(root: etree._Element) -> Iterator[tuple[str, str]]:
    for meta in root.iter("meta"):
        name, content = meta.get("name") or meta.get("property"), meta.get("content")
        if name and content:
            yield name.strip().lower(), content.strip()


def _head_titles(root: etree._Element) -> list[TitleHint]:
    """The titles the page's head states (ArticleTitle/og:title meta, <title>), as written."""
    hints = [TitleHint(TitleSource.META, content) for name, content in _meta(root) if name in _META_TITLES]
    title = root.find(".//title")
    text = _WHITESPACE.sub(" ", "".join(title.itertext())).strip() if title is not None else ""
    return [*hints, TitleHint(TitleSource.PAGE_TITLE, text)] if text else hints


def _meta_dates(root: etree._Element) -> list[DateEvidence]:
    found = []
    for name, content in _meta(root):
        if name in _META_DATES and (m := _BARE_DATE.search(content)) and (value := _date(m)):
            found.append(DateEvidence(value=value, source=DateSource.META, raw=content))
    return found


def _visible_dates(container: etree._Element) -> list[DateEvidence]:
    """Labelled dates in the nearest of the container's ancestors that has any, else in the page."""
    scopes = [container, *islice(container.iterancestors(), _DATE_ANCESTORS), container.getroottree().getroot()]
    for scope in scopes:
        found = _labelled_dates(_WHITESPACE.sub(" ", "".join(scope.itertext())))
        if found:
            return found
    return []


def _labelled_dates(text: str) -> list[DateEvidence]:
    found: dict[tuple[date, DateSource], DateEvidence] = {}
    for m in _LABELLED_DATE.finditer(text):
        value = _date(m, offset=1)
        source = DateSource.WRITTEN if m.group(1) == "成文日期" else DateSource.VISIBLE
        if value and (value, source) not in found:
            found[value, source] = DateEvidence(value=value, source=source, raw=m.group(0).strip())
    return list(found.values())


def _date(m: re.Match[str], offset: int = 0) -> date | None:
    try:
        return date(*(int(m.group(offset + i)) for i in (1, 2, 3)))
    except ValueError:
        return None


# ---- Article heading ------------------------------------------------------------------------


def _article_headings(root: etree._Element, container: etree._Element) -> list[str]:
    """Heading-like elements nearest the body: those before it (closest first), then those in it."""
    body = root.find("body")
    before: list[str] = []
    for el in (body if body is not None else root).iter():
        if el is container:
            break
        if (text := _heading_text(el)) is not None:
            before.append(text)
    inside = (text for el in container.iter() if el is not container and (text := _heading_text(el)) is not None)
    # A heading group and the heading in it state one text: kept once.
    return list(dict.fromkeys([*reversed(before[-_MAX_HEADINGS:]), *islice(inside, _MAX_HEADINGS)]))


def _heading_text(el: etree._Element) -> str | None:
    if not isinstance(el.tag, str) or _hidden(el):
        return None
    tokens = [t.lower() for t in (el.get("id") or "").split() + (el.get("class") or "").split()]
    if el.tag not in _HEADING_TAGS and not any(_HEADING_TOKEN.search(t) for t in tokens):
        return None
    # Links are navigation and lists of other articles, not the heading of this one.
    if el.tag == "a" or next(el.iter("a"), None) is not None or any(a.tag == "a" for a in el.iterancestors()):
        return None
    text = _WHITESPACE.sub(" ", "".join(islice(el.itertext(), 50))).strip()
    return text if 0 < len(text) <= _HEADING_CHARS else None


# ---- Body container ---------------------------------------------------------------------------


def _container(root: etree._Element) -> etree._Element:
    body = root.find("body")
    page = body if body is not None else root
    cues = _cue_elements(root)
    hinted = [(rank, el) for el in page.iter() if isinstance(el.tag, str) and (rank := _hint_rank(el)) is not None]
    if cues:
        common = _common_ancestor(cues)
        lineage = {common, *common.iterancestors()}
        holding = [el for _, el in hinted if el in lineage]
        if holding:
            return holding[-1]  # document order: the last ancestor is the deepest
        parent = common.getparent()
        return parent if common in cues and parent is not None else common
    with_content = [(rank, el) for rank, el in hinted if _has_content(el)]
    if with_content:
        return min(with_content, key=lambda pair: pair[0])[1]
    return page


def _hint_rank(el: etree._Element) -> int | None:
    """Rank of the element's id/class among the container hints (lower is more specific)."""
    tokens = [t.lower() for t in (el.get("id") or "").split() + (el.get("class") or "").split()]
    ranks = [_CONTAINER_HINTS.index(t) for t in tokens if t in _CONTAINER_HINTS]
    if ranks:
        return min(ranks)
    return len(_CONTAINER_HINTS) if any(_CONTAINER_TOKEN.search(t) for t in tokens) else None


def _has_content(el: etree._Element) -> bool:
    return any(s.strip() for s in islice(el.itertext(), 200)) or next(el.iter("img"), None) is not None


def _cue_elements(root: etree._Element) -> list[etree._Element]:
    elements: list[etree._Element] = []
    for text in islice(_CUE_TEXTS(root), _MAX_CUES):
        owner = text.getparent()
        if text.is_tail:
            owner = owner.getparent()
        if owner is not None and owner not in elements:
            elements.append(owner)
    return elements


def _common_ancestor(elements: list[etree._Element]) -> etree._Element:
    paths = [[*reversed(list(el.iterancestors())), el] for el in elements]
    common = paths[0][0]
    for level in zip(*paths, strict=False):
        if any(el is not level[0] for el in level):
            break
        common = level[0]
    return common


# ---- Walking the body -------------------------------------------------------------------------


class _Writer(Protocol):
    def text(self, text: str) -> None: ...
    def brk(self) -> None: ...
    def table(self, table: etree._Element) -> None: ...
    def image(self, src: str) -> None: ...


class _Flow:
    """Paragraph text of the page: a line per block or <br>; tables are read as they come."""

    def __init__(self, sink: LineSink) -> None:
        self.sink = sink
        self.parts: list[str] = []

    def text(self, text: str) -> None:
        self.parts.append(text)

    def brk(self) -> None:
        if self.parts:
            self.sink.paragraph(_WHITESPACE.sub(" ", "".join(self.parts)).strip(" "))
            self.parts = []

    def table(self, table: etree._Element) -> None:
        self.brk()
        if _is_layout_table(table):
            for cell in _table_cells(table):
                _walk_inline(cell, self)
                self.brk()
        else:
            _emit_rows(table, self.sink)

    def image(self, src: str) -> None:
        self.brk()
        self.sink.image(src)


class _Cell:
    """The text of one table cell: its blocks and <br> become "\\n"; nested tables wait for their own rows."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []
        self.nested: list[etree._Element] = []

    def text(self, text: str) -> None:
        self.parts.append(text)

    def brk(self) -> None:
        line = _WHITESPACE.sub(" ", "".join(self.parts)).strip(" ")
        if line:
            self.lines.append(line)
        self.parts = []

    def table(self, table: etree._Element) -> None:
        self.brk()
        self.nested.append(table)

    def image(self, src: str) -> None:
        pass  # an image inside a table cell is not a table

    def value(self) -> str:
        self.brk()
        return "\n".join(self.lines)


def _walk(el: etree._Element, out: _Writer) -> None:
    """Feed `el`'s content to `out` in document order (libxml2 caps the depth of this recursion)."""
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and not _hidden(child):
            if tag == "br":
                out.brk()
            elif tag == "img":
                out.image(img_src(child.get))
            elif tag == "table":
                out.table(child)
            elif tag in _BLOCKS:
                out.brk()
                _walk_inline(child, out)
                out.brk()
            else:
                _walk_inline(child, out)
        if child.tail:
            out.text(child.tail)


def _walk_inline(el: etree._Element, out: _Writer) -> None:
    if el.text:
        out.text(el.text)
    _walk(el, out)


def _hidden(el: etree._Element) -> bool:
    style = el.get("style")
    return el.get("hidden") is not None or (style is not None and _HIDDEN.search(style) is not None)


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in _ROW_GROUPS:
            yield from (row for row in child if row.tag == "tr")


def _table_cells(table: etree._Element) -> Iterator[etree._Element]:
    for row in _rows(table):
        yield from (cell for cell in row if cell.tag in _CELLS and not _hidden(cell))


def _emit_rows(table: etree._Element, sink: LineSink) -> None:
    for row in _rows(table):
        if sink.full:
            return
        cells = []
        for cell in row:
            if cell.tag in _CELLS and not _hidden(cell):
                writer = _Cell()
                _walk_inline(cell, writer)
                cells.append(writer)
        sink.row([c.value() for c in cells])
        flow = _Flow(sink)
        for nested in (t for c in cells for t in c.nested):
            flow.table(nested)


def _is_layout_table(table: etree._Element) -> bool:
    """Rows of at most two cells around a nested table or long text: a page layout, not data."""
    if any(sum(1 for c in row if c.tag in _CELLS) > 2 for row in _rows(table)):
        return False
    has_nested = next(islice(table.iter("table"), 1, None), None) is not None
    return has_nested or any(len("".join(c.itertext())) > _LAYOUT_CELL_CHARS for c in _table_cells(table))
