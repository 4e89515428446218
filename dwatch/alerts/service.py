"""What the workflows call: alerts on a review, the digest after a sweep, escalation of missing reports.

Idempotency keys (a target digest is appended per channel, see `delivery.target_key`):
- immediate: prefix, agency, year, new status and the fingerprints of the findings behind it;
- resolved: prefix, agency, year, the status it left;
- digest: year, supervisor, period (the day, China time) and the state it reports (see `_digest_key`);
- escalation: prefix, agency, year, parent supervisor, and how many escalation periods have passed.
Immediate and resolved notices are about a transition the workflow saw in one pass (its prefix names
the pass). Digests and escalations are about a state: the keys name the state and the period, never
the run, the sweep or where the report was found, so another sweep or a re-run of the demo in the same
period with nothing changed finds them sent; a changed state or the next period sends again.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.alerts.delivery import Delivery, Outgoing, dispatch
from dwatch.alerts.facts import (
    AgencyLine,
    ChangeContext,
    DigestContext,
    EscalationContext,
    TestContext,
    agency_line,
    digest_context,
)
from dwatch.alerts.messages import Format, Rendered, render
from dwatch.alerts.routing import AlertKind, AlertScope, AlertSeverity, load_supervisors
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH
from dwatch.reports.compliance import ComplianceStatus, report_deadline
from dwatch.store.database import Store
from dwatch.store.registry.models import AgencyRow, SupervisorRow
from dwatch.store.status import statuses
from dwatch.store.tables import Agency, AgencyStatus, Finding
from dwatch.timefmt import local_minute
from dwatch.workflows.models import Review

log = logging.getLogger(__name__)

_ALERTING = (ComplianceStatus.DEFECTIVE, ComplianceStatus.LATE)


class UnknownSupervisorError(KeyError):
    pass


def change_alert(review: Review) -> AlertKind | None:
    """The alert a review's change of status calls for, if any (`alert_on_review`)."""
    previous, current = review.previous_status, review.status
    if current in _ALERTING and previous is not current:
        return AlertKind.IMMEDIATE
    if current is ComplianceStatus.COMPLIANT and previous in _ALERTING:
        return AlertKind.RESOLVED
    return None


def alert_on_review(
    store: Store, settings: Settings, agency: AgencyRow, review: Review, *, key_prefix: str
) -> list[Delivery]:
    """An immediate alert when the report became defective or late; a resolved notice when it went
    from defective or late to compliant; nothing otherwise."""
    kind = change_alert(review)
    if kind is None:
        return []
    previous, current = review.previous_status, review.status
    with store.reading() as session:
        supervisor = load_supervisors(session, settings.alerts.config_files).get(agency.supervisor)
        row = session.get(Agency, agency.id)
        if supervisor is None or row is None:
            return []
        immediate = kind is AlertKind.IMMEDIATE
        line = agency_line(session, settings, row, review.year, check_run_id=review.check_run_id if immediate else None)
    context = ChangeContext(
        supervisor=supervisor.name,
        year=review.year,
        agency=line,
        current=COMPLIANCE_STATUS_ZH[current],
        previous=COMPLIANCE_STATUS_ZH[previous] if previous else None,
        resolved=review.resolved,
    )
    base = f"{key_prefix}:{kind.value}:{agency.id}:{review.year}"
    key = f"{base}:{current.value}:{_digest(line.fingerprints)}" if immediate else f"{base}:{previous}"
    severity = AlertSeverity.ERROR if immediate else AlertSeverity.INFO
    message = Outgoing(
        supervisor=supervisor,
        kind=kind,
        scope=AlertScope(kind=kind, severity=severity, regions=frozenset({row.region_code})),
        key=key,
        context=context,
        finding_ids=line.finding_ids if immediate else [],
        agency_years=[(agency.id, review.year)],
    )
    return dispatch(store, settings.alerts, [message])


def send_digest(
    store: Store,
    settings: Settings,
    year: int,
    *,
    sweep_id: str,
    today: date,
    agency_ids: list[str] | None = None,
) -> list[Delivery]:
    """One digest per supervisor of the agencies with a status for `year` (those named, or all), unless
    the supervisor had the digest of the same state already `today` (China time)."""
    with store.session() as session:
        supervisors = load_supervisors(session, settings.alerts.config_files)
        outgoing = [
            _digest_message(session, settings, supervisors[supervisor_id], year, sweep_id, agencies, today.isoformat())
            for supervisor_id, agencies in _by_supervisor(session, year, agency_ids).items()
            if supervisor_id in supervisors
        ]
    return dispatch(store, settings.alerts, outgoing)


def preview_digest(store: Store, settings: Settings, supervisor_id: str, year: int, fmt: Format) -> Rendered:
    """The digest the supervisor would receive now for `year`, in one format, without sending."""
    with store.session() as session:
        supervisor = _supervisor(session, settings, supervisor_id)
        agencies = _by_supervisor(session, year, None).get(supervisor_id, [])
        message = _digest_message(session, settings, supervisor, year, "预览", agencies, "preview")
    return render(message.kind, fmt, message.context)


