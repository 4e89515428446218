"""zh-CN labels of the dashboard, shared by pages and exports. Status and severity names come from
`dwatch.labels`, so the CLI, the alerts and the dashboard say the same thing."""

from __future__ import annotations

from typing import Final

from dwatch.labels import (
    FINDING_STATUS_ZH,
    NOTIFICATION_STATUS_ZH,
    RUN_STATUS_ZH,
    SEVERITY_ORDER,
    SEVERITY_ZH,
    STATUS_ZH,
    UNCHECKED,
)
from dwatch.reports.checks.findings import Category
from dwatch.reports.compliance import ComplianceStatus

# The matrix lists problems first: what a supervisor must chase comes before what is fine.
STATUS_ORDER: Final = (
    ComplianceStatus.MISSING.value,
    ComplianceStatus.LATE.value,
    ComplianceStatus.DEFECTIVE.value,
    ComplianceStatus.UNREACHABLE.value,
    ComplianceStatus.UNPARSEABLE.value,
    ComplianceStatus.NEEDS_REVIEW.value,
    UNCHECKED,
    ComplianceStatus.COMPLIANT.value,
)

CATEGORY_ZH: Final = {
    Category.TIME.value: "未按时发布",
    Category.MISS.value: "要素缺失",
    Category.ACC.value: "数据不准确",
    Category.FMT.value: "格式不规范",
    Category.DUP.value: "内容雷同",
    Category.PERF.value: "敷衍塞责",
    Category.SCOPE.value: "不宜泛化",
    Category.ACCESS.value: "可获取性",
    Category.CHANGE.value: "发布后有变动",
}

TABLE_ZH: Final = {
    "table2": "表二　主动公开政府信息情况",
    "table3": "表三　收到和处理政府信息公开申请情况",
    "table4": "表四　政府信息公开行政复议、行政诉讼情况",
}

# Re-exported: templates and exports read every label from here.
__all__ = [
    "CATEGORY_ZH",
    "FINDING_STATUS_ZH",
    "NOTIFICATION_STATUS_ZH",
    "RUN_STATUS_ZH",
    "SEVERITY_ORDER",
    "SEVERITY_ZH",
    "STATUS_ORDER",
    "STATUS_ZH",
    "TABLE_ZH",
    "UNCHECKED",
]
