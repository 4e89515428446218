"""Workflow runs in the store: which Temporal execution produced which records."""

from __future__ import annotations

import asyncio

from dwatch.workflows.models import BEGIN_RUN, END_RUN, RunEnd, RunRef
from temporalio import activity

from dwatch.store.database import Store
from dwatch.store.runs import finish_run, start_run
from dwatch.store.tables import RunStatus


class RunActivities:
    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name=BEGIN_RUN.name)
    async def begin_run(self, ref: RunRef) -> int:
        """The run's row id (idempotent: a retry finds the row the first attempt made)."""

        def write() -> int:
            with self.store.session() as session:
                about = (ref.agency_id, ref.year) if ref.agency_id is not None and ref.year is not None else None
                return start_run(session, ref.workflow_id, ref.run_id, ref.kind, agency_year=about).id

        return await asyncio.to_thread(write)

    @activity.defn(name=END_RUN.name)
    async def end_run(self, end: RunEnd) -> None:
        def write() -> None:
            with self.store.session() as session:
                finish_run(session, end.run_pk, RunStatus(end.status), end.error)

        await asyncio.to_thread(write)