def escalate_missing(
    store: Store, settings: Settings, year: int, *, today: date, key_prefix: str, agency_ids: list[str] | None = None
) -> list[Delivery]:
    """Escalate to the parent supervisor every report (of `agency_ids`, default all) still missing
    `escalation_days` after its deadline; again after each further period of that many days."""
    period = settings.alerts.escalation_days
    outgoing: list[Outgoing] = []
    with store.session() as session:
        supervisors = load_supervisors(session, settings.alerts.config_files)
        for status in statuses(session, year, agency_ids):
            agency = session.get(Agency, status.agency_id)
            if status.status != ComplianceStatus.MISSING.value or agency is None or not agency.active:
                continue
            due = report_deadline(year, agency.kind, agency.deadline)
            days = (today - due).days if due else -1
            supervisor = supervisors.get(agency.supervisor_id)
            parent = supervisors.get(supervisor.parent) if supervisor and supervisor.parent else None
            if due is None or days < period or supervisor is None:
                continue
            if parent is None:
                log.warning("no parent supervisor to escalate %s/%d to (supervisor %s)", agency.id, year, supervisor.id)
                continue
            context = EscalationContext(
                parent=parent.name,
                supervisor=supervisor.name,
                year=year,
                agency=agency_line(session, settings, agency, year),
                deadline=due,
                today=today,
                days=days,
            )
            outgoing.append(
                Outgoing(
                    supervisor=parent,
                    kind=AlertKind.ESCALATION,
                    scope=AlertScope(
                        kind=AlertKind.ESCALATION,
                        severity=AlertSeverity.ERROR,
                        regions=frozenset({agency.region_code}),
                    ),
                    key=f"{key_prefix}:escalation:{agency.id}:{year}:{parent.id}:{days // period}",
                    context=context,
                    agency_years=[(agency.id, year)],
                )
            )
    return dispatch(store, settings.alerts, outgoing)


def send_test(store: Store, settings: Settings, supervisor_id: str) -> list[Delivery]:
    """A test message through every channel of the supervisor, whatever its tags (always sent)."""
    with store.session() as session:
        supervisor = _supervisor(session, settings, supervisor_id)
    message = Outgoing(
        supervisor=supervisor,
        kind=AlertKind.TEST,
        scope=AlertScope(kind=AlertKind.TEST, severity=AlertSeverity.INFO),
        key=f"test:{supervisor_id}:{uuid.uuid4().hex}",
        context=TestContext(supervisor=supervisor.name, sent_at=local_minute(datetime.now(UTC))),
        every_target=True,
    )
    return dispatch(store, settings.alerts, [message])


def _supervisor(session: Session, settings: Settings, supervisor_id: str) -> SupervisorRow:
    supervisor = load_supervisors(session, settings.alerts.config_files).get(supervisor_id)
    if supervisor is None:
        raise UnknownSupervisorError(supervisor_id)
    return supervisor


def _by_supervisor(session: Session, year: int, agency_ids: list[str] | None) -> dict[str, list[Agency]]:
    ids = [s.agency_id for s in statuses(session, year, agency_ids)]
    grouped: dict[str, list[Agency]] = defaultdict(list)
    for agency in session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.id)):
        grouped[agency.supervisor_id].append(agency)
    return dict(sorted(grouped.items()))


def _digest_message(
    session: Session,
    settings: Settings,
    supervisor: SupervisorRow,
    year: int,
    sweep_id: str,
    agencies: list[Agency],
    period: str,
) -> Outgoing:
    context = digest_context(session, settings, supervisor.name, year, sweep_id, agencies)
    problems = any(a.status is not ComplianceStatus.COMPLIANT for s in context.sections for a in s.agencies)
    scope = AlertScope(
        kind=AlertKind.DIGEST,
        severity=AlertSeverity.ERROR if problems else AlertSeverity.INFO,
        regions=frozenset(a.region_code for a in agencies),
    )
    return Outgoing(
        supervisor=supervisor,
        kind=AlertKind.DIGEST,
        scope=scope,
        key=_digest_key(session, supervisor, year, period, context),
        context=context,
        agency_years=[(a.id, year) for a in agencies],
    )


def _digest_key(session: Session, supervisor: SupervisorRow, year: int, period: str, context: DigestContext) -> str:
    """The digest's key: supervisor, year, period and the state it reports, as of when. The state is each
    agency listed with its status and the findings listed for it, each with the time it last changed
    (the sweep that reports it does not count, nor where the report was found). So the same state in
    the same period makes the same key, and any change since, even back to an earlier state, a new one."""
    lines: list[AgencyLine] = [line for section in context.sections for line in section.agencies]
    ids = [line.id for line in lines]
    status_since = {
        agency_id: at.isoformat()
        for agency_id, at in session.execute(
            select(AgencyStatus.agency_id, AgencyStatus.changed_at).where(
                AgencyStatus.report_year == year, AgencyStatus.agency_id.in_(ids)
            )
        )
    }
    listed = {finding_id for line in lines for finding_id in line.finding_ids}
    finding_since = {
        finding_id: f"{fingerprint}@{at.isoformat()}"
        for finding_id, fingerprint, at in session.execute(
            select(Finding.id, Finding.fingerprint, Finding.status_changed_at).where(
                Finding.report_year == year, Finding.agency_id.in_(ids)
            )
        )
        if finding_id in listed
    }
    state = [
        f"{line.id}={line.status}@{status_since.get(line.id, '-')}"
        f"[{';'.join(sorted(finding_since[i] for i in line.finding_ids))}]"
        for line in lines
    ]
    return f"digest:{year}:{supervisor.id}:{period}:{_digest(state)}"


def _digest(parts: list[str]) -> str:
    return hashlib.sha256(",".join(sorted(parts)).encode("utf-8")).hexdigest()[:16]
