"""HTML report pages: encodings, the article container, merged table cells, dates, hostile markup."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from corpus import CORPUS, mismatches
from dwatch.reports.model import DateSource, TitleSource
from dwatch.reports.parsers import parse_document
from dwatch.reports.parsers.html import extract, page_dates
from dwatch.reports.parsers.limits import DEFAULT_LIMITS

FIXTURES = Path(__file__).parent / "fixtures"
TRS_PAGE = FIXTURES / "trs_report_2023.html"
ZERO = [0] * 7

# Every cell of tests/fixtures/trs_report_2023.html, in the ground-truth form of tests/corpus.py.
TRS_TRUTH = {
    "table2": {
        "规章": {"本年制发件数": 0, "本年废止件数": 0, "现行有效件数": 0},
        "行政规范性文件": {"本年制发件数": 2, "本年废止件数": 1, "现行有效件数": 15},
        "行政许可": 1234,
        "行政处罚": 56,
        "行政强制": 0,
        "行政事业性收费": 0.5,
    },
    "table3": {
        **{f"R{i:02d}": ZERO for i in range(1, 26)},
        "R01": [20, 3, 0, 0, 1, 0, 24],
        "R02": [2, 0, 0, 0, 0, 0, 2],
        "R03": [10, 1, 0, 0, 0, 0, 11],
        "R04": [2, 0, 0, 0, 0, 0, 2],
        "R07": [1, 0, 0, 0, 0, 0, 1],
        "R13": [4, 1, 0, 0, 1, 0, 6],
        "R15": [1, 0, 0, 0, 0, 0, 1],
        "R16": [1, 0, 0, 0, 0, 0, 1],
        "R24": [19, 2, 0, 0, 1, 0, 22],
        "R25": [3, 1, 0, 0, 0, 0, 4],
    },
    "table4": [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
}


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


# ---- Encodings ----------------------------------------------------------------------------------


def test_gbk_page_declaring_gb2312_in_meta_is_decoded() -> None:
    # 镕 and 堃 are GBK but not GB2312: the declared gb2312 must be read as its superset.
    page = _page(
        "<div id='zoom'><p>一、总体情况</p><p>朱镕基路办事处与王堃同志负责公开工作。</p></div>",
        head='<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>某街道2023年政府信息公开工作年度报告</title>',
    )
    report = parse_document(page.encode("gbk"), "gbk.html")
    assert report.title == "某街道2023年政府信息公开工作年度报告"
    s1 = report.section("S1")
    assert s1 is not None and s1.text == "朱镕基路办事处与王堃同志负责公开工作。"
    assert not [d for d in report.diagnostics if d.code == "PARSE-CHARSET"]


def test_http_charset_wins_over_meta() -> None:
    page = _page("<p>一、总体情况</p><p>全年主动公开信息120条。</p>", head='<meta charset="utf-8">')
    data = page.encode("gbk")
    meta_only = parse_document(data, "a.html")
    assert any(d.code == "PARSE-CHARSET" and "utf-8 (meta)" in d.message for d in meta_only.diagnostics)
    report = parse_document(data, "a.html", content_type="text/html; charset=GBK")
    assert not [d for d in report.diagnostics if d.code == "PARSE-CHARSET"]
    s1 = report.section("S1")
    assert s1 is not None and s1.found and s1.text == "全年主动公开信息120条。"


# ---- A realistic TRS page ---------------------------------------------------------------------


def test_trs_page_cells_are_exact() -> None:
    report = parse_document(TRS_PAGE.read_bytes(), TRS_PAGE.name)
    assert mismatches(report, TRS_TRUTH) == []
    assert report.table3.extra_rows == [] and report.table2.extra_rows == []
    for table_id in ("table2", "table3", "table4"):
        assert all(h.quality.value == "exact" for h in report.table(table_id).headers), table_id


def test_trs_page_reads_only_the_article() -> None:
    report = parse_document(TRS_PAGE.read_bytes(), TRS_PAGE.name)
    assert (report.title, report.year, report.agency) == (
        "某某市交通运输局2023年政府信息公开工作年度报告",
        2023,
        "某某市交通运输局",
    )
    assert [s.section_id for s in report.sections if s.found] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    everything = report.preamble + "".join(s.text for s in report.sections)
    for leak in ("2022年政府信息公开工作年度报告", "设为首页", "网站地图", "打印本页", "document.write", "_hmt"):
        assert leak not in everything
    assert report.preamble.startswith("本报告根据《中华人民共和国政府信息公开条例》")
    s1 = report.section("S1")
    assert s1 is not None
    # <br> splits lines; &mdash; is decoded.
    assert s1.text.splitlines() == [
        "2023年，我局认真贯彻落实《条例》——全面推进政务公开工作。",
        "（一）主动公开。全年主动公开政府信息326条。",
        "（二）依申请公开。全年新收申请24件。",
    ]


def test_trs_page_rowspan_and_colspan_rows() -> None:
    layout = extract(TRS_PAGE.read_bytes(), DEFAULT_LIMITS)
    rows = [[f.text for f in ln.fragments] for ln in layout.lines if ln.in_table]
    assert all(ln.grid for ln in layout.lines if ln.in_table)
    assert ["自然人", "法人或其他组织", "总计"] in rows
    assert ["商业\n企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他"] in rows
    assert ["三、本年度办理结果", "（一）予以公开", "10", "1", "0", "0", "0", "0", "11"] in rows
    # Positions covered by rowspan="22" and the group rowspans have no <td>: nothing is emitted for them.
    assert ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "2", "0", "0", "0", "0", "0", "2"] in rows
    assert ["（四）无法提供", "1.本机关不掌握相关政府信息", "4", "1", "0", "0", "1", "0", "6"] in rows
    assert ["2.没有现成信息需要另行制作", *["0"] * 7] in rows
    assert [ln.line_no for ln in layout.lines] == list(range(1, len(layout.lines) + 1))


def test_trs_page_dates_and_their_sources() -> None:
    layout = extract(TRS_PAGE.read_bytes(), DEFAULT_LIMITS)
    found = {(d.source, d.value) for d in layout.dates}
    assert found == {
        (DateSource.META, date(2024, 1, 30)),
        (DateSource.WRITTEN, date(2024, 1, 26)),
        (DateSource.VISIBLE, date(2024, 1, 30)),
    }
    assert layout.image_count == 0


@pytest.mark.parametrize(
    "page",
    [TRS_PAGE, *sorted(CORPUS.glob("*.html"))],
    ids=lambda p: p.name,
)
def test_a_crawler_dates_a_page_as_the_parser_does(page: Path) -> None:
    # The crawler reads only the dates (page_dates); they must be the ones the review's parse finds.
    data = page.read_bytes()
    dates = page_dates(data)
    assert dates
    assert dates == extract(data, DEFAULT_LIMITS).dates


def test_visible_date_labels_in_chinese_form() -> None:
    page = _page(
        "<div class='info'>信息提供日期:2020-11-18 15:39:11</div>"
        "<div class='detail'><p>发布时间：2023年01月31日</p><p>一、总体情况</p><p>无。</p></div>",
        head='<meta name="publishdate" content="2023/02/01"><meta name="ArticleTitle" content="某局2022年政府信息公开工作年度报告">',
    )
    layout = extract(page.encode(), DEFAULT_LIMITS)
    assert [(h.source, h.text) for h in layout.title_hints] == [
        (TitleSource.META, "某局2022年政府信息公开工作年度报告")
    ]
    assert [(d.source, d.value, d.raw) for d in layout.dates] == [
        (DateSource.META, date(2023, 2, 1), "2023/02/01"),
        (DateSource.VISIBLE, date(2023, 1, 31), "发布时间：2023年01月31日"),
    ]


# ---- Missing tables, scripts, malformed markup ------------------------------------------------


def test_tables_as_images_are_diagnosed() -> None:
    sections = [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    body = "".join(f"<p>{s}</p><p><img src='/upload/{i}.png'></p>" for i, s in enumerate(sections))
    page = _page(f"<div class='nav'><img src='logo.png'></div><div id='zoom'>{body}</div>")
    report = parse_document(page.encode(), "images.html")
    missing = [d for d in report.diagnostics if d.code == "PARSE-TABLE-MISSING"]
    assert len(missing) == 3
    assert all("6 image(s)" in d.message and "images" in d.message for d in missing)


def test_script_content_is_not_read() -> None:
    script = "<script>var s = '<p>一、总体情况</p><p>二、主动公开政府信息情况</p>'; document.write(s);</script>"
    page = _page(
        f"{script}<div id='zoom'><p>关于做好某项工作的通知</p>{script}<noscript>三、收到和处理政府信息公开申请情况</noscript></div>"
    )
    report = parse_document(page.encode(), "script.html")
    assert not any(s.found for s in report.sections)
    assert "PARSE-NO-SECTIONS" in {d.code for d in report.diagnostics}


def test_malformed_table_and_entities() -> None:
    # Unclosed <td>/<tr>, numeric and named entities, padding cells: cells still come out in order.
    table = (
        "<table><tr><td colspan=5>行政复议<td colspan=10>行政诉讼"
        "<tr><td rowspan=2>结果维持<td rowspan=2>结果纠正<td rowspan=2>其他结果<td rowspan=2>尚未审结<td rowspan=2>总计"
        "<td colspan=5>未经复议直接起诉<td colspan=5>复议后起诉"
        "<tr>" + "<td>结果维持<td>结果纠正<td>其他结果<td>尚未审结<td>总计" * 2 + "<tr>"
        "<td>&#49;<td>&#x30;<td>&nbsp;<td>0<td>1" + "<td>0" * 10 + "</table>"
    )
    page = _page(f"<div class=article-content><p>四、政府信息公开行政复议&#x3001;行政诉讼情况</p>{table}</div>")
    report = parse_document(page.encode(), "malformed.html")
    s4 = report.section("S4")
    assert s4 is not None and s4.found
    cells = [c.raw for c in report.table4.rows[0].cells]
    assert cells == ["1", "0", "", "0", "1", *["0"] * 10]


def test_layout_table_around_the_article_is_read_as_flow() -> None:
    data_table = (
        "<table><tr><td>信息内容</td><td>本年处理决定数量</td></tr><tr><td>行政许可</td><td>7</td></tr></table>"
    )
    page = _page(
        "<table width='100%'><tr><td class='left'>首页 | 年度报告</td><td>"
        f"<p>一、总体情况</p><p>全年工作有序开展。</p><p>二、主动公开政府信息情况</p><p>第二十条第（五）项</p>{data_table}"
        "<p>三、收到和处理政府信息公开申请情况</p></td></tr></table>"
    )
    report = parse_document(page.encode(), "layout.html")
    assert [s.section_id for s in report.sections if s.found] == ["S1", "S2", "S3"]
    s1 = report.section("S1")
    assert s1 is not None and s1.text == "全年工作有序开展。"
    row = report.table2.row("行政许可")
    assert row is not None and row.cells[0].value == 7


# ---- Hostile input: bounded time and memory ----------------------------------------------------

_HOSTILE = {
    "deep-nesting": "'<div><span>' * (40 * 2**20 // 11)",
    "giant-table": "'<table>' + ('<tr>' + '<td>1</td>' * 20 + '</tr>') * (40 * 2**20 // 209) + '</table>'",
    "nested-tables": "'<table><tr><td>' * 60 + '<p>三、收到和处理政府信息公开申请情况</p><tr><td>x<td>1' * (40 * 2**20 // 60)",
}

# Peak memory from VmHWM: ru_maxrss would start from the parent's peak (it survives fork + exec on Linux).
_MEASURE = """
import json, re, sys, time
from dwatch.reports.parsers import parse_document
data = ("<html><body>" + {body} + "</body></html>").encode()
started = time.monotonic()
report = parse_document(data, "hostile.html")
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({{"size": len(data), "seconds": time.monotonic() - started,
    "rss_mb": peak_kb / 1024,
    "codes": [d.code for d in report.diagnostics]}}))
"""


@pytest.mark.parametrize("kind", sorted(_HOSTILE))
def test_hostile_40mb_html_is_bounded(kind: str) -> None:
    # A child process, so that its peak memory is its own.
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE.format(body=_HOSTILE[kind])],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[1],
        check=True,
    )
    result = json.loads(run.stdout)
    assert result["size"] > 35 * 2**20
    assert result["seconds"] < 30
    assert result["rss_mb"] < 700
    assert "PARSE-TRUNCATED" in result["codes"]
