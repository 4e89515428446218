"""The dashboard's ops backends (`dwatch.ops.Ops`), chosen by `DWATCH_WEB__OPS_BACKEND`.

`TemporalOps` calls the actions of `dwatch.ops` (the AgencyReport workflow's updates: the normal path).
`LocalOps` runs the same steps in this process (`dwatch.passes`), for a set-up without Temporal.
Either way the input is checked first by `dwatch.ops.validate`, the result is recorded in the store,
where the dossier shows it, and the supervisors are alerted on a change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import TypeVar

from dwatch import ops
from dwatch.config import Settings
from dwatch.crawling import load_agencies
from dwatch.ops import OpsInputError, OpsResult, OpsUnavailableError, validate
from dwatch.passes import NothingArchivedError, Work, run_pass, run_sweep
from dwatch.store.database import Store
from dwatch.store.findings import change_status, finding_by_fingerprint
from dwatch.web.triage import status_change
from dwatch.workflows.models import Review

_T = TypeVar("_T")


class TemporalOps:
    """Through the AgencyReport workflow's updates, so every action is in a history auditors can read."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsResult:
        return await _call(ops.recrawl(self.settings, agency_id, year, actor=actor, store=self.store))

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsResult:
        return await _call(ops.recheck(self.settings, agency_id, year, actor=actor, store=self.store))

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        return await _call(ops.start_sweep(self.settings, year, agency_ids, store=self.store))

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult:
        return await _call(ops.waive(self.settings, agency_id, year, fingerprint, reason, actor, store=self.store))


async def _call(action: Awaitable[_T]) -> _T:
    try:
        return await action
    except (OpsInputError, OpsUnavailableError):
        raise  # refused input (404/422) or a refused update: the person gets the reason as it is
    # A boundary: whatever Temporal's client raises (connection refused, timeouts, a failed workflow),
    # the person pressing the button gets the reason, not a 500.
    except Exception as exc:
        raise OpsUnavailableError(f"调度服务（Temporal）未能执行：{exc}") from exc


class LocalOps:
    """The passes in this process. No workflow history here to record the actor in."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._sweeps: set[asyncio.Task[list[Review]]] = set()  # keep references: tasks are weakly held

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsResult:  # noqa: ARG002
        return await self._pass("recrawl", "crawl", agency_id, year)

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsResult:  # noqa: ARG002
        """Review the archived document again (new rules, a corrected parser) without fetching."""
        return await self._pass("recheck", "recheck", agency_id, year)

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult:
        validate(self.store, year, [agency_id], fingerprint=fingerprint)
        with self.store.session() as session:
            finding = finding_by_fingerprint(session, agency_id, year, fingerprint)
            assert finding is not None  # validated just now; findings are never deleted
            try:
                waived = change_status(session, finding.id, status_change("waived", actor, reason))
            except ValueError as exc:
                raise OpsUnavailableError(str(exc)) from exc
            return OpsResult(workflow_id=f"local-waive-{agency_id}-{year}", status=waived.status, detail=waived.rule_id)

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        validate(self.store, year, agency_ids or ())  # fail now, not in the background
        sweep_id = f"local-sweep-{year}-{uuid.uuid4().hex[:8]}"
        task = asyncio.create_task(run_sweep(self.store, self.settings, year, agency_ids, sweep_id=sweep_id))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)
        return sweep_id

    async def _pass(self, action: str, work: Work, agency_id: str, year: int) -> OpsResult:
        validate(self.store, year, [agency_id])
        with self.store.session() as session:
            agency = load_agencies(session, [agency_id])[0]  # validated: registered
        workflow_id, run_id = f"local-{action}-{agency_id}-{year}", uuid.uuid4().hex
        try:
            review = await run_pass(self.store, self.settings, agency, year, work, key_prefix=f"{workflow_id}/{run_id}")
        except NothingArchivedError as exc:
            raise OpsUnavailableError(str(exc)) from exc
        detail = review.detail or "；".join(review.top_findings)
        return OpsResult(workflow_id=workflow_id, run_id=run_id, status=review.status.value, detail=detail)
