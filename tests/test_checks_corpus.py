"""The corpus acceptance criteria: each truth file's `expect` block (errors, alternatives, warnings)."""

from __future__ import annotations

import pytest
from checks_support import at, corpus_report, errors
from corpus import REPORT_FILES, truth
from dwatch.reports.checks import CheckContext, Severity, run_checks


def _findings(name: str):  # type: ignore[no-untyped-def]
    expected = truth(name)
    return run_checks(corpus_report(name), context=CheckContext(agency_kind=expected["agency_kind"]))


@pytest.mark.parametrize("name", REPORT_FILES)
def test_expected_errors_and_no_others(name: str) -> None:
    expect = truth(name)["expect"]
    reported = {f.rule_id for f in errors(_findings(name))}
    required = set(expect.get("errors", []))
    groups = [set(g) for g in expect.get("errors_any_of", [])]
    assert required <= reported
    assert all(group & reported for group in groups)
    allowed = required | set(expect.get("errors_allowed", [])) | set().union(*groups)
    assert reported <= allowed


@pytest.mark.parametrize("name", REPORT_FILES)
def test_expected_warnings(name: str) -> None:
    warned = {f.rule_id for f in _findings(name) if f.severity is Severity.WARNING}
    assert set(truth(name)["expect"].get("warnings_include", [])) <= warned


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
    report = corpus_report("huaian-gov-2024.pdf").model_copy(deep=True)
    row = report.table4.rows[0]
    cell = row.cell("行政诉讼/复议后起诉/总计")
    assert cell is not None and cell.value == 20
    cell.value = 21
    n01 = at(run_checks(report), "N-01")
    assert [f.arguments["stated"] for f in n01] == [46]


def test_ganzhou_document_mismatch_is_only_a_warning() -> None:
    (finding,) = at(_findings("ganzhou-jkq-jiaojing-2023.txt"), "N-01")
    assert finding.severity is Severity.WARNING
    assert finding.arguments["stated"] == 3
