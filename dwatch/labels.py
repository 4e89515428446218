"""zh-CN names of the statuses people read in the CLI, the alerts and the dashboard: one wording each."""

from __future__ import annotations

from typing import Final

from dwatch.store.tables import ComplianceStatus, FindingStatus

# StrEnum keys: a plain "late" read from the database finds its name too.
COMPLIANCE_STATUS_ZH: Final[dict[ComplianceStatus, str]] = {
    ComplianceStatus.COMPLIANT: "合格",
    ComplianceStatus.DEFECTIVE: "存在错误",
    ComplianceStatus.LATE: "逾期发布",
    ComplianceStatus.MISSING: "未发布",
    ComplianceStatus.UNREACHABLE: "无法访问",
    ComplianceStatus.UNPARSEABLE: "无法解析",
}

FINDING_STATUS_ZH: Final[dict[FindingStatus, str]] = {
    FindingStatus.OPEN: "待处理",
    FindingStatus.ACKNOWLEDGED: "已确认",
    FindingStatus.WAIVED: "已豁免",
    FindingStatus.RESOLVED: "已解决",
}
