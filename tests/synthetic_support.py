"""Round-trip comparison of a synthetic report with what the parser reads back from its rendering."""

from __future__ import annotations

import re
from typing import get_args

from corpus import mismatches
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import Format, RenderOptions, render
from dwatch.demo.synthetic.render.options import Table2Cells
from dwatch.reports.model import AnnualReport
from dwatch.reports.parsers import parse_document
from hypothesis import strategies as st

_WHITESPACE = re.compile(r"\s+")


def render_options(fmt: Format) -> st.SearchStrategy[RenderOptions]:
    # Full-width digits in PDF cells are lost by pdfium: covered by an xfail case of their own.
    return st.builds(
        RenderOptions,
        fullwidth_digits=st.just(False) if fmt is Format.PDF else st.booleans(),
        thousands_separators=st.booleans(),
        page_break_in_table3=st.booleans() if fmt is Format.PDF else st.just(False),
        header_line_breaks=st.booleans(),
        split_title=st.booleans(),
        table2_cells=st.sampled_from(get_args(Table2Cells)),
    )


def _prose(text: str, fmt: Format) -> str:
    # A PDF wraps paragraphs at the page width: only the characters survive, not the line ends.
    return _WHITESPACE.sub("", text) if fmt is Format.PDF else text


def problems(report: SyntheticReport, parsed: AnnualReport, fmt: Format, *, prose: bool = True) -> list[str]:
    """Everything the parser read differently from the truth, as readable lines (empty when exact).

    With `prose=False` the preamble and section texts are not compared (headings still are).
    """
    out = mismatches(parsed, report.truth())
    for field, want in (("title", report.title), ("agency", report.agency), ("year", report.year)):
        if getattr(parsed, field) != want:
            out.append(f"{field}: expected {want!r}, got {getattr(parsed, field)!r}")
    if prose and _prose(parsed.preamble, fmt) != _prose(report.preamble, fmt):
        out.append(f"preamble: expected {report.preamble[:40]!r}…, got {parsed.preamble[:80]!r}…")
    for section in parsed.sections:
        heading = report.headings.get(section.section_id)
        if section.found != (heading is not None) or (heading and section.heading.found != heading):
            out.append(f"{section.section_id} heading: expected {heading!r}, got {section.heading.found!r}")
        elif prose and heading and _prose(section.text, fmt) != _prose(report.sections[section.section_id], fmt):
            want = report.sections[section.section_id]
            out.append(f"{section.section_id} text: expected {want[:60]!r}…, got {section.text[:120]!r}…")
    return out


def roundtrip(report: SyntheticReport, fmt: Format, options: RenderOptions, *, prose: bool = True) -> list[str]:
    data = render(report, fmt, options)
    return problems(report, parse_document(data, f"synthetic.{fmt.value}"), fmt, prose=prose)
