"""Builders of the inputs the storage layer receives from the crawler and the checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dwatch.reports.checks.findings import Category, Finding, Severity, fingerprint
from dwatch.reports.model import DateEvidence, DateSource, Location

from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.documents import FetchedDocument
from dwatch.store.findings import CheckRunInput
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry

FIXTURES = Path(__file__).parent / "fixtures"
AGENCY = "hh-jiaojing"
YEAR = 2023
T0 = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)


def finding(rule_id: str, row: str = "R01", message: str = "数据不一致") -> Finding:
    location = Location(table="table3", row=row, column="total")
    return Finding(
        rule_id=rule_id,
        catalogue_version="2024.1",
        severity=Severity.ERROR,
        category=Category.ACC,
        message_zh=message,
        message_en="inconsistent numbers",
        arguments={"expected": 5, "actual": 4},
        location=location,
        evidence="本年新收政府信息公开申请数量 4",
        fingerprint=fingerprint(rule_id, "怀化市公安局交警支队", YEAR, location),
    )


def run(hours: float = 0, **overrides: object) -> CheckRunInput:
    values: dict[str, object] = {
        "agency_id": AGENCY,
        "report_year": YEAR,
        "catalogue_version": "2024.1",
        "rules": ["ACC-01", "ACC-02", "MISS-01"],
        "checked_at": T0 + timedelta(hours=hours),
    }
    return CheckRunInput.model_validate(values | overrides)


def fetched(
    url: str = "https://www.huaihua.gov.cn/hhjj/zfxxgknb/t20240125_1.shtml", hours: float = 0
) -> FetchedDocument:
    return FetchedDocument(
        agency_id=AGENCY,
        report_year=YEAR,
        url=url,
        final_url=url.replace("http://", "https://"),
        http_status=200,
        http_headers={"content-type": "text/html; charset=utf-8", "etag": '"abc"'},
        media_type="text/html",
        fetched_at=T0 + timedelta(hours=hours),
        published=DateEvidence(value=date(2024, 1, 25), source=DateSource.META, raw="2024-01-25 10:00"),
    )


def registered_store(data_dir: Path) -> Store:
    """A new SQLite store in `data_dir` holding the fixture registry."""
    settings = Settings(data_dir=data_dir)
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    with store.session() as session:
        import_registry(session, read_registry((FIXTURES / "registry.yaml").read_bytes(), "yaml"))
    return store
