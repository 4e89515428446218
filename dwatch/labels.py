"""zh-CN names people read in the CLI, the alerts, the exports and the dashboard: one wording for each
status and severity, everywhere (the API's enum docs list them too)."""

from __future__ import annotations

from typing import Final

from dwatch.reports.checks.findings import Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.store.tables import FindingStatus

# StrEnum keys, typed as the strings they are: a plain "late" read from the database finds its name too.
COMPLIANCE_STATUS_ZH: Final[dict[str, str]] = {
    ComplianceStatus.COMPLIANT: "合格",
    ComplianceStatus.DEFECTIVE: "存在错误",
    ComplianceStatus.LATE: "逾期发布",
    ComplianceStatus.MISSING: "未发布",
    ComplianceStatus.UNREACHABLE: "无法访问",
    ComplianceStatus.UNPARSEABLE: "无法解析",
    ComplianceStatus.NEEDS_REVIEW: "待人工核对",
}

UNCHECKED: Final = "unchecked"  # an active agency without a status for the year yet
# Compliance statuses and `unchecked`: what the matrix, its exports and `dwatch status` show.
STATUS_ZH: Final[dict[str, str]] = {**COMPLIANCE_STATUS_ZH, UNCHECKED: "未检查"}

FINDING_STATUS_ZH: Final[dict[str, str]] = {
    FindingStatus.OPEN: "待处理",
    FindingStatus.ACKNOWLEDGED: "已确认",
    FindingStatus.WAIVED: "已豁免",
    FindingStatus.RESOLVED: "已解决",
}

SEVERITY_ZH: Final[dict[str, str]] = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
# Most severe first: the order every findings list (CLI, web, API, digest) is sorted in.
SEVERITY_ORDER: Final = (Severity.ERROR.value, Severity.WARNING.value, Severity.INFO.value)

RUN_STATUS_ZH: Final = {"running": "运行中", "completed": "已完成", "failed": "失败", "cancelled": "已取消"}
NOTIFICATION_STATUS_ZH: Final = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


def enum_doc(names: dict[str, str]) -> str:
    """`value`（名称） pairs for an API field's description, so the enum docs carry the names users read."""
    return "; ".join(f"`{value}` {zh}" for value, zh in names.items())
