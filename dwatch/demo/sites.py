"""The demo's moving parts for `dwatch up --demo` and `dwatch demo`: the supervisors' inbox and the farm
of sample agency websites on loopback, registered in the store (refreshed: the farm's port changes)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from dwatch.config import Settings
from dwatch.demo.inbox import Inbox
from dwatch.demo.registry import import_demo
from dwatch.demo.sitefarm import Farm, plan
from dwatch.store.database import Store


async def start_demo_sites(stack: AsyncExitStack, settings: Settings, store: Store, agencies: int, year: int) -> None:
    """Start the inbox and `agencies` sample sites publishing `year`'s reports; `stack` stops them."""
    inbox = Inbox(
        settings.data_dir, smtp_port=settings.alerts.inbox_smtp_port, http_port=settings.alerts.inbox_http_port
    ).start()
    stack.callback(inbox.stop)
    farm = Farm(plan(agencies, year), year)
    await asyncio.to_thread(farm.prerender)
    farm.start()
    stack.callback(farm.stop)
    await asyncio.to_thread(import_demo, store, farm, inbox.urls())
