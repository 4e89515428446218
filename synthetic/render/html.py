"""A TRS-style (集约化 platform) article page holding the report (spec §5.3–5.4).

The report sits in <div id="zoom" class="TRS_Editor"> as Word-pasted markup: <p> paragraphs and
<table>s whose cells carry the official rowspan/colspan, blank cells written as &nbsp;. Around it:
metadata (<meta name="ArticleTitle">, <meta name="PubDate">), site header, navigation, breadcrumb,
the visible "发布时间：" line, print/close tools and the footer. The GBK variant is the same page
declared gb2312, as legacy sites still serve it.
"""

from __future__ import annotations

import zlib
from html import escape

from dwatch.demo.synthetic import vocab
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render.document import Paragraph, blocks
from dwatch.demo.synthetic.render.grid import Grid
from dwatch.demo.synthetic.render.options import RenderOptions

_NAV = ("首页", "走进", "政务公开", "政务服务", "互动交流", "专题专栏")
_UTF8_META = '<meta charset="utf-8">'
_GB2312_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


def render(report: SyntheticReport, options: RenderOptions) -> bytes:
    return page(report, options, _UTF8_META).encode("utf-8")


def render_gbk(report: SyntheticReport, options: RenderOptions) -> bytes:
    return page(report, options, _GB2312_META).encode("gbk")


def site_name(report: SyntheticReport) -> str:
    """Department reports are hosted on their government's portal (集约化, spec §5.1)."""
    place = next((p for p, _slug, _level in vocab.PLACES if report.agency.startswith(p)), None)
    return f"{place}人民政府" if place else report.agency


def pub_time(report: SyntheticReport) -> str:
    # A stable, seed-like clock time: the same report always gets the same minute.
    minutes = zlib.crc32(report.title.encode("utf-8")) % (9 * 60)
    return f"{report.published:%Y-%m-%d} {8 + minutes // 60:02d}:{minutes % 60:02d}"


def page(report: SyntheticReport, options: RenderOptions, charset_meta: str) -> str:
    site, title, when = escape(site_name(report)), escape(report.title), pub_time(report)
    nav = "".join(f'<li><a href="/{i}/">{escape(item)}</a></li>' for i, item in enumerate(_NAV))
    body = "\n".join(_block(b) for b in blocks(report, options))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{charset_meta}
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{when}">
<meta name="ContentSource" content="{escape(report.agency)}">
<link rel="stylesheet" href="/images/article.css">
<script src="/js/jquery.min.js"></script>
</head>
<body>
<div class="header"><div class="logo"><a href="/">{site}</a></div>
<ul class="nav">{nav}</ul></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt; <a href="/zwgk/xxgknb/">政府信息公开年报</a></div>
<div class="article">
<h1 class="article-title">{title}</h1>
<div class="article-info"><span>发布时间：{when}</span>　<span>来源：{escape(report.agency)}</span>　<span>浏览次数：<script>document.write(Math.floor(Math.random()*1000))</script></span></div>
<div id="zoom" class="TRS_Editor">
{body}
</div>
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
<div class="footer">
<p>主办单位：{site}办公室　承办单位：{site}大数据中心</p>
<p>网站标识码：{zlib.crc32(site.encode("utf-8")) % 10**10:010d}　ICP备{zlib.crc32(title.encode("utf-8")) % 10**8:08d}号</p>
</div>
</body>
</html>
"""


_P_STYLE = {
    "title": ' style="text-align:center"',
    "heading": ' style="text-indent:2em"',
    "body": ' style="text-indent:2em"',
}


def _block(block: Paragraph | Grid) -> str:
    if isinstance(block, Grid):
        return _table(block)
    text = escape(block.text)
    if block.role != "body":
        text = f"<strong>{text}</strong>"
    return f"<p{_P_STYLE[block.role]}>{text}</p>"


def _table(grid: Grid) -> str:
    rows: list[list[str]] = [[] for _ in grid.rows]
    for r, _c, slot in grid.anchored():
        spans = (f' rowspan="{slot.rowspan}"' if slot.rowspan > 1 else "") + (
            f' colspan="{slot.colspan}"' if slot.colspan > 1 else ""
        )
        text = "<br>".join(escape(part) for part in slot.text.split("\n")) or "&nbsp;"
        rows[r].append(f'<td{spans} valign="middle" style="text-align:center"><p>{text}</p></td>')
    trs = "\n".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f'<table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse">\n<tbody>\n{trs}\n</tbody>\n</table>'
