"""Who is asking, and may they: sign-in pages, API tokens, and the dependencies routes declare.

Browsers hold a session cookie (HttpOnly, SameSite=Lax) and post forms with a CSRF token bound to that
cookie (a new one at every sign-in); API clients send `Authorization: Bearer <token>` from
`POST /api/v1/auth/token` and need no CSRF token (browsers never attach that header on their own).
Sessions and tokens are rows in the database: signing out (`POST /logout`, `DELETE /api/v1/auth/token`),
a password change or disabling the user ends them at once. Served over HTTPS (`web.secure_cookies`),
the cookies are Secure and named `__Host-…`, so no other site or subdomain can set them.

Unsafe requests (POST, PUT, PATCH, DELETE) that carry an Origin or Referer header must come from this
site: the request's own Host or the configured public address. A request with neither comes from a
program, not a browser (browsers send Origin on every cross-site POST); it is let through to the checks
every change has anyway, the CSRF token for forms and the bearer token for the API.

Sign-in is throttled per account and per client address: after `web.login_failures_per_account` (or
`…_per_address`) failures the key is locked for `web.login_lock_seconds`, doubled at each further
failure up to an hour (429 with Retry-After). Every sign-in, failure, lock and sign-out is logged to
`dwatch.web.auth` (the audit log; names only, never passwords).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from dwatch.store.types import utcnow
from dwatch.store.users import (
    clear_failures,
    end_session,
    find_session,
    get_user,
    locked_until,
    open_session,
    record_failure,
)
from dwatch.timefmt import local_minute
from dwatch.untrusted import plain
from dwatch.web.context import WebContext, context
from dwatch.web.security import (
    DUMMY_HASH,
    HashingBusyError,
    Role,
    TokenKind,
    TokenProblem,
    TokenRejectedError,
    new_session_id,
    roles_of,
    verify_password,
)

FLASH_COOKIE = "dwatch_flash"

audit = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/v1/auth/token")

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_LOCK = timedelta(hours=1)
# Failures are forgotten this long after the last one; an account's also at its next sign-in.
_ACCOUNT_MEMORY, _ADDRESS_MEMORY = timedelta(hours=24), timedelta(hours=1)

WRONG_CREDENTIALS = "用户名或密码错误"
_NO_CREDENTIALS = (
    "需要登录：请先通过 POST /api/v1/auth/token 获取访问令牌，并放在请求头 Authorization: Bearer <令牌> 中"
)
_API_NEEDS_TOKEN = "此接口需要访问令牌（请求头 Authorization: Bearer <令牌>），浏览器会话不能用于修改数据"
_CROSS_ORIGIN = "请求来源不是本站（Origin/Referer 校验失败），已拒绝"
_CSRF_FAILED = "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试"
_BUSY = "登录请求过多，服务器繁忙，请稍后重试"


@dataclass(frozen=True)
class CookieNames:
    session: str
    csrf: str


def cookie_names(secure: bool) -> CookieNames:
    """`__Host-` names over HTTPS: the browser then takes them only Secure, for this host, path /."""
    prefix = "__Host-" if secure else ""
    return CookieNames(session=f"{prefix}dwatch_session", csrf=f"{prefix}dwatch_csrf")


def csrf_cookie(name: str, token: str, secure: bool) -> str:
    """The Set-Cookie value of a CSRF cookie."""
    return f"{name}={token}; Path=/; HttpOnly; SameSite=Strict{'; Secure' if secure else ''}"


class CurrentUser(BaseModel):
    name: str
    roles: list[Role]
    via: TokenKind = Field(description="session (browser) or api (bearer token)")

    def can(self, role: Role) -> bool:
        return role in self.roles


class NotAuthenticatedError(Exception):
    """No valid session or token where one is required (pages redirect to sign-in, the API says 401
    with `message`, in words for people, and `challenge` as its WWW-Authenticate header)."""

    def __init__(self, message: str = _NO_CREDENTIALS, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.message, self.challenge = message, challenge


class ForbiddenError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _rejected(exc: TokenRejectedError, kind: TokenKind) -> NotAuthenticatedError:
    noun = "访问令牌" if kind is TokenKind.API else "登录会话"
    again = "请重新获取令牌" if kind is TokenKind.API else "请重新登录"
    if exc.problem is TokenProblem.EXPIRED and exc.payload is not None:
        message = f"{noun}已于 {local_minute(datetime.fromtimestamp(exc.payload.exp, UTC))} 过期，{again}"
    elif exc.problem is TokenProblem.REVOKED:
        message = f"{noun}已失效（已退出登录、密码已更改或用户已停用），{again}"
    else:
        message = f"{noun}无效（格式错误或签名不符），{again}"
    return NotAuthenticatedError(message, f'Bearer error="invalid_token", error_description="{exc.problem.value}"')


def _user_from_token(session: Session, ctx: WebContext, token: str, kind: TokenKind) -> CurrentUser:
    payload = ctx.signer.read(token, kind)
    open_row = find_session(session, payload.sid) if payload.sid else None
    user = get_user(session, payload.sub)
    if open_row is None or open_row.user_name != payload.sub or open_row.kind != kind.value:
        raise TokenRejectedError(TokenProblem.REVOKED, payload)
    if user is None or not user.active:
        raise TokenRejectedError(TokenProblem.REVOKED, payload)
    return CurrentUser(name=user.name, roles=roles_of(user.roles), via=kind)


def optional_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> CurrentUser | None:
    """The bearer token's user, else the session cookie's, else None. A bearer token that fails is a
    401 at once (a program asked to act as someone); a stale cookie is kept as the reason of a later 401."""
    ctx = context(request)
    token, kind = (
        (credentials.credentials, TokenKind.API)
        if credentials is not None
        else (request.cookies.get(cookie_names(ctx.settings.web.secure_cookies).session), TokenKind.SESSION)
    )
    if not token:
        return None
    # A short transaction of its own: ops handlers must not hold a database lock while they wait.
    with ctx.store.session() as session:
        try:
            return _user_from_token(session, ctx, token, kind)
        except TokenRejectedError as exc:
            if kind is TokenKind.API:
                raise _rejected(exc, kind) from None
            request.state.auth_problem = _rejected(exc, kind)
            return None


def _not_authenticated(request: Request) -> NotAuthenticatedError:
    problem = getattr(request.state, "auth_problem", None)
    return problem if isinstance(problem, NotAuthenticatedError) else NotAuthenticatedError()


def reader(request: Request, user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser | None:
    """Anyone may read when pages are open; otherwise any signed-in user (every role reads)."""
    if user is None and not context(request).settings.web.public_read:
        raise _not_authenticated(request)
    return user


def _require(request: Request, user: CurrentUser | None, role: Role) -> CurrentUser:
    if user is None:
        raise _not_authenticated(request)
    if not user.can(role):
        raise ForbiddenError(f"此操作需要“{role.value}”角色，当前用户 {user.name} 没有该角色")
    return user


def _csrf_ok(request: Request, submitted: str | None) -> bool:
    ctx = context(request)
    names = cookie_names(ctx.settings.web.secure_cookies)
    return ctx.signer.csrf_matches(request.cookies.get(names.csrf), submitted, request.cookies.get(names.session))


def form_actor(role: Role) -> Callable[..., CurrentUser]:
    """A signed-in browser user with `role`, posting a form that carries the CSRF token."""

    def dependency(
        request: Request,
        user: Annotated[CurrentUser | None, Depends(optional_user)],
        csrf_token: Annotated[str, Form()] = "",
    ) -> CurrentUser:
        if not _csrf_ok(request, csrf_token):
            raise ForbiddenError(_CSRF_FAILED)
        if user is not None and user.via is not TokenKind.SESSION:
            raise NotAuthenticatedError
        return _require(request, user, role)

    return dependency


def api_actor(role: Role) -> Callable[..., CurrentUser]:
    """A bearer-token user with `role` (the API does not take cookies for changes: no CSRF surface)."""

    def dependency(request: Request, user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser:
        if user is not None and user.via is not TokenKind.API:
            raise NotAuthenticatedError(_API_NEEDS_TOKEN)
        return _require(request, user, role)

    return dependency


def _from_this_site(source: str, request: Request, public_url: str) -> bool:
    """Whether an Origin or Referer names this site: the Host the request was sent to, or the public
    address (behind a proxy). `null` (a sandboxed or privacy-stripped origin) is not this site."""
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    ours = {urlsplit(public_url).netloc.lower(), request.headers.get("host", "").lower()}
    return parts.netloc.lower() in ours


def same_origin(request: Request) -> None:
    """Every route's guard: an unsafe request sent by a browser from another site is refused (403)."""
    if request.method not in _UNSAFE_METHODS:
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is not None and not _from_this_site(source, request, context(request).settings.public_url):
        raise ForbiddenError(_CROSS_ORIGIN)


