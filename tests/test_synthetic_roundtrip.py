"""generate → render → parse_document reads back every cell, section, title, agency and year.

The property tests cover every format with every layout variation. Cases not always read back are
pinned below as fixed, minimal reproductions marked xfail, with the reason.
"""

from __future__ import annotations

from typing import get_args

import pytest
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, RenderOptions, render
from dwatch.demo.synthetic.render.options import Table2Cells
from dwatch.demo.synthetic.variants import LABEL_DEVIATIONS, approximate_table2, label_deviation, varied_reports
from dwatch.reports.checks import CheckContext, run_checks
from dwatch.reports.parsers import parse_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic_support import problems, render_options, roundtrip

_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def _check(data: st.DataObject, fmt: Format) -> None:
    report = data.draw(varied_reports(tuple(LABEL_DEVIATIONS)), label="report")
    options = data.draw(render_options(fmt), label="options")
    # PDF prose is compared in the fixed cases below: a lone-punctuation line is lost (see there).
    assert roundtrip(report, fmt, options, prose=fmt is not Format.PDF) == []


@pytest.mark.parametrize("fmt", list(Format), ids=str)
@settings(max_examples=25, **_SETTINGS)
@given(data=st.data())
def test_roundtrip(fmt: Format, data: st.DataObject) -> None:
    _check(data, fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(Format), ids=str)
@settings(max_examples=300, **_SETTINGS)
@given(data=st.data())
def test_roundtrip_sweep(fmt: Format, data: st.DataObject) -> None:
    _check(data, fmt)


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_roundtrip_default_options_first_seeds(fmt: Format) -> None:
    # Fixed seeds, plain layout, text compared too (PDF seed 1 is an xfail case below).
    seeds = [s for s in range(10) if fmt is not Format.PDF or s != 1]
    failures = {seed: p for seed in seeds if (p := roundtrip(generate(seed), fmt, RenderOptions()))}
    assert failures == {}


# reportlab draws a lone CJK character of its built-in STSong-Light CID font as a text object that
# pdfium's text page sometimes does not report (pdfplumber does): the same bytes were read in some
# runs and not in others, cause not yet found. PDFs from Word or WPS have not shown it. Not strict.
_REPORTLAB_LONE_GLYPH = (
    "pdfium's text page omits a lone STSong-Light glyph drawn by reportlab, so reports/parsers/pdf.py never sees it"
)


@pytest.mark.xfail(reason=_REPORTLAB_LONE_GLYPH + ": the preamble's final 。 wrapped onto its own line", strict=False)
def test_pdf_lone_punctuation_line_kept() -> None:
    assert roundtrip(generate(1), Format.PDF, RenderOptions()) == []


def test_pdf_table_row_continued_on_next_page_is_not_prose() -> None:
    # Seed 3 leaves table 二's last row ("行政事业性收费") alone at the top of page 2.
    assert roundtrip(generate(3), Format.PDF, RenderOptions()) == []


@pytest.mark.xfail(reason=_REPORTLAB_LONE_GLYPH + ": single full-width digits in table cells", strict=False)
def test_pdf_fullwidth_digits() -> None:
    assert roundtrip(generate(0), Format.PDF, RenderOptions(fullwidth_digits=True), prose=False) == []


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_short_r04_label_is_matched(fmt: Format) -> None:
    assert roundtrip(label_deviation(generate(0), "R04"), fmt, RenderOptions(), prose=False) == []


# Table 二 in every grid layout: the template's merged value cells, and a Word table keeping them as
# separate cells, spare ones blank, with the figure first or last. 2023 and 2020 reports cover both
# template years; one cell holds an approximation, which T2-02 must report, not a blank.
_TABLE2_REPORTS = {
    "2021": approximate_table2(generate(3, agency_kind="department", year=2023)),
    "2019": generate(0, year=2020),
}


@pytest.mark.parametrize("layout", get_args(Table2Cells))
@pytest.mark.parametrize("year", list(_TABLE2_REPORTS))
@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_table2_cell_layouts_are_read_exactly(fmt: Format, year: str, layout: Table2Cells) -> None:
    report = _TABLE2_REPORTS[year]
    parsed = parse_document(render(report, fmt, RenderOptions(table2_cells=layout)), f"synthetic.{fmt.value}")
    assert problems(report, parsed, fmt, prose=False) == []
    assert [d.message for d in parsed.diagnostics if d.code.startswith("PARSE-CELL")] == []


@pytest.mark.parametrize("layout", get_args(Table2Cells))
@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_table2_approximation_is_reported_in_every_layout(fmt: Format, layout: Table2Cells) -> None:
    report = _TABLE2_REPORTS["2021"]
    parsed = parse_document(render(report, fmt, RenderOptions(table2_cells=layout)), f"synthetic.{fmt.value}")
    findings = run_checks(parsed, context=CheckContext(published=report.published, agency_kind=report.agency_kind))
    where = {"table": "table2", "row": "行政许可", "column": "本年处理决定数量"}
    (t202,) = [f for f in findings if f.rule_id == "T2-02"]
    assert {k: getattr(t202.location, k) for k in where} == where
    assert "3.2万" in t202.message_zh
    assert not [f for f in findings if f.location.row == "行政许可" and f.rule_id != "T2-02"]
