"""Dashboard speed: median server time of the compliance matrix page for 5,000 agencies.

    .venv/bin/python bench/web.py [--agencies 5000] [--repeat 30]

Rows are generated directly in a fresh SQLite store (agencies, statuses with documents, a few
findings each), then `GET /matrix` is served in-process (no network) and timed. Prints numbers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwatch.reports.compliance import ComplianceStatus  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from dwatch.config import Settings  # noqa: E402
from dwatch.store import migrate  # noqa: E402
from dwatch.store.database import Store  # noqa: E402
from dwatch.store.tables import (  # noqa: E402
    Agency,
    AgencyStatus,
    CheckRun,
    Document,
    Finding,
    Supervisor,
)
from dwatch.web.app import create_app  # noqa: E402

YEAR = 2025
_WEIGHTS = {
    ComplianceStatus.COMPLIANT: 60,
    ComplianceStatus.DEFECTIVE: 15,
    ComplianceStatus.LATE: 10,
    ComplianceStatus.MISSING: 8,
    ComplianceStatus.UNREACHABLE: 5,
    ComplianceStatus.UNPARSEABLE: 2,
}


def fill(store: Store, count: int) -> None:
    rng = random.Random(0)
    now = datetime.now(UTC)
    statuses = rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()), k=count)
    supervisors = [{"id": f"sup-{i}", "name": f"第{i}监督机构", "parent_id": None, "notify": []} for i in range(20)]
    agencies, documents, rows, runs, findings = [], [], [], [], []
    for i, status in enumerate(statuses):
        agency_id = f"a{i:05d}"
        kind = "government" if i % 7 == 3 else "department"
        agencies.append(
            {
                "id": agency_id,
                "name": f"示范市{i}区{'人民政府' if kind == 'government' else '教育局'}",
                "kind": kind,
                "region_code": f"{430000 + i * 10}",
                "supervisor_id": f"sup-{i % 20}",
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
        document_id = len(documents) + 1 if found else None
        if found:
            published = date(YEAR + 1, 1, 31) + timedelta(days=rng.randint(-50, -1 if status != "late" else 40))
            documents.append(
                {
                    "id": document_id,
                    "agency_id": agency_id,
                    "report_year": YEAR,
                    "url": f"https://a{i}.gov.cn/nb/{YEAR}.html",
                    "version": 1,
                    "final_url": f"https://a{i}.gov.cn/nb/{YEAR}.html",
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
            runs.append(
                {
                    "id": len(runs) + 1,
                    "agency_id": agency_id,
                    "report_year": YEAR,
                    "document_id": document_id,
                    "report_id": None,
                    "catalogue_version": "bench",
                    "rules": [],
                    "checked_at": now,
                    "finding_count": 0,
                    "workflow_run_id": None,
                }
            )
            for k, rule in enumerate(("T3-03", "T3-04", "ART-01")[: 3 if status == "defective" else 1]):
                findings.append(
                    {
                        "agency_id": agency_id,
                        "report_year": YEAR,
                        "fingerprint": f"{i:060x}{k:04x}",
                        "rule_id": rule,
                        "catalogue_version": "bench",
                        "severity": "error",
                        "category": "ACC",
                        "message_zh": f"{rule} 表三总计与各项之和不符",
                        "message_en": "",
                        "arguments": {},
                        "location": {"table": "table3", "row": "R24", "column": "总计"},
                        "evidence": "（七）总计：4 0 0 0 0 0 3",
                        "status": "open",
                        "status_changed_at": now,
                        "status_by": "dwatch",
                        "status_reason": None,
                        "status_check_run_id": runs[-1]["id"],
                        "first_seen_at": now,
                        "last_seen_at": now,
                        "times_seen": 1,
                        "first_check_run_id": runs[-1]["id"],
                        "last_check_run_id": runs[-1]["id"],
                        "last_document_id": document_id,
                    }
                )
        rows.append(
            {
                "agency_id": agency_id,
                "report_year": YEAR,
                "status": status.value,
                "detail": "已检查2个栏目页，未发现年度报告" if not found else "",
                "document_id": document_id,
                "check_run_id": None,
                "workflow_run_id": None,
                "changed_at": now,
                "checked_at": now,
            }
        )
    with store.session() as session:
        for table, values in (
            (Supervisor, [s | {"created_at": now, "updated_at": now} for s in supervisors]),
            (Agency, agencies),
            (Document, documents),
            (CheckRun, runs),
            (Finding, findings),
            (AgencyStatus, rows),
        ):
            session.execute(insert(table), values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"data_dir": tmp, "web": {"session_secret": "bench"}})
        migrate.upgrade(settings.database_url)
        store = Store.open(settings)
        fill(store, args.agencies)
        with TestClient(create_app(settings, store)) as client:
            for url in (f"/matrix?year={YEAR}", f"/matrix?year={YEAR}&status=defective", f"/api/v1/matrix?year={YEAR}"):
                client.get(url)  # warm: templates compiled, caches filled
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                print(
                    f"{url:45} {args.agencies} agencies: median {statistics.median(timings):6.1f} ms, "
                    f"max {max(timings):6.1f} ms, {len(response.content) / 1024:.0f} KiB"
                )
        store.close()


if __name__ == "__main__":
    main()