# ---- sign-in -----------------------------------------------------------------------------------


class ThrottledError(Exception):
    """Too many failed sign-ins for the account or the address: refused until `until`."""

    def __init__(self, until: datetime, now: datetime) -> None:
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        message = f"登录失败次数过多，已暂时锁定，请在 {self.retry_after} 秒后（{local_minute(until)} 之后）重试"
        super().__init__(message)
        self.message = message


def _lock_for(first: timedelta, failures: int, allowed: int) -> timedelta | None:
    """How long a key is locked after its `failures`th failure: none before `allowed`, then `first`,
    doubled at each further failure, up to an hour."""
    if failures < allowed:
        return None
    return min(first * 2 ** min(failures - allowed, 16), _MAX_LOCK)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _audit(level: int, event: str, name: str, address: str, **details: str | int) -> None:
    """One entry of the audit log (`dwatch.web.auth`): what happened, to which name, from where."""
    fields = {"event": event, "user": plain(name), "client": plain(address), **details}
    audit.log(level, "%s: %s from %s", event, fields["user"], fields["client"], extra=fields)


def sign_in(request: Request, name: str, password: str) -> CurrentUser:
    """The user, if the name and password are right and neither the account nor the client address
    is locked. NotAuthenticatedError (wrong name or password), ThrottledError, HashingBusyError."""
    ctx, now = context(request), utcnow()
    address = _client_address(request)
    web = ctx.settings.web
    account, by_address = f"account:{name}", f"address:{address}"
    # Each key: the failures it may have before a lock, and how long they are remembered.
    limits = {
        account: (web.login_failures_per_account, _ACCOUNT_MEMORY),
        by_address: (web.login_failures_per_address, _ADDRESS_MEMORY),
    }
    with ctx.store.session() as session:
        until = locked_until(session, list(limits), now)
        user = get_user(session, name)
    if until is not None:
        _audit(logging.WARNING, "login_refused_locked", name, address)
        raise ThrottledError(until, now)
    # Outside any transaction: SQLite writers would wait on the hash. Unknown names are hashed too, so
    # the time taken does not tell which names exist.
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH, web.login_wait_seconds)
    with ctx.store.session() as session:
        if ok and user is not None and user.active:
            clear_failures(session, account)
            _audit(logging.INFO, "login", name, address)
            return CurrentUser(name=user.name, roles=roles_of(user.roles), via=TokenKind.SESSION)
        for key, (allowed, memory) in limits.items():
            row = record_failure(session, key, now, memory)
            lock = _lock_for(timedelta(seconds=web.login_lock_seconds), row.failures, allowed)
            if lock is not None:
                row.locked_until = now + lock
                _audit(
                    logging.WARNING,
                    "login_lock",
                    name,
                    address,
                    key=plain(key),
                    failures=row.failures,
                    locked_seconds=int(lock.total_seconds()),
                )
        _audit(logging.WARNING, "login_failed", name, address)
    raise NotAuthenticatedError(WRONG_CREDENTIALS)


