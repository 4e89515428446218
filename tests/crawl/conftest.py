"""Fixtures of the crawl tests over a site farm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from crawl.html_sites import farm_store
from dwatch.demo.sitefarm import Farm

from dwatch.store.database import Store


class FarmSite(Protocol):
    farm: Farm


@pytest.fixture
def store(site: FarmSite, tmp_path: Path) -> Iterator[Store]:
    """A store holding the registry of the test module's `site` fixture's farm."""
    store = farm_store(site.farm, tmp_path)
    yield store
    store.close()
