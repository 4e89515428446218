"""A province's worth of agencies written straight into a store (no crawl, no parse): the data of the
dashboard's benchmark (`bench/web.py`) and of the tests that page through 20,000 agencies.

Agencies, supervisors (a province over its cities), statuses, documents, check runs and findings are
inserted in bulk with realistic proportions: most compliant, some defective with error and info
findings, some late, missing, unreachable. Deterministic for a given count.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from dwatch.reports.compliance import ComplianceStatus
from dwatch.store.database import Store
from dwatch.store.tables import Agency, AgencyStatus, CheckRun, Document, Finding, Supervisor

YEAR = 2025
CITIES = 20
_WEIGHTS = {
    ComplianceStatus.COMPLIANT: 60,
    ComplianceStatus.DEFECTIVE: 15,
    ComplianceStatus.LATE: 10,
    ComplianceStatus.MISSING: 8,
    ComplianceStatus.UNREACHABLE: 5,
    ComplianceStatus.UNPARSEABLE: 2,
}
# (rule, severity): a defective report has two errors and the info note on a repaired artefact.
_DEFECTS = (("T3-03", "error"), ("T3-04", "error"), ("ART-01", "info"))


def agency_id(index: int) -> str:
    return f"a{index:05d}"


def _supervisors(now: datetime) -> list[dict[str, Any]]:
    province: dict[str, Any] = {"id": "sup-prov", "name": "省政务公开办", "parent_id": None, "notify": []}
    cities = [
        {"id": f"sup-{i}", "name": f"第{i}市政务公开办", "parent_id": "sup-prov", "notify": []} for i in range(CITIES)
    ]
    return [s | {"created_at": now, "updated_at": now} for s in (province, *cities)]


def fill(store: Store, count: int, year: int = YEAR) -> None:
    """Insert `count` agencies and their records for `year` into an empty, migrated store."""
    rng = random.Random(count)
    now = datetime.now(UTC)
    statuses = rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()), k=count)
    agencies: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for i, status in enumerate(statuses):
        agency = agency_id(i)
        kind = "government" if i % 7 == 3 else "department"
        agencies.append(
            {
                "id": agency,
                "name": f"示范市{i}区{'人民政府' if kind == 'government' else '教育局'}",
                "kind": kind,
                "region_code": f"43{i % CITIES:02d}{i:06d}",
                "supervisor_id": f"sup-{i % CITIES}",
                "base_url": f"https://a{i}.gov.cn/",
                "listing_urls": [f"https://a{i}.gov.cn/nb/"],
                "allowed_hosts": [f"a{i}.gov.cn"],
                "selectors": None,
                "deadline": None,
                "active": True,
                "insecure_tls": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        found = status not in (ComplianceStatus.MISSING, ComplianceStatus.UNREACHABLE)
        document_id: int | None = None
        if found:
            document_id = len(documents) + 1
            late = status is ComplianceStatus.LATE
            published = date(year + 1, 1, 31) + timedelta(days=rng.randint(1, 40) if late else rng.randint(-50, 0))
            documents.append(
                {
                    "id": document_id,
                    "agency_id": agency,
                    "report_year": year,
                    "url": f"https://a{i}.gov.cn/nb/{year}.html",
                    "version": 1,
                    "final_url": f"https://a{i}.gov.cn/nb/{year}.html",
                    "http_status": 200,
                    "http_headers": {},
                    "published_on": published,
                    "published_source": "meta",
                    "published_raw": str(published),
                    "fetched_at": now,
                    "last_fetched_at": now,
                    "sha256": f"{i:064x}",
                    "media_type": "text/html",
                    "size": 10_000,
                    "workflow_run_id": None,
                }
            )
            run_id = len(runs) + 1
            defects = _DEFECTS if status is ComplianceStatus.DEFECTIVE else ()
            runs.append(
                {
                    "id": run_id,
                    "agency_id": agency,
                    "report_year": year,
                    "document_id": document_id,
                    "report_id": None,
                    "catalogue_version": "bulk",
                    "rules": [],
                    "checked_at": now,
                    "finding_count": len(defects),
                    "workflow_run_id": None,
                }
            )
            findings.extend(
                _finding(agency, year, i, k, rule, severity, run_id, document_id, now)
                for k, (rule, severity) in enumerate(defects)
            )
        rows.append(
            {
                "agency_id": agency,
                "report_year": year,
                "status": status.value,
                "detail": "" if found else "已检查2个栏目页，未发现年度报告",
                "document_id": document_id,
                "check_run_id": None,
                "workflow_run_id": None,
                "changed_at": now,
                "checked_at": now,
            }
        )
    with store.session() as session:
        for table, values in (
            (Supervisor, _supervisors(now)),
            (Agency, agencies),
            (Document, documents),
            (CheckRun, runs),
            (Finding, findings),
            (AgencyStatus, rows),
        ):
            if values:
                session.execute(insert(table), values)


def _finding(
    agency: str, year: int, i: int, k: int, rule: str, severity: str, run_id: int, document_id: int, now: datetime
) -> dict[str, Any]:
    return {
        "agency_id": agency,
        "report_year": year,
        "fingerprint": f"{i:060x}{k:04x}",
        "rule_id": rule,
        "catalogue_version": "bulk",
        "severity": severity,
        "category": "ACC" if severity == "error" else "FMT",
        "message_zh": f"表三第（七）项“总计”与各项之和不符（{rule}）"
        if severity == "error"
        else "文档中的排版痕迹已在分析前合并",
        "message_en": "",
        "arguments": {},
        "location": {"table": "table3", "row": "R24", "column": "总计"},
        "evidence": "（七）总计：4 0 0 0 0 0 3",
        "status": "open",
        "status_changed_at": now,
        "status_by": "dwatch",
        "status_reason": None,
        "status_check_run_id": run_id,
        "first_seen_at": now,
        "last_seen_at": now,
        "times_seen": 1,
        "first_check_run_id": run_id,
        "last_check_run_id": run_id,
        "last_document_id": document_id,
    }
