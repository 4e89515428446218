"""Messages rendered from Jinja2 templates, once per channel format: plain text, Markdown, HTML.

Every value a template prints is untrusted (crawled text, finding evidence, even registry names):
the environment's `finalize` cleans it (control and bidi characters removed, whitespace collapsed to
one line, URLs defanged so no client turns them into links) and escapes it for the format (HTML by
Jinja's autoescape, Markdown by backslashes and entities). Only the links the service builds itself
(`SafeUrl`, http(s) only, percent-encoded) and the output of the format macros pass unchanged.
Templates must not use `join` or `~` on values: both bypass `finalize`.
"""

from __future__ import annotations

import dataclasses
import re
from enum import StrEnum
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from dwatch.alerts.routing import AlertKind


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


class SafeUrl(str):
    """A link the service built: http(s), percent-encoded, safe inside any format's link syntax."""

    __slots__ = ()


# C0/C1 controls (tab, newline and carriage return become spaces below), zero-width and bidi controls.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_WHITESPACE = re.compile(r"\s+")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20}):/+")
_WWW = re.compile(r"(?i)\bwww\.")
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d+\.)")
_URL_SAFE = ":/?#@!$&*+,;=%~"


def clean(text: str) -> str:
    """Untrusted text made inert: one line, no invisible characters, no clickable URLs."""
    text = _WHITESPACE.sub(" ", _INVISIBLE.sub("", text)).strip()
    text = _SCHEME.sub(r"\1[:]//", text)
    return _WWW.sub("www[.]", text)


def markdown_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_LINE_START.sub(r"\\\1", _MD_INLINE.sub(r"\\\1", text))


def safe_url(url: str | None) -> SafeUrl | None:
    """The URL as a SafeUrl, or None unless it is an absolute http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return SafeUrl(quote(url.strip(), safe=_URL_SAFE))


def _finalizer(fmt: Format) -> Any:
    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):
            return value  # the output of a format macro
        if isinstance(value, SafeUrl):
            # HTML: autoescape still escapes it for the attribute.
            return str(value) if fmt is Format.HTML else Markup(value)
        text = clean(str(value))
        if fmt is Format.MARKDOWN:
            return Markup(markdown_escape(text))
        return text if fmt is Format.HTML else Markup(text)

    return finalize


@cache
def environment(fmt: Format) -> Environment:
    # autoescape on in every format: macro output is Markup, so `finalize` can tell it from values.
    return Environment(
        loader=PackageLoader("dwatch.alerts", "templates"),
        autoescape=True,
        finalize=_finalizer(fmt),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    format: Format


_BLANK_LINES = re.compile(r"\n{3,}")


def render(kind: AlertKind, fmt: Format, context: Any) -> Rendered:
    """Render the template of `kind` with the fields of the dataclass `context`."""
    values = {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
    body = _render(kind, fmt, values)
    # The subject is a mail header or a chat title: plain text in every channel.
    subject = _render(kind, Format.TEXT, values, part="subject")
    return Rendered(subject=subject, body=body, format=fmt)


def _render(kind: AlertKind, fmt: Format, values: dict[str, Any], part: str | None = None) -> str:
    template = environment(fmt).get_template(f"{kind.value}.j2")
    module = template.make_module({**values, "format": fmt.value})
    text = str(getattr(module, part)) if part else str(module)
    if fmt is not Format.HTML:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def split_text(text: str, max_bytes: int) -> list[str]:
    """`text` in parts of at most `max_bytes` UTF-8 bytes, cut at line ends where possible, each
    part numbered “（i/n）” when there are several."""
    if len(text.encode("utf-8")) <= max_bytes:
        return [text]
    budget = max_bytes - len("（99/99）\n".encode())
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > budget:
            cut = _fit(line, budget)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    parts: list[str] = []
    for piece in pieces:
        if parts and len((parts[-1] + piece).encode("utf-8")) <= budget:
            parts[-1] += piece
        else:
            parts.append(piece)
    return [f"（{i}/{len(parts)}）\n{part.strip()}" for i, part in enumerate(parts, 1)]


def _fit(line: str, budget: int) -> int:
    """How many characters of `line` fit in `budget` bytes."""
    size = 0
    for index, char in enumerate(line):
        size += len(char.encode("utf-8"))
        if size > budget:
            return index
    return len(line)
