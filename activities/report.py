"""Store activities of one agency-year (the workflows' task queue): who it is, its newest archived
document, waiving a finding. Each is safe to retry: a waiver already in place is left as it is.
Crawling is in `activities.crawl`, parsing and checking in `activities.review`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from dwatch.reports.compliance import ComplianceStatus, report_deadline
from dwatch.workflows.models import (
    AGENCY_INFO,
    LATEST_DOCUMENT,
    WAIVE,
    AgencyInfo,
    AgencyYear,
    CrawlResult,
    WaiveActivityInput,
    WaiveResult,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dwatch.config import Settings
from dwatch.crawling import as_found, load_agencies
from dwatch.store.database import Store
from dwatch.store.findings import StatusChange, change_status
from dwatch.store.registry.models import AgencyRow
from dwatch.store.registry.service import UnreadableAgencyError
from dwatch.store.tables import AgencyStatus, Document, Finding, FindingStatus

UNKNOWN_FINDING = "UnknownFinding"
UNKNOWN_AGENCY = "UnknownAgency"
UNREADABLE_AGENCY = "UnreadableAgency"
NO_DEADLINE = "NoDeadline"


def load_agency(session: Session, agency_id: str) -> AgencyRow:
    try:
        return load_agencies(session, [agency_id])[0]
    except KeyError:
        # Retrying cannot make an unregistered agency appear: fail the workflow at once.
        raise ApplicationError(f"机关“{agency_id}”未登记", type=UNKNOWN_AGENCY, non_retryable=True) from None
    except UnreadableAgencyError as exc:
        # Nor a bad stored row right itself: this agency fails, the sweep goes on with the others.
        raise ApplicationError(str(exc), type=UNREADABLE_AGENCY, non_retryable=True) from None


class ReportActivities:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @activity.defn(name=AGENCY_INFO.name)
    async def agency_info(self, key: AgencyYear) -> AgencyInfo:
        def read() -> tuple[AgencyRow, str | None]:
            with self.store.reading() as session:
                row = load_agency(session, key.agency_id)
                stored = session.get(AgencyStatus, (key.agency_id, key.year))
                return row, stored.status if stored else None

        row, status = await asyncio.to_thread(read)
        deadline = report_deadline(key.year, row.kind, row.deadline)
        if deadline is None:
            raise ApplicationError(f"{key.year} 年度没有年度报告截止日期", type=NO_DEADLINE, non_retryable=True)
        return AgencyInfo(
            agency_id=row.id,
            region=row.region,
            supervisor_id=row.supervisor,
            deadline=deadline,
            escalate_on=deadline + timedelta(days=self.settings.alerts.escalation_days),
            status=ComplianceStatus(status) if status else None,
        )

    @activity.defn(name=LATEST_DOCUMENT.name)
    async def latest_document(self, key: AgencyYear) -> CrawlResult | None:
        """The newest archived document of the agency-year, as a crawl would report it (for re-checks)."""

        def read() -> CrawlResult | None:
            with self.store.reading() as session:
                document = session.scalars(
                    select(Document)
                    .where(Document.agency_id == key.agency_id, Document.report_year == key.year)
                    .order_by(Document.fetched_at.desc(), Document.id.desc())
                    .limit(1)
                ).first()
                return as_found(document) if document is not None else None

        return await asyncio.to_thread(read)

    @activity.defn(name=WAIVE.name)
    async def waive(self, request: WaiveActivityInput) -> WaiveResult:
        def write() -> WaiveResult:
            with self.store.session() as session:
                finding = session.scalars(
                    select(Finding).where(
                        Finding.agency_id == request.agency_id,
                        Finding.report_year == request.year,
                        Finding.fingerprint == request.fingerprint,
                    )
                ).one_or_none()
                if finding is None:
                    raise ApplicationError(
                        f"{request.agency_id} {request.year} 没有指纹为 {request.fingerprint} 的问题",
                        type=UNKNOWN_FINDING,
                        non_retryable=True,
                    )
                change = StatusChange(status=FindingStatus.WAIVED, actor=request.actor, reason=request.reason)
                changed = change_status(session, finding.id, change)
                return WaiveResult(
                    fingerprint=changed.fingerprint,
                    finding_id=changed.id,
                    rule_id=changed.rule_id,
                    status=changed.status,
                )

        return await asyncio.to_thread(write)
