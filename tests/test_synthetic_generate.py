"""Generated reports are valid (spec §6 passes), deterministic and varied."""

from __future__ import annotations

import re
from decimal import Decimal
from difflib import SequenceMatcher

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.generate import generate, reports
from dwatch.reports.template import SECTIONS, T3_RESULT_ROWS
from hypothesis import given, settings

_ASPECTS = ("主动公开", "依申请公开", "政府信息管理", "政府信息公开平台建设", "监督保障")
_COUNT = re.compile(r"^(0|[1-9]\d*)$")


def _counts(report: SyntheticReport) -> list[str]:
    cells = [c for row in report.table3.values() for c in row] + [c for _, row in report.table3_extra_rows for c in row]
    return cells + report.table4


def assert_valid(report: SyntheticReport) -> None:
    assert report.title == f"{report.agency}{report.year}年政府信息公开工作年度报告"
    assert report.headings == {s.section_id: s.heading for s in SECTIONS}
    assert f"{report.year}年1月1日" in report.preamble and f"{report.year}年12月31日" in report.preamble
    assert all(_COUNT.match(c) for c in _counts(report))
    t3 = {rid: [int(c) for c in cells] for rid, cells in report.table3.items()}
    extra = [[int(c) for c in cells] for _, cells in report.table3_extra_rows]
    for c in range(7):
        assert t3["R01"][c] + t3["R02"][c] == t3["R24"][c] + t3["R25"][c]  # T3-A
        results = sum(t3[r][c] for r in T3_RESULT_ROWS if r in t3) + sum(row[c] for row in extra)
        assert results == t3["R24"][c]  # T3-B
    assert all(sum(row[:6]) == row[6] for row in [*t3.values(), *extra])  # T3-C
    t4 = [int(c) for c in report.table4]
    assert all(sum(t4[b : b + 4]) == t4[b + 4] for b in (0, 5, 10))  # T4-A
    for row in report.table2.values():
        for raw in row.values():
            assert Decimal(raw) == Decimal(raw).quantize(Decimal("0.01"))
    s1 = report.sections["S1"]
    assert all(f"（{n}）" in s1 for n in "一二三四五") and all(a in s1 for a in _ASPECTS)
    if report.agency_kind == "government":
        assert "考核" in s1 and "社会评议" in s1 and "责任追究" in s1
    if t3["R01"][6] or t3["R02"][6]:
        assert f"全年共受理政府信息公开申请{t3['R01'][6]}件" in s1
    else:
        assert "未收到政府信息公开申请" in s1
    s4 = report.sections["S4"]
    assert f"行政复议{t4[4]}件" in s4 if t4[4] or t4[9] or t4[14] else "未发生" in s4 or "无因" in s4
    assert "上年度问题整改情况" in report.sections["S5"] and "一是" in report.sections["S5"]
    s6 = report.sections["S6"]
    assert all(k in s6 for k in ("费", "政务公开工作要点", "人大代表建议", "政协提案", "创新"))
    if report.year >= 2021:
        assert ("未收取信息处理费" in s6) == (t3.get("R22", [0] * 7)[6] == 0)
    assert report.published.year == report.year + 1


@settings(max_examples=200, deadline=None)
@given(reports())
def test_generated_reports_are_valid(report: SyntheticReport) -> None:
    assert_valid(report)


def test_layout_follows_year() -> None:
    assert generate(5, year=2020).table2_layout == "2019"
    old = generate(5, year=2020)
    assert "R21" not in old.table3 and [label for label, _ in old.table3_extra_rows] == ["（六）其他处理"]
    assert generate(5, year=2023).table2_layout == "2021" and len(generate(5, year=2023).table3) == 25


def test_same_seed_same_report() -> None:
    assert generate(7) == generate(7)
    assert generate(7, agency_kind="government", year=2022) == generate(7, agency_kind="government", year=2022)


def test_overrides() -> None:
    report = generate(3, agency_kind="government", year=2022, agency="示例县人民政府")
    assert (report.agency_kind, report.year, report.agency) == ("government", 2022, "示例县人民政府")
    assert report.title == "示例县人民政府2022年政府信息公开工作年度报告"


def test_seeds_give_different_reports() -> None:
    texts = ["\n".join(generate(seed).sections.values()) for seed in range(12)]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert SequenceMatcher(None, a, b, autojunk=False).ratio() < 0.8  # X-02's duplicate threshold


def test_zeros_common_but_not_everywhere() -> None:
    sample = [generate(seed) for seed in range(60)]
    empty = sum(1 for r in sample if r.table3["R01"][6] == "0" and r.table3["R02"][6] == "0")
    assert 0 < empty < len(sample) // 2
    assert any(int(r.table3["R01"][6]) >= 300 for r in sample)
    assert any(int(v) >= 10_000 for r in sample for row in r.table2.values() for v in row.values() if v.isdigit())
