"""Reading a response body: content encodings decoded by our own code, under the size limit.

httpx's decoders have no output limit, so a 2 KB body declared `gzip, gzip` inflated to gigabytes
before the size check saw it. Here each raw chunk is inflated at most a bounded piece at a time
(`decompress(data, max_length)`), the limit applies to the inflated size, and only one gzip or
deflate layer is accepted: stacked or unknown encodings (we do not advertise br or zstd) are refused.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

from dwatch.crawlers.errors import FetchError
from dwatch.reports.retrieval import FetchFailure

ACCEPT_ENCODING = "gzip, deflate"
_STEP = 1024 * 1024  # inflated bytes produced per call: memory stays at the body plus one step
_GZIP_WBITS = zlib.MAX_WBITS | 16
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


class _Inflater:
    """One gzip or deflate stream. "deflate" should be zlib-wrapped, but some servers send it raw."""

    def __init__(self, coding: str) -> None:
        self._raw_fallback = coding == "deflate"  # until the first input was read
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS if self._raw_fallback else _GZIP_WBITS)

    @property
    def complete(self) -> bool:
        return self._inflater.eof

    def inflate(self, data: bytes) -> Iterator[bytes]:
        """`data` inflated, in pieces of at most `_STEP` bytes (data after the stream's end is ignored)."""
        while data and not self._inflater.eof:
            try:
                piece = self._inflater.decompress(data, _STEP)
            except zlib.error:
                if not self._raw_fallback:
                    raise
                self._inflater = zlib.decompressobj(_RAW_DEFLATE_WBITS)
                piece = self._inflater.decompress(data, _STEP)
            self._raw_fallback = False
            data = self._inflater.unconsumed_tail
            yield piece


def _inflater(url: str, content_encoding: str | None) -> _Inflater | None:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise FetchError(FetchFailure.ENCODING, url, f"stacked content encodings refused: {content_encoding}")
    if not codings:
        return None
    if codings[0] in {"gzip", "x-gzip"}:
        return _Inflater("gzip")
    if codings[0] == "deflate":
        return _Inflater("deflate")
    raise FetchError(FetchFailure.ENCODING, url, f"unsupported content encoding {codings[0]!r}")


async def read_body(
    raw: AsyncIterator[bytes], url: str, content_encoding: str | None, limit: int, declared: int | None
) -> bytes:
    """The decoded body, at most `limit` bytes; `declared` is the Content-Length (of the raw body)."""
    inflater = _inflater(url, content_encoding)
    body = bytearray()
    received = 0
    try:
        async for chunk in raw:
            received += len(chunk)
            for piece in inflater.inflate(chunk) if inflater else (chunk,):
                body += piece
                if len(body) > limit or received > limit:
                    raise FetchError(FetchFailure.TOO_LARGE, url, f"more than {limit} bytes")
        if declared is not None and received < declared:
            raise FetchError(FetchFailure.TRUNCATED, url, f"{received} of {declared} bytes")
        if inflater is not None and not inflater.complete and received:
            raise FetchError(FetchFailure.TRUNCATED, url, f"the {content_encoding} stream ends early")
        return bytes(body)
    except zlib.error as exc:
        raise FetchError(FetchFailure.ENCODING, url, f"invalid {content_encoding} data: {exc}") from exc
    except MemoryError as exc:  # not ours to let escape: the crawl of every other agency goes on
        raise FetchError(FetchFailure.TOO_LARGE, url, "out of memory while reading the body") from exc
