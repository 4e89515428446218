"""PDF and DOCX bombs are parsed under a budget (issue 18, attack 4): each ends within its budget with
PARSE-LIMIT (which limit, its value, where), the agency-year needs a person rather than passing, and
the parse that was stopped leaves no process behind, so the next document is parsed as usual.

Budgets are set low here so that each test stays short; the bombs are generated in the tests."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from bomb_support import docx_with_xml, flate_bomb, nested_forms, parse_processes, ruled_grid
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.checks import run_checks
from dwatch.reports.checks.findings import CheckContext, Finding, Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.model import AnnualReport, DiagnosticLevel
from dwatch.reports.parsers import parse_document
from dwatch.reports.parsers.budget import parse_within_budget
from dwatch.reports.parsers.errors import ParseLimitExceeded
from dwatch.reports.parsers.limits import PARSE_LIMIT, Limit, LimitHit, ParseLimits
from dwatch.reports.parsers.pdf_grid import Rule, find_grids

from dwatch.review import status_of

# Memory generous enough that the wall budget is what stops the nested-forms bomb (it grows fast).
QUICK = ParseLimits(wall_seconds=3, wall_seconds_per_page=0, memory_bytes=2 << 30)
SLACK = 5  # seconds past the wall budget for forking, killing and reaping the parse


def _hit(report: AnnualReport) -> tuple[LimitHit, DiagnosticLevel]:
    hits = [(hit, d.level) for d in report.diagnostics if (hit := LimitHit.of(d)) is not None]
    assert len(hits) == 1, report.diagnostics
    return hits[0]


def _checked(report: AnnualReport) -> list[Finding]:
    return run_checks(report, context=CheckContext(agency_kind="department", report_year=2024))


def _no_parse_left() -> None:
    deadline = time.monotonic() + 5
    while parse_processes() and time.monotonic() < deadline:  # the forkserver reaps it
        time.sleep(0.05)
    assert parse_processes() == []


@pytest.fixture(scope="module")
def normal_pdf() -> bytes:
    return render(generate(3, year=2024), Format.PDF)


def test_nested_form_xobjects_are_stopped_at_the_wall_time_budget() -> None:
    data = nested_forms(depth=14, fanout=4)
    assert len(data) < 4096
    started = time.monotonic()
    report = parse_within_budget(data, "forms.pdf", limits=QUICK)
    assert time.monotonic() - started < QUICK.wall_seconds + SLACK
    hit, level = _hit(report)
    assert (hit.limit, hit.value, hit.page, level) == (Limit.WALL_SECONDS, 3, 1, DiagnosticLevel.ERROR)
    _no_parse_left()
    findings = _checked(report)
    limited = [f for f in findings if f.rule_id == PARSE_LIMIT]
    assert len(limited) == 1 and limited[0].severity is Severity.WARNING
    assert "解析用时上限3秒" in limited[0].message_zh and "第1页" in limited[0].message_zh
    assert not [f for f in findings if f.rule_id.startswith(("STR-", "T2-", "T3-", "T4-", "READ-"))]
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW


def test_a_flate_bomb_is_stopped_at_the_memory_budget() -> None:
    data = flate_bomb(512 << 20)
    assert len(data) < 1 << 20
    limits = QUICK.model_copy(update={"memory_bytes": 256 << 20})
    started = time.monotonic()
    report = parse_within_budget(data, "flate.pdf", limits=limits)
    assert time.monotonic() - started < limits.wall_seconds + SLACK
    hit, level = _hit(report)
    assert (hit.limit, hit.value, level) == (Limit.MEMORY_BYTES, 256 << 20, DiagnosticLevel.ERROR)
    _no_parse_left()
    limited = [f for f in _checked(report) if f.rule_id == PARSE_LIMIT]
    assert len(limited) == 1 and "解析内存上限256MB" in limited[0].message_zh


def test_a_huge_ruled_grid_is_bounded_per_page_and_its_text_still_read() -> None:
    data = ruled_grid(250, pages=3)
    limits = ParseLimits(wall_seconds=30, wall_seconds_per_page=0)
    report = parse_within_budget(data, "grid.pdf", limits=limits)
    hit, level = _hit(report)  # ended by the parser's own bound, well within the wall time
    assert (hit.limit, hit.value, hit.page, level) == (Limit.PATH_SEGMENTS, 20_000, 1, DiagnosticLevel.WARNING)
    assert "pages 1-3" in hit.detail
    assert report.preamble.split("\n") == ["Page with text"] * 3
    findings = _checked(report)
    limited = [f for f in findings if f.rule_id == PARSE_LIMIT]
    assert len(limited) == 1 and limited[0].arguments["case"] == "partial"
    assert "单页路径线段数上限20000段" in limited[0].message_zh
    assert status_of(findings) is not ComplianceStatus.COMPLIANT


def test_drawing_heavy_pages_are_bounded_per_document() -> None:
    report = parse_document(ruled_grid(250, pages=4), "grid.pdf", limits=ParseLimits(max_document_objects=100_000))
    hits = {hit.limit: hit for d in report.diagnostics if (hit := LimitHit.of(d)) is not None}
    stopped = hits[Limit.DOCUMENT_OBJECTS]
    assert stopped.page == 3 and "pages 3-4 were not read" in stopped.detail
    assert report.preamble.split("\n") == ["Page with text"] * 2


def test_grid_detection_is_bounded_in_rules_and_boxes() -> None:
    limits = ParseLimits()
    lines = 160  # a 159 × 159 ruled area: few enough rules, too many boxes
    rules = [Rule(True, 10.0 + 4 * i, 10.0, 650.0) for i in range(lines)]
    rules += [Rule(False, 10.0 + 4 * i, 10.0, 650.0) for i in range(lines)]
    grids, hit = find_grids(rules, limits)
    assert grids == [] and hit is not None and hit.limit is Limit.GRID_BOXES
    many = [Rule(True, 10.0 + 4 * i, 10.0 + 10 * i, 12.0 + 10 * i) for i in range(limits.max_grid_rules + 1)]
    grids, hit = find_grids(many, limits)
    assert grids == [] and hit is not None and hit.limit is Limit.GRID_RULES


def test_a_docx_with_huge_inflated_xml_is_refused_before_it_is_parsed() -> None:
    data = docx_with_xml(40 << 20)
    limits = ParseLimits()
    assert len(data) * limits.max_compression_ratio > 40 << 20  # within the zip-bomb ratio
    with pytest.raises(ParseLimitExceeded) as raised:
        parse_document(data, "huge.docx")
    assert raised.value.code == PARSE_LIMIT
    started = time.monotonic()
    report = parse_within_budget(data, "huge.docx", limits=QUICK)
    assert time.monotonic() - started < QUICK.wall_seconds
    hit, level = _hit(report)
    assert (hit.limit, hit.part, level) == (Limit.XML_BYTES, "word/document.xml", DiagnosticLevel.ERROR)
    findings = _checked(report)
    limited = [f for f in findings if f.rule_id == PARSE_LIMIT]
    assert len(limited) == 1
    assert "DOCX文档XML解压后大小上限32MB" in limited[0].message_zh and "word/document.xml" in limited[0].message_zh
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW


def test_the_next_document_parses_after_a_killed_parse(normal_pdf: bytes) -> None:
    stopped = parse_within_budget(nested_forms(), "forms.pdf", limits=QUICK)
    assert _hit(stopped)[0].limit is Limit.WALL_SECONDS
    _no_parse_left()
    report = parse_within_budget(normal_pdf, "report.pdf", limits=QUICK)
    assert all(s.found for s in report.sections)
    assert not [d for d in report.diagnostics if d.code == PARSE_LIMIT]
    assert report == parse_document(normal_pdf, "report.pdf")


def _review_parse(data: bytes, name: str) -> tuple[int, list[str], bool]:
    """What a review pool process does with a document: (its pid, the diagnostics, all sections found)."""
    import os

    report = parse_within_budget(data, name, limits=QUICK)
    return os.getpid(), [d.code for d in report.diagnostics], all(s.found for s in report.sections)


def test_a_review_pool_process_keeps_serving_after_a_bomb(normal_pdf: bytes) -> None:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        first, codes, _ = pool.submit(_review_parse, nested_forms(), "forms.pdf").result(60)
        assert PARSE_LIMIT in codes
        second, codes, read = pool.submit(_review_parse, normal_pdf, "report.pdf").result(60)
        assert read and PARSE_LIMIT not in codes
        assert second == first  # the pool process was not lost: the bomb died in a process of its own


def test_a_parse_does_not_run_the_main_script_again(tmp_path: Path) -> None:
    """The parse processes fork from a forkserver that has the main script loaded already: a `dwatch`
    command's main script is the whole CLI, which each parse would otherwise import again."""
    runs = tmp_path / "runs"
    main = tmp_path / "main.py"
    main.write_text(
        "import pathlib\n"
        f"with pathlib.Path({str(runs)!r}).open('a') as runs:\n"
        "    runs.write('ran\\n')\n"
        "if __name__ == '__main__':\n"
        "    from dwatch.reports.parsers.budget import parse_within_budget\n"
        "    for n in range(3):\n"
        "        parse_within_budget(b'\\xe6\\x94\\xbf\\xe5\\xba\\x9c' * 50, f'{n}.txt')\n",
        encoding="utf-8",
    )
    subprocess.run([sys.executable, str(main)], check=True, timeout=120)
    # Once as the program, once in the forkserver; not once more for each of the three documents.
    assert runs.read_text().splitlines() == ["ran", "ran"]
