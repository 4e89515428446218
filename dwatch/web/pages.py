"""Server-rendered pages: the compliance matrix, findings, the agency-year dossier, triage and ops forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dwatch.ops import OpsInputError, OpsUnavailableError
from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.store.tables import Document
from dwatch.web import chart, dossier_view, findings_view, matrix_view, view_base
from dwatch.web.auth import FLASH_COOKIE, CurrentUser, form_actor, reader
from dwatch.web.context import context, db
from dwatch.web.findings_view import FindingPageQuery
from dwatch.web.labels import FINDING_STATUS_ZH, STATUS_ZH
from dwatch.web.matrix_view import SORT_ZH, MatrixPageQuery
from dwatch.web.security import Role, TokenKind
from dwatch.web.triage import Decision
from dwatch.web.triage import triage as triage_finding
from dwatch.web.view_base import MAX_YEAR, MIN_YEAR, PAGE_SIZE, RowId

router = APIRouter(include_in_schema=False)

Reader = Annotated[CurrentUser | None, Depends(reader)]
DB = Annotated[Session, Depends(db)]
PathYear = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)]
FormYear = Annotated[int, Form(ge=MIN_YEAR, le=MAX_YEAR)]
AgencyId = Annotated[str, Form(min_length=1, max_length=64)]


class Flash(NamedTuple):
    """A one-time message after an action: `ok` (green) or not (red, with the reason)."""

    ok: bool
    text: str


_FLASH_OK, _FLASH_FAILED = "ok:", "failed:"


def _flash(request: Request) -> Flash | None:
    token = request.cookies.get(FLASH_COOKIE)
    verified = context(request).signer.verify(token, TokenKind.FLASH) if token else None
    if verified is None:
        return None
    ok = not verified.sub.startswith(_FLASH_FAILED)
    return Flash(ok, verified.sub.removeprefix(_FLASH_OK if ok else _FLASH_FAILED))


def _render(request: Request, template: str, user: CurrentUser | None, values: dict[str, Any]) -> HTMLResponse:
    ctx = context(request)
    values = {"user": user, "csrf": request.state.csrf, "flash": _flash(request), **values}
    response = ctx.templates.TemplateResponse(request, template, values)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE)
    return response


def _redirect(request: Request, url: str, message: str, *, ok: bool = True) -> RedirectResponse:
    """Back to a page, with a one-time message (a signed cookie, so nobody can forge one by link)."""
    response = RedirectResponse(url, status_code=303)
    text = (_FLASH_OK if ok else _FLASH_FAILED) + message
    token = context(request).signer.sign(TokenKind.FLASH, text, timedelta(minutes=5))
    response.set_cookie(FLASH_COOKIE, token, max_age=300, httponly=True, samesite="lax")
    return response


def dossier_url(agency_id: str, year: int) -> str:
    return router.url_path_for("dossier_page", agency_id=agency_id, year=str(year))


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/matrix", status_code=303)


@router.get("/matrix", response_class=HTMLResponse)
def matrix_page(
    request: Request, user: Reader, session: DB, wanted: Annotated[MatrixPageQuery, Query()]
) -> HTMLResponse:
    selection = matrix_view.with_year(session, wanted.selection())
    year = selection.year
    assert year is not None  # with_year() resolved it
    overview = matrix_view.summary(session, selection)
    offset = (wanted.page - 1) * wanted.per_page
    result = matrix_view.matrix(session, selection, limit=wanted.per_page, offset=offset, overview=overview)
    pages = max(1, -(-result.selected // wanted.per_page))
    per_page = {} if wanted.per_page == PAGE_SIZE else {"per_page": wanted.per_page}
    return _render(
        request,
        "matrix.html",
        user,
        {
            "m": result,
            "f": selection,
            "year": year,
            "page": wanted.page,
            "pages": pages,
            "page_query": lambda number: selection.query(page=number, **per_page),
            "first_row": offset + 1,
            "sorts": SORT_ZH,
            "years": sorted({*view_base.years(session), year}, reverse=True),
            "supervisors": matrix_view.supervisors(session),
            "rules": CATALOGUE.rules,
            # Like the counts, the chart covers the whole selection, whichever status is picked.
            "timeliness": chart.timeliness(overview.published, result.total),
            "trend": chart.trend(matrix_view.status_trend(session)),
        },
    )


@router.get("/findings", response_class=HTMLResponse)
def findings_page(
    request: Request, user: Reader, session: DB, wanted: Annotated[FindingPageQuery, Query()]
) -> HTMLResponse:
    if wanted.year is None:
        wanted = wanted.model_copy(update={"year": view_base.default_year(session)})
    selection = wanted.selection()
    per_page = {} if wanted.per_page == PAGE_SIZE else {"per_page": wanted.per_page}
    return _render(
        request,
        "findings.html",
        user,
        {
            "p": findings_view.findings_page(session, wanted),
            "f": selection,
            "page_query": lambda number: selection.query(page=number, **per_page),
            "years": view_base.years(session),
            "rules": CATALOGUE.rules,
            "anchor": dossier_view.finding_anchor,
            "location_text": findings_view.location_text,
        },
    )


@router.get("/agencies/{agency_id}/{year}", response_class=HTMLResponse)
def dossier_page(request: Request, user: Reader, session: DB, agency_id: str, year: PathYear) -> HTMLResponse:
    found = dossier_view.dossier(session, agency_id, year)
    if found is None:
        raise HTTPException(404, f"机关不存在：{agency_id}")
    return _render(
        request,
        "dossier.html",
        user,
        {
            "d": found,
            "a": found.record.agency,
            "year": year,
            "anchor": dossier_view.finding_anchor,
            "row_anchor": dossier_view.cell_anchor,
            "location_text": findings_view.location_text,
        },
    )


@router.get("/documents/{document_id}/archive")
def archived_copy(_user: Reader, session: DB, request: Request, document_id: RowId) -> Response:
    """The archived bytes as fetched. Shown in a sandbox: the site's scripts never run on our origin."""
    document = session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, "文档不存在")
    data = context(request).store.blobs.get(document.sha256)
    extension = document.media_type.rsplit("/", 1)[-1].replace("vnd.openxmlformats-officedocument.", "")
    return Response(
        data,
        media_type=document.media_type,
        headers={
            "content-security-policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
            "content-disposition": f'inline; filename="{document.agency_id}-{document.report_year}-v{document.version}.{extension}"',
        },
    )


