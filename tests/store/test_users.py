"""Users' open sessions and sign-in throttling in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from dwatch.store import migrate
from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine
from dwatch.store.tables import WebSession
from dwatch.store.types import utcnow
from dwatch.store.users import (
    EXPIRED_KEPT,
    clear_failures,
    disable_user,
    end_session,
    find_session,
    locked_until,
    open_session,
    record_failure,
    save_user,
)

DAY = timedelta(days=1)


def test_sessions_end_one_by_one_or_all_at_a_password_change(store: Store) -> None:
    now = utcnow()
    with store.session() as session:
        save_user(session, "wang", "hash-1", ["supervisor"])
        save_user(session, "li", "hash-2", ["ops"])
        for sid, user in (("s1", "wang"), ("s2", "wang"), ("t1", "wang"), ("s3", "li")):
            open_session(session, sid, user, "api" if sid.startswith("t") else "session", now, now + DAY)
    with store.session() as session:
        assert end_session(session, "s1") and not end_session(session, "s1")
        assert find_session(session, "s1") is None and find_session(session, "s2") is not None
        save_user(session, "wang", "hash-3", ["supervisor"])  # a new password: every session and token ends
        assert find_session(session, "s2") is None and find_session(session, "t1") is None
        assert find_session(session, "s3") is not None  # another user's are untouched
        disable_user(session, "li")
        assert find_session(session, "s3") is None


def test_sessions_long_expired_are_purged_when_one_opens(store: Store) -> None:
    now = utcnow()
    with store.session() as session:
        save_user(session, "wang", "hash", ["auditor"])
        open_session(session, "ancient", "wang", "session", now - EXPIRED_KEPT - 2 * DAY, now - EXPIRED_KEPT - DAY)
        open_session(session, "recent", "wang", "session", now - 2 * DAY, now - DAY)  # kept: "expired", not "forged"
        open_session(session, "new", "wang", "session", now, now + DAY)
    with store.session() as session:
        assert {s.id for s in session.query(WebSession)} == {"recent", "new"}


def test_failures_count_lock_and_are_forgotten(store: Store) -> None:
    now, memory = utcnow(), timedelta(hours=1)
    with store.session() as session:
        assert [record_failure(session, "account:wang", now, memory).failures for _ in range(3)] == [1, 2, 3]
        record_failure(session, "address:10.0.0.1", now, memory).locked_until = now + timedelta(minutes=1)
    with store.session() as session:
        keys = ["account:wang", "address:10.0.0.1"]
        assert locked_until(session, keys, now) == now + timedelta(minutes=1)
        assert locked_until(session, ["account:wang"], now) is None
        assert locked_until(session, keys, now + timedelta(minutes=2)) is None  # the lock ran out
        # A failure long after the last one starts the count again, lock included.
        later = now + memory + timedelta(seconds=1)
        row = record_failure(session, "address:10.0.0.1", later, memory)
        assert (row.failures, row.locked_until) == (1, None)
        clear_failures(session, "account:wang")
        assert record_failure(session, "account:wang", later, memory).failures == 1


def test_0012_keeps_users_and_ends_sessions_by_rows(empty_url: str, tmp_path: Path) -> None:
    migrate.upgrade(empty_url, "0011")
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO web_users (name, password_hash, roles, active, tokens_valid_after, created_at, updated_at)"
                " VALUES ('wang', 'scrypt$x', '[\"ops\"]', true, :now, :now, :now)"
            ),
            {"now": "2026-12-01 08:00:00"},
        )
    engine.dispose()
    migrate.upgrade(empty_url, "0012")
    engine = make_engine(empty_url)
    try:
        assert "tokens_valid_after" not in {c["name"] for c in inspect(engine).get_columns("web_users")}
        store = Store(engine, LocalBlobStore(tmp_path / "blobs"))
        now = utcnow()
        with store.session() as session:
            open_session(session, "s1", "wang", "session", now, now + DAY)
        with store.session() as session:
            assert find_session(session, "s1") is not None
            assert disable_user(session, "wang")
            assert find_session(session, "s1") is None
    finally:
        engine.dispose()
