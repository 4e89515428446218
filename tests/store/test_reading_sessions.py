"""Read-only sessions (`Store.reading`): the database refuses their writes, and on SQLite they neither
wait for a write transaction nor hold one up, so a sweep's lookups do not queue behind its writes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from dwatch.store.database import Store
from dwatch.store.tables import Agency


def test_a_write_in_a_reading_session_is_refused(registered: Store) -> None:
    with pytest.raises(DBAPIError), registered.reading() as session:
        agency = session.scalars(select(Agency).limit(1)).one()
        agency.name = "改名"
        session.flush()
    with registered.reading() as session:
        assert "改名" not in session.scalars(select(Agency.name))


def test_a_write_session_after_a_reading_one_writes(registered: Store) -> None:
    """The connection a reading session used is writable again in the next write session."""
    with registered.reading() as session:
        agency_id = session.scalars(select(Agency.id).limit(1)).one()
    with registered.session() as session:
        session.get_one(Agency, agency_id).name = "新名称"
    with registered.reading() as session:
        assert session.get_one(Agency, agency_id).name == "新名称"


def test_reads_go_on_while_a_write_transaction_is_open(registered: Store) -> None:
    writing, release = threading.Event(), threading.Event()

    def write() -> None:
        with registered.session() as session:
            session.scalars(select(Agency).limit(1)).one().name = "写入中"
            session.flush()  # the write lock is held from here until the commit
            writing.set()
            release.wait(30)

    with ThreadPoolExecutor(1) as pool:
        writer = pool.submit(write)
        assert writing.wait(30)
        try:
            with registered.reading() as session:  # would wait for the writer if it took the lock
                names = list(session.scalars(select(Agency.name)))
        finally:
            release.set()
        writer.result(30)
    assert names and "写入中" not in names  # the snapshot from before the write's commit
