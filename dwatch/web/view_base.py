"""What every view of the dashboard shares: the base models of views and filters, the report years
on offer, and an agency's deadline. The views (`matrix_view`, `findings_view`, `dossier_view`) each
serve an HTML page, its JSON endpoint and its export, so the three never disagree.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.reports.compliance import latest_due_year
from dwatch.store.tables import AgencyStatus

MIN_YEAR, MAX_YEAR = 2008, 2100  # the 条例 applies from the 2008 reports on
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]


class ViewModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FilterModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A filter form submits "" for "all".
        return None if value == "" else value


def years(session: Session) -> list[int]:
    """Report years with any status, newest first."""
    return list(session.scalars(select(AgencyStatus.report_year).distinct().order_by(AgencyStatus.report_year.desc())))


def default_year(session: Session) -> int:
    """The newest year with statuses; before any, the latest year whose reports are due."""
    return next(iter(years(session)), latest_due_year())
