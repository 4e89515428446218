from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from dwatch.temporal.devserver import DevServer, free_port


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server for the session (headless, its own database file); each test uses its own task queue."""
    server = DevServer(tmp_path_factory.mktemp("temporal") / "temporal.sqlite", free_port()).start()
    try:
        asyncio.run(server.wait_ready())
        yield server
    finally:
        server.stop()
