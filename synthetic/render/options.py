"""Layout variations a renderer can apply; none of them changes what the document says."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# How table 二's rows with fewer figures than its three value columns (本年处理决定数量, 收费金额) fill
# them: "merged" spans them as the template does; Word tables also keep them as separate cells, the spare
# ones left blank, with the figures first ("unmerged") or last ("value-last").
Table2Cells = Literal["merged", "unmerged", "value-last"]


class RenderOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fullwidth_digits: bool = False  # "１２" in cells, as typed with a Chinese IME
    thousands_separators: bool = False  # "198,716" in cells of four digits or more
    page_break_in_table3: bool = False  # PDF: table 三 continues on the next page, cut mid-group
    header_line_breaks: bool = True  # hard breaks in narrow header cells ("商业\n企业"), as in the template
    split_title: bool = False  # title on two lines ("…政府信息公开" / "工作年度报告")
    table2_cells: Table2Cells = "merged"
