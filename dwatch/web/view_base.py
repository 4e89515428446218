"""What every view of the dashboard shares: the base models of views and filters, the report years
on offer, and an agency's deadline. The views (`matrix_view`, `findings_view`, `dossier_view`) each
serve an HTML page, its JSON endpoint and its export, so the three never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.compliance import latest_due_year
from dwatch.store.tables import AgencyStatus
from dwatch.timefmt import iso

MIN_YEAR, MAX_YEAR = 2008, 2100  # the 条例 applies from the 2008 reports on
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
# A row id in a URL: the databases' ids are signed 64-bit, so a larger number is refused (422 in the
# API, 400 on a page) before it reaches a query, where it would overflow.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id (1 … 2^63-1)")]
# A moment in JSON: ISO 8601 in China time with its offset (the store keeps UTC).
LocalDateTime = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class ViewModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


PAGE_SIZE = 100  # rows of a dashboard page


class NumberedPage(BaseModel):
    """Which page of a dashboard list (the matrix, the findings) and how long pages are."""

    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=PAGE_SIZE, ge=10, le=500)


class FilterModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A filter form submits "" for "all".
        return None if value == "" else value

    def query(self, **changes: Any) -> str:
        """The filter as a query string (only what differs from the defaults), with `changes` applied:
        the links of a page (other pages, sorting, exports) keep the selection."""
        values = self.model_dump(mode="json", exclude_defaults=True) | changes
        return urlencode({k: v for k, v in values.items() if v is not None and v != ""})


def years(session: Session) -> list[int]:
    """Report years with any status, newest first."""
    return list(session.scalars(select(AgencyStatus.report_year).distinct().order_by(AgencyStatus.report_year.desc())))


def default_year(session: Session) -> int:
    """The newest year with statuses; before any, the latest year whose reports are due."""
    return next(iter(years(session)), latest_due_year())
