"""Workers by role, one Temporal worker per task queue: `workflows` (both workflows and their store
and alert activities), `crawl` (I/O-bound: many at once over one crawler) and `review` (CPU-bound:
parse and check in a process pool). One process may hold any of them; `dwatch up` holds all three,
and a process holding both crawl and review reviews in the crawl activity (`activities.crawl`).

The review pool's processes run with a soft address-space limit, and the pool replaces itself when
one of them dies: concurrent.futures then marks the whole pool broken, and every later review would
fail. The parse itself runs in a process of its own under the parse budget (`parsers.budget`), so a
hostile document never takes a pool process down; this guards against whatever else might."""

from __future__ import annotations

import asyncio
import compileall
import multiprocessing
import resource
import threading
from collections.abc import AsyncIterator, Callable, Collection
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from dwatch import workflows
from dwatch.activities import crawl_activities, workflow_activities
from dwatch.activities.review import ReviewActivities, open_review_store
from dwatch.config import Settings
from dwatch.crawlers.fetch import Fetcher
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.host_gates import StoreHostGates
from dwatch.workflows.agency_report import AgencyReport
from dwatch.workflows.sweep import DeadlineSweep

WORKFLOWS = [DeadlineSweep, AgencyReport]
# What workflow code imports besides temporalio and the stdlib (tests/test_import_graph.py holds it to
# that), loaded once per worker instead of once per workflow run: models and libraries whose state no
# workflow changes.
_PASSTHROUGH = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "dwatch.reports",
    "dwatch.workflows.models",
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
            # Only activities still running after a third of the timeout heartbeat: each heartbeat is
            # a call to the server, and most activities are over long before.
            while True:
                await asyncio.sleep(timeout.total_seconds() / 3)
                activity.heartbeat()

        beating = asyncio.create_task(beat())
        try:
            return await super().execute_activity(input)
        finally:
            beating.cancel()


def workflow_runner(sandboxed: bool) -> WorkflowRunner:
    if sandboxed:
        return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*_PASSTHROUGH))
    return UnsandboxedWorkflowRunner()


def cache_workflow_bytecode() -> None:
    """The sandbox imports the workflow modules anew for every workflow run. With no bytecode cached
    (PYTHONDONTWRITEBYTECODE, an editable install) each of those imports compiles the source again:
    slower, and compiling in several threads at once trips a CPython 3.11 bug ("AST constructor
    recursion depth mismatch", gh-106905). Write the cache once; a read-only tree keeps what it has."""
    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)


def prepare_store(settings: Settings) -> Store:
    """The configured store, its schema current (`migrate.ensure_current`)."""
    store = Store.open(settings)
    migrate.ensure_current(store.engine)
    return store


# A review process holds a parsed report (text capped by the parse limits) and its checks: far below
# this. Soft only, so the parse processes it starts can set their own budget above it.
REVIEW_PROCESS_MEMORY = 2 * 1024**3
P = ParamSpec("P")
T = TypeVar("T")


def _start_review_process(settings: Settings) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (REVIEW_PROCESS_MEMORY, hard))
    open_review_store(settings)


class RenewingProcessPool(Executor):
    """A process pool that starts afresh when it is found broken (one of its processes died)."""

    def __init__(self, start: Callable[[], ProcessPoolExecutor]) -> None:
        self._start = start
        self._pool = start()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:  # the task that was running when it broke has failed (and is retried)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait, cancel_futures=cancel_futures)


def review_pool(settings: Settings, processes: int) -> RenewingProcessPool:
    """The review processes: spawned, not forked (the parent holds the SDK's runtime threads)."""
    return RenewingProcessPool(
        lambda: ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_review_process,
            initargs=(settings,),
        )
    )


Role = Literal["workflows", "crawl", "review"]
ROLES: tuple[Role, ...] = ("workflows", "crawl", "review")


@asynccontextmanager
async def worker(client: Client, settings: Settings, roles: Collection[Role] = ROLES) -> AsyncIterator[list[Worker]]:
    """Running workers for `roles` (one per task queue); on exit they finish their in-flight tasks
    (graceful), then the crawler, the review processes and the store close."""
    temporal = settings.temporal
    common: dict[str, Any] = {"interceptors": [_Heartbeats()], "graceful_shutdown_timeout": timedelta(seconds=10)}
    async with AsyncExitStack() as stack:
        if "workflows" in roles and temporal.workflow_sandbox:
            await asyncio.to_thread(cache_workflow_bytecode)
        store = await asyncio.to_thread(prepare_store, settings)
        stack.callback(store.close)
        workers = []
        if "workflows" in roles:
            workers.append(
                Worker(
                    client,
                    task_queue=temporal.task_queue,
                    workflows=WORKFLOWS,
                    activities=workflow_activities(store, settings, client),
                    max_concurrent_activities=temporal.max_activities,
                    max_cached_workflows=temporal.max_cached_workflows,
                    workflow_runner=workflow_runner(temporal.workflow_sandbox),
                    **common,
                )
            )
        reviewer = None
        if "review" in roles:
            reviewers = None
            if temporal.review_processes:
                reviewers = review_pool(settings, temporal.review_processes)
                stack.callback(reviewers.shutdown, cancel_futures=True)
            reviewer = ReviewActivities(store, reviewers)
            workers.append(
                Worker(
                    client,
                    task_queue=temporal.review_task_queue,
                    activities=[reviewer.review],
                    # Take only what the processes can start now (and one each to follow), so idle
                    # review workers elsewhere get the rest.
                    max_concurrent_activities=2 * max(temporal.review_processes, 1),
                    **common,
                )
            )
        if "crawl" in roles:
            policy = settings.crawl
            gates = None
            if store.engine.dialect.name != "sqlite":
                # Politeness must hold across every crawl worker, not only within this one. (SQLite is
                # the one-process embedded default: its write lock would only slow every request.) A slot
                # is held for one request, which gives up after `total_timeout`: a dead worker's lease
                # lapses soon after.
                lease = policy.total_timeout + 10
                gates = StoreHostGates(store, lease)
            fetcher = await stack.enter_async_context(Fetcher(policy, gates))
            workers.append(
                Worker(
                    client,
                    task_queue=temporal.crawl_task_queue,
                    # Crawls wait on politeness and slow sites, not on this process: many at once.
                    # Holding the review role too, it reviews what it fetched (`activities.crawl`).
                    activities=crawl_activities(store, fetcher, reviewer),
                    max_concurrent_activities=temporal.max_activities,
                    **common,
                )
            )
        for running in workers:
            await stack.enter_async_context(running)
        yield workers
