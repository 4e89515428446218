"""Tables published as <img> in HTML reports (issue 17 item 4): the crawl fetches the report's images
through the same safe fetcher and archives them; the review hands them to OCR. On loopback: a site
farm whose HTML reports have table 三 as an image that is served, that 404s, or that sits on a host
outside the agency's allowed hosts (a CDN: fetched all the same, within tight limits, and recorded)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import mismatches
from crawl.html_sites import html_farm, loopback_settings
from dwatch.crawlers.errors import FetchError
from dwatch.crawlers.fetch import Fetcher
from dwatch.crawlers.models import FetchPolicy
from dwatch.demo.sitefarm import Farm, FarmAgency
from dwatch.demo.sitefarm.server import MultiHostServer, Request, Response
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports import ocr
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.parsers.images import MAX_OFF_HOST_IMAGES, image_url, is_image, off_host_images, report_images
from dwatch.reports.retrieval import FetchFailure
from dwatch.workflows.models import Review
from ocr_support import png, table_images
from PIL import Image
from temporal_support import run_async

from dwatch.crawling import crawl, load_agencies
from dwatch.review import review_crawl
from dwatch.store.database import Store
from dwatch.store.documents import latest_version
from dwatch.store.images import document_images
from dwatch.store.reports import load_report

YEAR = 2024


class ImageSite:
    """The farm's pages, plus images in any /img/ folder (404 for those not in `images`)."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.images: dict[str, bytes] = {}
        self.asked: list[tuple[str, str]] = []  # (address, path) of every image request

    async def handle(self, request: Request) -> Response:
        if "/img/" not in request.path:
            return await self.farm.app.handle(request)
        self.asked.append((request.host.rsplit(":", 1)[0], request.path))
        body = self.images.get(request.path)
        return Response(200, body, {"Content-Type": "image/png"}) if body else Response(404, b"not found")


def _with_image(report: SyntheticReport, src: str) -> bytes:
    """The report's HTML page with table 三 (the second table) replaced by an image."""
    page = render(report, Format.HTML).decode("utf-8")
    table = re.findall(r"<table.*?</table>", page, flags=re.S)[1]
    return page.replace(table, f'<p><img src="{src}" alt="表三"></p>', 1).encode("utf-8")


@pytest.fixture(scope="module")
def site() -> Iterator[ImageSite]:
    agencies, farm = html_farm(3, YEAR, seed=5)
    site = ImageSite(farm)
    farm.server = MultiHostServer(site.handle)
    with farm:
        served, missing, off_host = agencies
        table3 = png(table_images(farm.app.report(served.agency_id))["table3"])
        site.images["/img/t3.png"] = table3
        sources = {
            served.agency_id: "/img/t3.png",
            missing.agency_id: "img/gone.png",  # relative to the report page: /…/img/gone.png, a 404
            off_host.agency_id: f"http://{missing.address}:{farm.port}/img/t3.png",  # served, but not its host
        }
        for agency_id, src in sources.items():
            # The farm keeps a rendered report like a file on a real site: this is the file it serves.
            farm.app._documents[(agency_id, 0)] = _with_image(farm.app.report(agency_id), src)
        yield site


def _sweep(store: Store) -> dict[str, Review]:
    with store.session() as session:
        rows = {row.id: row for row in load_agencies(session, None)}
    results = run_async(crawl(store, list(rows.values()), YEAR, loopback_settings(Path()).crawl))
    return {r.agency_id: review_crawl(store, rows[r.agency_id], r) for r in results}


def _rules(review: Review) -> set[str]:
    return {t.rule_id for t in review.findings_by_rule if t.severity != "info"}


def _image_rows(store: Store, agency: FarmAgency) -> dict[str, tuple[str | None, str | None]]:
    with store.session() as session:
        document = latest_version(session, agency.agency_id, YEAR)
        assert document is not None
        return {url: (row.sha256, row.failure) for url, row in document_images(session, document.id).items()}


def test_image_urls_resolve_against_the_page() -> None:
    base = "http://a.gov.cn/col/nb/2024.html"
    assert image_url("img/t3.png", base) == "http://a.gov.cn/col/nb/img/t3.png"
    assert image_url("/t3.png#x", base) == "http://a.gov.cn/t3.png"
    assert image_url("data:image/png;base64,AAAA", base) is None
    assert image_url("javascript:alert(1)", base) is None
    page = b'<html><body><div id="zoom"><p>x</p><img src="a.png"><img src="a.png"><img src="ftp://h/b"></div></body></html>'
    assert report_images(page, base) == ["http://a.gov.cn/col/nb/a.png"]
    assert report_images(b"%PDF-1.4 ...", base) == []


