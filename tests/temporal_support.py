"""Shared by the Temporal tests: settings on a dev server, a worker in this process, waiting with bounds."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

from temporalio.client import Client

from dwatch.config import Settings
from dwatch.temporal.client import connect
from dwatch.temporal.worker import worker

DWATCH = Path(sys.executable).parent / "dwatch"
YEAR = 2025  # the latest reporting year on the test machine's clock: grace periods have ended


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
