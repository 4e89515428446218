"""Web fixtures: a store filled the way `dwatch demo` fills it (site farm → crawl → review), built once
per session and copied for each test, plus users of every role and a running farm for re-crawls."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from browser_support import CHROMIUM, CHROMIUM_ARGS
from dwatch.demo.sitefarm import Farm, plan
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from temporal_support import run_async
from web_support import PASSWORD, SCENARIOS, USERS, YEAR, web_settings

from dwatch.config import Settings
from dwatch.crawling import crawl, load_agencies
from dwatch.review import review_crawl
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.users import save_user
from dwatch.web.app import create_app
from dwatch.web.backends import LocalOps
from dwatch.web.security import hash_password


@pytest.fixture(scope="session")
def farm() -> Iterator[Farm]:
    farm = Farm(plan(len(SCENARIOS), YEAR, scenarios=SCENARIOS), YEAR)
    farm.prerender()
    farm.start()
    yield farm
    farm.stop()


@pytest.fixture(scope="session")
def template_dir(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after one sweep over the farm, the same code path as `dwatch demo`."""
    data_dir = tmp_path_factory.mktemp("web-template")
    settings = web_settings(data_dir)
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    try:
        registry = yaml.safe_dump(farm.registry("test-gwb"), allow_unicode=True).encode("utf-8")
        with store.session() as session:
            import_registry(session, read_registry(registry, "yaml"))
            rows = load_agencies(session, None)
            for name, roles in USERS.items():
                save_user(session, name, hash_password(PASSWORD), roles)
        by_id = {row.id: row for row in rows}
        for result in run_async(crawl(store, rows, YEAR, settings.crawl)):
            review_crawl(store, by_id[result.agency_id], result)
    finally:
        store.close()
    return data_dir


@pytest.fixture
def data_dir(template_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(template_dir, target)
    return target


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return web_settings(data_dir)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings)
    yield store
    store.close()


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store, LocalOps(settings, store))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (tasks.py installs it; Playwright downloads nothing)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