def _issue(ctx: WebContext, user: CurrentUser, kind: TokenKind, lifetime: timedelta) -> tuple[str, datetime]:
    """A new session or API token for `user`, recorded as open; with its expiry."""
    session_id, now = new_session_id(), utcnow()
    with ctx.store.session() as session:
        open_session(session, session_id, user.name, kind.value, now, now + lifetime)
    return ctx.signer.sign(kind, user.name, lifetime, now, session_id), now + lifetime


def _end(ctx: WebContext, token: str | None, kind: TokenKind) -> str | None:
    """End the session or token presented, if it is one of ours; whose it was."""
    payload = ctx.signer.verify(token, kind) if token else None
    if payload is None or payload.sid is None:
        return None
    with ctx.store.session() as session:
        end_session(session, payload.sid)
    return payload.sub


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


def _login_form(
    request: Request, next: str, error: str | None, status: int = 200, retry: int | None = None
) -> Response:
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return context(request).templates.TemplateResponse(
        request,
        "login.html",
        {"next": safe_next(next), "error": error, "user": None},
        status_code=status,
        headers=headers,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next, None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not _csrf_ok(request, csrf_token):
        return _login_form(request, next, "表单已过期，请重试", 401)
    try:
        user = sign_in(request, username, password)
    except NotAuthenticatedError as exc:
        return _login_form(request, next, exc.message, 401)
    except ThrottledError as exc:
        return _login_form(request, next, exc.message, 429, exc.retry_after)
    except HashingBusyError:
        return _login_form(request, next, _BUSY, 503, 1)
    ctx = context(request)
    web = ctx.settings.web
    names = cookie_names(web.secure_cookies)
    token, _expires = _issue(ctx, user, TokenKind.SESSION, timedelta(hours=web.session_hours))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        names.session, token, max_age=web.session_hours * 3600, httponly=True, samesite="lax", secure=web.secure_cookies
    )
    # A new CSRF token for the new session: one planted before sign-in is worth nothing after it.
    response.headers.append("set-cookie", csrf_cookie(names.csrf, ctx.signer.new_csrf(token), web.secure_cookies))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    if not _csrf_ok(request, csrf_token):
        raise ForbiddenError(_CSRF_FAILED)
    ctx = context(request)
    web = ctx.settings.web
    names = cookie_names(web.secure_cookies)
    name = _end(ctx, request.cookies.get(names.session), TokenKind.SESSION)
    if name is not None:
        _audit(logging.INFO, "logout", name, _client_address(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(names.session, httponly=True, samesite="lax", secure=web.secure_cookies)
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


@api_router.post(
    "/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "wrong name or password"},
        429: {"description": "too many failed sign-ins for the account or address; see Retry-After"},
        503: {"description": "too many sign-ins at once; see Retry-After"},
    },
)
def issue_token(request: Request, body: TokenRequest) -> TokenResponse:
    """Exchange a name and password for a bearer token (throttled: see 429)."""
    try:
        user = sign_in(request, body.username, body.password)
    except ThrottledError as exc:
        raise HTTPException(429, exc.message, {"Retry-After": str(exc.retry_after)}) from None
    except HashingBusyError:
        raise HTTPException(503, _BUSY, {"Retry-After": "1"}) from None
    ctx = context(request)
    token, expires_at = _issue(ctx, user, TokenKind.API, timedelta(hours=ctx.settings.web.token_hours))
    return TokenResponse(access_token=token, expires_at=expires_at, user=user.name, roles=user.roles)


@api_router.delete("/token", status_code=204, responses={401: {"description": "no valid token"}})
def revoke_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Response:
    """End the bearer token presented (signing out a program): it is refused from now on."""
    user = _end(context(request), credentials.credentials if credentials else None, TokenKind.API)
    if user is None:
        raise NotAuthenticatedError
    _audit(logging.INFO, "token_revoked", user, _client_address(request))
    return Response(status_code=204)


@api_router.get("/me", response_model=CurrentUser, responses={401: {"description": "no valid token"}})
def me(request: Request, user: Annotated[CurrentUser | None, Depends(optional_user)]) -> CurrentUser:
    """The user the token belongs to."""
    if user is None:
        raise _not_authenticated(request)
    return user
