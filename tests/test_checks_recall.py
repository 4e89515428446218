"""Recall: each rule's defect injected into a valid generated report is found at the right place, in
every input format; fingerprints do not depend on the format or on parsing twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from checks_support import FORMATS, at, check, parse, with_text
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.generate import fold_2019_other, generate
from dwatch.demo.synthetic.render import Format
from dwatch.reports.checks import CheckContext, Finding, Severity, run_checks

# A 2023 department report with applications in table 三 (seed chosen for non-zero rows).
BASE = generate(3, agency_kind="department", year=2023)


def _table3(report: SyntheticReport, row: str, column: int, delta: int, *, keep_identities: bool) -> SyntheticReport:
    """Add `delta` to a table 三 cell; with `keep_identities`, also to its 总计 and to R24/R01 so all hold."""
    table = {r: list(cells) for r, cells in report.table3.items()}
    rows = [row, "R24", "R01"] if keep_identities else [row]
    for r in rows:
        for c in (column, 6) if keep_identities else (column,):
            table[r][c] = str(int(table[r][c]) + delta)
    return report.model_copy(update={"table3": table})


def _table2(report: SyntheticReport, row: str, column: str, raw: str) -> SyntheticReport:
    table = {r: dict(cells) for r, cells in report.table2.items()}
    table[row][column] = raw
    return report.model_copy(update={"table2": table})


def _section(report: SyntheticReport, section: str, text: str, *, append: bool = False) -> SyntheticReport:
    body = report.sections[section] + "\n" + text if append else text
    return report.model_copy(update={"sections": {**report.sections, section: body}})


def _sum_broken(report: SyntheticReport) -> SyntheticReport:
    table = {r: list(cells) for r, cells in report.table3.items()}
    table["R03"][0] = str(int(table["R03"][0]) + 1)
    table["R03"][6] = str(int(table["R03"][6]) + 1)
    return report.model_copy(update={"table3": table})


def _total_broken(report: SyntheticReport) -> SyntheticReport:
    table = {r: list(cells) for r, cells in report.table3.items()}
    table["R05"][6] = str(int(table["R05"][6]) + 1)
    return report.model_copy(update={"table3": table})


def _table4_broken(report: SyntheticReport) -> SyntheticReport:
    cells = list(report.table4)
    cells[4] = str(int(cells[4]) + 1)
    return report.model_copy(update={"table4": cells})


def _old_layout(report: SyntheticReport) -> SyntheticReport:
    table, extra = fold_2019_other(dict(report.table3))
    return report.model_copy(update={"table3": table, "table3_extra_rows": extra})


def _unpaid_fee_unreported(report: SyntheticReport) -> SyntheticReport:
    bumped = _table3(report, "R22", 0, 1, keep_identities=True)
    return _section(bumped, "S6", "本年度落实政务公开工作要点，办理人大代表建议和政协提案，推进创新。")


Case = tuple[str, Callable[[SyntheticReport], SyntheticReport], dict[str, Any]]
CASES: list[Case] = [
    (
        "STR-01",
        lambda r: r.model_copy(update={"headings": {k: v for k, v in r.headings.items() if k != "S6"}}),
        {"section": "S6"},
    ),
    ("STR-02", lambda r: r.model_copy(update={"headings": {**r.headings, "S1": "1、总体情况"}}), {"section": "S1"}),
    ("STR-03", lambda r: r.model_copy(update={"title": f"{r.agency}2023年政务公开年报"}), {}),
    ("STR-04", lambda r: r.model_copy(update={"preamble": "本报告由本机关编制。"}), {}),
    ("STR-05", lambda r: _section(r, "S1", "本年度各项工作进展顺利。"), {"section": "S1"}),
    (
        "STR-06",
        lambda r: _section(
            r, "S1", "辖区机动车保有量12345辆，驾驶人保有量23456人，处理交通事故警情345起。", append=True
        ),
        {"section": "S1"},
    ),
    ("FMT-OLD", _old_layout, {"table": "table3"}),
    (
        "T2-02",
        lambda r: _table2(r, "行政许可", "本年处理决定数量", "25.1万"),
        {"table": "table2", "row": "行政许可", "column": "本年处理决定数量"},
    ),
    (
        "T2-03",
        lambda r: _table2(r, "行政事业性收费", "本年收费金额（单位：万元）", "2500000"),
        {"table": "table2", "row": "行政事业性收费"},
    ),
    (
        "T2-03",
        lambda r: _table2(r, "行政事业性收费", "本年收费金额（单位：万元）", "3235元"),
        {"table": "table2", "row": "行政事业性收费"},
    ),
    ("T2-04", lambda r: _table2(r, "规章", "本年制发件数", "2"), {"table": "table2", "row": "规章"}),
    (
        "T3-01",
        lambda r: r.model_copy(update={"table3_labels": {"R11": "7.属于行政执法案件"}}),
        {"table": "table3", "row": "R11"},
    ),
    (
        "T3-02",
        lambda r: _table3(r, "R25", 0, 1, keep_identities=False),
        {"table": "table3", "row": "R24", "column": "自然人"},
    ),
    ("T3-03", _sum_broken, {"table": "table3", "row": "R24", "column": "自然人"}),
    ("T3-04", _total_broken, {"table": "table3", "row": "R05", "column": "总计"}),
    (
        "T3-05",
        lambda r: r.model_copy(update={"table3": {**r.table3, "R05": ["约5", *r.table3["R05"][1:]]}}),
        {"table": "table3", "row": "R05", "column": "自然人"},
    ),
    (
        "T3-06",
        lambda r: r.model_copy(update={"table3_extra_rows": [("（三）不予公开小计", ["0"] * 7)]}),
        {"table": "table3"},
    ),
    ("T4-01", _table4_broken, {"table": "table4", "column": "行政复议/总计"}),
    (
        "N-01",
        lambda r: _section(
            r,
            "S1",
            f"全年共受理政府信息公开申请{int(r.table3['R01'][6]) + int(r.table3['R02'][6]) + 7}件。",
            append=True,
        ),
        {"section": "S1"},
    ),
    ("N-02", _unpaid_fee_unreported, {"section": "S6", "row": "R22"}),
    (
        "N-03",
        lambda r: _section(
            r, "S1", "全年共发布政务信息120条，其中政策文件40条、工作动态35条、通知公告30条。", append=True
        ),
        {"section": "S1"},
    ),
    ("ACC-01", lambda r: _section(r, "S1", "全年发布信息3千余条。", append=True), {"section": "S1"}),
    ("S5-01", lambda r: _section(r, "S5", "无。"), {"section": "S5"}),
    ("S6-01", lambda r: _section(r, "S6", "无"), {"section": "S6"}),
]


def _assert_found(findings: list[Finding], rule_id: str, where: dict[str, Any]) -> None:
    found = at(findings, rule_id, **where)
    assert found, f"{rule_id} not reported at {where}; got {[(f.rule_id, f.location) for f in findings]}"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("rule_id", "inject", "where"), CASES, ids=[c[0] for c in CASES])
def test_injected_defect_is_found(
    rule_id: str, inject: Callable[[SyntheticReport], SyntheticReport], where: dict[str, Any], fmt: Format
) -> None:
    assert not at(check(BASE, fmt), rule_id, **where)  # the clean report does not have it
    _assert_found(check(inject(BASE), fmt), rule_id, where)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cross_year_defects(fmt: Format) -> None:
    last_year = BASE.model_copy(update={"year": 2022, "title": BASE.title.replace("2023", "2022")})
    carried = _table3(last_year, "R25", 0, 1, keep_identities=False)
    stock = _table2(
        carried, "行政规范性文件", "现行有效件数", str(int(BASE.table2["行政规范性文件"]["现行有效件数"]) + 5)
    )
    findings = check(BASE, fmt, previous=parse(stock, fmt))
    _assert_found(findings, "X-01", {"table": "table3", "row": "R02", "column": "自然人"})
    _assert_found(findings, "X-03", {"table": "table2", "row": "行政规范性文件"})
    (x02,) = at(findings, "X-02", section="S1")
    assert x02.arguments["similarity"] == 100.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_late_publication(fmt: Format) -> None:
    report = parse(BASE, fmt)
    late = BASE.published + timedelta(days=40)
    (finding,) = at(run_checks(report, context=CheckContext(published=late, agency_kind="department")), "TIME-01")
    assert finding.severity is Severity.ERROR
    assert finding.arguments["deadline"] == "2024-01-31"
    on_time = run_checks(report, context=CheckContext(published=BASE.published, agency_kind="department"))
    assert not at(on_time, "TIME-01")


@pytest.mark.parametrize(
    ("text", "total", "parts"),
    [
        ("共发布信息100条，包括通知公告60条、政策文件30条。", 100, [60, 30]),
        ("全年受理申请10件，分别为自然人申请8件、法人申请3件。", 10, [8, 3]),
        ("全年公开信息80条，其中机构信息10条；财政信息20条；其他信息45条。", 80, [10, 20, 45]),
    ],
)
def test_total_and_the_sum_of_its_parts(text: str, total: int, parts: list[int]) -> None:
    (finding,) = at(run_checks(with_text(parse(BASE, Format.TEXT), "S1", text)), "N-03", section="S1")
    assert (finding.arguments["total"], finding.arguments["parts"], finding.arguments["sum"]) == (
        total,
        parts,
        sum(parts),
    )
    assert finding.evidence == text.removesuffix("。")


def _stable(findings: list[Finding]) -> set[tuple[str, str]]:
    # ART-01 describes the extraction of one file format, not the report.
    return {(f.rule_id, f.fingerprint) for f in findings if f.rule_id != "ART-01"}


def test_fingerprints_do_not_depend_on_the_format_or_the_run() -> None:
    defective = _table4_broken(_table2(_total_broken(BASE), "行政许可", "本年处理决定数量", "25.1万"))
    defective = _section(defective, "S6", "无")
    reference = _stable(check(defective, Format.TEXT))
    assert {"T2-02", "T3-04", "T4-01", "S6-01"} <= {rule for rule, _ in reference}
    assert _stable(check(defective, Format.TEXT)) == reference
    for fmt in FORMATS:
        if isinstance(fmt, Format) and fmt is not Format.TEXT:
            # The same defects carry the same fingerprints; stray findings are the precision test's concern.
            assert reference <= _stable(check(defective, fmt)), fmt
