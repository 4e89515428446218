"""A 50-page report PDF for memory benchmarks: a generated report whose narrative is made long."""

from __future__ import annotations


def fifty_page_pdf() -> bytes:
    from synthetic.generate import generate
    from synthetic.render import Format, render

    report = generate(50)
    # About 1,600 characters fill an A4 page in the renderer's body font; 50 pages need ~80k.
    long_text = "\n".join([report.sections["S1"]] * 60)
    return render(report.model_copy(update={"sections": {**report.sections, "S1": long_text}}), Format.PDF)
