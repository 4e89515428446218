"""READ-01: what could not be read is said once, never reported as omitted (and never passed as read).

A document without readable text (a scanned PDF with no text layer, no text extracted at all) gets one
READ-01 finding saying so and why; the rules that read the document's content are not applied to it
(`reads_content`), so the agency is not accused of leaving out what it published as images. Pages
without text in an otherwise readable document get READ-01 too. What was read by OCR gets an info
READ-01, and `qualify` marks every finding resting on an OCR'd cell: below the rule's `min_confidence`
an error becomes a warning that says so. An agency-year with a READ-01 warning, an IMG-01 or a
low-confidence finding needs a person to verify it (`dwatch.review`).

PARSE-LIMIT: a document whose parse was stopped at a budget limit (time, memory, work) is unread in
whole or in part; the rule says which limit, its value and where, and a person must verify it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dwatch.reports.checks.findings import Category, Finding, Severity
from dwatch.reports.checks.registry import Params, RuleRun, kind
from dwatch.reports.model import AnnualReport, Cell, Diagnostic, DiagnosticLevel, Location
from dwatch.reports.parsers.limits import PARSE_LIMIT, Limit, LimitHit

# Diagnostics (reports/parsers, reports/assemble) meaning text could not be read, or was read by OCR.
NO_TEXT = "PARSE-NO-TEXT"
OCR_NEEDED = "PARSE-OCR-NEEDED"
OCR_READ = "PARSE-OCR"

# Rules that do not read the document's content: still applied to an unreadable document.
_CONTENT_FREE = frozenset({Category.TIME, Category.ACCESS, Category.CHANGE})

# Findings that mean "a person must verify": the document or a table was not (reliably) read.
NEEDS_REVIEW_RULES = frozenset({"READ-01", "IMG-01", "PARSE-LIMIT"})


def unreadable(report: AnnualReport) -> bool:
    """No readable text at all: nothing in it can be checked (nor held against the agency)."""
    if any(d.code == NO_TEXT for d in report.diagnostics) or _stopped(report.diagnostics):
        return True
    return any(d.code == OCR_NEEDED and d.level is DiagnosticLevel.ERROR for d in report.diagnostics)


def reads_content(category: Category) -> bool:
    """Whether a rule of `category` reads the document's content (and so is skipped when unreadable)."""
    return category not in _CONTENT_FREE


class ReadParams(Params):
    min_confidence: float  # an OCR'd cell below this is not evidence enough for an error


def _pages(message: str) -> str:
    match = re.search(r"pages? ([\d, -]+) ha", message)
    return match.group(1).strip() if match else "?"


def ocr_cells(report: AnnualReport) -> list[Cell]:
    return [
        c
        for t in (report.table2, report.table3, report.table4)
        for row in (*t.rows, *t.extra_rows)
        for c in row.cells
        if c.ocr
    ]


@kind("unreadable", ReadParams, ("no_text", "scanned", "pages", "ocr"))
def unreadable_document(run: RuleRun, p: ReadParams) -> None:
    report = run.subject.report
    by_code = {d.code: d for d in report.diagnostics}
    ocr = by_code.get(OCR_NEEDED)
    location = Location()
    if ocr is not None and ocr.level is DiagnosticLevel.ERROR:
        run.emit("scanned", location=location, evidence=ocr.message, key="document", pages=_pages(ocr.message))
    elif NO_TEXT in by_code and not _stopped(report.diagnostics):  # a stopped parse is PARSE-LIMIT's to say
        run.emit("no_text", location=location, evidence=by_code[NO_TEXT].message, key="document")
    elif ocr is not None:
        run.emit("pages", location=location, evidence=ocr.message, key="pages", pages=_pages(ocr.message))
    read = by_code.get(OCR_READ)
    cells = ocr_cells(report)
    if read is not None or cells:
        lowest = min((c.confidence for c in cells if c.confidence is not None), default=None)
        what = read.message.split(" read by OCR")[0] if read is not None else "tables"
        run.emit(
            "ocr",
            location=location,
            evidence=read.message if read is not None else "",
            key="ocr",
            what=_what_zh(what),
            what_en=what,
            cells=len(cells),
            lowest=f"{lowest:.2f}" if lowest is not None else "-",
            min_confidence=p.min_confidence,
        )


def _stopped(diagnostics: list[Diagnostic]) -> bool:
    """The parse was stopped at a limit: nothing of the document was read."""
    return any(d.code == PARSE_LIMIT and d.level is DiagnosticLevel.ERROR for d in diagnostics)


