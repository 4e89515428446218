"""The application factory: `create_app(settings)` serves the dashboard pages and the JSON API."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dwatch.config import Settings
from dwatch.ops import Ops, OpsInputError, OpsInputKind, OpsUnavailableError
from dwatch.store.database import Store
from dwatch.store.users import count_users, save_user
from dwatch.temporal.history import ui_link
from dwatch.timefmt import local_minute
from dwatch.web import api, auth, exports, health, labels, pages
from dwatch.web.backends import LocalOps, TemporalOps
from dwatch.web.context import WebContext
from dwatch.web.security import ROLE_ZH, Role, Signer, hash_password, load_secret

_HERE = Path(__file__).parent

# Crawled text is shown on every page; the policy keeps any markup that slipped through inert.
_SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class _SecurityMiddleware:
    """Gives every browser a CSRF cookie signed for its session (read by forms as `request.state.csrf`),
    and adds the security headers a response did not set itself (the archived copy sets a stricter policy)."""

    def __init__(self, app: ASGIApp, signer: Signer, secure: bool) -> None:
        self.app, self.signer, self.secure = app, signer, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names, cookies = auth.cookie_names(self.secure), Request(scope).cookies
        kept, session_token = cookies.get(names.csrf), cookies.get(names.session)
        # A new token when there is none, or it was signed for another session (or none: before sign-in).
        valid = kept if self.signer.csrf_matches(kept, kept, session_token) else None
        token, fresh = valid or self.signer.new_csrf(session_token), valid is None
        scope.setdefault("state", {})["csrf"] = token

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if fresh:
                    headers.append("set-cookie", auth.csrf_cookie(names.csrf, token, self.secure))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _safe_href(url: str | None) -> str:
    """Crawled URLs become links only if they are http(s): `javascript:` and friends turn into "#"."""
    return url if url and urlsplit(url).scheme in ("http", "https") else "#"


def _templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=_HERE / "templates")
    env = templates.env
    env.autoescape = True  # all templates, whatever their extension
    env.globals.update(
        STATUS_ZH=labels.STATUS_ZH,
        STATUS_ORDER=labels.STATUS_ORDER,
        FINDING_STATUS_ZH=labels.FINDING_STATUS_ZH,
        SEVERITY_ZH=labels.SEVERITY_ZH,
        CATEGORY_ZH=labels.CATEGORY_ZH,
        TABLE_ZH=labels.TABLE_ZH,
        RUN_STATUS_ZH=labels.RUN_STATUS_ZH,
        NOTIFICATION_STATUS_ZH=labels.NOTIFICATION_STATUS_ZH,
        ROLE_ZH=ROLE_ZH,
        Role=Role,
        temporal_link=lambda workflow_id, run_id: ui_link(settings.temporal, workflow_id, run_id),
    )
    env.filters.update(
        safe_href=_safe_href,
        quote=lambda v: quote(str(v), safe=""),
        dt=lambda v: local_minute(v) if isinstance(v, datetime) else "—",
        d=lambda v: v.isoformat() if isinstance(v, date) else "—",
        short=lambda v, n=12: v[:n] if v else "—",
    )
    return templates


def _bootstrap_admin(settings: Settings, store: Store) -> None:
    password = settings.web.admin_password
    if password is None:
        return
    with store.session() as session:
        if count_users(session) == 0:
            save_user(session, "admin", hash_password(password.get_secret_value()), [r.value for r in Role])


def create_app(settings: Settings, store: Store | None = None, ops: Ops | None = None) -> FastAPI:
    """The app over `store` (default: the configured one, which the caller has migrated)."""
    store = store or Store.open(settings)
    secret = settings.web.session_secret
    signer = Signer(load_secret(secret.get_secret_value() if secret else None, settings.data_dir))
    if ops is None:
        ops = LocalOps(settings, store) if settings.web.ops_backend == "local" else TemporalOps(settings, store)
    _bootstrap_admin(settings, store)
    app = FastAPI(
        title="Disclosure Watch API",
        version="1",
        description="政府信息公开工作年度报告监督：合规总览、机关年度档案、问题处理、运维操作与导出。",
        openapi_url="/api/openapi.json",
        # The machines have no internet: the interactive docs would load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(auth.same_origin)],
    )
    app.state.web = WebContext(settings=settings, store=store, signer=signer, ops=ops, templates=_templates(settings))
    app.add_middleware(_SecurityMiddleware, signer=signer, secure=settings.web.secure_cookies)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(auth.api_router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(exports.router)
    app.include_router(exports.router, prefix="/api/v1")
    _add_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    templates = request.app.state.web.templates
    context: dict[str, Any] = {"status": status, "message": message, "user": None}
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.NotAuthenticatedError)
    async def not_authenticated(request: Request, exc: auth.NotAuthenticatedError) -> Response:
        if _wants_json(request):
            return _error(request, 401, exc.message, {"WWW-Authenticate": exc.challenge})
        return auth.login_redirect(request)

    @app.exception_handler(auth.ForbiddenError)
    async def forbidden(request: Request, exc: auth.ForbiddenError) -> Response:
        return _error(request, 403, exc.message)

    @app.exception_handler(OpsInputError)
    async def refused_input(request: Request, exc: OpsInputError) -> Response:
        return _error(request, 404 if exc.kind is OpsInputKind.NOT_FOUND else 422, exc.message)

    @app.exception_handler(OpsUnavailableError)
    async def ops_unavailable(request: Request, exc: OpsUnavailableError) -> Response:
        return _error(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors())
        return _error(request, 400, f"请求参数有误：{fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))
