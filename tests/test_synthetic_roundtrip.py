"""generate → render → parse_document reads back every cell, section, title, agency and year.

The property tests cover every format with every layout variation. Cases the parsers do not read
yet are pinned below as fixed, minimal reproductions marked xfail (strict=False), each with its reason.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic_support import parser_missing, render_options, roundtrip

from synthetic.generate import generate
from synthetic.render import Format, RenderOptions
from synthetic.variants import LABEL_DEVIATIONS, label_deviation, varied_reports

_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
# "（二）部分公开" alone is too short a prefix of the template label for the row matcher (xfail below).
_MATCHED_DEVIATIONS = tuple(r for r in LABEL_DEVIATIONS if r != "R04")


def _formats() -> list[object]:
    return [
        pytest.param(
            fmt,
            marks=pytest.mark.xfail(
                parser_missing(fmt),
                reason=f"reports/parsers/{fmt.value.split('-')[0]}.py not written yet",
                strict=False,
            ),
            id=fmt.value,
        )
        for fmt in Format
    ]


def _check(data: st.DataObject, fmt: Format) -> None:
    report = data.draw(varied_reports(_MATCHED_DEVIATIONS), label="report")
    options = data.draw(render_options(fmt), label="options")
    # PDF prose is compared in the fixed cases below: a lone-punctuation line is lost (see there).
    assert roundtrip(report, fmt, options, prose=fmt is not Format.PDF) == []


@pytest.mark.parametrize("fmt", _formats())
@settings(max_examples=25, **_SETTINGS)
@given(data=st.data())
def test_roundtrip(fmt: Format, data: st.DataObject) -> None:
    _check(data, fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", _formats())
@settings(max_examples=300, **_SETTINGS)
@given(data=st.data())
def test_roundtrip_sweep(fmt: Format, data: st.DataObject) -> None:
    _check(data, fmt)


@pytest.mark.parametrize("fmt", _formats())
def test_roundtrip_default_options_first_seeds(fmt: Format) -> None:
    # Fixed seeds, plain layout, text compared too (PDF seed 1 is an xfail case below).
    seeds = [s for s in range(10) if fmt is not Format.PDF or s != 1]
    failures = {seed: p for seed in seeds if (p := roundtrip(generate(seed), fmt, RenderOptions()))}
    assert failures == {}


@pytest.mark.xfail(
    reason="reports/parsers/pdf.py drops a PDF text line holding only '。' (reportlab wraps the preamble's "
    "final 。 onto its own line; pdfplumber sees it at x=62.7 on page 1), so the preamble loses its last character",
    strict=False,
)
def test_pdf_lone_punctuation_line_kept() -> None:
    assert roundtrip(generate(1), Format.PDF, RenderOptions()) == []


def test_pdf_table_row_continued_on_next_page_is_not_prose() -> None:
    # Seed 3 leaves table 二's last row ("行政事业性收费") alone at the top of page 2.
    assert roundtrip(generate(3), Format.PDF, RenderOptions()) == []


@pytest.mark.xfail(
    reason="pdfium's text page omits single full-width digits drawn in STSong-Light (pdfplumber reads them), "
    "so reports/parsers/pdf.py reads such cells as blank",
    strict=False,
)
def test_pdf_fullwidth_digits() -> None:
    assert roundtrip(generate(0), Format.PDF, RenderOptions(fullwidth_digits=True), prose=False) == []


@pytest.mark.parametrize("fmt", list(Format), ids=str)
@pytest.mark.xfail(
    reason="row matcher (reports/assemble/rows.label_score) scores '（二）部分公开' against the full R04 label "
    "below the threshold (prefix shorter than half the label), so R04 becomes an extra row",
    strict=False,
)
def test_short_r04_label_is_matched(fmt: Format) -> None:
    assert roundtrip(label_deviation(generate(0), "R04"), fmt, RenderOptions(), prose=False) == []