def test_lazy_images_srcset_and_base_href() -> None:
    base = "http://a.gov.cn/col/nb/2024.html"
    page = (
        b'<html><head><base href="/static/2024/"></head><body><div id="zoom"><p>x</p>'
        b'<img src="loading.gif" data-original="t1.png">'
        b'<img src="s.png" srcset="s.png 320w, big.png 1280w, m.png 640w">'
        b'<img src="data:image/gif;base64,R0lGOD" data-src="https://cdn.example.com/t3.jpg">'
        b'<img srcset="a.png, b.png 2x">'
        b"</div></body></html>"
    )
    assert report_images(page, base) == [
        "http://a.gov.cn/static/2024/t1.png",
        "http://a.gov.cn/static/2024/big.png",
        "https://cdn.example.com/t3.jpg",
        "http://a.gov.cn/static/2024/b.png",
    ]


def test_off_host_images_are_few_and_must_be_images() -> None:
    urls = [f"http://cdn.example.com/{i}.png" for i in range(10)] + ["http://a.gov.cn/x.png"]
    allowed = off_host_images(urls, lambda url: url.startswith("http://a.gov.cn/"))
    assert allowed == urls[:MAX_OFF_HOST_IMAGES]
    assert is_image(png(Image.new("L", (4, 4), 255)))
    assert is_image(b"\xff\xd8\xff\xe0" + b"0" * 20) and is_image(b"RIFF\0\0\0\0WEBPVP8 ")
    assert not is_image(b"<html><body>login</body></html>") and not is_image(b"")


@pytest.mark.skipif(not ocr.available(), reason="the `ocr` extra is not installed")
def test_img_tables_are_fetched_in_the_crawl_and_read_in_the_review(site: ImageSite, store: Store) -> None:
    served, missing, off_host = site.farm.agencies
    reviews = _sweep(store)

    # Served: archived with the report, read by OCR, every cell of table 三 as in the text version.
    [(sha256, failure)] = _image_rows(store, served).values()
    assert sha256 and failure is None
    review = reviews[served.agency_id]
    assert "IMG-01" not in _rules(review)
    with store.session() as session:
        assert review.report_id is not None
        report = load_report(session, review.report_id)
    truth = site.farm.app.report(served.agency_id).truth()
    assert [m for m in mismatches(report, truth) if m.startswith("table3")] == []
    cells = [c for row in report.table3.rows for c in row.cells]
    assert cells and all(c.ocr and c.confidence is not None for c in cells)
    assert review.status in (ComplianceStatus.COMPLIANT, ComplianceStatus.DEFECTIVE)

    # A 404: recorded, not fatal; the table stays unread.
    assert [failure for _, failure in _image_rows(store, missing).values()] == ["http-status"]
    assert "IMG-01" in _rules(reviews[missing.agency_id])
    assert reviews[missing.agency_id].status is ComplianceStatus.NEEDS_REVIEW

    # Outside the agency's allowed hosts (an image CDN): fetched from that host alone, recorded as such, read.
    [(sha256, failure)] = _image_rows(store, off_host).values()
    assert sha256 and failure is None, _image_rows(store, off_host)
    assert (missing.address, "/img/t3.png") in site.asked
    with store.session() as session:
        document = latest_version(session, off_host.agency_id, YEAR)
        assert document is not None
        [row] = document_images(session, document.id).values()
        assert row.detail == f"off-host image from {missing.address}"
    assert "IMG-01" not in _rules(reviews[off_host.agency_id])

    # Crawled again: the stored image is not fetched again; the failed one is retried.
    asked = list(site.asked)
    _sweep(store)
    again = site.asked[len(asked) :]
    assert (served.address, "/img/t3.png") not in again
    assert any(address == missing.address and path.endswith("/img/gone.png") for address, path in again)


def test_a_fetch_can_be_capped_below_the_policy(site: ImageSite) -> None:
    """Images are fetched under a cap of their own (MAX_IMAGE_BYTES), far below a report's."""
    agency = site.farm.agencies[0]
    url = site.farm.report_url(agency)
    assert url is not None

    async def fetch(max_bytes: int) -> None:
        async with Fetcher(FetchPolicy(allow_private_addresses=True)) as fetcher:
            await fetcher.fetch(url, site.farm.target(agency), max_bytes=max_bytes)

    run_async(fetch(10 * 1024 * 1024))
    with pytest.raises(FetchError) as raised:
        run_async(fetch(1000))
    assert raised.value.failure is FetchFailure.TOO_LARGE
