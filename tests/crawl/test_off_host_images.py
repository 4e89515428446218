"""An <img> of an HTML report on another host (an image CDN) is fetched within tight limits and kept only
when its bytes are an image: a CDN that answers with a page or a program is refused and recorded as a
failed image, while the page's on-host image is stored. On loopback: the site farm serves two agencies'
hosts (127.0.0.x), one of them standing in for the CDN; the crawl stores into a real SQLite database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from crawl.html_sites import html_farm, loopback_settings
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.server import MultiHostServer, Request, Response
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports.parsers.images import is_image
from dwatch.reports.retrieval import FetchFailure
from ocr_support import png
from PIL import Image
from temporal_support import run_async

from dwatch.crawling import crawl, load_agencies
from dwatch.store.database import Store
from dwatch.store.documents import latest_version
from dwatch.store.images import document_images

YEAR = 2024
TABLE = png(Image.new("L", (64, 32), 255))
NOT_IMAGES = {
    # The CDN's login or error page, sent as an image (as misconfigured CDNs do): the bytes decide.
    "/cdn/page.png": (b"<!doctype html><html><body>\xe8\xaf\xb7\xe7\x99\xbb\xe5\xbd\x95</body></html>", "image/png"),
    # A program behind an image's name.
    "/cdn/tool.png": (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "application/octet-stream"),
}


class Site:
    """The farm's pages, the report's own image at /img/t3.png and the CDN's answers under /cdn/."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.asked: list[tuple[str, str]] = []  # (address, path) of every image request

    async def handle(self, request: Request) -> Response:
        address = request.host.rsplit(":", 1)[0]
        if request.path == "/img/t3.png":
            self.asked.append((address, request.path))
            return Response(200, TABLE, {"Content-Type": "image/png"})
        if request.path in NOT_IMAGES:
            self.asked.append((address, request.path))
            body, content_type = NOT_IMAGES[request.path]
            return Response(200, body, {"Content-Type": content_type})
        return await self.farm.app.handle(request)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    agencies, farm = html_farm(2, YEAR, seed=11)
    site = Site(farm)
    farm.server = MultiHostServer(site.handle)
    with farm:
        agency, cdn = agencies
        page = render(farm.app.report(agency.agency_id), Format.HTML).decode("utf-8")
        table = re.findall(r"<table.*?</table>", page, flags=re.S)[1]
        images = ['<img src="/img/t3.png" alt="表三">'] + [
            f'<img src="http://{cdn.address}:{farm.port}{path}" alt="表四">' for path in NOT_IMAGES
        ]
        # The farm keeps a rendered report like a file on a real site: this is the file it serves.
        farm.app._documents[(agency.agency_id, 0)] = page.replace(table, "<p>" + "".join(images) + "</p>", 1).encode()
        yield site


def test_an_off_host_answer_that_is_not_an_image_is_refused_and_recorded(site: Site, store: Store) -> None:
    agency, cdn = site.farm.agencies
    assert all(not is_image(body) for body, _ in NOT_IMAGES.values())  # what the CDN sends is no image
    with store.session() as session:
        rows = [row for row in load_agencies(session, None) if row.id == agency.agency_id]
    [result] = run_async(crawl(store, rows, YEAR, loopback_settings(Path()).crawl))
    assert result.sha256 is not None

    with store.session() as session:
        document = latest_version(session, agency.agency_id, YEAR)
        assert document is not None
        images = document_images(session, document.id)
        stored_blobs = {url: row.sha256 for url, row in images.items()}
        outcomes = {url: (row.failure, row.detail) for url, row in images.items()}

    # The on-host image is stored, as fetched.
    own = f"http://{agency.address}:{site.farm.port}/img/t3.png"
    own_sha256 = stored_blobs[own]
    assert own_sha256 is not None and outcomes[own] == (None, None)
    assert store.blobs.get(own_sha256) == TABLE

    # Each off-host answer was asked of the CDN's host (and only of it), refused, and recorded as failed.
    off_host = {f"http://{cdn.address}:{site.farm.port}{path}" for path in NOT_IMAGES}
    assert {(cdn.address, path) for path in NOT_IMAGES} <= set(site.asked)
    assert not [path for address, path in site.asked if path in NOT_IMAGES and address != cdn.address]
    for url in off_host:
        assert stored_blobs[url] is None, url
        assert outcomes[url] == (FetchFailure.HOST_NOT_ALLOWED.value, "off-host response is not an image"), url
    assert set(images) == off_host | {own}
