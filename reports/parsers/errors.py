"""Typed errors for documents that cannot be read at all.

Anything readable in part is not an error: it becomes an AnnualReport with diagnostics.
Each error carries a stable code, shown to users with its message.
"""

from __future__ import annotations


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
    """Over a size, page, decompression or time limit: refused rather than risk the process."""

    code = "PARSE-TOO-LARGE"
