"""Crawling registered agencies into the archive: registry row → crawl target → discovery → document.

Used by the `dwatch discover` / `dwatch fetch` commands and by the Temporal activities. Validators
(ETag, Last-Modified) of the version last seen at each URL make re-checks conditional, so an unchanged
report is not downloaded again. A report is identified by its agency-year and its bytes, not by its
URL: the same bytes found at another URL (another scheme, host or port) are the same version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.crawlers.discover import discover
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import Conditional, CrawlTarget, Discovery, Fetched, FetchPolicy, SiteSelectors
from dwatch.crawlers.politeness import HostLimits, host_key
from dwatch.crawlers.safety import host_allowed
from dwatch.reports.parsers.images import MAX_OFF_HOST_BYTES, is_image, off_host_images, report_images
from dwatch.reports.publication import publication_date
from dwatch.reports.retrieval import FetchFailure, Outcome
from dwatch.store.database import Store
from dwatch.store.documents import FetchedDocument, found_at, record_fetch, with_bytes
from dwatch.store.images import document_images, record_image
from dwatch.store.registry.models import AgencyRow
from dwatch.store.registry.service import UnreadableAgencyError, host_limits, read_agencies
from dwatch.store.tables import Agency, Document
from dwatch.workflows.models import CrawlResult

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # a table image is well under 1 MB; a report may be 50


def crawl_target(agency: AgencyRow) -> CrawlTarget:
    return CrawlTarget(
        agency_id=agency.id,
        name=agency.name,
        listing_urls=[str(u) for u in agency.listing_urls],
        allowed_hosts=agency.allowed_hosts,
        selectors=agency.selectors or SiteSelectors(),
        allow_insecure_tls=agency.insecure_tls,
    )


def load_agencies(session: Session, agency_ids: list[str] | None) -> list[AgencyRow]:
    """Active agencies, all of them or those named (unknown ids raise KeyError, listed). A stored row
    that no longer validates is skipped and logged among all agencies; named, it raises
    UnreadableAgencyError."""
    query = select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)
    if agency_ids:
        query = select(Agency).where(Agency.id.in_(agency_ids)).order_by(Agency.id)
    agencies, unreadable = read_agencies(session, query)
    if agency_ids and unreadable:
        raise UnreadableAgencyError(unreadable[0])
    unknown = sorted(set(agency_ids or ()) - {a.id for a in agencies})
    if unknown:
        raise KeyError(unknown)
    return agencies


def host_limits_of(session: Session, agency: AgencyRow) -> dict[str, HostLimits | None]:
    """Politeness of each host of the agency's URLs: the registry's own for the host, or None for the
    defaults (so a host whose registry entry changed back to them returns to them)."""
    hosts = {host_key(str(url)) for url in [agency.base_url, *agency.listing_urls]}
    own = host_limits(session, hosts)
    return {host: HostLimits(own[host].concurrency, own[host].interval) if host in own else None for host in hosts}


def host_paced(agencies: list[tuple[str, str]], intervals: dict[str, float], default: float) -> list[str]:
    """Agency ids (with their hosts) in the order a sweep should start them: each agency at the moment
    its host would reach it at its polite pace (its rank among the host's agencies × the host's
    interval), hosts taking turns at equal moments. A window of agencies in progress then spreads over
    the hosts in proportion to how fast each may be crawled: a portal with 300 agencies gets its
    share, not the whole window, and the hosts with few agencies are not queued behind it."""
    by_host: dict[str, list[str]] = {}
    for agency_id, host in agencies:
        by_host.setdefault(host, []).append(agency_id)
    turns = []
    for host, ids in by_host.items():
        pace = intervals.get(host, default)
        turns += [(rank * pace, rank, host, agency_id) for rank, agency_id in enumerate(sorted(ids))]
    return [turn[3] for turn in sorted(turns)]


def first_host(listing_urls: object) -> str:
    """The host of an agency's first listing URL as stored (never raises: a bad row is reported where
    it is read, not where a sweep orders its agencies)."""
    if isinstance(listing_urls, list) and listing_urls and isinstance(listing_urls[0], str):
        try:
            return host_key(listing_urls[0])
        except ValueError:
            pass
    return ""


def known_validators(session: Session, agency_id: str, year: int) -> dict[str, Conditional]:
    """ETag / Last-Modified of the version of the agency's report last seen at each of its URLs."""
    urls = session.scalars(
        select(Document.url).where(Document.agency_id == agency_id, Document.report_year == year).distinct()
    )
    known = {}
    for url in urls:
        seen = found_at(session, agency_id, year, url)
        if seen is not None:
            headers = seen.http_headers or {}
            known[url] = Conditional(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
    return known


def summarize(discovery: Discovery) -> CrawlResult:
    document = discovery.document
    return CrawlResult(
        agency_id=discovery.agency_id,
        year=discovery.year,
        outcome=discovery.outcome,
        reason=discovery.reason,
        failure=discovery.failure,
        failure_detail=discovery.failure_detail,
        document_url=document.url if document else None,
        sha256=document.sha256 if document else None,
        published=discovery.publication_date,
        insecure_tls=discovery.insecure_tls,
    )


def as_found(document: Document, *, insecure_tls: bool = False) -> CrawlResult:
    """An archived document presented as a crawl that found it, so a re-check takes the review path."""
    return CrawlResult(
        agency_id=document.agency_id,
        year=document.report_year,
        outcome=Outcome.FOUND,
        document_url=document.url,
        sha256=document.sha256,
        version=document.version,
        published=document.published_on,
        insecure_tls=insecure_tls,
    )


def archive(store: Store, discovery: Discovery) -> CrawlResult:
    """Record the discovered document (a new version only when its bytes changed)."""
    result = summarize(discovery)
    document = discovery.document
    if document is None:
        return result
    if document.content is not None and not document.not_modified:
        store.blobs.put(document.content)  # written (and synced) before the write transaction, not in it
    with store.session() as session:
        if document.not_modified or document.content is None:
            seen = found_at(session, discovery.agency_id, discovery.year, document.url)
            result.not_modified = True
            if seen is not None:
                result.sha256, result.version = seen.sha256, seen.version
            return result
        fetched = FetchedDocument(
            agency_id=discovery.agency_id,
            report_year=discovery.year,
            url=document.url,
            final_url=document.final_url if document.final_url != document.url else None,
            http_status=document.status,
            http_headers={
                k: v
                for k, v in {
                    "content-type": document.content_type,
                    "etag": document.etag,
                    "last-modified": document.last_modified,
                }.items()
                if v
            },
            media_type=(document.content_type or "application/octet-stream").split(";")[0].strip(),
            fetched_at=document.fetched_at,
            published=publication_date(discovery.date_evidence),
        )
        recorded = record_fetch(session, store.blobs, fetched, document.content)
    result.sha256, result.version, result.new_version = recorded.sha256, recorded.version, recorded.is_new_version
    return result


async def crawl_agency(store: Store, agency: AgencyRow, year: int, fetcher: Fetcher) -> CrawlResult:
    """Discover the agency's report for `year` (conditionally, see `known_validators`) and archive it,
    at the politeness the registry sets for its hosts."""

    def known() -> tuple[dict[str, Conditional], dict[str, HostLimits | None]]:
        with store.reading() as session:
            return known_validators(session, agency.id, year), host_limits_of(session, agency)

    validators, limits = await asyncio.to_thread(known)
    for host, own in limits.items():
        fetcher.politeness.configure(host, own)
    discovery = await discover(crawl_target(agency), year, fetcher, validators)
    result = await asyncio.to_thread(archive, store, discovery)
    await fetch_images(store, agency, result, fetcher)
    return result


async def fetch_images(store: Store, agency: AgencyRow, result: CrawlResult, fetcher: Fetcher) -> None:
    """Archive the images of the found HTML report (tables as <img>, read by OCR in the review) that are
    not stored yet, through the same safe fetcher. A failure is recorded, not raised: the table stays
    unread (IMG-01) and the image is tried again at the next crawl."""
    sha256 = result.sha256
    if result.outcome is not Outcome.FOUND or sha256 is None:
        return

    def pending() -> tuple[int, list[str]]:
        with store.reading() as session:
            document = with_bytes(session, agency.id, result.year, sha256)
            if document is None:
                return 0, []
            stored = {url for url, row in document_images(session, document.id).items() if row.sha256}
            document_id, base = document.id, document.final_url
            content_type = document.http_headers.get("content-type")
        urls = report_images(store.blobs.get(sha256), base, content_type=content_type)
        return document_id, [url for url in urls if url not in stored]

    document_id, urls = await asyncio.to_thread(pending)
    target = crawl_target(agency)
    off_host = off_host_images(urls, lambda url: host_allowed(url, target.allowed_hosts))

    async def one(url: str) -> tuple[str, Fetched | FetchError]:
        try:
            if url not in off_host:
                return url, await fetcher.fetch(url, target, max_bytes=MAX_IMAGE_BYTES)
            # An image host of its own (a CDN): that host only, a tighter cap, and an image or nothing.
            own = target.model_copy(update={"allowed_hosts": [urlsplit(url).netloc.rpartition("@")[2]]})
            fetched = await fetcher.fetch(url, own, max_bytes=MAX_OFF_HOST_BYTES)
            if fetched.content is not None and not is_image(fetched.content):
                raise FetchError(FetchFailure.HOST_NOT_ALLOWED, url, "off-host response is not an image")
            return url, fetched
        except FetchError as error:
            return url, error

    outcomes = await asyncio.gather(*(one(url) for url in urls))
    if outcomes:
        await asyncio.to_thread(_record_images, store, document_id, outcomes, set(off_host))


def _record_images(
    store: Store, document_id: int, outcomes: list[tuple[str, Fetched | FetchError]], off_host: set[str]
) -> None:
    with store.session() as session:
        for url, outcome in outcomes:
            if isinstance(outcome, FetchError):
                failure, detail = outcome.failure.value, outcome.detail
                record_image(session, document_id, url, datetime.now(UTC), failure=failure, detail=detail)
            elif outcome.content is not None:
                origin = f"off-host image from {urlsplit(url).hostname}" if url in off_host else None
                sha256 = store.blobs.put(outcome.content)
                record_image(session, document_id, url, outcome.fetched_at, sha256=sha256, detail=origin)


async def crawl(
    store: Store,
    agencies: list[AgencyRow],
    year: int,
    policy: FetchPolicy,
    *,
    keep: bool = True,
    on_done: Callable[[CrawlResult], None] | None = None,
) -> list[CrawlResult]:
    """Discover (and with `keep`, archive) every agency's report, concurrently within politeness limits."""

    async def one(fetcher: Fetcher, agency: AgencyRow) -> CrawlResult:
        if keep:
            result = await crawl_agency(store, agency, year, fetcher)
        else:
            result = summarize(await discover(crawl_target(agency), year, fetcher, {}))
        if on_done is not None:
            on_done(result)
        return result

    async with Fetcher(policy) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, a) for a in agencies)))
