"""Reading listing and detail pages: report links, their listed dates, pagination, attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from dwatch.crawlers.models import SiteSelectors

_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_NEXT_TEXTS = {"下一页", "下页", "后页", ">", "›", "»", "下一頁"}
# TRS pages build their pager in JavaScript: createPageHTML(total, current, "index", "html").
_TRS_PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']")
_ATTACHMENT_SUFFIXES = (".pdf", ".docx", ".doc", ".wps", ".ofd")


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    listed: date | None


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def _listed_date(anchor: Tag) -> date | None:
    container = anchor.find_parent(["li", "tr", "div", "p"]) or anchor
    match = _DATE.search(container.get_text(" ", strip=True))
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def listing_links(soup: BeautifulSoup, base_url: str, selectors: SiteSelectors) -> list[Link]:
    anchors = soup.select(selectors.link_css) if selectors.link_css else soup.find_all("a", href=True)
    links = []
    for anchor in anchors:
        href = anchor.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = str(anchor.get("title") or "") or anchor.get_text(" ", strip=True)
        if title:
            links.append(Link(title, urljoin(base_url, href), _listed_date(anchor)))
    return links


def next_page(soup: BeautifulSoup, html: str, page_url: str, selectors: SiteSelectors) -> str | None:
    if selectors.next_page_css:
        found = soup.select_one(selectors.next_page_css)
        href = found.get("href") if found else None
        return urljoin(page_url, href) if isinstance(href, str) else None
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        if anchor.get_text(strip=True) in _NEXT_TEXTS and isinstance(href, str) and not href.startswith("javascript:"):
            return urljoin(page_url, href)
    if match := _TRS_PAGER.search(html):
        total, current, stem, suffix = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
        if current + 1 < total:
            return urljoin(page_url, f"{stem}_{current + 1}.{suffix}")
    return None


def attachment_links(soup: BeautifulSoup, page_url: str) -> list[Link]:
    """Attachment links of a detail page, PDF and DOCX before legacy formats."""
    found = []
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        if not isinstance(href, str):
            continue
        url = urljoin(page_url, href)
        if urlsplit(url).path.lower().endswith(_ATTACHMENT_SUFFIXES):
            found.append(Link(anchor.get_text(" ", strip=True), url, None))
    order = {suffix: i for i, suffix in enumerate(_ATTACHMENT_SUFFIXES)}
    return sorted(found, key=lambda link: order[next(s for s in _ATTACHMENT_SUFFIXES if link.url.lower().endswith(s))])
