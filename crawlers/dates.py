"""Publication dates: from the URL path, and the choice among all the evidence (spec §5.4)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from dwatch.reports.model import DateEvidence, DateSource

_URL_PATTERNS = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),  # TRS: /202401/t20240129_123.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # Hanweb
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),  # /2026-01/14/article_…
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),  # /nw12344/20230331/…
)


def url_dates(url: str) -> list[DateEvidence]:
    path = urlsplit(url).path
    for pattern in _URL_PATTERNS:
        if match := pattern.search(path):
            try:
                value = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
            return [DateEvidence(value=value, source=DateSource.URL, raw=match.group(0))]
    return []
