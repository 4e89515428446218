"""The JSON API (`/api/v1`): the pages' data and actions for programs. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dwatch.ops import OpsResult, OpsUnavailableError
from dwatch.web import dossier_view, findings_view, matrix_view, view_base
from dwatch.web.auth import CurrentUser, api_actor, reader
from dwatch.web.context import context, db
from dwatch.web.dossier_view import Dossier
from dwatch.web.findings_view import FindingFilter, FindingView
from dwatch.web.matrix_view import CursorError, Matrix, MatrixApiQuery, SupervisorOption
from dwatch.web.security import Role
from dwatch.web.triage import Decision, triage
from dwatch.web.view_base import MAX_YEAR, MIN_YEAR, RowId, Year

# Extra OpenAPI responses of a route, by status code (FastAPI's `responses=`).
Responses = dict[int | str, dict[str, Any]]

_AUTH: Responses = {401: {"description": "no valid token"}, 403: {"description": "the user lacks the role"}}
_NOT_FOUND: Responses = {404: {"description": "no such agency or finding"}}
# Ops actions refuse their input before anything starts (`dwatch.ops.validate`), then may find Temporal down.
_OPS: Responses = {
    **_AUTH,
    **_NOT_FOUND,
    422: {"description": "malformed input, or a report year ops cannot act on"},
    503: {"description": "Temporal down, or the action refused"},
}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(reader)], responses={401: _AUTH[401]})

DB = Annotated[Session, Depends(db)]
PathYear = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Decision
    reason: str | None = Field(default=None, max_length=2000, description="required to waive")


class OpsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str = Field(min_length=1, max_length=64)
    year: Year


class SweepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year
    agency_ids: list[str] | None = Field(default=None, description="default: every active agency")


class SweepStarted(BaseModel):
    sweep_id: str


@router.get("/years", tags=["matrix"])
def list_years(session: DB) -> list[int]:
    """Report years with compliance statuses, newest first."""
    return view_base.years(session)


@router.get("/supervisors", tags=["matrix"])
def list_supervisors(session: DB) -> list[SupervisorOption]:
    return matrix_view.supervisors(session)


@router.get("/matrix", tags=["matrix"], responses={422: {"description": "malformed filter or cursor"}})
def get_matrix(session: DB, wanted: Annotated[MatrixApiQuery, Query()]) -> Matrix:
    """Agencies × compliance status for a year, filtered and sorted, a page at a time (follow
    `next_cursor`); counts per status over the whole selection."""
    selection = wanted.selection()
    try:
        return matrix_view.matrix(session, selection, limit=wanted.limit, cursor=wanted.cursor)
    except CursorError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/findings", tags=["findings"])
def list_findings(session: DB, wanted: Annotated[FindingFilter, Query()]) -> list[FindingView]:
    """Findings, most severe first; info-level ones only with `severity=info`."""
    return findings_view.findings(session, wanted)


@router.get("/findings/{finding_id}", tags=["findings"], responses=_NOT_FOUND)
def get_finding(session: DB, finding_id: RowId) -> FindingView:
    """A finding with its status history."""
    found = findings_view.finding(session, finding_id)
    if found is None:
        raise HTTPException(404, f"问题不存在：{finding_id}")
    return found


@router.post(
    "/findings/{finding_id}/status", tags=["findings"], responses={**_AUTH, **_NOT_FOUND, 422: {"description": "bad"}}
)
async def decide(
    request: Request,
    user: Annotated[CurrentUser, Depends(api_actor(Role.SUPERVISOR))],
    finding_id: RowId,
    body: DecisionRequest,
) -> FindingView:
    """Acknowledge, waive (with a reason) or reopen a finding; recorded with who and when."""
    ctx = context(request)
    try:
        return await triage(ctx.store, ctx.ops, finding_id, body.status, user.name, body.reason)
    except KeyError as exc:
        raise HTTPException(404, f"问题不存在：{finding_id}") from exc
    except (ValueError, OpsUnavailableError) as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/agencies/{agency_id}/years/{year}", tags=["dossier"], responses=_NOT_FOUND)
def get_dossier(session: DB, agency_id: str, year: PathYear) -> Dossier:
    """Everything about an agency's report for a year: documents, parsed tables, findings, notifications, runs."""
    found = dossier_view.dossier(session, agency_id, year)
    if found is None:
        raise HTTPException(404, f"机关不存在：{agency_id}")
    return found


@router.post("/ops/recrawl", tags=["ops"], responses=_OPS)
async def recrawl(
    request: Request, user: Annotated[CurrentUser, Depends(api_actor(Role.OPS))], body: OpsRequest
) -> OpsResult:
    """Fetch the agency's report again now, then parse and check it."""
    return await context(request).ops.recrawl(body.agency_id, body.year, user.name)


@router.post("/ops/recheck", tags=["ops"], responses=_OPS)
async def recheck(
    request: Request, user: Annotated[CurrentUser, Depends(api_actor(Role.OPS))], body: OpsRequest
) -> OpsResult:
    """Parse and check the archived report again (no fetch)."""
    return await context(request).ops.recheck(body.agency_id, body.year, user.name)


@router.post("/ops/sweeps", tags=["ops"], status_code=202, responses=_OPS)
async def start_sweep(
    request: Request, _user: Annotated[CurrentUser, Depends(api_actor(Role.OPS))], body: SweepRequest
) -> SweepStarted:
    """Start the deadline sweep for a year (all active agencies, or those listed)."""
    return SweepStarted(sweep_id=await context(request).ops.start_sweep(body.year, body.agency_ids))
