"""Engines and sessions. The same code serves a SQLite file (default, no set-up) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from dwatch.config import Settings
from dwatch.store.blobs import BlobStore, LocalBlobStore
from dwatch.store.files import PRIVATE_FILE, create_private_file, make_private_dir, private_dir, tighten

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option of `Store.reading` sessions: the database refuses their writes.
READ_ONLY = "dwatch_read_only"


def normalise_url(url: str | URL) -> URL:
    parsed = make_url(url)
    # Plain "postgresql://" would pick psycopg2, which is not installed; psycopg 3 is.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, *, sqlite_foreign_keys: bool = True) -> Engine:
    """An engine for `url`. Migrations pass `sqlite_foreign_keys=False`: SQLite batch mode copies tables."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, pool_pre_ping=True)
        _configure_postgresql(engine)
        return engine
    engine = create_engine(parsed)
    if parsed.database and parsed.database != ":memory:":
        database = Path(parsed.database)
        make_private_dir(database.parent)
        _tighten_sqlite_files(database)
        event.listen(engine, "do_connect", lambda *_: _create_sqlite_file(database))
    _configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
    return engine


def _tighten_sqlite_files(path: Path) -> None:
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        tighten(file, PRIVATE_FILE)


def _create_sqlite_file(path: Path) -> None:
    """Before each connection: create the database file 0600 before SQLite does (it would make it
    0644; its WAL and shared-memory files take the database's mode). Not before: a missing or
    unreadable file is the first connection's error (readiness reports it)."""
    create_private_file(path)
    _tighten_sqlite_files(path)


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A snapshot (WAL): it neither waits for the writer nor holds it up.
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
            return
        # Take the write lock up front: a deferred transaction that reads, then writes, fails with
        # SQLITE_BUSY under concurrent writers instead of waiting for the busy timeout.
        connection.exec_driver_sql("PRAGMA query_only=OFF")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")


class Store:
    """A database and a blob store: everything the repository functions need."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._reads = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        # SQLite has one writer at a time, and every `session` takes the write lock. Threads of this
        # process queue for it on a lock of ours, served as soon as it is free; SQLite's own busy
        # handler would have them sleep and retry (up to 100 ms a try), which under a sweep's load
        # made each short transaction wait seconds.
        self._writer: AbstractContextManager[object] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @classmethod
    def open(cls, settings: Settings) -> Store:
        private_dir(settings.data_dir)  # the web secret, the demo inbox, Temporal's dev database live there
        return cls(make_engine(settings.database_url), LocalBlobStore(settings.blob_dir))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        with self._writer, self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session in one transaction: it sees one snapshot, and on SQLite it neither waits
        for the write lock nor holds it, so the many lookups of a sweep do not queue behind its writes.
        A write in it is an error of the database's."""
        with self._reads.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
