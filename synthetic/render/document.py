"""The reading order shared by every format: title, preamble, then each section's heading, prose and table.

A section whose heading is missing from `SyntheticReport.headings` loses its heading and prose but
keeps its table: the figures are still in the document, only the heading is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import grid
from dwatch.demo.synthetic.render.grid import CellText, Grid
from dwatch.demo.synthetic.render.options import RenderOptions
from dwatch.reports.template import SECTIONS


@dataclass(frozen=True)
class Paragraph:
    text: str
    role: Literal["title", "heading", "body"]


Block = Paragraph | Grid


def blocks(report: SyntheticReport, options: RenderOptions) -> list[Block]:
    cells = CellText(
        fullwidth_digits=options.fullwidth_digits,
        thousands_separators=options.thousands_separators,
        header_line_breaks=options.header_line_breaks,
    )
    tables: dict[str, Callable[[SyntheticReport, CellText], Grid]] = {
        "S2": partial(grid.table2, value_cells=options.table2_cells),
        "S3": grid.table3,
        "S4": grid.table4,
    }
    out: list[Block] = [Paragraph(line, "title") for line in title_lines(report, options)]
    out += _body(report.preamble)
    for spec in SECTIONS:
        sid = spec.section_id
        if sid in report.headings:
            out.append(Paragraph(report.headings[sid], "heading"))
            out += _body(report.sections.get(sid, ""))
        if sid in tables:
            out.append(tables[sid](report, cells))
    return out


def title_lines(report: SyntheticReport, options: RenderOptions) -> list[str]:
    return split_title(report.title) if options.split_title else [report.title]


def split_title(title: str) -> list[str]:
    # Word titles are broken by hand before "工作年度报告" (both corpus text files).
    cut = title.rfind("工作年度报告")
    return [title[:cut], title[cut:]] if cut > 0 else [title]


def _body(text: str) -> list[Block]:
    return [Paragraph(p, "body") for p in text.split("\n") if p]
