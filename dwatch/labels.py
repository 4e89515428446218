"""zh-CN names of the statuses people read in the CLI, the alerts and the dashboard: one wording each."""

from __future__ import annotations

from typing import Final

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

FINDING_STATUS_ZH: Final[dict[str, str]] = {
    FindingStatus.OPEN: "待处理",
    FindingStatus.ACKNOWLEDGED: "已确认",
    FindingStatus.WAIVED: "已豁免",
    FindingStatus.RESOLVED: "已解决",
}
