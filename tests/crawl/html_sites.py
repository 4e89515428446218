"""Farm agencies publishing their reports as HTML pages, each on a host of its own (for the tests of
the images such pages carry)."""

from __future__ import annotations

from pathlib import Path

import yaml
from dwatch.demo.sitefarm import Farm, FarmAgency, plan
from dwatch.demo.sitefarm.plan import DocFormat, Scenario

from dwatch.config import Settings
from dwatch.store import migrate
from dwatch.store.database import Store
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry


def html_farm(count: int, year: int, seed: int) -> tuple[list[FarmAgency], Farm]:
    agencies = [
        a.model_copy(update={"doc_format": DocFormat.HTML, "encoding": "utf-8"})
        for a in plan(count, year, seed=seed, scenarios=[Scenario.COMPLIANT])
    ]
    assert len({a.address for a in agencies}) == count
    return agencies, Farm(agencies, year, seed=seed)


def loopback_settings(data_dir: Path) -> Settings:
    """Settings that crawl the farm's loopback hosts quickly."""
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            "crawl": {"allow_private_addresses": True, "per_host_interval": 0.02, "retry_backoff": 0.05},
        }
    )


def farm_store(farm: Farm, data_dir: Path) -> Store:
    """A new store in `data_dir` holding the farm's registry."""
    settings = loopback_settings(data_dir)
    migrate.upgrade(settings.database_url)
    store = Store.open(settings)
    registry = yaml.safe_dump(farm.registry(), allow_unicode=True).encode("utf-8")
    with store.session() as session:
        import_registry(session, read_registry(registry, "yaml"))
    return store
