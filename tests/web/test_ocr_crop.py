"""The dossier of a report read by OCR (issue 17): a doubtful cell is shown with its image crop, cut
server-side from the archived document by an authenticated route. Needs the `ocr` extra."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports import ocr
from dwatch.reports.ocr.page import CROP_MARGIN
from dwatch.reports.parsers import parse_document
from fastapi.testclient import TestClient
from ocr_support import png, table_images
from web_support import YEAR, agency_with, web_settings

from dwatch.store.database import Store
from dwatch.store.reports import save_report
from dwatch.store.tables import AgencyStatus, Document
from dwatch.web.app import create_app
from dwatch.web.dossier_view import crop_url
from dwatch.web.pages import dossier_url

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the `ocr` extra is not installed")


def _ocr_report(farm: Farm, store: Store) -> tuple[str, int, str, tuple[int, int, int, int]]:
    """A compliant agency's current document replaced by its HTML page with table 三 as a PNG, parsed by
    OCR and stored with one cell made doubtful: (agency, report id, that cell's column, its box)."""
    agency = agency_with(farm, Scenario.COMPLIANT)
    report = farm.app.report(agency)
    page = render(report, Format.HTML).decode("utf-8")
    table = re.findall(r"<table.*?</table>", page, flags=re.S)[1]
    src = "data:image/png;base64," + base64.b64encode(png(table_images(report)["table3"])).decode()
    data = page.replace(table, f'<p><img src="{src}" alt="表三"></p>', 1).encode("utf-8")
    parsed = parse_document(data, "report.html")
    row = parsed.table3.row("R01")
    assert row is not None
    cell = row.cells[0]
    assert cell.ocr and cell.crop is not None
    cell.confidence = 0.41  # the recogniser doubted it
    with store.session() as session:
        status = session.get(AgencyStatus, (agency, YEAR))
        assert status is not None and status.document_id is not None
        document = session.get(Document, status.document_id)
        assert document is not None
        document.sha256, document.media_type = store.blobs.put(data), "text/html"
        report_id = save_report(session, document.id, parsed)
    return agency, report_id, cell.column, cell.crop.box


def test_a_doubtful_ocr_cell_is_shown_with_its_image(client: TestClient, farm: Farm, store: Store) -> None:
    from PIL import Image

    agency, report_id, column, box = _ocr_report(farm, store)
    url = crop_url(report_id, "table3", "R01", column)
    page = client.get(dossier_url(agency, YEAR))
    assert page.status_code == 200
    assert f'<img src="{html.escape(url)}"' in page.text
    assert "待人工核对" in page.text

    crop = client.get(url)
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(crop.content)) as image:
        left, top, right, bottom = box
        assert image.size == (right - left + 2 * CROP_MARGIN, bottom - top + 2 * CROP_MARGIN)
        assert image.convert("L").getextrema()[0] < 128  # the cell's ink, not a blank square

    # A cell not read by OCR (table 二 is still HTML) and a cell that does not exist have no image.
    assert client.get(crop_url(report_id, "table2", "R01", "本年新制作数量")).status_code == 404
    assert client.get(crop_url(report_id, "table9", "R01", column)).status_code == 404


def test_the_crop_route_needs_a_reader(data_dir: Path, farm: Farm, store: Store) -> None:
    _, report_id, column, _ = _ocr_report(farm, store)
    with TestClient(create_app(web_settings(data_dir, public_read=False), store)) as client:
        response = client.get(crop_url(report_id, "table3", "R01", column), follow_redirects=False)
        assert response.status_code in (303, 401)
        assert response.headers.get("content-type") != "image/png"
