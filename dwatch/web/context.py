"""What every request handler needs, built once by the app factory and kept on `app.state.web`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from dwatch.config import Settings
from dwatch.ops import Ops
from dwatch.store.database import Store
from dwatch.web.security import Signer


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    store: Store
    signer: Signer
    ops: Ops
    templates: Jinja2Templates


def context(request: Request) -> WebContext:
    return request.app.state.web


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    with context(request).store.session() as session:
        yield session
