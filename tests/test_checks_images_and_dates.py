"""IMG-01 (headings without tables: tables as images) and TIME-02 (publication dates that disagree)."""

from __future__ import annotations

from dwatch.reports.checks import run_checks
from dwatch.reports.checks.findings import CheckContext
from dwatch.reports.parsers import parse_document
from dwatch.reports.template import SECTIONS

_HEADINGS = "".join(f"<p>{s.heading}</p><p>（略）</p>" for s in SECTIONS)


def _page(head: str, body: str) -> bytes:
    return (
        f'<html><head><meta charset="utf-8"><title>某某局2024年政府信息公开工作年度报告</title>{head}</head>'
        f'<body><div id="zoom"><p>某某局2024年政府信息公开工作年度报告</p>{body}</div></body></html>'
    ).encode()


def test_headings_with_images_instead_of_tables_give_img_01() -> None:
    images = _HEADINGS.replace("<p>三、", '<p><img src="t2.png"></p><p>三、')
    report = parse_document(_page("", images), "img.html")
    findings = [f for f in run_checks(report, context=CheckContext(agency_kind="department")) if f.rule_id == "IMG-01"]
    assert findings, "IMG-01 expected when the table sections have no cells"
    assert {f.location.section for f in findings} <= {"S2", "S3", "S4"}


def test_dates_more_than_a_week_apart_give_time_02() -> None:
    head = '<meta name="PubDate" content="2025-01-20 09:00">'
    body = "<p>发布时间：2025-03-02</p>" + _HEADINGS
    report = parse_document(_page(head, body), "dates.html")
    rules = {f.rule_id: f for f in run_checks(report, context=CheckContext(agency_kind="department"))}
    assert "TIME-02" in rules
    assert "41" in rules["TIME-02"].message_zh or "41" in str(rules["TIME-02"].arguments)
    # The page metadata is preferred for timeliness: published 2025-01-20, on time for a department.
    assert "TIME-01" not in rules or rules["TIME-01"].severity.value == "info"


def test_agreeing_dates_give_no_time_02() -> None:
    head = '<meta name="PubDate" content="2025-01-20 09:00">'
    report = parse_document(_page(head, "<p>发布时间：2025-01-21</p>" + _HEADINGS), "ok.html")
    assert "TIME-02" not in {f.rule_id for f in run_checks(report)}
