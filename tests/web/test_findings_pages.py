"""The findings page at a province's scale (issue 20): pages of 100 cut by the database, most severe
first across pages, the total over every page, filters kept by the page links, the current page marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from web_support import web_settings

from dwatch.demo.bulk import YEAR, fill
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.web.app import create_app

# 1,200 agencies: about 180 defective ones with two error findings and one info finding each.
AGENCIES = 1_200
_ROW = re.compile(
    r'<tr><td>#(\d+)</td><td><a href="[^"]*">[^<]*</a></td><td>([^<]+)</td><td><span class="sev sev-(\w+)">'
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = web_settings(tmp_path_factory.mktemp("findings-province"))
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    fill(store, AGENCIES)
    with TestClient(create_app(settings, store)) as client:
        yield client
    store.close()


def _page(client: TestClient, **params: object) -> tuple[str, list[tuple[int, str, str]]]:
    response = client.get("/findings", params={"year": YEAR, **params})
    assert response.status_code == 200, response.text
    rows = [(int(i), rule, severity) for i, rule, severity in _ROW.findall(response.text)]
    return response.text, rows


def _everything(client: TestClient, **params: object) -> list[dict]:
    return client.get("/api/v1/findings", params={"year": YEAR, **params}).json()


def _total(page: str) -> int:
    found = re.search(r'<small id="total">共 (\d+) 项</small>', page)
    assert found is not None
    return int(found.group(1))


def _next_link(page: str) -> str:
    found = re.search(r'<a href="(/findings\?[^"]*)" rel="next">下一页</a>', page)
    assert found is not None
    return unescape(found.group(1))


def test_pages_of_100_differ_and_the_total_covers_every_page(client: TestClient) -> None:
    everything = _everything(client)
    assert len(everything) > 200
    first, rows_1 = _page(client)
    second, rows_2 = _page(client, page=2)
    assert len(rows_1) == len(rows_2) == 100
    assert not {i for i, *_ in rows_1} & {i for i, *_ in rows_2}
    # The pages are the API's whole list (most severe first), cut in order.
    assert [i for i, *_ in rows_1 + rows_2] == [f["id"] for f in everything[:200]]
    assert _total(first) == _total(second) == len(everything)
    assert f"第 101–200 项，共 {len(everything)} 项 · 第 2/{-(-len(everything) // 100)} 页" in second
    # The current page is marked for assistive technology; the others are plain links.
    assert re.search(r'<a href="[^"]*page=2[^"]*" aria-current="page"', second)
    assert len(re.findall(r'aria-current="page"', second)) == 2  # the pager above and below the list
    assert not re.search(r'page=1[^"]*" aria-current', second)


def test_severity_first_across_pages(client: TestClient) -> None:
    everything = _everything(client, severity="info")
    pages = -(-len(everything) // 100)
    _, first = _page(client, severity="info")
    last_page, last = _page(client, severity="info", page=pages)
    assert {severity for *_, severity in first} == {"error"}
    assert [severity for *_, severity in last][-1] == "info"
    ranks = [["error", "warning", "info"].index(f["severity"]) for f in everything]
    assert ranks == sorted(ranks)
    assert _total(last_page) == len(everything)


def test_filters_survive_paging(client: TestClient) -> None:
    wanted = {"rule": "T3-03", "status": "open"}
    everything = _everything(client, **wanted)
    assert len(everything) > 100 and {f["rule_id"] for f in everything} == {"T3-03"}
    first, rows_1 = _page(client, **wanted)
    assert [i for i, *_ in rows_1] == [f["id"] for f in everything[:100]]
    assert _total(first) == len(everything)
    next_link = _next_link(first)
    assert "page=2" in next_link
    assert "rule=T3-03" in next_link and "status=open" in next_link and f"year={YEAR}" in next_link
    second = client.get(next_link).text
    rows_2 = [(int(i), rule) for i, rule, _ in _ROW.findall(second)]
    assert {rule for _, rule in rows_2} == {"T3-03"}
    assert [i for i, _ in rows_2] == [f["id"] for f in everything[100:200]]
    assert 'value="T3-03" selected' in second  # the form shows the filter that is applied
    assert _total(second) == len(everything)
    # The exports keep the filter, not the page.
    export = next(link for link in re.findall(r'href="(/exports/findings\.csv\?[^"]*)"', second))
    assert "rule=T3-03" in unescape(export) and "page=" not in export
