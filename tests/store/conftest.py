"""Storage fixtures: every `store` test runs on a SQLite file and on PostgreSQL.

PostgreSQL: one uniquely named database per test session (created through the `test` database,
dropped at the end), so parallel runs never collide. An unreachable server fails the PostgreSQL
tests when CI is set, and skips them with the reason otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import FIXTURES
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from dwatch.store import migrate
from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine, normalise_url
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.tables import Base

PG_ADMIN_URL = os.environ.get("DWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


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


@pytest.fixture(scope="session")
def pg_url(pg_databases: Callable[[], str]) -> str:
    url = pg_databases()
    migrate.upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database with nothing in it, not even the schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("pg_databases")()


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated database with no rows."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'dwatch.sqlite3'}"
        migrate.upgrade(url)
        return url
    url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store(make_engine(db_url), LocalBlobStore(tmp_path / "blobs"))
    yield store
    store.close()


@pytest.fixture
def registered(store: Store) -> Store:
    """The store with the example registry imported."""
    with store.session() as session:
        import_registry(session, read_registry((FIXTURES / "registry.yaml").read_bytes(), "yaml"))
    return store
