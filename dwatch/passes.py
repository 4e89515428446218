"""Passes over agency-years in this process, for set-ups without Temporal (the dashboard's local backend).

A pass is what the AgencyReport workflow does each time it checks an agency-year: crawl (or, to
re-check, take the newest archived document) → review (parse, check, record findings and status) →
alert the supervisor on a change of status. The workflow runs each step as an activity on its own
task queue; here they run in sequence, each the service function its activity calls
(`dwatch.crawling`, `dwatch.review`, `dwatch.alerts.service`), so no step has a second implementation.
A sweep is a pass of every agency in scope, then the supervisors' digest, as DeadlineSweep does.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from datetime import datetime
from typing import Literal

from dwatch.alerts.service import alert_on_review, send_digest
from dwatch.config import Settings
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawling import as_found, crawl_agency, load_agencies
from dwatch.reports.compliance import CHINA
from dwatch.review import review_crawl
from dwatch.store.database import Store
from dwatch.store.documents import latest_version
from dwatch.store.registry.models import AgencyRow
from dwatch.workflows.models import CrawlResult, Review

Work = Literal["crawl", "recheck"]


class NothingArchivedError(LookupError):
    """A re-check of an agency-year that has no archived document."""


async def run_pass(
    store: Store,
    settings: Settings,
    agency: AgencyRow,
    year: int,
    work: Work,
    *,
    key_prefix: str,
    fetcher: Fetcher | None = None,
) -> Review:
    """One pass. `key_prefix` names it in the alerts' idempotency keys (a pass repeated under the same
    name sends nothing twice); `fetcher` is one shared with other passes, so politeness holds across
    them (default: one of its own). NothingArchivedError: a re-check with nothing archived."""
    if work == "recheck":
        found = await asyncio.to_thread(_archived, store, agency, year)
    else:
        async with nullcontext(fetcher) if fetcher else Fetcher(settings.crawl) as crawler:
            found = await crawl_agency(store, agency, year, crawler)
    review = await asyncio.to_thread(review_crawl, store, agency, found)
    await asyncio.to_thread(alert_on_review, store, settings, agency, review, key_prefix=key_prefix)
    return review


async def run_sweep(
    store: Store, settings: Settings, year: int, agency_ids: list[str] | None, *, sweep_id: str
) -> list[Review]:
    """A pass of every agency (the active ones, or those named), then the digest of the day."""
    with store.session() as session:
        agencies = load_agencies(session, agency_ids)
    async with Fetcher(settings.crawl) as fetcher:
        reviews = await asyncio.gather(
            *(
                run_pass(store, settings, a, year, "crawl", key_prefix=f"{sweep_id}/{a.id}", fetcher=fetcher)
                for a in agencies
            )
        )
    today = datetime.now(CHINA).date()
    await asyncio.to_thread(send_digest, store, settings, year, sweep_id=sweep_id, today=today, agency_ids=agency_ids)
    return list(reviews)


def _archived(store: Store, agency: AgencyRow, year: int) -> CrawlResult:
    with store.session() as session:
        document = latest_version(session, agency.id, year)
        if document is None:
            raise NothingArchivedError("尚无已归档的文档，请先重新抓取")
        return as_found(document, insecure_tls=agency.insecure_tls)
