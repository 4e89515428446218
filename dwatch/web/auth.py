"""Who is asking, and may they: sign-in pages, API tokens, and the dependencies routes declare.

Browsers hold a session cookie (HttpOnly, SameSite=Lax) and post forms with a CSRF token; API
clients send `Authorization: Bearer <token>` from `POST /api/v1/auth/token` and need no CSRF token
(browsers never attach that header on their own). Reading is open unless `web.public_read` is off;
every change needs a signed-in user with the right role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from dwatch.store.types import utcnow
from dwatch.store.users import get_user
from dwatch.web.context import context, db
from dwatch.web.security import DUMMY_HASH, Role, TokenKind, roles_of, verify_password

SESSION_COOKIE = "dwatch_session"
CSRF_COOKIE = "dwatch_csrf"
FLASH_COOKIE = "dwatch_flash"

_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/v1/auth/token")


class CurrentUser(BaseModel):
    name: str
    roles: list[Role]
    via: TokenKind = Field(description="session (browser) or api (bearer token)")

    def can(self, role: Role) -> bool:
        return role in self.roles


class NotAuthenticatedError(Exception):
    """No valid session or token where one is required (pages redirect to sign-in, the API says 401)."""


class ForbiddenError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _user_from_token(session: Session, request: Request, token: str, kind: TokenKind) -> CurrentUser | None:
    payload = context(request).signer.verify(token, kind)
    if payload is None:
        return None
    user = get_user(session, payload.sub)
    if user is None or not user.active or payload.iat < user.tokens_valid_after.timestamp():
        return None
    return CurrentUser(name=user.name, roles=roles_of(user.roles), via=kind)


def optional_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> CurrentUser | None:
    """The bearer token's user, else the session cookie's, else None."""
    token, kind = (
        (credentials.credentials, TokenKind.API)
        if credentials is not None
        else (request.cookies.get(SESSION_COOKIE), TokenKind.SESSION)
    )
    if not token:
        return None
    # A short transaction of its own: ops handlers must not hold a database lock while they wait.
    with context(request).store.session() as session:
        return _user_from_token(session, request, token, kind)


def reader(request: Request, user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser | None:
    """Anyone may read when pages are open; otherwise any signed-in user (every role reads)."""
    if user is None and not context(request).settings.web.public_read:
        raise NotAuthenticatedError
    return user


def _require(user: CurrentUser | None, role: Role) -> CurrentUser:
    if user is None:
        raise NotAuthenticatedError
    if not user.can(role):
        raise ForbiddenError(f"此操作需要“{role.value}”角色，当前用户 {user.name} 没有该角色")
    return user


def form_actor(role: Role) -> Callable[..., CurrentUser]:
    """A signed-in browser user with `role`, posting a form that carries the CSRF token."""

    def dependency(
        request: Request,
        user: Annotated[CurrentUser | None, Depends(optional_user)],
        csrf_token: Annotated[str, Form()] = "",
    ) -> CurrentUser:
        if not context(request).signer.csrf_matches(request.cookies.get(CSRF_COOKIE), csrf_token):
            raise ForbiddenError("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
        if user is not None and user.via is not TokenKind.SESSION:
            raise NotAuthenticatedError
        return _require(user, role)

    return dependency


def api_actor(role: Role) -> Callable[..., CurrentUser]:
    """A bearer-token user with `role` (the API does not take cookies for changes: no CSRF surface)."""

    def dependency(user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser:
        if user is not None and user.via is not TokenKind.API:
            raise NotAuthenticatedError
        return _require(user, role)

    return dependency


def authenticate(session: Session, name: str, password: str) -> CurrentUser | None:
    user = get_user(session, name)
    # Hash even for unknown names, so timing does not reveal which names exist.
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not user.active or not ok:
        return None
    return CurrentUser(name=user.name, roles=roles_of(user.roles), via=TokenKind.SESSION)


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` or `https://…` would make sign-in an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


# ---- pages -------------------------------------------------------------------------------------

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return context(request).templates.TemplateResponse(
        request, "login.html", {"next": safe_next(next), "error": None, "user": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: Annotated[Session, Depends(db)],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = context(request)
    csrf_ok = ctx.signer.csrf_matches(request.cookies.get(CSRF_COOKIE), csrf_token)
    user = authenticate(session, username, password) if csrf_ok else None
    if user is None:
        error = "用户名或密码错误" if csrf_ok else "表单已过期，请重试"
        return ctx.templates.TemplateResponse(
            request, "login.html", {"next": safe_next(next), "error": error, "user": None}, status_code=401
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    hours = ctx.settings.web.session_hours
    token = ctx.signer.sign(TokenKind.SESSION, user.name, timedelta(hours=hours))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.web.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    if not context(request).signer.csrf_matches(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise ForbiddenError("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---- API ---------------------------------------------------------------------------------------

api_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: AwareDatetime
    user: str
    roles: list[Role]


@api_router.post("/token", response_model=TokenResponse, responses={401: {"description": "wrong name or password"}})
def issue_token(request: Request, body: TokenRequest, session: Annotated[Session, Depends(db)]) -> TokenResponse:
    """Exchange a name and password for a bearer token."""
    user = authenticate(session, body.username, body.password)
    if user is None:
        raise NotAuthenticatedError
    ctx = context(request)
    lifetime, now = timedelta(hours=ctx.settings.web.token_hours), utcnow()
    return TokenResponse(
        access_token=ctx.signer.sign(TokenKind.API, user.name, lifetime, now),
        expires_at=now + lifetime,
        user=user.name,
        roles=user.roles,
    )


@api_router.get("/me", response_model=CurrentUser, responses={401: {"description": "no valid token"}})
def me(user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser:
    """The user the token belongs to."""
    if user is None:
        raise NotAuthenticatedError
    return user
