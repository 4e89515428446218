"""Activities of a sweep: which agencies it covers, a page at a time (ids only, never the rows), and
starting their AgencyReport workflows a batch at a time."""

from __future__ import annotations

import asyncio

from sqlalchemy import Select, func, select
from temporalio import activity
from temporalio.client import Client

from dwatch.store.database import Store
from dwatch.store.tables import Agency
from workflows.models import AgencyReportInput, PageRequest, StartReportsRequest, SweepScope, report_workflow_id


def scope_query(scope: SweepScope) -> Select[tuple[str]]:
    query = select(Agency.id).where(Agency.active.is_(True))
    if scope.agency_ids:
        # Named agencies are checked even when inactive: ops asked for them.
        query = select(Agency.id).where(Agency.id.in_(scope.agency_ids))
    elif scope.deadline:
        query = query.where(Agency.deadline == scope.deadline)
    elif scope.kind:
        # Agencies with a local deadline are swept by that deadline's schedule instead.
        query = query.where(Agency.kind == scope.kind, Agency.deadline.is_(None))
    return query


class SweepActivities:
    def __init__(self, store: Store, client: Client) -> None:
        self.store = store
        self.client = client

    @activity.defn
    async def start_reports(self, request: StartReportsRequest) -> None:
        """Signal-with-start each agency's workflow: started with the sweep in its input, or, already
        running (polling, started by ops), told to check again and report to this sweep too. Directly
        through the frontend, a batch at once: child workflows would each wait on the server's task
        queues, and a sweep of thousands then starts a few agencies a second. Safe to retry: a
        workflow ignores a sweep it has joined already."""
        queue = activity.info().task_queue  # the workflows' queue, where AgencyReport runs too

        async def start(agency_id: str) -> None:
            report = AgencyReportInput(
                agency_id=agency_id,
                year=request.year,
                sweep_id=request.sweep_id,
                heartbeat=request.heartbeat,
                queues=request.queues,
            )
            await self.client.start_workflow(
                "AgencyReport",
                report,
                id=report_workflow_id(agency_id, request.year),
                task_queue=queue,
                start_signal="join_sweep",
                start_signal_args=[request.sweep_id],
            )

        await asyncio.gather(*(start(agency_id) for agency_id in request.agency_ids))

    @activity.defn
    async def count_agencies(self, scope: SweepScope) -> int:
        def read() -> int:
            with self.store.session() as session:
                return session.scalar(select(func.count()).select_from(scope_query(scope).subquery())) or 0

        return await asyncio.to_thread(read)

    @activity.defn
    async def agency_page(self, request: PageRequest) -> list[str]:
        def read() -> list[str]:
            query = scope_query(request.scope).order_by(Agency.id).limit(request.limit)
            if request.after is not None:
                query = query.where(Agency.id > request.after)
            with self.store.session() as session:
                return list(session.scalars(query))

        return await asyncio.to_thread(read)
