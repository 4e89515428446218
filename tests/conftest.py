"""Shared fixtures: a dev server left with nothing running after each test, and fresh PostgreSQL databases.

PostgreSQL: uniquely named databases on the server at 127.0.0.1:5432 (created through the `test`
database, dropped at the end of the session), so parallel runs never collide. An unreachable server
fails the PostgreSQL tests when CI is set, and skips them with the reason otherwise.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

# Tests import their shared helpers (tests/corpus.py, …) as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))

from temporal_support import ready_dev_server, run_async, terminate_running

from dwatch.store.database import normalise_url
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.worker import cache_workflow_bytecode

# Debian's fonts-wqy-zenhei (`tasks.py test` installs it): without it the synthetic PDFs (STSong-Light,
# not embedded) render no Chinese, and the PDF, OCR and screenshot tests fail for no visible reason.
CJK_FONT = Path("/usr/share/fonts/truetype/wqy")


def pytest_report_header() -> str | None:
    if CJK_FONT.exists():
        return None
    return "WARNING: no CJK font (apt-get install fonts-wqy-zenhei): the PDF, OCR and screenshot tests will fail"


def pytest_configure() -> None:
    # Tests run workers of their own, too: their sandboxes must find the workflow modules compiled.
    cache_workflow_bytecode()


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server for the session (headless, its own database file); each test uses its own task queue."""
    with ready_dev_server(tmp_path_factory.mktemp("temporal")) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_workflow_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests share a session's dev server (fixture `dev_server`): each leaves it with nothing running."""
    yield
    if "dev_server" in request.fixturenames:
        run_async(terminate_running(request.getfixturevalue("dev_server").address))


PG_ADMIN_URL = os.environ.get("DWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty PostgreSQL databases, all dropped at the end of the session."""
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    created: list[str] = []

    def create() -> str:
        name = f"dwatch_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        url: URL = normalise_url(PG_ADMIN_URL).set(database=name)
        return url.render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
