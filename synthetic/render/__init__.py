"""Render a `SyntheticReport` as the documents agencies publish: Word text export, HTML page, PDF, DOCX."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render.options import RenderOptions

__all__ = ["Format", "RenderOptions", "render"]


class Format(StrEnum):
    TEXT = "text"
    HTML = "html"
    HTML_GBK = "html-gbk"
    PDF = "pdf"
    DOCX = "docx"


def render(report: SyntheticReport, fmt: Format, options: RenderOptions = RenderOptions()) -> bytes:  # noqa: B008
    return _renderer(fmt)(report, options)


def _renderer(fmt: Format) -> Callable[[SyntheticReport, RenderOptions], bytes]:
    # Imported on use: rendering text does not load reportlab or python-docx.
    if fmt is Format.TEXT:
        from dwatch.demo.synthetic.render import text

        return text.render
    if fmt is Format.HTML:
        from dwatch.demo.synthetic.render import html

        return html.render
    if fmt is Format.HTML_GBK:
        from dwatch.demo.synthetic.render import html

        return html.render_gbk
    if fmt is Format.PDF:
        from dwatch.demo.synthetic.render import pdf

        return pdf.render
    from dwatch.demo.synthetic.render import docx

    return docx.render
