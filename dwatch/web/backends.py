"""The dashboard's ops backends (`dwatch.ops.Ops`), chosen by `DWATCH_WEB__OPS_BACKEND`.

`TemporalOps` calls the actions of `dwatch.ops` (the AgencyReport workflow's updates: the normal path).
`LocalOps` runs the same steps in this process (`dwatch.passes`), for a set-up without Temporal.
Either way the input is checked first by `dwatch.ops.validate`, the result is recorded in the store,
where the dossier shows it, and the supervisors are alerted on a change.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from typing import TypeVar

from temporalio.service import RPCError, RPCStatusCode

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
log = logging.getLogger(__name__)


class TemporalOps:
    """Through the AgencyReport workflow's updates, so every action is in a history auditors can read."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.address = settings.temporal.address

    async def recrawl(self, agency_id: str, year: int, actor: str) -> OpsResult:
        return await _call(self.address, ops.recrawl(self.settings, agency_id, year, actor=actor, store=self.store))

    async def recheck(self, agency_id: str, year: int, actor: str) -> OpsResult:
        return await _call(self.address, ops.recheck(self.settings, agency_id, year, actor=actor, store=self.store))

    async def start_sweep(self, year: int, agency_ids: list[str] | None = None) -> str:
        return await _call(self.address, ops.start_sweep(self.settings, year, agency_ids, store=self.store))

    async def waive(self, agency_id: str, year: int, fingerprint: str, reason: str, actor: str) -> OpsResult:
        return await _call(
            self.address, ops.waive(self.settings, agency_id, year, fingerprint, reason, actor, store=self.store)
        )


async def _call(address: str, action: Awaitable[_T]) -> _T:
    try:
        return await action
    except (OpsInputError, OpsUnavailableError):
        raise  # refused input (404/422) or a refused update: the person gets the reason as it is
    # A boundary: whatever Temporal's client raises (connection refused, timeouts, a failed workflow),
    # the person pressing the button gets a reason to act on, not a 500 nor the client's English text
    # (which goes to the log for ops).
    except Exception as exc:
        log.warning("ops action through Temporal at %s failed", address, exc_info=True)
        raise OpsUnavailableError(unavailable_reason(address, exc)) from exc


def unavailable_reason(address: str, exc: BaseException) -> str:
    """Why Temporal could not run an action, in words a person can act on."""
    if isinstance(exc, TimeoutError) or (isinstance(exc, RPCError) and exc.status is RPCStatusCode.DEADLINE_EXCEEDED):
        return f"调度服务（Temporal，{address}）响应超时：可能正忙或 worker 未运行，请稍后重试；仍不行请联系运维人员"
    if isinstance(exc, RuntimeError | RPCError | OSError):  # the client's "Failed client connect", refused, reset
        return (
            f"无法连接调度服务（Temporal，{address}）：请确认 Temporal 与 worker 已启动（dwatch up 或 dwatch worker）"
            "后重试；仍不行请联系运维人员"
        )
    return f"调度服务（Temporal，{address}）未能执行该操作（{type(exc).__name__}）：详情见服务日志，请联系运维人员"


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
