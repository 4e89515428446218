"""Accessibility and paper (issue 20): axe-core finds no serious or critical violation on the login page,
the matrix, the findings and the dossier (as a visitor and signed in with every form shown), and the
dossier prints to PDF in Chromium with the cells findings point at still highlighted.

Screenshots and the PDF's first page (rendered with pdfium) go to test-artifacts/web/ for people to
look at."""

from __future__ import annotations

from collections.abc import Iterator

import pypdfium2
import pytest
from browser_support import ARTIFACTS, AXE, CHROMIUM, axe_violations, serve, shot
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from web_support import PASSWORD, YEAR, agency_with

from dwatch.config import Settings
from dwatch.store.database import Store
from dwatch.temporal.devserver import free_port
from dwatch.web.app import create_app

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or not AXE.exists(),
    reason="needs Debian's chromium and axe-core (python3 tasks.py test installs it)",
)

# The highlight of a cell a finding points at (style.css: td.hl), as pdfium renders it.
HIGHLIGHT = (0xFD, 0xE2, 0xE1)
# Pages rendered at 3 × 72 dpi: a highlighted cell (about 56 × 16 CSS px inside its outline) is some
# 4,500 pixels of the colour, the legend's sample (14 × 7) some 500.
RENDER_SCALE = 3
CELL_PIXELS = 2_000


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Page, base_url: str, user: str) -> None:
    page.goto(f"{base_url}/login?next=/matrix")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/matrix")


def _assert_accessible(page: Page, url: str, name: str) -> None:
    page.goto(url)
    violations = axe_violations(page)
    shot(page, name)
    assert violations == [], f"{url}: {violations}"


def test_the_check_finds_violations(page: Page) -> None:
    page.set_content('<html><body><img src="x.png"><input name="q"></body></html>')
    assert {"image-alt", "label"} <= {v["id"] for v in axe_violations(page)}


def test_pages_have_no_serious_accessibility_violations(page: Page, base_url: str, farm: Farm) -> None:
    dossier = f"{base_url}/agencies/{agency_with(farm, Scenario.DEFECTIVE)}/{YEAR}"
    for path, name in (
        (f"{base_url}/login", "20-a11y-login"),
        (f"{base_url}/matrix", "21-a11y-matrix"),
        (f"{base_url}/findings?severity=info", "22-a11y-findings"),
        (dossier, "23-a11y-dossier"),
    ):
        _assert_accessible(page, path, name)
    # Signed in with every role: the triage and ops forms are on the pages too.
    _sign_in(page, base_url, "chief")
    _assert_accessible(page, f"{base_url}/matrix?status=defective", "24-a11y-matrix-signed-in")
    _assert_accessible(page, dossier, "25-a11y-dossier-signed-in")


def test_a_failed_ops_action_is_shown_red_with_its_reason(
    browser: Browser, settings: Settings, store: Store, farm: Farm
) -> None:
    # The Temporal backend with nothing listening: the re-crawl cannot run.
    address = f"127.0.0.1:{free_port()}"
    down = settings.model_copy(update={"temporal": settings.temporal.model_copy(update={"address": address})})
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
    page = context.new_page()
    with serve(create_app(down, store)) as base_url:
        _sign_in(page, base_url, "ops")
        page.goto(f"{base_url}/agencies/{agency_with(farm, Scenario.DEFECTIVE)}/{YEAR}")
        page.click("#recrawl")
        flash = page.locator("#flash")
        expect(flash).to_have_class("flash failed")
        expect(flash).to_contain_text(f"重新抓取未能执行：无法连接调度服务（Temporal，{address}）")
        colour = flash.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(254, 242, 242)", colour  # red, not the success banner's green
        shot(page, "26-ops-action-failed")
        assert axe_violations(page) == []
    context.close()


def test_dossier_prints_with_highlighted_cells(page: Page, base_url: str, farm: Farm) -> None:
    page.goto(f"{base_url}/agencies/{agency_with(farm, Scenario.DEFECTIVE)}/{YEAR}")
    expect(page.locator("td.hl").first).to_be_visible()
    first_section = "".join(page.locator("details.section .text").first.text_content().split())[:30]
    page.emulate_media(media="print")
    expect(page.locator("form.triage-form").first).to_be_hidden()  # paper has no buttons
    shot(page, "30-dossier-print-media", full_page=True)
    pdf = ARTIFACTS / "dossier.pdf"
    page.pdf(path=pdf, format="A4", landscape=True, print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF")

    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [document[i].render(scale=RENDER_SCALE).to_pil().convert("RGB") for i in range(len(document))]
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    pages[0].save(ARTIFACTS / "dossier-pdf-page1.png")
    # A highlighted cell, not the legend's small sample of the colour.
    highlighted = [i for i, image in enumerate(pages) if _pixels(image, HIGHLIGHT) >= CELL_PIXELS]
    assert highlighted, "no highlighted cell on any printed page"
    pages[highlighted[0]].save(ARTIFACTS / "dossier-pdf-highlighted.png")
    assert "表三" in text and "重新抓取" not in text and "重新检查" not in text  # the tables, no buttons
    assert first_section and first_section in "".join(text.split())  # the collapsed sections printed open


def _pixels(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    """How many pixels of `image` have `colour`."""
    colours = image.getcolors(maxcolors=1 << 22) or []
    return sum(
        count for count, rgb in colours if all(abs(c - w) <= tolerance for c, w in zip(rgb, colour, strict=True))
    )
