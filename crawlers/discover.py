"""Find one agency's report for a year: listing pages → the year's link → detail page → document.

Outcomes are kept distinct because supervisors act differently on them: MISSING (the site answered
and lists no report for the year: the agency has not published) and UNREACHABLE (we could not
read the site: our problem or theirs, not yet the agency's fault).
"""

from __future__ import annotations

import re
from datetime import date

from dwatch.crawlers.dates import url_dates
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.links import attachment_links, listing_links, next_page, soup_of
from dwatch.crawlers.models import Candidate, Conditional, CrawlTarget, Discovery, Fetched
from dwatch.crawlers.titles import title_score
from dwatch.reports.labels import normalize
from dwatch.reports.model import DateEvidence, DateSource
from dwatch.reports.parsers import DocumentKind, sniff
from dwatch.reports.parsers.encoding import decode
from dwatch.reports.parsers.errors import ParseError
from dwatch.reports.publication import publication_date
from dwatch.reports.retrieval import Outcome
from dwatch.reports.template import SECTIONS

_GOOD_ENOUGH = 0.8  # a title this close to the canonical one ends the search through further pages
_SECTION_TITLES = tuple(normalize(s.title) for s in SECTIONS)


async def discover(
    target: CrawlTarget, year: int, fetcher: Fetcher, known: dict[str, Conditional] | None = None
) -> Discovery:
    """Find the report; `known` holds validators (ETag/Last-Modified) of earlier fetches by URL."""
    result = Discovery(agency_id=target.agency_id, year=year, outcome=Outcome.MISSING)
    listing_error = await _collect_candidates(target, year, fetcher, result)
    # A listing page that failed leaves the search incomplete: not finding the report proves nothing.
    if listing_error is not None and not result.candidates:
        result.outcome = Outcome.UNREACHABLE
        result.failure, result.failure_detail = listing_error.failure, listing_error.detail
        result.reason = f"栏目页无法访问：{listing_error.reason}（{listing_error.url}）"
        return result
    if not result.candidates:
        result.reason = f"已检查{result.pages_visited}个栏目页，未发现{year}年度政府信息公开工作年度报告"
        return result
    best = max(result.candidates, key=lambda c: c.score)  # max keeps the first (newest-listed) of equals
    result.detail_url, result.document_title = best.url, best.title
    try:
        await _open_detail(target, fetcher, best, result, known or {})
    except FetchError as error:
        result.outcome = Outcome.UNREACHABLE
        result.failure, result.failure_detail = error.failure, error.detail
        result.reason = f"年度报告页面或附件无法获取：{error.reason}（{error.url}）"
        return result
    result.outcome = Outcome.FOUND
    chosen = publication_date(result.date_evidence)
    result.publication_date = chosen.value if chosen else None
    return result


async def _collect_candidates(target: CrawlTarget, year: int, fetcher: Fetcher, result: Discovery) -> FetchError | None:
    """Walk the listing pages; return the last listing error, if any."""
    error: FetchError | None = None
    pattern = re.compile(target.selectors.link_url_pattern) if target.selectors.link_url_pattern else None
    for listing_url in target.listing_urls:
        url: str | None = listing_url
        seen: set[str] = set()
        while url and url not in seen and len(seen) < fetcher.policy.max_listing_pages:
            seen.add(url)
            try:
                page = await fetcher.fetch(url, target)
            except FetchError as exc:
                error = exc
                break
            result.pages_visited += 1
            html, _, _ = decode(page.content or b"", page.content_type)
            soup = soup_of(html)
            for link in listing_links(soup, page.final_url, target.selectors):
                if pattern and not pattern.search(link.url):
                    continue
                score = title_score(link.title, year)
                if score > 0:
                    result.candidates.append(
                        Candidate(title=link.title, url=link.url, score=score, listed_date=link.listed)
                    )
            if any(c.score >= _GOOD_ENOUGH for c in result.candidates):
                return error
            url = next_page(soup, html, page.final_url, target.selectors)
    return error


def _looks_like_report(html: str) -> bool:
    text = normalize(html)
    return sum(title in text for title in _SECTION_TITLES) >= 3


async def _open_detail(
    target: CrawlTarget, fetcher: Fetcher, best: Candidate, result: Discovery, known: dict[str, Conditional]
) -> None:
    detail = await fetcher.fetch(best.url, target, known.get(best.url))
    result.insecure_tls = detail.insecure_tls
    evidence = [*url_dates(detail.final_url)]
    if best.listed_date:
        evidence.append(_listed(best.listed_date))
    document: Fetched = detail
    if detail.content is not None and _kind(detail.content) is DocumentKind.HTML:
        html, _, _ = decode(detail.content, detail.content_type)
        evidence = [*_page_dates(detail), *evidence]
        if not _looks_like_report(html):
            attachments = attachment_links(soup_of(html), detail.final_url)
            result.attachments = [a.url for a in attachments]
            if attachments:
                document = await fetcher.fetch(attachments[0].url, target, known.get(attachments[0].url))
                result.insecure_tls = result.insecure_tls or document.insecure_tls
    result.document = document
    result.date_evidence = evidence


def _kind(content: bytes) -> DocumentKind | None:
    try:
        return sniff(content)
    except ParseError:
        return None


def _page_dates(page: Fetched) -> list[DateEvidence]:
    from dwatch.reports.parsers import html as html_parser

    return html_parser.page_dates(page.content or b"", page.content_type)


def _listed(listed: date) -> DateEvidence:
    # The date beside the link in the column listing: visible, but on another page than the report.
    return DateEvidence(value=listed, source=DateSource.VISIBLE, raw=f"栏目列表日期 {listed.isoformat()}")
