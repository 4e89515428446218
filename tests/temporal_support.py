"""Shared by the Temporal tests: settings on a dev server, a worker in this process, waiting with bounds."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from uuid import uuid4

from dwatch.workflows.models import RunEnd, RunRef, SweepProgress
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from dwatch.alerts.inbox import read_inbox
from dwatch.config import Settings
from dwatch.demo.inbox import arrived_twice
from dwatch.store.database import Store
from dwatch.store.tables import AgencyStatus
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer, free_port
from dwatch.temporal.worker import worker

DWATCH = Path(sys.executable).parent / "dwatch"
T = TypeVar("T")
YEAR = 2025  # the latest reporting year on the test machine's clock: grace periods have ended


@contextmanager
def ready_dev_server(directory: Path) -> Iterator[DevServer]:
    """A dev server on a database file in `directory`, ready for clients; stopped on exit."""
    with DevServer(directory / "temporal.sqlite", free_port()) as server:
        run_async(server.wait_ready())
        yield server


async def terminate_running(address: str) -> None:
    """End the workflows a test left running (polling for a missing report, waiting to escalate):
    the next test on the same server reuses agency ids, and its sweep would join those runs, whose
    task queue no worker serves any more."""
    client = await Client.connect(address)
    async for execution in client.list_workflows("ExecutionStatus = 'Running'"):
        try:
            await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test ended")
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:  # it ended by itself in between
                raise


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end on a thread of its own: Playwright's sync API keeps an event loop
    running on the main thread, where `asyncio.run` refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def env_for(data_dir: Path, address: str, **temporal: str) -> dict[str, str]:
    """The environment of a test's settings, for `dwatch` processes started by the test as well."""
    values = {
        "DWATCH_DATA_DIR": str(data_dir),
        # The farm is on loopback; its faults are quick to show.
        "DWATCH_CRAWL__ALLOW_PRIVATE_ADDRESSES": "true",
        "DWATCH_CRAWL__PER_HOST_INTERVAL": "0.02",
        "DWATCH_CRAWL__RETRY_BACKOFF": "0.05",
        "DWATCH_CRAWL__READ_TIMEOUT": "2",
        "DWATCH_CRAWL__CONNECT_TIMEOUT": "2",
        "DWATCH_CRAWL__TOTAL_TIMEOUT": "10",
        "DWATCH_TEMPORAL__ADDRESS": address,
        "DWATCH_TEMPORAL__TASK_QUEUE": f"test-{uuid4().hex[:8]}",
        "DWATCH_ALERTS__RETRY_BACKOFF": "0.05",
        "DWATCH_ALERTS__RETRY_ATTEMPTS": "2",
        "DWATCH_ALERTS__TIMEOUT": "5",
    }
    return values | {f"DWATCH_TEMPORAL__{k.upper()}": v for k, v in temporal.items()}


def settings_for(data_dir: Path, address: str, **temporal: str) -> Settings:
    return Settings.from_env(env_for(data_dir, address, **temporal))


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Client]:
    """A client and a worker of the service against the settings' Temporal."""
    client = await connect(settings.temporal)
    async with worker(client, settings):
        yield client


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


@contextmanager
def store_session(settings: Settings) -> Iterator[Session]:
    """A session on the store the workers write to, its engine closed after."""
    store = Store.open(settings)
    try:
        with store.session() as session:
            yield session
    finally:
        store.close()


def assert_sweep_complete(settings: Settings, progress: SweepProgress, agencies: int) -> None:
    """Every agency processed once, none failed, a status stored for each, and no alert arrived twice."""
    assert progress.finished and progress.done == agencies and progress.failed == 0
    with store_session(settings) as session:
        assert session.scalar(select(func.count()).select_from(AgencyStatus)) == agencies
    arrived = read_inbox(settings.data_dir)
    assert arrived
    assert not arrived_twice(arrived)


class UntilCtrlC:
    """A long-running command (`dwatch up`, `dwatch worker`) with its output piped: `stop()` sends Ctrl-C
    (SIGINT) and returns everything it printed; leaving the block without stopping it kills it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_for(self, text: str) -> str:
        """Read output lines until one holds `text` (the line; empty when the process ended first)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        while line and text not in line:
            line = self.process.stdout.readline()
        return line

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=60)
        return output

    def __enter__(self) -> UntilCtrlC:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.running():
            self.process.kill()
            self.process.wait(10)


# Stand-ins for the run records of workflows tested without a store (the run's row id is 1).
@activity.defn(name="begin_run")
async def begin_run_stand_in(_ref: RunRef) -> int:
    return 1


@activity.defn(name="end_run")
async def end_run_stand_in(_end: RunEnd) -> None:
    return None
