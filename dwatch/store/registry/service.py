"""Import and export of the registry. An import is validated as a whole, then applied in one
transaction: a file with any error changes nothing. Import adds and updates, never deletes
(findings and documents refer to agencies): retire an agency with `active: false`.

Every agency row is also read back as it will be stored before it is accepted, so a row the
registry could not read later is refused with its line. Reading never fails on one stored row
either (one written by an older version under older rules): it is skipped and reported, and the
rest of the registry, the sweeps and the crawls carry on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dwatch.store.registry.files import ParsedFile, RawRow
from dwatch.store.registry.messages import RegistryIssue, describe, issues_from
from dwatch.store.registry.models import AgencyRow, HostRow, RegistryFile, SupervisorRow
from dwatch.store.tables import Agency, CrawlHost, Supervisor
from dwatch.store.types import utcnow

log = logging.getLogger(__name__)


class UnreadableAgencyError(ValueError):
    """A stored agency row that no longer passes validation (zh-CN message naming the agency)."""

    def __init__(self, issue: RegistryIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class RegistryRejectedError(Exception):
    def __init__(self, issues: list[RegistryIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the registry file")
        self.issues = sorted(issues, key=lambda i: i.line or 0)


class ImportSummary(BaseModel):
    supervisors: Counter[str] = Field(default_factory=Counter, description="created / updated / unchanged")
    agencies: Counter[str] = Field(default_factory=Counter)
    hosts: Counter[str] = Field(default_factory=Counter)


class _Validated(BaseModel):
    supervisors: list[tuple[int, SupervisorRow]] = Field(default_factory=list)
    agencies: list[tuple[int, AgencyRow]] = Field(default_factory=list)
    hosts: list[tuple[int, HostRow]] = Field(default_factory=list)


def import_registry(session: Session, parsed: ParsedFile, *, dry_run: bool = False) -> ImportSummary:
    """Validate every row, then apply them all; RegistryRejectedError lists every problem found."""
    validated, issues = _validate_rows(parsed.rows)
    issues = [
        *parsed.issues,
        *issues,
        *_duplicates(parsed.rows, "supervisor", "监督机构"),
        *_duplicates(parsed.rows, "agency", "机关"),
        *_duplicates(parsed.rows, "host", "主机", key="host"),
        # Rows that failed validation still count as present: no follow-up "不存在" errors.
        *_check_references(session, validated, {_raw_id(r) for r in parsed.rows if r.kind == "supervisor"}),
    ]
    if issues:
        raise RegistryRejectedError(issues)
    summary = ImportSummary()
    savepoint = session.begin_nested()
    _apply_supervisors(session, [row for _, row in validated.supervisors], summary)
    _apply_agencies(session, [row for _, row in validated.agencies], summary)
    _apply_hosts(session, [row for _, row in validated.hosts], summary)
    session.flush()
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return summary


def _validate_rows(rows: list[RawRow]) -> tuple[_Validated, list[RegistryIssue]]:
    validated = _Validated()
    issues: list[RegistryIssue] = []
    for raw in rows:
        try:
            if raw.kind == "supervisor":
                validated.supervisors.append((raw.line, SupervisorRow.model_validate(raw.data)))
            elif raw.kind == "host":
                validated.hosts.append((raw.line, HostRow.model_validate(raw.data)))
            else:
                row = AgencyRow.model_validate(raw.data)
                _read_back(row)
                validated.agencies.append((raw.line, row))
        except ValidationError as exc:
            issues.extend(issues_from(exc, raw.line))
        except UnreadableAgencyError as exc:
            issues.append(RegistryIssue(line=raw.line, message=exc.issue.message))
    return validated, issues


def _read_back(row: AgencyRow) -> None:
    """The row as it will be stored must read back: what validation derived (hosts, normalised URLs)
    is validated again, so one row cannot later stop the registry's readers."""
    agency_row(Agency(id=row.id, **_agency_values(row)))


def _check_references(session: Session, validated: _Validated, named: set[str]) -> list[RegistryIssue]:
    issues: list[RegistryIssue] = []
    stored_parents: dict[str, str | None] = dict(session.execute(select(Supervisor.id, Supervisor.parent_id)).all())
    parents = stored_parents | {row.id: row.parent for _, row in validated.supervisors}
    for line, row in validated.supervisors:
        if row.parent is not None and row.parent not in parents and row.parent not in named:
            issues.append(RegistryIssue(line=line, message=f"上级监督机构“{row.parent}”不存在"))
        elif (cycle := _cycle_from(row.id, parents)) is not None:
            issues.append(RegistryIssue(line=line, message=f"上级监督机构形成循环：{' → '.join(cycle)}"))
    for line, agency in validated.agencies:
        if agency.supervisor not in parents and agency.supervisor not in named:
            issues.append(RegistryIssue(line=line, message=f"监督机构“{agency.supervisor}”不存在"))
    return issues


def _raw_id(row: RawRow, key: str = "id") -> str:
    value = str(row.data.get(key, "")).strip()
    return value.lower() if key == "host" else value  # host names are case-insensitive, ids are not


def _duplicates(rows: list[RawRow], kind: str, noun: str, key: str = "id") -> list[RegistryIssue]:
    first_line: dict[str, int] = {}
    issues = []
    for row in rows:
        row_id = _raw_id(row, key)
        if row.kind != kind or not row_id:
            continue
        if row_id in first_line:
            message = f"{noun}编号“{row_id}”重复（首次出现在第{first_line[row_id]}行）"
            issues.append(RegistryIssue(line=row.line, message=message))
        else:
            first_line[row_id] = row.line
    return issues


