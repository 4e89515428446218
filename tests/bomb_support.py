"""Hostile documents built in the tests (issue 18, attack 4): PDF and DOCX bombs, small on disk.

The PDFs are written by hand (a few objects and an xref), as no PDF library writes nonsense on purpose.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

import docx

_CHUNK = 1 << 24


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of `objects` (object n is objects[n-1]; object 1 is the catalog) with a valid xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(entries: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


_FONT = b"/Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>"
_TEXT = b"BT /F1 12 Tf 20 780 Td (Page with text) Tj ET\n"


def pages_pdf(contents: list[bytes], resources: bytes = _FONT, extra: list[bytes] | None = None) -> bytes:
    """One page per content stream (all sharing `resources`), then `extra` objects numbered after them."""
    count = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count)]
    for i in range(count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents %d 0 R /Resources << %s >> >>"
            % (3 + count + i, resources)
        )
    objects += [stream(b"", content) for content in contents]
    return pdf(objects + (extra or []))


def nested_forms(depth: int = 14, fanout: int = 4) -> bytes:
    """Form XObjects each drawing the next `fanout` times: 3 KB on disk, fanout**depth forms for pdfium."""
    first = 5  # after the catalog, the page tree, the page and its content stream
    forms = []
    for level in range(depth):
        number = first + level
        if level + 1 < depth:
            body = b" ".join([b"q /F Do Q"] * fanout) + b" 0 0 m 10 10 l S"
            resources = b"/Resources << /XObject << /F %d 0 R >> >>" % (number + 1)
        else:
            body, resources = b"0 0 m 100 0 l S", b""
        forms.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 600 800] " + resources, body))
    return pages_pdf([_TEXT + b"/F Do"], _FONT + b" /XObject << /F %d 0 R >>" % first, forms)


def flate_bomb(inflated: int) -> bytes:
    """A page whose content stream is `inflated` bytes of spaces, Flate-compressed about 1000-fold.

    Built from one compressed chunk repeated: after a full flush a deflate block stands alone, so the
    repeats are a valid stream, made in a fraction of a second."""
    chunk = b" " * _CHUNK
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeats = inflated // _CHUNK
    checksum = 1
    for _ in range(repeats):
        checksum = zlib.adler32(chunk, checksum)
    data = b"\x78\xda" + block * repeats + b"\x03\x00" + checksum.to_bytes(4, "big")
    content = stream(b"/Filter /FlateDecode", data)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R >>",
        content,
    ]
    return pdf(objects)


def ruled_grid(cells: int, pages: int) -> bytes:
    """`pages` pages each with a line of text and a cells × cells grid drawn cell by cell (a rectangle each)."""
    boxes = b"\n".join(
        b"%.1f %.1f 2.2 3 re S" % (20 + column * 2.2, 20 + row * 3) for row in range(cells) for column in range(cells)
    )
    return pages_pdf([_TEXT + boxes] * pages)


def docx_with_xml(xml_bytes: int) -> bytes:
    """A .docx whose word/document.xml is padded to `xml_bytes` with paragraphs of random hex digits:
    they compress some 2-fold, well within the zip's compression-ratio limit."""
    base = io.BytesIO()
    docx.Document().save(base)
    with zipfile.ZipFile(base) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    digits = os.urandom(xml_bytes // 2).hex().encode()
    paragraphs = [b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % digits[i : i + 6000] for i in range(0, len(digits), 6000)]
    document = members["word/document.xml"]
    at = document.index(b"<w:body>") + len(b"<w:body>")
    members["word/document.xml"] = document[:at] + b"".join(paragraphs) + document[at:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def parse_processes() -> list[int]:
    """Live processes below this one other than its own children (the forkserver, the resource
    tracker): the parses forked by the forkserver."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # it ended meanwhile
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if state != "Z":
                parents[int(entry.name)] = int(ppid)
    me = os.getpid()
    children = {pid for pid, ppid in parents.items() if ppid == me}
    below: set[int] = set()
    frontier = set(children)
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - below
        below |= frontier
    return sorted(below)
