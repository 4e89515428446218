"""Storage fixtures: every `store` test runs on a SQLite file and on PostgreSQL (databases from
tests/conftest.py's `pg_databases`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import FIXTURES
from sqlalchemy import text

from dwatch.store import migrate
from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.tables import Base

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


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
