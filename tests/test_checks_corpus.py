"""Checks on the corpus: where the defects are and what their findings say.

Each truth file's `expect` block (errors, alternatives, warnings): tests/test_corpus_accuracy.py.
"""

from __future__ import annotations

import pytest
from checks_support import at, errors
from corpus import REPORT_FILES, parsed, truth
from dwatch.reports.checks import CheckContext, Severity, run_checks


def _findings(name: str):  # type: ignore[no-untyped-def]
    expected = truth(name)
    return run_checks(parsed(name), context=CheckContext(agency_kind=expected["agency_kind"]))


def test_huaian_has_no_error_at_all() -> None:
    assert errors(_findings("huaian-gov-2024.pdf")) == []


def test_huaihua_defects_are_located() -> None:
    findings = _findings("huaihua-jiaojing-2023.txt")
    assert at(findings, "T3-02", table="table3", row="R24", column="自然人")
    assert at(findings, "T3-03", table="table3", row="R24", column="自然人")
    assert at(findings, "T3-04", table="table3", row="R24", column="总计")
    assert {f.location.row for f in at(findings, "T2-02")} == {"行政许可", "行政处罚"}
    (n01,) = at(findings, "N-01", section="S1")
    assert "全年未收到依申请公开政府信息申请" in n01.evidence
    assert (n01.location.row, n01.location.column) == ("R24", "自然人")


def test_identity_message_carries_expected_actual_and_place() -> None:
    (finding,) = at(_findings("huaihua-jiaojing-2023.txt"), "T3-02")
    assert finding.message_zh.startswith("T3-02 表三“自然人”列：第一项加第二项之和应等于第三项加第四项之和")
    assert "期望 0" in finding.message_zh and "实际 1" in finding.message_zh
    assert (finding.arguments["expected"], finding.arguments["actual"]) == (0, 1)
    assert finding.catalogue_version


def test_huaian_narrative_readings_are_all_checked() -> None:
    # Each figure of huaian's 总体情况 matches one accepted reading; shifting a table cell breaks exactly it.
    report = parsed("huaian-gov-2024.pdf").model_copy(deep=True)
    row = report.table4.rows[0]
    cell = row.cell("行政诉讼/复议后起诉/总计")
    assert cell is not None and cell.value == 20
    cell.value = 21
    n01 = at(run_checks(report), "N-01")
    assert [f.arguments["stated"] for f in n01] == [46]


def test_junshan_total_that_its_parts_do_not_reach() -> None:
    # "全年主动公开信息数156条，其中…" lists seven parts adding up to 151.
    (finding,) = at(_findings("pingtan-junshan-2022.html"), "N-03", section="S1")
    assert finding.severity is Severity.WARNING
    arguments = finding.arguments
    assert (arguments["total"], arguments["sum"], arguments["unit"]) == (156, 151, "条")
    assert arguments["parts"] == [12, 0, 2, 12, 47, 33, 45]
    assert "156" in finding.message_zh and "151" in finding.message_zh
    assert "156" in finding.message_en and "151" in finding.message_en
    section = parsed("pingtan-junshan-2022.html").section("S1")
    assert finding.span is not None and section is not None
    quoted = section.text[finding.span.start : finding.span.end]
    assert quoted.startswith("全年主动公开信息数156条，其中") and quoted.endswith("45条")
    assert finding.evidence == quoted


@pytest.mark.parametrize("name", [n for n in REPORT_FILES if n != "pingtan-junshan-2022.html"])
def test_totals_that_add_up_or_are_not_sums_are_not_flagged(name: str) -> None:
    # Among them: ganzhou's 60 = 2+1+2+3+48+2+1+1, huaian's 复议 351 and 诉讼 46 by outcome, and
    # pingtan-zone's results given with percentages.
    assert not at(_findings(name), "N-03")


def test_ganzhou_document_mismatch_is_only_a_warning() -> None:
    (finding,) = at(_findings("ganzhou-jkq-jiaojing-2023.txt"), "N-01")
    assert finding.severity is Severity.WARNING
    assert finding.arguments["stated"] == 3
