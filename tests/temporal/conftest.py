from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporal_support import ready_dev_server

from dwatch.temporal.devserver import DevServer


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server for the session (headless, its own database file); each test uses its own task queue."""
    with ready_dev_server(tmp_path_factory.mktemp("temporal")) as server:
        yield server