@router.get("/reports/{report_id}/crop")
def cell_crop(
    _user: Reader,
    session: DB,
    request: Request,
    report_id: RowId,
    table: Annotated[str, Query(max_length=16)],
    column: Annotated[str, Query(max_length=200)],
    row: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The image of a cell read by OCR, cut from the archived document (what a person checks the value against)."""
    png = dossier_view.cell_crop(session, context(request).store.blobs, report_id, table, row, column)
    if png is None:
        raise HTTPException(404, "该单元格没有可显示的图像")
    return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})


@router.post("/findings/{finding_id}/triage")
async def triage(
    request: Request,
    user: Annotated[CurrentUser, Depends(form_actor(Role.SUPERVISOR))],
    finding_id: RowId,
    decision: Annotated[Decision, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    ctx = context(request)
    with ctx.store.session() as session:
        finding = findings_view.finding(session, finding_id)
    if finding is None:
        raise HTTPException(404, f"问题不存在：{finding_id}")
    back = dossier_url(finding.agency_id, finding.report_year)
    try:
        decided = await triage_finding(ctx.store, ctx.ops, finding_id, decision, user.name, reason)
    except (ValueError, OpsInputError, OpsUnavailableError) as exc:
        return _redirect(request, back, f"问题 #{finding_id} 未能处理：{exc}", ok=False)
    status = FINDING_STATUS_ZH[decided.status]
    return _redirect(request, f"{back}#f-{finding_id}", f"问题 #{finding_id} 已标记为“{status}”（{user.name}）")


async def _ops_action(request: Request, user: CurrentUser, action: str, agency_id: str, year: int) -> RedirectResponse:
    """Run the action; refused input (`OpsInputError`) is the error page's to show (404/422)."""
    ops = context(request).ops
    run = ops.recrawl if action == "recrawl" else ops.recheck
    verb = "重新抓取" if action == "recrawl" else "重新检查"
    try:
        result = await run(agency_id, year, user.name)
    except OpsUnavailableError as exc:
        return _redirect(request, dossier_url(agency_id, year), f"{verb}未能执行：{exc}", ok=False)
    detail = f"：{result.detail}" if result.detail else ""
    status = STATUS_ZH.get(result.status, result.status)
    message = f"{verb}完成（工作流 {result.workflow_id}），当前状态：{status}{detail}"
    return _redirect(request, dossier_url(agency_id, year), message)


@router.post("/ops/recrawl")
async def recrawl(
    request: Request,
    user: Annotated[CurrentUser, Depends(form_actor(Role.OPS))],
    agency_id: AgencyId,
    year: FormYear,
) -> RedirectResponse:
    return await _ops_action(request, user, "recrawl", agency_id, year)


@router.post("/ops/recheck")
async def recheck(
    request: Request,
    user: Annotated[CurrentUser, Depends(form_actor(Role.OPS))],
    agency_id: AgencyId,
    year: FormYear,
) -> RedirectResponse:
    return await _ops_action(request, user, "recheck", agency_id, year)


@router.post("/ops/sweep")
async def sweep(
    request: Request, _user: Annotated[CurrentUser, Depends(form_actor(Role.OPS))], year: FormYear
) -> RedirectResponse:
    url = f"/matrix?year={year}"
    try:
        sweep_id = await context(request).ops.start_sweep(year)
    except OpsUnavailableError as exc:
        return _redirect(request, url, f"巡检未能启动：{exc}", ok=False)
    return _redirect(request, url, f"已启动 {year} 年度巡检（{sweep_id}），结果将陆续更新到本页")
