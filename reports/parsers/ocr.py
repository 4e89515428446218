"""OCR inside parsing: scanned PDF pages and <img> tables read into the layout (`dwatch.reports.ocr`).

Runs only when the `ocr` extra is installed; otherwise the layout is left as the format parser made
it (PARSE-OCR-NEEDED, images where tables should be) and the checks say it needs a person (READ-01,
IMG-01). Every fragment read here carries its confidence, which the assembler puts on the cells.
An image reaches OCR as bytes only: a PDF page rendered here, or an <img> whose bytes `images`
returns (a data: URI, a file beside a local HTML file, or what the crawler's safe fetcher got).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from dwatch.reports import ocr
from dwatch.reports.layout import Layout, Line
from dwatch.reports.model import CellCrop, Diagnostic, DiagnosticLevel
from dwatch.reports.parsers.limits import reached_page

if TYPE_CHECKING:
    import pypdfium2 as pdfium
    from PIL import Image

ImageSource = Callable[[str], bytes | None]  # an <img src> → its bytes, or None when not available

OCR_NEEDED = "PARSE-OCR-NEEDED"
OCR_READ = "PARSE-OCR"
MAX_OCR_PAGES = 40  # a scanned report has under 30 pages; more is not read (and stays unread)
MAX_IMAGES = 20
MAX_IMAGE_PIXELS = 40_000_000
_DPI = 150  # scanned PDF pages are rendered at 150 dpi
_DATA_URI = re.compile(r"^data:image/[\w.+-]+(?P<b64>;base64)?,(?P<data>.*)$", re.S)


def _renumber(lines: list[Line]) -> list[Line]:
    return [replace(line, line_no=i) for i, line in enumerate(lines, start=1)]


def _summary(lines: list[Line]) -> tuple[int, float | None]:
    confidences = [f.confidence for ln in lines if ln.in_table for f in ln.fragments if f.confidence is not None]
    return len(confidences), min(confidences) if confidences else None


def _read_diagnostic(what: str, lines: list[Line]) -> Diagnostic:
    cells, lowest = _summary(lines)
    low = f", lowest confidence {lowest:.2f}" if lowest is not None else ""
    return Diagnostic(
        code=OCR_READ,
        level=DiagnosticLevel.INFO,
        message=f"{what} read by OCR ({cells} table cells{low})",
    )


def ocr_pdf(data: bytes, layout: Layout) -> Layout:
    """The scanned pages of a PDF (pages without text) read by OCR and put in their place."""
    needed = next((d for d in layout.diagnostics if d.code == OCR_NEEDED), None)
    if needed is None or not ocr.available():
        return layout
    import pypdfium2 as pdfium
    from dwatch.reports.ocr.page import read_image
    from dwatch.reports.parsers.pdf import _PDFIUM

    with_text = {ln.page for ln in layout.lines if ln.page is not None}
    read: dict[int, list[Line]] = {}
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            count = len(document)
            textless = [n for n in range(1, count + 1) if n not in with_text]
            named = _page_numbers(needed.message)  # the pages the PDF parser found scanned (images, no text)
            candidates = [n for n in textless if n in named] if named else textless
            scanned, skipped = candidates[:MAX_OCR_PAGES], candidates[MAX_OCR_PAGES:]
            images = {number: _render(document, number) for number in scanned}
        finally:
            document.close()
    for number, image in images.items():
        reached_page(number, count)
        read[number] = read_image(image, page=number, dpi=_DPI).lines
    got = [n for n, lines in read.items() if lines]
    if not got:
        return layout
    lines: list[Line] = []
    pages = sorted(with_text | set(read))
    by_page: dict[int, list[Line]] = {}
    for line in layout.lines:
        by_page.setdefault(line.page or 0, []).append(line)
    for number in pages:
        lines += by_page.get(number, []) or read.get(number, [])
    layout.lines = _renumber(lines)
    unread = [n for n in scanned if n not in got]
    layout.diagnostics = [d for d in layout.diagnostics if d is not needed]
    ocr_lines = [ln for n in got for ln in read[n]]
    layout.diagnostics.append(_read_diagnostic(f"pages {_pages(got)} (no text layer)", ocr_lines))
    if unread or skipped:
        layout.diagnostics.append(
            Diagnostic(
                code=OCR_NEEDED,
                level=DiagnosticLevel.WARNING,
                message=f"pages {_pages(unread + skipped)} have no text layer and were not read by OCR",
            )
        )
    return layout


def _render(document: pdfium.PdfDocument, number: int) -> Image.Image:
    page = document[number - 1]
    try:
        image: Image.Image = page.render(scale=_DPI / 72, grayscale=True).to_pil().convert("L")
        return image
    finally:
        page.close()


def cell_image(data: bytes, crop: CellCrop, images: ImageSource | None = None) -> bytes | None:
    """The PNG of an OCR'd cell, cut from the document's bytes (a scanned PDF page) or its <img> (through
    `images`); None when the image is not available or not an image any more."""
    if not ocr.available():
        return None
    from dwatch.reports.ocr.page import cell_png
    from PIL import Image, UnidentifiedImageError

    if crop.page is not None:
        import pypdfium2 as pdfium
        from dwatch.reports.parsers.pdf import _PDFIUM

        with _PDFIUM:
            try:
                document = pdfium.PdfDocument(data)
            except pdfium.PdfiumError:
                return None
            try:
                if not 1 <= crop.page <= len(document):
                    return None
                image = _render(document, crop.page)
            finally:
                document.close()
        return cell_png(image, crop)
    source = image_bytes(crop.image, images) if crop.image is not None else None
    if source is None:
        return None
    try:
        with Image.open(BytesIO(source)) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                return None
            return cell_png(opened.convert("L"), crop)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _pages(pages: list[int]) -> str:
    return ", ".join(str(p) for p in pages)


def _page_numbers(message: str) -> set[int]:
    """The pages of a PARSE-OCR-NEEDED message ("pages 1-3, 5 have …", "page 2 has …")."""
    match = re.search(r"pages? ([\d, -]+) ha", message)
    out: set[int] = set()
    for part in match.group(1).split(",") if match else []:
        first, _, last = part.strip().partition("-")
        if first.isdigit():
            out.update(range(int(first), int(last or first) + 1))
    return out


def ocr_images(layout: Layout, images: ImageSource | None) -> Layout:
    """The <img>s of an HTML body that hold ruled tables, read by OCR and put where the images were."""
    if not layout.images or not ocr.available():
        return layout
    from dwatch.reports.ocr.page import read_image
    from PIL import Image, UnidentifiedImageError

    inserted: dict[int, list[Line]] = {}
    for ref in layout.images[:MAX_IMAGES]:
        data = image_bytes(ref.src, images)
        if data is None:
            continue
        try:
            with Image.open(BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    continue
                image = opened.convert("L")
        except (UnidentifiedImageError, OSError, ValueError):
            continue
        read = read_image(image, source=ref.src, text=False)
        if read.tables:
            inserted.setdefault(ref.at, []).extend(read.lines)
    if not inserted:
        return layout
    lines: list[Line] = []
    for i, line in enumerate([*layout.lines, None]):
        lines += inserted.get(i, [])
        if line is not None:
            lines.append(line)
    layout.lines = _renumber(lines)
    ocr_lines = [ln for group in inserted.values() for ln in group]
    layout.diagnostics.append(_read_diagnostic(f"{len(inserted)} image(s) in the body", ocr_lines))
    layout.image_count -= sum(1 for ref in layout.images if ref.at in inserted)
    return layout


# Lazy-loading pages keep the real image in an attribute of their own and a placeholder in src.
_LAZY_SOURCES = ("data-original", "data-src", "data-lazy-src", "data-url")
_SRCSET_SOURCES = ("srcset", "data-srcset")
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")


def img_src(attribute: Callable[[str], str | None]) -> str:
    """The source of an <img> (given its attribute getter) worth reading: a lazy-loading attribute, else
    the largest candidate of its srcset, else src ("" when it has none)."""
    for name in _LAZY_SOURCES:
        if value := (attribute(name) or "").strip():
            return value
    for name in _SRCSET_SOURCES:
        candidates: list[tuple[tuple[bool, float], str]] = []
        for item in (attribute(name) or "").split(","):
            url, _, descriptor = item.strip().partition(" ")
            size = _DESCRIPTOR.match(descriptor.strip())
            # widths (w) outrank densities (x, 1x when none is given): in practice a 640w is larger than a 2x
            rank = (size.group(2) == "w", float(size.group(1))) if size else (False, 1.0)
            if url and not url.lower().startswith("data:"):
                candidates.append((rank, url))
        if candidates:
            return max(candidates, key=lambda c: c[0])[1]
    return (attribute("src") or "").strip()


def image_bytes(src: str, images: ImageSource | None) -> bytes | None:
    """An <img src>'s bytes: a data: URI decoded here, anything else through `images`."""
    match = _DATA_URI.match(src.strip())
    if match:
        payload = match.group("data")
        try:
            return (
                base64.b64decode(payload, validate=False) if match.group("b64") else unquote(payload).encode("latin-1")
            )
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None
    return images(src) if images is not None else None


def local_images(document: Path) -> ImageSource:
    """Images beside a local HTML file (relative paths only, inside its folder): `dwatch parse/check FILE`."""
    folder = document.resolve().parent

    def read(src: str) -> bytes | None:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/|^\\\\", src, re.I):
            return None  # absolute URLs and paths are not read from a local file's page
        path = (folder / unquote(src.split("#")[0].split("?")[0])).resolve()
        if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size > 20 * 1024 * 1024:
            return None
        return path.read_bytes()

    return read
