"""Import and export of the registry. An import is validated as a whole, then applied in one
transaction: a file with any error changes nothing. Import adds and updates, never deletes
(findings and documents refer to agencies): retire an agency with `active: false`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwatch.store.registry.files import ParsedFile, RawRow
from dwatch.store.registry.messages import RegistryIssue, issues_from
from dwatch.store.registry.models import AgencyRow, RegistryFile, SupervisorRow
from dwatch.store.tables import Agency, Supervisor
from dwatch.store.types import utcnow


class RegistryRejectedError(Exception):
    def __init__(self, issues: list[RegistryIssue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the registry file")
        self.issues = sorted(issues, key=lambda i: i.line or 0)


class ImportSummary(BaseModel):
    supervisors: Counter[str] = Field(default_factory=Counter, description="created / updated / unchanged")
    agencies: Counter[str] = Field(default_factory=Counter)


class _Validated(BaseModel):
    supervisors: list[tuple[int, SupervisorRow]] = Field(default_factory=list)
    agencies: list[tuple[int, AgencyRow]] = Field(default_factory=list)


def import_registry(session: Session, parsed: ParsedFile, *, dry_run: bool = False) -> ImportSummary:
    """Validate every row, then apply them all; RegistryRejectedError lists every problem found."""
    validated, issues = _validate_rows(parsed.rows)
    issues = [
        *parsed.issues,
        *issues,
        *_duplicates(parsed.rows, "supervisor", "监督机构"),
        *_duplicates(parsed.rows, "agency", "机关"),
        # Rows that failed validation still count as present: no follow-up "不存在" errors.
        *_check_references(session, validated, {_raw_id(r) for r in parsed.rows if r.kind == "supervisor"}),
    ]
    if issues:
        raise RegistryRejectedError(issues)
    summary = ImportSummary()
    savepoint = session.begin_nested()
    _apply_supervisors(session, [row for _, row in validated.supervisors], summary)
    _apply_agencies(session, [row for _, row in validated.agencies], summary)
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
            else:
                validated.agencies.append((raw.line, AgencyRow.model_validate(raw.data)))
        except ValidationError as exc:
            issues.extend(issues_from(exc, raw.line))
    return validated, issues


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


def _raw_id(row: RawRow) -> str:
    return str(row.data.get("id", "")).strip()


def _duplicates(rows: list[RawRow], kind: str, noun: str) -> list[RegistryIssue]:
    first_line: dict[str, int] = {}
    issues = []
    for row in rows:
        row_id = _raw_id(row)
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


def _update(entity: Supervisor | Agency, values: dict[str, Any], now: Any) -> bool:
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
    agencies = [agency_row(a) for a in session.scalars(select(Agency).order_by(Agency.id))]
    return RegistryFile(supervisors=supervisors, agencies=agencies)


def agency_row(agency: Agency) -> AgencyRow:
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
