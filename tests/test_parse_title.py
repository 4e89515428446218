"""The title and its agency: the strongest statement of the title that reads as one (issue 17 item 2)."""

from __future__ import annotations

import re

import pytest
from corpus import CORPUS, REPORT_FILES, parsed, truth
from dwatch.reports.assemble.title import choose_title, reads_as_title
from dwatch.reports.layout import Line, TitleHint
from dwatch.reports.model import TitleSource
from dwatch.reports.parsers import parse_document

TITLE = "某某区教育局2023年政府信息公开工作年度报告"
PREAMBLE = (
    "本报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》要求编制。"
    "本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"
)
SECTIONS = "<p>一、总体情况</p><p>无。</p><p>二、主动公开政府信息情况</p>"


def _page(head: str, body: str) -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


@pytest.mark.parametrize("name", REPORT_FILES)
def test_corpus_title_and_agency_match_the_truth(name: str) -> None:
    expected = truth(name)
    report = parsed(name)
    title = expected.get("title") or f"{expected['agency']}{expected['year']}年政府信息公开工作年度报告"
    assert re.sub(r"\s+", "", report.title or "") == title
    assert (report.agency, report.year) == (expected["agency"], expected["year"])


def test_a_first_paragraph_naming_the_format_is_not_the_title() -> None:
    report = parsed("pingtan-zone-2023.html")
    assert (report.title, report.title_source) == (
        "平潭综合实验区2023年度政府信息公开工作年度报告",
        TitleSource.HEADING,
    )
    assert report.preamble.startswith("本报告根据")
    assert report.model_dump(mode="json")["title_source"] == "heading"


@pytest.mark.parametrize(
    "text",
    [
        PREAMBLE,
        "根据《中华人民共和国政府信息公开工作年度报告格式》，现将本年度报告公布如下",
        "《中华人民共和国政府信息公开工作年度报告格式》",
    ],
)
def test_text_that_only_names_the_format_does_not_read_as_a_title(text: str) -> None:
    assert not reads_as_title(text)


def test_site_chrome_is_stripped_from_the_page_title() -> None:
    for page_title in (
        f"{TITLE} - 某某区人民政府网站",
        f"{TITLE}_政府信息公开年报_某某区人民政府",
        f"某某区人民政府｜{TITLE}",
    ):
        report = parse_document(
            _page(f"<title>{page_title}</title>", f"<div id='zoom'><p>{PREAMBLE}</p>{SECTIONS}</div>"), "a.html"
        )
        assert (report.title, report.title_source, report.agency) == (TITLE, TitleSource.PAGE_TITLE, "某某区教育局")


def test_the_strongest_source_wins() -> None:
    head = f'<title>{TITLE}_某某区人民政府</title><meta name="ArticleTitle" content="{TITLE}">'
    report = parse_document(_page(head, f"<div id='zoom'><p>{PREAMBLE}</p>{SECTIONS}</div>"), "a.html")
    assert report.title_source is TitleSource.META
    report = parse_document(
        _page(head, f"<div class='article'><h1>{TITLE}</h1><div id='zoom'><p>{PREAMBLE}</p>{SECTIONS}</div></div>"),
        "a.html",
    )
    assert report.title_source is TitleSource.HEADING
    # og:title counts as a meta title; links (lists of other reports) are never the article heading.
    report = parse_document(
        _page(
            f'<meta property="og:title" content="{TITLE}">',
            f"<h2><a href='/x'>某某区教育局2022年政府信息公开工作年度报告</a></h2><div id='zoom'><p>{PREAMBLE}</p>{SECTIONS}</div>",
        ),
        "a.html",
    )
    assert (report.title, report.title_source) == (TITLE, TitleSource.META)


def test_the_documents_own_first_lines_when_nothing_else_states_a_title() -> None:
    lines = [Line.paragraph("某某区教育局2023年政府信息公开"), Line.paragraph("工作年度报告"), Line.paragraph(PREAMBLE)]
    assert choose_title(lines, []) == (TITLE, TitleSource.FIRST_LINES, 2)
    # A heading elsewhere outranks the first lines, which are still skipped as the body's title.
    hint = TitleHint(TitleSource.HEADING, TITLE)
    assert choose_title(lines, [hint]) == (TITLE, TitleSource.HEADING, 2)
    assert choose_title([Line.paragraph(PREAMBLE)], []) == (None, None, 0)


def test_text_report_title_source() -> None:
    report = parse_document((CORPUS / "huaihua-jiaojing-2023.txt").read_bytes(), "huaihua-jiaojing-2023.txt")
    assert report.title_source is TitleSource.FIRST_LINES
