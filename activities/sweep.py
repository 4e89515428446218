"""Activities of a sweep: which agencies it covers, a page at a time (ids only, never the rows)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Select, func, select
from temporalio import activity

from dwatch.store.database import Store
from dwatch.store.tables import Agency
from workflows.models import PageRequest, SweepScope


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
    def __init__(self, store: Store) -> None:
        self.store = store

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
