"""The compliance matrix at a province's size (issue 20): 20,000 agencies written in bulk, paged and
sorted by the database, filters that combine, counts over the whole selection, the API's cursor and the
streamed export of the whole selection; then the same in Chromium, through to the downloaded file."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_support import serve, shot
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect
from web_support import web_settings

from dwatch.config import Settings
from dwatch.demo.bulk import YEAR, fill
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.web.app import create_app
from dwatch.web.labels import STATUS_ORDER

AGENCIES = 20_000
PAGE_BYTES = 150 * 1024


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Store]]:
    settings = web_settings(tmp_path_factory.mktemp("province"))
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    fill(store, AGENCIES)
    yield settings, store
    store.close()


@pytest.fixture(scope="module")
def client(province: tuple[Settings, Store]) -> Iterator[TestClient]:
    with TestClient(create_app(*province)) as client:
        yield client


def _walk(client: TestClient, **params: object) -> list[dict]:
    rows, cursor = [], None
    while True:
        answer = client.get("/api/v1/matrix", params={"year": YEAR, "limit": 1000, **params, "cursor": cursor})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["rows"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_api_cursor_walks_the_whole_selection_once(client: TestClient) -> None:
    first = client.get("/api/v1/matrix", params={"year": YEAR}).json()
    assert first["total"] == AGENCIES and sum(first["counts"].values()) == AGENCIES
    assert len(first["rows"]) == 100 and first["next_cursor"]
    rows = _walk(client)
    assert len(rows) == AGENCIES and len({r["agency_id"] for r in rows}) == AGENCIES
    ranks = [STATUS_ORDER.index(r["status"]) for r in rows]
    assert ranks == sorted(ranks)  # problems first, across page boundaries
    by_date = _walk(client, sort="published", order="desc", status="late")
    assert len(by_date) == first["counts"]["late"]
    dates = [r["published_on"] for r in by_date]
    assert dates == sorted(dates, reverse=True)


def test_filters_combine_and_counts_cover_the_selection(client: TestClient) -> None:
    wanted = {"year": YEAR, "supervisor": "sup-3", "rule": "T3-03", "status": "defective", "limit": 1000}
    body = client.get("/api/v1/matrix", params=wanted).json()
    rows = _walk(client, supervisor="sup-3", rule="T3-03", status="defective")
    assert body["selected"] == body["counts"]["defective"] == len(rows) > 0
    assert all(r["supervisor_id"] == "sup-3" and "T3-03" in r["rules"] for r in rows)
    # The province's office sees its cities' agencies; a name search narrows within the other filters.
    assert client.get("/api/v1/matrix", params={"year": YEAR, "supervisor": "sup-prov"}).json()["total"] == AGENCIES
    named = client.get("/api/v1/matrix", params={"year": YEAR, "q": "示范市1234区"}).json()
    assert named["total"] == 1 and named["rows"][0]["agency_id"] == "a01234"


def test_bad_cursors_are_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/matrix", params={"year": YEAR}).json()["next_cursor"]
    other_sort = client.get("/api/v1/matrix", params={"year": YEAR, "sort": "name", "cursor": cursor})
    assert other_sort.status_code == 422 and "排序" in other_sort.json()["detail"]
    assert client.get("/api/v1/matrix", params={"year": YEAR, "cursor": "garbage!"}).status_code == 422
    forged = {"s": "status", "o": "asc", "k": [{"x": 1}, "43", "a00001"]}
    token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert client.get("/api/v1/matrix", params={"year": YEAR, "cursor": token}).status_code == 422


def test_matrix_page_stays_small_at_twenty_thousand(client: TestClient) -> None:
    for params in ({}, {"page": 150}, {"sort": "findings", "order": "desc"}, {"status": "compliant", "page": 3}):
        page = client.get("/matrix", params={"year": YEAR, **params})
        assert page.status_code == 200
        assert len(page.content) <= PAGE_BYTES, (params, len(page.content))
        assert page.text.count('<tr><td><span class="badge') == 100
    assert "第 1/200 页" in client.get("/matrix", params={"year": YEAR}).text


def test_export_streams_the_whole_selection(client: TestClient) -> None:
    everything = client.get("/exports/matrix.csv", params={"year": YEAR})
    assert everything.status_code == 200 and "chunked" in everything.headers.get("transfer-encoding", "chunked")
    rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert len(rows) == AGENCIES + 1 and len({r[0] for r in rows[1:]}) == AGENCIES
    wanted = {"year": YEAR, "supervisor": "sup-7", "status": "late"}
    selected = client.get("/api/v1/matrix", params=wanted).json()["selected"]
    sheet = load_workbook(io.BytesIO(client.get("/exports/matrix.xlsx", params=wanted).content)).active
    assert sheet.max_row == selected + 1
    assert {c.value for c in next(sheet.iter_cols(min_col=5, max_col=5, min_row=2))} == {"逾期发布"}


@pytest.mark.postgres
@pytest.mark.parametrize("sort", ["status", "name", "supervisor", "published", "findings"])
def test_cursor_paging_on_postgresql(pg_databases: Callable[[], str], tmp_path: Path, sort: str) -> None:
    settings = web_settings(tmp_path).model_copy(update={"database_url": pg_databases()})
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    try:
        fill(store, 600)
        with TestClient(create_app(settings, store)) as client:
            for order in ("asc", "desc"):
                rows, cursor = [], None
                while True:
                    params = {"year": YEAR, "limit": 97, "sort": sort, "order": order, "cursor": cursor}
                    body = client.get("/api/v1/matrix", params=params).json()
                    rows += body["rows"]
                    if (cursor := body["next_cursor"]) is None:
                        break
                assert len({r["agency_id"] for r in rows}) == len(rows) == 600, (sort, order)
    finally:
        store.close()


# ---- in Chromium --------------------------------------------------------------------------------


def test_paginated_matrix_filter_and_export_round_trip(
    browser: Browser, province: tuple[Settings, Store], tmp_path: Path
) -> None:
    with serve(create_app(*province)) as base_url:
        context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base_url}/matrix?year={YEAR}")
        expect(page.locator("h1")).to_contain_text(f"共 {AGENCIES} 个机关")
        expect(page.locator("#matrix tbody tr")).to_have_count(100)
        expect(page.locator(".pager").first).to_contain_text("第 1/200 页")
        shot(page, "10-matrix-20000")

        page.locator(".pager").first.get_by_text("下一页").click()
        page.wait_for_url("**page=2**")
        expect(page.locator(".pager").first).to_contain_text("第 101–200 个")

        # Sort by name from the column head, then filter: supervisor and status combine.
        page.locator("#matrix thead th a", has_text="机关").click()
        page.wait_for_url("**sort=name**")
        expect(page.locator("#matrix thead th[aria-sort=ascending]")).to_contain_text("机关")
        page.select_option("select[name=supervisor]", "sup-5")
        page.select_option("select[name=status]", "defective")
        page.click("#filters button[type=submit]")
        page.wait_for_url("**status=defective**")
        heading = page.locator("h1").inner_text()
        selected = int(heading.split("符合筛选")[1].split("个")[0])
        assert 0 < selected < AGENCIES
        badges = page.locator("#matrix tbody .badge")
        expect(badges.first).to_have_text("存在错误")
        names = page.locator("#matrix tbody td:nth-child(2)").all_inner_texts()
        assert names == sorted(names)
        shot(page, "11-matrix-filtered")

        with page.expect_download() as download:
            page.get_by_role("link", name=f"导出 CSV（{selected} 个）").click()
        saved = tmp_path / "matrix.csv"
        download.value.save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert len(rows) == selected + 1
        assert {r[3] for r in rows[1:]} == {"第5市政务公开办"} and {r[4] for r in rows[1:]} == {"存在错误"}
        assert [r[1] for r in rows[1:]] == sorted(r[1] for r in rows[1:])  # the page's order
        context.close()
