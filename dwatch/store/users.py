"""Users of the dashboard and API: names, roles, password hashes (never the passwords); their open
sessions and tokens; and the failed sign-ins that throttle further attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dwatch.store.tables import LoginThrottle, WebSession, WebUser
from dwatch.store.types import utcnow
from dwatch.store.upsert import insert_for

# Closed sessions are kept this long after they expire, so an expired token is told apart from a forged one.
EXPIRED_KEPT = timedelta(days=7)


def get_user(session: Session, name: str) -> WebUser | None:
    return session.get(WebUser, name)


def list_users(session: Session) -> Sequence[WebUser]:
    return session.scalars(select(WebUser).order_by(WebUser.name)).all()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WebUser)) or 0


def save_user(session: Session, name: str, password_hash: str, roles: list[str], at: datetime | None = None) -> WebUser:
    """Create the user, or replace the password and roles of an existing one (ending its sessions)."""
    at = at or utcnow()
    user = session.get(WebUser, name)
    if user is None:
        user = WebUser(name=name, created_at=at)
        session.add(user)
    user.password_hash, user.roles, user.active, user.updated_at = password_hash, sorted(set(roles)), True, at
    session.flush()
    end_sessions(session, name)
    return user


def disable_user(session: Session, name: str, at: datetime | None = None) -> bool:
    user = session.get(WebUser, name)
    if user is None:
        return False
    user.active, user.updated_at = False, at or utcnow()
    end_sessions(session, name)
    return True


# ---- sessions and tokens -----------------------------------------------------------------------


def open_session(
    session: Session, session_id: str, user_name: str, kind: str, at: datetime, expires_at: datetime
) -> None:
    """Record a session or token just issued; sessions long past their expiry are purged on the way."""
    session.execute(delete(WebSession).where(WebSession.expires_at < at - EXPIRED_KEPT))
    session.add(WebSession(id=session_id, user_name=user_name, kind=kind, created_at=at, expires_at=expires_at))
    session.flush()


def find_session(session: Session, session_id: str) -> WebSession | None:
    return session.get(WebSession, session_id)


def end_session(session: Session, session_id: str) -> bool:
    """Sign one session or token out; False if it was not open."""
    found = session.get(WebSession, session_id)
    if found is not None:
        session.delete(found)
        session.flush()
    return found is not None


def end_sessions(session: Session, user_name: str) -> None:
    """End every session and token of a user (password changed, user disabled)."""
    session.execute(delete(WebSession).where(WebSession.user_name == user_name))


# ---- sign-in throttling ------------------------------------------------------------------------


def locked_until(session: Session, keys: Sequence[str], at: datetime) -> datetime | None:
    """The latest moment until which any of `keys` is locked, if one is locked at `at`."""
    return session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > at)
    )


def record_failure(session: Session, key: str, at: datetime, forget_after: timedelta) -> LoginThrottle:
    """Count a failed sign-in for `key` (failures older than `forget_after`, counted from the last one,
    are forgotten first); the caller sets `locked_until` on the row returned."""
    insert = insert_for(session, LoginThrottle)
    session.execute(
        insert.values(key=key, failures=0, last_failure_at=at, locked_until=None).on_conflict_do_nothing(
            index_elements=[LoginThrottle.key]
        )
    )
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if row.last_failure_at < at - forget_after:
        row.failures, row.locked_until = 0, None
    row.failures += 1
    row.last_failure_at = at
    return row


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
