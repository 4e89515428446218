"""URL schemes and HTML of the simulated sites: column listings and attachment pages, per CMS family."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from dwatch.demo.sitefarm.plan import Family, FarmAgency

PAGE_SIZE = 6


@dataclass(frozen=True)
class Entry:
    """One item of a column listing."""

    entry_id: int
    title: str
    published: date
    is_report: bool = False  # the annual report of the farm's year (the document the crawler should find)


def listing_path(agency: FarmAgency, page: int) -> str:
    """Path of listing page `page` (0-based) of the agency's 年报 column."""
    c = agency.column
    match agency.family:
        case Family.TRS:
            return f"{c}/xxgk/xxgknb/index.html" if page == 0 else f"{c}/xxgk/xxgknb/index_{page}.html"
        case Family.HANWEB:
            return f"{c}/col/col1229/index.html" + ("" if page == 0 else f"?uid=4&pageNum={page + 1}")
        case Family.VSB:
            return f"{c}/xxgk/nb.htm" if page == 0 else f"{c}/xxgk/nb/{page + 1}.htm"
        case Family.JIYUE:
            return f"{c}/zfxxgkgzndbg/index.html" if page == 0 else f"{c}/zfxxgkgzndbg/index_{page + 1}.html"
    return f"{c}/nianbao/" if page == 0 else f"{c}/nianbao/?page={page + 1}"


def detail_path(agency: FarmAgency, entry: Entry) -> str:
    d, n = entry.published, entry.entry_id
    match agency.family:
        case Family.TRS:
            return f"{agency.column}/xxgk/xxgknb/{d:%Y%m}/t{d:%Y%m%d}_{n}.html"
        case Family.HANWEB:
            return f"{agency.column}/art/{d.year}/{d.month}/{d.day}/art_1229_{n}.html"
        case Family.VSB:
            return f"{agency.column}/info/1050/{n}.htm"
        case Family.JIYUE:
            return f"{agency.column}/zfxxgkgzndbg/content/post_{n}.html"
    return f"{agency.column}/nianbao/{n}.html"


def attachment_path(agency: FarmAgency, entry: Entry, suffix: str) -> str:
    return f"{agency.column}/files/{entry.published:%Y%m}/P0{entry.entry_id}.{suffix}"


def _pager(agency: FarmAgency, page: int, pages: int) -> str:
    if agency.family is Family.TRS:
        return f'<script>createPageHTML({pages}, {page}, "index", "html");</script>'
    if page + 1 >= pages:
        return '<div class="pager"><span>尾页</span></div>'
    label = {Family.VSB: "下页", Family.GENERIC: "›"}.get(agency.family, "下一页")
    return f'<div class="pager"><a href="{html.escape(listing_path(agency, page + 1))}">{label}</a></div>'


def _page(agency: FarmAgency, title: str, body: str, head_extra: str = "") -> str:
    charset = "gb2312" if agency.encoding == "gbk" else "utf-8"
    return (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{html.escape(title)}</title>{head_extra}</head><body>"
        f'<div class="header"><a href="/">{html.escape(agency.name)}</a> | 首页 | 政务公开 | 政府信息公开年报</div>'
        f"{body}"
        '<div class="footer">主办单位：' + html.escape(agency.name) + " 网站标识码 9900000000</div></body></html>"
    )


def listing_page(agency: FarmAgency, entries: list[Entry], page: int) -> str:
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    items = "".join(
        f'<li><a href="{html.escape(detail_path(agency, e))}" title="{html.escape(e.title)}" target="_blank">'
        f"{html.escape(e.title[:24])}{'…' if len(e.title) > 24 else ''}</a><span>{e.published:%Y-%m-%d}</span></li>"
        for e in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    )
    body = f'<div class="list"><h2>政府信息公开年报</h2><ul>{items}</ul>{_pager(agency, page, pages)}</div>'
    return _page(agency, "政府信息公开年报", body)


def attachment_page(agency: FarmAgency, entry: Entry, attachment: str) -> str:
    """A short article page whose report is an attachment (the usual form for PDF/DOCX reports)."""
    title = html.escape(entry.title)
    meta = (
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{entry.published:%Y-%m-%d} 09:30">'
        f'<meta name="ContentSource" content="{html.escape(agency.name)}">'
    )
    body = (
        f'<div class="article"><h1>{title}</h1><div class="info">发布时间：{entry.published:%Y-%m-%d} 来源：'
        f"{html.escape(agency.name)}</div>"
        f'<div id="zoom"><p>现将{title}予以公开。</p>'
        f'<p>附件：<a href="{html.escape(attachment)}">{title}</a></p></div></div>'
    )
    return _page(agency, entry.title, body, meta)


def other_document_page(agency: FarmAgency, entry: Entry) -> str:
    """A distractor's page (another year's report, a budget, …): never the document sought."""
    body = f'<div class="article"><h1>{html.escape(entry.title)}</h1><div id="zoom"><p>（正文略）</p></div></div>'
    return _page(agency, entry.title, body, f'<meta name="PubDate" content="{entry.published:%Y-%m-%d} 10:00">')


def encode(agency: FarmAgency, text: str) -> bytes:
    return text.encode("gb18030" if agency.encoding == "gbk" else "utf-8")
