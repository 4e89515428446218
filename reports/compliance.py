"""The rules of an agency-year: where its report stands, when it is due, which reporting year is due.

One implementation for the checks, the workflows, the alerts, the schedules and the dashboard.
Pure: the present moment is an argument (a workflow passes `workflow.now()`), never read here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Deadlines, grace periods and digest periods are calendar days in China (no daylight saving: a fixed
# offset is exact).
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

AgencyKind = Literal["department", "government"]
# How an agency's kind is known: "given" (the registry, `dwatch check --agency-kind`), "inferred" from its
# name, or "assumed" (a name that tells nothing: the department, whose deadline is the earlier one).
KindSource = Literal["given", "inferred", "assumed"]
# How supervisors name the kinds (messages, the command line).
KIND_ZH: dict[AgencyKind, str] = {"department": "政府部门", "government": "本级人民政府"}

# A deadline as written in the catalogue and the registry: month and day of the year after the report year.
MM_DD = r"^\d\d-\d\d$"


class ComplianceStatus(StrEnum):
    """Where an agency's report for a year stands, as supervisors sort it."""

    COMPLIANT = "compliant"
    DEFECTIVE = "defective"
    LATE = "late"
    MISSING = "missing"
    UNREACHABLE = "unreachable"
    UNPARSEABLE = "unparseable"
    # Read in part only (tables as images, a scan, OCR of low confidence): a person must verify it.
    NEEDS_REVIEW = "needs_review"


class StatutoryDeadlines(BaseModel):
    """The statutory deadlines (条例第四十九条) by agency kind, for the reports from `from_year` on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_year: int
    department: str = Field(pattern=MM_DD)
    government: str = Field(pattern=MM_DD)


@cache
def _catalogued() -> tuple[StatutoryDeadlines, ...]:
    # The rule catalogue's TIME-01 is the one source. Imported on first use: the catalogue's deadline
    # check (`checks.timeliness`) imports this module.
    from dwatch.reports.checks.catalogue import CATALOGUE
    from dwatch.reports.checks.timeliness import DeadlineParams

    return next(p for _, p in CATALOGUE.rule("TIME-01").bound_checks if isinstance(p, DeadlineParams)).statutory


class ResolvedKind(BaseModel):
    """An agency's kind and how it is known; only a given kind is certain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: AgencyKind
    source: KindSource

    @property
    def certain(self) -> bool:
        return self.source == "given"


# Name endings, checked in this order (管理委员会 before 委员会, 人民政府办公室 is an 办公室). A people's
# government or an administrative committee heads an area; a name that ends in the area itself
# (平潭综合实验区) is the area's government; every body inside one is a department.
_GOVERNMENT_BODIES = ("人民政府", "管理委员会", "管委会")
_DEPARTMENTS = ("局", "委员会", "委", "办公室", "办公厅", "办", "厅", "支队", "大队", "中心")
_AREAS = ("区", "县", "市", "州", "盟", "旗", "省")  # …区 covers 实验区, 新区, 开发区 and 自治区
_QUALIFIER = re.compile(r"[（(][^（()）]*[)）]$")  # "某局（某办公室）": the name is before it


def infer_agency_kind(name: str | None) -> AgencyKind | None:
    """The kind an agency's name says, or None when it says neither (e.g. 某某街道办事处)."""
    name = _QUALIFIER.sub("", (name or "").strip()).strip()
    if not name:
        return None
    if name.endswith(_GOVERNMENT_BODIES):
        return "government"
    if name.endswith(_DEPARTMENTS):
        return "department"
    return "government" if name.endswith(_AREAS) else None


def resolve_agency_kind(given: AgencyKind | None, name: str | None) -> ResolvedKind:
    """The kind given, else the one the name says, else the department assumed."""
    if given is not None:
        return ResolvedKind(kind=given, source="given")
    inferred = infer_agency_kind(name)
    if inferred is not None:
        return ResolvedKind(kind=inferred, source="inferred")
    return ResolvedKind(kind="department", source="assumed")


def local_deadline(year: int, deadline: str) -> date:
    """The date of a local deadline `deadline` (MM-DD) for the report on `year`."""
    month, day = deadline.split("-")
    return date(year + 1, int(month), int(day))


def report_deadline(
    year: int,
    kind: AgencyKind,
    local: str | None = None,
    *,
    statutory: Sequence[StatutoryDeadlines] | None = None,
) -> date | None:
    """The day by which an agency of `kind` publishes its report on `year`: its local deadline `local`
    (MM-DD) when it has one, else the statutory one in force for `year` (`statutory`, newest first;
    default the catalogue's TIME-01). None: a year before any statutory deadline."""
    if local is not None:
        return local_deadline(year, local)
    rules = _catalogued() if statutory is None else statutory
    rule = next((s for s in rules if year >= s.from_year), None)
    return local_deadline(year, getattr(rule, kind)) if rule is not None else None


def latest_due_year(now: datetime | None = None) -> int:
    """The reporting year whose reports fall due in the year under way at `now` (timezone-aware, read
    in China time; default the present moment, while workflows pass `workflow.now()`): the year before."""
    return (now or datetime.now(CHINA)).astimezone(CHINA).year - 1