# What each limit bounds, and how its value reads.
_LIMIT_ZH: dict[Limit, tuple[str, str]] = {
    Limit.WALL_SECONDS: ("解析用时", "秒"),
    Limit.MEMORY_BYTES: ("解析内存", "MB"),
    Limit.FORM_DEPTH: ("表单对象（Form XObject）嵌套层数", "层"),
    Limit.PAGE_OBJECTS: ("单页图形对象数", "个"),
    Limit.PATH_SEGMENTS: ("单页路径线段数", "段"),
    Limit.DOCUMENT_OBJECTS: ("全文图形对象数", "个"),
    Limit.GRID_RULES: ("单页表格框线数", "条"),
    Limit.GRID_BOXES: ("单个表格网格数", "格"),
    Limit.XML_BYTES: ("DOCX文档XML解压后大小", "MB"),
}


def _limit_value_zh(hit: LimitHit) -> str:
    label, unit = _LIMIT_ZH[hit.limit]
    value = f"{hit.value / 2**20:g}" if unit == "MB" else hit.shown_value
    return f"{label}上限{value}{unit}"


@kind("parse_limit", Params, ("stopped", "partial"))
def parse_limit(run: RuleRun, _: Params) -> None:
    for diagnostic in run.subject.report.diagnostics:
        hit = LimitHit.of(diagnostic)
        if hit is None:
            continue
        where = f"第{hit.page}页" if hit.page else (hit.part or "全文")
        run.emit(
            "stopped" if diagnostic.level is DiagnosticLevel.ERROR else "partial",
            location=Location(page=hit.page),
            evidence=diagnostic.message,
            key=hit.limit.value,
            limit=_limit_value_zh(hit),
            limit_en=f"{hit.limit.value} = {hit.shown_value}",
            where=where,
            where_en=f"page {hit.page}" if hit.page else (hit.part or "the document"),
        )


def _what_zh(what: str) -> str:
    pages = re.match(r"pages ([\d, ]+)", what)
    if pages:
        return f"第{pages.group(1).strip()}页（扫描件，无文字层）"
    images = re.match(r"(\d+) image", what)
    return f"正文中的{images.group(1)}张表格图片" if images else "部分表格"


# ---- Findings resting on OCR'd cells -------------------------------------------------------------


def _cells_under(report: AnnualReport, finding: Finding) -> list[Cell]:
    """The cells a finding rests on: its cell (else its row, column or table); for an arithmetic identity
    (ACC), located at its total cell, every cell of that cell's row and column (the terms are among them)."""
    location = finding.location
    if location.table not in ("table2", "table3", "table4"):
        return []
    table = report.table(location.table)
    identity = finding.category is Category.ACC
    out = []
    for row in (*table.rows, *table.extra_rows):
        in_row = location.row is None or location.row in (row.row_id, row.label.found)
        for cell in row.cells:
            in_column = location.column is None or cell.column == location.column
            if (in_row and in_column) or (identity and (in_row or in_column)):
                out.append(cell)
    return out


def qualify(findings: Iterable[Finding], report: AnnualReport, min_confidence: float) -> list[Finding]:
    """Findings with what rests on OCR said: `ocr` and the cells' lowest confidence in the arguments and
    evidence; resting on a cell below `min_confidence`, an error is a warning marked `low_confidence`.
    A document read by OCR page by page is not accused of missing content (MISS errors become warnings)."""
    scanned = any(d.code == OCR_READ and d.message.startswith("pages") for d in report.diagnostics)
    out = []
    for finding in findings:
        cells = [c for c in _cells_under(report, finding) if c.ocr]
        if cells:
            lowest = min(c.confidence if c.confidence is not None else 0.0 for c in cells)
            finding = _mark(finding, lowest, lowest < min_confidence, "cell")
        elif scanned and finding.category is Category.MISS and finding.severity is Severity.ERROR:
            finding = _mark(finding, None, True, "scan")
        out.append(finding)
    return out


_NOTE = {
    "cell": (
        "（所依据的单元格经图片识别读取，置信度{c}，低于阈值，需人工核对）",
        " (the cells it rests on were read by OCR at confidence {c}, too low: needs a person to verify)",
    ),
    "scan": (
        "（文档为扫描件，经图片识别读取，未识别到不等于未发布，需人工核对）",
        " (the document is a scan read by OCR: not recognised is not proof of absence; needs a person to verify)",
    ),
}


def _mark(finding: Finding, lowest: float | None, low: bool, why: str) -> Finding:
    arguments = {**finding.arguments, "ocr": True}
    if lowest is not None:
        arguments["ocr_confidence"] = round(lowest, 4)
    evidence = finding.evidence + (f"［OCR 置信度 {lowest:.2f}］" if lowest is not None else "［OCR］")
    if not low:
        return finding.model_copy(update={"arguments": arguments, "evidence": evidence})
    arguments["low_confidence"] = True
    zh, en = _NOTE[why]
    shown = f"{lowest:.2f}" if lowest is not None else "-"
    return finding.model_copy(
        update={
            "arguments": arguments,
            "evidence": evidence,
            "severity": Severity.WARNING if finding.severity is Severity.ERROR else finding.severity,
            "message_zh": finding.message_zh + zh.format(c=shown),
            "message_en": finding.message_en + en.format(c=shown),
        }
    )
