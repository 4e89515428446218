"""OCR of tables that are images (issue 17 item 4): <img> tables and scanned PDF pages are read into the
same model, every OCR'd cell marked with its confidence; a check resting on a doubtful cell is never an
error. Needs the `ocr` extra (RapidOCR, offline): skipped without it."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from corpus import mismatches
from dwatch.demo.synthetic.content import SyntheticReport
from dwatch.demo.synthetic.generate import generate
from dwatch.demo.synthetic.render import Format, render
from dwatch.reports import ocr
from dwatch.reports.checks import run_checks
from dwatch.reports.checks.findings import CheckContext, Severity
from dwatch.reports.compliance import ComplianceStatus
from dwatch.reports.model import AnnualReport, DiagnosticLevel
from dwatch.reports.parsers import parse_document
from dwatch.reports.parsers.ocr import OCR_ORIENTATION, cell_image, local_images
from ocr_support import degrade, page_images, png, scanned_pdf, table_images

from dwatch.review import status_of

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the `ocr` extra is not installed")

CONTEXT = CheckContext(agency_kind="department", report_year=2024)
MIN_CONFIDENCE = 0.85  # READ-01's min_confidence (reports/checks/catalogue.yaml)


@pytest.fixture(scope="module")
def busy() -> SyntheticReport:
    return generate(4, year=2024)  # a department with 90 non-zero cells in table 三


@pytest.fixture(scope="module")
def table3_png(busy: SyntheticReport) -> bytes:
    return png(table_images(busy)["table3"])


def _with_image(report: SyntheticReport, table_index: int, src: str) -> bytes:
    page = render(report, Format.HTML).decode("utf-8")
    table = re.findall(r"<table.*?</table>", page, flags=re.S)[table_index]
    return page.replace(table, f'<p><img src="{src}" alt="表三"></p>', 1).encode("utf-8")


def _table_problems(parsed_report: object, report: SyntheticReport, table: str) -> list[str]:
    return [m for m in mismatches(parsed_report, report.truth()) if m.startswith(table)]  # type: ignore[arg-type]


def test_an_img_table_as_a_data_uri_is_read_into_the_model(busy: SyntheticReport, table3_png: bytes) -> None:
    src = "data:image/png;base64," + base64.b64encode(table3_png).decode()
    report = parse_document(_with_image(busy, 1, src), "img.html")
    assert report.table3.found
    assert _table_problems(report, busy, "table3") == []
    cells = [c for row in report.table3.rows for c in row.cells]
    assert cells and all(c.ocr and c.confidence is not None for c in cells)
    assert not any(c.ocr for row in report.table2.rows for c in row.cells)  # table 二 is still HTML
    assert '"ocr":true' in report.model_dump_json()
    findings = run_checks(report, context=CONTEXT)
    assert "IMG-01" not in {f.rule_id for f in findings}
    read = [f for f in findings if f.rule_id == "READ-01"]
    assert [f.severity for f in read] == [Severity.INFO]
    assert status_of(findings) in (ComplianceStatus.COMPLIANT, ComplianceStatus.DEFECTIVE)


def test_an_img_beside_a_local_html_file_is_read(tmp_path: Path, busy: SyntheticReport, table3_png: bytes) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "t3.png").write_bytes(table3_png)
    page = tmp_path / "report.html"
    page.write_bytes(_with_image(busy, 1, "images/t3.png"))
    report = parse_document(page.read_bytes(), page.name, images=local_images(page))
    assert _table_problems(report, busy, "table3") == []
    # Without a way to the image the table stays unread: IMG-01, never 合格.
    unread = parse_document(page.read_bytes(), page.name)
    findings = run_checks(unread, context=CONTEXT)
    assert "IMG-01" in {f.rule_id for f in findings}
    assert status_of(findings) is not ComplianceStatus.COMPLIANT


def test_local_images_stay_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"x")
    inner = tmp_path / "site"
    inner.mkdir()
    read = local_images(inner / "page.html")
    assert read("../secret.png") is None
    assert read("/etc/passwd") is None
    assert read("http://127.0.0.1/x.png") is None


def test_a_degraded_table_image_is_still_read(busy: SyntheticReport) -> None:
    image = degrade(table_images(busy)["table3"], skew=1.0, grey=225, jpeg=70)
    src = "data:image/jpeg;base64," + base64.b64encode(_jpeg(image)).decode()
    report = parse_document(_with_image(busy, 1, src), "scan.html")
    assert _table_problems(report, busy, "table3") == []


def _jpeg(image: object) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)  # type: ignore[attr-defined]
    return buffer.getvalue()


def test_a_check_resting_on_a_low_confidence_cell_is_a_warning_and_needs_review(
    busy: SyntheticReport, table3_png: bytes
) -> None:
    src = "data:image/png;base64," + base64.b64encode(table3_png).decode()
    report = parse_document(_with_image(busy, 1, src), "img.html")
    row = report.table3.row("R01")
    assert row is not None
    cell = row.cells[0]
    cell.value = (cell.value or 0) + 7  # the identity 一+二 = 三+四 no longer holds …
    cell.confidence = 0.41  # … on a cell the recogniser doubted
    findings = run_checks(report, context=CONTEXT)
    doubtful = [f for f in findings if f.arguments.get("low_confidence")]
    assert doubtful, [f.message_zh for f in findings]
    assert all(f.severity is not Severity.ERROR for f in doubtful)
    assert any("置信度" in f.message_zh and "OCR" in f.evidence for f in doubtful)
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW
    # The same defect on a confident cell is an error.
    cell.confidence = 0.99
    sure = [f for f in run_checks(report, context=CONTEXT) if f.severity is Severity.ERROR]
    assert sure and all(f.arguments.get("ocr") for f in sure if f.location.table == "table3")


@pytest.mark.parametrize("radius", [1.0, 3.0])
def test_a_blurred_digit_needs_verification_not_an_error(busy: SyntheticReport, radius: float) -> None:
    """A real image, not a forced confidence: one digit of table 三 is changed so that 一+二 = 三+四 (and the
    row's 总计) no longer hold, then blurred (at 1.0 it is still legible to a person and RapidOCR read "8"
    as "B" at 0.93; at 3.0 it is a smudge that once passed for a certainly blank cell). Read right or
    wrong, the reading is doubtful: no error rests on it and the agency-year needs a person."""
    from dwatch.reports.ocr.grid import find_tables
    from PIL import ImageFilter

    table3 = {row: list(cells) for row, cells in busy.table3.items()}
    assert table3["R01"][2] == "5"
    table3["R01"][2] = "8"  # 本年新收, 商业企业: 8 + 0 ≠ 5 + 0 (the row's 总计 263 stays)
    defective = busy.model_copy(update={"table3": table3})
    image = table_images(defective)["table3"]
    box = find_tables(image)[0].rows()[3][3].box  # row 一 (after two header rows), third figure
    image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(radius)), box[:2])
    src = "data:image/png;base64," + base64.b64encode(png(image)).decode()
    report = parse_document(_with_image(defective, 1, src), "blurred.html")
    row = report.table3.row("R01")
    assert row is not None
    cell = row.cells[2]
    assert cell.ocr and cell.confidence is not None
    assert cell.confidence < MIN_CONFIDENCE, (cell.raw, cell.confidence)
    findings = run_checks(report, context=CONTEXT)
    assert [f.message_en for f in findings if f.severity is Severity.ERROR] == []
    doubtful = [f for f in findings if f.arguments.get("low_confidence")]
    assert doubtful and all(f.location.table == "table3" for f in doubtful)
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW


@pytest.mark.timeout(600)
def test_a_scanned_pdf_is_read_by_ocr(busy: SyntheticReport) -> None:
    report = parse_document(scanned_pdf(render(busy, Format.PDF)), "scan.pdf")
    assert {d.code for d in report.diagnostics} >= {"PARSE-OCR"}
    assert "PARSE-OCR-NEEDED" not in {d.code for d in report.diagnostics}
    assert mismatches(report, busy.truth()) == []
    assert all(s.found for s in report.sections)
    findings = run_checks(report, context=CONTEXT)
    assert not [f for f in findings if f.rule_id.startswith("STR-01")]
    assert [f.severity for f in findings if f.rule_id == "READ-01"] == [Severity.INFO]


def _figures(report: AnnualReport) -> dict[str, list[tuple[str, str, int | float | None]]]:
    tables = {"table2": report.table2, "table3": report.table3, "table4": report.table4}
    return {name: [(c.column, c.raw, c.value) for row in t.rows for c in row.cells] for name, t in tables.items()}


@pytest.mark.timeout(900)
def test_a_scan_with_turned_pages_reads_as_the_text_version(busy: SyntheticReport) -> None:
    """Page 1 upright through its /Rotate (a scanner that records the turn), page 2 fed sideways (its image
    a quarter turn counter-clockwise), page 3 upside down: every cell as in the text version, and each
    inferred turn said, with its page."""
    pdf = render(busy, Format.PDF)
    scan = scanned_pdf(pdf, rotate={1: 90}, turned={2: 90, 3: 180})
    report = parse_document(scan, "turned.pdf")
    assert mismatches(report, busy.truth()) == []
    assert all(s.found for s in report.sections)
    text = parse_document(pdf, "text.pdf")
    assert _figures(report) == _figures(text)
    turns = [d for d in report.diagnostics if d.code == OCR_ORIENTATION]
    assert all(d.level is DiagnosticLevel.INFO for d in turns)
    # Page 1's /Rotate is the document's own word, not a guess: it is not reported.
    assert sorted(d.message.split(":")[0] for d in turns) == ["page 2", "page 3"]
    assert any("270°" in d.message for d in turns if d.message.startswith("page 2"))
    # A cell's crop is cut from the page as it is turned for reading: the same pixels as the upright page.
    cell = next(c for row in report.table3.rows for c in row.cells if c.raw and c.crop and c.crop.page == 2)
    assert cell.crop is not None
    cut = cell_image(scan, cell.crop)
    assert cut is not None
    from dwatch.reports.ocr.page import cell_png

    assert round(cell.crop.angle / 90) * 90 % 360 == 270
    upright = cell.crop.model_copy(update={"angle": cell.crop.angle - 270})  # the deskew that followed the turn
    expected = cell_png(page_images(pdf)[1], upright)
    assert _difference(cut, expected) < 12, cell


def _difference(a: bytes, b: bytes) -> float:
    """The mean absolute difference of two greyscale PNGs of the same size (255 when the sizes differ)."""
    import io

    import numpy as np
    from PIL import Image

    first, second = (np.asarray(Image.open(io.BytesIO(x)).convert("L"), dtype=np.float64) for x in (a, b))
    return float(np.abs(first - second).mean()) if first.shape == second.shape else 255.0


def test_dwatch_parse_reads_an_img_table_beside_the_file(
    tmp_path: Path, busy: SyntheticReport, table3_png: bytes
) -> None:
    import json

    from typer.testing import CliRunner

    from dwatch.cli import _register, app

    _register()
    (tmp_path / "t3.png").write_bytes(table3_png)
    page = tmp_path / "report.html"
    page.write_bytes(_with_image(busy, 1, "t3.png"))
    result = CliRunner().invoke(app, ["parse", str(page), "--json"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    cells = [c for row in parsed["table3"]["rows"] for c in row["cells"]]
    assert cells and all(c["ocr"] and 0 < c["confidence"] <= 1 for c in cells)


def test_a_letter_in_a_number_cell_needs_verification_not_a_value(busy: SyntheticReport) -> None:
    """A number column takes digits and the number parser's forms only: a cell read as a letter (here a
    printed "B" where a figure stands) is a doubt for a person (待人工核对), never a value or an error."""
    from dwatch.reports.ocr.grid import find_tables
    from PIL import ImageDraw, ImageFont

    image = table_images(busy)["table3"]
    box = find_tables(image)[0].rows()[3][3].box  # row 一, third figure (as in the blurred-digit test)
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, fill=255)
    left, top, right, bottom = box
    draw.text(((left + right) // 2, (top + bottom) // 2), "B", fill=0, font=ImageFont.load_default(22), anchor="mm")
    src = "data:image/png;base64," + base64.b64encode(png(image)).decode()
    report = parse_document(_with_image(busy, 1, src), "letter.html")
    row = report.table3.row("R01")
    assert row is not None
    cell = row.cells[2]
    assert cell.ocr and cell.value is None and cell.raw, cell
    assert cell.confidence is not None and cell.confidence < MIN_CONFIDENCE
    assert cell.crop is not None and cell.crop.box == box
    findings = run_checks(report, context=CONTEXT)
    assert [f.message_en for f in findings if f.severity is Severity.ERROR] == []
    assert status_of(findings) is ComplianceStatus.NEEDS_REVIEW
