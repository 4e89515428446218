"""The Word text export (spec §8.1, as in ../shared/corpus/*.txt).

Paragraphs are lines. Each table cell is a TAB-prefixed line whose own line breaks continue without
a TAB; a cell covered by a vertical merge is an empty TAB line; rows end with an empty line, and
an extra empty line closes the table.
"""

from __future__ import annotations

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render.document import Paragraph, blocks
from dwatch.demo.synthetic.render.options import RenderOptions


def render(report: SyntheticReport, options: RenderOptions) -> bytes:
    lines: list[str] = []
    for block in blocks(report, options):
        if isinstance(block, Paragraph):
            lines.append(block.text)
            continue
        for row in block.rows:
            lines += ["\t" + slot.text for slot in row]
            lines.append("")
        lines.append("")
    return ("\n".join(lines) + "\n").encode("utf-8")
