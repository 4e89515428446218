"""Is this link title the annual report of the requested year? (spec §5.1, STR-03 variants)"""

from __future__ import annotations

import re

from dwatch.reports.labels import normalize

_YEARS = re.compile(r"((?:19|20)\d{2})(?=年)")  # a year is written 2024年 / 2024年度
_DISCLOSURE = ("政府信息公开", "政务信息公开", "信息公开", "政务公开")
# Other annual documents published in the same columns, with the same year in their titles.
_OTHER_TYPES = (
    "预算",
    "决算",
    "统计公报",
    "工作要点",
    "工作计划",
    "政府工作报告",
    "审计",
    "绩效",
    "指南",
    "目录",
    "通知",
)


def title_score(title: str, year: int) -> float:
    """0 when the title is not the year's annual report; up to 1 for the canonical title."""
    text = normalize(title)
    years = _YEARS.findall(text)
    if not years or years[0] != str(year):
        return 0.0
    is_report = "年度报告" in text or "年报" in text or (f"{year}年度" in text and "报告" in text)
    # "关于…的通知" about compiling the reports is itself no report.
    unrelated = text.startswith("关于") or any(word in text for word in _OTHER_TYPES)
    if not is_report or not any(word in text for word in _DISCLOSURE) or unrelated:
        return 0.0
    if "政府信息公开工作年度报告" in text:
        return 1.0
    return 0.8 if "政府信息公开" in text else 0.6
