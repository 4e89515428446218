"""The dashboard in Debian's Chromium, driven by Playwright, against uvicorn on 127.0.0.1 with the ops
actions going through Temporal (the project's dev server and worker, the real AgencyReport workflow).

Screenshots are saved under test-artifacts/web/ for people to look at.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from browser_support import CHROMIUM, serve, shot
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from playwright.sync_api import Browser, Page, expect
from temporal_support import ready_dev_server
from web_support import PASSWORD, YEAR, agency_with, web_settings

from dwatch.config import Settings
from dwatch.store.database import Store
from dwatch.temporal.client import connect
from dwatch.temporal.devserver import DevServer
from dwatch.temporal.settings import TemporalSettings
from dwatch.temporal.worker import worker
from dwatch.web.app import create_app

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with ready_dev_server(tmp_path_factory.mktemp("temporal")) as server:
        yield server


@pytest.fixture
def temporal_settings(data_dir: Path, dev_server: DevServer) -> Settings:
    base = web_settings(data_dir, ops_backend="temporal")
    # Validated anew, so the crawl and review queues follow the test's own task queue.
    temporal = TemporalSettings.model_validate(
        base.temporal.model_dump(exclude={"crawl_task_queue", "review_task_queue"})
        | {"address": dev_server.address, "task_queue": f"web-{uuid4().hex[:8]}"}
    )
    return base.model_copy(update={"temporal": temporal})


@pytest.fixture
def temporal_worker(temporal_settings: Settings) -> Iterator[None]:
    """The service's worker (dwatch.temporal.worker) in a background event loop."""
    ready, loop_box = threading.Event(), {}

    async def serve() -> None:
        stop = asyncio.Event()
        loop_box["stop"] = (asyncio.get_running_loop(), stop)
        client = await connect(temporal_settings.temporal)
        async with worker(client, temporal_settings):
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="temporal-worker", daemon=True)
    thread.start()
    assert ready.wait(60), "the worker did not start"
    yield
    loop, stop = loop_box["stop"]
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


@pytest.fixture
def base_url(temporal_settings: Settings, temporal_worker: None) -> Iterator[str]:  # noqa: ARG001 - running
    store = Store.open(temporal_settings)
    with serve(create_app(temporal_settings, store)) as url:
        yield url
    store.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)  # a re-crawl waits for the workflow's pass
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()
    assert dialogs == [], f"a script ran: {dialogs}"


def test_supervisor_and_ops_journey(page: Page, base_url: str, farm: Farm) -> None:
    # Sign in.
    page.goto(f"{base_url}/login?next=/matrix")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/matrix")
    expect(page.locator("h1")).to_contain_text(f"{YEAR} 年度报告合规总览")
    expect(page.locator(".count.s-defective b")).to_have_text("2")
    shot(page, "01-matrix")

    # Filter to the defective agencies.
    page.select_option("select[name=status]", "defective")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**status=defective**")
    badges = page.locator("#matrix tbody .badge")
    expect(badges).to_have_count(2)
    expect(badges.first).to_have_text("存在错误")
    shot(page, "02-matrix-defective")

    # A defective agency's dossier: the cell the finding points at is highlighted.
    page.locator("#matrix tbody a").first.click()
    page.wait_for_url("**/agencies/**")
    highlighted = page.locator("td.hl").first
    expect(highlighted).to_be_visible()
    highlighted.scroll_into_view_if_needed()
    page.mouse.wheel(0, -200)
    shot(page, "03-dossier-highlighted-cell")

    # Waive a finding, with a reason (through the AgencyReport workflow's waive update).
    row = page.locator("tr.finding", has_text="T3-03").first
    row.scroll_into_view_if_needed()
    row.locator("input[name=reason]").fill("经电话核实，系表格排版错误")
    row.locator("button[value=waived]").click()
    expect(page.locator("#flash")).to_contain_text("已豁免")
    waived = page.locator("tr.finding", has_text="T3-03").first
    expect(waived.locator(".fstatus")).to_contain_text("已豁免")
    expect(waived.locator(".fstatus")).to_contain_text("chief：经电话核实，系表格排版错误")
    waived.scroll_into_view_if_needed()
    shot(page, "04-finding-waived")

    # The agency replaces its published report; a re-crawl through Temporal finds the new version.
    agency = agency_with(farm, Scenario.REPLACED)
    farm.app.replace(agency)
    page.goto(f"{base_url}/agencies/{agency}/{YEAR}")
    expect(page.locator("text=发布后变动")).to_have_count(0)
    page.click("#recrawl")
    expect(page.locator("#flash")).to_contain_text("重新抓取完成")
    expect(page.locator("#flash")).to_contain_text(f"report/{agency}/{YEAR}")
    expect(page.locator("tr.changed")).to_contain_text("发布后变动")
    run_link = page.locator("a[href*='/workflows/']").first
    expect(run_link).to_have_attribute("href", re.compile(f"/namespaces/default/workflows/report%2F{agency}%2F{YEAR}/"))
    shot(page, "05-recrawl-new-version")
