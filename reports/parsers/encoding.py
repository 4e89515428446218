"""Decoding bytes of text and HTML documents (spec §5.4).

Order: byte-order mark, then the declared charset (HTTP header, then <meta>), then detection.
GB2312 and GBK are decoded as GB18030, their superset, since real pages declare gb2312 and use
characters outside it.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from dwatch.reports.model import Diagnostic, DiagnosticLevel

_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "ascii": "utf-8",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _canonical(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, _SUPERSETS.get(name.lower(), codec))


def declared_charset(content_type: str | None, head: bytes) -> tuple[str | None, str]:
    """The charset a document declares, and where: ('gb18030', 'http') / (…, 'meta') / (None, '')."""
    if content_type and (header := _HEADER_CHARSET.search(content_type)) and (name := _canonical(header.group(1))):
        return name, "http"
    if (meta := _META_CHARSET.search(head[:4096])) and (name := _canonical(meta.group(1).decode("ascii"))):
        return name, "meta"
    return None, ""


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str, list[Diagnostic]]:
    """Text, the encoding used, and diagnostics (a declared charset that did not fit, a guess)."""
    diagnostics: list[Diagnostic] = []
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name, diagnostics
    declared, where = declared_charset(content_type, data)
    if declared:
        try:
            return data.decode(declared), declared, diagnostics
        except UnicodeDecodeError as exc:
            diagnostics.append(
                Diagnostic(
                    code="PARSE-CHARSET",
                    level=DiagnosticLevel.WARNING,
                    message=f"declared charset {declared} ({where}) does not fit the bytes at offset {exc.start}",
                )
            )
    try:
        return data.decode("utf-8"), "utf-8", diagnostics
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    guess = _canonical(best.encoding) if best is not None else None
    name = guess or "gb18030"
    diagnostics.append(
        Diagnostic(code="PARSE-CHARSET", level=DiagnosticLevel.INFO, message=f"charset not declared; read as {name}")
    )
    return data.decode(name, errors="replace"), name, diagnostics
