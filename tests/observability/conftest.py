"""Fixtures of the observability tests: a dev server, and an OTLP/HTTP collector on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from observability_support import Collector
from temporal_support import ready_dev_server

from dwatch.temporal.devserver import DevServer


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    # A server of their own, as the Temporal tests have: sharing one across both directories
    # coincided with scale-out and sweep failures in the full suite.
    with ready_dev_server(tmp_path_factory.mktemp("temporal")) as server:
        yield server


@pytest.fixture(scope="session")
def collector() -> Iterator[Collector]:
    """Up for the whole session: spans batched by a provider made in one test may leave later."""
    with Collector() as running:
        yield running
