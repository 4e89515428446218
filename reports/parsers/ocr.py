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
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from dwatch.reports import ocr
from dwatch.reports.layout import Fragment, Layout, Line
from dwatch.reports.model import CellCrop, Diagnostic, DiagnosticLevel
from dwatch.reports.parsers.limits import reached_page

if TYPE_CHECKING:
    import numpy as np
    import pypdfium2 as pdfium
    from dwatch.reports.ocr.page import Upright
    from numpy.typing import NDArray
    from PIL import Image

ImageSource = Callable[[str], bytes | None]  # an <img src> → its bytes, or None when not available

OCR_NEEDED = "PARSE-OCR-NEEDED"
OCR_READ = "PARSE-OCR"
OCR_ORIENTATION = "PARSE-OCR-ORIENTATION"
MAX_OCR_PAGES = 40  # a scanned report has under 30 pages; more is not read (and stays unread)
MAX_IMAGES = 20
MAX_IMAGE_PIXELS = 40_000_000
_DPI = 150  # scanned PDF pages are rendered at 150 dpi
_EDGE = 3  # pixels of a cell's box next to its rules, left out (a rule's grey edge is not text)
# The cells of an upright-looking page read again at the other turns, and by how much more confident a
# turn's reading of them must be for the page to be read in full at that turn (on the synthetic scans a
# page read at its right turn scores 0.1-0.5 above its wrong ones).
_SAMPLE = 8
_CLEARLY = 0.1
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
    turned: dict[int, int] = {}
    for number, image in images.items():
        reached_page(number, count)
        read[number], turned[number] = read_page(image, number)
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
    layout.diagnostics += [_orientation_diagnostic(n, turned[n]) for n in got if turned[n]]
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
    """The page as displayed: pdfium applies its /Rotate (`rotation` would turn it further)."""
    page = document[number - 1]
    try:
        image: Image.Image = page.render(scale=_DPI / 72, rotation=0, grayscale=True).to_pil().convert("L")
        return image
    finally:
        page.close()


def read_page(image: Image.Image, number: int) -> tuple[list[Line], int]:
    """A rendered page's lines and the quarter turn (degrees counter-clockwise) it was read at.

    A page whose table text runs down it (`_sideways`, pixels only) is read at 90° and 270°. Any other
    page is read upright, as before; a few of its cells are then read at the other turns (`_other_turns`)
    and a turn that reads them clearly better (a page scanned upside down, or sideways with too few
    cells to tell) is read in full as well. The most confident full read is kept.
    """
    from dwatch.reports.ocr.page import read_image, upright

    def read(turn: int, scan: Upright) -> tuple[list[Line], float]:
        lines = read_image(scan, page=number, dpi=_DPI).lines
        if turn:  # the crop's angle says how to cut the cell from the page as rendered: see `cell_image`
            lines = [replace(ln, fragments=tuple(_turned_fragment(f, turn) for f in ln.fragments)) for ln in lines]
        return lines, _mean_confidence(lines)

    scan = upright(image)
    if _sideways(scan):
        reads = {turn: read(turn, upright(_turn(image, turn))) for turn in (90, 270)}
    else:
        reads = {0: read(0, scan)}
        reads |= {turn: read(turn, upright(_turn(image, turn))) for turn in _other_turns(scan, reads[0][0])}
    best = max(reads, key=lambda turn: reads[turn][1])
    return reads[best][0], best


