"""Alerts to supervisors, through dwatch.alerts. Each message has an idempotency key that a retried
activity, a restarted worker or a replayed history makes again, so it finds the notification already
recorded and does not send it again: an alert's names the workflow pass that saw the change; a
digest's or an escalation's names the state it reports and its period (`dwatch.alerts.service`)."""

from __future__ import annotations

import asyncio

from dwatch.activities.sweep import scope_query
from dwatch.reports.compliance import CHINA
from dwatch.workflows.models import (
    ALERT,
    DIGEST,
    ESCALATE,
    AlertRequest,
    DigestRequest,
    EscalationRequest,
    SweepScope,
)
from temporalio import activity

from dwatch.alerts.service import alert_on_review, change_alert, escalate_missing, send_digest
from dwatch.config import Settings
from dwatch.crawling import load_agencies
from dwatch.store.database import Store


class AlertActivities:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @activity.defn(name=ALERT.name)
    async def alert(self, request: AlertRequest) -> int:
        """Alert on one review (the alerts module decides whether its change is worth telling)."""
        if change_alert(request.review) is None:
            return 0  # most reviews change nothing: no store read, no thread

        def send() -> int:
            with self.store.reading() as session:
                agency = load_agencies(session, [request.agency_id])[0]
            deliveries = alert_on_review(
                self.store, self.settings, agency, request.review, key_prefix=request.key_prefix
            )
            return len(deliveries)

        return await asyncio.to_thread(send)

    @activity.defn(name=ESCALATE.name)
    async def escalate(self, request: EscalationRequest) -> int:
        def send() -> int:
            deliveries = escalate_missing(
                self.store,
                self.settings,
                request.year,
                today=request.today,
                key_prefix=request.key_prefix,
                agency_ids=[request.agency_id] if request.agency_id else None,
            )
            return len(deliveries)

        return await asyncio.to_thread(send)

    @activity.defn(name=DIGEST.name)
    async def digest(self, request: DigestRequest) -> int:
        """The sweep's digest. Its period is the day the sweep asked for it (China time): a retry on
        the next day is still the same digest."""
        today = activity.info().scheduled_time.astimezone(CHINA).date()

        def send() -> int:
            agency_ids = None
            if request.scope != SweepScope():
                with self.store.session() as session:
                    agency_ids = list(session.scalars(scope_query(request.scope)))
            deliveries = send_digest(
                self.store, self.settings, request.year, sweep_id=request.sweep_id, today=today, agency_ids=agency_ids
            )
            return len(deliveries)

        return await asyncio.to_thread(send)
