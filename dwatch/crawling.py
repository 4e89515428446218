"""Crawling registered agencies into the archive: registry row → crawl target → discovery → document.

Used by the `dwatch discover` / `dwatch fetch` commands and by the Temporal activities. Validators
(ETag, Last-Modified) of the version last seen at each URL make re-checks conditional, so an unchanged
report is not downloaded again. A report is identified by its agency-year and its bytes, not by its
URL: the same bytes found at another URL (another scheme, host or port) are the same version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.crawlers.discover import discover
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import (
    Conditional,
    CrawlTarget,
    Discovery,
    FetchFailure,
    FetchPolicy,
    Outcome,
    SiteSelectors,
)
from dwatch.reports.publication import publication_date
from dwatch.store.database import Store
from dwatch.store.documents import FetchedDocument, found_at, record_fetch
from dwatch.store.registry.models import AgencyRow
from dwatch.store.registry.service import agency_row
from dwatch.store.tables import Agency, Document


class CrawlResult(BaseModel):
    """What one agency's crawl found, without the bytes (they are in the blob store)."""

    model_config = ConfigDict(extra="forbid")

    agency_id: str
    year: int
    outcome: Outcome
    reason: str = ""
    failure: FetchFailure | None = None
    document_url: str | None = None
    sha256: str | None = None
    version: int | None = None
    new_version: bool = False
    not_modified: bool = False
    published: date | None = None
    insecure_tls: bool = False


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
    """Active agencies, all of them or those named (unknown ids raise KeyError, listed)."""
    query = select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)
    if agency_ids:
        query = select(Agency).where(Agency.id.in_(agency_ids)).order_by(Agency.id)
    agencies = [agency_row(a) for a in session.scalars(query)]
    unknown = sorted(set(agency_ids or ()) - {a.id for a in agencies})
    if unknown:
        raise KeyError(unknown)
    return agencies


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
        with store.session() as session:
            known = known_validators(session, agency.id, year) if keep else {}
        discovery = await discover(crawl_target(agency), year, fetcher, known)
        result = archive(store, discovery) if keep else summarize(discovery)
        if on_done is not None:
            on_done(result)
        return result

    async with Fetcher(policy) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, a) for a in agencies)))