def _other_turns(scan: Upright, lines: list[Line]) -> list[int]:
    """The turns at which the `_SAMPLE` inkiest cells of an upright read (labels and long figures: the
    most telling) read clearly more confidently than they did upright. A few small crops recognised
    three times, together and without reading the doubtful ones again (at a wrong turn all are doubtful):
    a small share of a page's read."""
    import numpy as np
    from dwatch.reports.ocr import recognize

    confidences = {
        f.crop.box: f.confidence
        for ln in lines
        for f in ln.fragments
        if f.text and f.crop is not None and f.confidence is not None
    }
    if not confidences:
        return []
    crops = [
        (confidence, scan.pixels[top:bottom, left:right])
        for (left, top, right, bottom), confidence in confidences.items()
    ]
    sample = sorted(crops, key=lambda c: -int(np.count_nonzero(c[1] < scan.threshold)))[:_SAMPLE]
    base = sum(confidence for confidence, _ in sample) / len(sample)
    if base + _CLEARLY >= 1.0:  # no turn can read clearly more confidently (1.0 is certain): none is read
        return []
    turns = (90, 180, 270)
    turned = [np.ascontiguousarray(np.rot90(crop, turn // 90)) for turn in turns for _, crop in sample]
    read = recognize.read_cells(turned, scan.threshold, partial(recognize.rapidocr, recheck=False))
    out = []
    for k, turn in enumerate(turns):
        at_turn = read[k * len(sample) : (k + 1) * len(sample)]
        if sum(c.confidence for c in at_turn) / len(sample) > base + _CLEARLY:
            out.append(turn)
    return out


def _turn(image: Image.Image, turn: int) -> Image.Image:
    """`image` turned by a multiple of 90° counter-clockwise; Pillow transposes these exactly (no resampling)."""
    return image.rotate(turn, expand=True) if turn % 360 else image


def _quarter(angle: float) -> tuple[int, float]:
    """A crop's angle split into its quarter turn and the small deskew angle that follows it."""
    quarters = round(angle / 90)
    return quarters * 90 % 360, angle - quarters * 90


def _turned_fragment(fragment: Fragment, turn: int) -> Fragment:
    if fragment.crop is None:
        return fragment
    return replace(fragment, crop=fragment.crop.model_copy(update={"angle": round(turn + fragment.crop.angle, 2)}))


def _mean_confidence(lines: list[Line]) -> float:
    """How well a page read: the mean confidence of what was read (blank cells say nothing)."""
    read = [f.confidence for ln in lines for f in ln.fragments if f.confidence is not None and f.text.strip()]
    return sum(read) / len(read) if read else 0.0


def _sideways(scan: Upright) -> bool:
    """Whether the text in the page's table cells runs down the page. Along a line of text, a cell's
    ink breaks into pieces (digits, characters, with gaps between them); across it, it does not (or
    once per wrapped line). Pixels and sums only, no recognition, on the deskewed page (a scan a degree
    off would join the pieces of a line); a page without a ruled table is taken as upright."""
    across = down = 0
    for table in scan.tables:
        for cell in table.cells:
            left, top, right, bottom = cell.box
            inked = scan.pixels[top + _EDGE : bottom - _EDGE, left + _EDGE : right - _EDGE] < scan.threshold
            across += _gaps(inked, axis=0)
            down += _gaps(inked, axis=1)
    return down > across


def _gaps(inked: NDArray[np.bool_], axis: int) -> int:
    """The blanks between pieces of ink of a cell, going across its columns (axis 0) or down its rows (1)."""
    import numpy as np

    profile = np.count_nonzero(inked, axis=axis) > 0
    starts = int(np.count_nonzero(profile[1:] & ~profile[:-1])) + int(profile[:1].sum())
    return max(0, starts - 1)


def _orientation_diagnostic(page: int, turn: int) -> Diagnostic:
    return Diagnostic(
        code=OCR_ORIENTATION,
        level=DiagnosticLevel.INFO,
        message=(
            f"page {page}: the scan's content is not upright; it was read turned {turn}° counter-clockwise, "
            "the orientation that read with the highest confidence"
        ),
    )


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
        turn, angle = _quarter(crop.angle)  # a page read turned by a quarter turn: `read_page`
        return cell_png(_turn(image, turn), crop.model_copy(update={"angle": angle}))
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
    from dwatch.reports.ocr.page import read_image, upright
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
        read = read_image(upright(image), source=ref.src, text=False)
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
