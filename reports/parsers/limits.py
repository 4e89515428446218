"""Resource limits for parsing untrusted documents; one place so every parser applies the same."""

from __future__ import annotations

from pydantic import BaseModel


class ParseLimits(BaseModel):
    max_bytes: int = 50 * 1024 * 1024  # a larger download is refused before parsing
    max_pages: int = 300  # PDF pages read; a real annual report has under 30
    max_unzipped_bytes: int = 100 * 1024 * 1024  # DOCX: total uncompressed size of the zip members
    max_compression_ratio: int = 200  # DOCX: a member inflating more than this is a zip bomb
    max_text_chars: int = 5_000_000  # extracted text kept for analysis
    max_lines: int = 200_000


DEFAULT_LIMITS = ParseLimits()
