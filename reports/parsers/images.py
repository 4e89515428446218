"""Where the <img>s of an HTML report's body point: what a crawler fetches so OCR can read them.

One rule for both sides: the crawler fetches `report_images(page, url)` and the review hands OCR
the bytes stored under `image_url(src, url)`, so the same images are asked for as were fetched.

Images on hosts outside the agency's own (a CMS's CDN, an image host) are common on real sites. They
are fetched through the same safe fetcher (public addresses only, redirects kept to that host), but
only the first `MAX_OFF_HOST_IMAGES` of a document, at most `MAX_OFF_HOST_BYTES` each, and kept only
when the bytes are an image; the crawler records which came from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from dwatch.reports.parsers import DocumentKind, ParseError, sniff
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, ParseLimits
from dwatch.reports.parsers.ocr import MAX_IMAGES

MAX_OFF_HOST_IMAGES = 6  # a report has three tables, each maybe split across two images
MAX_OFF_HOST_BYTES = 2 * 1024 * 1024  # a table image is well under 1 MB
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def is_image(data: bytes) -> bool:
    """The bytes are a PNG, JPEG, GIF, BMP or WebP image (by their signature, not a header's word)."""
    return data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def off_host_images(urls: list[str], on_host: Callable[[str], bool]) -> list[str]:
    """The image URLs outside the agency's hosts that may be fetched all the same (the first few)."""
    return [url for url in urls if not on_host(url)][:MAX_OFF_HOST_IMAGES]


def image_url(src: str, base: str) -> str | None:
    """The absolute http(s) URL of an <img src> on the page at `base`; None for data: URIs and other schemes."""
    src = src.strip()
    if not src or src.lower().startswith("data:"):
        return None
    url = urljoin(base, src).split("#")[0]
    return url if urlsplit(url).scheme in {"http", "https"} else None


def report_images(
    data: bytes, base: str, *, content_type: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> list[str]:
    """The URLs of the images OCR would read in an HTML report's body (the first `MAX_IMAGES`), in order,
    once each; [] for any other document."""
    try:
        if sniff(data) is not DocumentKind.HTML:
            return []
    except ParseError:
        return []
    from dwatch.reports.parsers import html

    urls: list[str] = []
    for ref in html.extract(data, limits, content_type).images[:MAX_IMAGES]:
        url = image_url(ref.src, base)
        if url is not None and url not in urls:
            urls.append(url)
    return urls
