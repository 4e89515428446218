"""Notifications: what was sent to whom, about which findings, and how each delivery attempt went.

Each notification is linked to the findings and the agency-years it is about, so the audit trail of
an agency-year lists it even when it has no finding (an escalation of a missing report, a digest).

The idempotency key (unique in the database) is chosen by the sender, e.g. from the workflow id and
the digest it sends: creating the same notification twice returns the first one, so a retried
activity never alerts twice. Targets are stored masked; the real URL stays in the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dwatch.redact import mask_url, redact_text
from dwatch.store.tables import (
    Notification,
    NotificationAgencyYear,
    NotificationAttempt,
    NotificationFinding,
    NotificationStatus,
)
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for


class NotificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    recipient: str = Field(description="who is told, e.g. the supervisor's name")
    target_url: str = Field(description="the apprise URL; only its masked form is stored")
    subject: str
    body: str
    supervisor_id: str | None = None
    finding_ids: list[int] = Field(default_factory=list)
    agency_years: list[tuple[str, int]] = Field(
        default_factory=list, description="the (agency, report year) pairs it is about, for their audit trail"
    )
    workflow_run_id: int | None = None


def create_notification(session: Session, request: NotificationRequest) -> tuple[Notification, bool]:
    """The notification for this key, and whether this call created it."""
    values = {
        "idempotency_key": request.idempotency_key,
        "workflow_run_id": request.workflow_run_id,
        "supervisor_id": request.supervisor_id,
        "recipient": request.recipient,
        "channel": urlsplit(request.target_url).scheme or "unknown",
        "target_masked": mask_url(request.target_url),
        "subject": request.subject,
        "body": request.body,
        "status": NotificationStatus.PENDING.value,
        "attempts": 0,
        "created_at": utcnow(),
    }
    stmt = insert_for(session, Notification.__table__).values(values)
    inserted = session.execute(
        stmt.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Notification.__table__.c.id)
    ).scalar_one_or_none()
    if inserted is not None and request.finding_ids:
        session.execute(
            insert(NotificationFinding), [{"notification_id": inserted, "finding_id": f} for f in request.finding_ids]
        )
    if inserted is not None and request.agency_years:
        session.execute(
            insert(NotificationAgencyYear),
            [
                {"notification_id": inserted, "agency_id": agency_id, "report_year": year}
                for agency_id, year in sorted(set(request.agency_years))
            ],
        )
    notification = session.scalars(
        select(Notification).where(Notification.idempotency_key == request.idempotency_key)
    ).one()
    return notification, inserted is not None


def record_attempt(
    session: Session, notification_id: int, *, ok: bool, error: str | None = None, at: datetime | None = None
) -> None:
    """One delivery attempt; error texts are redacted, as they may quote the target URL."""
    at = at or utcnow()
    error = redact_text(error) if error else None
    session.execute(
        insert(NotificationAttempt).values(notification_id=notification_id, attempted_at=at, ok=ok, error=error)
    )
    values: dict[str, object] = {"attempts": Notification.attempts + 1, "last_error": error}
    values["status"] = (NotificationStatus.SENT if ok else NotificationStatus.FAILED).value
    if ok:
        values["sent_at"] = at
    session.execute(update(Notification).where(Notification.id == notification_id).values(values))


def mark_in_flight(session: Session, notification_id: int, marker: str) -> None:
    """Note, before handing the message over, that it may reach the recipient from now on."""
    session.execute(update(Notification).where(Notification.id == notification_id).values(last_error=marker))


def attempts(session: Session, notification_id: int) -> Sequence[NotificationAttempt]:
    stmt = select(NotificationAttempt).where(NotificationAttempt.notification_id == notification_id)
    return session.scalars(stmt.order_by(NotificationAttempt.attempted_at, NotificationAttempt.id)).all()
