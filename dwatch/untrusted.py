"""One sanitizer for untrusted text (crawled pages, report content, registry names) on its way out.

Crawled text can carry control characters (which openpyxl refuses, failing a whole export), terminal
escape sequences (ESC/OSC, which would drive an operator's terminal) and bidi overrides (which make a
line read differently from what it holds). Every export and every terminal print passes such text
through here; storage keeps the original.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls except tab and newline, DEL, C1 controls (incl. the 8-bit CSI), and the bidi embeddings,
# overrides and isolates. A whole ESC/OSC/CSI sequence goes, not only its ESC byte, so no
# "]0;title" debris is left behind.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI, 7- and 8-bit
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC up to its terminator
    r"|\x1b[ -/]*[0-~]"  # every other escape sequence (ESC c, ESC ( B, …)
)
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """The text without escape sequences, control or bidi characters (tab and newline kept)."""
    return _UNSAFE.sub("", _ESCAPE_SEQUENCE.sub("", text))


def for_terminal(text: str) -> str:
    """`plain`, with Rich markup escaped, for text printed through a Rich console."""
    return escape(plain(text))
