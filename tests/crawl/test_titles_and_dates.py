"""Picking the year's report out of a column listing, and dates from URL paths."""

from __future__ import annotations

from datetime import date

import pytest
from dwatch.crawlers.dates import url_dates
from dwatch.crawlers.links import attachment_links, next_page, soup_of
from dwatch.crawlers.models import SiteSelectors
from dwatch.crawlers.titles import title_score
from dwatch.reports.model import DateSource


@pytest.mark.parametrize(
    ("title", "accepted"),
    [
        ("淮安市人民政府2024年政府信息公开工作年度报告", True),
        ("某某局2024年度政府信息公开工作报告", True),
        ("某某局2024年政务公开年报", True),
        ("某某局2023年政府信息公开工作年度报告", False),  # another year
        ("某某局2025年部门预算公开", False),
        ("某某局2024年度部门决算", False),
        ("某某局2024年政务公开工作要点", False),
        ("关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", False),
        ("某某局政府信息公开指南", False),
    ],
)
def test_title_score(title: str, accepted: bool) -> None:
    assert (title_score(title, 2024) > 0) is accepted


def test_canonical_title_outranks_variants() -> None:
    canonical = title_score("某某局2024年政府信息公开工作年度报告", 2024)
    variant = title_score("某某局2024年政务公开年报", 2024)
    assert canonical == 1.0
    assert 0 < variant < canonical


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://xianning.gov.cn/xxgk/xxgknb/2024/szbm/202501/t20250120_3885410.shtml", date(2025, 1, 20)),
        ("https://www.jindong.gov.cn/art/2021/7/22/art_1229680585_59311360.html", date(2021, 7, 22)),
        ("http://sjj.xam.gov.cn/sfj/2026-01/14/article_2026011415262653024.html", date(2026, 1, 14)),
        ("https://shanghai.gov.cn/nw12344/20230331/4a03b5fa47ae4c73b7ec42801de6be66.html", date(2023, 3, 31)),
        ("https://www.xjwq.gov.cn/info/1050/64208.htm", None),
    ],
)
def test_url_dates(url: str, expected: date | None) -> None:
    found = url_dates(url)
    assert [e.value for e in found] == ([expected] if expected else [])
    assert all(e.source is DateSource.URL for e in found)


def test_trs_pager_in_javascript() -> None:
    html = '<div><script>createPageHTML(3, 0, "index", "html");</script></div>'
    assert next_page(soup_of(html), html, "http://a.gov.cn/xxgk/xxgknb/index.html", SiteSelectors()) == (
        "http://a.gov.cn/xxgk/xxgknb/index_1.html"
    )
    last = '<script>createPageHTML(3, 2, "index", "html");</script>'
    assert next_page(soup_of(last), last, "http://a.gov.cn/xxgk/xxgknb/index_2.html", SiteSelectors()) is None


def test_pager_link_and_selector_override() -> None:
    html = '<a href="?page=2">下一页</a><a class="nx" href="/p/9.htm">next</a>'
    assert next_page(soup_of(html), html, "http://a.gov.cn/nb/", SiteSelectors()) == "http://a.gov.cn/nb/?page=2"
    chosen = next_page(soup_of(html), html, "http://a.gov.cn/nb/", SiteSelectors(next_page_css="a.nx"))
    assert chosen == "http://a.gov.cn/p/9.htm"


def test_attachments_prefer_pdf_and_docx() -> None:
    html = '<a href="a.doc">旧</a><a href="b.docx">新</a><a href="c.pdf">PDF</a><a href="d.html">页</a>'
    urls = [link.url for link in attachment_links(soup_of(html), "http://a.gov.cn/x/")]
    assert urls == ["http://a.gov.cn/x/c.pdf", "http://a.gov.cn/x/b.docx", "http://a.gov.cn/x/a.doc"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://www.a.gov.cn/x", True),
        ("http://a.gov.cn/x", True),  # *.a.gov.cn covers the domain itself
        ("http://evil-a.gov.cn/x", False),
        ("http://b.gov.cn:8080/x", True),
        ("http://b.gov.cn/x", False),  # b.gov.cn:8080 allows that port only
        ("http://c.gov.cn/x", True),
        ("http://c.gov.cn:9/x", False),  # a host without a port allows the default port only (issue 18)
        ("http://[::1]:8080/x", True),
        ("http://[::1]:8081/x", False),
        ("http://mirror.example.com/x", False),
    ],
)
def test_allowed_hosts(url: str, allowed: bool) -> None:
    from dwatch.crawlers.safety import host_allowed

    assert host_allowed(url, ["*.a.gov.cn", "b.gov.cn:8080", "C.gov.cn", "[::1]:8080"]) is allowed
