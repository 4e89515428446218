"""The agency-year rules (`dwatch.reports.compliance`): deadlines, the reporting year due, and that they
have one implementation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from dwatch.reports.checks.catalogue import CATALOGUE
from dwatch.reports.checks.timeliness import DeadlineParams
from dwatch.reports.compliance import (
    CHINA,
    StatutoryDeadlines,
    infer_agency_kind,
    latest_due_year,
    local_deadline,
    report_deadline,
    resolve_agency_kind,
)

from dwatch.store.registry.models import AgencyRow

ROOT = Path(__file__).parents[1]


def test_statutory_deadlines_by_kind() -> None:
    assert report_deadline(2024, "department") == date(2025, 1, 31)
    assert report_deadline(2024, "government") == date(2025, 3, 31)


def test_statutory_deadlines_before_2019_were_the_same_for_both_kinds() -> None:
    assert report_deadline(2018, "department") == date(2019, 3, 31)
    assert report_deadline(2019, "department") == date(2020, 1, 31)


def test_no_statutory_deadline_before_the_regulations() -> None:
    assert report_deadline(2007, "government") is None


def test_the_statutory_deadlines_are_the_catalogues() -> None:
    params = next(p for _, p in CATALOGUE.rule("TIME-01").bound_checks if isinstance(p, DeadlineParams))
    other = (StatutoryDeadlines(from_year=2000, department="06-30", government="12-31"),)
    assert report_deadline(2024, "department", statutory=other) == date(2025, 6, 30)
    assert report_deadline(2024, "department", statutory=params.statutory) == report_deadline(2024, "department")


def test_a_local_deadline_overrides_the_statutory_one() -> None:
    assert report_deadline(2024, "department", "04-15") == date(2025, 4, 15)
    assert report_deadline(2024, "government", "01-10") == date(2025, 1, 10)
    assert report_deadline(2007, "government", "01-10") == date(2008, 1, 10)
    assert local_deadline(2024, "04-15") == date(2025, 4, 15)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("淮安市人民政府", "government"),
        ("淮安市洪泽区人民政府", "government"),
        ("某某经济开发区管理委员会", "government"),
        ("平潭综合实验区党工委管委会", "government"),
        ("平潭综合实验区", "government"),  # a name ending in its area: the area's government
        ("某某新区", "government"),
        ("某某县", "government"),
        ("某某市", "government"),
        ("平潭综合实验区君山片区管理局", "department"),
        ("淮安市人民政府办公室", "department"),  # a government's office is a department
        ("某市发展和改革委员会", "department"),
        ("怀化市公安局交警支队", "department"),
        ("赣州经开区交警大队", "department"),
        ("某某区政务服务中心", "department"),
        ("某某区教育局（区语委办公室）", "department"),
        ("某某街道办事处", None),
        ("", None),
        (None, None),
    ],
)
def test_agency_kind_inferred_from_the_name(name: str | None, kind: str | None) -> None:
    assert infer_agency_kind(name) == kind


def test_a_given_kind_is_certain_an_inferred_or_assumed_one_is_not() -> None:
    given = resolve_agency_kind("department", "平潭综合实验区")
    assert (given.kind, given.source, given.certain) == ("department", "given", True)
    inferred = resolve_agency_kind(None, "平潭综合实验区")
    assert (inferred.kind, inferred.source, inferred.certain) == ("government", "inferred", False)
    assumed = resolve_agency_kind(None, "某某街道办事处")
    assert (assumed.kind, assumed.source, assumed.certain) == ("department", "assumed", False)


def test_a_leap_day_deadline_exists_only_in_leap_years() -> None:
    assert local_deadline(2027, "02-29") == date(2028, 2, 29)
    with pytest.raises(ValueError):
        local_deadline(2024, "02-29")
    # So the registry refuses it: in most years it would not exist.
    with pytest.raises(ValueError, match="MM-DD"):
        AgencyRow.model_validate(
            {
                "id": "a",
                "name": "某局",
                "kind": "department",
                "region": "430000",
                "supervisor": "s",
                "base_url": "https://a.gov.cn/",
                "listing_urls": ["https://a.gov.cn/nb/"],
                "deadline": "02-29",
            }
        )


@pytest.mark.parametrize(
    ("now", "year"),
    [
        (datetime(2025, 12, 31, 15, 59, tzinfo=UTC), 2024),  # 23:59 on New Year's Eve in China
        (datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 2025),  # midnight in China, still 2025 in UTC
        (datetime(2026, 1, 1, 0, 0, tzinfo=CHINA), 2025),
        (datetime(2025, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))), 2025),  # 09:00 on 1 January in China
        (datetime(2025, 6, 1, tzinfo=CHINA), 2024),
    ],
)
def test_the_year_due_turns_at_new_year_in_china(now: datetime, year: int) -> None:
    assert latest_due_year(now) == year


# --- One implementation -----------------------------------------------------------------------------

_SOURCES = ("dwatch", "reports", "crawlers", "workflows", "activities", "sitefarm", "synthetic", "bench")
_DOMAIN = ROOT / "reports" / "compliance.py"
# What the rules looked like wherever they were written before they had a home of their own.
_DUPLICATES = {
    "statutory deadlines by kind": r"STATUTORY_DEADLINE|statutory_deadline|month_day\(",
    "a registry row's deadline": r"deadline_for\b",
    "the latest due year": r"def latest_year|\.year - 1\b",
    "an agency's deadline for alerts": r"def due_date\b",
    "the compliance statuses": r"class ComplianceStatus\(",
    "China's time zone": r"timezone\(timedelta\(hours=8\)",
}


def _duplicates() -> list[str]:
    found = []
    for folder in _SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == _DOMAIN:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found += [
                    f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}"
                    for what, pattern in _DUPLICATES.items()
                    if re.search(pattern, line)
                ]
    return found


def test_the_agency_year_rules_have_one_implementation() -> None:
    duplicates = _duplicates()
    assert duplicates == [], "use dwatch.reports.compliance instead:\n" + "\n".join(duplicates)


def test_the_search_for_duplicates_finds_them() -> None:
    assert re.search(_DUPLICATES["the latest due year"], "return date.today().year - 1")
    assert re.search(_DUPLICATES["the compliance statuses"], "class ComplianceStatus(StrEnum):")
    assert not re.search(_DUPLICATES["the latest due year"], "span = report.year - 10")
