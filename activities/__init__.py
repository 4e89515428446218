"""Thin, idempotent Temporal activities over dwatch.crawling, dwatch.review, dwatch.alerts and the store.

`Activities` holds what they share in one worker: the store, the settings and one crawler (its
per-host politeness limits then hold across all the agencies the worker checks at once).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from activities.alerts import AlertActivities
from activities.report import ReportActivities
from activities.runs import RunActivities
from activities.sweep import SweepActivities
from crawlers.fetch import Fetcher
from dwatch.config import Settings
from dwatch.store.database import Store


def all_activities(
    store: Store, settings: Settings, fetcher: Fetcher, reviewers: Executor | None = None
) -> list[Callable[..., Any]]:
    report = ReportActivities(store, settings, fetcher, reviewers)
    alerts = AlertActivities(store, settings)
    runs = RunActivities(store)
    sweep = SweepActivities(store)
    return [
        runs.begin_run,
        runs.end_run,
        report.agency_info,
        report.crawl,
        report.poll_missing,
        report.latest_document,
        report.review,
        report.waive,
        alerts.alert,
        alerts.escalate,
        alerts.digest,
        sweep.count_agencies,
        sweep.agency_page,
    ]
