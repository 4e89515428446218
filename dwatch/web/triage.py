"""Triage: a person's decision on a finding (acknowledge, waive, reopen), the dashboard's one write to
findings. Waivers go through the ops backend: the agency-year's workflow keeps a record of them and
stops alerting on them; acknowledging and reopening are store records only."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dwatch.ops import Ops
from dwatch.store.database import Store
from dwatch.store.findings import StatusChange, change_status
from dwatch.store.tables import FindingStatus
from dwatch.web.findings_view import FindingView, finding

# People acknowledge, waive or reopen; `resolved` is for the checks to say.
Decision = Literal["acknowledged", "waived", "open"]


def status_change(decision: Decision, actor: str, reason: str | None) -> StatusChange:
    """The decision as the store takes it; ValueError (in words for people) when it is incomplete."""
    try:
        return StatusChange(status=FindingStatus(decision), actor=actor, reason=(reason or "").strip() or None)
    except ValidationError as exc:
        raise ValueError("；".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from exc


def decide(session: Session, finding_id: int, decision: Decision, actor: str, reason: str | None) -> FindingView:
    """Record a person's decision on a finding (KeyError: no such finding; ValueError: no reason to waive)."""
    change_status(session, finding_id, status_change(decision, actor, reason))
    session.flush()
    decided = finding(session, finding_id)
    assert decided is not None  # change_status raised KeyError otherwise
    return decided


async def triage(
    store: Store, ops: Ops, finding_id: int, decision: Decision, actor: str, reason: str | None
) -> FindingView:
    """KeyError: no such finding; ValueError: incomplete decision; OpsInputError, OpsUnavailableError: refused."""
    with store.session() as session:
        found = finding(session, finding_id)
        if found is None:
            raise KeyError(finding_id)
        change = status_change(decision, actor, reason)  # fail early, the same way on every backend
        if decision != "waived":
            return decide(session, finding_id, decision, actor, reason)
    assert change.reason is not None  # a waiver without a reason fails validation
    await ops.waive(found.agency_id, found.report_year, found.fingerprint, change.reason, actor)
    with store.session() as session:
        decided = finding(session, finding_id)
    assert decided is not None  # findings are never deleted
    return decided
