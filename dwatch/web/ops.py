"""Ops actions (re-crawl, re-check, sweep) behind one interface.

`TemporalOps` goes through `dwatch.ops` (the AgencyReport workflow's updates: the normal path).
`LocalOps` runs the service functions the activities are built on (`dwatch.crawling.crawl`,
`dwatch.review.review_crawl`) in this process, for a set-up without Temporal (`DWATCH_WEB__OPS_BACKEND=local`).
Either way the input is checked first by `dwatch.ops.validate` (`OpsInputError`: an unknown agency or
finding, a year out of range), and the result is recorded in the store, where the dossier shows it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from dwatch import ops as temporal_ops
from dwatch.config import Settings
from dwatch.crawling import as_found, crawl, load_agencies
from dwatch.ops import OpsInputError, validate
from dwatch.review import Review, review_crawl
from dwatch.store.database import Store
from dwatch.store.findings import finding_by_fingerprint
from dwatch.store.registry.models import AgencyRow
from dwatch.web.queries import Decision, FindingView, decide, latest_document, status_change
from dwatch.web.queries import finding as finding_view

_T = TypeVar("_T")


class OpsOutcome(BaseModel):
    """What an ops action did: the workflow that ran it and where it left the agency-year."""

    model_config = ConfigDict(from_attributes=True)

    workflow_id: str
    run_id: str | None = None
    status: str
    detail: str = ""


class OpsUnavailableError(Exception):
    """The orchestration cannot take the action now (Temporal down, a rejected update…)."""


class Ops(Protocol):
    """Every action raises OpsInputError for input it refuses (nothing started), OpsUnavailableError
    when it cannot be done now."""

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsOutcome: ...

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsOutcome: ...

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str: ...

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsOutcome: ...


class TemporalOps:
    """Through the AgencyReport workflow's updates, so every action is in a history auditors can read."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsOutcome:
        action = temporal_ops.recrawl(self.settings, agency_id, year, actor=actor, store=self.store)
        return _checked(await _call(action))

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsOutcome:
        action = temporal_ops.recheck(self.settings, agency_id, year, actor=actor, store=self.store)
        return _checked(await _call(action))

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        return await _call(temporal_ops.start_sweep(self.settings, year, agency_ids, store=self.store))

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsOutcome:
        action = temporal_ops.waive(self.settings, agency_id, year, fingerprint, reason, actor, store=self.store)
        return _checked(await _call(action))


def _checked(result: temporal_ops.OpsResult) -> OpsOutcome:
    if result.status == "rejected":  # the workflow's validator refused the update
        raise OpsUnavailableError(result.detail)
    return OpsOutcome.model_validate(result, from_attributes=True)


async def _call(action: Awaitable[_T]) -> _T:
    try:
        return await action
    except OpsInputError:
        raise  # refused before anything was started: the person gets why (404/422), not "unavailable"
    # A boundary: whatever Temporal's client raises (connection refused, timeouts, a failed workflow),
    # the person pressing the button gets the reason, not a 500.
    except Exception as exc:
        raise OpsUnavailableError(f"调度服务（Temporal）未能执行：{exc}") from exc


class LocalOps:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._sweeps: set[asyncio.Task[list[Review]]] = set()  # keep references: tasks are weakly held

    # No workflow history here to record the actor in: LocalOps serves set-ups without Temporal.
    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsOutcome:  # noqa: ARG002
        validate(self.store, year, [agency_id])
        reviews = await self._crawl_and_review([agency_id], year)
        return _outcome("recrawl", reviews[0])

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsOutcome:  # noqa: ARG002
        """Review the archived document again (new rules, a corrected parser) without fetching."""
        validate(self.store, year, [agency_id])
        agency = self._agencies([agency_id])[0]
        with self.store.session() as session:
            document = latest_document(session, agency_id, year)
        if document is None:
            raise OpsUnavailableError("尚无已归档的文档，请先重新抓取")
        # The archived document, presented as a crawl that found it: the review path is then the same.
        found = as_found(document, insecure_tls=agency.insecure_tls)
        review = await asyncio.to_thread(review_crawl, self.store, agency, found)
        return _outcome("recheck", review)

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsOutcome:
        validate(self.store, year, [agency_id], fingerprint=fingerprint)
        with self.store.session() as session:
            finding = finding_by_fingerprint(session, agency_id, year, fingerprint)
            assert finding is not None  # validated just now; findings are never deleted
            try:
                decided = decide(session, finding.id, "waived", actor, reason)
            except ValueError as exc:
                raise OpsUnavailableError(str(exc)) from exc
        return OpsOutcome(workflow_id=f"local-waive-{agency_id}-{year}", status=decided.status, detail=decided.rule_id)

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        validate(self.store, year, agency_ids or ())  # fail now, not in the background
        task = asyncio.create_task(self._crawl_and_review(agency_ids, year))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)
        return f"local-sweep-{year}-{uuid.uuid4().hex[:8]}"

    def _agencies(self, agency_ids: list[str] | None) -> list[AgencyRow]:
        with self.store.session() as session:
            return load_agencies(session, agency_ids)  # validated: every id named is registered

    async def _crawl_and_review(self, agency_ids: list[str] | None, year: int) -> list[Review]:
        agencies = self._agencies(agency_ids)
        by_id = {a.id: a for a in agencies}
        results = await crawl(self.store, agencies, year, self.settings.crawl)
        return [await asyncio.to_thread(review_crawl, self.store, by_id[r.agency_id], r) for r in results]


def _outcome(action: str, review: Review) -> OpsOutcome:
    return OpsOutcome(
        workflow_id=f"local-{action}-{review.agency_id}-{review.year}",
        run_id=uuid.uuid4().hex,
        status=review.status.value,
        detail=review.detail or "；".join(review.top_findings),
    )


async def triage(
    store: Store, ops: Ops, finding_id: int, decision: Decision, actor: str, reason: str | None
) -> FindingView:
    """A person's decision on a finding. Waivers go through the ops interface (the workflow keeps a
    record of them and stops alerting); acknowledging and reopening are store records only.
    KeyError: no such finding; ValueError: incomplete decision; OpsInputError, OpsUnavailableError: refused."""
    with store.session() as session:
        finding = finding_view(session, finding_id)
        if finding is None:
            raise KeyError(finding_id)
        change = status_change(decision, actor, reason)  # fail early, the same way on both backends
        if decision != "waived":
            return decide(session, finding_id, decision, actor, reason)
    assert change.reason is not None  # a waiver without a reason fails validation
    await ops.waive(finding.agency_id, finding.report_year, finding.fingerprint, change.reason, actor)
    with store.session() as session:
        decided = finding_view(session, finding_id)
    assert decided is not None  # findings are never deleted
    return decided
