"""Typed errors for documents that cannot be read at all.

Anything readable in part is not an error: it becomes an AnnualReport with diagnostics.
Each error carries a stable code, shown to users with its message.
"""

from __future__ import annotations

from dwatch.reports.model import DiagnosticLevel
from dwatch.reports.parsers.limits import LimitHit


class ParseError(Exception):
    code = "PARSE-ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class EmptyDocument(ParseError):
    code = "PARSE-EMPTY"


class UnsupportedFormat(ParseError):
    code = "PARSE-UNSUPPORTED"


class CorruptDocument(ParseError):
    code = "PARSE-CORRUPT"


class EncryptedDocument(ParseError):
    code = "PARSE-ENCRYPTED"


class DocumentTooLarge(ParseError):
    """Over a size, page or decompression limit: refused before parsing rather than risk the process."""

    code = "PARSE-TOO-LARGE"


class ParseLimitExceeded(ParseError):
    """A budget limit hit (time, memory, work inside a parser): nothing of the document is kept."""

    code = "PARSE-LIMIT"

    def __init__(self, hit: LimitHit) -> None:
        super().__init__(hit.diagnostic(DiagnosticLevel.ERROR).message)
        self.hit = hit

    def __reduce__(self) -> tuple[type[ParseLimitExceeded], tuple[LimitHit]]:
        return (ParseLimitExceeded, (self.hit,))  # sent back from the parsing process
