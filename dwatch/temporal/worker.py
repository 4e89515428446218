"""The worker: both workflows and every activity on the service's task queue, sharing one store and
one crawler. `run_worker` serves until cancelled; tests and `dwatch up` use `worker` as a context."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import all_activities
from activities.report import open_review_store
from crawlers.fetch import Fetcher
from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store
from workflows.agency_report import AgencyReport
from workflows.sweep import DeadlineSweep

WORKFLOWS = [DeadlineSweep, AgencyReport]
_PASSTHROUGH = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "sqlalchemy",
    "activities",
    "dwatch",
    "crawlers",
    "reports",
)


class _Heartbeats(Interceptor):
    """Every activity heartbeats while it runs, so a worker that dies (SIGKILL, lost host) has its
    activities retried elsewhere after the heartbeat timeout, not after the whole start-to-close."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Heartbeating(next)


class _Heartbeating(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return await super().execute_activity(input)

        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(timeout.total_seconds() / 3)

        beating = asyncio.create_task(beat())
        try:
            return await super().execute_activity(input)
        finally:
            beating.cancel()


def prepare_store(settings: Settings) -> Store:
    """The configured store, its schema current (the default SQLite file is created on first use)."""
    store = Store.open(settings)
    if not migrate.is_current(store.engine):
        migrate.upgrade(settings.database_url)
    return store


@asynccontextmanager
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """A running worker; on exit it finishes its in-flight tasks (graceful) and closes the store."""
    store = await asyncio.to_thread(prepare_store, settings)
    limit = settings.temporal.max_activities
    reviewers = None
    if settings.temporal.review_processes:
        # Spawned, not forked: the parent holds the SDK's runtime threads.
        reviewers = ProcessPoolExecutor(
            settings.temporal.review_processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=open_review_store,
            initargs=(settings,),
        )
    try:
        async with Fetcher(settings.crawl) as fetcher:
            running = Worker(
                client,
                task_queue=settings.temporal.task_queue,
                workflows=WORKFLOWS,
                # Activities are async: their blocking store and parser work runs in threads of their own.
                activities=all_activities(store, settings, fetcher, reviewers),
                max_concurrent_activities=limit,
                interceptors=[_Heartbeats()],
                # The sandbox re-imports non-passed-through modules for every workflow run; these are
                # deterministic libraries and the service's models, loaded once per worker instead.
                workflow_runner=SandboxedWorkflowRunner(
                    restrictions=SandboxRestrictions.default.with_passthrough_modules(*_PASSTHROUGH)
                ),
                graceful_shutdown_timeout=timedelta(seconds=10),
            )
            async with running:
                yield running
    finally:
        if reviewers is not None:
            reviewers.shutdown(cancel_futures=True)
        store.close()


async def run_worker(client: Client, settings: Settings) -> None:
    async with worker(client, settings):
        await asyncio.Event().wait()
