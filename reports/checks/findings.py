"""What a check reports: a finding with its rule, evidence, location and a stable fingerprint.

These models are the boundary between the checks and everything downstream (storage, alerts,
dashboard, SARIF export). The fingerprint identifies "the same defect in the same document" across
runs and formats: it hashes the rule id, the report's agency and year, and the logical location
(section/table/row/column) plus the rule's own discriminating arguments, never page or line
numbers, which differ between an HTML and a PDF rendering of one report.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Any

from dwatch.reports.compliance import AgencyKind
from dwatch.reports.model import DateSource, Location
from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Category(StrEnum):
    """Defect categories of spec §4.3, the words supervisors use."""

    TIME = "TIME"  # 未按时发布
    MISS = "MISS"  # 内容不全面 / 要素缺失
    ACC = "ACC"  # 数据不准确 / 勾稽关系错误
    FMT = "FMT"  # 格式不规范
    DUP = "DUP"  # 内容雷同
    PERF = "PERF"  # 敷衍塞责
    SCOPE = "SCOPE"  # 不宜泛化
    ACCESS = "ACCESS"  # 可获取性
    CHANGE = "CHANGE"  # 发布后有变动


class CheckContext(BaseModel):
    """What the checks know besides the document itself."""

    model_config = ConfigDict(extra="forbid")

    agency_kind: AgencyKind | None = Field(
        default=None, description="the agency's kind as given (registry, --agency-kind); None: inferred from its name"
    )
    agency_name: str | None = None
    published: date | None = None
    published_source: DateSource | None = Field(default=None, description="where `published` was read")
    deadline: date | None = Field(default=None, description="the agency's deadline; None: the statutory one")
    report_year: int | None = Field(default=None, description="overrides the year read from the title")
    insecure_tls: bool = Field(default=False, description="the document was fetched over an invalid certificate")
    document_version: int = Field(default=1, ge=1, description="the agency-year's report's archive version")
    first_fetched: date | None = Field(default=None, description="when version 1 of the document was fetched")


class TextSpan(BaseModel):
    """Character offsets [start, end) in the text of `location.section` (the preamble when None)."""

    model_config = ConfigDict(extra="forbid")

    start: int
    end: int


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: str
    catalogue_version: str
    severity: Severity
    category: Category
    message_zh: str
    message_en: str
    arguments: dict[str, Any] = Field(default_factory=dict, description="expected / actual / computed, …")
    location: Location = Field(default_factory=Location)
    evidence: str = Field(default="", description="an excerpt of the document showing the defect")
    span: TextSpan | None = Field(default=None, description="where in the section text the evidence is")
    fingerprint: str


def fingerprint(rule_id: str, agency: str | None, year: int | None, location: Location, key: Any = None) -> str:
    """Stable id of a defect: rule, report and logical place (no page/line), plus a rule-chosen key."""
    logical = {
        "rule": rule_id,
        "agency": agency or "",
        "year": year,
        "section": location.section,
        "table": location.table,
        "row": location.row,
        "column": location.column,
        "key": key,
    }
    blob = json.dumps(logical, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
