"""Precision: valid generated reports, in every input format, produce no error finding, nor a warning
of the rules that must stay silent on them."""

from __future__ import annotations

import pytest
from checks_support import FORMATS, at, check, errors, parse, with_text
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format
from dwatch.reports.checks import run_checks

_REPORTS = range(1000)
# Warnings that valid reports never deserve: the generator's totals add up to their enumerated parts.
_SILENT_WARNINGS = {"N-03"}


def _error_lines(seed: int, fmt: Format) -> list[str]:
    findings = check(generate(seed), fmt)
    wrong = [*errors(findings), *(f for f in findings if f.rule_id in _SILENT_WARNINGS)]
    return [f"seed {seed} {fmt.value}: {f.message_zh}" for f in wrong]


@pytest.mark.parametrize("fmt", FORMATS)
def test_thousand_reports_across_formats_have_no_errors(fmt: Format) -> None:
    # 1,000 distinct valid reports, each rendered in one of the five formats (200 per format).
    position = list(Format).index(fmt)
    seeds = [seed for seed in _REPORTS if seed % len(Format) == position]
    assert len(seeds) == len(_REPORTS) // len(Format)
    assert [line for seed in seeds for line in _error_lines(seed, fmt)] == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_thousand_reports_in_each_format_have_no_errors(fmt: Format) -> None:
    # The full matrix (5,000 documents): `python3 tasks.py test -m slow`.
    assert [line for seed in _REPORTS for line in _error_lines(seed, fmt)] == []


# Totals with parts that add up, or with an enumeration that is not a plain sum of them: no N-03.
_NOT_SUMS = {
    "adds up": "全年发布信息100条，其中政策文件40条、工作动态60条。",
    "partial": "全年公开信息100条，其中政策文件40条、工作动态30条等。",
    "ratios": "共受理申请50件，其中予以公开30件，占60%；不予公开10件，占20%。",
    "nested": "共发布信息100条，其中文件40条（含规范性文件5条），动态50条。",
    "approximate part": "共发布信息100条，其中文件约40条、动态50条。",
    "then another figure": "共受理申请20件，其中自然人申请18件、法人申请2件；上年结转3件。",
    "another unit": "共发布信息100条，其中文件40条、解读15篇、动态50条。",
    "a number in a name": "共办理业务500件，其中通过“12345”热线办理120件、现场办理80件。",
    "spelled figure": "共发布信息100条，其中文件两条、动态50条。",
    "a change": "共发布信息100条，同比增长20条，其中文件40条、动态50条。",
    "one part": "共发布信息100条，其中政策文件40条。",
    "decimal": "共计收费3.5件，其中甲1件、乙2件。",
}


@pytest.mark.parametrize("text", _NOT_SUMS.values(), ids=_NOT_SUMS.keys())
def test_enumerations_that_are_not_a_wrong_sum(text: str) -> None:
    report = with_text(parse(generate(0), Format.TEXT), "S1", text)
    assert not at(run_checks(report), "N-03")
