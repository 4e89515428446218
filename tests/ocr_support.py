"""Synthetic reports as images: scanned PDFs and tables as PNG/JPEG (tests and bench/ocr.py)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pypdfium2 as pdfium
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import Format, render
from PIL import Image, ImageFilter


def page_images(pdf: bytes, *, dpi: int = 150) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in document:
            out.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            page.close()
        return out
    finally:
        document.close()


def image_pdf(images: list[Image.Image], *, dpi: int = 150) -> bytes:
    """A PDF whose pages are the images only (no text layer): a scan."""
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out.getvalue()


def scanned_pdf(
    pdf: bytes, *, dpi: int = 150, turned: Mapping[int, int] | None = None, rotate: Mapping[int, int] | None = None
) -> bytes:
    """A scan of `pdf`. `turned`: page number → degrees its image is turned counter-clockwise (a sheet fed
    sideways or upside down); `rotate`: page number → the page's /Rotate (clockwise), its image turned the
    other way so that the page displays upright, as a scanner that records the turn does."""
    images = page_images(pdf, dpi=dpi)
    turns = {**(turned or {}), **(rotate or {})}
    for number, degrees in turns.items():
        images[number - 1] = images[number - 1].rotate(degrees, expand=True)
    scan = image_pdf(images, dpi=dpi)
    if not rotate:
        return scan
    document = pdfium.PdfDocument(scan)
    try:
        for number, degrees in rotate.items():
            document[number - 1].set_rotation(degrees)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def table_images(report: SyntheticReport, *, dpi: int = 150) -> dict[str, Image.Image]:
    """Tables 二/三/四 of the report's PDF rendering, each cropped from its page (the largest piece
    of each when split across pages), keyed table2/table3/table4 in document order."""
    from dwatch.reports.ocr.grid import find_tables

    pieces: list[tuple[int, Image.Image]] = []
    for image in page_images(render(report, Format.PDF), dpi=dpi):
        for table in find_tables(image):
            left, top, right, bottom = table.box
            pieces.append((table.n_rows * table.n_cols, image.crop((left - 12, top - 12, right + 12, bottom + 12))))
    # Document order: table 二 (maybe split), 三, 四; keep the three largest in order of appearance.
    largest = sorted(sorted(range(len(pieces)), key=lambda i: -pieces[i][0])[:3])
    return dict(zip(("table2", "table3", "table4"), (pieces[i][1] for i in largest), strict=True))


def degrade(image: Image.Image, *, skew: float = 0.0, grey: int = 255, jpeg: int | None = None) -> Image.Image:
    """A scan's defects: rotated by `skew` degrees, paper of `grey` level with a little noise, JPEG-compressed."""
    out = image.convert("L")
    if grey < 255:
        paper = Image.effect_noise(out.size, 12).point(lambda v: max(0, min(255, grey - 10 + v // 12)))
        out = Image.composite(out, paper, out.point(lambda v: 255 if v < 200 else 0))
        out = out.filter(ImageFilter.GaussianBlur(0.4))
    if skew:
        out = out.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=grey)
    if jpeg is not None:
        buffer = io.BytesIO()
        out.save(buffer, format="JPEG", quality=jpeg)
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return out


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
