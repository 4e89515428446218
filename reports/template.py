"""The national annual-report format as data.

The 2021 format (国办公开办函〔2021〕30号) is the reference every report is read against; the 2019
trial format (国办公开办函〔2019〕60号) is described only as far as needed to recognise it and to
read its table 二. Labels are the official texts; matching happens after `labels.normalize`.
Spec: ../shared/spec/annual-report-format.md §2.3, §2.4, §3.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

# The template's tables 二, 三 and 四, as the report model and the checks name them.
TableId = Literal["table2", "table3", "table4"]


class ReportFormat(StrEnum):
    F2021 = "2021"
    F2019 = "2019"
    PRE2019 = "pre-2019"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SectionSpec:
    section_id: str
    number: str
    title: str
    variants: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("S1", "一", "总体情况"),
    SectionSpec("S2", "二", "主动公开政府信息情况"),
    SectionSpec("S3", "三", "收到和处理政府信息公开申请情况"),
    SectionSpec(
        "S4",
        "四",
        "政府信息公开行政复议、行政诉讼情况",
        variants=("因政府信息公开工作被申请行政复议和提起行政诉讼情况", "政府信息公开行政复议行政诉讼情况"),
    ),
    SectionSpec(
        "S5",
        "五",
        "存在的主要问题及改进情况",
        variants=("政府信息公开工作存在的主要问题及改进情况", "存在问题及改进情况", "存在的问题及改进情况"),
    ),
    SectionSpec("S6", "六", "其他需要报告的事项"),
)

SECTION_BY_ID = {s.section_id: s for s in SECTIONS}


@dataclass(frozen=True)
class RowSpec:
    """One data row of a template table: its id, label, the columns it fills and their kind."""

    row_id: str
    label: str
    columns: tuple[str, ...]
    group: str | None = None
    decimal: bool = False  # only 本年收费金额 admits decimals; everything else is a count


@dataclass(frozen=True)
class TableSpec:
    table_id: TableId
    section_id: str
    rows: tuple[RowSpec, ...]
    # Every non-row label that must appear: captions, header cells, column heads, notes.
    header_labels: tuple[str, ...]

    def row(self, row_id: str) -> RowSpec:
        return next(r for r in self.rows if r.row_id == row_id)


# ---- Table 二 (§2.4.1) -------------------------------------------------------------------------

T2_DOC_COLUMNS = ("本年制发件数", "本年废止件数", "现行有效件数")
T2_DECISIONS = ("本年处理决定数量",)
T2_FEES = ("本年收费金额（单位：万元）",)

T2_CAPTIONS_2021 = ("第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项")

TABLE2_2021 = TableSpec(
    table_id="table2",
    section_id="S2",
    rows=(
        RowSpec("规章", "规章", T2_DOC_COLUMNS, group="第二十条第（一）项"),
        RowSpec("行政规范性文件", "行政规范性文件", T2_DOC_COLUMNS, group="第二十条第（一）项"),
        RowSpec("行政许可", "行政许可", T2_DECISIONS, group="第二十条第（五）项"),
        RowSpec("行政处罚", "行政处罚", T2_DECISIONS, group="第二十条第（六）项"),
        RowSpec("行政强制", "行政强制", T2_DECISIONS, group="第二十条第（六）项"),
        RowSpec("行政事业性收费", "行政事业性收费", T2_FEES, group="第二十条第（八）项", decimal=True),
    ),
    header_labels=(*T2_CAPTIONS_2021, "信息内容", *T2_DOC_COLUMNS, *T2_DECISIONS, *T2_FEES),
)

# The 2019 trial table 二 (§3.1): kept so that such a table is read, not mistaken for garbage.
T2_2019_DOC_COLUMNS = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
T2_2019_ITEM_COLUMNS = ("上一年项目数量", "本年增/减", "处理决定数量")
TABLE2_2019 = TableSpec(
    table_id="table2",
    section_id="S2",
    rows=(
        RowSpec("规章", "规章", T2_2019_DOC_COLUMNS, group="第二十条第（一）项"),
        RowSpec("规范性文件", "规范性文件", T2_2019_DOC_COLUMNS, group="第二十条第（一）项"),
        RowSpec("行政许可", "行政许可", T2_2019_ITEM_COLUMNS, group="第二十条第（五）项"),
        RowSpec("其他对外管理服务事项", "其他对外管理服务事项", T2_2019_ITEM_COLUMNS, group="第二十条第（五）项"),
        RowSpec("行政处罚", "行政处罚", T2_2019_ITEM_COLUMNS, group="第二十条第（六）项"),
        RowSpec("行政强制", "行政强制", T2_2019_ITEM_COLUMNS, group="第二十条第（六）项"),
        RowSpec("行政事业性收费", "行政事业性收费", ("上一年项目数量", "本年增/减"), group="第二十条第（八）项"),
        RowSpec("政府集中采购", "政府集中采购", ("采购项目数量", "采购总金额"), group="第二十条第（九）项"),
    ),
    header_labels=(
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
        "第二十条第（九）项",
        "信息内容",
        *T2_2019_DOC_COLUMNS,
        *T2_2019_ITEM_COLUMNS,
    ),
)

# ---- Table 三 (§2.4.2) -------------------------------------------------------------------------

T3_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_RESULTS = "三、本年度办理结果"
T3_GROUPS = ("（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理")

_T3_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("R01", "一、本年新收政府信息公开申请数量", None),
    ("R02", "二、上年结转政府信息公开申请数量", None),
    ("R03", "（一）予以公开", T3_RESULTS),
    ("R04", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", T3_RESULTS),
    ("R05", "1.属于国家秘密", "（三）不予公开"),
    ("R06", "2.其他法律行政法规禁止公开", "（三）不予公开"),
    ("R07", "3.危及“三安全一稳定”", "（三）不予公开"),
    ("R08", "4.保护第三方合法权益", "（三）不予公开"),
    ("R09", "5.属于三类内部事务信息", "（三）不予公开"),
    ("R10", "6.属于四类过程性信息", "（三）不予公开"),
    ("R11", "7.属于行政执法案卷", "（三）不予公开"),
    ("R12", "8.属于行政查询事项", "（三）不予公开"),
    ("R13", "1.本机关不掌握相关政府信息", "（四）无法提供"),
    ("R14", "2.没有现成信息需要另行制作", "（四）无法提供"),
    ("R15", "3.补正后申请内容仍不明确", "（四）无法提供"),
    ("R16", "1.信访举报投诉类申请", "（五）不予处理"),
    ("R17", "2.重复申请", "（五）不予处理"),
    ("R18", "3.要求提供公开出版物", "（五）不予处理"),
    ("R19", "4.无正当理由大量反复申请", "（五）不予处理"),
    ("R20", "5.要求行政机关确认或重新出具已获取信息", "（五）不予处理"),
    ("R21", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("R22", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("R23", "3.其他", "（六）其他处理"),
    ("R24", "（七）总计", T3_RESULTS),
    ("R25", "四、结转下年度继续办理", None),
)

TABLE3 = TableSpec(
    table_id="table3",
    section_id="S3",
    rows=tuple(RowSpec(rid, label, T3_COLUMNS, group=group) for rid, label, group in _T3_ROWS),
    header_labels=(T3_NOTE, "申请人情况", "法人或其他组织", *T3_COLUMNS),
)
T3_RESULT_ROWS = tuple(f"R{i:02d}" for i in range(3, 24))  # R03..R23, summed by （七）总计

# ---- Table 四 (§2.4.3) -------------------------------------------------------------------------

T4_OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
T4_BLOCKS = ("行政复议", "行政诉讼/未经复议直接起诉", "行政诉讼/复议后起诉")
T4_COLUMNS = tuple(f"{block}/{outcome}" for block in T4_BLOCKS for outcome in T4_OUTCOMES)

TABLE4 = TableSpec(
    table_id="table4",
    section_id="S4",
    rows=(RowSpec("V", "行政复议、行政诉讼", T4_COLUMNS),),
    header_labels=("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", *T4_OUTCOMES),
)

# ---- Format signatures (§3.1, §3.2) -------------------------------------------------------------

SIGNATURES_2019: tuple[str, ...] = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "第二十条第（九）项",
    "政府集中采购",
    "采购项目数量",
    "采购总金额",
)
SIGNATURES_PRE2019: tuple[str, ...] = (
    "国务院令第492号",
    "依申请公开政府信息和不予公开政府信息的情况",
    "政府信息公开的收费及减免情况",
    "因政府信息公开申请行政复议、提起行政诉讼的情况",
)