def _cycle_from(start: str, parents: dict[str, str | None]) -> list[str] | None:
    path = [start]
    current = parents.get(start)
    while current is not None and current in parents:
        path.append(current)
        if current == start:
            return path
        if len(path) > len(parents):
            return None  # a cycle further up, reported on its own rows
        current = parents[current]
    return None


def _apply_supervisors(session: Session, rows: list[SupervisorRow], summary: ImportSummary) -> None:
    now = utcnow()
    existing = {s.id: s for s in session.scalars(select(Supervisor).where(Supervisor.id.in_([r.id for r in rows])))}
    # Parents may be rows of this same file: create every row first, link parents second.
    for row in rows:
        values = {"name": row.name, "notify": [t.model_dump(mode="json") for t in row.notify]}
        current = existing.get(row.id)
        if current is None:
            session.add(Supervisor(id=row.id, parent_id=None, created_at=now, updated_at=now, **values))
            summary.supervisors["created"] += 1
        elif _update(current, values, now) | (current.parent_id != row.parent):
            current.updated_at = now
            summary.supervisors["updated"] += 1
        else:
            summary.supervisors["unchanged"] += 1
    session.flush()
    for row in rows:
        session.get_one(Supervisor, row.id).parent_id = row.parent
    session.flush()


def _apply_agencies(session: Session, rows: list[AgencyRow], summary: ImportSummary) -> None:
    now = utcnow()
    existing = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_([r.id for r in rows])))}
    for row in rows:
        values = _agency_values(row)
        current = existing.get(row.id)
        if current is None:
            session.add(Agency(id=row.id, created_at=now, updated_at=now, **values))
            summary.agencies["created"] += 1
        elif _update(current, values, now):
            summary.agencies["updated"] += 1
        else:
            summary.agencies["unchanged"] += 1


def _apply_hosts(session: Session, rows: list[HostRow], summary: ImportSummary) -> None:
    now = utcnow()
    existing = {h.host: h for h in session.scalars(select(CrawlHost).where(CrawlHost.host.in_([r.host for r in rows])))}
    for row in rows:
        values = {"interval": row.interval, "concurrency": row.concurrency}
        current = existing.get(row.host)
        if current is None:
            session.add(CrawlHost(host=row.host, updated_at=now, **values))
            summary.hosts["created"] += 1
        elif _update(current, values, now):
            summary.hosts["updated"] += 1
        else:
            summary.hosts["unchanged"] += 1


def host_limits(session: Session, hosts: Iterable[str]) -> dict[str, HostRow]:
    """The registry's own politeness for those of `hosts` that have one."""
    rows = session.scalars(select(CrawlHost).where(CrawlHost.host.in_(list(hosts))))
    return {r.host: HostRow(host=r.host, interval=r.interval, concurrency=r.concurrency) for r in rows}


def _agency_values(row: AgencyRow) -> dict[str, Any]:
    data = row.model_dump(mode="json")
    return {
        "name": row.name,
        "kind": row.kind,
        "region_code": row.region,
        "supervisor_id": row.supervisor,
        "base_url": data["base_url"],
        "listing_urls": data["listing_urls"],
        "allowed_hosts": row.allowed_hosts,
        "selectors": data["selectors"],
        "deadline": row.deadline,
        "active": row.active,
        "insecure_tls": row.insecure_tls,
    }


def _update(entity: Supervisor | Agency | CrawlHost, values: dict[str, Any], now: Any) -> bool:
    changed = {k: v for k, v in values.items() if getattr(entity, k) != v}
    for key, value in changed.items():
        setattr(entity, key, value)
    if changed:
        entity.updated_at = now
    return bool(changed)


def export_registry(session: Session) -> RegistryFile:
    supervisors = [
        SupervisorRow.model_validate({"id": s.id, "name": s.name, "parent": s.parent_id, "notify": s.notify})
        for s in session.scalars(select(Supervisor).order_by(Supervisor.id))
    ]
    agencies, unreadable = read_agencies(session, select(Agency).order_by(Agency.id))
    hosts = [
        HostRow(host=h.host, interval=h.interval, concurrency=h.concurrency)
        for h in session.scalars(select(CrawlHost).order_by(CrawlHost.host))
    ]
    return RegistryFile(supervisors=supervisors, agencies=agencies, hosts=hosts, unreadable=unreadable)


def read_agencies(session: Session, query: Select[Agency]) -> tuple[list[AgencyRow], list[RegistryIssue]]:
    """The agencies `query` selects, validated; a row that fails is skipped, logged and returned as an
    issue naming the agency, so one bad row never stops the readers of the whole registry."""
    rows: list[AgencyRow] = []
    unreadable: list[RegistryIssue] = []
    for agency in session.scalars(query):
        try:
            rows.append(agency_row(agency))
        except UnreadableAgencyError as exc:
            log.warning("skipping an unreadable registry row: %s", exc.issue.message)
            unreadable.append(exc.issue)
    return rows, unreadable


def agency_row(agency: Agency) -> AgencyRow:
    """The stored agency as a registry row; UnreadableAgencyError if it no longer validates."""
    try:
        return AgencyRow.model_validate(
            {
                "id": agency.id,
                "name": agency.name,
                "kind": agency.kind,
                "region": agency.region_code,
                "supervisor": agency.supervisor_id,
                "base_url": agency.base_url,
                "listing_urls": agency.listing_urls,
                "allowed_hosts": agency.allowed_hosts,
                "selectors": agency.selectors,
                "deadline": agency.deadline,
                "active": agency.active,
                "insecure_tls": agency.insecure_tls,
            }
        )
    except ValidationError as exc:
        problems = "；".join(describe(detail) for detail in exc.errors())
        raise UnreadableAgencyError(RegistryIssue(message=f"机关“{agency.id}”的登记信息无法读取：{problems}")) from None
