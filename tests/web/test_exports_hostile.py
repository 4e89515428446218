"""Issue 18, attack 5: one control character broke every Excel export (openpyxl's IllegalCharacterError,
a 500 for everyone). Exports never fail on content: every text field is sanitised on its way out."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from web_support import web_settings

from dwatch.demo.bulk import YEAR, fill
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.tables import Agency, AgencyStatus, Finding, Supervisor
from dwatch.web.app import create_app

# ESC sequences (CSI colour, OSC title), C0 and C1 controls, DEL, bidi overrides: all of them in one value.
HOSTILE = "恶意\x1b[31m红\x1b[0m\x1b]0;title\x07\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x85\x9b\u202e\u2066文本"
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = web_settings(tmp_path)
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    fill(store, 40)
    with store.session() as session:  # control characters in every text field an export writes
        session.execute(update(Agency).values(name=Agency.name + HOSTILE, region_code="4300" + "\x1b"))
        session.execute(update(Supervisor).values(name=Supervisor.name + HOSTILE))
        session.execute(update(AgencyStatus).values(detail=HOSTILE))
        session.execute(
            update(Finding).values(
                message_zh=HOSTILE + Finding.message_zh,
                evidence="=HYPERLINK(\x07" + HOSTILE,
                status_by=HOSTILE,
                status_reason=HOSTILE,
                rule_id="T3-03\x1b",
                location={"table": "table3", "row": "R24\x1b", "column": "总计" + HOSTILE},
            )
        )
    with TestClient(create_app(settings, store)) as client:
        yield client
    store.close()


def _text_cells(values: list[object]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def test_attack_5_control_characters_in_every_text_field_exports(client: TestClient) -> None:
    for path in ("/exports/matrix.xlsx", "/exports/findings.xlsx", "/api/v1/exports/findings.xlsx"):
        response = client.get(path, params={"year": YEAR, "severity": "info"} if "findings" in path else {"year": YEAR})
        assert response.status_code == 200, (path, response.text[:300])
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert len(rows) > 1, path
        cells = [cell for row in rows[1:] for cell in _text_cells(row)]
        assert not any(_UNSAFE.search(cell) for cell in cells), path
        assert any("恶意红文本" in cell for cell in cells), path  # the text itself is kept, only cleaned
    matrix = client.get("/exports/matrix.xlsx", params={"year": YEAR})
    names = [row[1].value for row in load_workbook(io.BytesIO(matrix.content)).active.iter_rows(min_row=2)]
    assert names and all(n.endswith("恶意红文本") for n in names)
    for path in ("/exports/matrix.csv", "/exports/findings.csv"):
        response = client.get(path, params={"year": YEAR})
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert not _UNSAFE.search(text.replace("\r\n", "").replace("\n", ""))
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 1 and all("恶意红文本" in "".join(r) for r in rows[1:])


def test_formula_looking_evidence_stays_text(client: TestClient) -> None:
    findings = load_workbook(io.BytesIO(client.get("/exports/findings.xlsx", params={"year": YEAR}).content)).active
    header = [c.value for c in next(findings.iter_rows(max_row=1))]
    evidence = findings.cell(row=2, column=header.index("证据") + 1)
    assert evidence.data_type == "s" and evidence.value.startswith("=HYPERLINK(")
