"""A 50-page report PDF for memory benchmarks: a generated report whose narrative is made long."""

from __future__ import annotations


def fifty_page_pdf() -> bytes:
    from dwatch.demo.synthetic.generate import generate
    from dwatch.demo.synthetic.render import Format, render

    report = generate(50)
    # Section 一 repeated 140 times fills 50 A4 pages in the renderer's layout (checked by the benchmark).
    long_text = "\n".join([report.sections["S1"]] * 140)
    return render(report.model_copy(update={"sections": {**report.sections, "S1": long_text}}), Format.PDF)
