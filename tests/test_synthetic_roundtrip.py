"""generate → render → parse_document reads back every cell, section, title, agency and year.

The property tests cover every format with every layout variation. Cases not always read back are
pinned below as fixed, minimal reproductions marked xfail, with the reason.
"""

from __future__ import annotations

import pytest
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, RenderOptions
from dwatch.demo.synthetic.variants import LABEL_DEVIATIONS, label_deviation, varied_reports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic_support import render_options, roundtrip

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
