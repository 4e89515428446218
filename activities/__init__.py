"""Thin, idempotent Temporal activities over dwatch.crawling, dwatch.review, dwatch.alerts and the store.

They come in three kinds, one task queue each, so each scales on workers of its own: the store and
alert activities beside the workflows, the I/O-bound crawls, and the CPU-bound reviews.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dwatch.activities.alerts import AlertActivities
from dwatch.activities.crawl import CrawlActivities
from dwatch.activities.report import ReportActivities
from dwatch.activities.review import ReviewActivities
from dwatch.activities.runs import RunActivities
from dwatch.activities.sweep import SweepActivities
from dwatch.crawlers.fetch import Fetcher
from temporalio.client import Client

from dwatch.config import Settings
from dwatch.store.database import Store


def workflow_activities(store: Store, settings: Settings, client: Client) -> list[Callable[..., Any]]:
    """Short store and alert work the workflows do between crawling and reviewing, and starting a
    sweep's agencies."""
    report = ReportActivities(store, settings)
    alerts = AlertActivities(store, settings)
    runs = RunActivities(store)
    sweep = SweepActivities(store, client, settings.crawl)
    return [
        runs.begin_run,
        runs.end_run,
        report.agency_info,
        report.latest_document,
        report.waive,
        alerts.alert,
        alerts.escalate,
        alerts.digest,
        sweep.count_agencies,
        sweep.agency_page,
        sweep.start_reports,
        sweep.report_to_sweeps,
    ]


def crawl_activities(
    store: Store, fetcher: Fetcher, reviewer: ReviewActivities | None = None
) -> list[Callable[..., Any]]:
    crawl = CrawlActivities(store, fetcher, reviewer)
    return [crawl.crawl, crawl.poll_missing]
