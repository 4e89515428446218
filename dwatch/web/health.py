"""Probes for an orchestrator or load balancer, open to anyone and left out of the API schema:
`/healthz` (the process serves requests) and `/readyz` (it can also reach its database)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dwatch.web.context import context

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        # A raw connection: a SQLAlchemy transaction on SQLite would take the write lock (BEGIN
        # IMMEDIATE) and a probe would then queue behind the workers' writes.
        connection = context(request).store.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
    except Exception as exc:  # whatever the driver raises (connecting is wrapped, executing is not): not ready
        log.warning("readiness: the database is unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "detail": "database unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})
