"""Where the <img>s of an HTML report's body point: what a crawler fetches so OCR can read them.

One rule for both sides: the crawler fetches `report_images(page, url)` and the review hands OCR
the bytes stored under `image_url(src, url)`, so the same images are asked for as were fetched.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from dwatch.reports.parsers import DocumentKind, ParseError, sniff
from dwatch.reports.parsers.limits import DEFAULT_LIMITS, ParseLimits
from dwatch.reports.parsers.ocr import MAX_IMAGES


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
