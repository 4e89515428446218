"""Users of the dashboard and API: names, roles, password hashes (never the passwords)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dwatch.store.tables import WebUser
from dwatch.store.types import utcnow


def get_user(session: Session, name: str) -> WebUser | None:
    return session.get(WebUser, name)


def list_users(session: Session) -> Sequence[WebUser]:
    return session.scalars(select(WebUser).order_by(WebUser.name)).all()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WebUser)) or 0


def save_user(session: Session, name: str, password_hash: str, roles: list[str], at: datetime | None = None) -> WebUser:
    """Create the user, or replace the password and roles of an existing one (voiding its sessions)."""
    at = at or utcnow()
    user = session.get(WebUser, name)
    if user is None:
        user = WebUser(name=name, created_at=at)
        session.add(user)
    user.password_hash, user.roles, user.active = password_hash, sorted(set(roles)), True
    user.tokens_valid_after = user.updated_at = at
    session.flush()
    return user


def disable_user(session: Session, name: str, at: datetime | None = None) -> bool:
    user = session.get(WebUser, name)
    if user is None:
        return False
    at = at or utcnow()
    user.active, user.tokens_valid_after, user.updated_at = False, at, at
    return True
